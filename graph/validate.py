"""Validate the graph against the SHACL shapes (pySHACL) and return a report object."""

from __future__ import annotations

from collections.abc import Callable
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
    kg: KnowledgeGraph | Graph,
    shapes: Graph | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Run the shapes over the graph (no inference) and collect the results.

    With ``progress``, the shapes that pick their own focus nodes are run in groups
    (each run sees the whole shapes graph with the targets of the other groups' shapes
    taken out) and ``progress(done, total)`` is called after each group, in focus nodes
    checked (about: the weight of a group is the number of nodes its targets select): a long
    validation (a large CSV import) tells how far it has got. The results are the same
    as one run's (tests/test_validate_progress.py); the cost is one shapes harvest per
    group. (pySHACL's own ``use_shapes`` does not harvest the property shapes of the
    shapes it names, so it reports nothing for them: not used.)
    """
    data = kg if isinstance(kg, Graph) else data_graph(kg)
    shapes_graph = shapes if shapes is not None else load_shapes()
    groups = _shape_groups(shapes_graph) if progress is not None else None
    if not groups:
        return _report([_run_pyshacl(data, shapes_graph)])
    weights = [1 + sum(_focus_count(data, shapes_graph, s) for s in group) for group in groups]
    total, done = sum(weights), 0
    runs = []
    for group, weight in zip(groups, weights, strict=True):
        runs.append(_run_pyshacl(data, _only_targets_of(shapes_graph, group)))
        done += weight
        progress(done, total)  # type: ignore[misc]
    return _report(runs)


def _focus_count(data: Graph, shapes_graph: Graph, shape: str) -> int:
    """About how many focus nodes ``shape`` selects (direct instances, subjects or
    objects; subclasses not followed): the weight of its run in the progress."""
    from rdflib import URIRef

    node = URIRef(shape)
    n = 0
    for c in shapes_graph.objects(node, SH.targetClass):
        n += sum(1 for _ in data.subjects(RDF.type, c))
    for p in shapes_graph.objects(node, SH.targetSubjectsOf):
        n += len(set(data.subjects(p, None)))
    for p in shapes_graph.objects(node, SH.targetObjectsOf):
        n += len(set(data.objects(None, p)))
    n += sum(1 for _ in shapes_graph.objects(node, SH.targetNode))
    return n


#: Shapes per pySHACL run when progress is reported.
_GROUP = 1

_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def _shape_groups(shapes_graph: Graph) -> list[list[str]] | None:
    """The shapes that select their own focus nodes, in groups; ``None`` where one of
    them cannot be named (a blank node, or a target pySHACL finds another way, such as
    SPARQL-based targets or implicit class targets), so that one run does it all."""
    from rdflib import BNode, URIRef
    from rdflib.namespace import OWL, RDFS

    targeted: set[Node] = set()
    for t in _TARGETS:
        targeted.update(shapes_graph.subjects(t, None))
    implicit = {
        s
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes_graph.subjects(RDF.type, kind)
        if (s, RDF.type, RDFS.Class) in shapes_graph or (s, RDF.type, OWL.Class) in shapes_graph
    }
    if implicit or (None, SH.target, None) in shapes_graph:
        return None
    if any(isinstance(s, BNode) or not isinstance(s, URIRef) for s in targeted):
        return None
    names = sorted(str(s) for s in targeted)
    return [names[i : i + _GROUP] for i in range(0, len(names), _GROUP)]


def _only_targets_of(shapes_graph: Graph, group: list[str]) -> Graph:
    """The shapes graph where only the shapes of ``group`` select focus nodes."""
    from rdflib import URIRef

    keep = {URIRef(s) for s in group}
    out = Graph()
    for t in shapes_graph:
        if t[1] in _TARGETS and t[0] not in keep:
            continue
        out.add(t)
    return out


def _run_pyshacl(data: Graph, shapes_graph: Graph) -> tuple[bool, Graph]:
    import pyshacl

    conforms, report_graph, _text = pyshacl.validate(
        data, shacl_graph=shapes_graph, inference="none", allow_warnings=True
    )
    return bool(conforms), report_graph


def _report(runs: list[tuple[bool, Graph]]) -> ValidationReport:
    violations: list[Violation] = []
    merged = Graph()
    for _conforms, report_graph in runs:
        merged += report_graph
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
    conforms = all(c for c, _ in runs)
    return ValidationReport(conforms, violations, _text(conforms, violations), merged)


def _text(conforms: bool, violations: list[Violation]) -> str:
    lines = ["Validation Report", f"Conforms: {conforms}"]
    if violations:
        lines.append(f"Results ({len(violations)}):")
        lines += [f"{v.severity}: {_short(v.focus)} {_short(v.path)}: {v.message}" for v in violations]
    return "\n".join(lines) + "\n"


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
