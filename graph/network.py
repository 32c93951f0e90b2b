"""Project the RDF graph to a networkx graph of actors and their typed, dated, sourced relationships.

Only relationship statements (``ag:subject``/``ag:object``/``ag:relation``) become
edges: schema triples, ``rdf:type`` and literals never do, since they would distort
every centrality. Each edge keeps its statement IRI, dates, grade and sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
from rdflib import Literal

from graph import paths
from graph.results import short_name
from graph.sparql import run_query
from graph.store import KnowledgeGraph


@dataclass(frozen=True)
class Filters:
    """What to keep: as of a date, up to a credibility grade (1 best), relation and entity types."""

    as_of: dt.date | None = None
    max_credibility: int | None = None
    relations: frozenset[str] | None = None
    entity_types: frozenset[str] | None = None


def _date(value: object) -> dt.date | None:
    if isinstance(value, Literal):
        py = value.toPython()
        if isinstance(py, dt.datetime):
            return py.date()
        if isinstance(py, dt.date):
            return py
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    return None


def holds_on(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """True when a statement with these dates held on ``day`` (no start: unknown, kept)."""
    if start is not None and start > day:
        return False
    return not (end is not None and end <= day)


def project(
    kg: KnowledgeGraph,
    filters: Filters | None = None,
) -> nx.MultiDiGraph:
    """The actor network: nodes are entities, edges relationship statements.

    >>> from graph.store import open_graph
    >>> g = project(open_graph())
    >>> g.number_of_edges() > 0
    True
    """
    f = filters or Filters()
    g = nx.MultiDiGraph()
    node_rows = run_query(kg, paths.queries_dir() / "nodes.rq")
    for e, label, typ in node_rows.rows:
        type_name = short_name(typ).split(":", 1)[-1] if typ is not None else "Entity"
        if f.entity_types and type_name not in f.entity_types:
            continue
        g.add_node(e, label=str(label) if label is not None else short_name(e), type=type_name)
    edges = run_query(kg, paths.queries_dir() / "edges.rq")
    for st, s, o, rel, role, start, end, cred, status, sources in edges.rows:
        if s not in g or o not in g:
            continue
        rel_name = short_name(rel).split(":", 1)[-1]
        if f.relations and rel_name not in f.relations:
            continue
        start_d, end_d = _date(start), _date(end)
        if f.as_of is not None and not holds_on(start_d, end_d, f.as_of):
            continue
        grade = int(cred) if cred is not None else None  # type: ignore[call-overload]
        if f.max_credibility is not None and (grade is None or grade > f.max_credibility):
            continue
        g.add_edge(
            s,
            o,
            key=st,
            relation=rel_name,
            role=short_name(role).split(":", 1)[-1] if role is not None else None,
            start=start_d,
            end=end_d,
            credibility=grade,
            status=short_name(status).split(":", 1)[-1] if status is not None else None,
            sources=tuple(str(sources).split()) if sources else (),
        )
    return g


def relation_names(g: nx.MultiDiGraph) -> list[str]:
    return sorted({d["relation"] for _, _, d in g.edges(data=True)})


def entity_types(g: nx.MultiDiGraph) -> list[str]:
    return sorted({d["type"] for _, d in g.nodes(data=True)})


def ego(g: nx.MultiDiGraph, centre: object, hops: int = 1, cap: int | None = None) -> nx.MultiDiGraph:
    """The neighbourhood of ``centre`` up to ``hops`` hops (both directions)."""
    undirected = g.to_undirected(as_view=True)
    keep = set(nx.single_source_shortest_path_length(undirected, centre, cutoff=hops))
    return g.subgraph(keep).copy()


def drop_isolates(g: nx.MultiDiGraph, keep: Iterable[object] = ()) -> nx.MultiDiGraph:
    keep_set = set(keep)
    h = g.copy()
    h.remove_nodes_from([n for n in list(h.nodes) if h.degree(n) == 0 and n not in keep_set])
    return h
