"""One explorer view: its state, the URL query parameters that hold it, the subgraph it shows,
and the SPARQL CONSTRUCT query that reproduces it.

A view is the actor network (see :mod:`graph.network`) filtered by entity type, relation,
an as-of date, a credibility grade and sources, then (optionally) focused on one entity and
expanded hop by hop, each expansion adding at most ``cap`` neighbours of a node (the rest are
counted as "not shown" until the node is opened fully with ``more``).

The state round-trips through URL query parameters, so a view can be shared as a link::

    >>> s = ViewState(focus="agr:CAN", hops=2, as_of=dt.date(2020, 1, 1))
    >>> s.to_params()
    {'focus': 'agr:CAN', 'hops': '2', 'date': '2020-01-01'}
    >>> ViewState.from_params(s.to_params()) == s
    True
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from graph.network import certainty_on
from graph.results import short_name
from graph.sparql import STANDARD_PREFIXES, parse_term

#: Ways to colour the nodes, and measures the nodes can be sized by.
COLOUR_CHOICES = ("type", "community")
SIZE_CHOICES = ("degree", "betweenness", "pagerank", "none")
DEFAULT_CAP = 25
#: Most entities the whole-network view draws (the best connected first): a bigger graph
#: is a hairball the browser draws slowly and nobody reads; search, focus or filter instead.
DEFAULT_TOP = 1000
MAX_TOP = 20_000
MAX_HOPS = 4

_LIST_PARAMS = {"types": "types", "relations": "rels", "sources": "src", "more": "more"}


def to_iri(value: str) -> URIRef:
    """A full IRI from ``agr:CAN``, ``<https://...>`` or ``https://...``.

    >>> to_iri("agr:CAN")
    rdflib.term.URIRef('https://w3id.org/alliance-graph/id/CAN')
    >>> to_iri("CAN")
    rdflib.term.URIRef('https://w3id.org/alliance-graph/id/CAN')
    """
    v = value.strip()
    term = parse_term(v)
    if isinstance(term, URIRef):
        return term
    # A bare local name ("CAN") is an instance of the project's namespace.
    return URIRef(STANDARD_PREFIXES["agr"] + v)


def _valid_iri(iri: str) -> bool:
    """No character an IRI may not hold (a link's focus that is not an IRI is ignored)."""
    return not any(c in '<>"{}|^`\\' or c.isspace() or ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in iri)


@dataclass(frozen=True)
class ViewState:
    """Everything that defines an explorer view (all of it goes into the URL)."""

    focus: str | None = None
    hops: int = 1
    cap: int = DEFAULT_CAP
    types: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    as_of: dt.date | None = None
    min_grade: int | None = None
    sources: tuple[str, ...] = ()
    colour: str = "type"
    size: str = "degree"
    more: tuple[str, ...] = ()
    top: int = DEFAULT_TOP
    #: With ``types``: keep a line when one end (not both) is of a chosen type, so the
    #: chosen entities come with their neighbours (``/?types=State&nb=1``).
    neighbours: bool = False

    def to_params(self) -> dict[str, str]:
        """Query parameters for the non-default parts of the state (short and readable)."""
        default = ViewState()
        out: dict[str, str] = {}
        if self.focus:
            out["focus"] = short_name(to_iri(self.focus))
        if self.hops != default.hops:
            out["hops"] = str(self.hops)
        if self.cap != default.cap:
            out["cap"] = str(self.cap)
        for attr, key in _LIST_PARAMS.items():
            values: tuple[str, ...] = getattr(self, attr)
            if values:
                out[key] = ",".join(values)
        if self.as_of is not None:
            out["date"] = self.as_of.isoformat()
        if self.min_grade is not None:
            out["grade"] = str(self.min_grade)
        if self.colour != default.colour:
            out["colour"] = self.colour
        if self.size != default.size:
            out["size"] = self.size
        if self.top != default.top:
            out["top"] = str(self.top)
        if self.neighbours:
            out["nb"] = "1"
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]]) -> ViewState:
        """The state a link describes; values that do not parse are ignored (the default is kept)."""

        def get(key: str) -> str | None:
            v = params.get(key)
            if isinstance(v, list):
                v = v[-1] if v else None
            return v.strip() if isinstance(v, str) and v.strip() else None

        kw: dict[str, Any] = {}
        if (focus := get("focus")) and _valid_iri(str(to_iri(focus))):
            # kept in the short form the URL writes, so that a link round-trips exactly
            kw["focus"] = short_name(to_iri(focus))
        for key, lo, hi in (("hops", 0, MAX_HOPS), ("cap", 1, 10_000), ("grade", 1, 6), ("top", 1, MAX_TOP)):
            raw = get(key)
            if raw is not None and re.fullmatch(r"[0-9]{1,6}", raw) and lo <= int(raw) <= hi:
                kw["min_grade" if key == "grade" else key] = int(raw)
        for attr, key in _LIST_PARAMS.items():
            raw = get(key)
            if raw:
                kw[attr] = tuple(x.strip() for x in raw.split(",") if x.strip())
        if (raw := get("date")) is not None:
            try:
                kw["as_of"] = dt.date.fromisoformat(raw)
            except ValueError:
                pass
        if (raw := get("colour")) in COLOUR_CHOICES:
            kw["colour"] = raw
        if (raw := get("size")) in SIZE_CHOICES:
            kw["size"] = raw
        if get("nb") in {"1", "true", "yes"}:
            kw["neighbours"] = True
        return cls(**kw)

    def with_(self, **changes: Any) -> ViewState:
        """A copy with some fields changed."""
        return replace(self, **changes)


