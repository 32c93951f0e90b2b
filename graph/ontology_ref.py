"""The ontology reference: every class and property of ``ontology/alliance.ttl`` with its
label, comment, parent, domain and range, generated from the file itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS

from graph import paths
from graph.errors import DataLoadError
from graph.results import short_name

_KINDS = {
    OWL.Class: "Class",
    RDFS.Class: "Class",
    OWL.ObjectProperty: "Object property",
    OWL.DatatypeProperty: "Datatype property",
    OWL.AnnotationProperty: "Annotation property",
    RDF.Property: "Property",
}


@dataclass(frozen=True)
class Term:
    """One ontology term, as the reference shows it."""

    iri: str
    name: str
    kind: str
    label: str
    comment: str
    parents: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()


def ontology_terms(path: Path | None = None) -> list[Term]:
    """The classes, then the properties, of the ontology file (default: the shipped one)."""
    source = path or paths.ontology_file()
    g = Graph()
    try:
        g.parse(source, format="turtle")
    except Exception as err:  # noqa: BLE001 - rdflib raises many kinds
        raise DataLoadError(str(source), f"cannot read the ontology: {err}") from err
    return terms_of(g)


def terms_of(g: Graph) -> list[Term]:
    seen: dict[str, Term] = {}
    for kind_iri, kind in _KINDS.items():
        for term in g.subjects(RDF.type, kind_iri):
            if str(term) in seen or not hasattr(term, "startswith") or term.__class__.__name__ == "BNode":
                continue
            label = g.value(term, RDFS.label)
            comment = g.value(term, RDFS.comment)
            parents = [*g.objects(term, RDFS.subClassOf), *g.objects(term, RDFS.subPropertyOf)]
            seen[str(term)] = Term(
                iri=str(term),
                name=short_name(term),
                kind=kind,
                label=str(label) if label is not None else "",
                comment=str(comment) if comment is not None else "",
                parents=tuple(sorted(short_name(p) for p in parents if p.__class__.__name__ != "BNode")),
                domain=tuple(sorted(short_name(d) for d in g.objects(term, RDFS.domain) if d.__class__.__name__ != "BNode")),
                range=tuple(sorted(short_name(r) for r in g.objects(term, RDFS.range) if r.__class__.__name__ != "BNode")),
            )
    order = {"Class": 0}
    return sorted(seen.values(), key=lambda t: (order.get(t.kind, 1), t.kind, t.name))


def reference_markdown(terms: list[Term]) -> str:
    """The reference as Markdown text (for download); every value is escaped for Markdown."""
    lines = ["# Alliance Graph ontology reference", ""]
    kind = None
    for t in terms:
        if t.kind != kind:
            kind = t.kind
            lines += [f"## {kind}es" if kind == "Class" else f"## {kind.capitalize()}s", ""]
        lines.append(f"### `{t.name}`")
        if t.label:
            lines.append(f"*{_md(t.label)}*  ")
        if t.comment:
            lines.append(_md(t.comment) + "  ")
        for name, values in (("Parent", t.parents), ("Domain", t.domain), ("Range", t.range)):
            if values:
                lines.append(f"{name}: " + ", ".join(f"`{v}`" for v in values) + "  ")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    out = []
    for c in text:
        if c in "\\`*_{}[]()#+-.!<>|":
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)
