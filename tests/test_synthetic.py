"""The synthetic alliance graph: deterministic, the requested size, shaped and valid like the real one."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from bench.synthetic import parse_size, size_name, synthetic_files, write_streams
from graph import paths

AG = "https://w3id.org/alliance-graph/ontology#"


def _write(size: int, seed: int = 7) -> tuple[str, str, int]:
    nt, ttl = io.StringIO(), io.StringIO()
    stats = write_streams(size, nt=nt, ttl=ttl, seed=seed)
    return nt.getvalue(), ttl.getvalue(), stats.triples


def test_sizes_parse_and_print() -> None:
    assert [parse_size(s) for s in ("10k", "100K", "1M", "5m", "2500")] == [
        10_000, 100_000, 1_000_000, 5_000_000, 2_500,
    ]  # fmt: skip
    assert [size_name(n) for n in (10_000, 1_000_000, 2_500)] == ["10k", "1M", "2500"]
    with pytest.raises(ValueError, match="not a size"):
        parse_size("big")


def test_same_seed_same_bytes_other_seed_other_graph() -> None:
    a, _, _ = _write(3_000, seed=1)
    b, _, _ = _write(3_000, seed=1)
    c, _, _ = _write(3_000, seed=2)
    assert a == b
    assert a != c


def test_ntriples_and_turtle_hold_the_same_triples_of_the_requested_size() -> None:
    nt, ttl, n = _write(5_000)
    assert 5_000 <= n < 5_100
    from_nt = ox.Store()
    from_nt.load(nt.encode(), format=ox.RdfFormat.N_TRIPLES)
    from_ttl = ox.Store()
    from_ttl.load(ttl.encode(), format=ox.RdfFormat.TURTLE)
    assert len(from_nt) == len(from_ttl) == n
    assert set(from_nt) == set(from_ttl)


def test_shape_of_the_alliance_with_hubs_and_leaves() -> None:
    nt, _, _ = _write(20_000)
    store = ox.Store()
    store.load(nt.encode(), format=ox.RdfFormat.N_TRIPLES)
    types = Counter(
        q.object.value.removeprefix(AG)
        for q in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None)
    )
    for cls in ("State", "InternationalOrganisation", "Grouping", "PartnerFramework", "Initiative",
                "Company", "Event", "Source", "Membership", "Participation", "Partnership",
                "Contract", "Claim"):  # fmt: skip
        assert types[cls] > 0, cls
    degree = Counter()
    for prop in ("subject", "object"):
        for q in store.quads_for_pattern(None, ox.NamedNode(AG + prop), None):
            degree[q.object] += 1
    values = sorted(degree.values(), reverse=True)
    # A few hubs gather many statements, most entities are leaves.
    assert values[0] > 50 * values[len(values) // 2]
    assert sum(1 for v in values if v <= 2) > len(values) / 2
    # Every contract names its supplier and buyer; every statement has a source and a grade.
    prefixes = {"ag": AG, "prov": "http://www.w3.org/ns/prov#"}
    contracts = list(store.query(
        "SELECT ?c WHERE { ?c a ag:Contract . FILTER NOT EXISTS { ?c ag:supplier ?s ; ag:buyer ?b } }",
        prefixes=prefixes,
    ))  # fmt: skip
    assert contracts == []
    ungraded = list(store.query(
        "SELECT ?st WHERE { ?st ag:relation ?r . "
        "FILTER NOT EXISTS { ?st prov:wasDerivedFrom ?src ; ag:credibility ?c ; ag:status ?x } }",
        prefixes=prefixes,
    ))  # fmt: skip
    assert ungraded == []


def test_files_are_written_once_and_reused(tmp_path: Path) -> None:
    first = synthetic_files("2k", tmp_path, seed=3)
    assert first.nt.exists() and first.ttl.exists()
    assert first.triples == sum(1 for _ in first.nt.open())
    stamp = first.nt.stat().st_mtime_ns
    again = synthetic_files(2_000, tmp_path, seed=3)
    assert again == first and again.nt.stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob("*.part"))


def test_loads_on_top_of_the_shipped_graph_without_clashing(kg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Synthetic identifiers never reuse the curated graph's: loading both adds every triple."""
    from graph.store import open_graph

    files = synthetic_files("3k", tmp_path, seed=5)
    both = open_graph("oxigraph", [files.nt])
    assert both.count_triples() >= kg.count_triples() + files.triples - 10


@pytest.mark.slow
def test_a_10k_graph_conforms_to_the_shapes(tmp_path: Path) -> None:
    """pySHACL over 10k triples takes about 100 s on 2 busy cores (one SPARQL check per
    statement): slow, but this is the check that the generator keeps up with the shapes."""
    from graph.validate import format_report, validate_graph

    files = synthetic_files("10k", tmp_path)
    g = Graph()
    g.parse(paths.ontology_file())
    g.parse(files.nt)
    report = validate_graph(g)
    assert report.conforms, format_report(report)[:3000]


def test_rules_run_inside_oxigraph_derive_what_the_generic_path_derives(tmp_path: Path) -> None:
    """apply_rules runs plain CONSTRUCT rules as INSERT updates on Oxigraph (fast at 1M):
    the graph must hold exactly the triples the Memory store's generic path gives."""
    from graph.store import open_graph

    files = synthetic_files("2k", tmp_path, seed=9)
    fast = open_graph("oxigraph", [files.nt])
    generic = open_graph("memory", [files.nt])
    ox_triples = {(q.subject.value, q.predicate.value, str(q.object.value))
                  for q in fast.ox.quads_for_pattern(None, None, None, ox.DefaultGraph())}  # type: ignore[union-attr]
    mem_triples = {(str(s), str(p), str(o)) for s, p, o in generic.graph}
    assert len(ox_triples) > files.triples
    assert ox_triples == mem_triples
