"""Network analytics over the actor projection: who is central, who bridges, what changed, what is missing.

Every measure is a function that takes the graph first and returns ``dict[node, value]``;
every random one takes ``seed=``. Measures run on the *undirected simple* view of the
projection (:func:`simple_graph`): one edge per pair of entities that share at least
one statement, weighted by how many statements they share. Relationship direction
("Canada memberOf NATO") says who joined whom, not who can reach whom, and a directed
view leaves states as sinks with no meaningful eigenvector or PageRank.

Small graphs get exact answers. Above ``exact_limit`` nodes, betweenness and closeness
are estimated from ``samples`` seeded pivots, and, when python-igraph is installed,
the heavy measures (betweenness, closeness, eigenvector, communities) run in igraph's
C code on the same simple graph. Everything else calls networkx's public functions,
so an installed networkx backend (nx-parallel, a GPU backend) speeds them with no
code change; ``backend="networkx"`` keeps every measure on networkx.

Alliance questions built on the measures: :func:`co_participation`, :func:`gaps`,
:func:`suggest_links`, :func:`rank_changes`, :func:`contribution_vs_influence`;
paths with the statements behind each hop: :func:`shortest_paths`, :func:`simple_paths`.
:func:`analyze` runs the whole suite; :func:`analytics_quads` and :func:`with_analytics`
write the results back as RDF into :data:`graph.store.ANALYTICS_GRAPH`.

Examples
--------
>>> g = nx.MultiDiGraph()
>>> g.add_edge("CAN", "NATO", "st1", relation="memberOf")
'st1'
>>> g.add_edge("FIN", "NATO", "st2", relation="memberOf")
'st2'
>>> g.add_edge("FIN", "NIF", "st3", relation="participatesIn")
'st3'
>>> max(betweenness(g).items(), key=lambda kv: kv[1])
('NATO', 0.6666666666666666)
>>> degree(g)["NATO"], weighted_degree(g)["FIN"]
(2, 2.0)
"""

from __future__ import annotations

import datetime as dt
import random
import warnings
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph import vocab
from graph.errors import ConfigError, QueryError

Node = Hashable

#: Every per-node measure, in the order tables and JSON list them.
MEASURES: tuple[str, ...] = (
    "degree",
    "weighted_degree",
    "betweenness",
    "pagerank",
    "eigenvector",
    "closeness",
    "core",
    "community",
    "articulation",
    "bridges",
)
#: Measures whose values are scores in [0, 1].
UNIT_MEASURES = frozenset({"betweenness", "pagerank", "eigenvector", "closeness"})
#: At or below this many nodes, betweenness and closeness are exact.
EXACT_LIMIT = 2_000
#: Pivots used to estimate betweenness and closeness above :data:`EXACT_LIMIT`.
SAMPLES = 256
#: Entity types that count as states in the alliance questions.
STATE_TYPES = frozenset({"State", "Country", "SovereignState"})
#: Relations that make a state part of a group (co-participation, gaps). Leading a group's
#: development, hosting its office, funding it or partnering with it are not taking part.
PARTICIPATION_RELATIONS = frozenset({"memberOf", "participatesIn", "partOf"})
#: Entity types that are never a "group" a state takes part in.
NON_GROUP_TYPES = frozenset({"Company", "Person", "GovernmentBody", "Place", "City", "Entity"})


# --- the simple view and the igraph bridge ------------------------------------------------


def simple_graph(g: nx.Graph, *, weight: str = "weight") -> nx.Graph:
    """Undirected simple graph: one edge per linked pair, ``weight`` = number of statements.

    Self-loops are dropped; node attributes are kept.

    >>> g = nx.MultiDiGraph([("a", "b"), ("b", "a"), ("a", "c"), ("c", "c")])
    >>> u = simple_graph(g)
    >>> sorted(u.edges(data="weight"))
    [('a', 'b', 2), ('a', 'c', 1)]
    """
    u: nx.Graph[Any] = nx.Graph()
    u.add_nodes_from(g.nodes(data=True))
    counts: Counter[tuple[Node, Node]] = Counter()
    for a, b in g.edges():
        if a == b:
            continue
        counts[(a, b) if (a, b) in counts or (b, a) not in counts else (b, a)] += 1
    u.add_weighted_edges_from(((a, b, w) for (a, b), w in counts.items()), weight=weight)
    return u


def _as_simple(g: nx.Graph) -> nx.Graph:
    if g.is_multigraph() or g.is_directed():
        return simple_graph(g)
    return g


def _igraph() -> Any | None:
    try:
        import igraph
    except ImportError:
        return None
    return igraph


def _use_igraph(u: nx.Graph, backend: str, exact_limit: int) -> bool:
    if backend == "networkx":
        return False
    if backend == "igraph":
        if _igraph() is None:
            raise ConfigError("backend 'igraph' asked for, but python-igraph is not installed")
        return True
    if backend != "auto":
        raise ConfigError(f"unknown backend {backend!r}; choose auto, networkx or igraph")
    return u.number_of_nodes() > exact_limit and _igraph() is not None


