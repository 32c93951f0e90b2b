"""`alliance-graph serve`: not built yet."""

from __future__ import annotations

import argparse

from graph.commands._stub import not_built

HELP = "Serve the graph as a read-only SPARQL 1.1 endpoint (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def run(args: argparse.Namespace) -> int:
    return not_built("serve", args)
