"""`alliance-graph bench`: not built yet."""

from __future__ import annotations

import argparse

from graph.commands._stub import not_built

HELP = "Run the benchmark harness on synthetic alliance graphs (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def run(args: argparse.Namespace) -> int:
    return not_built("bench", args)
