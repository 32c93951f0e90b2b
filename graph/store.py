"""Open the knowledge graph: the embedded default, or a store chosen by name.

A *store* is named in a small registry (as rdflib does with its plugins):

``oxigraph`` (default)
    Oxigraph, embedded through pyoxigraph; the rdflib API over it via oxrdflib.
``memory``
    rdflib's own in-memory store and SPARQL engine.

Any name that looks like an ``http(s)://`` URL is a remote SPARQL endpoint,
handled by the ``remote`` factory when it is registered.

The graph is loaded once and then treated as read-only: callers must not mutate
``KnowledgeGraph.dataset``; imports build a new graph (see :mod:`graph.load`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset, Graph

from graph import vocab
from graph.errors import ConfigError

DEFAULT_STORE = "oxigraph"
#: The named graph that analytics results are written back into.
ANALYTICS_GRAPH = vocab.ANALYTICS_GRAPH


@dataclass
class KnowledgeGraph:
    """A loaded graph: the rdflib view, and the native Oxigraph store when there is one."""

    backend: str
    dataset: Dataset
    ox: ox.Store | None = None
    endpoint: str | None = None
    files: list[str] = field(default_factory=list)
    #: ``(resolved path, size, mtime_ns)`` of each file loaded, taken as it was loaded:
    #: what :mod:`graph.diskcache` keys derived data by
    file_stamps: list[tuple[str, int, int]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def graph(self) -> Graph:
        """The default graph (ontology + data + derived triples)."""
        return self.dataset.default_graph

    def __len__(self) -> int:
        return self.count_triples()

    def count_triples(self) -> int:
        """Triples in the default graph (fast on Oxigraph)."""
        if self.ox is not None:
            for row in self.ox.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"):  # type: ignore[union-attr]
                return int(row["n"].value)
            return 0
        return len(self.graph)


StoreFactory = Callable[[str], KnowledgeGraph]
_REGISTRY: dict[str, StoreFactory] = {}


def register_store(name: str, factory: StoreFactory) -> None:
    """Register a store factory under ``name`` (``remote`` serves endpoint URLs)."""
    _REGISTRY[name] = factory


def store_names() -> list[str]:
    return sorted(_REGISTRY)


def _oxigraph_factory(_: str) -> KnowledgeGraph:
    from oxrdflib import OxigraphStore

    native = ox.Store()
    dataset = Dataset(store=OxigraphStore(store=native))
    return KnowledgeGraph(backend="oxigraph", dataset=dataset, ox=native)


def _memory_factory(_: str) -> KnowledgeGraph:
    return KnowledgeGraph(backend="memory", dataset=Dataset())


register_store("oxigraph", _oxigraph_factory)
register_store("memory", _memory_factory)


def is_endpoint_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))


def new_store(name: str | None = None) -> KnowledgeGraph:
    """An empty graph on the named store (``None``: ``$ALLIANCE_GRAPH_STORE`` or the default)."""
    from graph.settings import env_text

    name = name or env_text("ALLIANCE_GRAPH_STORE") or DEFAULT_STORE
    key = "remote" if is_endpoint_url(name) else name
    try:
        factory = _REGISTRY[key]
    except KeyError:
        if key == "remote":
            # The remote store registers itself when its module is imported.
            import graph.remote  # noqa: F401

            factory = _REGISTRY.get("remote")  # type: ignore[assignment]
        if key != "remote" or factory is None:
            raise ConfigError(
                f"unknown store {name!r}; choose one of {', '.join(store_names())} "
                "or give a SPARQL endpoint URL"
            ) from None
    return factory(name)


def open_graph(
    store: str | None = None,
    data: Iterable[str | os.PathLike[str]] = (),
    *,
    include_default: bool = True,
    progress: Callable[[str], None] | None = None,
) -> KnowledgeGraph:
    """Open the knowledge graph.

    Parameters
    ----------
    store
        A registered store name (``oxigraph``, ``memory``) or a SPARQL endpoint URL.
    data
        Extra files to load on top of the shipped graph.
    include_default
        Load the shipped ontology and data (set False for an empty graph of your own files).
    progress
        Called with a short message before each file is loaded.

    Examples
    --------
    >>> kg = open_graph("memory")
    >>> kg.backend
    'memory'
    """
    from graph import load

    kg = new_store(store)
    if kg.backend == "remote":
        return kg
    files: list[Path] = []
    if include_default:
        files.extend(load.default_files())
    files.extend(Path(p) for p in data)
    load.load_into(kg, files, progress=progress)
    load.apply_rules(kg, count=False)
    return kg



def env_sources() -> tuple[str | None, tuple[str, ...], bool]:
    """What ``alliance-graph explore`` asks the app to open: the store
    (``$ALLIANCE_GRAPH_STORE``), extra files (``$ALLIANCE_GRAPH_DATA``, joined with the
    path separator) and whether the shipped data comes too (not if
    ``$ALLIANCE_GRAPH_NO_DEFAULT=1``)."""
    from graph.settings import env_flag, env_list, env_text

    data = tuple(env_list("ALLIANCE_GRAPH_DATA", sep=os.pathsep))
    include_default = not env_flag("ALLIANCE_GRAPH_NO_DEFAULT", False)
    return env_text("ALLIANCE_GRAPH_STORE"), data, include_default


# --- opening a graph ahead of its first use ------------------------------------------

_AHEAD: dict[tuple[str | None, tuple[str, ...], bool], Future[KnowledgeGraph]] = {}
_AHEAD_LOCK = threading.Lock()


def open_ahead(store: str | None, data: Sequence[str], include_default: bool = True) -> None:
    """Open a graph now, in this thread, for a later :func:`take_opened_ahead` with the
    same arguments (which waits for it if it is still loading).

    The explorer starts this before importing Streamlit: Oxigraph parses and derives
    without holding the interpreter lock, so the load runs beside the server's start.
    """
    key = (store, tuple(data), include_default)
    future: Future[KnowledgeGraph] = Future()
    with _AHEAD_LOCK:
        if key in _AHEAD:
            return
        _AHEAD[key] = future
    try:
        future.set_result(open_graph(store, data, include_default=include_default))
    except BaseException as err:  # noqa: BLE001 - handed to the taker, who opens again and reports
        future.set_exception(err)


def take_opened_ahead(store: str | None, data: Sequence[str], include_default: bool = True) -> KnowledgeGraph | None:
    """The graph :func:`open_ahead` opened with these arguments (once), else ``None``:
    also when that failed, so that the caller opens it itself and reports the error."""
    with _AHEAD_LOCK:
        future = _AHEAD.pop((store, tuple(data), include_default), None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - see the docstring
        return None
