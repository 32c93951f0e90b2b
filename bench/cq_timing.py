"""Time the competency-question suite on each embedded store and on a remote Oxigraph server.

Usage: python bench/cq_timing.py [--repeat N] [--dir ontology/cq]

Loads the shipped graph on ``oxigraph`` and ``memory``, exports it, loads the export
into a real ``oxigraph serve-read-only`` on a free loopback port, then runs every
``*.rq`` in the folder on each store (the project's own files: no time or row limit)
and prints the total wall time per store (best of N repeats) and the slowest query.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from graph import paths
from graph.export import export_rdf
from graph.sparql import run_query
from graph.store import KnowledgeGraph, open_graph


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _oxigraph_server(
    kg: KnowledgeGraph, workdir: Path, timeout_s: float | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    binary = str(Path(sys.executable).parent / "oxigraph")
    if not Path(binary).exists():
        binary = shutil.which("oxigraph") or sys.exit("the oxigraph server binary is missing (pip install oxigraph)")
    dump = workdir / "graph.nt"
    dump.write_bytes(export_rdf(kg, "nt"))
    subprocess.run([binary, "load", "--location", str(workdir / "db"), "--file", str(dump)],
                   check=True, capture_output=True)
    port = _free_port()
    cmd = [binary, "serve-read-only", "--location", str(workdir / "db"), "--bind", f"127.0.0.1:{port}"]
    if timeout_s:
        cmd += ["--timeout-s", f"{timeout_s:g}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    return proc, url


def time_suite(kg: KnowledgeGraph, queries: list[Path], repeat: int) -> tuple[float, str, float]:
    best_total, slowest, slowest_t = float("inf"), "", 0.0
    for _ in range(repeat):
        total = 0.0
        for rq in queries:
            started = time.perf_counter()
            run_query(kg, rq)
            took = time.perf_counter() - started
            total += took
            if took > slowest_t:
                slowest, slowest_t = rq.stem, took
        best_total = min(best_total, total)
    return best_total, slowest, slowest_t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=paths.ontology_dir() / "cq")
    args = parser.parse_args()
    queries = sorted(args.dir.glob("*.rq"))
    if not queries:
        sys.exit(f"no competency questions in {args.dir}")
    print(f"{len(queries)} competency questions from {args.dir}, best of {args.repeat}")
    stores: dict[str, KnowledgeGraph] = {}
    for name in ("oxigraph", "memory"):
        started = time.perf_counter()
        stores[name] = open_graph(name)
        print(f"  loaded {name:8s} in {time.perf_counter() - started:.2f} s ({stores[name].count_triples():,} triples)")
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _oxigraph_server(stores["oxigraph"], Path(tmp))
        try:
            stores["remote"] = open_graph(url)
            print(f"{'store':10s} {'total':>9s}  slowest")
            for name, kg in stores.items():
                total, slowest, slowest_t = time_suite(kg, queries, args.repeat)
                print(f"{name:10s} {total * 1000:8.1f}ms  {slowest} ({slowest_t * 1000:.1f} ms)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
