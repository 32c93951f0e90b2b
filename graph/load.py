"""Load the ontology, the shipped data and the user's own files into a graph.

Files are parsed by Oxigraph's parsers for every store: they are fast, they give
the line and column of a syntax error, and they never fetch anything from the
network (no remote JSON-LD context, no external XML entity).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from graph import paths
from graph.errors import DataLoadError
from graph.store import KnowledgeGraph
from graph.terms import from_ox
from graph.untrusted import has_bom, refuse_xml_entities_in_file, require_regular_file

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
    st = require_regular_file(path)  # by type, before opening: no FIFO, device or folder
    if not os.access(path, os.R_OK):
        raise DataLoadError(str(path), "file is not readable")
    size = st.st_size
    if size == 0:
        raise DataLoadError(str(path), "file is empty")
    limit_mb = max_file_mb()
    if limit_mb and size > limit_mb * 1024 * 1024:
        raise DataLoadError(
            str(path),
            f"file is {size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit "
            "(set ALLIANCE_GRAPH_MAX_FILE_MB to raise it, 0 for no limit)",
        )


#: Largest data file accepted by default, in MB (``ALLIANCE_GRAPH_MAX_FILE_MB``; 0 = no limit).
DEFAULT_MAX_FILE_MB = 1024.0


def max_file_mb() -> float:
    """The size limit for one data file, from ``ALLIANCE_GRAPH_MAX_FILE_MB`` (default 1024)."""
    from graph.settings import env_number

    return env_number("ALLIANCE_GRAPH_MAX_FILE_MB", DEFAULT_MAX_FILE_MB)


def _wrap_syntax_error(path: Path, err: SyntaxError, data: bytes | None = None) -> DataLoadError:
    message = err.msg or str(err)
    line, column = err.lineno, err.offset
    if line is None:
        line, column = locate_error(path, data)
    return DataLoadError(str(path), message, line=line, column=column)


def locate_error(path: Path, data: bytes | None = None) -> tuple[int | None, int | None]:
    """Where a well-formedness error is, for parsers that do not say (RDF/XML, JSON-LD).

    Reads ``data`` if given, else the file. Uses the standard library's expat and json
    parsers, which never fetch anything (entity declarations were refused before).
    """
    fmt = RDF_FORMATS.get(path.suffix.lower())
    try:
        raw = data if data is not None else path.read_bytes()
        if fmt == ox.RdfFormat.RDF_XML:
            import xml.parsers.expat

            parser = xml.parsers.expat.ParserCreate()
            try:
                parser.Parse(raw, True)
            except xml.parsers.expat.ExpatError as e:
                return e.lineno, e.offset + 1
        elif fmt == ox.RdfFormat.JSON_LD:
            import json

            try:
                json.loads(raw.decode("utf-8-sig"))
            except json.JSONDecodeError as e:
                return e.lineno, e.colno
    except (OSError, UnicodeDecodeError):
        pass
    return None, None


def _precheck(path: Path, fmt: ox.RdfFormat) -> None:
    """What is refused before the parser reads ``path``: entity declarations in RDF/XML."""
    try:
        if fmt == ox.RdfFormat.RDF_XML:
            refuse_xml_entities_in_file(path)
    except OSError as err:
        raise DataLoadError(str(path), err.strerror or str(err)) from err


def _parse_path(path: Path, fmt: ox.RdfFormat, parse: Callable[..., object]) -> object:
    """Run ``parse(path=...)`` or, when the file starts with a byte-order mark, ``parse(input=...)``
    on the file from just after it (every text format accepts a BOM)."""
    _precheck(path, fmt)
    if has_bom(path):
        with path.open("rb") as fh:
            fh.seek(3)
            return parse(input=fh, format=fmt)
    return parse(path=path, format=fmt)


def parse_file(path: str | os.PathLike[str]) -> list[ox.Quad]:
    """Parse one RDF file into quads, or raise :class:`DataLoadError` naming file, line, column."""
    path = Path(path)
    _check_readable(path)
    fmt = rdf_format(path)
    try:
        return _parse_path(path, fmt, lambda **kw: list(ox.parse(**kw)))  # type: ignore[return-value]
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
            ds.default_graph.add(triple)
        else:
            ds.graph(URIRef(q.graph_name.value)).add(triple)  # type: ignore[arg-type]


def _bulk_load(store: ox.Store, path: Path) -> None:
    """Let Oxigraph parse ``path`` straight into ``store`` (no Python objects per triple)."""
    fmt = rdf_format(path)
    try:
        _parse_path(path, fmt, store.bulk_load)
    except SyntaxError as err:
        raise _wrap_syntax_error(path, err) from err
    except (OSError, ValueError) as err:
        raise DataLoadError(str(path), str(err)) from err


def _is_empty(store: ox.Store) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, None)), None) is None


def load_into(
    kg: KnowledgeGraph,
    files: Sequence[str | os.PathLike[str]],
    *,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Load every file, all or nothing: a bad file leaves the graph untouched.

    On Oxigraph the files are parsed by Oxigraph itself into a fresh staging store
    (its bulk loader: no Python object per triple). Only when every file has loaded is
    the staging store swapped in (the graph was empty) or merged into the graph.
    Other stores parse every file into quads first, then add them all.
    """
    from graph.diskcache import file_stamp

    file_paths = [Path(f) for f in files]
    for p in file_paths:
        _check_readable(p)
        rdf_format(p)
    stamps = [file_stamp(p) for p in file_paths]  # before reading: a file changed meanwhile misses
    if kg.ox is not None:
        staging = ox.Store()
        for p in file_paths:
            if progress:
                progress(f"loading {p}")
            _bulk_load(staging, p)
        if _is_empty(kg.ox):
            _swap_store(kg, staging)
        else:
            kg.ox.extend(staging.quads_for_pattern(None, None, None, None))
        kg.files.extend(str(p) for p in file_paths)
        kg.file_stamps.extend(stamps)
        return
    parsed: list[list[ox.Quad]] = []
    for p in file_paths:
        if progress:
            progress(f"parsing {p}")
        parsed.append(parse_file(p))
    for p, stamp, quads in zip(file_paths, stamps, parsed, strict=True):
        add_quads(kg, quads)
        kg.files.append(str(p))
        kg.file_stamps.append(stamp)


