"""The engine seam: bindings, syntax errors with positions, formats, the catalogue, the CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from graph import paths
from graph.cli import main
from graph.errors import QuerySyntaxError
from graph.limits import QueryLimits
from graph.results import serialize_result
from graph.sparql import list_saved_queries, run_query, run_query_to
from graph.store import KnowledgeGraph, open_graph

DATA = Path(__file__).parent / "data" / "sparql"
AGR = "https://w3id.org/alliance-graph/id/"


@pytest.fixture(scope="module", params=["oxigraph", "memory"])
def kg(request: pytest.FixtureRequest) -> KnowledgeGraph:
    return open_graph(request.param, [DATA / "graph.ttl"], include_default=False)


def test_parameters_bind_projected_and_unprojected_variables(kg) -> None:
    r = run_query(kg, "SELECT ?st WHERE { ?st ag:subject ?who ; ag:object agr:NATO }", {"who": "agr:SWE"})
    assert r.rows == [(URIRef(AGR + "st-swe-nato"),)]
    r = run_query(kg, "SELECT ?who ?l WHERE { ?who rdfs:label ?l FILTER(LANG(?l) = '') }", {"who": "agr:FIN"})
    assert r.rows == [(URIRef(AGR + "FIN"), Literal("Finland"))]
    r = run_query(kg, "SELECT ?st WHERE { ?st ag:startDate ?d FILTER(?d < ?day) }", {"day": "1950-01-01"})
    assert r.rows == [(URIRef(AGR + "st-can-nato"),)]


def test_a_parameter_cannot_smuggle_query_text(kg) -> None:
    evil = 'x" } ; DROP ALL ; SELECT * { "'
    r = run_query(kg, "SELECT ?who WHERE { ?who rdfs:label ?name }", {"name": evil})
    assert r.rows == []
    assert run_query(kg, "ASK { agr:CAN a ag:State }").boolean is True


def test_syntax_errors_give_line_and_column(kg) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        run_query(kg, "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = ) }")
    assert info.value.line == 3
    assert info.value.column is not None
    assert "line 3" in str(info.value)


def test_standard_prefixes_need_no_declaration(kg) -> None:
    r = run_query(kg, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a ag:State ; rdfs:label ?l FILTER(LANG(?l) = '') }")
    assert int(r.rows[0][0]) == 4  # type: ignore[arg-type]


def test_construct_gives_a_graph_in_every_rdf_format(kg) -> None:
    text = "CONSTRUCT { ?s ag:memberOf ?o } WHERE { ?st ag:subject ?s ; ag:relation ag:memberOf ; ag:object ?o }"
    r = run_query(kg, text)
    assert r.kind == "graph" and len(r) == 3
    for fmt in ("ttl", "nt", "jsonld"):
        out = run_query_to(kg, text, fmt).data.decode()
        assert "alliance-graph/id/SWE" in out or "agr:SWE" in out
    assert len(json.loads(run_query_to(kg, text, "jsonld").data)) == 3


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml"])
def test_fast_writers_match_the_generic_ones(kg, fmt: str) -> None:
    text = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?s ?l"
    fast = run_query_to(kg, text, fmt).data.decode()
    slow = serialize_result(run_query(kg, text), fmt)
    if fmt == "json":
        assert json.loads(fast)["results"] == json.loads(slow)["results"]
    elif fmt == "xml":
        assert fast.count("<result>") == slow.count("<result>") == 10
        assert 'xml:lang="fi"' in fast and 'xml:lang="fi"' in slow
    elif fmt == "csv":
        assert list(csv.reader(io.StringIO(fast))) == list(csv.reader(io.StringIO(slow)))
    else:
        assert fast.splitlines()[1:] == slow.splitlines()[1:]


def test_fast_writer_respects_the_row_limit(kg) -> None:
    out = run_query_to(kg, "SELECT * WHERE { ?s ?p ?o }", "csv", limits=QueryLimits(max_rows=7))
    assert out.truncated
    assert len(list(csv.reader(io.StringIO(out.data.decode())))) == 8


def test_ask_in_every_table_format(kg) -> None:
    assert json.loads(run_query_to(kg, "ASK { agr:CAN a ag:State }", "json").data)["boolean"] is True
    assert b"true" in run_query_to(kg, "ASK { agr:CAN a ag:State }", "csv").data
    assert b"<boolean>false</boolean>" in run_query_to(kg, "ASK { agr:CAN a ag:Source }", "xml").data


def test_the_catalogue_has_descriptions_and_params() -> None:
    queries = list_saved_queries()
    assert {"nodes", "edges"} <= {q.name for q in queries}
    assert all(q.description for q in queries)
    assert all(q.description[0].isupper() or q.description[0].isdigit() for q in queries)


# --- CLI ----------------------------------------------------------------------------------

needs_graph = pytest.mark.skipif(not paths.ontology_file().exists(), reason="shipped graph not landed")


def test_cli_list_shows_every_query_with_its_description(capsys) -> None:
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out
    for q in list_saved_queries():
        assert q.name in out and q.description in out


@needs_graph
def test_cli_binds_params_and_writes_csv(capsys) -> None:
    code = main(["query", "SELECT ?x ?y WHERE { BIND(?x AS ?y) }", "--param", "x=agr:CAN", "--format", "csv"])
    assert code == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["x", "y"], [AGR + "CAN", AGR + "CAN"]]


@needs_graph
def test_cli_syntax_error_exits_2_with_the_parsers_position(capsys) -> None:
    assert main(["query", "SELECT * WHERE {\n ?s ?p }"]) == 2
    err = capsys.readouterr().err
    assert "line 2, column" in err and "expected" in err


def test_cli_refuses_updates_with_exit_2(capsys) -> None:
    assert main(["query", "DELETE WHERE { ?s ?p ?o }"]) == 2
    assert "read-only" in capsys.readouterr().err


@needs_graph
@pytest.mark.parametrize("fmt,marker", [("ttl", "@prefix"), ("nt", "<https://w3id.org/alliance-graph/id/CAN>"), ("jsonld", '"@id"')])
def test_cli_construct_formats(capsys, fmt: str, marker: str) -> None:
    code = main(["query", "CONSTRUCT { agr:CAN ag:x agr:NATO } WHERE {}", "--format", fmt])
    assert code == 0
    assert marker in capsys.readouterr().out


@needs_graph
def test_cli_row_limit_warns_on_stderr() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "graph", "query", "SELECT * WHERE { ?s ?p ?o }", "--format", "tsv", "--max-rows", "3"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0
    assert len(out.stdout.splitlines()) == 4
    assert "row limit" in out.stderr


@needs_graph
def test_cli_timeout_stops_a_runaway(capsys) -> None:
    code = main(["query", "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "--timeout", "1"])
    assert code == 1
    assert "time limit" in capsys.readouterr().err


def test_term_conversion_is_cached_bounded_and_keeps_simple_literals_simple(monkeypatch):
    import pyoxigraph as ox
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    from graph import terms

    monkeypatch.setattr(terms, "_CACHE", {})
    monkeypatch.setattr(terms, "_CACHE_MAX", 3)
    xsd_string = ox.Literal("Canada", datatype=ox.NamedNode(str(XSD.string)))
    assert terms.from_ox(xsd_string) == Literal("Canada")
    assert terms.from_ox(ox.Literal("Canada", language="en")) == Literal("Canada", lang="en")
    dated = terms.from_ox(ox.Literal("2023-04-04", datatype=ox.NamedNode(str(XSD.date))))
    assert dated == Literal("2023-04-04", datatype=XSD.date)
    # a second ask gives the same object back, converted once
    assert terms.from_ox(ox.Literal("2023-04-04", datatype=ox.NamedNode(str(XSD.date)))) is dated
    # the fourth distinct term drops the cache instead of growing it past its bound
    assert terms.from_ox(ox.NamedNode("https://example.org/x")) == URIRef("https://example.org/x")
    assert len(terms._CACHE) == 1


# The plain formulations of two saved queries that were rewritten for speed (a NOT EXISTS
# probe per row became one GROUP BY / HAVING pass): both must give the same rows.
_PLAIN = {
    "example-weakly-sourced": """
        SELECT ?statement ?subject ?relation ?object (MIN(?grade) AS ?bestGrade) (COUNT(DISTINCT ?source) AS ?sources)
        WHERE {
          ?statement ag:subject ?subject ; ag:relation ?relation ; ag:object ?object ; prov:wasDerivedFrom ?source .
          ?source ag:reliability ?grade .
          FILTER NOT EXISTS { ?statement prov:wasDerivedFrom ?good . ?good ag:reliability ?g . FILTER(?g IN ("A", "B")) }
        } GROUP BY ?statement ?subject ?relation ?object""",
    "analytics-spending": """
        SELECT ?actor ?share ?date WHERE {
          { ?actor ag:percentOfGDP ?share . FILTER NOT EXISTS { ?actor a ag:SpendingTarget }
            OPTIONAL { ?actor ag:startDate ?date } }
          UNION
          { ?st ag:subject ?actor ; ag:relation ag:committedTo ; ag:object ?target .
            ?target ag:percentOfGDP ?share . OPTIONAL { ?st ag:startDate ?date }
            FILTER NOT EXISTS { ?other ag:relation ag:committedTo ; ag:object ?target ; ag:subject ?someone .
                                FILTER(?someone != ?actor) } }
        }""",
}


@pytest.mark.parametrize("name", sorted(_PLAIN))
@pytest.mark.parametrize("data", ["shipped", "synthetic"])
def test_rewritten_saved_queries_match_their_plain_form(name: str, data: str, tmp_path: Path) -> None:
    from bench.synthetic import synthetic_files

    if data == "shipped":
        graph = open_graph()
    else:
        graph = open_graph(data=[synthetic_files("5k", tmp_path, seed=11).nt])
    fast = run_query(graph, paths.queries_dir() / f"{name}.rq")
    plain = run_query(graph, _PLAIN[name])
    assert len(fast) > 0
    assert sorted(map(str, fast.rows)) == sorted(map(str, plain.rows))


def test_cli_says_use_file_when_given_a_file_name_as_the_query(capsys) -> None:
    assert main(["query", "graph/queries/sources.rq"]) == 2
    assert "use --file graph/queries/sources.rq" in capsys.readouterr().err
