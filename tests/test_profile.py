"""Entity profiles, statement details, sources, contradictions, timeline, ontology reference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from graph import paths
from graph.errors import QueryError
from graph.ontology_ref import ontology_terms, reference_markdown
from graph.profile import entity_profile, statement_detail
from graph.sources import list_contradictions, list_sources, source_statements
from graph.sparql import run_query
from graph.store import KnowledgeGraph, open_graph
from graph.timeline import filter_events, timeline_events

DATA = Path(__file__).resolve().parent / "data" / "app"
EVIL = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def small() -> KnowledgeGraph:
    return open_graph("oxigraph", [DATA / "explorer.ttl"], include_default=False)


def test_profile_groups_by_relation_with_dates_grades_sources(small: KnowledgeGraph) -> None:
    p = entity_profile(small, "agr:FIN")
    assert p.label == "Finland" and "State" in p.types
    groups = p.groups()
    assert set(groups) == {"member of →", "partner of →", "← supplies to"}
    member = groups["member of →"][0]
    assert member.start == dt.date(2023, 4, 4) and member.credibility == 1 and member.status == "Verified"
    assert [(s.label, s.reliability) for s in member.sources] == [("NATO member countries page", "A")]
    assert member.sources[0].safe_url and member.sources[0].safe_url.startswith("https://www.nato.int/")
    pfp = groups["partner of →"][0]
    assert (pfp.start, pfp.end) == (dt.date(1994, 5, 9), dt.date(2023, 4, 4))


def test_profile_aliases_claims_and_unsafe_urls(small: KnowledgeGraph) -> None:
    p = entity_profile(small, "https://w3id.org/alliance-graph/id/SWE")
    assert p.claims[0].text == "Sweden joined NATO in 2023." and p.claims[0].contradicts
    kor = entity_profile(small, "KOR")
    assert kor.aliases == ["Korea", "South Korea"]
    blog = statement_detail(small, "agr:st-lmt-fin").sources[0]
    assert blog.url == "javascript:alert(4)" and blog.safe_url is None


def test_profile_keeps_hostile_text_verbatim(small: KnowledgeGraph) -> None:
    p = entity_profile(small, "agr:EVIL")
    assert p.label == EVIL and p.aliases == ["javascript:alert(3)"]


def test_unknown_entity_and_statement(small: KnowledgeGraph) -> None:
    assert not entity_profile(small, "agr:NOPE").exists
    with pytest.raises(QueryError):
        statement_detail(small, "agr:NOPE")


def test_sources_and_contradictions(small: KnowledgeGraph) -> None:
    sources = {s.label: s for s in list_sources(small)}
    assert sources["NATO member countries page"].reliability == "A"
    assert sources["NATO member countries page"].statements == 10
    assert sources["A defence blog"].claims == 2 and sources["A defence blog"].safe_url is None
    items = source_statements(small, "agr:src-blog")
    assert {i.text for i in items if i.text} == {"Sweden joined NATO in 2023.", "Canada hosts a DIANA test centre."}
    (c,) = list_contradictions(small)
    assert {c.a.text, c.b.text} == {"Sweden joined NATO in 2023.", "Sweden memberOf NATO from 2024-03-07"}


def test_timeline(small: KnowledgeGraph) -> None:
    events = timeline_events(small)
    assert [e.date for e in events] == sorted(e.date for e in events)
    summit = next(e for e in events if e.category == "Summit")
    assert summit.title == "Vilnius Summit" and summit.date == dt.date(2023, 7, 11)
    fin = filter_events(events, entity="https://w3id.org/alliance-graph/id/FIN", categories=["Membership"])
    assert [e.title for e in fin] == ["Finland member of NATO"]  # the relation by its label
    assert not filter_events(events, end=dt.date(1940, 1, 1))


def test_ontology_reference_from_the_file() -> None:
    terms = ontology_terms(DATA / "explorer.ttl")
    state = next(t for t in terms if t.name == "ag:State")
    assert state.kind == "Class" and state.parents == ("ag:Actor",) and state.comment == "A sovereign state."
    member = next(t for t in terms if t.name == "ag:memberOf")
    assert member.domain == ("ag:Actor",) and member.range == ("ag:InternationalOrganisation",)
    text = reference_markdown(terms)
    assert "### `ag:State`" in text and "## Classes" in text


def test_shipped_profile_and_ontology(kg) -> None:  # type: ignore[no-untyped-def]
    p = entity_profile(kg, "agr:CAN")
    assert p.label == "Canada" and "member of →" in p.groups()
    assert all(src.reliability for st in p.statements for src in st.sources)
    terms = ontology_terms()
    assert len(terms) > 20 and all(t.label for t in terms if t.kind == "Class")


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_timeline_names_each_event_by_its_most_specific_class(store: str) -> None:
    """The rules give every item all its superclasses (Summit, Meeting, Event, Entity...):
    the timeline files an event under the most specific one, on either store."""
    kg = open_graph(store)
    events = {e.item: e for e in timeline_events(kg)}
    assert events["https://w3id.org/alliance-graph/id/summit-2022-madrid"].category == "Summit"
    assert events["https://w3id.org/alliance-graph/id/summit-2004-istanbul"].category == "Summit"
    assert not [e.title for e in events.values() if e.category in ("Entity", "Statement")]
    rows = run_query(kg, paths.queries_dir() / "timeline.rq").rows
    assert len(rows) == len({(str(r[0]), str(r[1])) for r in rows}), "one row per item and date"


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_timeline_writes_dates_as_far_as_they_are_known(store: str) -> None:
    """The Quad's memberships (2007, known to the year) read "2007", not "2007-01-01"; a
    treaty's milestone is named by its treaty ("North Atlantic Treaty: signed", 1949-04-04)."""
    events = timeline_events(open_graph(store))
    quad = [e for e in events if e.item == "https://w3id.org/alliance-graph/id/st-AUS-memberOf-Quad"]
    assert quad and quad[0].precision == "YearPrecision" and quad[0].when == "2007"
    signed = next(e for e in events if e.item == "https://w3id.org/alliance-graph/id/st-treaty-north-atlantic-signed")
    assert signed.title == "North Atlantic Treaty: signed" and signed.when == "1949-04-04"
    assert not [e for e in events if e.title.startswith("agr:st-")], "a milestone named by its IRI"
    assert {e.precision for e in events} == {"DayPrecision", "MonthPrecision", "YearPrecision"}
