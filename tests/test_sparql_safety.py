"""Hostile queries: updates refused, nothing phones out, runaways stopped, the rest keeps answering."""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from graph.errors import QueryRefused, QuerySyntaxError, QueryTimeout
from graph.limits import QueryLimits, run_isolated
from graph.sparql import check_query, run_query
from graph.store import KnowledgeGraph, open_graph

DATA = Path(__file__).parent / "data" / "sparql"

UPDATES = [
    "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX ag: <https://w3id.org/alliance-graph/ontology#>\nDELETE DATA { ag:a ag:b ag:c }",
    "BASE <http://e/> PREFIX x: <http://x/> # comment\n  iNsErT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "# SELECT * WHERE { ?s ?p ?o }\nDROP ALL",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "clear default",
    "CREATE GRAPH <http://e/g>",
    "ADD DEFAULT TO <http://e/g>",
    "MOVE <http://e/a> TO <http://e/b>",
    "COPY DEFAULT TO <http://e/g>",
    "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
    r"\u0044ROP ALL",
]


@pytest.mark.parametrize("text", UPDATES)
def test_updates_of_every_kind_are_refused(text: str) -> None:
    with pytest.raises(QueryRefused, match="read-only"):
        check_query(text)


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "INSERT DATA and DROP ALL" }',
        "SELECT * WHERE { ?s ?p <http://e/DELETE#SERVICE> } # DROP ALL, SERVICE, FROM",
        "SELECT ?insert ?from WHERE { ?insert schema:Service ?from . ?from ex:Drop ?x }",
        "SELECT * WHERE { ?s ?p ?o FILTER(LANG(?o) = 'add') } ",
        'SELECT * WHERE { ?s ?p "x"@fr-ADD }',
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:load ?o . ?s ex:with ?p }",
    ],
)
def test_keywords_inside_strings_iris_names_and_comments_are_not_refused(text: str) -> None:
    assert check_query(text) == "SELECT"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }",
        r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_unless_allowed(text: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(text)
    assert check_query(text, QueryLimits(allow_service=True)) == "SELECT"
    # checks are cached by text and limits: the permitted answer must not leak back
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM <http://127.0.0.1:9/g.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "ASK from <http://127.0.0.1:9/> { ?s ?p ?o }",
    ],
)
def test_from_is_refused_unless_allowed(text: str) -> None:
    with pytest.raises(QueryRefused, match="FROM"):
        check_query(text)
    assert check_query(text, QueryLimits(allow_from=True)) in {"SELECT", "ASK"}
    with pytest.raises(QueryRefused, match="FROM"):
        check_query(text)


def test_a_query_file_edited_between_runs_runs_as_edited(tmp_path: Path) -> None:
    # query files are read again only when they change: an edit must be seen
    kg = open_graph("oxigraph")
    f = tmp_path / "q.rq"
    f.write_text("SELECT (1 AS ?n) WHERE {}", encoding="utf-8")
    assert int(run_query(kg, f).rows[0][0]) == 1
    f.write_text("SELECT (2 AS ?n) WHERE {}", encoding="utf-8")  # same size
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))
    assert int(run_query(kg, f).rows[0][0]) == 2
    f.write_text("SELECT (30 AS ?n) WHERE {}", encoding="utf-8")
    assert int(run_query(kg, f).rows[0][0]) == 30
    f.write_text("DELETE WHERE { ?s ?p ?o }", encoding="utf-8")
    with pytest.raises(QueryRefused):
        run_query(kg, f)


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_GRAPH_QUERY_TIMEOUT", "3")
    monkeypatch.setenv("ALLIANCE_GRAPH_QUERY_MAX_ROWS", "0")
    monkeypatch.setenv("ALLIANCE_GRAPH_QUERY_ALLOW_SERVICE", "1")
    limits = QueryLimits.from_env()
    assert limits.timeout_s == 3 and limits.row_cap() is None and limits.allow_service
    assert not limits.allow_from
    assert QueryLimits() == QueryLimits(timeout_s=10.0, max_rows=10_000)


