"""View state <-> URL, filtering and expansion with caps, and the CONSTRUCT that reproduces a view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rdflib import URIRef

from graph.network import project
from graph.sparql import run_query
from graph.store import KnowledgeGraph, open_graph
from graph.view import ViewState, build_view, construct_query, filter_graph, to_iri

DATA = Path(__file__).resolve().parent / "data" / "app"
AGR = "https://w3id.org/alliance-graph/id/"


@pytest.fixture(scope="module")
def small() -> KnowledgeGraph:
    return open_graph("oxigraph", [DATA / "explorer.ttl"], include_default=False)


@pytest.fixture(scope="module")
def net(small: KnowledgeGraph):  # type: ignore[no-untyped-def]
    return project(small)


def test_state_round_trips_through_the_url() -> None:
    s = ViewState(
        focus="https://w3id.org/alliance-graph/id/CAN", hops=2, cap=7, types=("State",),
        relations=("memberOf", "partnerOf"), as_of=dt.date(2020, 1, 1), min_grade=2,
        sources=("agr:src-nato",), colour="community", size="pagerank", more=("agr:NATO",), top=500,
    )  # fmt: skip
    params = s.to_params()
    assert params["focus"] == "agr:CAN", "links use the short form"
    back = ViewState.from_params(params)
    assert back == s.with_(focus="agr:CAN")
    assert ViewState().to_params() == {}


def test_bad_url_values_are_ignored() -> None:
    s = ViewState.from_params({"hops": "99", "cap": "x", "date": "2020-13-01", "grade": "9", "colour": "<b>", "size": ["degree", "pagerank"]})
    assert s == ViewState(size="pagerank")


def test_to_iri_accepts_short_full_and_bare_names() -> None:
    for v in ("agr:CAN", "CAN", "<https://w3id.org/alliance-graph/id/CAN>", AGR + "CAN"):
        assert to_iri(v) == URIRef(AGR + "CAN")


def test_as_of_2020_has_no_finnish_or_swedish_membership(net) -> None:  # type: ignore[no-untyped-def]
    g = filter_graph(net, ViewState(as_of=dt.date(2020, 1, 1)))
    rels = {(str(u)[len(AGR):], d["relation"], str(v)[len(AGR):]) for u, v, d in g.edges(data=True)}
    assert ("FIN", "partnerOf", "NATO") in rels and ("SWE", "partnerOf", "NATO") in rels
    assert ("FIN", "memberOf", "NATO") not in rels and ("SWE", "memberOf", "NATO") not in rels
    later = filter_graph(net, ViewState(as_of=dt.date(2024, 6, 1)))
    rels = {(str(u)[len(AGR):], d["relation"]) for u, v, d in later.edges(data=True) if str(v) == AGR + "NATO"}
    assert ("FIN", "memberOf") in rels and ("SWE", "memberOf") in rels and ("FIN", "partnerOf") not in rels


def test_grade_type_relation_and_source_filters(net) -> None:  # type: ignore[no-untyped-def]
    g = filter_graph(net, ViewState(min_grade=1))
    assert all(d["credibility"] == 1 for _, _, d in g.edges(data=True))
    g = filter_graph(net, ViewState(types=("State",)))
    assert {d["type"] for _, d in g.nodes(data=True)} == {"State"} or g.number_of_nodes() == 0
    g = filter_graph(net, ViewState(relations=("suppliesTo",)))
    assert {d["relation"] for _, _, d in g.edges(data=True)} == {"suppliesTo"}
    g = filter_graph(net, ViewState(sources=("agr:src-blog",)))
    assert [str(k) for _, _, k in g.edges(keys=True)] == [AGR + "st-lmt-fin"]


def test_expansion_cap_counts_what_is_left_out(net) -> None:  # type: ignore[no-untyped-def]
    v = build_view(net, ViewState(focus="agr:NATO", cap=3))
    assert v.graph.number_of_nodes() == 4
    assert v.hidden[URIRef(AGR + "NATO")] == 4  # seven neighbours, three shown
    opened = build_view(net, ViewState(focus="agr:NATO", cap=3, more=("agr:NATO",)))
    assert opened.graph.number_of_nodes() == 8 and URIRef(AGR + "NATO") not in opened.hidden
    two = build_view(net, ViewState(focus="agr:CAN", hops=2))
    assert URIRef(AGR + "FIN") in two.graph and URIRef(AGR + "LMT") not in two.graph
    assert two.hidden.get(URIRef(AGR + "FIN")) == 1, "Finland's supplier is one more hop away"


def test_whole_network_view_keeps_the_best_connected_and_counts_the_rest(net) -> None:  # type: ignore[no-untyped-def]
    everything = build_view(net, ViewState())
    assert everything.omitted == 0 and everything.graph.number_of_nodes() == net.number_of_nodes()
    v = build_view(net, ViewState(top=4))
    assert v.graph.number_of_nodes() == 4 and v.omitted == net.number_of_nodes() - 4
    degree = dict(net.degree())
    weakest_kept = min(degree[n] for n in v.graph.nodes)
    assert all(degree[n] <= weakest_kept for n in net.nodes if n not in v.graph)
    assert URIRef(AGR + "NATO") in v.graph, "the hub is kept"
    # a focus is never cut by the whole-network limit
    assert build_view(net, ViewState(focus="agr:NATO", top=1)).graph.number_of_nodes() > 1


def test_unknown_focus_gives_an_empty_view(net) -> None:  # type: ignore[no-untyped-def]
    v = build_view(net, ViewState(focus="agr:ATLANTIS"))
    assert v.graph.number_of_nodes() == 0


@pytest.mark.parametrize(
    "state",
    [
        ViewState(),
        ViewState(focus="agr:CAN", hops=2),
        ViewState(focus="agr:NATO", as_of=dt.date(2020, 1, 1), min_grade=2),
        ViewState(relations=("memberOf",), types=("State", "InternationalOrganisation")),
        ViewState(sources=("agr:src-nato",), as_of=dt.date(2023, 6, 1)),
        ViewState(top=4),
    ],
)
def test_construct_query_reproduces_the_view(small: KnowledgeGraph, net, state: ViewState) -> None:  # type: ignore[no-untyped-def]
    view = build_view(net, state)
    text = construct_query(view)
    result = run_query(small, text)
    assert result.kind == "graph" and result.graph is not None
    ag_subject = URIRef("https://w3id.org/alliance-graph/ontology#subject")
    statements = {str(s) for s in result.graph.subjects(ag_subject)}
    assert statements == {str(k) for _, _, k in view.graph.edges(keys=True)}


@pytest.mark.parametrize(
    "state",
    [
        ViewState(),
        ViewState(top=3),
        ViewState(top=5, as_of=dt.date(2020, 1, 1)),
        ViewState(top=4, min_grade=2),
        ViewState(top=2, types=("State",)),
        ViewState(top=6, relations=("memberOf",), sources=("agr:src-nato",)),
    ],
)
def test_the_whole_network_view_is_the_filtered_network_cut_to_its_best_connected(net, state: ViewState) -> None:  # type: ignore[no-untyped-def]
    """build_view builds only the graph it shows; it must be what filtering the whole
    network and keeping the ``top`` best connected entities (ties by IRI) gives."""
    h = filter_graph(net, state)
    best = sorted(h.nodes, key=lambda n: (-h.degree(n), str(n)))[: state.top]
    expected = h.subgraph(best)
    view = build_view(net, state)
    assert set(view.graph.nodes) == set(expected.nodes)
    assert sorted(view.graph.edges(keys=True)) == sorted(expected.edges(keys=True))
    assert all(view.graph.nodes[n] == net.nodes[n] for n in view.graph.nodes)
    assert view.omitted == h.number_of_nodes() - len(best)


def test_entities_around_the_view_are_counted_once_and_an_edge_entity_opens(net) -> None:  # type: ignore[no-untyped-def]
    """The header's "N more not shown" counts distinct entities; "Show N more around X" on
    an entity at the edge of the view adds its neighbours although the hops are spent."""
    v = build_view(net, ViewState(focus="agr:CAN", hops=1))
    und = net.to_undirected(as_view=True)
    shown = set(v.graph.nodes)
    outside = {n for u in shown for n in und.neighbors(u)} - shown
    assert v.hidden_total == len(outside)
    assert sum(v.hidden.values()) >= v.hidden_total
    for u, count in v.hidden.items():
        assert count == len(set(und.neighbors(u)) - shown)
    edge = next(u for u in v.hidden if u != v.focus)
    opened = build_view(net, ViewState(focus="agr:CAN", hops=1, more=(str(edge),)))
    assert set(und.neighbors(edge)) <= set(opened.graph.nodes) and edge not in opened.hidden


def test_a_type_filter_with_neighbours_keeps_lines_with_one_chosen_end() -> None:
    """'State' alone keeps lines between two states; with "and their neighbours" (nb=1) it
    keeps every line with a state at one end (memberships of NATO and the EU included), the
    URL round-trips, and the view's CONSTRUCT returns the same statements."""
    kg = open_graph()
    shipped = project(kg)
    ag = "https://w3id.org/alliance-graph/ontology#"
    only = build_view(shipped, ViewState(types=("State",), relations=("memberOf",)))
    assert only.graph.number_of_edges() == 0  # no state is a member of a state
    state = ViewState(types=("State",), relations=("memberOf",), neighbours=True)
    assert ViewState.from_params(state.to_params()) == state and state.to_params()["nb"] == "1"
    view = build_view(shipped, state)
    types = {n: d.get("type") for n, d in view.graph.nodes(data=True)}
    edges = list(view.graph.edges(keys=True))
    assert len(edges) > 50
    assert all("State" in (types[u], types[v]) for u, v, _ in edges)
    assert "InternationalOrganisation" in set(types.values())
    nato = URIRef("https://w3id.org/alliance-graph/id/NATO")
    assert nato in view.graph and view.graph.in_degree(nato) >= 30
    built = run_query(kg, construct_query(view), limits=None).graph
    assert built is not None
    statements = {str(s) for s in built.subjects(URIRef(ag + "relation"), None)}
    assert statements == {str(k) for _, _, k in edges}