PARAM_KEYS = ("focus", "hops", "cap", "types", "rels", "src", "more", "date", "grade", "colour", "size", "top", "nb")


@dataclass
class View:
    """The subgraph a state shows, with what the caps left out."""

    state: ViewState
    graph: nx.MultiDiGraph
    focus: URIRef | None = None
    hidden: dict[Any, int] = field(default_factory=dict)
    #: Entities of the whole-network view left out by ``state.top`` (the least connected).
    omitted: int = 0
    #: Distinct entities next to the view but not in it (a neighbour of two shown entities
    #: is counted in ``hidden`` twice, here once).
    hidden_total: int = 0


def _edge_passes(data: Mapping[str, Any], state: ViewState, sources: frozenset[str]) -> bool:
    if state.relations and data.get("relation") not in state.relations:
        return False
    if state.min_grade is not None:
        grade = data.get("credibility")
        if grade is None or grade > state.min_grade:
            return False
    return not (sources and not sources.intersection(data.get("sources", ())))


def _passing_edges(g: nx.MultiDiGraph, state: ViewState) -> list[tuple[Any, Any, Any, dict[str, Any]]]:
    """The edges the state's filters keep (types, relations, date, grade, sources)."""
    sources = frozenset(str(to_iri(s)) for s in state.sources)
    types = set(state.types)
    nodes = g.nodes
    keep_node = (lambda n: True) if not types else (lambda n: nodes[n].get("type") in types)
    # with neighbours, one end of a chosen type is enough; otherwise both ends must be
    ends = any if state.neighbours else all
    passing = [
        (u, v, k, d)
        for u, v, k, d in g.edges(keys=True, data=True)
        if ends((keep_node(u), keep_node(v))) and _edge_passes(d, state, sources)
    ]
    day = state.as_of
    if day is None:
        return passing
    # a date known only to its year or month leaves the statement uncertain on the day
    # asked: marked on a copy (the network itself is shared), drawn dashed, said in words
    kept = []
    for u, v, k, d in passing:
        certainty = _certainty(d, day)
        if d.get("start") is None and d.get("end") is None:
            # undated: shown, but never as if it were known to hold on that day
            kept.append((u, v, k, {**d, "uncertain_on": day.isoformat(), "undated": True}))
        elif certainty == "uncertain":
            kept.append((u, v, k, {**d, "uncertain_on": day.isoformat()}))
        elif certainty == "in":
            kept.append((u, v, k, d))
    return kept