def _swap_store(kg: KnowledgeGraph, native: ox.Store) -> None:
    """Make ``native`` the graph's Oxigraph store (and the store behind its rdflib view)."""
    from oxrdflib import OxigraphStore
    from rdflib import Dataset

    kg.ox = native
    kg.dataset = Dataset(store=OxigraphStore(store=native))


def _construct(kg: KnowledgeGraph, text: str) -> list[ox.Quad]:
    if kg.ox is not None:
        result = kg.ox.query(text)
        return [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in result]  # type: ignore[union-attr]
    from oxrdflib._converter import to_ox

    out = kg.dataset.default_graph.query(text)
    quads = []
    for s, p, o in out:
        quads.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()))  # type: ignore[arg-type]
    return quads


_SOLUTION_MODIFIERS = re.compile(r"\b(LIMIT|OFFSET|ORDER\s+BY|FROM|CONSTRUCT\s+WHERE)\b", re.IGNORECASE)


def as_insert(text: str) -> str | None:
    """The SPARQL Update equivalent of a ``CONSTRUCT { template } WHERE { ... }`` rule, or ``None``.

    Only the plain form is turned into ``INSERT { template } WHERE { ... }``: the
    prologue (comments, PREFIX, BASE), then ``CONSTRUCT {``. Anything else (a short
    ``CONSTRUCT WHERE``, solution modifiers, FROM) keeps the generic path.

    >>> as_insert("# rule\\nPREFIX a: <http://a#>\\nCONSTRUCT { ?s a:p ?o } WHERE { ?o a:q ?s }").splitlines()[-1]
    'INSERT { ?s a:p ?o } WHERE { ?o a:q ?s }'
    >>> as_insert("CONSTRUCT WHERE { ?s ?p ?o }") is None
    True
    >>> as_insert("# derived from X\\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").endswith("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    True
    """
    lines = text.splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    if _SOLUTION_MODIFIERS.search(code):
        return None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.match(r"(?i)(PREFIX|BASE)\s", stripped):
            continue
        m = re.match(r"(\s*)CONSTRUCT(\s*\{)", line, re.IGNORECASE)
        if not m:
            return None
        lines[i] = f"{m.group(1)}INSERT{m.group(2)}{line[m.end():]}"
        return "\n".join(lines)
    return None


def apply_rules(
    kg: KnowledgeGraph, rule_files: Iterable[Path] | None = None, *, count: bool = True
) -> int:
    """Run the derivation rules (``ontology/rules/*.rq`` CONSTRUCT queries) and add their triples.

    On Oxigraph a plain ``CONSTRUCT { ... } WHERE { ... }`` rule runs as the equivalent
    ``INSERT { ... } WHERE { ... }`` update inside the engine: no Python object per
    derived triple (at 1M triples the rules derive about 600k, which took most of the
    load time through Python). Other rules and other stores take the generic path.

    Returns the number of triples the rules added (on Oxigraph) or produced (elsewhere);
    ``count=False`` skips counting on Oxigraph (two passes over the store, about a second
    at 1M triples) and returns -1.
    """
    total = 0
    rules = list(rule_files if rule_files is not None else paths.rule_files())
    if kg.ox is not None:
        before = len(kg.ox) if count else 0
        for rule in rules:
            text = rule.read_text(encoding="utf-8")
            update = as_insert(text)
            if update is not None:
                try:
                    kg.ox.update(update)
                    continue
                except (SyntaxError, OSError, RuntimeError, ValueError):
                    pass  # the generic path below reports the rule's own error
            add_quads(kg, _construct(kg, text))
        return len(kg.ox) - before if count else -1
    for rule in rules:
        quads = _construct(kg, rule.read_text(encoding="utf-8"))
        add_quads(kg, quads)
        total += len(quads)
    return total
