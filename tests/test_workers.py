"""Query workers: warm, reused, forked only from a host with one thread, and killable.

These check what an operator relies on: a query never forks the threaded server; a
runaway is stopped and the next query still answers; a worker's memory is capped; the
host and its workers do not outlive the process that made them; and a host started
from a threaded process (the explorer) answers exactly as the embedded store does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graph.errors import AnswerTooLarge, QueryError, QueryTimeout
from graph.limits import QueryLimits
from graph.sparql import run_query
from graph.store import open_graph
from graph.workers import WorkerPool, attach, pool_for

ROOT = Path(__file__).resolve().parent.parent
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")


def _status(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise KeyError(field)


def _alive(pid: int) -> bool:
    try:
        return _status(pid, "State")[:1] not in {"Z", "X"}
    except (FileNotFoundError, KeyError):
        return False


def _idle_pids(pool: WorkerPool) -> list[int]:
    return [w.pid for w in list(pool.idle.queue)]


@pytest.fixture(scope="module", params=["oxigraph", "memory"])
def kg(request: pytest.FixtureRequest):
    return open_graph(request.param)


@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_a_worker_is_reused_and_its_host_has_one_thread(kg, mode: str) -> None:
    pool = WorkerPool(kg, mode=mode)
    try:
        attach(kg, pool)
        answers = {run_query(kg, COUNT).rows[0][0] for _ in range(5)}
        assert len(answers) == 1
        assert pool.started == 1, "five queries one after another need one worker"
        (worker,) = _idle_pids(pool)
        assert _status(pool.host_pid, "Threads") == "1"
        # the worker is the host's child, not the caller's
        assert int(_status(worker, "PPid")) == pool.host_pid != os.getpid()
    finally:
        attach(kg, None)
        pool.close()
    assert not _alive(pool.host_pid)


def test_a_threaded_caller_gets_a_spawned_host_that_answers_as_the_store_does(kg) -> None:
    """The explorer's case: a caller with threads never forks; its host loads a copy."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        pool = WorkerPool(kg)
    finally:
        stop.set()
        other.join()
    try:
        assert pool.mode == "spawn"
        queries = [
            COUNT,
            "SELECT ?s ?o WHERE { ?s <https://w3id.org/alliance-graph/ontology#memberOf> ?o } ORDER BY ?s ?o",
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/alliance-graph/ontology#State> ; ?p ?o }",
            "ASK { ?s ?p ?o }",
        ]
        direct = [run_query(kg, q, limits=QueryLimits(isolate=False, max_rows=None)) for q in queries]
        attach(kg, pool)
        pooled = [run_query(kg, q, limits=QueryLimits(max_rows=None)) for q in queries]
    finally:
        attach(kg, None)
        pool.close()
    for a, b in zip(direct, pooled, strict=True):
        assert a.kind == b.kind
        if a.kind == "select":
            assert a.vars == b.vars and a.rows == b.rows and len(a.rows) > 0
        elif a.kind == "graph":
            assert a.graph is not None and b.graph is not None
            assert len(a.graph) == len(b.graph) > 100
            assert set(a.graph) == set(b.graph)
        else:
            assert a.boolean is b.boolean is True


def test_a_runaway_is_killed_and_the_next_query_answers(kg) -> None:
    pool = WorkerPool(kg, mode="fork")
    attach(kg, pool)
    try:
        run_query(kg, COUNT)
        (first,) = _idle_pids(pool)
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="stopped after 1 s"):
            run_query(kg, RUNAWAY, limits=QueryLimits(timeout_s=1))
        assert time.monotonic() - started < 5
        deadline = time.monotonic() + 5
        while _alive(first) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(first), "the runaway's worker must be gone"
        assert int(run_query(kg, COUNT).rows[0][0]) > 1000
        assert first not in _idle_pids(pool)
    finally:
        attach(kg, None)
        pool.close()


