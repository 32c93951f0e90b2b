"""Alliance Graph: a sourced, dated knowledge graph of alliance partnerships.

Importing this package touches no file, network or GPU and prints nothing.
The seams live in submodules: :mod:`graph.store`, :mod:`graph.load`,
:mod:`graph.validate`, :mod:`graph.sparql`, :mod:`graph.render`, :mod:`graph.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
