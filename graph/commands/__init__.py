"""One module per CLI subcommand: ``HELP``, ``add_arguments(parser)``, ``run(args) -> int``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # graph.store imports rdflib: not needed to start `explore`
    from graph.store import KnowledgeGraph


def progress(message: str) -> None:
    """Progress on stderr, so that stdout stays clean for results."""
    print(f"... {message}", file=sys.stderr, flush=True)


def open_from_args(args: argparse.Namespace, *, quiet: bool = True) -> KnowledgeGraph:
    """Open the graph named by the global options ``--store`` and ``--data``."""
    from graph.store import open_graph

    return open_graph(args.store, args.data, progress=None if quiet else progress)