def _certainty(data: Mapping[str, Any], day: dt.date) -> str | None:
    return certainty_on(
        data.get("start"), data.get("end"), day, data.get("start_precision"), data.get("end_precision")
    )


def _graph_of(
    g: nx.MultiDiGraph, edges: Iterable[tuple[Any, Any, Any, dict[str, Any]]], nodes: Iterable[Any]
) -> nx.MultiDiGraph:
    """A new graph of ``nodes`` (with their attributes in ``g``) and ``edges`` between them."""
    h: nx.MultiDiGraph[Any] = nx.MultiDiGraph()
    h.add_nodes_from((n, g.nodes[n]) for n in nodes)
    h.add_edges_from((u, v, k, d) for u, v, k, d in edges if u in h and v in h)  # type: ignore[misc]  # keyed 4-tuples
    return h


def filter_graph(g: nx.MultiDiGraph, state: ViewState) -> nx.MultiDiGraph:
    """The network restricted by the state's filters (types, relations, date, grade, sources).

    Entities left without any relationship are dropped, except the focus.
    """
    edges = _passing_edges(g, state)
    nodes = dict.fromkeys(n for u, v, _, _ in edges for n in (u, v))
    focus = to_iri(state.focus) if state.focus else None
    if focus is not None and focus in g and (not state.types or state.neighbours or g.nodes[focus].get("type") in state.types):
        nodes.setdefault(focus)
    # the network's node order, as the full graph has it
    return _graph_of(g, edges, (n for n in g.nodes if n in nodes))


def _neighbour_order(g: nx.MultiDiGraph) -> Callable[[Any], tuple[int, str]]:
    def key(n: Any) -> tuple[int, str]:
        return (-g.degree(n), str(g.nodes[n].get("label", n)).casefold())

    return key


def build_view(g: nx.MultiDiGraph, state: ViewState) -> View:
    """Filter ``g`` by the state and, if it has a focus, expand from it hop by hop.

    Each node adds at most ``state.cap`` new neighbours (the best connected first), unless
    it is listed in ``state.more``; how many it left out is kept in ``View.hidden``.
    """
    if not state.focus:
        # Only the graph drawn is built: at 1M triples the filtered network has 73k edges.
        edges = _passing_edges(g, state)
        degree: Counter[Any] = Counter()
        for u, v, _, _ in edges:
            degree[u] += 1
            degree[v] += 1
        # the best connected entities (degree in the filtered network; ties by IRI)
        ranked = sorted(degree, key=lambda n: (-degree[n], str(n)))
        best = set(ranked[: state.top])
        return View(
            state, _graph_of(g, edges, (n for n in g.nodes if n in best)), omitted=len(ranked) - len(best)
        )
    h = filter_graph(g, state)
    focus = to_iri(state.focus)
    if focus not in h:
        return View(state, nx.MultiDiGraph(), focus)
    more = {to_iri(m) for m in state.more}
    undirected = h.to_undirected(as_view=True)
    order = _neighbour_order(h)
    keep: list[Any] = [focus]
    seen = {focus}
    frontier = [focus]
    done: set[Any] = set()
    for _ in range(state.hops):
        nxt: list[Any] = []
        for u in frontier:
            done.add(u)
            new = sorted((n for n in undirected.neighbors(u) if n not in seen), key=order)
            if u not in more and len(new) > state.cap:
                new = new[: state.cap]
            for n in new:
                seen.add(n)
                keep.append(n)
                nxt.append(n)
        frontier = nxt
        if not frontier:
            break
    # An entity opened with "Show N more around it" shows all its neighbours even at the
    # edge of the view, one hop past the others.
    opened = [u for u in keep if u in more and u not in done]
    while opened:
        u = opened.pop(0)
        done.add(u)
        for n in sorted((n for n in undirected.neighbors(u) if n not in seen), key=order):
            seen.add(n)
            keep.append(n)
            if n in more:
                opened.append(n)
    # What each shown entity has outside the view, counted once the view is complete: a
    # neighbour cut by the cap at one entity may be shown through another; the entities at
    # the edge of the view (the last hop) have theirs outside too.
    hidden: dict[Any, int] = {}
    outside: set[Any] = set()
    for u in keep:
        out = [n for n in undirected.neighbors(u) if n not in seen]
        if out:
            hidden[u] = len(out)
            outside.update(out)
    return View(state, h.subgraph(keep).copy(), focus, hidden, hidden_total=len(outside))


