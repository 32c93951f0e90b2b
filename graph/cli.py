"""The ``alliance-graph`` command line.

Each subcommand lives in ``graph/commands/<name>.py`` with ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Every subcommand takes the
global options ``--store`` and ``--data``. Errors of the library become one clear
line on stderr and a non-zero exit code (2 for bad input, 1 otherwise).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from graph import __version__
from graph.errors import AllianceGraphError

#: Subcommands in the order ``--help`` lists them.
COMMANDS = (
    "validate",
    "query",
    "stats",
    "export",
    "analyze",
    "serve",
    "import",
    "explore",
    "bench",
)


def _module(name: str):
    return importlib.import_module(f"graph.commands.{name.replace('-', '_')}_cmd")


def global_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    g = parent.add_argument_group("global options")
    g.add_argument(
        "--store",
        metavar="NAME_OR_ENDPOINT_URL",
        default=None,
        help="store to use: oxigraph (default), memory, or a SPARQL endpoint URL",
    )
    g.add_argument(
        "--data",
        metavar="FILE",
        nargs="+",
        action="extend",
        default=[],
        help="extra data files loaded on top of the shipped graph",
    )
    return parent


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that subcommand: each command module
    imports what it needs (rdflib, networkx, ...), and ``explore`` should not wait for the
    others' imports before the server starts."""
    parser = argparse.ArgumentParser(
        prog="alliance-graph",
        description="A sourced, dated knowledge graph of alliance partnerships.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = global_options()
    for name in COMMANDS if only is None else (only,):
        mod = _module(name)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP, parents=[parent])
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(given[0] if given and given[0] in COMMANDS else None)
    args = parser.parse_args(given)
    try:
        return int(args._run(args))
    except AllianceGraphError as err:
        print(f"alliance-graph {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
