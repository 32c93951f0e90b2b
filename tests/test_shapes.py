"""SHACL shapes (ontology/shapes.ttl): the shipped data conforms, and every shape is proven by examples.

For each node shape with a target, ``tests/data/shapes/<Shape>-valid.ttl`` must conform and
``<Shape>-invalid.ttl`` must fail *because of that shape*: every result's ``sh:sourceShape`` is the
shape itself or one of its property shapes. pySHACL runs with ``inference="none"`` and the ontology
as ``ont_graph`` (for the shipped data, as ``alliance-graph validate`` does), or merged into the small
example graphs beforehand (the same graph pySHACL would build, without copying it 60 times). It
follows ``rdfs:subClassOf`` (and ``owl:NamedIndividual`` types) from the ontology, so
``sh:targetClass ag:Statement`` also reaches an ``ag:Membership``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "alliance.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
DATA_DIR = ROOT / "graph" / "data"
EXAMPLES = Path(__file__).resolve().parent / "data" / "shapes"

SH = Namespace("http://www.w3.org/ns/shacl#")
AGSH = "https://w3id.org/alliance-graph/shapes#"
TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@cache
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def targeted_shapes() -> list[URIRef]:
    g = shapes()
    found = {s for p in TARGETS for s in g.subjects(p, None)}
    return sorted(s for s in found if isinstance(s, URIRef))


def run(data: Graph) -> tuple[bool, Graph]:
    """Validate the shipped data with the ontology as ont_graph."""
    conforms, report, _ = validate(
        data, shacl_graph=shapes(), ont_graph=ontology(), inference="none", advanced=False
    )
    return bool(conforms), report


def run_example(path: Path) -> tuple[bool, Graph]:
    """Validate one small example, the ontology merged in (what ont_graph does, minus the copy)."""
    data = Graph().parse(path, format="turtle")
    for triple in ontology():
        data.add(triple)
    conforms, report, _ = validate(
        data, shacl_graph=shapes(), inference="none", advanced=False, inplace=True
    )
    return bool(conforms), report


def name(shape: object) -> str:
    return str(shape).removeprefix(AGSH)


def test_every_shape_has_a_stable_iri_and_a_message() -> None:
    g = shapes()
    all_shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(
        g.subjects(RDF.type, SH.PropertyShape)
    )
    all_shapes |= set(g.objects(None, SH.property))
    assert all_shapes
    for shape in all_shapes:
        assert not isinstance(shape, BNode), (
            f"a shape without an IRI: {list(g.predicate_objects(shape))}"
        )
        assert str(shape).startswith(AGSH), shape
        assert (shape, SH.message, None) in g, f"{name(shape)} has no sh:message"


def test_shipped_data_conforms() -> None:
    data = Graph()
    for f in sorted(DATA_DIR.glob("*.ttl")):
        data.parse(f, format="turtle")
    conforms, report = run(data)
    if not conforms:
        lines = [
            f"{report.value(r, SH.focusNode)} {name(report.value(r, SH.sourceShape))}: {report.value(r, SH.resultMessage)}"
            for r in report.subjects(RDF.type, SH.ValidationResult)
        ]
        pytest.fail("\n".join(sorted(lines)[:40]))


def test_every_targeted_shape_has_examples() -> None:
    for shape in targeted_shapes():
        for kind in ("valid", "invalid"):
            assert (EXAMPLES / f"{name(shape)}-{kind}.ttl").exists(), (
                f"{name(shape)}-{kind}.ttl missing"
            )


@pytest.mark.parametrize("shape", targeted_shapes(), ids=name)
def test_valid_example_conforms(shape: URIRef) -> None:
    conforms, report = run_example(EXAMPLES / f"{name(shape)}-valid.ttl")
    assert conforms, report.serialize(format="turtle")


@pytest.mark.parametrize("shape", targeted_shapes(), ids=name)
def test_invalid_example_fails_because_of_its_shape(shape: URIRef) -> None:
    conforms, report = run_example(EXAMPLES / f"{name(shape)}-invalid.ttl")
    assert not conforms
    own = {shape, *shapes().objects(shape, SH.property)}
    sources = set(report.objects(None, SH.sourceShape))
    assert sources, "no validation result"
    assert sources <= own, (
        f"failed because of other shapes: {sorted(name(s) for s in sources - own)}"
    )
    for result in report.subjects(RDF.type, SH.ValidationResult):
        assert report.value(result, SH.resultMessage) is not None
