"""The Explore page's drawing of a view, cached by graph and view parameters.

Kept out of the page script so that ``alliance-graph explore`` can draw the default view
while the server starts (:func:`warm_default_view`): the first visitor's page then finds
its graph already drawn instead of building, laying out and rendering it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from rdflib import URIRef

from app_pages.common import entity_types, full_layout, network
from app_pages.graph_component import frame_page, items_digest
from graph.view import ViewState, build_view, construct_query, node_communities, node_measure

GRAPH_HEIGHT = 660

#: ``(node, messages)`` pairs of SHACL violations to mark, or ``None`` (not validated yet).
Marks = tuple[tuple[str, tuple[str, ...]], ...] | None


# cache_resource, not cache_data: a view at 100k triples is megabytes of items, which
# cache_data would unpickle on every rerun. Callers only read the result.
@st.cache_resource(max_entries=32, show_spinner=False)
def draw_view_cached(key: str, params: tuple[tuple[str, str], ...], violations: Marks) -> dict[str, Any]:
    """Build and draw a view: its vis-network items, the legend and what the page shows
    beside the picture (counts, hidden neighbours, the CONSTRUCT query). The offline page
    is made from the items only when asked for (:func:`view_page`)."""
    from graph.render import draw_view, layout_positions

    state = ViewState.from_params(dict(params))
    view = build_view(network(key), state)
    g = view.graph
    order: tuple[str, ...] = ()
    if state.colour == "community":
        comms = node_communities(g)
        groups = {n: f"Community {comms.get(n, 0) + 1}" for n in g.nodes}
    else:
        groups = {n: str(d.get("type", "Entity")) for n, d in g.nodes(data=True)}
        order = entity_types(key)  # a type looks the same in every view
    sizes = node_measure(g, state.size) if state.size != "none" else {}
    if view.focus is None:
        base = full_layout(key)
        positions = {n: base[n] for n in g.nodes if n in base}
    else:
        positions = layout_positions(g)
    drawing = draw_view(
        g, groups=groups, sizes=sizes,
        violations={URIRef(n): list(m) for n, m in violations} if violations else None,
        hidden=view.hidden, focus=view.focus, positions=positions,
        height=f"{GRAPH_HEIGHT}px", size_label="PageRank" if state.size == "pagerank" else state.size,
        group_order=order,
    )  # fmt: skip
    return {
        "items": drawing.items,
        "key": items_digest(drawing.items),  # once per drawing, not on every rerun
        "legend": drawing.legend,
        "edge_pairs": {k: (str(u), str(v)) for k, (u, v) in drawing.edge_pairs.items()},
        "nodes": drawing.nodes,
        "edges": g.number_of_edges(),
        "hidden": {str(n): c for n, c in view.hidden.items()},
        "hidden_total": view.hidden_total,
        "omitted": view.omitted,
        "focus_found": view.focus is None or view.focus in g,
        "construct": construct_query(view),
    }


def default_params() -> tuple[tuple[str, str], ...]:
    """The parameters of the view a fresh Explore page shows (no link, no choices made)."""
    return tuple(sorted(ViewState.from_params({}).to_params().items()))


def warm_default_view(key: str) -> None:
    """Draw the default view into the cache (before validation has marked anything), and
    make the empty vis-network page its frame loads."""
    draw_view_cached(key, default_params(), None)
    frame_page(GRAPH_HEIGHT)


def view_page(drawn: dict[str, Any]) -> str:
    """The drawn view as a self-contained HTML page (vis-network inlined): the offline export."""
    from graph.render import page_html

    return page_html(drawn["items"]["nodes"], drawn["items"]["edges"], height=f"{GRAPH_HEIGHT}px")
