"""Project the RDF graph to a networkx graph of actors and their typed, dated, sourced relationships.

Only relationship statements (``ag:subject``/``ag:object``/``ag:relation``) become
edges: schema triples, ``rdf:type`` and literals never do, since they would distort
every centrality. Each edge keeps its statement IRI (the edge key), relation, role,
dates, credibility grade, status and sources.

The projection reads saved SELECTs (``graph/queries/nodes.rq``, ``edges.rq`` and the
statements' sources). On the Oxigraph store they run side by side and come back as CSV
written by the engine, not as rdflib terms, and each distinct date is parsed once: 1M
triples (73k statements) project in 2.2-3 s on two shared cores (``alliance-graph bench``).

Filters (:class:`Filters`): as of a date (only statements that held on that day),
the worst credibility grade kept (1 best ... 6), relation types, entity types,
statuses left out, and whether events are nodes (they are only where asked).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pyoxigraph as ox
from rdflib import URIRef

from graph import paths, vocab
from graph.errors import QueryError
from graph.sparql import STANDARD_PREFIXES, read_query, run_query
from graph.store import KnowledgeGraph

#: Entity types that count as events when the ontology does not say (no ``ag:Event`` class).
EVENT_TYPE_NAMES = frozenset({"Event", "Summit", "Ministerial", "Meeting", "Panel", "Visit", "Conference"})
#: Entities of this class or its subclasses are events.
EVENT_CLASS = str(vocab.AG.Event)
#: Entities of this class or its subclasses are actors.
ACTOR_CLASS = str(vocab.AG.Actor)


@dataclass(frozen=True)
class Filters:
    """What to keep in the projection.

    Attributes
    ----------
    as_of
        Keep only statements that held on this day (a statement with no start date is kept).
    max_credibility
        Keep only statements graded this or better (1 confirmed ... 6 cannot be judged);
        ungraded statements are then left out.
    relations
        Keep only these relations (local names, e.g. ``{"memberOf", "partnerOf"}``).
    entity_types
        Keep only entities of these types (local names, e.g. ``{"State", "Initiative"}``).
    exclude_status
        Leave out statements with these statuses (local names, e.g. ``{"Contradicted"}``).
    events
        Keep events (summits, meetings...) as nodes. ``None`` keeps them (the explorer's
        default); analytics pass ``False`` unless asked, so attendance does not dominate.
    actors_only
        Keep only actors (``ag:Actor`` and its subclasses: states, organisations, groupings,
        frameworks, initiatives, companies, people...) and events, leaving out places,
        documents, technology areas and the like. Without a class hierarchy in the
        graph every non-event counts as an actor.
    """

    as_of: dt.date | None = None
    max_credibility: int | None = None
    relations: frozenset[str] | None = None
    entity_types: frozenset[str] | None = None
    exclude_status: frozenset[str] = field(default_factory=frozenset)
    events: bool | None = None
    actors_only: bool = False


def holds_on(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """True when a statement with these dates held on ``day`` (no start: unknown, kept).

    The end date is exclusive: a membership that ended on ``day`` no longer holds.

    >>> holds_on(dt.date(2023, 4, 4), None, dt.date(2022, 1, 1))
    False
    >>> holds_on(dt.date(2023, 4, 4), None, dt.date(2025, 1, 1))
    True
    """
    return certainty_on(start, end, day) is not None


def _period_end(day: dt.date, precision: str | None) -> dt.date:
    """The first day after the period a date stands for (its day, month or year)."""
    if precision == "YearPrecision":
        return dt.date(day.year + 1, 1, 1)
    if precision == "MonthPrecision":
        return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + dt.timedelta(days=1)


def certainty_on(
    start: dt.date | None,
    end: dt.date | None,
    day: dt.date,
    start_precision: str | None = None,
    end_precision: str | None = None,
) -> str | None:
    """``"in"``, ``"uncertain"`` or ``None`` (did not hold) for a statement on ``day``.

    A date known only to its year or month (``ag:YearPrecision``, ``ag:MonthPrecision``)
    stands for that whole period: inside it the statement is uncertain, never silently
    in or out. The end is exclusive, as in :func:`holds_on`.

    >>> joined = dt.date(2007, 1, 1)  # the Quad, 2007: known to the year
    >>> [certainty_on(joined, None, dt.date(y, 6, 1), "YearPrecision") for y in (2006, 2007, 2008)]
    [None, 'uncertain', 'in']
    >>> certainty_on(dt.date(2009, 4, 1), None, dt.date(2009, 2, 1), "DayPrecision") is None
    True
    """
    uncertain = False
    if start is not None:
        if day < start:
            return None
        if start_precision in {"YearPrecision", "MonthPrecision"} and day < _period_end(start, start_precision):
            uncertain = True
    if end is not None:
        coarse = end_precision in {"YearPrecision", "MonthPrecision"}
        if day >= (_period_end(end, end_precision) if coarse else end):
            return None
        if coarse and day >= end:
            uncertain = True
    return "uncertain" if uncertain else "in"


def parse_date(text: str | None) -> dt.date | None:
    """A date from an ``xsd:date``/``dateTime``/``gYearMonth``/``gYear`` lexical form (else ``None``).

    A year alone means its first day; a year and month, the first of the month.

    >>> parse_date("2023-04-04"), parse_date("1949"), parse_date("2024-03")
    (datetime.date(2023, 4, 4), datetime.date(1949, 1, 1), datetime.date(2024, 3, 1))
    """
    if not text:
        return None
    t = text.strip()
    try:
        if len(t) >= 10:
            return dt.date.fromisoformat(t[:10])
        if len(t) == 7:
            return dt.date(int(t[:4]), int(t[5:7]), 1)
        if len(t) == 4:
            return dt.date(int(t), 1, 1)
    except ValueError:
        return None
    return None


def local_name(iri: str | None) -> str | None:
    """The part of an IRI after ``#`` or the last ``/`` (``None`` stays ``None``)."""
    if iri is None:
        return None
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[cut + 1 :] if cut >= 0 else iri


