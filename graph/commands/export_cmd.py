"""`alliance-graph export`: write the whole graph as RDF or as a network file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph.commands import open_from_args
from graph.export import EXPORT_FORMATS, export_graph

HELP = "Export the graph: ttl, nt, trig, jsonld (RDF) or graphml, gexf, csv (the actor network)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=EXPORT_FORMATS, default="ttl")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")


def run(args: argparse.Namespace) -> int:
    data = export_graph(open_from_args(args), args.format)
    if args.output:
        args.output.write_bytes(data)
        print(f"wrote {len(data):,} bytes to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0
