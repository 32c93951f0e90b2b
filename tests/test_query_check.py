"""The query safety check decides from a parser's tree, and nothing phones out.

Each bypass found by the hardening review (``<`` read as an IRI where it is less-than,
``SERVICE:x`` read as one prefixed name, ``c:.SERVICE``, ``FROM:g``) is tried through every
door a query comes in by (the library on both stores, the CLI, the endpoint with GET, POST
and a form POST, the explorer's ``/sparql?query=`` link) with a loopback listener that must
receive nothing. A property-based test splices the dangerous keywords into every lexical
context and runs whatever the check lets through on a real Oxigraph store pointed at the
listener. A corpus of valid queries (the shipped ones, examples in the style of the SPARQL
1.1 specification, escapes in strings, IRIs and comments) must pass with no refusal.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import QueryRefused, QuerySyntaxError
from graph.limits import QueryLimits
from graph.querycheck import parse_verdict, vet
from graph.sparql import check_query, run_query, vet_query

ROOT = Path(__file__).resolve().parent.parent


def bypasses(url: str) -> dict[str, str]:
    """The review's bypasses and their variants, aimed at ``url`` (a loopback listener)."""
    host = url.rstrip("/")
    return {
        "lt-comment-service": f"SELECT * WHERE {{ FILTER(1<2)SERVICE#>\n<{host}/sparql>{{?s ?p ?o}} }}",
        "lt-comment-silent": f"SELECT * WHERE {{ FILTER(1<2)SERVICE SILENT#>\n<{host}/sparql>{{?s ?p ?o}} }}",
        "lt-in-select": f"SELECT (1<2 AS ?c) WHERE {{ SERVICE#>\n<{host}/sparql>{{?s ?p ?o}} }}",
        "lt-from": f"SELECT(1<2AS?c)FROM<{host}/g>#>\nWHERE {{ ?s ?p ?o }}",
        "service-pname": f"PREFIX : <{host}/> SELECT * WHERE {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
        "service-pname-silent": f"PREFIX : <{host}/> SELECT * WHERE {{ SERVICE SILENT:sparql {{ ?s ?p ?o }} }}",
        "dot-service": f"PREFIX c: <http://x/> SELECT * WHERE {{ ?s ?p c:.SERVICE <{host}/sparql> {{ ?s ?p ?o }} }}",
        "from-pname": f"PREFIX : <{host}/> SELECT * FROM:g WHERE {{ ?s ?p ?o }}",
        "from-named-pname": f"PREFIX : <{host}/> SELECT * FROM NAMED:g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "escaped-keyword": f"SELECT * WHERE {{ \\u0053ERVICE <{host}/sparql> {{ ?s ?p ?o }} }}",
        "escaped-iri-start": f"SELECT * WHERE {{ SERVICE \\u003C{host}/sparql> {{ ?s ?p ?o }} }}",
        "lowercase": f"select * where {{ service <{host}/sparql> {{ ?s ?p ?o }} }}",
        "nested-optional": f"ASK {{ OPTIONAL {{ {{ SELECT * {{ SERVICE <{host}/s> {{ ?a ?b ?c }} }} }} }} }}",
        "construct": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{host}/sparql> {{ ?s ?p ?o }} }}",
        "describe": f"DESCRIBE ?s WHERE {{ SERVICE <{host}/sparql> {{ ?s ?p ?o }} }}",
        "exists": f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{host}/s> {{ ?s ?p ?o }} }} }}",
        "values-then": f"SELECT * WHERE {{ VALUES ?x {{ 1 }} SERVICE<{host}/s>{{?s ?p ?o}} }}",
        "update-after-lt": f"SELECT * WHERE {{ FILTER(1<2)}}#>\n;INSERT DATA {{ <{host}/a> <{host}/b> 1 }}",
        "load": f"LOAD <{host}/data.ttl>",
    }


NAMES = sorted(bypasses("http://127.0.0.1:9"))


@pytest.mark.parametrize("name", NAMES)
def test_check_refuses_every_bypass(name: str) -> None:
    text = bypasses("http://127.0.0.1:9")[name]
    with pytest.raises((QueryRefused, QuerySyntaxError)):
        check_query(text)


@pytest.mark.parametrize("name", NAMES)
def test_run_query_on_both_stores_sends_nothing(kg_any, listener, name: str) -> None:
    text = bypasses(listener.url)[name]
    with pytest.raises((QueryRefused, QuerySyntaxError)):
        run_query(kg_any, text, limits=QueryLimits(timeout_s=5))
    assert listener.received == []