def _csv(kg: KnowledgeGraph, name: str) -> bytes:
    """The answer of a saved query as CSV, serialised by Oxigraph in native code."""
    assert kg.ox is not None
    path = paths.queries_dir() / f"{name}.rq"
    try:
        solutions: Any = kg.ox.query(read_query(path), prefixes=STANDARD_PREFIXES)
        return bytes(solutions.serialize(format=ox.QueryResultsFormat.CSV))
    except (SyntaxError, OSError, RuntimeError, ValueError) as err:
        raise QueryError(f"{path.name}: {err}") from err


#: The saved queries one projection reads.
_PROJECTION_QUERIES = ("nodes", "analytics-class-hierarchy", "edges", "analytics-statement-sources")


def _ahead(kg: KnowledgeGraph, pool: ThreadPoolExecutor) -> dict[str, Future[bytes]]:
    """Start the projection's queries at once on Oxigraph.

    Oxigraph lets go of the GIL while it evaluates and serialises, so on two cores the
    engine answers ``edges`` while Python reads ``nodes``: at 1M triples the three big
    answers take about 1.2 s side by side instead of 2 s one after another.
    """
    if kg.ox is None:
        return {}
    return {name: pool.submit(_csv, kg, name) for name in _PROJECTION_QUERIES}


def _rows(
    kg: KnowledgeGraph, name: str, ahead: dict[str, Future[bytes]] | None = None
) -> Iterator[list[str | None]]:
    """Rows of a saved query as plain strings (IRIs and lexical forms; ``""`` or ``None`` when unbound).

    On Oxigraph the engine serialises the whole result as CSV in native code and the
    csv module splits it: about 2 µs a row instead of the 15-45 µs of turning every
    term into an rdflib term (``ahead``: answers already started by :func:`_ahead`).
    Other stores go through :func:`graph.sparql.run_query`.
    """
    if kg.ox is not None:
        pending = (ahead or {}).get(name)
        data = pending.result() if pending is not None else _csv(kg, name)
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        next(reader, None)  # the header
        yield from reader  # empty cells stand for unbound: callers treat "" like None
        return
    from graph.sparql import QueryLimits

    path = paths.queries_dir() / f"{name}.rq"
    result = run_query(kg, path, limits=QueryLimits(max_rows=10**9, timeout_s=600))
    for r in result.rows:
        yield ["" if t is None else str(t) for t in r]


