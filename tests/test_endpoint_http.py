"""The endpoint's HTTP hardening, as a client sees it: Content-Length, chunked bodies,
the Host check, slow clients dropped, the public base IRI and VoID computed once, answers
capped in bytes, and a fair share of the query slots per client (remote address)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from graph.endpoint import FairSlots, make_server
from graph.errors import AnswerTooLarge
from graph.limits import QueryLimits, run_isolated
from graph.store import open_graph

DATA = Path(__file__).parent / "data" / "sparql"
ASK = "ASK { agr:CAN a ag:State }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o2 }"
SD_ENDPOINT = URIRef("http://www.w3.org/ns/sparql-service-description#endpoint")


def _start(limits: QueryLimits | None = None, **options: object) -> tuple[object, int]:
    kg = open_graph("oxigraph", [DATA / "graph.ttl"], include_default=False)
    server = make_server(kg, "127.0.0.1", 0, limits=limits or QueryLimits(timeout_s=5), quiet=True, **options)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def _stop(server: object) -> None:
    server.shutdown()  # type: ignore[attr-defined]
    server.server_close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[object, int]]:
    server, port = _start(request_timeout=1.0)
    try:
        yield server, port
    finally:
        _stop(server)


def raw(port: int, data: bytes, *, wait: float = 10.0, source: str | None = None) -> bytes:
    """Send ``data`` as is and read until the server closes (or ``wait`` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait,
                                  source_address=(source, 0) if source else None) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0


