"""Time the projection and the analytics suite on synthetic alliance graphs (medians).

Usage::

    python bench/analytics_timing.py                 # 100k and 1M triples, 3 runs each
    python bench/analytics_timing.py --sizes 10k --runs 1 --backend networkx

Graphs come from :mod:`bench.synthetic` (the scale issue's generator), written once to
``--dir`` and loaded into the embedded Oxigraph store. For each size the script prints
the load time, the projection (1M triples: target under 3 s), every measure, the whole
suite, and the alliance questions; ``--json FILE`` keeps the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run by path: bench/ is a package

from bench.synthetic import parse_size, size_name, synthetic_files
from graph import analytics as an
from graph.network import Filters, project
from graph.store import open_graph


def median_time(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def bench_size(size: int, out_dir: Path, runs: int, backend: str, seed: int) -> dict[str, Any]:
    files = synthetic_files(size, out_dir, seed=seed)
    t = time.perf_counter()
    kg = open_graph("oxigraph", [files.nt], include_default=False)
    load_s = time.perf_counter() - t
    figures: dict[str, Any] = {"size": size_name(size), "triples": files.triples, "load_s": load_s}

    proj_s, g = median_time(lambda: project(kg), runs)
    figures["project_s"] = proj_s
    actors = Filters(actors_only=True, events=False, exclude_status=frozenset({"Contradicted"}))
    figures["project_filtered_s"], g = median_time(lambda: project(kg, actors), runs)
    asof = Filters(as_of=dt.date(2010, 1, 1), events=False, exclude_status=frozenset({"Contradicted"}))
    figures["project_as_of_s"], _ = median_time(lambda: project(kg, asof), runs)
    figures["nodes"], figures["edges"] = g.number_of_nodes(), g.number_of_edges()

    per_measure: dict[str, list[float]] = {}
    suite_times = []
    analysis = None
    for _ in range(runs):
        t = time.perf_counter()
        analysis = an.analyze(g, seed=0, backend=backend)
        suite_times.append(time.perf_counter() - t)
        for m, s in analysis.timings.items():
            per_measure.setdefault(m, []).append(s)
    figures["suite_s"] = statistics.median(suite_times)
    figures["measures_s"] = {m: statistics.median(v) for m, v in per_measure.items()}
    assert analysis is not None
    figures["modularity"] = analysis.modularity

    nato = next((n for n in g if str(n).endswith("/NATO")), None)
    can = next((n for n in g if str(n).endswith("/CAN")), None)
    jpn = next((n for n in g if str(n).endswith("/JPN")), None)
    questions: dict[str, float] = {}
    if can is not None and jpn is not None:
        questions["shortest_paths"], _ = median_time(lambda: an.shortest_paths(g, can, jpn), runs)
    questions["gaps"], _ = median_time(lambda: an.gaps(g), runs)
    questions["co_participation"], _ = median_time(lambda: an.co_participation(g), runs)
    questions["suggest_links_states"], _ = median_time(
        lambda: an.suggest_links(g, types=an.STATE_TYPES, top=20), runs
    )
    questions["with_analytics_copy"], _ = median_time(lambda: an.with_analytics(kg, analysis), 1)
    figures["questions_s"] = questions
    figures["top_broker"] = str(max(analysis.measures["betweenness"], key=analysis.measures["betweenness"].get))
    figures["nato_in_graph"] = nato is not None
    return figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="+", default=["100k", "1M"])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--backend", choices=["auto", "networkx", "igraph"], default="auto")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "alliance-graph-bench")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    results = []
    print(f"igraph installed: {an._igraph() is not None}; backend: {args.backend}; runs: {args.runs} (medians)")
    for s in args.sizes:
        f = bench_size(parse_size(s), args.dir, args.runs, args.backend, args.seed)
        results.append(f)
        print(f"\n== {f['size']} ({f['triples']} triples): {f['nodes']} nodes, {f['edges']} edges (actors) ==")
        print(f"load {f['load_s']:.2f} s | project all {f['project_s']:.2f} s | actors {f['project_filtered_s']:.2f} s"
              f" | as-of {f['project_as_of_s']:.2f} s")
        print(f"analytics suite (every measure) {f['suite_s']:.2f} s; modularity {f['modularity']:.3f}")
        for m, v in f["measures_s"].items():
            print(f"  {m:16s} {v:7.3f} s")
        for q, v in f["questions_s"].items():
            print(f"  {q:22s} {v:7.3f} s")
        sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
