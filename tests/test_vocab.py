"""The vocabulary module (graph.vocab) and the ontology agree, and a mistyped term fails."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from graph import paths
from graph.vocab import AG, STANDARD_PREFIXES

ROOT = Path(__file__).resolve().parent.parent
NS = STANDARD_PREFIXES["ag"]


@functools.cache
def _ontology() -> Graph:
    return Graph().parse(paths.ontology_dir() / "alliance.ttl")


def _ontology_terms() -> set[str]:
    g = _ontology()
    return {
        str(t)[len(NS) :]
        for t in g.all_nodes()
        if isinstance(t, URIRef) and str(t).startswith(NS) and str(t) != NS
    }


def test_the_class_lists_exactly_the_ontologys_terms() -> None:
    declared = set(AG.__annotations__) | set(AG._extras)
    terms = _ontology_terms()
    assert declared - terms == set(), "in graph/vocab.py but not in ontology/alliance.ttl"
    assert terms - declared == set(), "in the ontology but not in graph/vocab.py"


def test_a_mistyped_term_raises() -> None:
    assert AG.memberOf == URIRef(NS + "memberOf")
    assert AG["dsd-DefenceExpenditure"] == URIRef(NS + "dsd-DefenceExpenditure")
    with pytest.raises(AttributeError, match="memberof"):
        _ = AG.memberof
    with pytest.raises(AttributeError):
        _ = AG["Treatyparty"]


def test_every_term_the_queries_and_data_use_is_defined() -> None:
    """A query or data file that names an ``ag:`` term the ontology lacks answers nothing
    (a query) or says nothing (data); list each with its file."""
    terms = _ontology_terms()
    files = sorted(
        [*(paths.queries_dir()).glob("*.rq"), *(ROOT / "ontology").rglob("*.rq")]
        + sorted((ROOT / "ontology").glob("*.ttl"))
        + sorted(paths.data_dir().glob("*.ttl"))
    )
    assert len(files) > 100
    unknown = []
    for f in files:
        text = (
            re.sub(r"(?m)#.*$", "", f.read_text(encoding="utf-8"))
            if f.suffix == ".rq"
            else f.read_text(encoding="utf-8")
        )
        text = re.sub(r'"[^"\n]*"', '""', text)  # not inside literals
        for name in set(re.findall(r"(?<![\w:])ag:([A-Za-z][\w-]*)", text)) - terms:
            unknown.append(f"{f.relative_to(ROOT)}: ag:{name}")
    assert unknown == []


def test_the_timeline_lists_every_dated_property_of_the_ontology() -> None:
    """The timeline query names its date properties (a full scan was 18 s on rdflib); a
    property the ontology gives range xsd:date must be among them, or its events vanish."""
    from rdflib.namespace import RDFS, XSD

    dated = {str(p)[len(NS) :] for p in _ontology().subjects(RDFS.range, XSD.date) if str(p).startswith(NS)}
    text = (paths.queries_dir() / "timeline.rq").read_text(encoding="utf-8")
    values = re.search(r"VALUES \?p \{([^}]*)\}", text)
    assert values, "timeline.rq has no VALUES ?p list"
    listed = set(re.findall(r"ag:(\w+)", values.group(1)))
    assert dated - {"endDate", "asOf"} == listed
