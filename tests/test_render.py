"""Drawing views: self-contained pages, text-only data, stable layouts, legends, violation marks."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest
from rdflib import URIRef

from graph.network import project
from graph.render import (
    SHAPES,
    assert_self_contained,
    draw_view,
    group_styles,
    layout_positions,
    render_html,
    style_view,
)
from graph.store import open_graph
from graph.view import ViewState, build_view

DATA = Path(__file__).resolve().parent / "data" / "app"
AGR = "https://w3id.org/alliance-graph/id/"
EVIL = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def net() -> nx.MultiDiGraph:
    return project(open_graph("oxigraph", [DATA / "explorer.ttl"], include_default=False))


def groups(g: nx.MultiDiGraph) -> dict:
    return {n: d["type"] for n, d in g.nodes(data=True)}


def test_page_is_self_contained_and_data_is_never_markup(net: nx.MultiDiGraph) -> None:
    html = draw_view(net, groups=groups(net)).html
    assert_self_contained(html)
    # Only licence comments and the SVG namespace mention other hosts; nothing loads from them.
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", html))
    assert hosts <= {"almende.com", "opensource.org", "www.apache.org", "www.w3.org", "github.com", "visjs.github.io", "w3id.org", "www.nato.int"}
    assert "cdnjs" not in html and "jsdelivr" not in html and "fonts.g" not in html
    # The hostile label appears only inside JSON, with <, > and & escaped.
    assert EVIL not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e\\u003c/script\\u003e" in html
    plain = render_html(nx.path_graph(2))
    assert html.count("<script") == plain.count("<script"), "no script tag comes from the data"
    assert html.count("</script") == plain.count("</script")


def test_style_marks_focus_violations_hidden_and_doubtful_edges(net: nx.MultiDiGraph) -> None:
    view = build_view(net, ViewState(focus="agr:CAN", cap=1))
    can, evil = URIRef(AGR + "CAN"), URIRef(AGR + "EVIL")
    d, legend, pairs = style_view(
        view.graph, groups=groups(view.graph), violations={can: ["a state needs a label"]},
        hidden=view.hidden, focus=view.focus,
    )  # fmt: skip
    node = d.nodes[can]
    assert node["shape"] == "star" and node["borderWidth"] == 5 and node["label"].startswith("⚠ ")
    assert "a state needs a label" in node["title"] and "more neighbours not shown" in node["title"]
    assert legend and all(shape in SHAPES for _, _, shape in legend)
    for eid, (u, v) in pairs.items():
        assert eid == f"{u} {v}"
    if evil in d:
        edge = d.edges[evil, can]
        assert edge["dashes"] is True, "an opinion is drawn dashed"


def test_parallel_statements_become_one_line_listing_each(net: nx.MultiDiGraph) -> None:
    g = nx.MultiDiGraph()
    g.add_node("A", label="A", type="State")
    g.add_node("B", label="B", type="InternationalOrganisation")
    g.add_edge("A", "B", "s1", relation="memberOf", credibility=1, status="Verified", sources=("x",))
    g.add_edge("A", "B", "s2", relation="partnerOf", credibility=2, status="Verified", sources=())
    g.add_edge("B", "A", "s3", relation="hosts", credibility=3, status="Verified", sources=())
    d, _, pairs = style_view(g, groups={"A": "State", "B": "Org"})
    assert d.number_of_edges() == 1 and len(pairs) == 1
    (u, v, data), = d.edges(data=True)
    assert data["label"] == "hosts, memberOf, partnerOf" and data["arrows"] == "to, from"
    assert data["title"].count("\n→ ") + data["title"].count("\n← ") == 3


def test_layout_is_stable_and_filters_do_not_move_nodes(net: nx.MultiDiGraph) -> None:
    first = layout_positions(net)
    again = layout_positions(net.copy())
    assert first == again
    html1 = render_html(nx.path_graph(4), positions={i: (i * 10.0, 0.0) for i in range(4)})
    assert '"x": 30.0' in html1 and '"physics": {"enabled": false' in html1


def test_two_thousand_nodes_render_quickly() -> None:
    import time

    g = nx.MultiDiGraph()
    for i in range(2000):
        g.add_node(i, label=f"n{i}", type="State" if i % 3 else "Company")
    for i in range(1, 2000):
        g.add_edge(i, i // 3, f"s{i}", relation="memberOf", credibility=1, status="Verified", sources=())
    started = time.perf_counter()
    drawing = draw_view(g, groups=groups(g), positions={n: (float(n), 0.0) for n in g})
    assert drawing.nodes == 2000 and drawing.edges == 1999
    assert time.perf_counter() - started < 5


def test_every_type_of_a_big_ontology_looks_different_and_the_same_in_every_view() -> None:
    """Thirty types (the shipped network has about that many) get thirty different
    colour-and-shape pairs; given the network's types, a type keeps its style whichever
    other types a view shows (the Explore legend, the profile and the Analytics chart agree)."""
    types = [f"Type{i:02d}" for i in range(30)]
    styles = group_styles(types, types)
    assert len(set(styles.values())) == 30
    view_a = group_styles(["Type03", "Type29"], types)
    view_b = group_styles(["Type29"], types)
    assert view_a["Type29"] == view_b["Type29"] == styles["Type29"]
    assert group_styles(["Type29"])["Type29"] != styles["Type29"], "without the order, styles follow the view"
    g = nx.MultiDiGraph()
    g.add_node("a", label="a", type="Type29")
    g.add_node("b", label="b", type="Type03")
    g.add_edge("a", "b", "s", relation="r")
    d, legend, _ = style_view(g, groups={"a": "Type29", "b": "Type03"}, group_order=types)
    assert (d.nodes["a"]["color"], d.nodes["a"]["shape"]) == styles["Type29"]
    assert ("Type29", *styles["Type29"]) in legend