@pytest.mark.parametrize("name", ["lt-comment-service", "service-pname", "dot-service", "from-pname"])
def test_the_cli_refuses_and_sends_nothing(listener, name: str) -> None:
    text = bypasses(listener.url)[name]
    for store in ("oxigraph", "memory"):
        out = subprocess.run(
            [sys.executable, "-m", "graph", "query", text, "--store", store, "--timeout", "5"],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
        assert out.returncode == 2, out.stderr
        assert "not allowed" in out.stderr or "cannot verify" in out.stderr
        assert "Traceback" not in out.stderr
    assert listener.received == []


@pytest.fixture(scope="module")
def endpoint():
    from graph.endpoint import make_server
    from graph.store import open_graph

    server = make_server(open_graph(), "127.0.0.1", 0, limits=QueryLimits(timeout_s=5), quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def _status(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


@pytest.mark.server
@pytest.mark.parametrize("name", NAMES)
def test_the_endpoint_refuses_by_get_post_and_form(endpoint: str, listener, name: str) -> None:
    text = bypasses(listener.url)[name]
    get = urllib.request.Request(endpoint + "?" + urllib.parse.urlencode({"query": text}))
    direct = urllib.request.Request(
        endpoint, data=text.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    # the form POST any web page can send to a local server, CORS or not
    form = urllib.request.Request(endpoint, data=urllib.parse.urlencode({"query": text}).encode())
    for request in (get, direct, form):
        status = _status(request)
        assert status in (400, 403), (name, status)
    assert listener.received == []


@pytest.mark.server
def test_the_endpoint_through_sparqlwrapper(endpoint: str, listener) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    client = SPARQLWrapper(endpoint)
    client.setReturnFormat(JSON)
    client.setQuery(bypasses(listener.url)["service-pname"])
    with pytest.raises((SPARQLWrapperException, urllib.error.HTTPError)):
        client.query()
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(client.query().convert()["results"]["bindings"][0]["n"]["value"]) > 0
    assert listener.received == []


@pytest.mark.parametrize("name", ["service-pname", "lt-comment-service"])
def test_opening_a_sparql_link_in_the_explorer_sends_nothing(listener, name: str) -> None:
    from streamlit.testing.v1 import AppTest

    text = bypasses(listener.url)[name]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/sparql.py")
    at.query_params["query"] = text
    at.run()
    assert not at.exception
    shown = "\n".join(str(e.value) for e in at.error)
    assert "not allowed" in shown or "cannot verify" in shown
    assert listener.received == []


# --- the check against the parser, and against a real engine -----------------------------

DANGER = ["SERVICE", "service", "SERVICE SILENT", "FROM", "FROM NAMED", "INSERT", "LOAD", "DROP ALL"]
CONTEXTS = [
    "{k}", "<{k}", "1<{k}", "1<2){k}#>\n", ":{k}", "c:.{k}", "{k}:x", "'{k}'", '"{k}"', "'''{k}'''",
    "# {k}\n", "#{k}", "<http://x/{k}>", "?{k}", "\\u0022{k}", "\\u0023{k}\n", "{k}#>", "{k}<",
]
SKELETONS = [
    "SELECT * WHERE {{ {a} ?s ?p ?o {b} }}",
    "SELECT * WHERE {{ FILTER(1<2) {a} }} {b}",
    "SELECT (1<2 AS ?c) {a} WHERE {{ {b} }}",
    "PREFIX : <{url}/> PREFIX c: <{url}/> SELECT * {a} WHERE {{ {b} <{url}/x> {{ ?s ?p ?o }} }}",
    "ASK {{ {a} {{ {b} }} }}",
]


@st.composite
def spliced(draw: st.DrawFn) -> tuple[str, str]:
    k1, k2 = draw(st.sampled_from(DANGER)), draw(st.sampled_from(DANGER))
    c1, c2 = draw(st.sampled_from(CONTEXTS)), draw(st.sampled_from(CONTEXTS))
    skeleton = draw(st.sampled_from(SKELETONS))
    return skeleton, c1.format(k=k1), c2.format(k=k2)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def module_listener():
    from tests.conftest import Listener

    lst = Listener()
    yield lst
    lst.close()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=spliced())
def test_what_the_check_accepts_holds_no_service_from_or_update(module_listener, case) -> None:
    skeleton, a, b = case
    text = skeleton.format(a=a, b=b, url=module_listener.url)
    try:
        vetted = vet(text)
    except (QueryRefused, QuerySyntaxError):
        return
    # the parser agrees there is nothing dangerous in the text the engine will run
    verdict = parse_verdict(vetted.text)
    assert verdict.kind in {"query", "invalid"}
    assert not verdict.service and not verdict.dataset
    # and a real engine running it makes no request to the listener
    try:
        ox.Store().query(vetted.text)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    assert module_listener.received == [], text


# --- no valid query refused ----------------------------------------------------------------

VALID = [
    # SPARQL 1.1 Query Language, in the style of its examples
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> SELECT ?name ?mbox WHERE { ?x foaf:name ?name . ?x foaf:mbox ?mbox }",
    'SELECT ?v WHERE { ?v ?p "cat"@en }',
    "SELECT ?v WHERE { ?v ?p 42 }",
    'SELECT ?v WHERE { ?v ?p "abc"^^<http://example.org/datatype#specialDatatype> }',
    "PREFIX dc: <http://purl.org/dc/elements/1.1/> SELECT ?title WHERE { ?x dc:title ?title FILTER regex(?title, \"^SPARQL\") }",
    "PREFIX ns: <http://example.org/ns#> SELECT ?title ?price WHERE { ?x ns:price ?price . FILTER (?price < 30.5) ?x <http://purl.org/dc/elements/1.1/title> ?title . }",
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> SELECT ?name ?mbox WHERE { ?x foaf:name ?name . OPTIONAL { ?x foaf:mbox ?mbox } }",
    "PREFIX dc10: <http://purl.org/dc/elements/1.0/> PREFIX dc11: <http://purl.org/dc/elements/1.1/> SELECT ?title WHERE { { ?book dc10:title ?title } UNION { ?book dc11:title ?title } }",
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> SELECT ?person WHERE { ?person a foaf:Person . FILTER NOT EXISTS { ?person foaf:name ?name } }",
    "PREFIX : <http://example/> SELECT * { ?s ?p ?o MINUS { ?s :p ?x } }",
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> SELECT ?name WHERE { ?x foaf:mbox <mailto:alice@example> . ?x foaf:knows/foaf:knows/foaf:name ?name . }",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?x ?type { ?x a/rdfs:subClassOf* ?type }",
    "PREFIX : <http://example/> SELECT ?x WHERE { ?x (:p|:q)+ ?y . ?y ^:r ?z . ?z !(:s|:t) ?w }",
    "PREFIX dc: <http://purl.org/dc/elements/1.1/> PREFIX ns: <http://example.org/ns#> SELECT ?title (?p*(1-?discount) AS ?price) { ?x ns:price ?p . ?x dc:title ?title . ?x ns:discount ?discount }",
    "PREFIX : <http://books.example/> SELECT (SUM(?lprice) AS ?totalPrice) WHERE { ?org :affiliates ?auth . ?auth :writesBook ?book . ?book :price ?lprice . } GROUP BY ?org HAVING (SUM(?lprice) > 10)",
    "PREFIX : <http://people.example/> SELECT ?y ?minName WHERE { :alice :knows ?y . { SELECT ?y (MIN(?name) AS ?minName) WHERE { ?y :name ?name . } GROUP BY ?y } }",
    "PREFIX dc: <http://purl.org/dc/elements/1.1/> PREFIX : <http://example.org/book/> SELECT ?book ?title { VALUES ?book { :book1 :book3 } ?book dc:title ?title }",
    "SELECT * { ?s ?p ?o } VALUES (?s ?o) { (UNDEF 1) (<http://x/a> UNDEF) }",
    'PREFIX dc: <http://purl.org/dc/elements/1.1/> SELECT ?title WHERE { ?x dc:title ?t BIND(CONCAT("[", ?t, "]") AS ?title) }',
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> ASK { ?x foaf:name \"Alice\" }",
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX vcard: <http://www.w3.org/2001/vcard-rdf/3.0#> CONSTRUCT { ?x vcard:FN ?name } WHERE { ?x foaf:name ?name }",
    "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 10",
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/> DESCRIBE ?x WHERE { ?x foaf:mbox <mailto:alice@org> }",
    "DESCRIBE <http://example.org/>",
    "SELECT ?s WHERE { ?s ?p ?o } ORDER BY DESC(?s) LIMIT 5 OFFSET 10",
    "SELECT (COUNT(DISTINCT ?s) AS ?n) (GROUP_CONCAT(?o; SEPARATOR=', ') AS ?all) WHERE { ?s ?p ?o }",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(?o IN (1, 2, 3) && !BOUND(?x) || isIRI(?s)) }",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'http') && LANG(?o) = 'en') }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "BASE <http://example.org/> SELECT * WHERE { <a> ?p ?o }",
    # the dangerous words as names, in strings, comments and IRIs: none of these is refused
    "PREFIX ex: <http://example.org/> SELECT ?from ?service WHERE { ?from ex:service ?service }",
    "PREFIX ex: <http://example.org/> SELECT ?insert WHERE { ?insert ex:delete ex:drop , ex:load }",
    "SELECT ?s WHERE { ?s ?p 'SERVICE <http://127.0.0.1:9/> FROM <x> INSERT DATA' }",
    'SELECT ?s WHERE { ?s ?p """multi\nline SERVICE\nFROM""" }',
    "# SERVICE <http://127.0.0.1:9/> and FROM <x> in a comment\nSELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s <http://example.org/service#from> ?o }",
    "SELECT ?address ?width WHERE { ?address ?added ?width }",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) } # 1<2 > 3",
    # \u escapes in strings, IRIs and comments
    r"SELECT ?s WHERE { ?s ?p 'caf\u00e9' }",
    r"SELECT ?s WHERE { ?s ?p 'Z\u00fcrich from \u00c5land' }",
    r"SELECT * WHERE { <http://example.org/\u00e9t\u00e9> ?p ?o }",
    r"SELECT * WHERE { ?s ?p ?o } # comment \u00e9 service",
    r"SELECT * WHERE { ?s ?p '\U0001F600' }",
    r"SELECT * WHERE { ?s ?p ?o FILTER(?o != '\u0041\u0042') }",
    r"PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:na\u006De ?o }",
    r"SELECT * WHERE { ?s ?p ?o } # \u0023 nested escape-looking text",
    r"SELECT ?s WHERE { ?s ?p 'it\u0027s' }",
    r"SELECT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(?o, 'd\u00e9fense from')) }",
    "SELECT * WHERE { " + " ".join(f"?s{i} <http://x/p> ?o{i} ." for i in range(300)) + " }",
    "SELECT * WHERE " + "{ " * 120 + "?s ?p ?o" + " }" * 120,
]


def _shipped() -> list[str]:
    from graph import paths

    files = sorted(paths.queries_dir().glob("*.rq")) + sorted((paths.ontology_dir() / "cq").glob("*.rq"))
    files += sorted((paths.ontology_dir() / "checks").glob("*.rq"))
    return [p.read_text(encoding="utf-8") for p in files]


def test_no_valid_query_is_refused() -> None:
    corpus = VALID + _shipped()
    refused = []
    for text in corpus:
        try:
            vet_query(text, QueryLimits())
        except (QueryRefused, QuerySyntaxError) as err:
            refused.append((text[:80], str(err)))
    assert refused == [], f"{len(refused)} of {len(corpus)} valid queries refused: {refused}"


def test_escapes_are_expanded_once_for_every_engine(kg_any) -> None:
    # the engine runs the expanded text: 'caf\u00e9' is the word café on every store
    label = run_query(kg_any, r"SELECT ('caf\u00e9' AS ?w) WHERE {}").rows[0][0]
    assert str(label) == "café"


def test_an_escape_that_spells_an_escape_is_refused() -> None:
    with pytest.raises(QueryRefused, match="cannot verify"):
        check_query(r"SELECT * WHERE { ?s ?p '\u005Cu0053' }")


def test_a_syntax_error_is_reported_at_its_line_by_the_engine() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        check_query("PREFIX ex: <http://example.org/>\nSELECT * WHERE {\n ?from ?p ,, ?o }")
    assert caught.value.line == 3


def test_a_parameter_cannot_reopen_a_query(kg) -> None:
    # a VALUES block placed by parameter into what the tokenizer took for code is checked
    text = 'SELECT * WHERE { ?s ?p "} SERVICE <http://127.0.0.1:9/s> { ?a ?b ?c } #" }'
    run_query(kg, text, {"x": "agr:CAN"}, limits=QueryLimits(timeout_s=5))


def test_the_check_is_fast_on_large_hostile_text() -> None:
    import time

    texts = [
        "SELECT * WHERE { " + "'" * 60_000 + " }",
        "SELECT * WHERE { " + "'''x" * 15_000 + " }",
        "SELECT * WHERE { FILTER(" + "1<" * 30_000 + "1) }",
        "SELECT * WHERE { " + '"a' * 30_000 + " }",
    ]
    # each twice: as is (the linear filter), and with a word that sends it to the parser
    for text in texts + [t.replace("{ ", "{ ?from ", 1) for t in texts]:
        started = time.perf_counter()
        try:
            check_query(text)
        except (QueryRefused, QuerySyntaxError):
            pass
        # bounded by the checker's own time limit (5 s) plus its start, never minutes
        assert time.perf_counter() - started < 30