class _IG:
    """An igraph copy of a simple graph, with the node order to map results back."""

    def __init__(self, u: nx.Graph) -> None:
        ig = _igraph()
        assert ig is not None
        self.nodes = list(u.nodes())
        index = {n: i for i, n in enumerate(self.nodes)}
        edges = [(index[a], index[b]) for a, b in u.edges()]
        self.graph = ig.Graph(n=len(self.nodes), edges=edges, directed=False)
        self.weights = [float(w) for _, _, w in u.edges(data="weight", default=1)]

    def back(self, values: Sequence[float]) -> dict[Node, float]:
        return {n: float(v) for n, v in zip(self.nodes, values, strict=True)}


def _pivots(nodes: Sequence[Node], k: int, seed: int | None) -> list[Node]:
    rng = random.Random(seed)
    return rng.sample(list(nodes), min(k, len(nodes)))


# --- measures ------------------------------------------------------------------------------


def degree(g: nx.Graph) -> dict[Node, int]:
    """Number of distinct entities each node is linked to (either direction)."""
    u = _as_simple(g)
    return {n: int(d) for n, d in u.degree()}


def weighted_degree(g: nx.Graph) -> dict[Node, float]:
    """Number of relationship statements each node takes part in (self-loops excluded)."""
    u = _as_simple(g)
    return {n: float(d) for n, d in u.degree(weight="weight")}


def betweenness(
    g: nx.Graph,
    *,
    samples: int = SAMPLES,
    seed: int | None = 0,
    exact_limit: int = EXACT_LIMIT,
    backend: str = "auto",
) -> dict[Node, float]:
    """Normalised betweenness in [0, 1]: how often a node lies on shortest paths between others.

    Exact up to ``exact_limit`` nodes; above, estimated from ``samples`` pivots chosen
    with ``seed`` (the same estimator as networkx's ``k=``).
    """
    u = _as_simple(g)
    n = u.number_of_nodes()
    if n <= 2:
        return dict.fromkeys(u, 0.0)
    exact = n <= exact_limit or samples >= n
    if _use_igraph(u, backend, exact_limit):
        ig = _IG(u)
        if exact:
            raw = ig.graph.betweenness(directed=False)
            scale = 2.0 / ((n - 1) * (n - 2))
        else:
            piv = _pivots(range(n), samples, seed)
            raw = ig.graph.betweenness(directed=False, sources=piv)
            scale = (n / len(piv)) / ((n - 1) * (n - 2))
        return {k: min(1.0, v * scale) for k, v in ig.back(raw).items()}
    if exact:
        return dict(nx.betweenness_centrality(u, normalized=True))
    return {
        k: min(1.0, v)
        for k, v in nx.betweenness_centrality(u, k=samples, normalized=True, seed=seed).items()
    }


def pagerank(g: nx.Graph, *, alpha: float = 0.85, weight: str | None = "weight") -> dict[Node, float]:
    """PageRank on the undirected weighted view (sums to 1).

    Uses :func:`networkx.pagerank` (SciPy); without SciPy, the same power iteration in numpy.
    """
    u = _as_simple(g)
    if u.number_of_nodes() == 0:
        return {}
    try:
        return dict(nx.pagerank(u, alpha=alpha, weight=weight))
    except ModuleNotFoundError:
        return _pagerank_numpy(u, alpha=alpha, weight=weight)
    except nx.PowerIterationFailedConvergence as err:
        raise QueryError(f"PageRank did not converge: {err}") from err


def _pagerank_numpy(
    u: nx.Graph, *, alpha: float = 0.85, weight: str | None = "weight", tol: float = 1.0e-10
) -> dict[Node, float]:
    import numpy as np

    nodes = list(u)
    index = {v: i for i, v in enumerate(nodes)}
    n = len(nodes)
    src, dst, w = [], [], []
    for a, b, d in u.edges(data=True):
        xw = float(d.get(weight, 1.0)) if weight else 1.0
        src += [index[a], index[b]]
        dst += [index[b], index[a]]
        w += [xw, xw]
    s, t, wt = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), np.array(w)
    out = np.bincount(s, weights=wt, minlength=n)
    dangling = out == 0
    x = np.full(n, 1.0 / n)
    for _ in range(1000):
        share = np.where(out > 0, x / np.where(out > 0, out, 1.0), 0.0)
        nxt = np.bincount(t, weights=share[s] * wt, minlength=n)
        nxt = alpha * (nxt + x[dangling].sum() / n) + (1 - alpha) / n
        if np.abs(nxt - x).sum() < n * tol:
            x = nxt
            break
        x = nxt
    return {v: float(x[i]) for v, i in index.items()}


def eigenvector(
    g: nx.Graph, *, weight: str | None = "weight", exact_limit: int = EXACT_LIMIT, backend: str = "auto"
) -> dict[Node, float]:
    """Eigenvector centrality on the undirected weighted view, scaled so the top node is 1.

    Robust on disconnected graphs: nodes outside the dominant component score (near) 0.
    """
    u = _as_simple(g)
    if u.number_of_edges() == 0:
        return dict.fromkeys(u, 0.0)
    if _use_igraph(u, backend, exact_limit):
        ig = _IG(u)
        # (igraph 1.0 rejects directed=False; the graph is undirected, so the default is right.
        # It warns on disconnected graphs: the minor components' near-zero scores are intended.)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            vals = ig.graph.eigenvector_centrality(weights=ig.weights if weight else None)
        return _unit_max(ig.back(vals))
    try:
        vals = nx.eigenvector_centrality_numpy(u, weight=weight)
    except (ModuleNotFoundError, ImportError):
        vals = _power_eigenvector(u, weight)
    except Exception:  # noqa: BLE001 - ARPACK may fail on degenerate spectra; power iteration does not
        vals = _power_eigenvector(u, weight)
    return _unit_max({k: abs(float(v)) for k, v in vals.items()})


