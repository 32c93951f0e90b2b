"""Open the knowledge graph: the embedded default, or a store chosen by name.

A *store* is named in a small registry (as rdflib does with its plugins):

``oxigraph`` (default)
    Oxigraph, embedded through pyoxigraph; the rdflib API over it via oxrdflib.
``memory``
    rdflib's own in-memory store and SPARQL engine.

Any name that looks like an ``http(s)://`` URL is a remote SPARQL endpoint,
handled by the ``remote`` factory when it is registered.

The graph is loaded once and then treated as read-only: callers must not mutate
``KnowledgeGraph.dataset``; imports build a new graph (see :mod:`graph.load`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef

from graph.errors import ConfigError

DEFAULT_STORE = "oxigraph"
#: The named graph that analytics results are written back into.
ANALYTICS_GRAPH = URIRef("https://w3id.org/alliance-graph/graph/analytics")


@dataclass
class KnowledgeGraph:
    """A loaded graph: the rdflib view, and the native Oxigraph store when there is one."""

    backend: str
    dataset: Dataset
    ox: ox.Store | None = None
    endpoint: str | None = None
    files: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def graph(self) -> Graph:
        """The default graph (ontology + data + derived triples)."""
        return self.dataset.default_graph

    def __len__(self) -> int:
        return self.count_triples()

    def count_triples(self) -> int:
        """Triples in the default graph (fast on Oxigraph)."""
        if self.ox is not None:
            for row in self.ox.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"):  # type: ignore[union-attr]
                return int(row["n"].value)
            return 0
        return len(self.graph)


StoreFactory = Callable[[str], KnowledgeGraph]
_REGISTRY: dict[str, StoreFactory] = {}


def register_store(name: str, factory: StoreFactory) -> None:
    """Register a store factory under ``name`` (``remote`` serves endpoint URLs)."""
    _REGISTRY[name] = factory


def store_names() -> list[str]:
    return sorted(_REGISTRY)


def _oxigraph_factory(_: str) -> KnowledgeGraph:
    from oxrdflib import OxigraphStore

    native = ox.Store()
    dataset = Dataset(store=OxigraphStore(store=native))
    return KnowledgeGraph(backend="oxigraph", dataset=dataset, ox=native)


def _memory_factory(_: str) -> KnowledgeGraph:
    return KnowledgeGraph(backend="memory", dataset=Dataset())


register_store("oxigraph", _oxigraph_factory)
register_store("memory", _memory_factory)


def is_endpoint_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))


def new_store(name: str | None = None) -> KnowledgeGraph:
    """An empty graph on the named store (``None``: ``$ALLIANCE_GRAPH_STORE`` or the default)."""
    name = name or os.environ.get("ALLIANCE_GRAPH_STORE") or DEFAULT_STORE
    key = "remote" if is_endpoint_url(name) else name
    try:
        factory = _REGISTRY[key]
    except KeyError:
        if key == "remote":
            # The remote store registers itself when its module is imported.
            import graph.remote  # noqa: F401

            factory = _REGISTRY.get("remote")  # type: ignore[assignment]
        if key != "remote" or factory is None:
            raise ConfigError(
                f"unknown store {name!r}; choose one of {', '.join(store_names())} "
                "or give a SPARQL endpoint URL"
            ) from None
    return factory(name)


def open_graph(
    store: str | None = None,
    data: Iterable[str | os.PathLike[str]] = (),
    *,
    include_default: bool = True,
    progress: Callable[[str], None] | None = None,
) -> KnowledgeGraph:
    """Open the knowledge graph.

    Parameters
    ----------
    store
        A registered store name (``oxigraph``, ``memory``) or a SPARQL endpoint URL.
    data
        Extra files to load on top of the shipped graph.
    include_default
        Load the shipped ontology and data (set False for an empty graph of your own files).
    progress
        Called with a short message before each file is loaded.

    Examples
    --------
    >>> kg = open_graph("memory")
    >>> kg.backend
    'memory'
    """
    from graph import load

    kg = new_store(store)
    if kg.backend == "remote":
        return kg
    files: list[Path] = []
    if include_default:
        files.extend(load.default_files())
    files.extend(Path(p) for p in data)
    load.load_into(kg, files, progress=progress)
    load.apply_rules(kg, count=False)
    return kg


def open_default(store: str | None = None, extra: Sequence[str] = ()) -> KnowledgeGraph:
    """Shorthand used by the app and the CLI."""
    return open_graph(store, extra)
