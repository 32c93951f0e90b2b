"""Analytics: rankings, communities, paths between two entities with their statements, change
between two dates, gap analysis and suggested links, with charts where they say more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import networkx as nx
import pandas as pd
import streamlit as st
from rdflib import URIRef

from app_pages.common import graph_key, network, type_styles
from graph.render import describe_statement, written_date
from graph.results import short_name
from graph.view import ViewState, filter_graph, node_communities, node_measure

MEASURES = {"degree": "Degree", "betweenness": "Betweenness", "pagerank": "PageRank"}


def _analytics() -> Any:
    try:
        from graph import analytics  # type: ignore[attr-defined]
    except ImportError:
        return None
    return analytics


@st.cache_resource(max_entries=8, show_spinner=False)
def _actors(key: str, as_of: dt.date | None) -> nx.MultiDiGraph:
    """The network without events (attendance would dominate every measure), as of a date."""
    g = network(key)
    actors = g.subgraph([n for n, d in g.nodes(data=True) if not d.get("event")])
    return filter_graph(nx.MultiDiGraph(actors), ViewState(as_of=as_of))


@st.cache_data(max_entries=16, show_spinner="Computing…")
def _ranking(key: str, measure: str, as_of: dt.date | None) -> pd.DataFrame:
    g = _actors(key, as_of)
    scores = node_measure(g, measure)
    rows = [
        {"entity": str(g.nodes[n].get("label", n)), "type": str(g.nodes[n].get("type", "Entity")), measure: v, "id": short_name(n)}
        for n, v in scores.items()
    ]
    return pd.DataFrame(rows).sort_values(measure, ascending=False) if rows else pd.DataFrame()


def _label(g: nx.Graph, n: Any) -> str:
    return str(g.nodes[n].get("label", n)) if n in g else short_name(n)


key = graph_key()
st.title("Analytics")
st.caption(
    "Over the relationship network without events (summits and meetings are left out so that attendance "
    "does not dominate). Measures come from "
    + ("`graph.analytics`." if _analytics() is not None else "networkx.")
)
tabs = st.tabs(["Rankings", "Communities", "Paths", "Change over time", "Gaps and suggestions"])

with tabs[0]:
    c1, c2, c3 = st.columns(3)
    measure = c1.selectbox("Measure", list(MEASURES), format_func=MEASURES.get, key="an_measure")
    use_date = c2.checkbox("As of a date", key="an_use_date")
    as_of = c2.date_input("As of", value=dt.date.today(), key="an_date", disabled=not use_date)
    top = c3.slider("Show the top", 5, 50, 15, key="an_top")
    frame = _ranking(key, measure, as_of if use_date and isinstance(as_of, dt.date) else None)
    if frame.empty:
        st.info("No relationships with these settings.")
    else:
        head = frame.head(top)
        # the colours of the Explore page's legend, type by type
        styles = type_styles(key)
        shown_types = sorted(set(head["type"]))
        chart = (
            alt.Chart(head)
            .mark_bar()
            .encode(
                x=alt.X(f"{measure}:Q", title=MEASURES[measure]),
                y=alt.Y(
                    "entity:N", sort="-x", title=None,
                    axis=alt.Axis(labelLimit=320, labelOverlap=False),  # every bar named, in full
                ),
                color=alt.Color(
                    "type:N", title="Type",
                    scale=alt.Scale(domain=shown_types, range=[styles.get(t, ("#999999", ""))[0] for t in shown_types]),
                ),
                tooltip=["entity:N", "type:N", alt.Tooltip(f"{measure}:Q", format=".3f")],
            )
            .properties(height=max(200, 26 * len(head)))
        )  # fmt: skip
        st.altair_chart(chart, width="stretch")
        st.dataframe(head, hide_index=True, width="stretch")

with tabs[1]:
    g = _actors(key, None)
    comms = node_communities(g)
    groups: dict[int, list[str]] = {}
    for n, c in comms.items():
        groups.setdefault(c, []).append(_label(g, n))
    st.caption(f"{len(groups)} communities (Louvain modularity, seeded: the same every time).")
    st.dataframe(
        [
            {"community": c + 1, "size": len(m), "members": ", ".join(sorted(m, key=str.casefold))}
            for c, m in sorted(groups.items(), key=lambda kv: -len(kv[1]))
        ],
        hide_index=True, width="stretch",
    )  # fmt: skip

with tabs[2]:
    g = _actors(key, None)
    names = sorted(g.nodes, key=lambda n: _label(g, n).casefold())
    c1, c2 = st.columns(2)
    a = c1.selectbox("From", names, format_func=lambda n: _label(g, n), key="an_from", index=None)
    b = c2.selectbox("To", names, format_func=lambda n: _label(g, n), key="an_to", index=None)
    if a is not None and b is not None and a != b:
        from graph import analytics as an

        paths = an.shortest_paths(g, a, b, limit=5)
        if not paths:
            st.info("No path joins them in the relationship network.")
        for i, path in enumerate(paths, start=1):
            with st.container(border=True):
                st.markdown(f"**Path {i}** ({len(path)} step{'s' if len(path) > 1 else ''})")
                lines = []
                for hop in path.hops:
                    for stmt in hop.statements:
                        x, y = URIRef(stmt["subject"]), URIRef(stmt["object"])
                        lines.append(f"{_label(g, x)} → {_label(g, y)}: {describe_statement(stmt)}")
                st.text("\n".join(lines))

with tabs[3]:
    c1, c2 = st.columns(2)
    d1 = c1.date_input("From", value=dt.date(2020, 1, 1), key="an_d1")
    d2 = c2.date_input("To", value=dt.date.today(), key="an_d2")
    if isinstance(d1, dt.date) and isinstance(d2, dt.date):
        from graph import analytics as an

        g1, g2 = _actors(key, d1), _actors(key, d2)
        full = network(key)
        change = an.rank_changes(g1, g2, measure="degree", day_from=d1, day_to=d2)
        added, ended, maybe = change["added"], change["ended"], change["maybe_ended"]
        unsure = sum(1 for r in added if r.get("certainty") == "uncertain")
        st.markdown(
            f"**{len(added)}** relationships began and **{len(ended)}** ended between {d1} and {d2}"
            + (f"; {unsure} of those that began are uncertain on {d2} (a start known only to its year or month)" if unsure else "")
            + (f"; {len(maybe)} more may have ended (an end known only to its year or month)" if maybe else "")
            + "."
        )  # fmt: skip
        for title, items in (("Began", added), ("Ended", ended), ("May have ended", maybe)):
            if items:
                st.markdown(f"**{title}**")
                st.dataframe(
                    [
                        {"from": _label(full, URIRef(r["subject"])), "relation": r.get("relation"),
                         "to": _label(full, URIRef(r["object"])),
                         "start": written_date(r.get("start"), r.get("start_precision")),
                         "end": written_date(r.get("end"), r.get("end_precision")),
                         "credibility": r.get("credibility"),
                         **({"on " + str(d2): r.get("certainty")} if title == "Began" else {})}
                        for r in items
                    ],
                    hide_index=True, width="stretch",
                )  # fmt: skip
        moves = [r for r in change["ranks"] if r.get("value_from") != r.get("value_to")]
        moves.sort(key=lambda r: -abs((r.get("value_to") or 0) - (r.get("value_from") or 0)))
        frame = pd.DataFrame(
            [{"entity": str(r["label"]), "change in degree": (r.get("value_to") or 0) - (r.get("value_from") or 0)}
             for r in moves[:15]]
        )  # fmt: skip
        if not frame.empty:
            st.altair_chart(
                alt.Chart(frame).mark_bar().encode(
                    x="change in degree:Q", y=alt.Y("entity:N", sort="-x", title=None),
                    color=alt.condition("datum['change in degree'] > 0", alt.value("#009E73"), alt.value("#D55E00")),
                    tooltip=["entity:N", "change in degree:Q"],
                ),
                width="stretch",
            )  # fmt: skip

with tabs[4]:
    g = _actors(key, dt.date.today())
    st.markdown("**Gap analysis**: who, among entities of the same type, lacks a relationship their peers have.")
    rels = sorted({d["relation"] for _, _, d in g.edges(data=True)})
    c1, c2 = st.columns(2)
    rel = c1.selectbox("Relation", rels, key="an_gap_rel", index=rels.index("memberOf") if "memberOf" in rels else 0)
    targets = sorted({v for _, v, d in g.edges(data=True) if d["relation"] == rel}, key=lambda n: _label(g, n).casefold())
    target = c2.selectbox("With", targets, format_func=lambda n: _label(g, n), key="an_gap_target")
    if target is not None:
        have = {u for u, v, d in g.edges(data=True) if d["relation"] == rel and v == target}
        types = {g.nodes[n].get("type") for n in have}
        lacking = sorted(
            (n for n, d in g.nodes(data=True) if d.get("type") in types and n not in have and n != target),
            key=lambda n: _label(g, n).casefold(),
        )
        st.caption(
            f"{len(have)} have it; {len(lacking)} other {', '.join(sorted(map(str, types)))} entities do not "
            "(today, as the graph records it)."
        )
        st.dataframe(
            [{"entity": _label(g, n), "type": g.nodes[n].get("type"), "relationships": g.degree(n)} for n in lacking],
            hide_index=True, width="stretch",
        )  # fmt: skip
    from graph import analytics as an

    st.markdown("**Groups most peers share, and who stands outside** (from `graph.analytics.gaps`).")
    gap_rows = an.gaps(g)[:15]
    if gap_rows:
        st.dataframe(
            [
                {"group": _label(g, r["group"]), "peers": _label(g, r["peers"]),
                 "inside": f"{r['inside']} of {r['peer_count']}",
                 "outside": ", ".join(_label(g, n) for n in r["outside"])}
                for r in gap_rows
            ],
            hide_index=True, width="stretch",
        )  # fmt: skip
    st.markdown("**Suggested links**: pairs not yet related that share many neighbours (Adamic–Adar).")
    rows = [
        {"entity": _label(g, r["a"]), "could relate to": _label(g, r["b"]), "score": round(r["adamic_adar"], 3),
         "shared neighbours": ", ".join(_label(g, n) for n in r["because"][:8])}
        for r in an.suggest_links(g, top=20)
    ]  # fmt: skip
    st.dataframe(rows, hide_index=True, width="stretch")
