"""`alliance-graph serve`: the SPARQL 1.1 Protocol, tested with SPARQLWrapper and plain HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from graph import paths
from graph.endpoint import make_server, negotiate
from graph.limits import QueryLimits
from graph.store import open_graph
from tests.conftest import ROOT, find_free_port, wait_for_http

DATA = Path(__file__).parent / "data" / "sparql"
AGR = "https://w3id.org/alliance-graph/id/"
LABELS = "SELECT ?s ?l WHERE { ?s a ag:State ; rdfs:label ?l FILTER(LANG(?l) = '') } ORDER BY ?l"


def _start(cors: bool = False, **limits: object) -> tuple[object, str]:
    kg = open_graph("oxigraph", [DATA / "graph.ttl"], include_default=False)
    server = make_server(kg, "127.0.0.1", 0, limits=QueryLimits(**limits), cors=cors, quiet=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server, url = _start(timeout_s=2.0)
    try:
        yield url
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]


def http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def q(text: str) -> str:
    return urllib.parse.urlencode({"query": text})


# --- SPARQLWrapper ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_gets_json_xml_and_csv(base: str, method: str) -> None:
    sw = SPARQLWrapper(base + "/sparql")
    sw.setMethod(method)
    sw.setQuery(LABELS)
    sw.setReturnFormat(JSON)
    bindings = sw.query().convert()["results"]["bindings"]  # type: ignore[index, call-overload]
    assert [b["l"]["value"] for b in bindings] == ["Canada", "Finland", "Japan", "Sweden"]
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    assert [n.firstChild.data for n in doc.getElementsByTagName("literal")] == ["Canada", "Finland", "Japan", "Sweden"]  # type: ignore[union-attr]
    sw.setReturnFormat(CSV)
    lines = sw.query().convert().decode().splitlines()  # type: ignore[union-attr]
    assert lines[0] == "s,l" and lines[1] == f"{AGR}CAN,Canada" and len(lines) == 5
    sw.setReturnFormat(TSV)
    assert "\t" in sw.query().convert().decode()  # type: ignore[union-attr]


def test_sparqlwrapper_malformed_query_is_a_400_with_the_message(base: str) -> None:
    sw = SPARQLWrapper(base + "/sparql")
    sw.setQuery("SELECT * WHERE {\n  ?s ?p }")
    sw.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed) as info:
        sw.query()
    assert "line 2" in str(info.value)


def test_sparqlwrapper_construct_as_turtle(base: str) -> None:
    sw = SPARQLWrapper(base + "/sparql")
    sw.setQuery("CONSTRUCT { ?s ag:memberOf agr:NATO } WHERE { ?st ag:subject ?s ; ag:relation ag:memberOf }")
    sw.setReturnFormat("turtle")
    g = Graph().parse(data=sw.query().convert(), format="turtle")  # type: ignore[arg-type]
    assert len(g) == 3


# --- plain HTTP -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept,ctype",
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_content_negotiation_for_tables(base: str, accept: str, ctype: str) -> None:
    status, headers, body = http(f"{base}/sparql?{q(LABELS)}", headers={"Accept": accept})
    assert status == 200 and headers["Content-Type"].startswith(ctype)
    assert b"Canada" in body


@pytest.mark.parametrize(
    "accept,ctype,fmt",
    [("text/turtle", "text/turtle", "turtle"), ("application/n-triples", "application/n-triples", "nt"),
     ("application/ld+json", "application/ld+json", "json-ld")],
)
def test_content_negotiation_for_graphs(base: str, accept: str, ctype: str, fmt: str) -> None:
    text = "CONSTRUCT WHERE { ?s a ag:State }"
    status, headers, body = http(f"{base}/sparql?{q(text)}", headers={"Accept": accept})
    assert status == 200 and headers["Content-Type"].startswith(ctype)
    assert len(Graph().parse(data=body, format=fmt)) == 4


def test_post_direct_and_form(base: str) -> None:
    status, _, body = http(base + "/sparql", data=b"ASK { agr:CAN a ag:State }",
                           headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body)["boolean"] is True
    status, _, body = http(base + "/sparql", data=q("ASK { agr:CAN a ag:Source }").encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and json.loads(body)["boolean"] is False


def test_malformed_query_gets_400_with_line_and_column(base: str) -> None:
    status, headers, body = http(f"{base}/sparql?{q('SELECT * WHERE { ?s ?p ?o ')}")
    assert status == 400 and headers["Content-Type"].startswith("text/plain")
    assert b"line 1, column" in body and b"syntax error" in body


@pytest.mark.parametrize(
    "request_args",
    [
        {"url": "/sparql?" + q("DROP ALL")},
        {"url": "/sparql?" + urllib.parse.urlencode({"update": "CLEAR ALL"})},
        {"url": "/sparql", "data": b"INSERT DATA { <a:a> <a:b> <a:c> }", "headers": {"Content-Type": "application/sparql-update"}},
        {"url": "/sparql", "data": urllib.parse.urlencode({"update": "DROP ALL"}).encode(),
         "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"url": "/sparql", "data": b"PREFIX x: <http://x/>\ndelete where { ?s ?p ?o }",
         "headers": {"Content-Type": "application/sparql-query"}},
    ],
)
def test_updates_are_refused_with_403(base: str, request_args: dict) -> None:
    status, _, body = http(base + request_args["url"], data=request_args.get("data"),
                           headers=request_args.get("headers"))
    assert status == 403 and b"read-only" in body
    _, _, count = http(f"{base}/sparql?{q('SELECT (COUNT(*) AS ?n) { ?s ?p ?o }')}", headers={"Accept": "text/csv"})
    assert int(count.decode().splitlines()[1]) > 50


def test_time_limit_503_while_other_clients_are_answered(base: str) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o2 }"
    result: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        result["status"], _, result["body"] = http(f"{base}/sparql?{q(runaway)}")
        result["took"] = time.monotonic() - started

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    started = time.monotonic()
    status, _, _ = http(f"{base}/sparql?{q('ASK { agr:FIN a ag:State }')}")
    assert status == 200 and time.monotonic() - started < 1.0
    t.join(timeout=20)
    assert result["status"] == 503 and b"time limit" in result["body"]  # type: ignore[operator]
    assert result["took"] < 4  # type: ignore[operator]


def test_row_limit_is_signalled_in_a_header() -> None:
    server, url = _start(max_rows=3)
    try:
        status, headers, body = http(f"{url}/sparql?{q('SELECT * { ?s ?p ?o }')}", headers={"Accept": "text/csv"})
        assert status == 200 and len(body.decode().splitlines()) == 4
        assert "row limit of 3" in headers["X-Result-Truncated"]
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]


def test_cors_is_off_by_default_and_on_with_the_flag(base: str) -> None:
    _, headers, _ = http(f"{base}/sparql?{q(LABELS)}")
    assert "Access-Control-Allow-Origin" not in headers
    server, url = _start(cors=True)
    try:
        _, headers, _ = http(f"{url}/sparql?{q(LABELS)}")
        assert headers["Access-Control-Allow-Origin"] == "*"
        status, headers, _ = http(url + "/sparql", method="OPTIONS")
        assert status == 204 and "POST" in headers["Access-Control-Allow-Methods"]
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]


def test_void_description_counts_sources_and_licence(base: str) -> None:
    status, headers, body = http(base + "/void", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    g = Graph().parse(data=body, format="turtle")
    void = "http://rdfs.org/ns/void#"
    dataset = URIRef(base + "/void#dataset")
    triples = g.value(dataset, URIRef(void + "triples"))
    assert isinstance(triples, Literal) and int(triples) > 50
    sources = set(g.objects(dataset, URIRef("http://purl.org/dc/terms/source")))
    assert sources == {URIRef(AGR + "src-nato"), URIRef(AGR + "src-blog")}
    assert g.value(dataset, URIRef("http://purl.org/dc/terms/license")) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    # The service description at the endpoint itself, without a query.
    status, _, body = http(base + "/sparql", headers={"Accept": "text/turtle"})
    sd = Graph().parse(data=body, format="turtle")
    assert (URIRef(base + "/sparql"), URIRef("http://www.w3.org/ns/sparql-service-description#endpoint"),
            URIRef(base + "/sparql")) in sd


def test_browser_gets_an_html_page_with_the_catalogue(base: str) -> None:
    status, headers, body = http(base + "/", headers={"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "nodes" in page and "<form" in page and "default-src 'none'" in headers["Content-Security-Policy"]
    status, _, body = http(base + "/queries")
    names = {item["name"] for item in json.loads(body)}
    assert "edges" in names
    status, _, body = http(base + "/queries/edges.rq")
    assert status == 200 and body.startswith(b"#")


def test_negotiation_rules() -> None:
    assert negotiate("select", "text/csv;q=0.4, application/sparql-results+xml") == "xml"
    assert negotiate("select", None) == "json"
    assert negotiate("select", "text/turtle", "turtle") == "json"
    assert negotiate("graph", "application/n-triples") == "nt"


@pytest.mark.server
@pytest.mark.skipif(not paths.ontology_file().exists(), reason="shipped graph not landed")
def test_serve_command_binds_loopback_and_answers() -> None:
    port = find_free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph", "serve", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/void", timeout=60, proc=proc)
        status, _, body = http(f"http://127.0.0.1:{port}/sparql?{q('ASK { agr:CAN ?p ?o }')}")
        assert status == 200 and json.loads(body)["boolean"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert b"127.0.0.1" in (proc.stderr.read() if proc.stderr else b"")
