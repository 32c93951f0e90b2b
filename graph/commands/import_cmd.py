"""`alliance-graph import`: check and validate the user's own data, and write it as Turtle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph.commands import open_from_args
from graph.importer import import_files

HELP = "Check a data file (Turtle, N-Triples, JSON-LD, RDF/XML, or CSV sheets) against the shapes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        type=Path,
        help="one RDF file, or one or two CSV sheets (entities: ID, Label, Type, Aliases; "
        "relationships: From, To, Type, Start, End, Credibility, Status, Source...)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the checked data as Turtle to this file")
    parser.add_argument("--shapes", type=Path, default=None, help="shapes file (default: the shipped shapes)")
    parser.epilog = (
        "Nothing is written unless every check passes. Exit status: 0 valid, "
        "1 problems found (each names its file, row and field), 2 a file could not be read."
    )


def run(args: argparse.Namespace) -> int:
    kg = open_from_args(args)
    result = import_files(
        args.files, kg, shapes=args.shapes, progress=lambda msg: print(f"import: {msg}", file=sys.stderr, flush=True)
    )
    for issue in result.issues:
        print(f"{issue.severity}: {issue}", file=sys.stderr)
    if not result.ok:
        print(f"not imported: {len(result.errors)} problem(s)", file=sys.stderr)
        return 1
    summary = (
        f"{', '.join(result.files)}: {len(result.triples)} triples, {result.entities} entities, "
        f"{result.statements} relationships; "
        + ("valid against the shapes" if result.validated else "checked (not validated)")
    )
    print(summary)
    if args.output:
        args.output.write_text(result.turtle(), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
