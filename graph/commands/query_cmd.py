"""`alliance-graph query`: run SPARQL from text, a .rq file or the saved catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph.commands import open_from_args
from graph.errors import ConfigError
from graph.results import GRAPH_FORMATS, TABLE_FORMATS, serialize_result
from graph.sparql import get_saved_query, list_saved_queries, read_query, run_query

HELP = "Run a SPARQL query (text, --file F.rq or --name SAVED) and print the results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("text", nargs="?", help="the query text")
    src.add_argument("--file", type=Path, help="a .rq file")
    src.add_argument("--name", help="a saved query (see --list)")
    src.add_argument("--list", action="store_true", help="list the saved queries")
    parser.add_argument(
        "--format",
        choices=[*TABLE_FORMATS, *GRAPH_FORMATS],
        default="table",
        help="output format (table, csv, tsv, json, xml for SELECT/ASK; ttl, nt, jsonld for graphs)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind a variable (value: <iri>, prefix:name, a number, a date or text)",
    )


def _params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param expects NAME=VALUE, got {item!r}")
        out[name.strip().lstrip("?$")] = value
    return out


def run(args: argparse.Namespace) -> int:
    if args.list:
        for q in list_saved_queries():
            params = f"  [params: {', '.join(p for p, _ in q.params)}]" if q.params else ""
            print(f"{q.name:40s} {q.description}{params}")
        return 0
    if args.file:
        text = read_query(args.file)
    elif args.name:
        text = get_saved_query(args.name).text
    elif args.text:
        text = sys.stdin.read() if args.text == "-" else args.text
    else:
        raise ConfigError("give the query text, --file F.rq or --name SAVED (or --list)")
    kg = open_from_args(args)
    result = run_query(kg, text, _params(args.param))
    out = serialize_result(result, args.format)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    if result.truncated:
        print("warning: results truncated at the row limit", file=sys.stderr)
    return 0