def _power_eigenvector(u: nx.Graph, weight: str | None) -> dict[Node, float]:
    try:
        return dict(nx.eigenvector_centrality(u, max_iter=2000, tol=1.0e-8, weight=weight))
    except nx.PowerIterationFailedConvergence as err:
        raise QueryError(f"eigenvector centrality did not converge: {err}") from err


def _unit_max(values: Mapping[Node, float]) -> dict[Node, float]:
    top = max((abs(v) for v in values.values()), default=0.0)
    if top <= 0:
        return dict.fromkeys(values, 0.0)
    return {k: max(0.0, min(1.0, abs(v) / top)) for k, v in values.items()}


def closeness(
    g: nx.Graph,
    *,
    samples: int = SAMPLES,
    seed: int | None = 0,
    exact_limit: int = EXACT_LIMIT,
    backend: str = "auto",
) -> dict[Node, float]:
    """Closeness in [0, 1] (Wasserman-Faust, so disconnected graphs compare fairly).

    Exact up to ``exact_limit`` nodes; above, each component's distances are estimated
    from seeded pivots (Eppstein and Wang): a component with no more nodes than its
    share of pivots is done exactly.
    """
    u = _as_simple(g)
    n = u.number_of_nodes()
    if n <= 1:
        return dict.fromkeys(u, 0.0)
    if n <= exact_limit and not _use_igraph(u, backend, exact_limit):
        return dict(nx.closeness_centrality(u))
    rng = random.Random(seed)
    out: dict[Node, float] = {}
    use_ig = _use_igraph(u, backend, exact_limit)
    for comp in nx.connected_components(u):
        r = len(comp)
        if r == 1:
            out[next(iter(comp))] = 0.0
            continue
        k = min(r, max(2, round(samples * r / n))) if n > exact_limit else r
        members = sorted(comp, key=str)
        piv = members if k >= r else rng.sample(members, k)
        totals = dict.fromkeys(comp, 0.0)
        counted = dict.fromkeys(comp, 0)
        sub = u.subgraph(comp)
        if use_ig:
            import numpy as np

            ig = _IG(sub)
            pos = {v: i for i, v in enumerate(ig.nodes)}
            matrix = np.asarray(ig.graph.distances(source=[pos[p] for p in piv]), dtype=float)
            sums = matrix.sum(axis=0)  # a pivot's distance to itself is 0 and adds nothing
            piv_set = set(piv)
            for v, total in zip(ig.nodes, sums.tolist(), strict=True):
                totals[v] = total
                counted[v] = len(piv) - (1 if v in piv_set else 0)
        else:
            for p in piv:
                for v, dist in nx.single_source_shortest_path_length(sub, p).items():
                    if v != p:
                        totals[v] += dist
                        counted[v] += 1
        for v in comp:
            if counted[v] == 0 or totals[v] == 0:
                out[v] = 0.0
                continue
            mean = totals[v] / counted[v]
            out[v] = min(1.0, ((r - 1) / (n - 1)) / mean)
    return out


def core_number(g: nx.Graph, *, exact_limit: int = EXACT_LIMIT, backend: str = "auto") -> dict[Node, int]:
    """k-core number: the largest k such that the node belongs to a k-core.

    (networkx's version removes nodes from Python lists, quadratic in a hub's degree:
    26 s at 1M triples against a fraction of a second in igraph.)
    """
    u = _as_simple(g)
    if _use_igraph(u, backend, exact_limit):
        ig = _IG(u)
        return {k: int(v) for k, v in ig.back(ig.graph.coreness()).items()}
    return {k: int(v) for k, v in nx.core_number(u).items()}


def articulation_points(g: nx.Graph, *, exact_limit: int = EXACT_LIMIT, backend: str = "auto") -> set[Node]:
    """Brokers: nodes whose removal splits their component."""
    u = _as_simple(g)
    if _use_igraph(u, backend, exact_limit):
        ig = _IG(u)
        return {ig.nodes[i] for i in ig.graph.articulation_points()}
    return set(nx.articulation_points(u))


def bridges(g: nx.Graph, *, exact_limit: int = EXACT_LIMIT, backend: str = "auto") -> list[tuple[Node, Node]]:
    """Links whose removal splits their component (each pair once)."""
    u = _as_simple(g)
    if _use_igraph(u, backend, exact_limit):
        ig = _IG(u)
        edges = ig.graph.es
        return [(ig.nodes[edges[i].source], ig.nodes[edges[i].target]) for i in ig.graph.bridges()]
    return list(nx.bridges(u))


def bridge_count(g: nx.Graph) -> dict[Node, int]:
    """How many bridges touch each node."""
    counts = dict.fromkeys(g, 0)
    for a, b in bridges(g):
        counts[a] += 1
        counts[b] += 1
    return counts


