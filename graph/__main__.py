"""``python -m graph`` runs the command-line interface."""

from __future__ import annotations

from graph.cli import main

raise SystemExit(main())