def _class_tree(kg: KnowledgeGraph, ahead: dict[str, Future[bytes]] | None = None) -> dict[str, set[str]]:
    """Each ag: class IRI with the set of its superclasses."""
    supers: dict[str, set[str]] = {}
    for cls, sup in _rows(kg, "analytics-class-hierarchy", ahead):
        if cls and sup:
            supers.setdefault(cls, set()).add(sup)
    return supers


def _most_specific(types: set[str], supers: dict[str, set[str]]) -> str | None:
    """The type that no other type of the set specialises (ties: the first by name)."""
    if not types:
        return None
    if len(types) == 1:
        return next(iter(types))
    broader = set().union(*(supers.get(t, set()) for t in types))
    best = sorted(t for t in types if t not in broader)
    return best[0] if best else sorted(types)[0]


def _kind(type_iri: str | None, type_name: str, supers: dict[str, set[str]], known: bool) -> str:
    """``event``, ``actor`` or ``other`` (``known``: the graph has a class hierarchy)."""
    above = supers.get(type_iri, set()) if type_iri else set()
    if type_name in EVENT_TYPE_NAMES or type_name.endswith("Event") or EVENT_CLASS in above:
        return "event"
    if not known or type_iri == ACTOR_CLASS or ACTOR_CLASS in above:
        return "actor"
    return "other"


def _entities(
    kg: KnowledgeGraph, ahead: dict[str, Future[bytes]] | None = None
) -> dict[str, tuple[str | None, str | None]]:
    """Entity IRI -> (label, most specific ag: type IRI)."""
    labels: dict[str, str | None] = {}
    types: dict[str, set[str]] = {}
    for e, label, typ in _rows(kg, "nodes", ahead):
        if not e:
            continue
        if label and not labels.get(e):
            labels[e] = label
        else:
            labels.setdefault(e, None)
        if typ:
            types.setdefault(e, set()).add(typ)
    supers = _class_tree(kg, ahead) if any(len(t) > 1 for t in types.values()) else {}
    return {e: (label, _most_specific(types.get(e, set()), supers)) for e, label in labels.items()}


def project(
    kg: KnowledgeGraph,
    filters: Filters | None = None,
) -> nx.MultiDiGraph:
    """The actor network: nodes are entities, edges relationship statements.

    Nodes are :class:`rdflib.URIRef` with ``label``, ``type`` (local name of the most
    specific ``ag:`` class), ``kind`` (``actor``, ``event`` or ``other``) and ``event``
    (bool). Edges go subject to object, keyed by
    the statement IRI (a plain ``str``), with ``relation``, ``role``, ``start``, ``end`` (dates or
    ``None``), ``credibility`` (int or ``None``), ``status`` and ``sources`` (a tuple
    of source IRIs, sorted).

    >>> from graph.store import open_graph
    >>> from graph.paths import PACKAGE_DIR
    >>> kg = open_graph(data=[PACKAGE_DIR.parent / "tests/data/mini.ttl"], include_default=False)
    >>> g = project(kg, Filters(as_of=dt.date(2022, 1, 1)))
    >>> sorted(str(u).rsplit("/", 1)[-1] for u, v in g.edges())
    ['CAN']
    """
    # (No process-wide switches here: the collector stays as the caller set it, since
    # other requests run in this process while the projection is built.)
    with ThreadPoolExecutor(max_workers=len(_PROJECTION_QUERIES)) as pool:
        return _project(kg, filters or Filters(), _ahead(kg, pool))


