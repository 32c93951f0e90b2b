"""SPARQL: write or pick a query, run it safely, see and download the answer.

The query travels in the page URL (``?query=...``), so a link reproduces it. UI only:
the work is done by :mod:`graph.sparql` and :mod:`graph.results`.
"""

from __future__ import annotations

import re
import time

import streamlit as st
import streamlit.components.v1 as components

from app_pages.common import graph_for, graph_key
from graph import paths
from graph.errors import AllianceGraphError, QuerySyntaxError
from graph.render import render_html
from graph.results import (
    EXTENSIONS,
    MEDIA_TYPES,
    graph_to_network,
    serialize_result,
    table_columns,
    to_csv,
)
from graph.sparql import STANDARD_PREFIXES, QueryResult, list_saved_queries, run_query

DEFAULT_QUERY = """# Which states are members of NATO, and since when?
SELECT ?state ?label ?since WHERE {
  ?st ag:subject ?state ; ag:object agr:NATO ; ag:relation ag:memberOf ; ag:startDate ?since .
  ?state rdfs:label ?label .
  FILTER(LANG(?label) = "" || LANG(?label) = "en")
}
ORDER BY ?since
LIMIT 100
"""
TEXT_KEY = "sparql_text"


@st.cache_data(show_spinner=False)
def ontology_prefixes() -> dict[str, str]:
    """The prefixes the ontology declares, then the project's standard ones."""
    found: dict[str, str] = {}
    try:
        text = paths.ontology_file().read_text(encoding="utf-8")
    except OSError:
        text = ""
    for m in re.finditer(r"@prefix\s+([\w\-.]*):\s*<([^>]+)>", text, flags=re.IGNORECASE):
        found.setdefault(m.group(1), m.group(2))
    for p, iri in STANDARD_PREFIXES.items():
        found.setdefault(p, iri)
    return found


@st.cache_data(max_entries=32, show_spinner=False)
def cached_query(text: str, bindings: tuple[tuple[str, str], ...], key: str) -> QueryResult:
    """One query's answer on the graph named by ``key`` (this session's: its upload, its store)."""
    return run_query(graph_for(key), text, dict(bindings))


def _add_prefix(prefix: str, iri: str) -> None:
    line = f"PREFIX {prefix}: <{iri}>"
    text = st.session_state.get(TEXT_KEY, "")
    if line not in text:
        st.session_state[TEXT_KEY] = line + "\n" + text


def _load_example(name: str) -> None:
    for q in list_saved_queries():
        if q.name == name:
            st.session_state[TEXT_KEY] = q.text
            st.session_state["sparql_params"] = [p for p, _ in q.params]
            st.session_state["sparql_autorun"] = not q.params


def _show_error(err: AllianceGraphError, text: str) -> None:
    st.error(str(err), icon=":material/error:")
    if isinstance(err, QuerySyntaxError) and err.line is not None:
        lines = text.splitlines()
        if 1 <= err.line <= len(lines):
            start = max(0, err.line - 3)
            excerpt = []
            for i in range(start, err.line):
                excerpt.append(f"{i + 1:>4} | {lines[i]}")
            caret = " " * (7 + max(0, (err.column or 1) - 1)) + "^"
            excerpt.append(caret + f" line {err.line}, column {err.column}")
            st.code("\n".join(excerpt), language=None)


def _downloads(result: QueryResult) -> None:
    formats = ["ttl", "nt", "jsonld"] if result.kind == "graph" else ["csv", "tsv", "json"]
    cols = st.columns(len(formats))
    for col, fmt in zip(cols, formats, strict=True):
        # a CSV opened in a spreadsheet must not run formulas hidden in the data
        data = to_csv(result, safe=True) if fmt == "csv" else serialize_result(result, fmt)
        col.download_button(
            f"Download {fmt.upper()}",
            data=data.encode("utf-8"),
            file_name=f"query-results.{EXTENSIONS[fmt]}",
            mime=MEDIA_TYPES[fmt],
            key=f"sparql_dl_{fmt}",
            use_container_width=True,
            on_click="ignore",
        )


