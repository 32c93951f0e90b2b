"""`alliance-graph serve` against Oxigraph's own server, same graph, same queries, same run.

Usage: python bench/serve_compare.py [--clients 8] [--duration 20] [--rounds ABCCBA]
       [--data FILE ...] [--baseline CHECKOUT]

Starts both servers on loopback, each holding the shipped graph (plus ``--data``
files): ``alliance-graph serve`` (the project's path for untrusted queries: safety
check, warm workers, time/row/size limits) and ``oxigraph serve-read-only --timeout-s``
(the engine alone on its on-disk store, no safety check) and ``oxigraph serve`` on an
in-memory store loaded over the Graph Store Protocol (the engine as we embed it). With
``--baseline DIR``, server ``D`` is ``alliance-graph serve`` run from another checkout
(an older commit, to measure a change). Then, in rounds (``ABCCBA``: each server early
and late, to even out a noisy machine), ``--clients`` threads send the competency questions
(``ontology/cq/*.rq``, in a shuffled loop) for ``--duration`` seconds to one server and
the figures are printed: requests/s, p50 and p99 latency, failures, and the ratio of
the medians of the two servers' rounds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cq_timing import _oxigraph_server  # noqa: E402
from load_test import free_port, request_timed  # noqa: E402


def start_ours(data: list[str], timeout: float, root: Path = ROOT) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "graph", "serve", "--port", str(port), "--quiet"]
    for d in data:
        cmd += ["--data", d]
    env = {**os.environ, "ALLIANCE_GRAPH_QUERY_TIMEOUT": str(timeout)}
    env["PYTHONPATH"] = str(root)
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("alliance-graph serve exited at start")
        try:
            urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2).read()  # noqa: S310
            return proc, url
        except OSError:
            time.sleep(0.3)
    sys.exit("alliance-graph serve did not start")


def start_oxigraph_memory(kg: object, timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    from graph.export import export_rdf

    binary = str(Path(sys.executable).parent / "oxigraph")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}", "--timeout-s", f"{timeout:g}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=1).read()  # noqa: S310
            break
        except OSError:
            time.sleep(0.1)
    body = export_rdf(kg, "nt")  # type: ignore[arg-type]
    req = urllib.request.Request(base + "/store?default", data=body, method="POST",
                                 headers={"Content-Type": "application/n-triples"})  # fmt: skip
    urllib.request.urlopen(req, timeout=120).read()  # noqa: S310
    return proc, base + "/query"


def one_round(url: str, queries: list[str], clients: int, duration: float, seed: int) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client(i: int) -> None:
        nonlocal failures
        rng = random.Random(seed * 1000 + i)
        order = queries[:]
        while time.monotonic() < stop:
            rng.shuffle(order)
            for q in order:
                if time.monotonic() >= stop:
                    break
                status, took, _ = request_timed(url, q, 30.0)
                with lock:
                    if status == 200:
                        latencies.append(took)
                    else:
                        failures += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "ok": len(latencies),
        "failed": failures,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--rounds", default="ABCCBA")
    ap.add_argument("--baseline", type=Path, help="another checkout: its alliance-graph serve is server D")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--data", action="append", default=[])
    args = ap.parse_args()

    from graph.store import open_graph

    queries = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "ontology" / "cq").glob("cq*.rq"))]
    kg = open_graph(data=args.data)
    print(f"{len(queries)} competency questions; {kg.count_triples():,} triples; {args.clients} clients; "
          f"{args.duration:g} s per round; rounds {args.rounds}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        servers: dict[str, tuple[str, subprocess.Popen[bytes], str]] = {}
        procs: list[subprocess.Popen[bytes]] = []
        try:
            proc, url = start_ours(args.data, args.timeout)
            servers["A"] = ("alliance-graph serve", proc, url)
            proc, url = _oxigraph_server(kg, Path(tmp), timeout_s=args.timeout)
            servers["B"] = ("oxigraph serve-read-only", proc, url)
            proc, url = start_oxigraph_memory(kg, args.timeout)
            servers["C"] = ("oxigraph serve (memory)", proc, url)
            if args.baseline:
                proc, url = start_ours(args.data, args.timeout, args.baseline.resolve())
                servers["D"] = (f"baseline {args.baseline.name}", proc, url)
            procs = [p for _, p, _ in servers.values()]
            del kg
            results: dict[str, list[dict[str, float]]] = {k: [] for k in servers}
            for _, _, url in servers.values():  # warm each
                one_round(url, queries, 2, 2.0, 0)
            for n, key in enumerate(k for k in args.rounds if k in servers):
                name, _, url = servers[key]
                r = one_round(url, queries, args.clients, args.duration, n + 1)
                results[key].append(r)
                print(f"round {n + 1} {name:26} {r['rps']:7.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                      f"p99 {r['p99_ms']:7.1f} ms  ok {r['ok']:6d}  failed {r['failed']}")  # fmt: skip
        finally:
            for _, proc, _ in servers.values():
                proc.terminate()
                proc.wait(timeout=10)
    names = {k: (v[0], v[2]) for k, v in servers.items()}
    del procs
    print()
    print(f"{'server':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   (median of its rounds)")
    med = {}
    for key, (name, _) in names.items():
        rs = results[key]
        if not rs:
            continue
        med[key] = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
        print(f"{name:26} {med[key]['rps']:8.1f} {med[key]['p50_ms']:8.1f} {med[key]['p99_ms']:8.1f}")
    for key in ("B", "C", "D"):
        if key in med and "A" in med:
            print(f"ours / {names[key][0]}: throughput {med['A']['rps'] / med[key]['rps']:.2f}x, "
                  f"p50 {med['A']['p50_ms'] / med[key]['p50_ms']:.2f}x, "
                  f"p99 {med['A']['p99_ms'] / med[key]['p99_ms']:.2f}x")  # fmt: skip

if __name__ == "__main__":
    main()