def _project(kg: KnowledgeGraph, f: Filters, ahead: dict[str, Future[bytes]]) -> nx.MultiDiGraph:
    g: nx.MultiDiGraph[Any] = nx.MultiDiGraph()
    entities = _entities(kg, ahead)
    supers = _class_tree(kg, ahead)
    known = any(ACTOR_CLASS in above for above in supers.values())
    nodes: dict[str, URIRef] = {}
    node_rows = []
    for e, (label, typ) in entities.items():
        type_name = local_name(typ) or "Entity"
        kind = _kind(typ, type_name, supers, known)
        if f.events is False and kind == "event":
            continue
        if f.actors_only and kind == "other":
            continue
        if f.entity_types and type_name not in f.entity_types:
            continue
        ref = URIRef(e)
        nodes[e] = ref
        node_rows.append(
            (
                ref,
                {
                    "label": label if label is not None else local_name(e),
                    "type": type_name,
                    "kind": kind,
                    "event": kind == "event",
                },
            )
        )
    g.add_nodes_from(node_rows)

    dates: dict[str | None, dt.date | None] = {None: None, "": None}
    names: dict[str | None, str | None] = {None: None, "": None}
    grades: dict[str | None, int | None] = {None: None, "": None}
    kept: list[tuple[str, URIRef, URIRef, dict[str, Any]]] = []
    want_rel = f.relations
    drop_status = f.exclude_status
    as_of = f.as_of
    max_cred = f.max_credibility
    for st, s, o, rel, role, start, end, cred, status, start_p, end_p, date_from in _rows(kg, "edges", ahead):
        su, ov = nodes.get(s), nodes.get(o)  # type: ignore[arg-type]
        if su is None or ov is None or not st:
            continue
        if rel not in names:
            names[rel] = local_name(rel)
        rel_name = names[rel]
        if want_rel and rel_name not in want_rel:
            continue
        if start not in dates:
            dates[start] = parse_date(start)
        if end not in dates:
            dates[end] = parse_date(end)
        start_d, end_d = dates[start], dates[end]
        if start_p not in names:
            names[start_p] = local_name(start_p)
        if end_p not in names:
            names[end_p] = local_name(end_p)
        if as_of is not None and certainty_on(start_d, end_d, as_of, names[start_p], names[end_p]) is None:
            continue
        if cred not in grades:
            grades[cred] = _grade(cred)
        grade = grades[cred]
        if max_cred is not None and (grade is None or grade > max_cred):
            continue
        if status not in names:
            names[status] = local_name(status)
        status_name = names[status]
        if drop_status and status_name in drop_status:
            continue
        if role not in names:
            names[role] = local_name(role)
        kept.append(
            (
                st,
                su,
                ov,
                {
                    "relation": rel_name or "related",
                    "role": names[role],
                    "start": start_d,
                    "end": end_d,
                    "start_precision": names[start_p],
                    "end_precision": names[end_p],
                    "date_from": date_from or "none",
                    "credibility": grade,
                    "status": status_name,
                    "sources": (),
                },
            )
        )
    if kept:
        wanted = {st: d for st, _, _, d in kept}
        found: dict[str, list[str]] = {}
        for st, source in _rows(kg, "analytics-statement-sources", ahead):
            if source and st in wanted:
                found.setdefault(st, []).append(source)
        for st, srcs in found.items():
            wanted[st]["sources"] = tuple(sorted(set(srcs)))
    g.add_edges_from((u, v, st, d) for st, u, v, d in kept)  # type: ignore[misc]  # keyed 4-tuples: the stubs know only 2 and 3
    return g


def _grade(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None



def entity_types(g: nx.MultiDiGraph) -> list[str]:
    """The entity types present in a projection."""
    return sorted({d["type"] for _, d in g.nodes(data=True)})


def ego(g: nx.MultiDiGraph, centre: object, hops: int = 1, cap: int | None = None) -> nx.MultiDiGraph:
    """The neighbourhood of ``centre`` up to ``hops`` hops (both directions).

    ``cap`` keeps at most that many nodes, nearest first (the centre always).
    """
    undirected = g.to_undirected(as_view=True)
    dist = nx.single_source_shortest_path_length(undirected, centre, cutoff=hops)
    keep: Iterable[object] = dist
    if cap is not None and len(dist) > cap:
        keep = sorted(dist, key=lambda n: (dist[n], str(n)))[: max(1, cap)]
    return g.subgraph(keep).copy()



def node_id(g: nx.Graph, name: str | URIRef) -> URIRef:
    """Find a node by IRI, ``prefix:name`` (``agr:CAN``), bare local name (``CAN``) or label.

    Raises :class:`~graph.errors.ConfigError` naming the entity when it is not in the graph.
    """
    from graph.errors import ConfigError
    from graph.sparql import parse_term

    if isinstance(name, URIRef) and name in g:
        return name
    text = str(name).strip()
    candidates: list[str] = []
    if ":" in text:
        candidates.append(str(parse_term(text)))
    candidates.append(STANDARD_PREFIXES["agr"] + text)
    for c in candidates:
        ref = URIRef(c)
        if ref in g:
            return ref
    lowered = text.lower()
    for n, d in g.nodes(data=True):
        if str(d.get("label", "")).lower() == lowered:
            return n
    raise ConfigError(f"no entity {text!r} in the network (with the filters given)")
