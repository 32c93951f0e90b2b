"""`alliance-graph analyze`: not built yet."""

from __future__ import annotations

import argparse

from graph.commands._stub import not_built

HELP = "Network analytics: centrality, brokers, communities, paths, gaps, change over time (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def run(args: argparse.Namespace) -> int:
    return not_built("analyze", args)
