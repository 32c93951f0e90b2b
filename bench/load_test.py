"""Load test of `alliance-graph serve` on loopback: concurrent clients, mixed queries, hostile ones.

Starts the real endpoint in a subprocess, runs N client threads for D seconds, each
sending a mix of well-formed queries from the saved catalogue and hostile ones
(updates, SERVICE, FROM, runaway cross products, a 1 MB query, deep nesting), then
reports throughput, p50/p99 latency per kind, failures of well-formed requests, the
server's memory over time, and whether runaways were stopped at the time limit.

    python bench/load_test.py --clients 32 --duration 60 [--timeout 2] [--json out.json]
    python bench/load_test.py --clients 8 --runaway-clients 8 --duration 30 --timeout 2

``--runaway-clients K`` adds K threads that send nothing but runaways from another
loopback address (127.0.0.2, one client as the server sees it): the latency of the
other clients' queries then shows whether one client can hold every query slot.

Exit status 0 when no well-formed request failed, memory did not keep growing and
every runaway was stopped within the limit (plus a grace of 2 s); 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOSTILE = {
    "update": "INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }",
    "drop": "PREFIX ex: <http://ex/>\n# harmless?\ndrop ALL",
    "service": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "from-file": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "from-http": "SELECT * FROM <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }",
    "huge": "SELECT * WHERE { ?s ?p ?o } # " + "x" * (1024 * 1024),
    "nested": "SELECT * WHERE " + "{ " * 2000 + "?s ?p ?o" + " }" * 2000,
}
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def good_queries() -> list[str]:
    from graph.sparql import list_saved_queries

    out = []
    for q in list_saved_queries():
        if q.params:
            continue
        out.append(q.text)
    return out


def request(url: str, query: str, timeout: float) -> tuple[int, float]:
    status, elapsed, _ = request_timed(url, query, timeout)
    return status, elapsed


def request_timed(
    url: str, query: str, timeout: float, source: str | None = None
) -> tuple[int, float, float | None]:
    """Status, latency, and the server's own run time of the query (X-Query-Time-Ms).

    ``source``: the loopback address to send from (another client, as the server sees it).
    """
    data = urllib.parse.urlencode({"query": query}).encode()
    parts = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    ran: str | None = None
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout,
        source_address=(source, 0) if source else None,
    )  # fmt: skip
    try:
        conn.request("POST", parts.path, body=data, headers={
            "Accept": "application/sparql-results+json, text/turtle",
            "Content-Type": "application/x-www-form-urlencoded",
        })  # fmt: skip
        r = conn.getresponse()
        r.read()
        status = r.status
        ran = r.headers.get("X-Query-Time-Ms")
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - started, (float(ran) / 1000 if ran else None)


def run(
    clients: int, duration: float, query_timeout: float, seed: int = 1, runaway_clients: int = 0
) -> dict[str, object]:
    port = free_port()
    env = {**os.environ, "ALLIANCE_GRAPH_QUERY_TIMEOUT": str(query_timeout)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph", "serve", "--port", str(port), "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.3)
        goods = good_queries()
        lock = threading.Lock()
        samples: dict[str, list[float]] = {"good": [], "hostile": [], "runaway": []}
        if runaway_clients:
            samples["runaway_client"] = []
        failures: list[str] = []
        hostile_ok: list[bool] = []
        hostile_bad: list[str] = []  # which hostile request got which status, when not refused
        runaway_run: list[float] = []
        memory: list[tuple[float, float]] = []
        stop = time.monotonic() + duration

        def client(i: int) -> None:
            rnd = random.Random(seed + i)
            while time.monotonic() < stop:
                r = rnd.random()
                if r < 0.8:
                    q = rnd.choice(goods)
                    status, t = request(url, q, query_timeout + 90)
                    with lock:
                        samples["good"].append(t)
                        if status != 200:
                            failures.append(f"{status} for {q.splitlines()[0][:60]}")
                elif r < 0.97:
                    name = rnd.choice(sorted(HOSTILE))
                    status, t = request(url, HOSTILE[name], query_timeout + 90)
                    with lock:
                        samples["hostile"].append(t)
                        # refused (4xx) or stopped at the time limit (503); deep nesting may be answered
                        ok = 400 <= status < 500 or status == 503 or (name == "nested" and status == 200)
                        hostile_ok.append(ok)
                        if not ok:
                            hostile_bad.append(f"{name}: {status}")
                else:
                    status, t, ran = request_timed(url, RUNAWAY, query_timeout + 90)
                    with lock:
                        samples["runaway"].append(t)
                        runaway_run.append(ran if ran is not None else t)
                        hostile_ok.append(status in (400, 408, 413, 503, 504))
                        if status not in (400, 408, 413, 503, 504):
                            hostile_bad.append(f"runaway: {status}")

        def runaway_client() -> None:
            while time.monotonic() < stop:
                status, t, ran = request_timed(url, RUNAWAY, query_timeout + 90, source="127.0.0.2")
                with lock:
                    samples["runaway_client"].append(t)
                    hostile_ok.append(status in (400, 408, 413, 503, 504))
                    if status not in (400, 408, 413, 503, 504):
                        hostile_bad.append(f"runaway client: {status}")

        def watch() -> None:
            t0 = time.monotonic()
            while time.monotonic() < stop:
                memory.append((round(time.monotonic() - t0, 1), rss_mb(proc.pid)))
                time.sleep(1)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        threads += [threading.Thread(target=runaway_client) for _ in range(runaway_clients)]
        threads.append(threading.Thread(target=watch))
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    def pct(xs: list[float], p: float) -> float | None:
        if not xs:
            return None
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(p * len(xs)))] * 1000, 1)

    mem = [m for _, m in memory if m > 0]
    half = len(mem) // 2
    growth = (statistics.median(mem[half:]) - statistics.median(mem[:half])) if half >= 2 else 0.0
    # the time limit is judged on how long the server let the query run (its X-Query-Time-Ms),
    # not on the latency, which includes waiting for a free slot behind other clients
    runaway_max = max(runaway_run, default=0.0)
    total = sum(len(v) for v in samples.values())
    report = {
        "clients": clients,
        "runaway_clients": runaway_clients,
        "duration_s": round(elapsed, 1),
        "query_timeout_s": query_timeout,
        "requests": total,
        "throughput_rps": round(total / elapsed, 1),
        "latency_ms": {
            k: {"n": len(v), "p50": pct(v, 0.5), "p99": pct(v, 0.99)} for k, v in samples.items()
        },
        "failed_well_formed": len(failures),
        "failure_examples": failures[:5],
        "hostile_refused_or_stopped": all(hostile_ok),
        "hostile_not_refused": hostile_bad[:10],
        "runaway_max_run_s": round(runaway_max, 2),
        "time_limit_held": runaway_max <= query_timeout + 2.0,
        "memory_mb_first_last": [mem[0] if mem else None, mem[-1] if mem else None],
        "memory_growth_mb_second_half": round(growth, 1),
        "memory_samples": memory,
    }
    report["ok"] = (
        report["failed_well_formed"] == 0
        and report["hostile_refused_or_stopped"]
        and report["time_limit_held"]
        and growth < 100
    )
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--timeout", type=float, default=10.0, help="the server's per-query time limit")
    ap.add_argument("--runaway-clients", type=int, default=0,
                    help="extra threads sending only runaways from 127.0.0.2 (one other client)")
    ap.add_argument("--json", type=Path, help="write the report here")
    args = ap.parse_args()
    report = run(args.clients, args.duration, args.timeout, runaway_clients=args.runaway_clients)
    shown = {k: v for k, v in report.items() if k != "memory_samples"}
    print(json.dumps(shown, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