# --- the CONSTRUCT query that reproduces a view ----------------------------------------


def _iri(node: Any) -> str:
    return URIRef(str(node)).n3()


def construct_query(view: View) -> str:
    """A SPARQL CONSTRUCT query returning the view's entities and relationship statements.

    The entities are listed (the focus and caps chose them); the filters are written as
    FILTERs, so the query reads as the view was defined and runs on any copy of the graph.
    """
    s = view.state
    nodes = sorted(str(n) for n in view.graph.nodes)
    lines = [
        "# The statements of an Alliance Graph explorer view, with their entities and sources",
        f"# view: {', '.join(f'{k}={v}' for k, v in s.to_params().items()) or 'whole graph'}",
        "PREFIX ag: <https://w3id.org/alliance-graph/ontology#>",
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
        "PREFIX prov: <http://www.w3.org/ns/prov#>",
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>",
        "CONSTRUCT {",
        "  ?st a ?stType ; ag:subject ?s ; ag:object ?o ; ag:relation ?rel ;",
        "      ?stp ?stv .",
        "  ?s rdfs:label ?sl ; a ?sType .",
        "  ?o rdfs:label ?ol ; a ?oType .",
        "  ?src rdfs:label ?srcl ; ag:reliability ?srcr .",
        "}",
        "WHERE {",
    ]
    if view.focus is not None or view.omitted:
        # The focus, hops and caps chose these entities: list them.
        listed = " ".join(_iri(n) for n in nodes)
        lines.append(f"  VALUES ?s {{ {listed} }}")
        lines.append(f"  VALUES ?o {{ {listed} }}")
    lines.append("  ?st ag:subject ?s ; ag:object ?o ; ag:relation ?rel .")
    if s.relations:
        rels = " ".join(URIRef(STANDARD_PREFIXES["ag"] + r).n3() for r in s.relations)
        lines.append(f"  VALUES ?rel {{ {rels} }}")
    if s.types:
        types = " ".join(URIRef(STANDARD_PREFIXES["ag"] + t).n3() for t in s.types)
        if s.neighbours:  # one end of a chosen type is enough
            lines.append(f"  FILTER(EXISTS {{ ?s a ?sT . VALUES ?sT {{ {types} }} }} || EXISTS {{ ?o a ?oT . VALUES ?oT {{ {types} }} }})")
        else:
            lines.append(f"  ?s a ?sT . ?o a ?oT . VALUES ?sT {{ {types} }} VALUES ?oT {{ {types} }}")
    if s.as_of is not None:
        day = Literal(s.as_of.isoformat(), datatype=XSD.date).n3()
        # the start as graph/queries/edges.rq has it: own date, order date, the event's
        # date, the treaty's signature
        lines.append(
            "  OPTIONAL { ?st ag:startDate ?start } OPTIONAL { ?st ag:orderDate ?ordered }"
            " OPTIONAL { ?st a ?atEvent . VALUES ?atEvent { ag:Attendance ag:Hosting ag:Location }"
            " { ?o a ag:Event ; ag:startDate ?eventStart } UNION { ?s a ag:Event ; ag:startDate ?eventStart } }"
            " OPTIONAL { ?st a ag:TreatyParty ; ag:role ag:OriginalParty ."
            " ?signing ag:treaty ?o ; ag:milestone ag:Signed ; ag:date ?signed }"
            f" FILTER(COALESCE(?start, ?ordered, ?eventStart, ?signed, {day}) <= {day})"
        )
        # an end known only to its year or month leaves the statement uncertain (kept)
        # until that period is over, as the explorer's filter has it (certainty_on)
        lines.append(
            "  OPTIONAL { ?st ag:endDate ?end OPTIONAL { ?st ag:endPrecision ?endP } }"
            f" FILTER(!BOUND(?end) || ?end > {day}"
            f" || (BOUND(?endP) && ?endP = ag:YearPrecision && YEAR(?end) >= YEAR({day}))"
            f" || (BOUND(?endP) && ?endP = ag:MonthPrecision"
            f" && YEAR(?end) * 12 + MONTH(?end) >= YEAR({day}) * 12 + MONTH({day})))"
        )
    if s.min_grade is not None:
        lines.append(f"  ?st ag:credibility ?grade . FILTER(?grade <= {int(s.min_grade)})")
    if s.sources:
        srcs = " ".join(_iri(to_iri(x)) for x in s.sources)
        lines.append(f"  FILTER EXISTS {{ ?st prov:wasDerivedFrom ?anySrc . VALUES ?anySrc {{ {srcs} }} }}")
    # What goes with each statement, as alternatives: a template triple with an unbound
    # variable is left out, so the graph is the same as with OPTIONALs, but the rows add up
    # instead of multiplying (types x properties x end types x sources; the State +
    # neighbours view took over 10 s on rdflib's memory store)
    lines += [
        "  { } UNION { ?st a ?stType }",
        "  UNION { ?st ?stp ?stv . FILTER(?stp IN (ag:role, ag:startDate, ag:endDate, "
        "ag:credibility, ag:status, prov:wasDerivedFrom)) }",
        "  UNION { ?s rdfs:label ?sl } UNION { ?s a ?sType }",
        "  UNION { ?o rdfs:label ?ol } UNION { ?o a ?oType }",
        "  UNION { ?st prov:wasDerivedFrom ?src . OPTIONAL { ?src rdfs:label ?srcl } "
        "OPTIONAL { ?src ag:reliability ?srcr } }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def statements_between(g: nx.MultiDiGraph, a: Any, b: Any) -> list[tuple[Any, Any, Any, dict[str, Any]]]:
    """Every statement (edge) joining ``a`` and ``b`` in either direction: ``(u, v, key, data)``."""
    out = []
    for u, v in ((a, b), (b, a)):
        if g.has_edge(u, v):
            for k, d in g.get_edge_data(u, v).items():
                out.append((u, v, k, d))
    return out



# --- measures (from graph.analytics) ----------------------------------------------------


def node_measure(g: nx.MultiDiGraph, name: str) -> dict[Any, float]:
    """A centrality of every node of ``g`` from :mod:`graph.analytics`:
    ``degree``, ``betweenness`` or ``pagerank`` (``none``: no sizes)."""
    from graph import analytics

    if name == "none" or g.number_of_nodes() == 0:
        return {}
    functions: dict[str, Callable[[nx.Graph], Mapping[Any, float]]] = {
        "degree": analytics.degree,
        "betweenness": analytics.betweenness,
        "pagerank": analytics.pagerank,
    }
    if name not in functions:
        raise ValueError(f"unknown measure {name!r}; choose one of {', '.join(SIZE_CHOICES)}")
    return {n: float(v) for n, v in functions[name](g).items()}


def node_communities(g: nx.MultiDiGraph) -> dict[Any, int]:
    """A community number for every node (0 the largest), from :func:`graph.analytics.communities`."""
    from graph import analytics

    return analytics.communities(g) if g.number_of_nodes() else {}
