"""`alliance-graph stats`: counts by class and relationship, sources, grades."""

from __future__ import annotations

import argparse
import json

from graph.commands import open_from_args
from graph.stats import graph_stats

HELP = "Print counts by class and by relationship, the sources, and the share of statements per grade"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["table", "json"], default="table")


def run(args: argparse.Namespace) -> int:
    stats = graph_stats(open_from_args(args))
    if args.format == "json":
        print(json.dumps(stats, indent=2))
        return 0
    print(f"triples: {stats['triples']}")
    print(f"sources: {stats['sources']}")
    print(f"statements: {stats['statements']}")
    for title, key in (("by class", "classes"), ("by relationship", "relations")):
        print(f"\n{title}:")
        for name, n in stats[key].items():
            print(f"  {name:45s} {n:>7}")
    print("\nstatements by information credibility (1 = confirmed ... 6 = cannot be judged):")
    for grade, share in stats["credibility_share"].items():
        print(f"  {grade:10s} {share:6.1%}")
    print("\nsources by reliability (A = reliable ... F = cannot be judged):")
    for grade, n in stats["reliability"].items():
        print(f"  {grade:10s} {n:>7}")
    return 0