def test_concurrent_queries_run_in_parallel_workers(kg) -> None:
    """Two runaways at once take one time limit, not two: they run side by side."""
    pool = WorkerPool(kg, mode="fork")
    attach(kg, pool)
    errors: list[BaseException] = []

    def runaway() -> None:
        try:
            run_query(kg, RUNAWAY, limits=QueryLimits(timeout_s=2))
        except QueryTimeout as err:
            errors.append(err)

    try:
        threads = [threading.Thread(target=runaway) for _ in range(2)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
        assert len(errors) == 2
        assert took < 3.9, f"two 2 s runaways took {took:.1f} s: they waited for each other"
        assert int(run_query(kg, COUNT).rows[0][0]) > 1000
    finally:
        attach(kg, None)
        pool.close()


def test_memory_and_size_caps_hold_in_a_reused_worker(kg) -> None:
    pool = WorkerPool(kg, mode="fork")
    attach(kg, pool)
    try:
        with pytest.raises(AnswerTooLarge, match="larger than 1,000 bytes"):
            run_query(kg, "SELECT * WHERE { ?s ?p ?o }", limits=QueryLimits(max_rows=None, max_bytes_out=1_000))
        hog = "SELECT ?x WHERE { ?a ?b ?c . ?d ?e ?f . BIND(CONCAT(STR(?a), STR(?c), STR(?f)) AS ?x) } ORDER BY ?x"
        with pytest.raises(QueryError):
            run_query(kg, hog, limits=QueryLimits(timeout_s=30, max_rows=None, memory_mb=64))
        # the worker that ran out of memory answers again, or was replaced: either way
        assert int(run_query(kg, COUNT).rows[0][0]) > 1000
    finally:
        attach(kg, None)
        pool.close()


def test_host_and_workers_die_with_their_caller(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = f"""
import time
from graph.store import open_graph
from graph.sparql import run_query
from graph.workers import pool_for
kg = open_graph()
run_query(kg, {COUNT!r})
pool = pool_for(kg)
open({str(pids)!r}, "w").write(f"{{pool.host_pid}} {{pool.idle.queue[0].pid}}")
time.sleep(120)
"""
    caller = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not (pids.exists() and pids.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        host, worker = map(int, pids.read_text().split())
        assert _alive(host) and _alive(worker)
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 10
    while (_alive(host) or _alive(worker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(host), "the host outlived its caller"
    assert not _alive(worker), "a worker outlived its caller"


def test_a_graph_made_from_another_does_not_inherit_its_host(tmp_path: Path) -> None:
    """An upload merged in makes a new graph; its queries must see the upload, not run in the
    old graph's workers."""
    from graph.importer import check_import, merge_import

    base = open_graph()
    before = int(run_query(base, COUNT).rows[0][0])  # makes base's host
    upload = (
        b"@prefix ag: <https://w3id.org/alliance-graph/ontology#> .\n"
        b"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        b"<https://w3id.org/alliance-graph/id/Testland> a ag:City ; rdfs:label \"Testland\" .\n"
    )
    merged = merge_import(base, check_import([("extra.ttl", upload)], base))
    assert pool_for(merged) is not pool_for(base)
    found = run_query(merged, 'SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> "Testland" }')
    assert len(found.rows) == 1
    assert int(run_query(merged, COUNT).rows[0][0]) > before
    assert int(run_query(base, COUNT).rows[0][0]) == before


def test_a_host_made_in_a_thread_outlives_that_thread(kg) -> None:
    """Streamlit runs each script run in a thread of its own: the graph's host, made in one
    run, must still answer in the next."""
    made: list[WorkerPool] = []
    maker = threading.Thread(target=lambda: made.append(WorkerPool(kg)))
    maker.start()
    maker.join()
    (pool,) = made
    attach(kg, pool)
    try:
        time.sleep(0.5)
        assert _alive(pool.host_pid)
        assert int(run_query(kg, COUNT).rows[0][0]) > 1000
    finally:
        attach(kg, None)
        pool.close()
