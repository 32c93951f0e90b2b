"""Shared body of the subcommands that exist in the contract but are not built yet."""

from __future__ import annotations

import argparse

from graph.errors import NotBuiltYet


def not_built(name: str, args: argparse.Namespace) -> int:
    raise NotBuiltYet(f"'{name}' is not built yet")
