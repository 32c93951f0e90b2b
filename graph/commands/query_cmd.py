"""`alliance-graph query`: run SPARQL from text, a .rq file or the saved catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph.commands import open_from_args
from graph.errors import ConfigError
from graph.results import GRAPH_FORMATS, TABLE_FORMATS
from graph.sparql import get_saved_query, list_saved_queries, read_query, run_query_to

HELP = "Run a SPARQL query (text, --file F.rq or --name SAVED) and print the results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("text", nargs="?", help="the query text ('-' reads it from stdin)")
    src.add_argument("--file", type=Path, help="a .rq file")
    src.add_argument("--name", help="a saved query (see --list)")
    src.add_argument("--list", action="store_true", help="list the saved queries with what they answer")
    parser.add_argument(
        "--format",
        choices=[*TABLE_FORMATS, *GRAPH_FORMATS],
        default=None,
        help="output format: table (default), csv, tsv, json, xml for SELECT/ASK; "
        "ttl (default), nt, jsonld for CONSTRUCT/DESCRIBE",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind a variable (value: <iri>, prefix:name, a number, a date or text)",
    )
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="seconds before the query is stopped (default: $ALLIANCE_GRAPH_QUERY_TIMEOUT or 10; 0: none)")
    parser.add_argument("--max-rows", type=int, default=None, metavar="N",
                        help="rows to return (default: $ALLIANCE_GRAPH_QUERY_MAX_ROWS or 10000; 0: all)")
    parser.add_argument("-o", "--output", type=Path, help="write the results to this file")


def _params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param expects NAME=VALUE, got {item!r}")
        out[name.strip().lstrip("?$")] = value
    return out


def _list() -> int:
    queries = list_saved_queries()
    width = max((len(q.name) for q in queries), default=10)
    group = None
    for q in queries:
        if q.group != group:
            group = q.group
            print(f"[{group}]")
        print(f"  {q.name:{width}s}  {q.description}")
        for p, d in q.params:
            print(f"  {'':{width}s}    --param {p}=...  {d}")
    return 0


def run(args: argparse.Namespace) -> int:
    from graph.commands.serve_cmd import limits_from_args

    if args.list:
        return _list()
    if args.file:
        text = read_query(args.file)
    elif args.name:
        text = get_saved_query(args.name).text
    elif args.text:
        text = sys.stdin.read() if args.text == "-" else args.text
        if text.strip().endswith(".rq") and not any(c.isspace() for c in text.strip()):
            raise ConfigError(f"{text.strip()!r} is a file name, not a query: use --file {text.strip()}")
    else:
        raise ConfigError("give the query text, --file F.rq or --name SAVED (or --list)")
    limits = limits_from_args(args)
    params = _params(args.param)
    from graph.sparql import check_query

    form = check_query(text, limits)  # refuse before loading anything
    fmt = args.format or ("ttl" if form in {"CONSTRUCT", "DESCRIBE"} else "table")
    kg = open_from_args(args)
    result = run_query_to(kg, text, fmt, params, limits=limits)
    if args.output:
        args.output.write_bytes(result.data)
        print(f"wrote {len(result.data):,} bytes to {args.output} in {result.elapsed_s:.2f} s", file=sys.stderr)
    else:
        out = sys.stdout.buffer
        out.write(result.data)
        if result.data and not result.data.endswith(b"\n"):
            out.write(b"\n")
        out.flush()
    if result.truncated:
        print(
            f"warning: results cut at the row limit ({limits.row_cap():,}); "
            "use --max-rows 0 for all of them",
            file=sys.stderr,
        )
    return 0
