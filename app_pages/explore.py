"""Explore: search, focus and expand; filter by type, relation, date, grade and source; colour
and size by measure; click for profiles and statements; share and export the view."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import urlencode

import streamlit as st
from rdflib import URIRef

from app_pages.common import (
    code,
    graph_key,
    label_of,
    md,
    network,
    search_index,
    start_validation,
    validation_status,
    violations_by_node,
    when,
)
from app_pages.drawing import GRAPH_HEIGHT, draw_view_cached, view_page
from app_pages.graph_component import TOOLBAR_PX, show_graph
from graph.results import short_name
from graph.view import (
    COLOUR_CHOICES,
    DEFAULT_CAP,
    DEFAULT_TOP,
    MAX_HOPS,
    MAX_TOP,
    PARAM_KEYS,
    SIZE_CHOICES,
    View,
    ViewState,
    build_view,
    statements_between,
    to_iri,
)

W = "ex_"  # widget key prefix
#: How the legend shows each node shape of graph.render.SHAPES.
LEGEND_GLYPHS = {"dot": "●", "square": "■", "diamond": "◆", "triangle": "▲"}


# --- the view state: URL <-> widgets ----------------------------------------------------


def _url_params() -> dict[str, str]:
    return {k: v for k, v in st.query_params.to_dict().items() if k in PARAM_KEYS}


def _load_widgets(state: ViewState) -> None:
    """Set the widgets from a state (a fresh page or a shared link)."""
    ss = st.session_state
    ss[W + "focus"] = short_name(to_iri(state.focus)) if state.focus else None
    ss[W + "hops"] = state.hops
    ss[W + "cap"] = state.cap
    ss[W + "top"] = state.top
    ss[W + "types"] = list(state.types)
    ss[W + "rels"] = list(state.relations)
    ss[W + "use_date"] = state.as_of is not None
    ss[W + "date"] = state.as_of or dt.date.today()
    ss[W + "use_grade"] = state.min_grade is not None
    ss[W + "grade"] = state.min_grade or 3
    ss[W + "src"] = list(state.sources)
    ss[W + "colour"] = state.colour
    ss[W + "size"] = state.size
    ss[W + "more"] = list(state.more)
    ss[W + "nb"] = state.neighbours


def _state_from_widgets() -> ViewState:
    ss = st.session_state
    return ViewState(
        focus=ss.get(W + "focus") or None,
        hops=int(ss.get(W + "hops", 1)),
        cap=int(ss.get(W + "cap", DEFAULT_CAP)),
        top=int(ss.get(W + "top", DEFAULT_TOP)),
        types=tuple(ss.get(W + "types", ())),
        relations=tuple(ss.get(W + "rels", ())),
        as_of=ss.get(W + "date") if ss.get(W + "use_date") else None,
        min_grade=int(ss[W + "grade"]) if ss.get(W + "use_grade") else None,
        sources=tuple(ss.get(W + "src", ())),
        colour=ss.get(W + "colour", "type"),
        size=ss.get(W + "size", "degree"),
        more=tuple(ss.get(W + "more", ())),
        neighbours=bool(ss.get(W + "nb")) and bool(ss.get(W + "types")),
    )


def _sync_from_url() -> None:
    params = _url_params()
    ss = st.session_state
    written = ss.get(W + "written")
    if not params and written and ss.get("ag_from_page") != ss.get("ag_page"):
        # Back on Explore from another page (the sidebar's link carries no view): show
        # the view left behind. Streamlit dropped the widgets' values meanwhile.
        params = written
        _load_widgets(ViewState.from_params(params))
        return
    if written != params:
        _load_widgets(ViewState.from_params(params))
        ss[W + "written"] = params


def _write_url(state: ViewState) -> None:
    params = state.to_params()
    # Always write: a run interrupted by a quicker change may have updated the server's
    # copy of the parameters without the browser's address ever receiving it.
    st.query_params.from_dict(params)
    st.session_state[W + "written"] = params


def _focus_on(iri: str) -> None:
    st.session_state[W + "focus"] = short_name(URIRef(iri))
    st.session_state[W + "more"] = []
    st.session_state[W + "edge"] = None


def _clear_focus() -> None:
    st.session_state[W + "focus"] = None
    st.session_state[W + "more"] = []
    st.session_state[W + "q"] = ""


def _on_search() -> None:
    text = st.session_state.get(W + "q", "")
    matches = [m for m in search_index(graph_key()).search(text, limit=10) if m.iri in network(graph_key())]
    st.session_state[W + "matches"] = [(str(m.iri), m.label, m.matched, m.type) for m in matches]
    if matches:
        st.session_state[W + "match"] = str(matches[0].iri)
        _focus_on(str(matches[0].iri))


def _show_all_of(node: str) -> None:
    more = list(st.session_state.get(W + "more", []))
    short = short_name(URIRef(node))
    if short not in more:
        more.append(short)
    st.session_state[W + "more"] = more


# --- drawing (app_pages.drawing: cached, and warmed for the default view at start) ------


def _view(key: str, state: ViewState) -> View:
    return build_view(network(key), state)


# --- exports (made on click) ------------------------------------------------------------


def _export_network(key: str, state: ViewState, fmt: str) -> bytes:
    import io

    import networkx as nx

    from graph.export import _scalar, network_csv_zip

    g = _view(key, state).graph
    flat = nx.MultiDiGraph()
    for n, d in g.nodes(data=True):
        flat.add_node(str(n), **{k: _scalar(v) for k, v in d.items()})
    for u, v, k, d in g.edges(keys=True, data=True):
        flat.add_edge(str(u), str(v), key=str(k), statement=str(k), **{a: _scalar(x) for a, x in d.items()})
    if fmt == "csv":
        return network_csv_zip(flat)
    buf = io.BytesIO()
    (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(flat, buf)
    return buf.getvalue()


def _validation_note(key: str) -> None:
    """How validation is going (it runs in the background; marks appear once it is done)."""
    done = violations_by_node(key) is not None
    note = validation_status(key)
    st.caption(f"Shapes: {note}" + ("" if done else " — marks appear on the next change"))


@st.cache_resource(max_entries=4, show_spinner=False)
def _filter_choices(key: str) -> tuple[list[str], list[str], list[str]]:
    """The sidebar's entity types, relations and sources: read once per graph, not on every
    rerun (at 1M triples the network has 73k edges)."""
    full = network(key)
    types = sorted({str(d.get("type")) for _, d in full.nodes(data=True)})
    rels = sorted({str(d.get("relation")) for _, _, d in full.edges(data=True)})
    source_ids = sorted({s for _, _, d in full.edges(data=True) for s in d.get("sources", ())})
    return types, rels, [short_name(URIRef(s)) for s in source_ids]


# --- the page -------------------------------------------------------------------------

key = graph_key()
try:
    network(key)  # loads the graph and projects it: a failure is shown here
except Exception as err:  # noqa: BLE001 - shown to the user, not swallowed
    st.error(f"The graph could not be loaded: {err}")
    st.stop()

_sync_from_url()

st.title("Explore the alliance")

with st.sidebar:
    st.subheader("Find")
    st.text_input(
        "Search labels and aliases", key=W + "q", on_change=_on_search,
        placeholder="e.g. Canada, Korea, DIANA",
    )  # fmt: skip
    matches = st.session_state.get(W + "matches") or []
    if st.session_state.get(W + "q") and not matches:
        st.caption("No entity in the network matches.")
    if len(matches) > 1:
        options = {iri: f"{label}" + (f" (alias {matched})" if matched != label else "") + f" · {typ}"
                   for iri, label, matched, typ in matches}  # fmt: skip
        st.selectbox(
            f"{len(matches)} matches", list(options), key=W + "match", format_func=options.get,
            on_change=lambda: _focus_on(st.session_state[W + "match"]),
        )  # fmt: skip
    if st.session_state.get(W + "focus"):
        focus_label = label_of(key, to_iri(st.session_state[W + "focus"]))
        st.caption(f"Focused on {md(focus_label)}")
        st.button("Show the whole network", key=W + "clear", on_click=_clear_focus)
    st.slider("Hops from the focus", 1, MAX_HOPS, key=W + "hops")
    st.number_input("Neighbours added per expansion", 1, 5000, step=5, key=W + "cap")
    st.number_input(
        "Most entities in the whole network", 1, MAX_TOP, step=100, key=W + "top",
        help="Without a focus, the best-connected entities are drawn up to this number",
    )  # fmt: skip

    st.subheader("Filter")
    types, rels, source_short = _filter_choices(key)
    st.multiselect("Entity types", types, key=W + "types", placeholder="All types")
    st.checkbox(
        "… and their neighbours", key=W + "nb", disabled=not st.session_state.get(W + "types"),
        help="Keep every line with one end of a chosen type, not only lines between chosen types",
    )  # fmt: skip
    st.multiselect("Relationship types", rels, key=W + "rels", placeholder="All relations")
    st.checkbox("As of a date", key=W + "use_date", help="The alliance as it stood on that day")
    st.date_input(
        "As of", key=W + "date", min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31),
        disabled=not st.session_state.get(W + "use_date"),
    )  # fmt: skip
    st.checkbox("Minimum credibility", key=W + "use_grade", help="1 confirmed … 6 cannot be judged")
    st.select_slider(
        "Credibility grade at least", options=[1, 2, 3, 4, 5, 6], key=W + "grade",
        disabled=not st.session_state.get(W + "use_grade"),
        help="Keep statements graded this or better (1 is best)",
    )  # fmt: skip
    st.multiselect(
        "Sources", source_short, key=W + "src", placeholder="All sources",
        format_func=lambda s: label_of(key, to_iri(s)),
    )  # fmt: skip

    st.subheader("Style")
    st.radio("Colour by", COLOUR_CHOICES, key=W + "colour", horizontal=True, format_func=str.capitalize)
    st.selectbox("Size by", SIZE_CHOICES, key=W + "size", format_func=lambda s: "PageRank" if s == "pagerank" else s.capitalize())
    show_violations = st.checkbox("Mark SHACL violations", value=True, key=W + "viol")
    start_validation(key)
    if show_violations:
        _validation_note(key)

state = _state_from_widgets()
_write_url(state)
params = tuple(sorted(state.to_params().items()))
marks = violations_by_node(key) if show_violations else None
in_view_marks = (
    tuple(sorted((str(n), tuple(m)) for n, m in marks.items())) if marks else None
)
drawn = draw_view_cached(key, params, in_view_marks)

# Header line: what is shown, what is not.
hidden: dict[str, int] = drawn["hidden"]
summary = f"{drawn['nodes']:,} entities, {drawn['edges']:,} relationship statements"
if state.as_of:
    summary += f" · as of {state.as_of.isoformat()}"
if state.focus:
    summary += f" · around {md(label_of(key, to_iri(state.focus)))}"
total_hidden = drawn["hidden_total"]
if total_hidden:
    summary += f" · **{total_hidden:,} more linked entities not shown**"
if drawn["omitted"]:
    summary += (
        f" · the best connected; **{drawn['omitted']:,} more entities not shown** "
        "(search, focus or filter, or raise “Most entities in the whole network”)"
    )
st.markdown(summary)
if state.focus and not drawn["focus_found"]:
    st.warning(f"{md(state.focus)} is not in the network with these filters.")
if state.types and not state.neighbours and drawn["edges"] < 5:
    # a line is kept only when both its ends are of a chosen type: say so, and the way out
    chosen = ", ".join(state.types)
    st.info(
        f"{'No' if drawn['edges'] == 0 else 'Only ' + str(drawn['edges'])} relationship "
        f"statement{'' if drawn['edges'] == 1 else 's'} between entities of the chosen types ({md(chosen)}): "
        "a line is drawn only when both its ends are of a chosen type. Tick “… and their neighbours” "
        "to keep every line with one end of a chosen type, or add the types at the other end "
        "(a membership links a State to an InternationalOrganisation)."
    )
if hidden:
    cols = st.columns(min(4, len(hidden)))
    for i, (node, count) in enumerate(sorted(hidden.items(), key=lambda kv: -kv[1])[:4]):
        cols[i].button(
            f"Show {count} more around {label_of(key, URIRef(node))}", key=f"{W}more_{node}",
            on_click=_show_all_of, args=(node,),
        )  # fmt: skip

result = show_graph(
    drawn["items"], view_key=drawn["key"], key=W + "graph", height=GRAPH_HEIGHT + TOOLBAR_PX, filename="alliance-view.png",
    query=("?" + urlencode(state.to_params())) if state.to_params() else "",
)  # fmt: skip

# Legend
legend = drawn["legend"]
if legend:
    chips = " ".join(
        f'<span style="display:inline-block;margin-right:1em"><span style="color:{colour}">'
        f"{LEGEND_GLYPHS.get(shape, '●')}</span> {html.escape(name)}</span>"
        for name, colour, shape in legend
    )
    marks = ' <span style="margin-left:1em">⚠ red ring: SHACL violation · dashed line: unverified, opinion or contradicted</span>'
    st.html(f'<div style="font-size:.85rem" data-testid="ag-legend">{chips}{marks}</div>')

# Clicks
if result is not None:
    if getattr(result, "node", None):
        st.switch_page("app_pages/profile.py", query_params={"entity": short_name(URIRef(result.node))})
    if getattr(result, "expand", None):
        _focus_on(result.expand)
        st.rerun()
    if getattr(result, "edge", None):
        st.session_state[W + "edge"] = result.edge

edge_id = st.session_state.get(W + "edge")
pair = drawn["edge_pairs"].get(edge_id) if edge_id else None
if pair:
    u, v = URIRef(pair[0]), URIRef(pair[1])
    with st.container(border=True, key="ex_statements"):
        st.subheader(f"Statements: {md(label_of(key, u))} — {md(label_of(key, v))}")
        from app_pages.common import current_graph
        from graph.profile import statement_detail

        kg = current_graph()
        edges = statements_between(_view(key, state).graph, u, v)
        for _, _, stmt, _d in edges:
            detail = statement_detail(kg, URIRef(str(stmt)))
            dates = when(detail.start, detail.end)
            st.markdown(
                f"**{md(detail.subject_label)}** {md(detail.relation_label)} **{md(detail.object_label)}**"
                + (f" (role: {md(detail.role)})" if detail.role else "")
                + f" · {md(dates)} · credibility grade {detail.credibility if detail.credibility is not None else '—'}"
                + f" · {md(detail.status or 'no status')} · {code(short_name(URIRef(detail.iri)))}"
            )
            for src in detail.sources:
                line = f"- source: {md(src.label)} (reliability {md(src.reliability or '?')})"
                if src.safe_url:
                    line += f" — [{md(src.safe_url)}]({src.safe_url.replace(')', '%29').replace(' ', '%20')})"
                st.markdown(line)
        st.button("Close", key=W + "close_edge", on_click=lambda: st.session_state.update({W + "edge": None}))

# Share and export
with st.expander("Share and export this view", expanded=False):
    query = "&".join(f"{k}={v}" for k, v in state.to_params().items())
    base_url = str(getattr(st.context, "url", "") or "").split("?", 1)[0]
    # Plain widgets, not st.code: the code block's highlighter is the heaviest script the
    # page would load (about 0.8 s of a first visit on two busy cores).
    st.text_input(
        "This link opens the same view (page, focus, filters, date): copy it",
        value=f"{base_url}?{query}" if query else base_url or "(the page address)", key=None,
    )  # fmt: skip
    c = st.columns(6)
    c[0].download_button(
        "HTML (offline)", lambda: view_page(drawn), file_name="alliance-view.html", mime="text/html", key=W + "dl_html",
        help="A self-contained page: opens with no internet",
    )  # fmt: skip
    c[1].download_button(
        "GraphML", lambda: _export_network(key, state, "graphml"), file_name="alliance-view.graphml",
        mime="application/graphml+xml", key=W + "dl_graphml",
    )  # fmt: skip
    c[2].download_button(
        "GEXF (Gephi)", lambda: _export_network(key, state, "gexf"), file_name="alliance-view.gexf",
        mime="application/xml", key=W + "dl_gexf",
    )  # fmt: skip
    c[3].download_button(
        "CSV nodes + edges", lambda: _export_network(key, state, "csv"), file_name="alliance-view-csv.zip",
        mime="application/zip", key=W + "dl_csv",
    )  # fmt: skip
    c[4].download_button(
        "CONSTRUCT query", drawn["construct"], file_name="alliance-view.rq",
        mime="application/sparql-query", key=W + "dl_rq",
    )  # fmt: skip
    c[5].caption("PNG: the **Save PNG** button above the graph (made in your browser).")
    if st.toggle("Show the CONSTRUCT query", key=W + "show_rq"):
        st.code(drawn["construct"], language="sparql")
