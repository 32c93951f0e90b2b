"""Bad data, in every format, through every entry point: one clear error, nothing loaded, nothing fetched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from graph.cli import main
from graph.errors import DataLoadError
from graph.store import open_graph

DATA = Path(__file__).parent / "data"

MALFORMED = {
    "bad.ttl": ('@prefix ex: <http://ex/> .\nex:a ex:b "ok" .\nex:a ex:b ex:c ex:d .\n', 3),
    "bad.nt": ("<http://ex/a> <http://ex/b> <http://ex/c> .\n<http://ex/a> <http://ex/b> .\n", 2),
    "bad.jsonld": ('{\n  "@id": "http://ex/a",\n  "http://ex/b": [\n}\n', 4),
    "bad.rdf": (
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="http://ex/a">\n</rdf:RDF>\n',
        4,
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_file_names_file_and_line(name: str, tmp_path: Path) -> None:
    text, line = MALFORMED[name]
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DataLoadError) as info:
        open_graph("oxigraph", [f], include_default=False)
    err = info.value
    assert err.file == str(f)
    assert err.line == line, str(err)
    assert str(err).startswith(f"{f}, line {line}")


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_cli_reports_malformed_file_once_with_exit_2(name: str, tmp_path: Path, capsys) -> None:
    text, line = MALFORMED[name]
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    assert main(["query", "ASK { ?s ?p ?o }", "--data", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{name}, line {line}" in err[0]


def test_empty_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "empty.ttl"
    f.write_bytes(b"")
    with pytest.raises(DataLoadError, match="empty.ttl: .*empty"):
        open_graph("oxigraph", [f], include_default=False)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "image.ttl"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DataLoadError, match="image.ttl"):
        open_graph("oxigraph", [f], include_default=False)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ALLIANCE_GRAPH_MAX_FILE_MB", "1")
    f = tmp_path / "big.nt"
    line = b"<http://ex/a> <http://ex/b> \"" + b"x" * 200 + b"\" .\n"
    f.write_bytes(line * (2 * 1024 * 1024 // len(line) + 1))
    with pytest.raises(DataLoadError, match=r"big.nt: file is 2\.0 MB, over the 1 MB limit"):
        open_graph("oxigraph", [f], include_default=False)


def _digest(kg) -> str:
    from graph.export import export_rdf

    lines = sorted(export_rdf(kg, "nt").decode("utf-8").splitlines())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_a_failed_load_leaves_an_open_graph_as_it_was(tmp_path: Path) -> None:
    from graph.load import load_into

    kg = open_graph("oxigraph", [DATA / "mini.ttl"], include_default=False)
    before = _digest(kg)
    good = tmp_path / "good.ttl"
    good.write_text("<http://ex/a> <http://ex/b> <http://ex/c> .\n", encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://ex/a> <http://ex/b> .\n", encoding="utf-8")
    with pytest.raises(DataLoadError):
        load_into(kg, [good, bad])
    assert _digest(kg) == before


def test_jsonld_remote_context_is_not_fetched(tmp_path: Path, listener) -> None:
    f = tmp_path / "remote-context.jsonld"
    f.write_text(f'{{"@context": "{listener.url}/ctx.jsonld", "@id": "http://ex/a", "name": "x"}}')
    with pytest.raises(DataLoadError, match="remote-context.jsonld"):
        open_graph("oxigraph", [f], include_default=False)
    with pytest.raises(DataLoadError, match="remote-context.jsonld"):
        open_graph("memory", [f], include_default=False)
    assert listener.received == []


def test_rdfxml_external_entity_is_not_resolved(tmp_path: Path, listener) -> None:
    f = tmp_path / "xxe.rdf"
    f.write_text(
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "{listener.url}/x"> '
        '<!ENTITY pw SYSTEM "file:///etc/passwd"> ]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/">\n'
        '<rdf:Description rdf:about="http://ex/a"><ex:p>&xxe;&pw;</ex:p></rdf:Description>\n'
        "</rdf:RDF>\n"
    )
    try:
        kg = open_graph("oxigraph", [f], include_default=False)
    except DataLoadError as err:
        assert "xxe.rdf" in str(err)
    else:
        from graph.export import export_rdf

        assert b"root:" not in export_rdf(kg, "nt")
    assert listener.received == []


def test_owl_imports_is_not_followed(tmp_path: Path, listener) -> None:
    f = tmp_path / "imports.ttl"
    f.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<http://ex/onto> a owl:Ontology ; owl:imports <{listener.url}/other.ttl> .\n"
    )
    kg = open_graph("oxigraph", [f], include_default=False)
    assert len(kg) == 2
    from graph.validate import validate_graph

    validate_graph(kg)
    assert listener.received == []


def test_a_200_mb_file_gets_one_clear_error_everywhere(tmp_path: Path, capsys) -> None:
    big = tmp_path / "huge.ttl"
    with big.open("wb") as fh:  # sparse: 200 MB on paper, instant to make
        fh.truncate(200 * 1024 * 1024)
    # import: refused on size before reading
    assert main(["import", str(big)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "huge.ttl: file is 200 MB, over the import limit" in err[0]
    # --data: read, and refused for what it holds (NUL bytes are not Turtle), naming the line
    assert main(["query", "ASK { ?s ?p ?o }", "--data", str(big)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "huge.ttl, line 1" in err[0]


PREFIXES = (
    "@prefix ag: <https://w3id.org/alliance-graph/ontology#> .\n"
    "@prefix agr: <https://w3id.org/alliance-graph/id/> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)
GOOD_STATEMENT = (
    "agr:st-t a ag:Membership ; ag:subject agr:POL ; ag:object agr:NATO ; ag:relation ag:memberOf ;\n"
    "  ag:role ag:Member ; ag:startDate \"1999-03-12\"^^xsd:date ; ag:startPrecision ag:DayPrecision ;\n"
    "  ag:credibility 2 ; ag:status ag:Verified ; prov:wasDerivedFrom agr:src-S5 .\n"
)
SEMANTIC = {
    "wrong-datatype": (GOOD_STATEMENT.replace("ag:credibility 2", 'ag:credibility "high"'), "ag:credibility"),
    "start-after-end": (
        GOOD_STATEMENT.replace(
            'ag:startPrecision ag:DayPrecision ;',
            'ag:startPrecision ag:DayPrecision ; ag:endDate "1990-01-01"^^xsd:date ; ag:endPrecision ag:DayPrecision ;',
        ),
        "ag:startDate",
    ),
    "dangling-reference": (GOOD_STATEMENT.replace("ag:subject agr:POL", "ag:subject agr:NOWHERE"), "ag:subject"),
    "no-source": (GOOD_STATEMENT.replace(" ; prov:wasDerivedFrom agr:src-S5", ""), "prov:wasDerivedFrom"),
    "conflicting-label": ('agr:CAN rdfs:label "Kanada" .\n', "already has the label 'Canada'"),
}


@pytest.mark.parametrize("case", sorted(SEMANTIC))
def test_import_names_file_line_field_and_reason(case: str, tmp_path: Path, capsys) -> None:
    body, expected = SEMANTIC[case]
    f = tmp_path / f"{case}.ttl"
    f.write_text(PREFIXES + body, encoding="utf-8")
    assert main(["import", str(f)]) == 1
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("error:")]
    assert problems, err
    named = [p for p in problems if expected in p]
    assert named, err
    assert all(f"{case}.ttl, line 6" in p for p in named), named


def test_the_good_statement_imports_cleanly(tmp_path: Path, capsys) -> None:
    f = tmp_path / "good.ttl"
    f.write_text(PREFIXES + GOOD_STATEMENT, encoding="utf-8")
    assert main(["import", str(f)]) == 0, capsys.readouterr().err


def test_a_failed_import_leaves_the_graph_exactly_as_before(kg) -> None:
    from graph.errors import ValidationFailed
    from graph.importer import check_import, merge_import

    before = _digest(kg)
    body, _ = SEMANTIC["start-after-end"]
    result = check_import([("bad.ttl", (PREFIXES + body).encode())], kg)
    assert not result.ok
    with pytest.raises(ValidationFailed):
        merge_import(kg, result)
    assert _digest(kg) == before
    good = check_import([("good.ttl", (PREFIXES + GOOD_STATEMENT).encode())], kg)
    merged = merge_import(kg, good)
    assert _digest(kg) == before and _digest(merged) != before
