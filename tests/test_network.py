"""The actor projection: what becomes a node and an edge, what each edge carries, and the filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rdflib import URIRef

from graph.network import Filters, ego, holds_on, node_id, parse_date, project
from graph.sparql import run_query
from graph.store import KnowledgeGraph, open_graph

DATA = Path(__file__).parent / "data" / "network"
AGR = "https://w3id.org/alliance-graph/id/"


def agr(name: str) -> URIRef:
    return URIRef(AGR + name)


@pytest.fixture(scope="module", params=["oxigraph", "memory"])
def small(request: pytest.FixtureRequest) -> KnowledgeGraph:
    return open_graph(request.param, [DATA / "small.ttl"], include_default=False)


def relations_between(g, a: str, b: str) -> set[str]:
    return {d["relation"] for d in (g.get_edge_data(agr(a), agr(b)) or {}).values()}


def test_edges_are_statements_with_their_dates_grades_and_every_source(small: KnowledgeGraph) -> None:
    g = project(small)
    data = g.get_edge_data(agr("CAN"), agr("NATO"))
    assert list(data) == [AGR + "st-can-nato"]
    edge = data[AGR + "st-can-nato"]
    assert edge["relation"] == "memberOf"
    assert edge["role"] == "FoundingMember"
    assert edge["start"] == dt.date(1949, 4, 4) and edge["end"] is None
    assert edge["credibility"] == 1 and edge["status"] == "Verified"
    assert edge["sources"] == (AGR + "src-a", AGR + "src-b")


def test_nodes_have_label_most_specific_type_and_kind(small: KnowledgeGraph) -> None:
    g = project(small)
    assert g.nodes[agr("NIF")]["type"] == "Fund"
    assert g.nodes[agr("SWE")]["type"] == "State"  # State and Actor: the subclass wins
    assert g.nodes[agr("CAN")]["label"] == "Canada"
    assert g.nodes[agr("summit-madrid")]["kind"] == "event"
    assert g.nodes[agr("Halifax")]["kind"] == "other"
    assert g.nodes[agr("CAN")]["kind"] == "actor"


def test_schema_types_literals_and_sources_never_become_nodes(small: KnowledgeGraph) -> None:
    g = project(small)
    names = {str(n) for n in g}
    assert not any(n.startswith("https://w3id.org/alliance-graph/ontology#") for n in names)
    assert AGR + "src-a" not in names
    assert {d["relation"] for _, _, d in g.edges(data=True)} <= {"memberOf", "participatesIn", "attended", "locatedIn"}
    assert g.number_of_edges() == 8


def test_as_of_keeps_only_what_held_that_day(small: KnowledgeGraph) -> None:
    before = project(small, Filters(as_of=dt.date(2022, 1, 1)))
    after = project(small, Filters(as_of=dt.date(2025, 1, 1)))
    assert not relations_between(before, "FIN", "NATO")
    assert not relations_between(before, "SWE", "NATO")
    assert relations_between(after, "FIN", "NATO") == {"memberOf"}
    assert relations_between(after, "SWE", "NATO") == {"memberOf"}  # a year alone: from 1 January
    # Sweden left the Partnership for Peace when it joined NATO (end date exclusive).
    assert relations_between(before, "SWE", "PfP") == {"memberOf"}
    assert not relations_between(project(small, Filters(as_of=dt.date(2024, 3, 7))), "SWE", "PfP")
    # No start date: unknown, kept.
    assert relations_between(before, "NATO", "Halifax") == {"locatedIn"}


def test_credibility_relation_status_type_and_event_filters(small: KnowledgeGraph) -> None:
    assert all(d["credibility"] <= 2 for *_, d in project(small, Filters(max_credibility=2)).edges(data=True))
    only = project(small, Filters(relations=frozenset({"participatesIn"})))
    assert {d["relation"] for *_, d in only.edges(data=True)} == {"participatesIn"}
    no_false = project(small, Filters(exclude_status=frozenset({"Contradicted"})))
    assert not relations_between(no_false, "CAN", "NIF")
    assert relations_between(project(small), "CAN", "NIF") == {"participatesIn"}
    states = project(small, Filters(entity_types=frozenset({"State"})))
    assert {d["type"] for _, d in states.nodes(data=True)} == {"State"}
    assert states.number_of_edges() == 0
    actors = project(small, Filters(events=False, actors_only=True))
    assert agr("summit-madrid") not in actors and agr("Halifax") not in actors
    assert agr("summit-madrid") in project(small)


def test_both_stores_give_the_same_network(small: KnowledgeGraph) -> None:
    other = open_graph("memory" if small.backend == "oxigraph" else "oxigraph", [DATA / "small.ttl"], include_default=False)
    a, b = project(small), project(other)
    assert sorted(a.edges(keys=True)) == sorted(b.edges(keys=True))
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(map(str, a.edges(keys=True, data=True))) == sorted(map(str, b.edges(keys=True, data=True)))


def test_dates_of_every_precision() -> None:
    assert parse_date("2024") == dt.date(2024, 1, 1)
    assert parse_date("2024-03") == dt.date(2024, 3, 1)
    assert parse_date("2024-03-07T10:00:00Z") == dt.date(2024, 3, 7)
    assert parse_date("not a date") is None and parse_date(None) is None
    assert holds_on(None, None, dt.date(2000, 1, 1))
    assert not holds_on(dt.date(2001, 1, 1), None, dt.date(2000, 1, 1))


def test_ego_and_node_lookup(small: KnowledgeGraph) -> None:
    g = project(small)
    assert node_id(g, "agr:CAN") == node_id(g, "CAN") == node_id(g, "canada") == agr("CAN")
    around = ego(g, agr("FIN"), hops=1)
    assert set(around) == {agr("FIN"), agr("NATO"), agr("NIF")}
    assert len(ego(g, agr("FIN"), hops=2, cap=3)) == 3
    from graph.errors import ConfigError

    with pytest.raises(ConfigError, match="no entity 'agr:XXX'"):
        node_id(g, "agr:XXX")


# --- the shipped graph --------------------------------------------------------------------


def test_shipped_graph_every_edge_is_a_sourced_statement(kg: KnowledgeGraph) -> None:
    g = project(kg)
    assert g.number_of_edges() > 100
    statements = {
        str(r[0])
        for r in run_query(kg, "SELECT ?st WHERE { ?st ag:subject ?s ; ag:object ?o ; ag:relation ?r }").rows
    }
    keys = {k for _, _, k in g.edges(keys=True)}
    assert keys <= statements
    assert all(d["sources"] for *_, d in g.edges(data=True)), "every shipped statement names a source"


def test_shipped_graph_finland_and_sweden_join_nato(kg: KnowledgeGraph) -> None:
    before = project(kg, Filters(as_of=dt.date(2022, 1, 1)))
    after = project(kg, Filters(as_of=dt.date(2025, 1, 1)))
    for state in ("FIN", "SWE"):
        assert "memberOf" not in relations_between(before, state, "NATO")
        assert "memberOf" in relations_between(after, state, "NATO")
    assert "memberOf" in relations_between(before, "CAN", "NATO")
