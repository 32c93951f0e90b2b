"""Hostile queries everywhere a query is accepted: the CLI, the app's SPARQL page, the endpoint.

Each is refused, or stopped at the time limit, with a clear message; nothing changes.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from graph.cli import main

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = {
    "insert": ("INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }", "read-only"),
    "delete-where": ("DELETE WHERE { ?s ?p ?o }", "read-only"),
    "load": ("LOAD <http://127.0.0.1:9/x.ttl>", "read-only"),
    "clear": ("CLEAR DEFAULT", "read-only"),
    "drop": ("# comment first\nPREFIX ex: <http://ex/>\ndrop all", "read-only"),
    "create": ("CREATE GRAPH <http://ex/g>", "read-only"),
    "add-move-copy": ("COPY DEFAULT TO <http://ex/g>", "read-only"),
    "service": ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
    "from-file": ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM"),
    "from-loopback": ("SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }", "FROM"),
    "one-megabyte": ("SELECT * WHERE { ?s ?p ?o } # " + "x" * (1024 * 1024), "over the limit"),
}
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
DEEP = "SELECT * WHERE " + "{ " * 300 + "?s a ag:State" + " }" * 300


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_refuses_hostile_queries_with_one_clear_line(name: str, capsys) -> None:
    text, reason = HOSTILE[name]
    assert main(["query", text]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and reason in err[0]


def test_cli_stops_a_cross_product_at_the_time_limit() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "graph", "query", CROSS_PRODUCT, "--timeout", "2"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode != 0
    assert "time limit" in out.stderr


def test_cli_answers_deep_nesting_or_refuses_it_cleanly(capsys) -> None:
    code = main(["query", DEEP, "--format", "csv"])
    captured = capsys.readouterr()
    assert code in (0, 1, 2)
    if code == 0:
        assert captured.out.startswith("s")
    else:
        assert "Traceback" not in captured.err and captured.err.count("\n") == 1


def _app(query: str):
    """The SPARQL page with ``query`` typed into the editor and Run pressed."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/sparql.py")
    at.run()
    at.text_area(key="sparql_text").set_value(query)
    at.button(key="sparql_run").click()
    at.run()
    return at


def _page_text(at) -> str:
    parts = [e.value for e in at.error] + [e.value for e in at.warning] + [m.value for m in at.markdown]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("name", ["insert", "service", "from-file", "one-megabyte"])
def test_app_refuses_hostile_queries_inline(name: str) -> None:
    text, reason = HOSTILE[name]
    at = _app(text)
    assert not at.exception
    assert reason in _page_text(at)
    # and the page still answers a good query afterwards
    at.text_area(key="sparql_text").set_value("SELECT ?l WHERE { agr:CAN rdfs:label ?l }")
    at.button(key="sparql_run").click()
    at.run()
    assert not at.exception and not at.error


@pytest.fixture(scope="module")
def endpoint():
    import threading

    from graph.endpoint import make_server
    from graph.limits import QueryLimits
    from graph.store import open_graph

    server = make_server(open_graph(), "127.0.0.1", 0, limits=QueryLimits(timeout_s=2), quiet=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def _post(url: str, query: str) -> tuple[int, str]:
    data = urllib.parse.urlencode({"query": query}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_endpoint_refuses_hostile_queries(endpoint: str, name: str) -> None:
    text, reason = HOSTILE[name]
    status, body = _post(endpoint, text)
    assert 400 <= status < 500
    # a 1 MB body is already refused by the server's body limit (413), before the query check
    assert reason in body or (name == "one-megabyte" and status == 413 and "must be under" in body)


def test_endpoint_stops_a_cross_product_and_keeps_answering(endpoint: str) -> None:
    import threading

    results: dict[str, tuple[int, str]] = {}
    t = threading.Thread(target=lambda: results.__setitem__("slow", _post(endpoint, CROSS_PRODUCT)))
    t.start()
    status, body = _post(endpoint, "ASK { agr:CAN ag:memberOf agr:NATO }")
    assert status == 200 and "true" in body
    t.join(timeout=60)
    assert results["slow"][0] == 503 and "time limit" in results["slow"][1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_a_worker_dies_with_the_server_that_started_it(tmp_path: Path) -> None:
    """A forked worker (a query, the background validation) must not run on alone once the
    server is gone."""
    import os
    import signal
    import time

    pid_file = tmp_path / "worker.pid"
    script = f"""
import os, threading, time
from graph.limits import QueryLimits, run_isolated

def work():
    open({str(pid_file)!r}, "w").write(str(os.getpid()))
    time.sleep(120)
    return b""

threading.Thread(target=lambda: run_isolated(work, QueryLimits(timeout_s=None)), daemon=True).start()
time.sleep(120)
"""
    server = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent)
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(pid_file.read_text())
        os.kill(worker, 0)  # running
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        # a zombie has no /proc/<pid>/status state "R"/"S": it is gone but not reaped
        status = Path(f"/proc/{worker}/status")
        if status.exists() and "\nState:\tZ" in status.read_text():
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived its server")


def test_an_oversized_body_gets_its_413_every_time(endpoint: str) -> None:
    """The server reads an oversized body away before answering: the sender gets the 413
    instead of a reset connection (which it got about half the time)."""
    from concurrent.futures import ThreadPoolExecutor

    query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * (2 * 1024 * 1024)

    def post(_: int) -> int | str:
        try:
            return _post(endpoint, query)[0]
        except OSError as err:  # a reset connection
            return type(err).__name__

    with ThreadPoolExecutor(8) as pool:  # several at once, as under load
        statuses = list(pool.map(post, range(40)))
    assert statuses == [413] * 40
