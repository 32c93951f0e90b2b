"""Network analytics: properties of the measures, paths that name real statements, alliance answers."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import networkx as nx
import pytest
from rdflib import URIRef

from graph import analytics as an
from graph.cli import main
from graph.network import Filters, project
from graph.sparql import run_query
from graph.store import ANALYTICS_GRAPH, KnowledgeGraph

AGR = "https://w3id.org/alliance-graph/id/"
ACTORS = Filters(actors_only=True, events=False, exclude_status=frozenset({"Contradicted"}))
NIF_OUTSIDERS = {"ALB", "CAN", "HRV", "FRA", "MNE", "MKD", "SVN", "USA"}
HAS_IGRAPH = an._igraph() is not None


def agr(name: str) -> URIRef:
    return URIRef(AGR + name)


def alliance_like(n: int = 300, seed: int = 3) -> nx.MultiDiGraph:
    """A random multigraph with hubs, leaves, parallel statements and small separate islands."""
    base = nx.barabasi_albert_graph(n, 2, seed=seed)
    g = nx.MultiDiGraph()
    for i, (a, b) in enumerate(base.edges()):
        g.add_edge(a, b, f"st{i}", relation="memberOf")
        if i % 7 == 0:
            g.add_edge(b, a, f"st{i}b", relation="partnerOf")
    g.add_edge("island-a", "island-b", "st-island", relation="memberOf")
    g.add_node("alone")
    return g


@pytest.fixture(scope="module")
def shipped(kg: KnowledgeGraph) -> nx.MultiDiGraph:
    return project(kg, ACTORS)


# --- properties -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["networkx", pytest.param("igraph", marks=pytest.mark.skipif(not HAS_IGRAPH, reason="no igraph"))])
@pytest.mark.parametrize("exact_limit", [10_000, 50])
def test_scores_in_range_and_communities_partition(backend: str, exact_limit: int) -> None:
    g = alliance_like()
    a = an.analyze(g, seed=1, samples=40, exact_limit=exact_limit, backend=backend)
    assert set(a.measures) == set(an.MEASURES)
    for m in an.UNIT_MEASURES:
        assert set(a.measures[m]) == set(g), m
        assert all(0.0 <= v <= 1.0 for v in a.measures[m].values()), m
    assert math.isclose(sum(a.measures["pagerank"].values()), 1.0, rel_tol=1e-6)
    # Communities: every node in exactly one, and a real partition by networkx's own check.
    comm = a.measures["community"]
    assert set(comm) == set(g)
    groups: dict[float, set[object]] = {}
    for node, c in comm.items():
        groups.setdefault(c, set()).add(node)
    assert nx.community.is_partition(an.simple_graph(g), list(groups.values()))
    assert -0.5 <= a.modularity <= 1.0 and a.modularity > 0.2
    assert a.measures["closeness"]["alone"] == 0.0 and a.measures["betweenness"]["alone"] == 0.0
    # Hubs come first whichever way the numbers were reached.
    top = max(a.measures["betweenness"], key=a.measures["betweenness"].get)
    assert a.measures["degree"][top] >= sorted(a.measures["degree"].values())[-10]


def test_sampled_measures_track_exact_ones_and_are_seeded() -> None:
    g = alliance_like(400)
    exact = an.betweenness(g, backend="networkx")
    approx = an.betweenness(g, samples=120, seed=5, exact_limit=50, backend="networkx")
    assert approx == an.betweenness(g, samples=120, seed=5, exact_limit=50, backend="networkx")
    top_exact = sorted(exact, key=exact.get, reverse=True)[:5]
    top_approx = set(sorted(approx, key=approx.get, reverse=True)[:15])
    assert set(top_exact) <= top_approx
    c_exact = an.closeness(g, backend="networkx")
    c_approx = an.closeness(g, samples=120, seed=5, exact_limit=50, backend="networkx")
    big = [n for n in g if isinstance(n, int)]
    assert max(abs(c_exact[n] - c_approx[n]) for n in big) < 0.08
    assert c_approx["island-a"] == pytest.approx(c_exact["island-a"])


@pytest.mark.skipif(not HAS_IGRAPH, reason="python-igraph is not installed")
def test_igraph_matches_networkx_where_exact() -> None:
    g = alliance_like(200)
    for fn in (an.betweenness, an.closeness, an.eigenvector):
        a, b = fn(g, backend="networkx"), fn(g, backend="igraph")
        assert max(abs(a[n] - b[n]) for n in g) < 1e-3, fn.__name__
    assert an.communities(g, seed=2, backend="igraph") == an.communities(g, seed=2, backend="igraph")
    assert an.core_number(g, backend="igraph") == an.core_number(g, backend="networkx")
    assert an.articulation_points(g, backend="igraph") == an.articulation_points(g, backend="networkx")
    as_sets = lambda bs: {frozenset(b) for b in bs}  # noqa: E731
    assert as_sets(an.bridges(g, backend="igraph")) == as_sets(an.bridges(g, backend="networkx"))


def test_pagerank_without_scipy_matches() -> None:
    u = an.simple_graph(alliance_like(150))
    ours = an._pagerank_numpy(u)
    theirs = nx.pagerank(u, weight="weight", tol=1e-12)
    assert max(abs(ours[n] - theirs[n]) for n in u) < 1e-6


def test_structural_brokers_and_cores() -> None:
    g = nx.MultiDiGraph([("a", "hub"), ("b", "hub"), ("hub", "c"), ("c", "d"), ("d", "e"), ("e", "c")])
    assert an.articulation_points(g) == {"hub", "c"}
    assert {frozenset(b) for b in an.bridges(g)} == {frozenset(p) for p in (("a", "hub"), ("b", "hub"), ("hub", "c"))}
    assert an.core_number(g)["d"] == 2 and an.core_number(g)["a"] == 1
    assert an.weighted_degree(nx.MultiDiGraph([("x", "y"), ("y", "x"), ("x", "x")]))["x"] == 2.0


def test_node_measures_for_the_explorer() -> None:
    g = alliance_like(60)
    values = an.node_measures(g, ["degree", "community"], seed=0)
    assert set(values) == set(g)
    assert all(set(v) == {"degree", "community"} for v in values.values())
    with pytest.raises(Exception, match="unknown measure"):
        an.analyze(g, ["fame"])


def test_suggestions_are_justified_by_shared_neighbours() -> None:
    g = alliance_like(120)
    u = an.simple_graph(g)
    rows = an.suggest_links(g, top=10)
    assert rows and rows == sorted(rows, key=lambda r: -r["adamic_adar"])
    for r in rows:
        assert not u.has_edge(r["a"], r["b"])
        assert set(r["because"]) == set(nx.common_neighbors(u, r["a"], r["b"])) != set()
        assert 0 < r["jaccard"] <= 1


# --- the shipped graph: known answers -----------------------------------------------------------


def test_allies_outside_the_nif(shipped: nx.MultiDiGraph) -> None:
    rows = an.gaps(shipped, group=agr("NIF"))
    nato = next(r for r in rows if r["peers"] == agr("NATO"))
    assert {str(n).rsplit("/", 1)[-1] for n in nato["outside"]} == NIF_OUTSIDERS
    assert (nato["inside"], nato["peer_count"]) == (24, 32)


def test_canada_japan_path_names_real_statements(kg: KnowledgeGraph, shipped: nx.MultiDiGraph) -> None:
    paths = an.shortest_paths(shipped, agr("CAN"), agr("JPN"))
    assert paths and all(len(p) == len(paths[0]) for p in paths)
    longer = an.simple_paths(shipped, agr("CAN"), agr("JPN"), max_hops=4)
    assert len(longer) >= len(paths)
    for p in paths + longer:
        assert p.nodes[0] == agr("CAN") and p.nodes[-1] == agr("JPN")
        for hop in p.hops:
            assert hop.statements
            for st in hop.statements:
                ask = run_query(
                    kg,
                    "ASK { ?st ag:subject ?s ; ag:object ?o ; ag:relation ?r ; prov:wasDerivedFrom ?src }",
                    {"st": URIRef(st["statement"]), "s": URIRef(st["subject"]), "o": URIRef(st["object"])},
                )
                assert ask.boolean, st
                assert {st["subject"], st["object"]} == {str(hop.source), str(hop.target)}
                assert st["sources"]


def test_change_2021_to_2025_shows_accessions(kg: KnowledgeGraph) -> None:
    before = project(kg, Filters(as_of=dt.date(2021, 1, 1), actors_only=True, events=False))
    after = project(kg, Filters(as_of=dt.date(2025, 1, 1), actors_only=True, events=False))
    ch = an.rank_changes(before, after, measure="degree")
    added = {(str(r["subject"]).rsplit("/", 1)[-1], r["relation"], str(r["object"]).rsplit("/", 1)[-1]) for r in ch["added"]}
    assert {("FIN", "memberOf", "NATO"), ("SWE", "memberOf", "NATO")} <= added
    ended = {(str(r["subject"]).rsplit("/", 1)[-1], str(r["object"]).rsplit("/", 1)[-1]) for r in ch["ended"]}
    assert ("SWE", "PfP") in ended
    nif = next(r for r in ch["ranks"] if r["id"] == agr("NIF"))
    assert nif["rank_from"] is None and nif["rank_to"] is not None  # the fund did not exist in 2021


def test_co_participation_overlap(shipped: nx.MultiDiGraph) -> None:
    rows = an.co_participation(shipped)
    pair = next(r for r in rows if {r["a"], r["b"]} == {agr("FIN"), agr("SWE")})
    assert {agr("NATO"), agr("EU"), agr("NIF")} <= set(pair["groups"])
    assert 0 < pair["jaccard"] <= 1 and pair["shared"] == len(pair["groups"])


def test_write_back_is_a_new_graph_sparql_can_ask(kg: KnowledgeGraph, shipped: nx.MultiDiGraph) -> None:
    a = an.analyze(shipped, ["betweenness", "community"], seed=0)
    before = kg.count_triples()
    new = an.with_analytics(kg, a, as_of=dt.date(2025, 1, 1))
    assert kg.count_triples() == before and new is not kg
    assert len(run_query(kg, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")) == 0
    top = run_query(
        new,
        "SELECT ?actor ?b WHERE { GRAPH <https://w3id.org/alliance-graph/graph/analytics> "
        "{ ?actor ag:betweenness ?b } } ORDER BY DESC(?b) LIMIT 1",
    )
    assert top.rows[0][0] == agr("NATO")
    n_comm = run_query(new, f"SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <{ANALYTICS_GRAPH}> {{ ?x ag:community ?c }} }}")
    assert int(n_comm.rows[0][0]) == shipped.number_of_nodes()


def test_contribution_vs_influence_uses_spending_where_known(kg: KnowledgeGraph, shipped: nx.MultiDiGraph) -> None:
    shares = an.spending_shares(kg)
    assert shares[AGR + "CAN"][0] == pytest.approx(2.0)
    out = an.contribution_vs_influence(shipped, shares)
    can = next(r for r in out["rows"] if r["id"] == agr("CAN"))
    assert can["share_of_gdp"] == pytest.approx(2.0) and 0 <= can["betweenness"] <= 1
    assert an.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)


# --- the command line -----------------------------------------------------------------------


def test_cli_json_gives_every_measure_for_every_actor(capsys: pytest.CaptureFixture[str], shipped: nx.MultiDiGraph) -> None:
    assert main(["analyze", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["measures"]) == shipped.number_of_nodes()
    for row in out["measures"]:
        assert set(an.MEASURES) <= set(row)
    assert 0 < out["modularity"] < 1
    assert AGR + "NATO" in out["articulation_points"]


def test_cli_path_gaps_and_rdf(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "analytics.trig"
    code = main(["analyze", "--measure", "betweenness", "--path", "CAN", "JPN", "--gaps", "--group", "NIF",
                 "--suggest", "--top", "5", "--write-rdf", str(out_file)])
    text = capsys.readouterr().out
    assert code == 0
    assert "shortest paths" in text and "agr:st-CAN-memberOf-NATO" in text
    assert "agr:ALB, agr:CAN" in text
    assert "<https://w3id.org/alliance-graph/graph/analytics>" in out_file.read_text() or "analytics" in out_file.read_text()
    import pyoxigraph as ox

    quads = list(ox.parse(path=out_file, format=ox.RdfFormat.TRIG))
    assert quads and all(q.graph_name.value == str(ANALYTICS_GRAPH) for q in quads)


def test_cli_as_of_and_change(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--format", "json", "--as-of", "2022-01-01", "--measure", "degree",
                 "--from", "2021-01-01", "--to", "2025-01-01", "--by", "degree"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == "2022-01-01"
    fin = next(r for r in out["measures"] if r["id"] == AGR + "FIN")
    assert any(r["statement"] == AGR + "st-SWE-memberOf-NATO" for r in out["change"]["added"])
    # Finland before its accession has fewer links than Finland today (NATO among them)
    assert main(["analyze", "--format", "json", "--measure", "degree"]) == 0
    now = json.loads(capsys.readouterr().out)
    fin_now = next(r for r in now["measures"] if r["id"] == AGR + "FIN")
    assert fin["degree"] < fin_now["degree"]


def test_cli_errors_are_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--path", "CAN", "Atlantis"]) == 2
    err = capsys.readouterr().err
    assert "no entity 'Atlantis'" in err and "Traceback" not in err
    assert main(["analyze", "--from", "2021-01-01"]) == 2


def test_a_change_says_when_a_start_is_known_only_to_its_year(kg: KnowledgeGraph) -> None:
    """Australia joined the Quad in 2007 (known to the year): between mid-2006 and
    1 June 2007 it began, uncertain on that day; by mid-2008 it certainly holds."""
    quad = "https://w3id.org/alliance-graph/id/st-AUS-memberOf-Quad"

    def began(d1: dt.date, d2: dt.date) -> dict:  # type: ignore[type-arg]
        before = project(kg, Filters(as_of=d1, actors_only=True, events=False))
        after = project(kg, Filters(as_of=d2, actors_only=True, events=False))
        ch = an.rank_changes(before, after, measure="degree", day_from=d1, day_to=d2)
        return next(r for r in ch["added"] if r["statement"] == quad)

    row = began(dt.date(2006, 6, 1), dt.date(2007, 6, 1))
    assert row["certainty"] == "uncertain" and row["start_precision"] == "YearPrecision"
    assert began(dt.date(2006, 6, 1), dt.date(2008, 6, 1))["certainty"] == "in"
