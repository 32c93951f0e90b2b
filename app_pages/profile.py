"""Entity profile: everything known about one entity (``?entity=agr:CAN`` or a full IRI),
grouped by relationship, each with its dates, grade and sources; its measures; its
neighbourhood."""

from __future__ import annotations

from typing import Any

import streamlit as st
from rdflib import URIRef

from app_pages.common import (
    code,
    current_graph,
    entity_types,
    fmt_date,
    graph_key,
    md,
    network,
    search_index,
    start_validation,
    validation,
)
from app_pages.graph_component import show_graph
from graph.errors import AllianceGraphError
from graph.profile import Profile, entity_profile
from graph.results import short_name
from graph.view import ViewState, build_view, node_measure, to_iri


@st.cache_data(max_entries=64, show_spinner=False)
def _profile(key: str, iri: str) -> Profile:
    return entity_profile(current_graph(), URIRef(iri))


@st.cache_data(max_entries=4, show_spinner="Computing measures…")
def _measures(key: str) -> dict[str, dict[str, float]]:
    g = network(key)
    out: dict[str, dict[str, float]] = {}
    for name in ("degree", "betweenness", "pagerank"):
        for n, v in node_measure(g, name).items():
            out.setdefault(str(n), {})[name] = v
    return out


@st.cache_data(max_entries=32, show_spinner=False)
def _neighbourhood(key: str, iri: str) -> dict[str, Any]:
    from graph.render import draw_view, layout_positions

    view = build_view(network(key), ViewState(focus=iri, hops=1, cap=40))
    g = view.graph
    groups = {n: str(d.get("type", "Entity")) for n, d in g.nodes(data=True)}
    return draw_view(
        g, groups=groups, sizes=node_measure(g, "degree"), hidden=view.hidden, focus=view.focus,
        positions=layout_positions(g), height="420px", group_order=entity_types(key),
    ).items  # fmt: skip


def _go(iri: str) -> None:
    st.query_params["entity"] = short_name(URIRef(iri))


key = graph_key()
kg = current_graph()
start_validation(key)
requested = st.query_params.get("entity", "")

st.title("Entity profile")
with st.sidebar:
    text = st.text_input("Find an entity", key="pr_q", placeholder="e.g. Finland, DIANA")
    if text:
        for m in search_index(key).search(text, limit=8):
            st.button(f"{m.label} · {m.type}", key=f"pr_m_{m.iri}", on_click=_go, args=(str(m.iri),))

if not requested:
    st.info("Choose an entity: search on the left, or click a node on the Explore page.")
    st.stop()

iri = to_iri(requested)
try:
    profile = _profile(key, str(iri))
except AllianceGraphError as err:
    st.error(str(err))
    st.stop()
if not profile.exists:
    st.warning(f"Nothing is known about {md(requested)}.")
    st.stop()

st.header(md(profile.label), anchor=False)
st.caption(f"{md(', '.join(profile.types) or 'Entity')} · {code(short_name(iri))} · {code(profile.iri)}")
if profile.aliases:
    st.markdown("Also known as: " + ", ".join(md(a) for a in profile.aliases))
if profile.description:
    st.markdown(md(profile.description))

report = validation(key, timeout=0)
if report is None:
    st.caption("Checking the shapes in the background; violations, if any, will show here on the next visit.")
elif not isinstance(report, Exception):
    problems = report.by_focus().get(iri, [])
    if problems:
        with st.container(border=True):
            st.markdown(f"⚠ **{len(problems)} SHACL violation(s)**")
            for v in problems:
                st.markdown(f"- {md(v.message)} (property {code(short_name(v.path) if v.path else '-')})")

measures = _measures(key).get(str(iri))
cols = st.columns(4)
if measures:
    cols[0].metric("Relationships (degree)", f"{measures.get('degree', 0):.0f}")
    cols[1].metric("Betweenness", f"{measures.get('betweenness', 0):.3f}")
    cols[2].metric("PageRank", f"{measures.get('pagerank', 0):.3f}")
cols[3].metric("Sources", len(profile.sources()))

if profile.facts:
    with st.expander("Facts", expanded=True):
        st.dataframe([{"property": p, "value": v} for p, v in profile.facts], hide_index=True, width="stretch")

st.subheader("Relationships")
if not profile.statements:
    st.caption("No relationship statements.")
related: dict[str, str] = {}
for group, rows in profile.groups().items():
    st.markdown(f"**{md(group)}** ({len(rows)})")
    table: list[dict[str, Any]] = []
    for r in rows:
        related[r.other] = r.other_label
        table.append(
            {
                "with": r.other_label,
                "role": r.role or "",
                "from": fmt_date(r.start),
                "until": fmt_date(r.end),
                "credibility": r.credibility,
                "status": r.status or "",
                "sources": "; ".join(f"{s.label} ({s.reliability or '?'})" for s in r.sources),
                "source link": next((s.safe_url for s in r.sources if s.safe_url), None),
                "statement": short_name(URIRef(r.iri)),
            }
        )
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "source link": st.column_config.LinkColumn("source link"),
            "credibility": st.column_config.NumberColumn("credibility", help="1 confirmed … 6 cannot be judged"),
        },
    )  # fmt: skip

if related:

    def _open_related() -> None:
        target = st.session_state.get("pr_related")
        st.session_state["pr_related"] = ""
        if target:
            _go(target)

    st.selectbox(
        "Open the profile of a related entity", [""] + sorted(related, key=lambda i: related[i].casefold()),
        format_func=lambda i: related.get(i, "—") if i else "—", key="pr_related", on_change=_open_related,
    )  # fmt: skip

if profile.claims:
    st.subheader("Claims")
    st.dataframe(
        [
            {
                "claim": c.text,
                "status": c.status or "",
                "credibility": c.credibility,
                "sources": "; ".join(f"{s.label} ({s.reliability or '?'})" for s in c.sources),
                "contradicts": ", ".join(short_name(URIRef(x)) for x in c.contradicts),
            }
            for c in profile.claims
        ],
        hide_index=True, width="stretch",
    )  # fmt: skip

st.subheader("Sources")
for s in profile.sources():
    line = f"- **{md(s.reliability or '?')}** · {md(s.label)}"
    if s.safe_url:
        line += f" — [{md(s.safe_url)}]({s.safe_url.replace(')', '%29').replace(' ', '%20')})"
    st.markdown(line)

st.subheader("Neighbourhood")
if iri in network(key):
    res = show_graph(_neighbourhood(key, str(iri)), key="pr_graph", height=450, filename=f"{short_name(iri).replace(':', '-')}.png")
    if res is not None and (getattr(res, "node", None) or getattr(res, "expand", None)):
        target = res.node or res.expand
        if target != str(iri):
            _go(target)
            st.rerun()
    st.page_link("app_pages/explore.py", label="Explore around this entity", icon=":material/hub:",
                 query_params={"focus": short_name(iri)})
else:
    st.caption("Not part of the relationship network.")
