"""The remote store in its own right: errors, limits and positions over a real Oxigraph server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.errors import QueryError, QueryRefused, QuerySyntaxError, QueryTimeout
from graph.limits import QueryLimits
from graph.sparql import run_query
from graph.store import KnowledgeGraph, open_graph
from tests.conftest import find_free_port
from tests.test_sparql_stores import start_oxigraph_server, stop

DATA = Path(__file__).parent / "data" / "sparql"


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    local = open_graph("oxigraph", [DATA / "graph.ttl"], include_default=False)
    proc, url = start_oxigraph_server(local, tmp_path_factory.mktemp("oxremote"))
    try:
        yield open_graph(url)
    finally:
        stop(proc)


pytestmark = pytest.mark.server


def test_a_url_names_the_remote_store(remote) -> None:
    assert remote.backend == "remote" and remote.endpoint.endswith("/query")
    assert remote.count_triples() > 50


def test_syntax_error_positions_refer_to_the_users_text(remote) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        run_query(remote, "SELECT ?s WHERE {\n  ?s a ag:State .\n  FILTER(?s = ) }")
    assert info.value.line == 3  # not shifted by the PREFIX lines added for ag:


def test_refused_queries_never_reach_the_server(remote) -> None:
    with pytest.raises(QueryRefused):
        run_query(remote, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(QueryRefused):
        run_query(remote, "INSERT DATA { <a:a> <a:b> <a:c> }")


def test_row_limit_stops_reading(remote) -> None:
    r = run_query(remote, "SELECT * WHERE { ?s ?p ?o }", limits=QueryLimits(max_rows=4))
    assert len(r.rows) == 4 and r.truncated


def test_time_limit_on_a_remote_runaway(remote) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        run_query(remote, "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }",
                  limits=QueryLimits(timeout_s=1))
    assert time.monotonic() - started < 3


def test_an_unreachable_endpoint_is_a_clear_error() -> None:
    kg = open_graph(f"http://127.0.0.1:{find_free_port()}/sparql")
    with pytest.raises(QueryError, match="cannot reach the endpoint"):
        run_query(kg, "ASK {}")
