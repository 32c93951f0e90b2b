"""What every page shares: the loaded graph (cached once, never mutated), cached derived
data (network, search index, validation, layouts, drawings) and small display helpers.

Derived data is cached per graph under a *graph key*: ``"base"`` for the graph the app was
started with, or a key naming the user's upload (an upload makes a new graph for that
browser session only; the cached base graph is never changed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import networkx as nx
import streamlit as st

from graph.store import KnowledgeGraph, env_sources, open_graph, take_opened_ahead

BASE_KEY = "base"
STARTUP_GRACE_S = 3.0
IMPORT_STATE = "imported"  # session key: (graph key, KnowledgeGraph, file names)


class PageRuns:
    """Page runs of this process, so that background work (the warm-up's imports for the
    table pages) can wait for a quiet moment instead of competing with a visitor's clicks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._ended: float | None = None  # monotonic time the last run ended

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        with self._lock:
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                self._ended = time.monotonic()

    def wait_quiet(self, quiet_s: float, timeout_s: float) -> bool:
        """Wait until a run has ended and none has run for ``quiet_s`` seconds (or
        ``timeout_s`` passed); whether it got quiet."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                ended, active = self._ended, self._active
            if ended is not None and not active and time.monotonic() - ended >= quiet_s:
                return True
            time.sleep(0.1)
        return False


PAGE_RUNS = PageRuns()


@st.cache_resource(show_spinner="Loading the knowledge graph…")
def get_graph(store: str | None = None, data: tuple[str, ...] = (), include_default: bool = True) -> KnowledgeGraph:
    # `alliance-graph explore` starts loading before Streamlit is imported (open_ahead)
    ahead = take_opened_ahead(store, data, include_default)
    return ahead if ahead is not None else open_graph(store, data, include_default=include_default)


STORE_STATE = "store_choice"  # session key: a store name or endpoint URL chosen in the sidebar


def chosen_store() -> str | None:
    """The store of this session: chosen in the sidebar, else ``--store`` / the environment."""
    return st.session_state.get(STORE_STATE) or env_sources()[0]


def is_base_key(key: str) -> bool:
    return key == BASE_KEY or key.startswith(BASE_KEY + "|")


def base_key() -> str:
    """The cache key of the base graph: it names the store and the files, so that switching
    stores (or starting on other data) never serves another graph's cached network."""
    _, data, include_default = env_sources()
    store = chosen_store()
    if store is None and not data and include_default:
        return BASE_KEY
    return f"{BASE_KEY}|{store or ''}|{os.pathsep.join(data)}|{int(include_default)}"


def base_graph() -> KnowledgeGraph:
    """The graph named by the sidebar's store, or the environment (``alliance-graph explore
    --store/--data`` sets it).

    ``ALLIANCE_GRAPH_NO_DEFAULT=1`` leaves the shipped data out (tests load their own files).
    """
    _, data, include_default = env_sources()
    return get_graph(chosen_store(), data, include_default)


def current_graph() -> KnowledgeGraph:
    """The graph this session works on: the base graph, or the base plus the user's upload."""
    imported = st.session_state.get(IMPORT_STATE)
    if imported is not None:
        return imported[1]
    return base_graph()


def graph_key() -> str:
    imported = st.session_state.get(IMPORT_STATE)
    return imported[0] if imported is not None else base_key()


# Graphs made from uploads, by key, so cached functions can find them (bounded: oldest go).
_UPLOADED: dict[str, KnowledgeGraph] = {}


def register_upload(key: str, kg: KnowledgeGraph, files: list[str]) -> None:
    _UPLOADED[key] = kg
    while len(_UPLOADED) > 4:
        _UPLOADED.pop(next(iter(_UPLOADED)))
    st.session_state[IMPORT_STATE] = (key, kg, files)


def forget_upload() -> None:
    st.session_state.pop(IMPORT_STATE, None)


def graph_for(key: str) -> KnowledgeGraph:
    if is_base_key(key):
        return base_graph()
    imported = st.session_state.get(IMPORT_STATE)
    if imported is not None and imported[0] == key:
        return imported[1]
    return _UPLOADED[key]


