"""Search over labels and aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.search import SearchIndex, fold
from graph.store import open_graph

DATA = Path(__file__).resolve().parent / "data" / "app"


@pytest.fixture(scope="module")
def idx() -> SearchIndex:
    return SearchIndex(open_graph("oxigraph", [DATA / "explorer.ttl"], include_default=False))


def test_alias_finds_the_entity(idx: SearchIndex) -> None:
    top = idx.search("Korea")[0]
    assert top.short == "agr:KOR" and top.label == "Republic of Korea" and top.kind == "alias"
    assert idx.search("DIANA")[0].label == "Defence Innovation Accelerator for the North Atlantic"


def test_case_accents_and_ranking(idx: SearchIndex) -> None:
    assert idx.search("canada")[0].short == "agr:CAN"
    assert idx.search("CAN")[0].short == "agr:CAN", "the local name counts"
    names = [m.short for m in idx.search("nato")]
    assert names[0] == "agr:NATO", "an exact label beats a longer one containing the word"
    assert fold("Türkiye") == "turkiye"
    assert idx.search("") == [] and idx.search("zzzz") == []


def test_ontology_terms_and_statements_are_not_found(idx: SearchIndex) -> None:
    assert all(not m.short.startswith("ag:") for m in idx.search("member"))
    assert not idx.search("st-can-nato")


def test_shipped_graph(kg) -> None:  # type: ignore[no-untyped-def]
    idx = SearchIndex(kg)
    assert idx.search("Canada")[0].short == "agr:CAN"
    assert idx.search("Korea")[0].short == "agr:KOR"
    assert idx.search("DIANA")[0].short == "agr:DIANA"


def test_a_misspelt_name_finds_the_entity_after_the_exact_matches() -> None:
    """ "Kanada" finds Canada, "Koria" Korea, "Austrlia" Australia; an exact or prefix match
    still comes before any near spelling, and gibberish finds nothing."""
    shipped = SearchIndex(open_graph())
    assert shipped.search("Kanada")[0].short == "agr:CAN"
    assert shipped.search("Koria")[0].short == "agr:KOR"
    assert "agr:AUS" in [m.short for m in shipped.search("Austrlia")[:3]]
    top = shipped.search("Canada")
    assert top[0].short == "agr:CAN" and top[0].score == 0
    assert all(m.score < 40 for m in top if "canada" in fold(m.matched))
    assert shipped.search("xqzwv") == []


def test_each_match_names_the_most_specific_type() -> None:
    """ "Canada · State", "DIANA · Programme": never the catch-all "Entity" where the entity
    has a more specific type."""
    shipped = SearchIndex(open_graph())
    assert shipped.search("Canada")[0].type == "State"
    assert shipped.search("DIANA")[0].type == "Programme"
    assert shipped.search("NATO")[0].type == "InternationalOrganisation"
    assert not [m for q in ("Korea", "Japan", "PESCO", "AUKUS") for m in shipped.search(q) if m.type == "Entity"]
