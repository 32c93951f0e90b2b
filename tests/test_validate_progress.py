"""Validation in shape groups, with progress, finds exactly what one pySHACL run finds."""

from __future__ import annotations

import re

import pytest
from rdflib import Literal, URIRef

from graph.importer import check_import
from graph.store import KnowledgeGraph, open_graph
from graph.validate import data_graph, load_shapes, validate_graph

AG = "https://w3id.org/alliance-graph/ontology#"


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return open_graph("oxigraph")


def _key(report: object) -> list[tuple[str, ...]]:
    return sorted(
        (str(v.focus), str(v.path), str(v.shape), str(v.constraint), v.message)  # type: ignore[attr-defined]
        for v in report.violations  # type: ignore[attr-defined]
    )


def test_grouped_validation_reports_what_one_run_reports(kg: KnowledgeGraph) -> None:
    data = data_graph(kg)
    for s in list(data.subjects(URIRef(AG + "startDate")))[:4]:
        data.set((s, URIRef(AG + "startDate"), Literal("soon")))
    for s in list(data.subjects(URIRef(AG + "credibility")))[:4]:
        data.set((s, URIRef(AG + "credibility"), Literal(9)))
    shapes = load_shapes()
    one = validate_graph(data, shapes)
    calls: list[tuple[int, int]] = []
    grouped = validate_graph(data, shapes, progress=lambda done, total: calls.append((done, total)))
    assert not one.conforms and not grouped.conforms
    assert len(one.violations) >= 8
    assert _key(grouped) == _key(one)
    assert len(calls) > 10  # one call per targeted shape
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1][0] == calls[-1][1]


def test_a_csv_import_reports_its_validation_progress(kg: KnowledgeGraph) -> None:
    rows = ["ID,Label,Type"] + [f"E{i},Entity {i},Initiative" for i in range(300)]
    data = ("\n".join(rows) + "\n").encode()
    quiet = check_import([("r.csv", data)], kg)
    messages: list[str] = []
    told = check_import([("r.csv", data)], kg, progress=messages.append)
    assert told.ok and quiet.ok and told.validated
    assert sorted(map(str, told.issues)) == sorted(map(str, quiet.issues))
    validating = [m for m in messages if m.startswith("validating: ")]
    assert validating, messages
    assert re.match(r"validating: 100% of the focus nodes checked, \d+ s so far", validating[-1])