def post(port: int, body: bytes, headers: dict[str, str], *, source: str | None = None,
         timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("POST", "/sparql", body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def get(port: int, path: str, *, host: str | None = None, source: str | None = None,
        accept: str = "application/sparql-results+json", timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.putheader("Accept", accept)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, dict(r.headers), r.read()
    finally:
        conn.close()


def q(text: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": text})


# --- Content-Length and chunked bodies --------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "-5", "1e3", "12 34", " "])
def test_malformed_content_length_is_400(served: tuple[object, int], value: str) -> None:
    _, port = served
    reply = raw(port, (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                       f"Content-Length: {value}\r\n\r\n{ASK}").encode())
    assert status_of(reply) == 400 and b"Content-Length" in reply


def test_two_different_content_lengths_or_both_framings_are_400(served: tuple[object, int]) -> None:
    _, port = served
    head = "POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
    assert status_of(raw(port, (head + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nASK{}").encode())) == 400
    both = head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nASK{}\r\n0\r\n\r\n"
    assert status_of(raw(port, both.encode())) == 400


def test_chunked_body_is_read(served: tuple[object, int]) -> None:
    _, port = served
    pieces = [ASK[:10].encode(), ASK[10:].encode()]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/sparql", body=iter(pieces), encode_chunked=True,
                     headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
        r = conn.getresponse()
        assert r.status == 200 and b'"boolean":true' in r.read().replace(b" ", b"")
    finally:
        conn.close()


def test_chunked_body_malformed_or_too_large_is_refused(served: tuple[object, int]) -> None:
    _, port = served
    head = ("POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    reply = raw(port, (head + "zz\r\nASK{}\r\n0\r\n\r\n").encode())
    assert status_of(reply) == 400 and b"chunked" in reply
    reply = raw(port, (head + "FFFFFF\r\n").encode() + b"x" * 1000)
    assert status_of(reply) == 413
    assert status_of(raw(port, (head.replace("chunked", "gzip") + "ASK{}").encode())) == 400


# --- Host -------------------------------------------------------------------------------


def test_host_header_is_checked_against_the_names_the_server_answers_to(served: tuple[object, int]) -> None:
    _, port = served
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}"):
        assert get(port, q(ASK), host=host)[0] == 200, host
    status, _, body = get(port, q(ASK), host=f"attacker.example:{port}")
    assert status == 421 and b"attacker.example" in body and b"--allowed-host" in body
    status, _, _ = get(port, "/void", host="rebind.attacker.example", accept="text/turtle")
    assert status == 421
    # POST too (a form a rebinding page could send), and an HTTP/1.1 request without Host
    status, _ = post(port, ASK.encode(), {"Host": "evil.example", "Content-Type": "application/sparql-query"})
    assert status == 421
    assert status_of(raw(port, b"GET /void HTTP/1.1\r\nAccept: text/turtle\r\n\r\n")) == 400


def test_allowed_host_adds_names_and_star_allows_any() -> None:
    server, port = _start(allowed_hosts=["graph.example.org"])
    try:
        assert get(port, q(ASK), host="graph.example.org:8080")[0] == 200
        assert get(port, q(ASK), host="other.example.org")[0] == 421
    finally:
        _stop(server)
    server, port = _start(allowed_hosts=["*"])
    try:
        assert get(port, q(ASK), host="anything.example")[0] == 200
    finally:
        _stop(server)


def test_allowed_hosts_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_GRAPH_ALLOWED_HOSTS", "a.example, b.example")
    server, port = _start()
    try:
        assert get(port, q(ASK), host="b.example")[0] == 200
        assert get(port, q(ASK), host="c.example")[0] == 421
    finally:
        _stop(server)


# --- slow clients -----------------------------------------------------------------------


def test_a_request_that_does_not_arrive_in_time_gets_408_and_is_closed(served: tuple[object, int]) -> None:
    _, port = served
    started = time.monotonic()
    reply = raw(port, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n", wait=10)
    took = time.monotonic() - started
    assert status_of(reply) == 408 and b"request time limit" in reply
    assert took < 4


def test_a_client_trickling_bytes_is_dropped_too(served: tuple[object, int]) -> None:
    _, port = served
    request = b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\nX-Pad: " + b"a" * 100
    started = time.monotonic()
    closed = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            for byte in request:  # one byte every 0.1 s: each read is quick, the request never ends
                s.sendall(bytes([byte]))
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        if not closed:
            try:
                closed = s.recv(65536).startswith(b"HTTP/1.1 408") or True
            except OSError:
                closed = True
    assert closed and time.monotonic() - started < 8


def test_the_server_still_answers_after_dropping_slow_clients(served: tuple[object, int]) -> None:
    _, port = served
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    try:
        for s in held:
            s.sendall(b"GET / HTTP/1.1\r\n")
        assert get(port, q(ASK))[0] == 200
    finally:
        for s in held:
            s.close()


# --- public base IRI and VoID -------------------------------------------------------------


def test_void_names_the_public_url_whatever_the_host_header_and_is_computed_once() -> None:
    server, port = _start(public_url="https://graph.example.org/ag/")
    try:
        bodies = []
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "graph.example.org"):
            status, _, body = get(port, "/void", host=host, accept="text/turtle")
            assert status == 200
            bodies.append(body)
        assert bodies[0] == bodies[1] == bodies[2]
        g = Graph().parse(data=bodies[0], format="turtle")
        service = URIRef("https://graph.example.org/ag/sparql")
        assert (service, SD_ENDPOINT, service) in g
        assert not any(str(t).startswith("http://127.0.0.1") or "localhost" in str(t) for t in g.all_nodes())
        _, _, page = get(port, "/", accept="text/html")
        assert b"https://graph.example.org/ag/sparql" in page
        assert server.service.void_computed == 1  # type: ignore[attr-defined]
    finally:
        _stop(server)


def test_public_url_defaults_to_the_bound_address_and_a_bad_one_is_refused() -> None:
    from graph.errors import ConfigError

    server, port = _start()
    try:
        _, _, body = get(port, "/void", host="localhost", accept="text/turtle")
        service = URIRef(f"http://127.0.0.1:{port}/sparql")
        assert (service, SD_ENDPOINT, service) in Graph().parse(data=body, format="turtle")
    finally:
        _stop(server)
    with pytest.raises(ConfigError, match="public URL"):
        _start(public_url="ftp://x/")


# --- answers capped in bytes ------------------------------------------------------------


def test_an_answer_over_the_byte_limit_is_refused_in_the_worker() -> None:
    server, port = _start(QueryLimits(timeout_s=5, max_bytes_out=2_000))
    try:
        status, _, body = get(port, q("SELECT * { ?s ?p ?o }"))
        assert status == 503 and b"answer-size limit" in body and b"ALLIANCE_GRAPH_QUERY_MAX_BYTES_OUT" in body
        assert get(port, q(ASK))[0] == 200
    finally:
        _stop(server)


def test_the_worker_checks_the_size_before_the_parent_holds_it() -> None:
    with pytest.raises(AnswerTooLarge, match="1,000 bytes"):
        run_isolated(lambda: b"x" * 100_000, QueryLimits(timeout_s=5, max_bytes_out=1_000))
    assert run_isolated(lambda: b"x" * 1_000, QueryLimits(timeout_s=5, max_bytes_out=1_000)) == b"x" * 1_000
    with pytest.raises(AnswerTooLarge):  # in-process too (no fork)
        run_isolated(lambda: b"x" * 2_000, QueryLimits(isolate=False, max_bytes_out=1_000))


# --- a fair share of the query slots ------------------------------------------------------


def test_one_client_cannot_hold_every_query_slot() -> None:
    """Three runaways from 127.0.0.2 on a server with two slots: a query from another
    address is answered at once instead of waiting for a runaway to be stopped."""
    server, port = _start(QueryLimits(timeout_s=4), max_concurrent=2)
    results: list[int] = []

    def runaway() -> None:
        results.append(get(port, q(RUNAWAY), source="127.0.0.2")[0])

    threads = [threading.Thread(target=runaway) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        time.sleep(0.8)
        started = time.monotonic()
        status, _, _ = get(port, q(ASK), source="127.0.0.1")
        took = time.monotonic() - started
        assert status == 200 and took < 2.0, took
    finally:
        for t in threads:
            t.join(timeout=30)
        _stop(server)
    assert results == [503, 503, 503]


def test_fair_slots_cap_per_client_and_serve_the_lightest_waiter_first() -> None:
    slots = FairSlots(4, per_client=2)
    assert slots.acquire("a", 0) and slots.acquire("a", 0)
    assert not slots.acquire("a", 0.05)  # a third for the same client waits
    assert slots.acquire("b", 0) and slots.acquire("b", 0)
    assert not slots.acquire("c", 0.05)  # all four taken
    order: list[str] = []

    def wait(client: str) -> None:
        if slots.acquire(client, 5):
            order.append(client)

    heavy = threading.Thread(target=wait, args=("b",))
    heavy.start()
    time.sleep(0.05)
    light = threading.Thread(target=wait, args=("c",))
    light.start()
    time.sleep(0.05)
    slots.release("a")  # "b" asked first but holds two: the slot goes to "c", which holds none
    light.join(2)
    assert order == ["c"]
    slots.release("a")
    heavy.join(2)  # "b" is at its cap of 2: it waits until one of its own ends
    assert order == ["c"]
    slots.release("b")
    heavy.join(2)
    assert order == ["c", "b"]
    assert FairSlots(4).per_client == 3 and FairSlots(1).per_client == 1
