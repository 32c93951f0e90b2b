"""`alliance-graph validate`: check the graph against the SHACL shapes."""

from __future__ import annotations

import argparse

from graph.commands import open_from_args
from graph.validate import format_report, validate_graph

HELP = "Validate the graph (and any --data files) against the SHACL shapes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Exit status: 0 conforms, 1 does not conform, 2 a file could not be loaded."


def run(args: argparse.Namespace) -> int:
    kg = open_from_args(args)
    report = validate_graph(kg)
    print(format_report(report))
    return 0 if report.conforms else 1