def _show_result(result: QueryResult) -> None:
    count = len(result)
    unit = "triples" if result.kind == "graph" else ("answer" if result.kind == "ask" else "rows")
    st.caption(f"{count:,} {unit} in {result.elapsed_s * 1000:.0f} ms")
    if result.notice:
        st.warning(result.notice, icon=":material/content_cut:")
    if result.kind == "ask":
        st.metric("Answer", "yes" if result.boolean else "no")
    elif result.kind == "graph":
        assert result.graph is not None
        tab_graph, tab_text = st.tabs(["Graph", "Turtle"])
        with tab_graph:
            g = graph_to_network(result.graph)
            components.html(render_html(g, height="560px"), height=580)  # type: ignore[arg-type]
        with tab_text:
            st.code(serialize_result(result, "ttl"), language="turtle")
    else:
        rows, link_cols = table_columns(result)
        config = {
            v: st.column_config.LinkColumn(v, display_text=r"entity=(.*)$", help="open the profile")
            for v in link_cols
        }
        st.dataframe(rows, column_config=config, use_container_width=True, hide_index=True)
    _downloads(result)


st.title("SPARQL")
st.caption(
    "Read-only and safe: updates, SERVICE and FROM are refused; each query runs under a time and "
    "row limit. The project's prefixes (ag:, agr:, prov:, rdfs: ...) work without declaring them."
)

if TEXT_KEY not in st.session_state:
    from_url = st.query_params.get("query")
    st.session_state[TEXT_KEY] = from_url or DEFAULT_QUERY
    st.session_state["sparql_autorun"] = bool(from_url)

catalogue = list_saved_queries()
left, right = st.columns([3, 2])
with right:
    groups = {"example": "Examples", "competency": "Competency questions", "app": "The app's own queries"}
    names = [q.name for q in catalogue]
    labels = {q.name: f"{groups.get(q.group, q.group)} · {q.description}" for q in catalogue}
    picked = st.selectbox(
        "Example gallery", names, index=None, placeholder="Pick a saved query…",
        format_func=lambda n: labels.get(n, n), key="sparql_example",
    )
    if picked:
        st.button("Load into the editor", on_click=_load_example, args=(picked,), key="sparql_load")
    with st.popover("Prefixes", icon=":material/add_link:"):
        st.caption("Click to add a PREFIX line (they already work undeclared).")
        for prefix, iri in ontology_prefixes().items():
            st.button(
                f"{prefix}: <{iri}>", key=f"sparql_prefix_{prefix}",
                on_click=_add_prefix, args=(prefix, iri),
            )

with left:
    text = st.text_area("Query", height=260, key=TEXT_KEY, label_visibility="collapsed")
    st.code(text, language="sparql", line_numbers=True)

param_names: list[str] = st.session_state.get("sparql_params", [])
bindings: dict[str, str] = {}
if param_names:
    cols = st.columns(len(param_names))
    for col, name in zip(cols, param_names, strict=True):
        value = col.text_input(f"?{name}", key=f"sparql_param_{name}", placeholder="agr:CAN, 2024-01-01, text…")
        if value.strip():
            bindings[name] = value.strip()

run = st.button("Run", type="primary", key="sparql_run", icon=":material/play_arrow:")
if st.session_state.pop("sparql_autorun", False):
    run = True
asked = (text, tuple(sorted(bindings.items())), graph_key())
if run:
    st.query_params["query"] = text
    st.session_state["sparql_shown"] = asked
# the answer stays on the page while the query is unchanged (a download click reruns the
# script; the cached answer is shown again, not lost)
if run or st.session_state.get("sparql_shown") == asked:
    started = time.perf_counter()
    try:
        with st.spinner("Running…"):
            result = cached_query(text, tuple(sorted(bindings.items())), graph_key())
    except AllianceGraphError as err:
        _show_error(err, text)
    else:
        _show_result(result)
