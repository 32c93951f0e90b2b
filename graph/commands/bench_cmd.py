"""`alliance-graph bench`: the project against rdflib and pyoxigraph on synthetic alliance graphs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph.errors import ConfigError

HELP = (
    "Benchmark load, queries, projection, analytics, rendering and the app on synthetic "
    "alliance graphs, against rdflib and pyoxigraph; print a table, write JSON"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes", default=None,
        help="comma-separated sizes in triples (default 10k,100k,1M; --quick: 10k)",
    )  # fmt: skip
    parser.add_argument("--out", default="bench/out", help="folder for the JSON and Markdown report")
    parser.add_argument("--data-dir", default="bench/data", help="folder for the generated graphs")
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic graphs")
    parser.add_argument(
        "--quick", action="store_true",
        help="a smoke run: 10k only, 3 repetitions per query, no Turtle loads, no browser",
    )  # fmt: skip
    parser.add_argument("--no-browser", action="store_true", help="skip the app measured in Chromium")
    parser.add_argument("--no-render", action="store_true", help="skip the render measures")
    parser.add_argument(
        "--render-sizes", default="500,2000,10000",
        help="node counts of the rendered views (default 500,2000,10000)",
    )  # fmt: skip
    parser.add_argument("--no-turtle", action="store_true", help="load only the N-Triples files")
    parser.add_argument(
        "--rdflib-max", default="1M",
        help="largest size on which rdflib's Memory store also runs (default 1M; pyoxigraph runs at every size)",
    )  # fmt: skip
    parser.add_argument("--reps", type=int, default=None, help="most repetitions per query (default 7)")
    parser.add_argument(
        "--query-timeout", type=float, default=None,
        help="seconds one query run may take before it is stopped (default 10; --quick: 5)",
    )  # fmt: skip
    parser.add_argument("--app-size", default="100k", help="synthetic size loaded in the app (default 100k)")
    parser.add_argument(
        "--plan-from", default=None, metavar="REPORT.json",
        help="skip queries that timed out (or would, scaled linearly) at the largest size of an earlier report",
    )  # fmt: skip
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")


def checkout_root() -> Path:
    """The repository checkout this library runs from, put on ``sys.path`` so that its
    ``bench`` package (not in the wheel) imports; a clear error from an installed wheel."""
    import os

    import graph

    root = Path(graph.__file__).resolve().parent.parent
    if not (root / "bench" / "harness.py").is_file():
        raise ConfigError(
            "alliance-graph bench runs from a checkout of the repository (the harness is in its "
            "bench/ folder, not in the installed package): clone it and run `make bench`"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    # the harness's worker processes (python -m bench.harness) import it the same way
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    return root


def run(args: argparse.Namespace) -> int:
    checkout_root()
    from bench.harness import BenchConfig, format_table, run_bench, sizes_from_text, write_report
    from bench.synthetic import parse_size

    try:
        sizes = sizes_from_text(args.sizes or ("10k" if args.quick else "10k,100k,1M"))
        rdflib_max = parse_size(args.rdflib_max)
        app_size = parse_size(args.app_size)
        [int(n) for n in args.render_sizes.split(",") if n.strip()]
    except ValueError as err:
        raise ConfigError(str(err)) from err
    if not sizes:
        raise ConfigError("--sizes: give at least one size, e.g. 10k")
    if args.store or args.data:
        raise ConfigError("bench measures its own synthetic graphs: --store and --data do not apply")
    cfg = BenchConfig(
        sizes=sizes,
        out_dir=Path(args.out),
        data_dir=Path(args.data_dir),
        seed=args.seed,
        max_reps=args.reps or (3 if args.quick else 7),
        query_budget_s=0.5 if args.quick else 1.0,
        query_timeout_s=args.query_timeout or (5.0 if args.quick else 10.0),
        rdflib_max_size=rdflib_max,
        turtle=not (args.no_turtle or args.quick),
        render=not args.no_render,
        render_sizes=tuple(int(n) for n in args.render_sizes.split(",") if n.strip()),
        browser=not (args.no_browser or args.quick),
        app_size=app_size,
        plan_from=Path(args.plan_from) if args.plan_from else None,
    )

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    report = run_bench(cfg, progress)
    js, md = write_report(report, cfg.out_dir)
    print(format_table(report, markdown=args.markdown))
    from bench.harness import target_summary

    biggest = max((n for n in report["sizes"]), key=parse_size)
    summary = target_summary(report, "1M" if "1M" in report["sizes"] else biggest)
    if summary:
        print("\nTargets of the scale issue:")
        print("\n".join(summary))
    meta = report["meta"]
    print(
        f"\n{meta['elapsed_s']:.0f} s; lowest free memory {meta['min_free_memory_mb']:.0f} MB, "
        f"swap used {meta['max_swap_used_mb']:.0f} MB. Query cells: median / p95. "
        f"Report: {js} and {md}"
    )
    return 0