# --- nothing phones out --------------------------------------------------------------


@pytest.fixture(scope="module")
def stores() -> dict[str, KnowledgeGraph]:
    files = [DATA / "graph.ttl"]
    return {s: open_graph(s, files, include_default=False) for s in ("oxigraph", "memory")}


def _outbound_queries(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/"
    return [
        f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}named.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{url}c.ttl> WHERE {{ ?s ?p ?o }}",
        f"# hidden\nSELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"LOAD <{url}load.ttl>",
    ]


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_service_and_from_to_loopback_send_nothing(stores, listener, store: str) -> None:
    for text in _outbound_queries(listener.port):
        with pytest.raises(QueryRefused):
            run_query(stores[store], text)
    time.sleep(0.3)
    assert listener.received == []


def test_the_endpoint_sends_nothing_either(stores, listener) -> None:
    from graph.endpoint import make_server

    server = make_server(stores["oxigraph"], "127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    try:
        for text in _outbound_queries(listener.port):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(base + "?" + urllib.parse.urlencode({"query": text}), timeout=10)
            assert info.value.code == 403
        req = urllib.request.Request(
            base + "?" + urllib.parse.urlencode(
                {"query": "SELECT * { ?s ?p ?o }", "default-graph-uri": f"http://127.0.0.1:{listener.port}/"}
            )
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
        assert info.value.code == 403
    finally:
        server.shutdown()
        server.server_close()
    time.sleep(0.3)
    assert listener.received == []


def test_the_listener_does_record_a_real_request(listener) -> None:
    """The control: the listener notices a connection when one is made."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{listener.port}/x", timeout=2)
    except Exception:  # noqa: BLE001 - the listener answers nothing
        pass
    time.sleep(0.3)
    assert listener.received


# --- runaway queries -------------------------------------------------------------------

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o2 }"


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_a_runaway_query_is_stopped_at_the_time_limit(stores, store: str) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="time limit"):
        run_query(stores[store], RUNAWAY, limits=QueryLimits(timeout_s=1.0))
    assert time.monotonic() - started < 3


def test_other_queries_keep_answering_while_a_runaway_runs(stores) -> None:
    kg = stores["oxigraph"]
    errors: list[Exception] = []

    def runaway() -> None:
        try:
            run_query(kg, RUNAWAY, limits=QueryLimits(timeout_s=3.0))
        except QueryTimeout as err:
            errors.append(err)

    t = threading.Thread(target=runaway)
    t.start()
    time.sleep(0.3)
    started = time.monotonic()
    r = run_query(kg, "ASK { agr:FIN a ag:State }")
    assert r.boolean is True
    assert time.monotonic() - started < 1.0
    t.join(timeout=10)
    assert len(errors) == 1


def test_row_limit_cuts_and_says_so(stores) -> None:
    for kg in stores.values():
        r = run_query(kg, "SELECT * WHERE { ?s ?p ?o }", limits=QueryLimits(max_rows=5))
        assert len(r.rows) == 5 and r.truncated
        assert r.notice is not None and "first 5 rows" in r.notice
        g = run_query(kg, "CONSTRUCT WHERE { ?s ?p ?o }", limits=QueryLimits(max_rows=3))
        assert len(g) == 3 and g.truncated
        small = run_query(kg, "SELECT * WHERE { ?s a ag:State }", limits=QueryLimits(max_rows=5))
        assert len(small.rows) == 4 and not small.truncated and small.notice is None


def test_errors_raised_in_the_worker_keep_their_class_and_position() -> None:
    def bad() -> bytes:
        raise QuerySyntaxError("expected WHERE", 3, 7)

    with pytest.raises(QuerySyntaxError) as info:
        run_isolated(bad, QueryLimits(timeout_s=5))
    assert info.value.line == 3 and info.value.column == 7
    assert "line 3, column 7" in str(info.value)