def communities(
    g: nx.Graph,
    *,
    seed: int | None = 0,
    resolution: float = 1.0,
    exact_limit: int = EXACT_LIMIT,
    backend: str = "auto",
) -> dict[Node, int]:
    """Community of each node (0 = the largest), by modularity: Louvain, or igraph's Leiden when large.

    The result is a partition: every node gets exactly one community.
    """
    u = _as_simple(g)
    if u.number_of_nodes() == 0:
        return {}
    groups: list[set[Node]]
    if _use_igraph(u, backend, exact_limit):
        ig_mod = _igraph()
        assert ig_mod is not None
        ig = _IG(u)
        previous = random.getstate()
        ig_mod.set_random_number_generator(random.Random(seed))
        try:
            clustering = ig.graph.community_leiden(
                objective_function="modularity", weights=ig.weights, resolution=resolution, n_iterations=-1
            )
        finally:
            ig_mod.set_random_number_generator(random)
            random.setstate(previous)
        by_label: dict[int, set[Node]] = {}
        for v, label in zip(ig.nodes, clustering.membership, strict=True):
            by_label.setdefault(int(label), set()).add(v)
        groups = list(by_label.values())
    else:
        groups = [set(c) for c in nx.community.louvain_communities(u, weight="weight", resolution=resolution, seed=seed)]
    groups.sort(key=lambda c: (-len(c), min(str(x) for x in c)))
    return {v: i for i, c in enumerate(groups) for v in c}


def modularity(g: nx.Graph, partition: Mapping[Node, int]) -> float:
    """Modularity of a partition (``node -> community``) on the undirected weighted view."""
    u = _as_simple(g)
    if u.number_of_edges() == 0:
        return 0.0
    groups: dict[int, set[Node]] = {}
    for v, c in partition.items():
        groups.setdefault(c, set()).add(v)
    return float(nx.community.modularity(u, groups.values(), weight="weight"))



# --- the whole suite -----------------------------------------------------------------------


@dataclass
class Analysis:
    """Every measure for every node, communities and their modularity, brokers."""

    measures: dict[str, dict[Node, float]]
    modularity: float
    articulation_points: list[Node]
    bridges: list[tuple[Node, Node]]
    timings: dict[str, float] = field(default_factory=dict)
    seed: int | None = 0
    as_of: dt.date | None = None

    def node_rows(self, g: nx.Graph, top: int | None = None, by: str | None = None) -> list[dict[str, Any]]:
        """One row per node: id, label, type and every measure; sorted by ``by`` (descending)."""
        key = by or next((m for m in ("betweenness", "degree") if m in self.measures), None)
        rows = []
        for n, d in g.nodes(data=True):
            row: dict[str, Any] = {"id": str(n), "label": d.get("label", str(n)), "type": d.get("type", "")}
            for m, values in self.measures.items():
                row[m] = values.get(n)
            rows.append(row)
        if key is not None:
            rows.sort(key=lambda r: (-(r.get(key) or 0), r["label"]))
        return rows[:top] if top else rows


