"""Convert Oxigraph terms to rdflib terms.

oxrdflib's converter gives every simple literal the datatype ``xsd:string``. RDF 1.1
says ``"A"`` and ``"A"^^xsd:string`` are the same term, but rdflib compares them as
different, so shapes (``sh:in ("A" ...)``), result comparisons and the Memory store
would disagree with data parsed by rdflib. Here a simple literal stays simple.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


#: Converted terms, by Oxigraph term. Building an rdflib ``Literal`` costs about 15 µs
#: (it parses the lexical form), more than Oxigraph takes to find a row; the app and the
#: endpoint ask for the same entities, labels and dates again and again. Bounded: the
#: whole cache is dropped when it reaches ``_CACHE_MAX`` entries (a few tens of MB).
_CACHE: dict[object, Node] = {}
_CACHE_MAX = 200_000


def from_ox(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> Node | None:
    """An rdflib term for an Oxigraph one (``None`` stays ``None``)."""
    if term is None:
        return None
    try:
        return _CACHE[term]
    except (KeyError, TypeError):  # TypeError: an unhashable term (an RDF-star triple)
        pass
    node = _convert(term)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    try:
        _CACHE[term] = node
    except TypeError:
        pass
    return node


def _convert(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise ValueError(f"unexpected Oxigraph term: {term!r}")
