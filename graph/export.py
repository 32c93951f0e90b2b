"""Export the graph: RDF (Turtle, N-Triples, TriG, JSON-LD) and network formats (GraphML, GEXF, CSV)."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pyoxigraph as ox

from graph.errors import ConfigError
from graph.store import KnowledgeGraph

RDF_EXPORTS = {"ttl": "turtle", "nt": "nt", "trig": "trig", "jsonld": "json-ld"}
_OX_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
}
NETWORK_EXPORTS = ("graphml", "gexf", "csv")
EXPORT_FORMATS = (*RDF_EXPORTS, *NETWORK_EXPORTS)


def export_rdf(kg: KnowledgeGraph, fmt: str) -> bytes:
    """The whole graph serialised as RDF (Oxigraph's serialisers where available: fast)."""
    if fmt not in RDF_EXPORTS:
        raise ConfigError(f"unknown RDF export format {fmt!r}; choose one of {', '.join(RDF_EXPORTS)}")
    if kg.ox is not None and fmt in _OX_FORMATS:
        from graph.sparql import STANDARD_PREFIXES

        if fmt == "trig":
            return kg.ox.dump(format=ox.RdfFormat.TRIG, prefixes=STANDARD_PREFIXES)  # type: ignore[return-value]
        prefixes = STANDARD_PREFIXES if fmt == "ttl" else None
        return kg.ox.dump(  # type: ignore[return-value]
            format=_OX_FORMATS[fmt], from_graph=ox.DefaultGraph(), prefixes=prefixes
        )
    target = kg.dataset if fmt == "trig" else kg.graph
    return target.serialize(format=RDF_EXPORTS[fmt], encoding="utf-8")


def export_network(kg: KnowledgeGraph, fmt: str) -> bytes:
    """The actor network (see :mod:`graph.network`) as GraphML, GEXF or a zip of two CSVs."""
    import networkx as nx

    from graph.network import project

    g = project(kg)
    flat: nx.DiGraph[Any] = nx.MultiDiGraph() if g.is_multigraph() else nx.DiGraph()
    for n, d in g.nodes(data=True):
        flat.add_node(str(n), **{k: _scalar(v) for k, v in d.items()})
    for u, v, d in g.edges(data=True):
        flat.add_edge(str(u), str(v), **{k: _scalar(x) for k, x in d.items()})
    if fmt == "graphml":
        buf = io.BytesIO()
        nx.write_graphml(flat, buf)
        return buf.getvalue()
    if fmt == "gexf":
        buf = io.BytesIO()
        nx.write_gexf(flat, buf)
        return buf.getvalue()
    if fmt == "csv":
        return network_csv_zip(flat)
    raise ConfigError(f"unknown network export format {fmt!r}; choose one of {', '.join(NETWORK_EXPORTS)}")


def _scalar(value: object) -> str | int | float | bool:
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(sorted(str(x) for x in value))
    return "" if value is None else str(value)


def network_csv_zip(g: object) -> bytes:
    """A zip with nodes.csv and edges.csv (cells safe against spreadsheet formula injection)."""
    import networkx as nx

    from graph.results import safe_spreadsheet_cell

    assert isinstance(g, nx.Graph)
    node_keys = sorted({k for _, d in g.nodes(data=True) for k in d})
    edge_keys = sorted({k for _, _, d in g.edges(data=True) for k in d})
    nodes = io.StringIO()
    w = csv.writer(nodes, lineterminator="\r\n")
    w.writerow(["id", *node_keys])
    for n, d in g.nodes(data=True):
        w.writerow([safe_spreadsheet_cell(str(x)) for x in [n, *(d.get(k, "") for k in node_keys)]])
    edges = io.StringIO()
    w = csv.writer(edges, lineterminator="\r\n")
    w.writerow(["source", "target", *edge_keys])
    for u, v, d in g.edges(data=True):
        w.writerow(
            [safe_spreadsheet_cell(str(x)) for x in [u, v, *(d.get(k, "") for k in edge_keys)]]
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("nodes.csv", nodes.getvalue())
        z.writestr("edges.csv", edges.getvalue())
    return buf.getvalue()


def export_graph(kg: KnowledgeGraph, fmt: str) -> bytes:
    if fmt in RDF_EXPORTS:
        return export_rdf(kg, fmt)
    if fmt in NETWORK_EXPORTS:
        return export_network(kg, fmt)
    raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