def analyze(
    g: nx.Graph,
    measures: Iterable[str] | None = None,
    *,
    seed: int | None = 0,
    samples: int = SAMPLES,
    exact_limit: int = EXACT_LIMIT,
    backend: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> Analysis:
    """Run the measures (all by default) over ``g``; a :class:`Analysis` with their timings.

    >>> a = analyze(nx.karate_club_graph(), seed=1)
    >>> sorted(a.measures) == sorted(MEASURES)
    True
    >>> 0.3 < a.modularity < 0.5
    True
    """
    import time

    wanted = list(measures) if measures else list(MEASURES)
    unknown = [m for m in wanted if m not in MEASURES]
    if unknown:
        raise ConfigError(f"unknown measure {', '.join(unknown)}; choose from {', '.join(MEASURES)}")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    u = _as_simple(g)
    timings["simple_graph"] = time.perf_counter() - started
    heavy = {"samples": samples, "seed": seed, "exact_limit": exact_limit, "backend": backend}
    runners: dict[str, Callable[[], Mapping[Node, float]]] = {
        "degree": lambda: degree(u),
        "weighted_degree": lambda: weighted_degree(u),
        "betweenness": lambda: betweenness(u, **heavy),  # type: ignore[arg-type]
        "pagerank": lambda: pagerank(u),
        "eigenvector": lambda: eigenvector(u, exact_limit=exact_limit, backend=backend),
        "closeness": lambda: closeness(u, **heavy),  # type: ignore[arg-type]
        "core": lambda: core_number(u, exact_limit=exact_limit, backend=backend),
        "community": lambda: communities(u, seed=seed, exact_limit=exact_limit, backend=backend),
        "articulation": lambda: {n: (1.0 if n in cut else 0.0) for n in u},
        "bridges": lambda: bridge_count(u),
    }
    out: dict[str, dict[Node, float]] = {}
    cut: set[Node] = set()
    bridge_list: list[tuple[Node, Node]] = []
    if "articulation" in wanted:
        t = time.perf_counter()
        cut = articulation_points(u, exact_limit=exact_limit, backend=backend)
        timings["articulation"] = time.perf_counter() - t
    for m in wanted:
        if progress:
            progress(f"computing {m}")
        t = time.perf_counter()
        if m == "bridges":
            bridge_list = bridges(u, exact_limit=exact_limit, backend=backend)
            counts = dict.fromkeys(u, 0.0)
            for a, b in bridge_list:
                counts[a] += 1
                counts[b] += 1
            out[m] = counts
        else:
            out[m] = dict(runners[m]())
        timings[m] = timings.get(m, 0.0) + time.perf_counter() - t
    mod = 0.0
    if "community" in out:
        t = time.perf_counter()
        mod = modularity(u, {k: int(v) for k, v in out["community"].items()})
        timings["modularity"] = time.perf_counter() - t
    return Analysis(
        measures=out,
        modularity=mod,
        articulation_points=sorted(cut, key=str),
        bridges=bridge_list,
        timings=timings,
        seed=seed,
    )


def node_measures(
    g: nx.Graph, measures: Iterable[str] | None = None, *, seed: int | None = 0
) -> dict[Node, dict[str, float]]:
    """For the explorer: ``node -> {measure: value}`` (size and colour by a measure, colour by community)."""
    a = analyze(g, measures, seed=seed)
    return {n: {m: vals.get(n, 0.0) for m, vals in a.measures.items()} for n in g}


# --- paths with reasons ----------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """One step of a path and the statements that link its two ends."""

    source: Node
    target: Node
    statements: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Path:
    """A path between two entities, hop by hop."""

    nodes: tuple[Node, ...]
    hops: tuple[Hop, ...]

    def __len__(self) -> int:
        return len(self.hops)


def hop_statements(g: nx.Graph, a: Node, b: Node) -> tuple[dict[str, Any], ...]:
    """Every statement linking ``a`` and ``b`` (both directions), best graded first."""
    out: list[dict[str, Any]] = []
    pairs = ((a, b, "forward"), (b, a, "backward")) if g.is_directed() else ((a, b, "forward"),)
    for u, v, direction in pairs:
        data = g.get_edge_data(u, v) or {}
        items = data.items() if g.is_multigraph() else [(None, data)]
        for key, d in items:
            out.append(
                {
                    "statement": str(key) if key is not None else None,
                    "subject": str(u),
                    "object": str(v),
                    "direction": direction,
                    "relation": d.get("relation"),
                    "role": d.get("role"),
                    "start": d.get("start"),
                    "end": d.get("end"),
                    "credibility": d.get("credibility"),
                    "status": d.get("status"),
                    "sources": tuple(d.get("sources", ())),
                }
            )
    out.sort(key=lambda s: (s["credibility"] or 9, s["statement"] or ""))
    return tuple(out)


def _path(g: nx.Graph, nodes: Sequence[Node]) -> Path:
    hops = tuple(Hop(a, b, hop_statements(g, a, b)) for a, b in zip(nodes, nodes[1:], strict=False))
    return Path(tuple(nodes), hops)


def _check_nodes(g: nx.Graph, *nodes: Node) -> None:
    for n in nodes:
        if n not in g:
            raise ConfigError(f"no entity {n} in the network (with the filters given)")


def shortest_paths(g: nx.Graph, a: Node, b: Node, *, limit: int = 10) -> list[Path]:
    """All shortest paths (at most ``limit``) between ``a`` and ``b``, ignoring direction.

    Empty when they are not connected.
    """
    _check_nodes(g, a, b)
    u = g.to_undirected(as_view=True) if g.is_directed() else g
    out: list[Path] = []
    try:
        for nodes in nx.all_shortest_paths(u, a, b):
            out.append(_path(g, nodes))
            if len(out) >= limit:
                break
    except nx.NetworkXNoPath:
        return []
    return out


def simple_paths(g: nx.Graph, a: Node, b: Node, *, max_hops: int = 3, limit: int = 50) -> list[Path]:
    """Simple paths of at most ``max_hops`` hops between ``a`` and ``b`` (shortest first, at most ``limit``)."""
    _check_nodes(g, a, b)
    u = _as_simple(g)
    found: list[list[Node]] = []
    for nodes in nx.all_simple_paths(u, a, b, cutoff=max_hops):
        found.append(nodes)
        if len(found) >= limit * 4:
            break
    found.sort(key=lambda p: (len(p), [str(x) for x in p]))
    return [_path(g, p) for p in found[:limit]]


# --- alliance questions ----------------------------------------------------------------------


def _types(g: nx.Graph) -> dict[Node, str]:
    return {n: str(d.get("type", "")) for n, d in g.nodes(data=True)}


def participation(
    g: nx.Graph,
    *,
    state_types: frozenset[str] = STATE_TYPES,
    relations: frozenset[str] = PARTICIPATION_RELATIONS,
) -> dict[Node, set[Node]]:
    """Each group (organisation, framework, initiative...) with the states that take part in it.

    A state takes part in a group when a statement has the state as subject, the group as
    object, and one of ``relations`` (membership, participation, being part of).
    """
    types = _types(g)
    groups: dict[Node, set[Node]] = {}
    edges = g.edges(data=True) if not g.is_multigraph() else g.edges(keys=False, data=True)  # type: ignore[call-overload]  # a multigraph here
    for s, o, d in edges:
        if types.get(s) not in state_types:
            continue
        t = types.get(o, "")
        if t in state_types or t in NON_GROUP_TYPES or g.nodes[o].get("kind") == "event":
            continue
        if d.get("relation") not in relations:
            continue
        groups.setdefault(o, set()).add(s)
    return groups


def co_participation(g: nx.Graph, *, min_shared: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
    """State pairs with the groups they share: ``shared`` count and Jaccard overlap, most shared first."""
    groups = participation(g, **kwargs)
    by_state: dict[Node, set[Node]] = {}
    for grp, states in groups.items():
        for s in states:
            by_state.setdefault(s, set()).add(grp)
    pairs: Counter[tuple[Node, Node]] = Counter()
    for states in groups.values():
        ordered = sorted(states, key=str)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs[(a, b)] += 1
    out: list[dict[str, Any]] = []
    for (a, b), w in pairs.items():
        if w < min_shared:
            continue
        shared = by_state[a] & by_state[b]
        union = by_state[a] | by_state[b]
        out.append(
            {
                "a": a,
                "b": b,
                "shared": w,
                "jaccard": len(shared) / len(union),
                "groups": sorted(shared, key=str),
            }
        )
    out.sort(key=lambda r: (-r["shared"], -r["jaccard"], str(r["a"]), str(r["b"])))
    return out



def gaps(
    g: nx.Graph,
    *,
    group: Node | None = None,
    min_share: float = 0.5,
    min_size: int = 3,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Who stands outside a group most of their peers share.

    For each group X (or only ``group``) and each other group P ("the peers"), when at
    least ``min_share`` of P's states are in X and at least ``min_share`` of X's states
    are in P, the states of P outside X are the gap. E.g. 24 of NATO's 32 allies are in
    the NATO Innovation Fund, and every NIF participant is an ally: the 8 allies outside
    are the gap. Rows are sorted by how much of P is inside X.
    """
    groups = participation(g, **kwargs)
    if group is not None and group not in groups:
        return []
    targets = [group] if group is not None else list(groups)
    out: list[dict[str, Any]] = []
    for x in targets:
        inside = groups[x]
        if len(inside) < min_size:
            continue
        for p, peers in groups.items():
            if p == x or len(peers) < min_size:
                continue
            both = inside & peers
            coverage = len(both) / len(peers)
            containment = len(both) / len(inside)
            outside = peers - inside
            if coverage < min_share or containment < min_share or not outside:
                continue
            out.append(
                {
                    "group": x,
                    "peers": p,
                    "peer_count": len(peers),
                    "inside": len(both),
                    "coverage": coverage,
                    "containment": containment,
                    "outside": sorted(outside, key=str),
                }
            )
    out.sort(key=lambda r: (-r["coverage"] * r["containment"], str(r["group"]), str(r["peers"])))
    return out


def suggest_links(
    g: nx.Graph,
    *,
    among: Iterable[Node] | None = None,
    types: frozenset[str] | None = None,
    top: int = 20,
    hub_cap: int = 500,
    method: str = "adamic_adar",
) -> list[dict[str, Any]]:
    """Pairs not yet linked that the structure suggests, with the shared neighbours that justify each.

    Candidates are pairs among ``among`` (or the nodes of ``types``; default every node)
    with a common neighbour; neighbours linked to more than ``hub_cap`` entities do not
    propose candidates (they still count in the scores). Each row has the Adamic-Adar
    index, Jaccard coefficient and common-neighbour count, ranked by ``method``.
    """
    if method not in ("adamic_adar", "jaccard", "common_neighbours"):
        raise ConfigError(f"unknown method {method!r}; choose adamic_adar, jaccard or common_neighbours")
    u = _as_simple(g)
    if among is not None:
        pool = {n for n in among if n in u}
    elif types is not None:
        pool = {n for n, d in u.nodes(data=True) if d.get("type") in types}
    else:
        pool = set(u)
    candidates: set[tuple[Node, Node]] = set()
    for mid in u:
        nbrs = [n for n in u[mid] if n in pool]
        if len(nbrs) < 2 or u.degree(mid) > hub_cap:
            continue
        nbrs.sort(key=str)
        for i, a in enumerate(nbrs):
            for b in nbrs[i + 1 :]:
                if not u.has_edge(a, b):
                    candidates.add((a, b))
    if not candidates:
        return []
    pairs = sorted(candidates, key=lambda p: (str(p[0]), str(p[1])))
    aa = {(a, b): s for a, b, s in nx.adamic_adar_index(u, pairs)}
    jc = {(a, b): s for a, b, s in nx.jaccard_coefficient(u, pairs)}
    rows: list[dict[str, Any]] = []
    for a, b in pairs:
        common = sorted(nx.common_neighbors(u, a, b), key=str)
        rows.append(
            {
                "a": a,
                "b": b,
                "adamic_adar": float(aa[(a, b)]),
                "jaccard": float(jc[(a, b)]),
                "common_neighbours": len(common),
                "because": common,
            }
        )
    rows.sort(key=lambda r: (-r[method], -r["adamic_adar"], str(r["a"]), str(r["b"])))
    return rows[:top]


def rank(values: Mapping[Node, float]) -> dict[Node, int]:
    """Competition ranks (1 = highest; ties share a rank)."""
    ordered = sorted(values.items(), key=lambda kv: -kv[1])
    out: dict[Node, int] = {}
    last: float | None = None
    position = 0
    for i, (n, v) in enumerate(ordered, start=1):
        if last is None or v != last:
            position, last = i, v
        out[n] = position
    return out


def rank_changes(
    before: nx.MultiDiGraph,
    after: nx.MultiDiGraph,
    *,
    measure: str = "betweenness",
    seed: int | None = 0,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
) -> dict[str, Any]:
    """What changed between two projections: statements added and ended, and rank movements.

    ``ranks`` rows carry the value and rank at each date and the movement (positive =
    climbed); nodes without any relationship at a date have no rank there. Given the two
    dates, each added row says whether it certainly holds on ``day_to`` (``certainty``:
    ``"in"``, or ``"uncertain"`` when its start is known only to a year or month that
    holds the day), and ``maybe_ended`` lists the statements of both dates whose end is
    known only to a period holding ``day_to``.
    """
    from graph.network import certainty_on

    def certainty(d: Mapping[str, Any], day: dt.date | None) -> str | None:
        if day is None:
            return None
        return certainty_on(d.get("start"), d.get("end"), day, d.get("start_precision"), d.get("end_precision"))

    def measured(h: nx.MultiDiGraph) -> dict[Node, float]:
        linked = h.subgraph([n for n in h if h.degree(n) > 0])
        return analyze(linked, [measure], seed=seed).measures[measure]

    v1, v2 = measured(before), measured(after)
    r1, r2 = rank(v1), rank(v2)
    keys1 = {k for _, _, k in before.edges(keys=True)}
    keys2 = {k for _, _, k in after.edges(keys=True)}
    added = [
        {**_edge_row(after, u, v, k), "certainty": certainty(d, day_to)}
        for u, v, k, d in after.edges(keys=True, data=True)
        if k not in keys1
    ]
    ended = [_edge_row(before, u, v, k) for u, v, k in before.edges(keys=True) if k not in keys2]
    maybe_ended = [
        _edge_row(after, u, v, k)
        for u, v, k, d in after.edges(keys=True, data=True)
        if k in keys1 and d.get("end") is not None and certainty(d, day_to) == "uncertain"
    ]
    rows: list[dict[str, Any]] = []
    for n in set(v1) | set(v2):
        a, b = r1.get(n), r2.get(n)
        rows.append(
            {
                "id": n,
                "label": (after.nodes[n] if n in after else before.nodes[n]).get("label", str(n)),
                "value_from": v1.get(n),
                "value_to": v2.get(n),
                "rank_from": a,
                "rank_to": b,
                "move": (a - b) if a is not None and b is not None else None,
            }
        )
    rows.sort(key=lambda r: (r["rank_to"] or 10**9, str(r["id"])))
    return {
        "measure": measure,
        "added": sorted(added, key=lambda r: (str(r["subject"]), r["statement"])),
        "ended": sorted(ended, key=lambda r: (str(r["subject"]), r["statement"])),
        "maybe_ended": sorted(maybe_ended, key=lambda r: (str(r["subject"]), r["statement"])),
        "entered": sorted((n for n in v2 if n not in v1), key=str),
        "left": sorted((n for n in v1 if n not in v2), key=str),
        "ranks": rows,
    }


def _edge_row(g: nx.MultiDiGraph, u: Node, v: Node, k: Any) -> dict[str, Any]:
    d = g.edges[u, v, k]
    return {
        "statement": str(k),
        "subject": u,
        "object": v,
        "relation": d.get("relation"),
        "start": d.get("start"),
        "end": d.get("end"),
        "start_precision": d.get("start_precision"),
        "end_precision": d.get("end_precision"),
        "credibility": d.get("credibility"),
        "sources": tuple(d.get("sources", ())),
    }


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman rank correlation (``scipy.stats.spearmanr``, average ranks for ties);
    ``None`` below 3 pairs or where either side has no spread.

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 40])
    1.0
    >>> spearman([1, 2, 3], [5, 5, 5]) is None
    True
    """
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    from scipy.stats import spearmanr

    return float(spearmanr(xs, ys).statistic)


def spending_shares(kg: Any) -> dict[str, tuple[float, str | None]]:
    """Defence spending as a share of GDP per actor IRI, where the data has it: ``iri -> (share, date)``.

    Reads ``graph/queries/analytics-spending.rq``; the latest dated figure wins.
    """
    from graph import paths
    from graph.sparql import QueryLimits, run_query

    result = run_query(kg, paths.queries_dir() / "analytics-spending.rq", limits=QueryLimits(max_rows=10**7))
    out: dict[str, tuple[float, str | None]] = {}
    for actor, share, when in result.rows:
        if actor is None or share is None:
            continue
        try:
            value = float(str(share))
        except ValueError:
            continue
        date = str(when) if when is not None else None
        old = out.get(str(actor))
        if old is None or (date or "") >= (old[1] or ""):
            out[str(actor)] = (value, date)
    return out


def contribution_vs_influence(
    g: nx.Graph,
    shares: Mapping[str, tuple[float, str | None]],
    *,
    measure: str = "betweenness",
    seed: int | None = 0,
) -> dict[str, Any]:
    """Spending share of GDP against network influence, for the actors the data gives a share for.

    ``gap`` = rank by spending minus rank by influence: positive means more influence
    than the spending rank alone would suggest.
    """
    values = analyze(g, [measure], seed=seed).measures[measure]
    nodes = [n for n in g if str(n) in shares]
    spend = {n: shares[str(n)][0] for n in nodes}
    infl = {n: values.get(n, 0.0) for n in nodes}
    rs, ri = rank(spend), rank(infl)
    rows = [
        {
            "id": n,
            "label": g.nodes[n].get("label", str(n)),
            "share_of_gdp": spend[n],
            "date": shares[str(n)][1],
            measure: infl[n],
            "rank_spending": rs[n],
            "rank_influence": ri[n],
            "gap": rs[n] - ri[n],
        }
        for n in nodes
    ]
    rows.sort(key=lambda r: (-r["share_of_gdp"], str(r["id"])))
    rho = spearman([spend[n] for n in nodes], [infl[n] for n in nodes])
    return {"measure": measure, "spearman": rho, "rows": rows}


# --- write-back as RDF -----------------------------------------------------------------------

AG = str(vocab.AG)
XSD = "http://www.w3.org/2001/XMLSchema#"
#: The RDF property each measure is written with.
MEASURE_PROPERTIES: dict[str, str] = {
    "degree": "degree",
    "weighted_degree": "weightedDegree",
    "betweenness": "betweenness",
    "pagerank": "pageRank",
    "eigenvector": "eigenvectorCentrality",
    "closeness": "closeness",
    "core": "coreNumber",
    "community": "community",
    "articulation": "articulationPoint",
    "bridges": "bridgeCount",
}
_INTEGER_MEASURES = frozenset({"degree", "core", "community", "bridges"})


def analytics_quads(analysis: Analysis, *, as_of: dt.date | None = None) -> list[Any]:
    """The results as Oxigraph quads in :data:`graph.store.ANALYTICS_GRAPH`.

    Per node: ``ag:betweenness``, ``ag:pageRank``, ``ag:community``... (typed literals);
    on the graph's own IRI: ``ag:modularity``, ``ag:asOf``, ``ag:seed`` and
    ``prov:generatedAtTime``.
    """
    import pyoxigraph as ox

    from graph.store import ANALYTICS_GRAPH

    gname = ox.NamedNode(str(ANALYTICS_GRAPH))
    dbl, integer, boolean = (ox.NamedNode(XSD + t) for t in ("double", "integer", "boolean"))
    quads = []
    for m, values in analysis.measures.items():
        prop = ox.NamedNode(vocab.AG[MEASURE_PROPERTIES[m]])
        for n, v in values.items():
            if v is None:
                continue
            if m == "articulation":
                lit = ox.Literal("true" if v else "false", datatype=boolean)
            elif m in _INTEGER_MEASURES:
                lit = ox.Literal(str(int(v)), datatype=integer)
            else:
                lit = ox.Literal(repr(float(v)), datatype=dbl)
            quads.append(ox.Quad(ox.NamedNode(str(n)), prop, lit, gname))
    meta = [
        (ox.NamedNode(vocab.AG.modularity), ox.Literal(repr(float(analysis.modularity)), datatype=dbl)),
        (
            ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime"),
            ox.Literal(
                dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                datatype=ox.NamedNode(XSD + "dateTime"),
            ),
        ),
    ]
    when = as_of or analysis.as_of
    if when is not None:
        meta.append((ox.NamedNode(vocab.AG.asOf), ox.Literal(when.isoformat(), datatype=ox.NamedNode(XSD + "date"))))
    if analysis.seed is not None:
        meta.append((ox.NamedNode(vocab.AG.seed), ox.Literal(str(analysis.seed), datatype=integer)))
    quads += [ox.Quad(gname, p, o, gname) for p, o in meta]
    return quads


def write_analytics_rdf(analysis: Analysis, path: str, *, as_of: dt.date | None = None) -> int:
    """Write the analytics graph to ``path`` (TriG, or N-Quads for ``.nq``); the number of quads."""
    import pyoxigraph as ox

    quads = analytics_quads(analysis, as_of=as_of)
    fmt = ox.RdfFormat.N_QUADS if str(path).endswith(".nq") else ox.RdfFormat.TRIG
    try:
        ox.serialize(quads, output=path, format=fmt, prefixes={"ag": AG} if fmt == ox.RdfFormat.TRIG else None)
    except OSError as err:
        raise ConfigError(f"{path}: cannot write: {err.strerror or err}") from err
    return len(quads)


def with_analytics(kg: Any, analysis: Analysis, *, as_of: dt.date | None = None) -> Any:
    """A NEW :class:`~graph.store.KnowledgeGraph`: a copy of ``kg`` plus the analytics named graph.

    The loaded graph is never changed. On Oxigraph the copy is a bulk load of every quad
    into a fresh store (about 2 s per million triples); on the memory store, a copy of
    the dataset. SPARQL then finds the results with
    ``GRAPH <https://w3id.org/alliance-graph/graph/analytics> { ?actor ag:betweenness ?b }``.
    """
    from graph.store import KnowledgeGraph, new_store
    from graph.terms import from_ox

    quads = analytics_quads(analysis, as_of=as_of)
    new: KnowledgeGraph = new_store(kg.backend)
    if kg.ox is not None and new.ox is not None:
        import pyoxigraph as ox

        # Dump and bulk-load in native code: no Python object per quad.
        new.ox.bulk_load(kg.ox.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        new.ox.bulk_extend(quads)
    elif kg.backend == "memory":
        for s, p, o, c in kg.dataset.quads((None, None, None, None)):
            new.dataset.add((s, p, o, getattr(c, "identifier", c)))
        from rdflib import URIRef

        from graph.store import ANALYTICS_GRAPH

        target = new.dataset.graph(URIRef(str(ANALYTICS_GRAPH)))
        for q in quads:
            target.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    else:
        raise ConfigError(f"cannot write analytics into a {kg.backend} store; write them to a file instead")
    new.files = list(kg.files)
    new.options = dict(kg.options)
    return new
