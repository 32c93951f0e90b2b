"""Validate the graph against the SHACL shapes (pySHACL) and return a report object."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from graph import paths
from graph.errors import DataLoadError
from graph.store import KnowledgeGraph
from graph.workers import job


@dataclass(frozen=True)
class Violation:
    """One SHACL result: which node, which path, which shape said what."""

    focus: Node | None
    path: Node | None
    shape: Node | None
    constraint: Node | None
    severity: str
    message: str
    value: Node | None = None


@dataclass
class ValidationReport:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    text: str = ""
    report_graph: Graph | None = None

    def by_focus(self) -> dict[Node, list[Violation]]:
        out: dict[Node, list[Violation]] = {}
        for v in self.violations:
            if v.focus is not None:
                out.setdefault(v.focus, []).append(v)
        return out


def load_shapes(shapes_file: Path | None = None) -> Graph:
    path = shapes_file or paths.shapes_file()
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as err:  # noqa: BLE001 - rdflib raises many kinds
        raise DataLoadError(str(path), f"cannot read shapes: {err}") from err
    return g


def data_graph(kg: KnowledgeGraph) -> Graph:
    """The default graph as an in-memory rdflib Graph (pySHACL is fastest on rdflib's Memory store)."""
    if kg.ox is None:
        return kg.graph
    import pyoxigraph as ox

    from graph.terms import from_ox

    g = Graph()
    for q in kg.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g


def validate_graph(
    kg: KnowledgeGraph | Graph, shapes: Graph | None = None
) -> ValidationReport:
    """Run the shapes over the graph (no inference) and collect the results."""
    import pyshacl

    data = kg if isinstance(kg, Graph) else data_graph(kg)
    shapes_graph = shapes if shapes is not None else load_shapes()
    conforms, report_graph, text = pyshacl.validate(
        data, shacl_graph=shapes_graph, inference="none", allow_warnings=True
    )
    violations: list[Violation] = []
    for result in report_graph.subjects(RDF.type, SH.ValidationResult):
        severity = report_graph.value(result, SH.resultSeverity)
        violations.append(
            Violation(
                focus=report_graph.value(result, SH.focusNode),
                path=report_graph.value(result, SH.resultPath),
                shape=report_graph.value(result, SH.sourceShape),
                constraint=report_graph.value(result, SH.sourceConstraintComponent),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                message=str(report_graph.value(result, SH.resultMessage) or ""),
                value=report_graph.value(result, SH.value),
            )
        )
    violations.sort(key=lambda v: (str(v.focus), str(v.shape), v.message))
    return ValidationReport(bool(conforms), violations, str(text), report_graph)


@job("validate")
def _validate_job(kg: KnowledgeGraph) -> bytes:
    """A worker's job: the report of ``kg`` without its report graph, at low priority
    (the worker is retired afterwards)."""
    import os
    import pickle

    if hasattr(os, "nice"):
        os.nice(19)
    report = validate_graph(kg)
    report.report_graph = None  # the pages read the violations, not the report graph
    return pickle.dumps(report)


def format_report(report: ValidationReport, short: bool = True) -> str:
    """A readable report: one block per violation (focus node, shape, path, message)."""
    if report.conforms:
        return "The graph conforms to the shapes."
    unique = list({(v.focus, v.path, v.message): v for v in report.violations}.values())
    lines = [f"The graph does not conform: {len(unique)} problem(s)."]
    for v in unique:
        lines.append(f"- [{v.severity}] {_short(v.focus)}: {v.message}")
        lines.append(f"    shape: {_short(v.shape)}  path: {_short(v.path)}  value: {_short(v.value)}")
    return "\n".join(lines)


def _short(node: Node | None) -> str:
    if node is None:
        return "-"
    from graph.sparql import STANDARD_PREFIXES

    s = str(node)
    for prefix, iri in STANDARD_PREFIXES.items():
        if s.startswith(iri):
            return f"{prefix}:{s[len(iri):]}"
    return s
