"""`alliance-graph import`: not built yet."""

from __future__ import annotations

import argparse

from graph.commands._stub import not_built

HELP = "Import a data file (Turtle, N-Triples, JSON-LD, RDF/XML, CSV) after validating it (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def run(args: argparse.Namespace) -> int:
    return not_built("import", args)
