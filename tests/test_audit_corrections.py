"""Corrections from the audit in issue 20 item 8, each pinned by a query on the shipped graph."""

from __future__ import annotations

from typing import Any

import pytest

PREFIXES = """PREFIX ag: <https://w3id.org/alliance-graph/ontology#>
PREFIX agr: <https://w3id.org/alliance-graph/id/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@pytest.fixture(scope="module")
def run() -> Any:
    from graph.sparql import run_query
    from graph.store import open_graph

    kg = open_graph("oxigraph")
    return lambda q: [tuple(str(t) for t in r) for r in run_query(kg, PREFIXES + q).rows]


def test_australia_2024_was_represented_by_marles(run: Any) -> None:
    rows = run(
        """SELECT ?who ?level WHERE { ?a a ag:Attendance ; ag:subject agr:AUS ;
        ag:object agr:summit-2024-washington ; ag:representedBy ?who ; ag:attendanceLevel ?level }"""
    )
    assert rows == [
        (
            "https://w3id.org/alliance-graph/id/Richard-Marles",
            "https://w3id.org/alliance-graph/ontology#DeputyHeadOfGovernmentLevel",
        )
    ]


def test_every_ip4_summit_attendance_names_its_representative(run: Any) -> None:
    missing = run(
        """SELECT ?a WHERE { ?a a ag:Attendance ; ag:subject ?s ; ag:object ?summit .
        ?s ag:memberOf agr:IP4 . ?summit a ag:Summit ; ag:startDate ?d .
        FILTER (?d >= "2022-01-01"^^xsd:date)
        FILTER NOT EXISTS { ?a ag:representedBy ?who } }"""
    )
    assert missing == []


def test_budget_2025_defence_figure_is_a_five_year_amount(run: Any) -> None:
    rows = run(
        """SELECT ?text ?unit WHERE { agr:st-Budget-2025-defence ag:claimText ?text ;
        ag:unit ?unit }"""
    )
    assert len(rows) == 1
    text, unit = rows[0]
    assert "five" in text and "five" in unit


def test_field_hospital_contract_states_split_and_delivery(run: Any) -> None:
    note = run("SELECT ?n WHERE { agr:st-contract-RMS-DNK-field-hospitals ag:deliveryNote ?n }")
    assert note and "two years" in note[0][0] and "Role 2E" in note[0][0]
    split = run("SELECT ?t WHERE { agr:st-contract-RMS-DNK-split ag:claimText ?t }")
    assert split and "three are Role 2B" in split[0][0] and "two are Role 2E" in split[0][0]
