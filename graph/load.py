"""Load the ontology, the shipped data and the user's own files into a graph.

Files are parsed by Oxigraph's parsers for every store: they are fast, they give
the line and column of a syntax error, and they never fetch anything from the
network (no remote JSON-LD context, no external XML entity).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox
from oxrdflib._converter import from_ox
from rdflib import URIRef

from graph import paths
from graph.errors import DataLoadError
from graph.store import KnowledgeGraph

#: File extensions the loader understands, with the parser each one uses.
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".n3": ox.RdfFormat.N3,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def default_files() -> list[Path]:
    """The ontology followed by the shipped data files."""
    return [paths.ontology_file(), *paths.default_data_files()]


def rdf_format(path: Path) -> ox.RdfFormat:
    """The parser for ``path``, from its extension; a clear error when unknown."""
    try:
        return RDF_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(RDF_FORMATS))
        raise DataLoadError(
            str(path), f"unknown file type {path.suffix or '(none)'!r}; expected one of {known}"
        ) from None


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise DataLoadError(str(path), "file not found")
    if path.is_dir():
        raise DataLoadError(str(path), "is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise DataLoadError(str(path), "file is not readable")


def _wrap_syntax_error(path: Path, err: SyntaxError) -> DataLoadError:
    message = err.msg or str(err)
    return DataLoadError(str(path), message, line=err.lineno, column=err.offset)


def parse_file(path: str | os.PathLike[str]) -> list[ox.Quad]:
    """Parse one RDF file into quads, or raise :class:`DataLoadError` naming file, line, column."""
    path = Path(path)
    _check_readable(path)
    fmt = rdf_format(path)
    try:
        return list(ox.parse(path=path, format=fmt))
    except SyntaxError as err:
        raise _wrap_syntax_error(path, err) from err
    except (OSError, ValueError) as err:
        raise DataLoadError(str(path), str(err)) from err


def add_quads(kg: KnowledgeGraph, quads: Iterable[ox.Quad]) -> None:
    """Add parsed quads to the graph's store (default-graph quads to the default graph)."""
    if kg.ox is not None:
        kg.ox.extend(quads)
        return
    ds = kg.dataset
    for q in quads:
        triple = (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
        if isinstance(q.graph_name, ox.DefaultGraph):
            ds.default_graph.add(triple)  # type: ignore[arg-type]
        else:
            ds.graph(URIRef(q.graph_name.value)).add(triple)  # type: ignore[arg-type, union-attr]


def load_into(
    kg: KnowledgeGraph,
    files: Sequence[str | os.PathLike[str]],
    *,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Parse every file first, then add them all: a bad file leaves the graph untouched."""
    parsed: list[list[ox.Quad]] = []
    for f in files:
        if progress:
            progress(f"parsing {f}")
        parsed.append(parse_file(f))
    for f, quads in zip(files, parsed, strict=True):
        add_quads(kg, quads)
        kg.files.append(str(f))


def _construct(kg: KnowledgeGraph, text: str) -> list[ox.Quad]:
    if kg.ox is not None:
        result = kg.ox.query(text)
        return [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in result]  # type: ignore[union-attr]
    from oxrdflib._converter import to_ox

    out = kg.dataset.default_graph.query(text)
    quads = []
    for s, p, o in out:  # type: ignore[misc]
        quads.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()))  # type: ignore[arg-type]
    return quads


def apply_rules(kg: KnowledgeGraph, rule_files: Iterable[Path] | None = None) -> int:
    """Run the derivation rules (``ontology/rules/*.rq`` CONSTRUCT queries) and add their triples.

    Returns the number of triples the rules produced.
    """
    total = 0
    for rule in rule_files if rule_files is not None else paths.rule_files():
        quads = _construct(kg, rule.read_text(encoding="utf-8"))
        add_quads(kg, quads)
        total += len(quads)
    return total
