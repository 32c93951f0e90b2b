"""The user's own data: CSV sheets and Turtle, checked and validated before they join; errors name
row and field; a failed upload changes nothing; a good one makes a new graph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graph.errors import ValidationFailed
from graph.importer import check_import, import_files, merge_import
from graph.network import project
from graph.store import KnowledgeGraph, open_graph

DATA = Path(__file__).resolve().parent / "data" / "app"
SHAPES = DATA / "shapes.ttl"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small() -> KnowledgeGraph:
    return open_graph("oxigraph", [DATA / "explorer.ttl"], include_default=False)


def messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(i) for i in result.issues]


def test_csv_errors_name_row_and_field(small: KnowledgeGraph) -> None:
    r = import_files([DATA / "entities.csv", DATA / "relationships.csv"], small, shapes=SHAPES)
    assert not r.ok
    found = messages(r)
    assert any(m.startswith("entities.csv, row 3, field 'Type': unknown entity type 'Sttae'") for m in found), found
    assert "relationships.csv, row 3, field 'Credibility': credibility must be a whole number from 1 (best) to 6: '9'" in found
    assert any(m.startswith("relationships.csv, row 3, field 'Source reliability'") for m in found)
    assert "relationships.csv, row 4, field 'From': no entity 'Atlantis' in the entities sheet or the graph" in found
    assert any(m.startswith("relationships.csv, row 4, field 'Start': not a date: '2000-13-01'") for m in found)


def test_shacl_violations_are_mapped_back_to_rows(small: KnowledgeGraph) -> None:
    r = import_files([DATA / "entities-ok.csv", DATA / "relationships-shacl.csv"], small, shapes=SHAPES)
    assert r.validated and not r.ok
    found = messages(r)
    assert "relationships-shacl.csv, row 3, field 'Source reliability': a source needs a reliability grade A to F" in found
    assert "relationships-shacl.csv, row 3, field 'Credibility': a relationship needs a credibility grade from 1 to 6" in found


def test_a_failed_upload_changes_nothing(small: KnowledgeGraph) -> None:
    before = len(small)
    r = import_files([DATA / "entities.csv", DATA / "relationships.csv"], small, shapes=SHAPES)
    with pytest.raises(ValidationFailed):
        merge_import(small, r)
    assert len(small) == before


def test_a_good_upload_makes_a_new_graph(small: KnowledgeGraph) -> None:
    before = len(small)
    rel = b"From,To,Type,Start,Credibility,Status,Source,Source label,Source reliability\n" \
          b"Poland,NATO,memberOf,1999-03-12,1,Verified,src-nato,,\n" \
          b"POL,Canada,partnerOf,1999,2,,src-new,A new source,B\n"  # fmt: skip
    r = check_import([("entities.csv", (DATA / "entities-ok.csv").read_bytes()), ("rel.csv", rel)], small, shapes=SHAPES)
    assert r.ok, messages(r)
    assert (r.entities, r.statements) == (2, 2)
    new = merge_import(small, r)
    assert new is not small and len(small) == before and len(new) > before
    g = project(new)
    pol = "https://w3id.org/alliance-graph/id/POL"
    assert {d["relation"] for u, _, d in g.edges(data=True) if str(u) == pol} == {"memberOf", "partnerOf"}
    assert "Polska" in r.turtle()
    # this session's own graph: the explorer's disk cache never keeps what is derived from it
    from graph import diskcache

    assert small.file_stamps and diskcache.entry_key(small, "network") is not None
    assert not new.file_stamps and diskcache.entry_key(new, "network") is None


def test_turtle_syntax_error_names_the_line(small: KnowledgeGraph) -> None:
    bad = b"@prefix agr: <https://w3id.org/alliance-graph/id/> .\nagr:X agr:y \"unterminated .\n"
    r = check_import([("mine.ttl", bad)], small, shapes=SHAPES)
    (issue,) = r.issues
    assert issue.file == "mine.ttl" and issue.line == 2 and "line 2" in str(issue)


def test_turtle_shacl_violation_names_node_and_property(small: KnowledgeGraph) -> None:
    ttl = b"""@prefix ag: <https://w3id.org/alliance-graph/ontology#> .
@prefix agr: <https://w3id.org/alliance-graph/id/> .
agr:st-x ag:subject agr:CAN ; ag:object agr:NATO ; ag:relation ag:memberOf ; ag:credibility 7 .
"""
    r = check_import([("mine.ttl", ttl)], small, shapes=SHAPES)
    found = messages(r)
    assert any("agr:st-x, property ag:credibility" in m for m in found), found
    assert any("agr:st-x, property prov:wasDerivedFrom: a relationship needs a source" in m for m in found), found


def test_mixed_or_unknown_sheets_are_refused(small: KnowledgeGraph) -> None:
    r = check_import([("a.csv", b"Name,Colour\nx,y\n")], small, shapes=SHAPES)
    assert "not an entities sheet" in messages(r)[0]
    r = check_import([("a.csv", b"Label,Type\nx,State\n"), ("b.ttl", b"")], small, shapes=SHAPES)
    assert not r.ok


def test_cli_import_writes_turtle(tmp_path: Path) -> None:
    out = tmp_path / "mine.ttl"
    ok = subprocess.run(
        [sys.executable, "-m", "graph", "import", str(DATA / "entities-ok.csv"), "-o", str(out), "--shapes", str(SHAPES)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "2 entities" in ok.stdout and "agr:POL" in out.read_text()
    bad = subprocess.run(
        [sys.executable, "-m", "graph", "import", str(DATA / "entities.csv"), str(DATA / "relationships.csv"),
         "--shapes", str(SHAPES)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "entities.csv, row 3, field 'Type'" in bad.stderr


def test_shipped_shapes_accept_a_complete_sheet_and_refuse_a_thin_one(kg: KnowledgeGraph) -> None:
    r = import_files([DATA / "state-complete.csv", DATA / "membership-complete.csv"], kg)
    assert r.ok and r.validated, messages(r)
    thin = check_import([("thin.csv", b"ID,Label,Type\nPOL-Y,Poland (thin),State\n")], kg)
    assert not thin.ok
    assert any("thin.csv, row 2, field 'ISO3'" in m for m in messages(thin)), messages(thin)