@st.cache_resource(max_entries=4, show_spinner="Building the network…")
def network(key: str) -> nx.MultiDiGraph:
    """The whole actor network of a graph (read-only: views filter copies of it)."""
    from graph import diskcache
    from graph.network import project

    kg = graph_for(key)
    # Kept on disk: a restart on the same files reads it back (7 s -> 0.8 s at 1M). An
    # upload is not loaded from files, so diskcache never keeps its network.
    return diskcache.cached(kg, "network", lambda: project(kg))


@st.cache_resource(max_entries=4, show_spinner=False)
def entity_types(key: str) -> tuple[str, ...]:
    """Every entity type of the network, sorted: the order in which types get their colours
    and shapes, so that a type looks the same in every view and on every page."""
    return tuple(sorted({str(d.get("type", "Entity")) for _, d in network(key).nodes(data=True)}))


def type_styles(key: str) -> dict[str, tuple[str, str]]:
    """The colour and shape of every entity type of the network (:func:`graph.render.group_styles`)."""
    from graph.render import group_styles

    types = entity_types(key)
    return group_styles(types, types)


@st.cache_resource(max_entries=4, show_spinner=False)
def search_index(key: str) -> Any:
    from graph.search import SearchIndex

    return SearchIndex(graph_for(key))


@st.cache_resource(max_entries=4, show_spinner=False)
def _validation_job(key: str) -> dict[str, Any]:
    """Validate a graph in the background (SHACL over the whole graph can take a while): a
    thread waits for a forked child (:func:`_validate_apart`); pages never wait for it to
    draw, they mark violations once the report is there."""
    kg = graph_for(key)
    job: dict[str, Any] = {"result": None, "started": time.monotonic(), "done": threading.Event()}

    def run() -> None:
        # Let the first page draw before SHACL competes with it for the cores.
        time.sleep(STARTUP_GRACE_S)
        try:
            job["result"] = _validate_apart(kg)
        except Exception as err:  # noqa: BLE001 - kept and shown to the user
            job["result"] = err
        finally:
            job["elapsed"] = time.monotonic() - job["started"]
            job["done"].set()

    threading.Thread(target=run, name=f"validate-{key}", daemon=True).start()
    return job


def _validate_apart(kg: KnowledgeGraph) -> Any:
    """The SHACL report of ``kg``, made in a query worker (:mod:`graph.workers`) where the
    platform forks: pySHACL is pure Python, and in a thread of the server it held the
    interpreter lock against every page run for as long as it took (minutes at 100k
    triples). The worker lowers its own priority, so the server and the browser get the
    cores first, and is retired afterwards."""
    import pickle

    from graph.limits import QueryLimits
    from graph.workers import run_job

    limits = QueryLimits(timeout_s=None, max_rows=None, memory_mb=None)
    payload = run_job(kg, "validate", (), limits, what="validation", retire=True)
    return pickle.loads(payload)  # noqa: S301 - our own worker wrote it


def start_validation(key: str) -> None:
    _validation_job(key)


def validation(key: str, timeout: float | None = None) -> Any:
    """The SHACL report of a graph (waiting for it), or the error that prevented validation.

    With ``timeout``, ``None`` if it is not ready by then.
    """
    job = _validation_job(key)
    if not job["done"].wait(timeout):
        return None
    return job["result"]


def validation_status(key: str) -> str:
    job = _validation_job(key)
    if job["done"].is_set():
        return f"validated in {job.get('elapsed', 0):.1f} s"
    return f"validating… ({time.monotonic() - job['started']:.0f} s so far)"


def violations_by_node(key: str) -> dict[Any, list[str]] | None:
    """Messages by focus node, or ``None`` while validation is still running."""
    report = validation(key, timeout=0)
    if report is None:
        return None
    if isinstance(report, Exception):
        return {}
    return {n: [v.message or "does not conform" for v in vs] for n, vs in report.by_focus().items()}


