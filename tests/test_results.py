"""Result writers: escaping, spreadsheet safety, short names and profile links."""

from __future__ import annotations

import csv
import io
import json
import xml.dom.minidom

from rdflib import BNode, Literal, URIRef

from graph.results import profile_link, short_name, table_columns, to_csv, to_json, to_tsv, to_xml
from graph.sparql import QueryResult

AGR = "https://w3id.org/alliance-graph/id/"
TRICKY = QueryResult(
    kind="select",
    vars=["s", "text"],
    rows=[
        (URIRef(AGR + "CAN"), Literal('He said "yes",\nthen <left> & tab\there', lang="en")),
        (BNode("b1"), Literal("=HYPERLINK(\"http://evil\")")),
        (None, Literal(3)),
    ],
)


def test_csv_round_trips_and_can_be_made_spreadsheet_safe() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(TRICKY))))
    assert rows[1] == [AGR + "CAN", 'He said "yes",\nthen <left> & tab\there']
    assert rows[3] == ["", "3"]
    safe = list(csv.reader(io.StringIO(to_csv(TRICKY, safe=True))))
    assert safe[2][1].startswith("'=")


def test_tsv_keeps_one_row_per_line() -> None:
    lines = to_tsv(TRICKY).splitlines()
    assert lines[0] == "?s\t?text" and len(lines) == 4


def test_json_and_xml_are_valid_and_escaped() -> None:
    data = json.loads(to_json(TRICKY))
    assert data["results"]["bindings"][0]["text"]["xml:lang"] == "en"
    assert "s" not in data["results"]["bindings"][2]
    doc = xml.dom.minidom.parseString(to_xml(TRICKY))
    assert len(doc.getElementsByTagName("result")) == 3


def test_short_names_and_profile_links() -> None:
    assert short_name(URIRef(AGR + "CAN")) == "agr:CAN"
    assert profile_link(URIRef(AGR + "CAN")) == "./profile?entity=agr:CAN"
    assert profile_link(Literal("x")) is None
    rows, links = table_columns(TRICKY)
    assert links == set()  # a blank node in the column: not all IRIs
    iri_only = QueryResult(kind="select", vars=["e"], rows=[(URIRef(AGR + "FIN"),), (None,)])
    rows, links = table_columns(iri_only)
    assert links == {"e"} and rows[0]["e"] == "./profile?entity=agr:FIN" and rows[1]["e"] == ""