@st.cache_resource(max_entries=4, show_spinner="Laying out the network…")
def full_layout(key: str) -> dict[Any, tuple[float, float]]:
    """Positions for the whole network: unfocused views keep them, so filters never move nodes."""
    from graph import diskcache
    from graph.render import layout_positions

    return diskcache.cached(graph_for(key), "layout", lambda: layout_positions(network(key)))


def label_of(key: str, iri: Any) -> str:
    g = network(key)
    if iri in g:
        return str(g.nodes[iri].get("label", iri))
    return str(search_index(key).label(iri))


# --- display helpers ------------------------------------------------------------------


def md(text: object) -> str:
    """Escape data-derived text for ``st.markdown`` (no HTML, no Markdown, no links)."""
    s = html.escape(str(text), quote=False)
    out = []
    for c in s:
        out.append("\\" + c if c in "\\`*_{}[]()#+-.!|~<>$:" else c)
    return "".join(out)


def code(text: object) -> str:
    """Data-derived text as an inline code span (no escapes inside, no backticks)."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def when(start: dt.date | None, end: dt.date | None) -> str:
    """``from 1949-04-04``, ``1994-05-09 – 2023-04-04``, ``until 2024-03-07`` or ``undated``."""
    if start and end:
        return f"{start.isoformat()} – {end.isoformat()}"
    if start:
        return f"from {start.isoformat()}"
    if end:
        return f"until {end.isoformat()}"
    return "undated"


def fmt_date(d: dt.date | None) -> str:
    return d.isoformat() if d is not None else ""


def grade_badge(grade: int | None) -> str:
    return "—" if grade is None else f"{grade}"


def source_cell(sources: Iterable[Any]) -> str:
    return "; ".join(f"{s.label} ({s.reliability or '?'})" for s in sources)


def show_error(err: Exception) -> None:
    st.error(str(err))


ENV_STORE_PICKER = "ALLIANCE_GRAPH_STORE_PICKER"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def store_picker_allowed() -> bool:
    """May a visitor choose the store? An operator's setting, off beyond loopback.

    With the picker a visitor makes the server send queries to a URL of their choosing
    and can make it load a second copy of the graph (the memory store). That is for the
    operator: ``ALLIANCE_GRAPH_STORE_PICKER=1`` turns it on, ``0`` off; unset, it is on
    only when the app is served on a loopback address (``alliance-graph explore`` on
    127.0.0.1, the default).
    """
    from graph.settings import env_flag, env_text

    if env_text(ENV_STORE_PICKER) is not None:
        return env_flag(ENV_STORE_PICKER, False)
    address = str(st.get_option("server.address") or "").strip()
    return address in _LOOPBACK


def store_picker() -> None:
    """Sidebar: choose the embedded store or a SPARQL endpoint holding the alliance data."""
    if not store_picker_allowed():
        st.session_state.pop(STORE_STATE, None)
        return
    with st.sidebar.expander("Data store", icon=":material/storage:"):
        current = st.session_state.get(STORE_STATE) or ""
        url = st.text_input(
            "SPARQL endpoint URL",
            value=current if current.startswith(("http://", "https://")) else "",
            placeholder="http://127.0.0.1:7878/sparql",
            key="store_url",
            help="Any SPARQL 1.1 endpoint holding the alliance data (see the README). "
            "Empty: the embedded graph.",
        )
        embedded = st.radio(
            "Embedded store",
            ["oxigraph", "memory"],
            index=1 if current == "memory" else 0,
            horizontal=True,
            key="store_embedded",
            disabled=bool(url.strip()),
        )
        choice = url.strip() or (embedded if embedded != "oxigraph" else "")
        if choice != current:
            if choice.startswith(("http://", "https://")):
                from graph.errors import AllianceGraphError
                from graph.sparql import run_query
                from graph.store import open_graph as _open

                try:
                    run_query(_open(choice), "ASK { ?s ?p ?o }")
                except AllianceGraphError as err:
                    st.error(f"Cannot use {choice}: {err}")
                    choice = current
            if choice != current:
                st.session_state[STORE_STATE] = choice
                forget_upload()
                st.rerun()
        store = chosen_store() or "oxigraph"
        st.caption(f"Using: {store}" + ("" if store.startswith("http") else " (embedded)"))
