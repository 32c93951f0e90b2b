"""The user's own data: a Turtle file, or a CSV pair (one sheet of entities, one of
relationships, in the spirit of Kumu's import), checked and validated against the shapes
before it joins the view.

Nothing is changed until everything passes: :func:`check_import` only reads, and
:func:`merge_import` returns a **new** :class:`~graph.store.KnowledgeGraph` (the loaded
graph, cached by the app, is never mutated). Every problem names its file, and for CSV
the row (as a spreadsheet numbers it: the header is row 1) and the field.

CSV columns (case and spaces in headers do not matter):

Entities
    ``ID`` (local name such as ``POL`` or a full IRI; made from the label when empty),
    ``Label`` (required), ``Type`` (required: an ontology class such as ``State``),
    ``Aliases`` (separated by ``;``), ``Description``, ``ISO3`` and ``Wikidata`` (``Q36``;
    the shipped shapes ask both of a state).
Relationships
    ``From`` and ``To`` (an ID or label from the entities sheet, or an entity already in
    the graph), ``Type`` (required: a relation such as ``memberOf``), ``Role``, ``Start``
    and ``End`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), ``Credibility`` (1 best ... 6),
    ``Status`` (``Verified``, ``Unverified``...), ``Source`` (required: an ID or a URL),
    ``Source label``, ``Source reliability`` (A ... F), ``Source URL``, ``ID``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from graph import paths
from graph.errors import DataLoadError, ValidationFailed, escape_controls
from graph.limits import QueryLimits
from graph.results import short_name
from graph.sparql import STANDARD_PREFIXES
from graph.store import KnowledgeGraph, new_store
from graph.vocab import AG, AGR

#: The namespaces as strings, for names that come from a user's file (checked against the
#: ontology where they are read; ``AG.term`` for the project's own terms).
AG_IRI = str(AG)
AGR_IRI = str(AGR)
SCHEMA_URL = URIRef("https://schema.org/url")
#: The class given to relationship statements made from CSV rows.
STATEMENT_CLASS = AG.Relationship
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

ENTITY_COLUMNS = ("id", "label", "type", "aliases", "description", "iso3", "wikidata")
RELATIONSHIP_COLUMNS = (
    "id", "from", "to", "type", "role", "start", "end", "credibility", "status",
    "source", "source label", "source reliability", "source url",
)  # fmt: skip


@dataclass(frozen=True)
class ImportIssue:
    """One problem with an upload, located as precisely as the format allows."""

    file: str
    message: str
    row: int | None = None
    field: str | None = None
    line: int | None = None
    column: int | None = None
    severity: str = "error"
    node: Node | None = dataclasses.field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.line is not None:
            where += f", line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        if self.field:
            where += f", field {self.field!r}"
        return escape_controls(f"{where}: {self.message}")


@dataclass
class ImportResult:
    """What an upload would add, and whether it may."""

    files: list[str]
    triples: Graph = field(default_factory=Graph)
    issues: list[ImportIssue] = field(default_factory=list)
    entities: int = 0
    statements: int = 0
    validated: bool = False

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def errors(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "error"]

    def turtle(self) -> str:
        """The upload as Turtle (what a CSV became)."""
        for prefix, iri in STANDARD_PREFIXES.items():
            self.triples.bind(prefix, iri, override=True)
        return self.triples.serialize(format="turtle")

    def raise_for_errors(self) -> None:
        if not self.ok:
            lines = "\n".join(f"  - {i}" for i in self.errors)
            raise ValidationFailed(f"the upload was not imported ({len(self.errors)} problem(s)):\n{lines}")


# --- reading ---------------------------------------------------------------------------


def _fold_header(h: str) -> str:
    return " ".join(h.replace("_", " ").strip().lower().split())


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-") or "entity"


def _read_csv(name: str, data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataLoadError(name, f"not UTF-8 text (byte {err.start})") from err
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[list[str]] = []
    try:
        for cells in reader:
            rows.append(cells)
    except csv.Error as err:
        # a bare carriage return in an unquoted field, a field over the size limit...:
        # the row is the one being read (as a spreadsheet numbers it: the header is row 1)
        raise DataLoadError(name, f"row {len(rows) + 1}: not valid CSV: {err}", line=reader.line_num) from err
    if not rows:
        raise DataLoadError(name, "the file is empty")
    header = [_fold_header(h) for h in rows[0]]
    out: list[dict[str, str]] = []
    for cells in rows[1:]:
        if not any(c.strip() for c in cells):
            out.append({})
            continue
        out.append({h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)})
    return header, out


def unknown_columns(name: str, header: Sequence[str], expected: Sequence[str]) -> list[ImportIssue]:
    """An error for each header the sheet does not know (a typo would silently lose a column)."""
    unknown = [h for h in header if h and h not in expected]
    empty_with_data = [i + 1 for i, h in enumerate(header) if not h]
    issues = []
    if unknown:
        listed = ", ".join(repr(h) for h in unknown)
        issues.append(ImportIssue(
            name,
            f"unknown column(s) {listed}; the columns of this sheet are: {', '.join(expected)} "
            "(rename or remove the column: its values would be lost)",
            row=1, field=unknown[0],
        ))  # fmt: skip
    if empty_with_data:
        issues.append(ImportIssue(name, f"column(s) {', '.join(map(str, empty_with_data))} have no header: their values are ignored", row=1, severity="warning"))
    return issues


def sheet_kind(header: Sequence[str]) -> str | None:
    """``entities`` or ``relationships`` from a CSV header (``None`` if neither)."""
    h = set(header)
    if {"from", "to"} <= h:
        return "relationships"
    if "label" in h:
        return "entities"
    return None


def _parse_date(text: str) -> str | None:
    """An ``xsd:date`` lexical form from ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (else ``None``)."""
    parsed = _parse_date_precision(text)
    return parsed[0] if parsed else None


def _parse_date_precision(text: str) -> tuple[str, str] | None:
    """``(xsd:date lexical form, precision class local name)`` or ``None``.

    >>> _parse_date_precision("1999")
    ('1999-01-01', 'YearPrecision')
    """
    import datetime as dt

    t = text.strip()
    try:
        if re.fullmatch(r"\d{4}", t):
            return f"{t}-01-01", "YearPrecision"
        if re.fullmatch(r"\d{4}-\d{2}", t):
            dt.date(int(t[:4]), int(t[5:]), 1)
            return f"{t}-01", "MonthPrecision"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            return dt.date.fromisoformat(t).isoformat(), "DayPrecision"
    except ValueError:
        return None
    return None


@dataclass
class _Known:
    """What the graph already holds that an upload may refer to."""

    classes: set[str]
    relations: set[str]
    entities: dict[str, URIRef]  # folded id / label -> IRI
    has_ontology: bool


def _known(kg: KnowledgeGraph | None) -> _Known:
    if kg is None:
        return _Known(set(), set(), {}, False)
    from graph.search import SearchIndex, fold

    q = """
    PREFIX owl: <http://www.w3.org/2002/07/owl#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
    SELECT ?t ?k WHERE {
      ?t a ?k . VALUES ?k { owl:Class rdfs:Class owl:ObjectProperty rdf:Property }
      FILTER(STRSTARTS(STR(?t), "https://w3id.org/alliance-graph/ontology#"))
    }"""
    from graph.sparql import run_query

    classes, relations = set(), set()
    for t, k in run_query(kg, q).rows:
        name = str(t)[len(AG_IRI) :]
        if str(k).endswith("Class"):
            classes.add(name)
        else:
            relations.add(name)
    entities: dict[str, URIRef] = {}
    idx = SearchIndex(kg)
    for n in idx._names:  # noqa: SLF001 - same package
        entities.setdefault(fold(n.name), n.iri)
    return _Known(classes, relations, entities, bool(classes))


def _entity_iri(value: str) -> URIRef | None:
    v = value.strip()
    if re.match(r"^https?://\S+$", v):
        return URIRef(v)
    if re.fullmatch(r"agr:[A-Za-z0-9_.\-]+", v):
        return URIRef(AGR_IRI + v[4:])
    if re.fullmatch(r"[A-Za-z0-9_.\-]+", v):
        return URIRef(AGR_IRI + v)
    return None


def csv_to_graph(
    entities: tuple[str, bytes] | None,
    relationships: tuple[str, bytes] | None,
    kg: KnowledgeGraph | None = None,
) -> tuple[Graph, list[ImportIssue], dict[Node, tuple[str, int]], dict[Node, str]]:
    """Turn the two sheets into triples.

    Returns the triples, the problems found (row and field named), where each subject came
    from (``(file, row)``) and which column each predicate came from.
    """
    from graph.search import fold

    known = _known(kg)
    g = Graph()
    issues: list[ImportIssue] = []
    origin: dict[Node, tuple[str, int]] = {}
    columns: dict[Node, str] = {
        RDF.type: "Type", RDFS.label: "Label", SKOS.altLabel: "Aliases", RDFS.comment: "Description",
        AG.subject: "From", AG.object: "To", AG.relation: "Type",
        AG.role: "Role", AG.startDate: "Start", AG.endDate: "End",
        AG.credibility: "Credibility", AG.status: "Status",
        PROV.wasDerivedFrom: "Source", AG.reliability: "Source reliability",
        SCHEMA_URL: "Source URL", DCTERMS.title: "Source label",
        AG.iso3: "ISO3", OWL.sameAs: "Wikidata",
        AG.startPrecision: "Start", AG.endPrecision: "End",
    }  # fmt: skip
    local: dict[str, URIRef] = {}

    if entities is not None:
        name, data = entities
        header, rows = _read_csv(name, data)
        issues.extend(unknown_columns(name, header, ENTITY_COLUMNS))
        if sheet_kind(header) != "entities":
            issues.append(ImportIssue(name, "an entities sheet needs at least the columns Label and Type", row=1))
        for col in ("label", "type"):
            if col not in header:
                issues.append(ImportIssue(name, f"missing column {col.title()!r}", row=1, field=col.title()))
        for i, r in enumerate(rows, start=2):
            if not r:
                continue
            label, typ = r.get("label", ""), r.get("type", "")
            if not label:
                issues.append(ImportIssue(name, "a label is required", row=i, field="Label"))
                continue
            iri = _entity_iri(r.get("id", "")) if r.get("id") else URIRef(AGR_IRI + _slug(label))
            if iri is None:
                issues.append(ImportIssue(name, f"not a usable ID: {r.get('id')!r} (letters, digits, - _ . or a URL)", row=i, field="ID"))
                continue
            if iri in origin:
                issues.append(ImportIssue(name, f"ID {short_name(iri)} is used twice (first on row {origin[iri][1]})", row=i, field="ID"))
                continue
            type_name = typ.split(":", 1)[-1].strip()
            if not type_name:
                issues.append(ImportIssue(name, "a type is required (e.g. State, Initiative, Company)", row=i, field="Type"))
                continue
            if known.has_ontology and type_name not in known.classes:
                hint = ", ".join(sorted(known.classes)[:12])
                issues.append(ImportIssue(name, f"unknown entity type {type_name!r}; the ontology has: {hint}", row=i, field="Type"))
                continue
            origin[iri] = (name, i)
            g.add((iri, RDF.type, URIRef(AG_IRI + type_name)))
            g.add((iri, RDFS.label, Literal(label)))
            for alias in (a.strip() for a in r.get("aliases", "").split(";")):
                if alias:
                    g.add((iri, SKOS.altLabel, Literal(alias)))
            if r.get("description"):
                g.add((iri, RDFS.comment, Literal(r["description"])))
            if r.get("iso3"):
                g.add((iri, AG.iso3, Literal(r["iso3"].strip())))
            wikidata = r.get("wikidata", "").strip()
            if wikidata:
                qid = wikidata.rsplit("/", 1)[-1]
                if not re.fullmatch(r"Q\d+", qid):
                    issues.append(ImportIssue(name, f"not a Wikidata item: {wikidata!r} (e.g. Q36)", row=i, field="Wikidata"))
                else:
                    g.add((iri, OWL.sameAs, URIRef("http://www.wikidata.org/entity/" + qid)))
            local[fold(label)] = iri
            local[fold(short_name(iri).split(":", 1)[-1])] = iri
            if r.get("id"):
                local[fold(r["id"])] = iri

    if relationships is not None:
        known_iris = set(known.entities.values())  # a set once: not a scan per row
        name, data = relationships
        header, rows = _read_csv(name, data)
        issues.extend(unknown_columns(name, header, RELATIONSHIP_COLUMNS))
        for col in ("from", "to", "type", "source"):
            if col not in header:
                issues.append(ImportIssue(name, f"missing column {col.title()!r}", row=1, field=col.title()))
        if any(i.row == 1 and i.file == name for i in issues):
            rows = []
        for i, r in enumerate(rows, start=2):
            if not r:
                continue
            row_issues: list[ImportIssue] = []
            ends: list[URIRef] = []
            for col in ("from", "to"):
                ref = r.get(col, "")
                target = local.get(fold(ref)) or known.entities.get(fold(ref))
                if target is None and ref and re.match(r"^https?://", ref):
                    target = URIRef(ref)
                if target is None and ref.startswith("agr:"):
                    target = known.entities.get(fold(ref[4:]))
                if not ref:
                    row_issues.append(ImportIssue(name, "required", row=i, field=col.title()))
                elif target is None:
                    row_issues.append(ImportIssue(name, f"no entity {ref!r} in the entities sheet or the graph", row=i, field=col.title()))
                else:
                    ends.append(target)
            rel = r.get("type", "").split(":", 1)[-1].strip()
            if not rel:
                row_issues.append(ImportIssue(name, "a relation is required (e.g. memberOf, partnerOf)", row=i, field="Type"))
            elif known.has_ontology and rel not in known.relations:
                hint = ", ".join(sorted(known.relations)[:12])
                row_issues.append(ImportIssue(name, f"unknown relation {rel!r}; the ontology has: {hint}", row=i, field="Type"))
            dates: dict[str, str] = {}
            precisions: dict[str, str] = {}
            for col in ("start", "end"):
                if r.get(col):
                    with_precision = _parse_date_precision(r[col])
                    parsed = with_precision[0] if with_precision else None
                    if with_precision:
                        precisions[col] = with_precision[1]
                    if parsed is None:
                        row_issues.append(ImportIssue(name, f"not a date: {r[col]!r} (use YYYY, YYYY-MM or YYYY-MM-DD)", row=i, field=col.title()))
                    else:
                        dates[col] = parsed
            if len(dates) == 2 and dates["end"] < dates["start"]:
                row_issues.append(ImportIssue(name, f"ends ({dates['end']}) before it starts ({dates['start']})", row=i, field="End"))
            cred = r.get("credibility", "")
            if cred and not re.fullmatch(r"[1-6]", cred):
                row_issues.append(ImportIssue(name, f"credibility must be a whole number from 1 (best) to 6: {cred!r}", row=i, field="Credibility"))
            rel_grade = r.get("source reliability", "").upper()
            if rel_grade and rel_grade not in ("A", "B", "C", "D", "E", "F"):
                row_issues.append(ImportIssue(name, f"source reliability must be a letter A (best) to F: {rel_grade!r}", row=i, field="Source reliability"))
            src_ref = r.get("source", "")
            if not src_ref:
                row_issues.append(ImportIssue(name, "every relationship needs a source", row=i, field="Source"))
            if row_issues:
                issues.extend(row_issues)
                continue
            s, o = ends
            st_id = r.get("id") or f"st-{_slug(short_name(s).split(':')[-1])}-{rel}-{_slug(short_name(o).split(':')[-1])}-{dates.get('start', 'undated')}"
            st = _entity_iri(st_id) or URIRef(AGR_IRI + _slug(st_id))
            if st in origin:
                issues.append(ImportIssue(name, f"relationship {short_name(st)} is given twice (first on row {origin[st][1]})", row=i, field="ID"))
                continue
            origin[st] = (name, i)
            g.add((st, RDF.type, STATEMENT_CLASS))
            g.add((st, AG.subject, s))
            g.add((st, AG.object, o))
            g.add((st, AG.relation, URIRef(AG_IRI + rel)))
            if r.get("role"):
                g.add((st, AG.role, URIRef(AG_IRI + r["role"].split(":", 1)[-1])))
            for col, prop in (("start", "start"), ("end", "end")):
                if col in dates:
                    g.add((st, URIRef(AG_IRI + prop + "Date"), Literal(dates[col], datatype=XSD.date)))
                    g.add((st, URIRef(AG_IRI + prop + "Precision"), URIRef(AG_IRI + precisions[col])))
            if cred:
                g.add((st, AG.credibility, Literal(int(cred))))
            if r.get("status"):
                g.add((st, AG.status, URIRef(AG_IRI + r["status"].split(":", 1)[-1])))
            src = URIRef(src_ref) if re.match(r"^https?://", src_ref) else _entity_iri(src_ref) or URIRef(AGR_IRI + _slug(src_ref))
            g.add((st, PROV.wasDerivedFrom, src))
            if src not in known_iris and src not in origin:
                origin[src] = (name, i)
                g.add((src, RDF.type, AG.Source))
                g.add((src, RDFS.label, Literal(r.get("source label") or src_ref)))
                g.add((src, DCTERMS.title, Literal(r.get("source label") or src_ref)))
                if rel_grade:
                    g.add((src, AG.reliability, Literal(rel_grade)))
                url = r.get("source url") or (src_ref if re.match(r"^https?://", src_ref) else "")
                if url:
                    g.add((src, SCHEMA_URL, Literal(url, datatype=XSD.anyURI)))
    return g, issues, origin, columns


def parse_rdf_upload(name: str, data: bytes) -> Graph:
    """Parse an uploaded RDF file (format from its extension) with Oxigraph's parser."""
    from graph.load import _wrap_syntax_error, rdf_format
    from graph.terms import from_ox
    from graph.untrusted import XML_PROLOG_LIMIT, refuse_xml_entities, strip_bom

    fmt = rdf_format(Path(name))
    data = strip_bom(data)  # a UTF-8 byte-order mark is accepted in every text format
    if fmt == ox.RdfFormat.RDF_XML:
        refuse_xml_entities(name, data[:XML_PROLOG_LIMIT])
    try:
        quads = list(ox.parse(input=data, format=fmt))
    except SyntaxError as err:
        raise _wrap_syntax_error(Path(name), err, data) from err
    except (OSError, ValueError) as err:
        raise DataLoadError(name, str(err)) from err
    g = Graph()
    for q in quads:
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g


def subject_lines(data: bytes, g: Graph) -> dict[Node, int]:
    """The line on which each subject of an RDF text first starts a description.

    Looks for the subject written in full (``<iri>``) or with a prefix the text declares;
    subjects not found (blank nodes, JSON-LD) are simply absent.
    """
    text = data.decode("utf-8", "replace")
    prefixes = dict(re.findall(r"(?im)^\s*@?prefix\s+([\w-]*):\s*<([^>]*)>", text))
    starts: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        token = raw.strip().split(maxsplit=1)[0] if raw.strip() else ""
        if token and token not in starts:
            starts[token] = number
    out: dict[Node, int] = {}
    for subject in set(g.subjects()):
        if not isinstance(subject, URIRef):
            continue
        iri = str(subject)
        forms = [f"<{iri}>"]
        forms += [f"{p}:{iri[len(ns):]}" for p, ns in prefixes.items() if iri.startswith(ns)]
        found = [starts[f] for f in forms if f in starts]
        if found:
            out[subject] = min(found)
    return out


# --- validating ------------------------------------------------------------------------


def _context(kg: KnowledgeGraph | None, g: Graph) -> Graph:
    """The upload plus what the shapes need from the graph: the ontology and the types and
    labels of every entity the upload mentions."""
    ctx = Graph()
    for t in g:
        ctx.add(t)
    if kg is None:
        return ctx
    from graph.sparql import run_query

    onto = """
    PREFIX owl: <http://www.w3.org/2002/07/owl#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    CONSTRUCT { ?t ?p ?o } WHERE {
      ?t ?p ?o . FILTER(STRSTARTS(STR(?t), "https://w3id.org/alliance-graph/ontology#"))
    }"""
    onto_graph = run_query(kg, onto).graph
    if onto_graph is not None:
        for t in onto_graph:
            ctx.add(t)
    # what the graph already says of everything the upload names, its own subjects included:
    # an upload that gives agr:CAN a second, different label then fails the label shape
    mentioned = {o for o in g.objects() if isinstance(o, URIRef)} | {
        s for s in g.subjects() if isinstance(s, URIRef)
    }
    ordered = sorted(mentioned, key=str)
    for start in range(0, len(ordered), _BATCH):  # batches: one query stays under the size limit
        values = " ".join(URIRef(str(m)).n3() for m in ordered[start : start + _BATCH])
        q = f"""CONSTRUCT {{ ?e ?p ?o }} WHERE {{ VALUES ?e {{ {values} }} ?e ?p ?o }}"""
        ctx_graph = run_query(kg, q, limits=_INTERNAL).graph
        if ctx_graph is not None:
            for t in ctx_graph:
                ctx.add(t)
    return ctx


#: Entities per batched look-up query, and the limits of those queries (our own text: no
#: row cap, which would silently drop what the graph says of an entity).
_BATCH = 2000
_INTERNAL = QueryLimits(max_rows=None)


def _in_graph(kg: KnowledgeGraph, node: Node | None) -> bool:
    from graph.sparql import run_query

    return node is not None and bool(run_query(kg, "ASK { ?e ?p ?o }", {"e": node}).boolean)


def label_conflicts(
    g: Graph,
    kg: KnowledgeGraph | None,
    *,
    file: str,
    origin: Mapping[Node, tuple[str, int]] | None = None,
    columns: Mapping[Node, str] | None = None,
    lines: Mapping[Node, int] | None = None,
) -> list[ImportIssue]:
    """An upload that gives an entity a label other than the one it has (in the graph or
    elsewhere in the upload): the same identifier cannot name two different things."""
    from graph.sparql import run_query

    issues: list[ImportIssue] = []
    subjects = sorted({s for s in g.subjects(RDFS.label) if isinstance(s, URIRef)}, key=str)
    # the graph's labels of every subject, in a few batched queries (one query per subject
    # forked a worker each: 9 ms a subject, 2.5 hours for a 1M-row sheet)
    labels: dict[str, set[str]] = {}
    if kg is not None:
        for start in range(0, len(subjects), _BATCH):
            values = " ".join(URIRef(str(x)).n3() for x in subjects[start : start + _BATCH])
            q = f"SELECT ?e ?l WHERE {{ VALUES ?e {{ {values} }} ?e rdfs:label ?l }}"
            for e, lbl in run_query(kg, q, limits=_INTERNAL).rows:
                labels.setdefault(str(e), set()).add(str(lbl))
    for subject in subjects:
        given = sorted({str(o) for o in g.objects(subject, RDFS.label)})
        existing = sorted(labels.get(str(subject), set()))
        if (existing and set(given) != set(existing)) or len(given) > 1:
            had = f"already has the label {existing[0]!r}" if existing else f"is given {len(given)} labels"
            message = (
                f"{short_name(subject)} {had}; this upload gives {', '.join(repr(x) for x in given)} "
                "(one identifier cannot name two things: put another name in skos:altLabel, "
                "or use a new identifier)"
            )
            where = (origin or {}).get(subject)
            if where is not None:
                issues.append(ImportIssue(where[0], message, row=where[1], field=(columns or {}).get(RDFS.label, "Label"), node=subject))
            else:
                issues.append(ImportIssue(file, message, line=(lines or {}).get(subject), field="rdfs:label", node=subject))
    return issues


def validate_upload(
    g: Graph,
    kg: KnowledgeGraph | None,
    *,
    shapes: Graph | Path | None = None,
    origin: Mapping[Node, tuple[str, int]] | None = None,
    columns: Mapping[Node, str] | None = None,
    file: str = "upload",
    lines: Mapping[Node, int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[ImportIssue]:
    """Run the shapes over the upload (with the ontology and the entities it refers to).

    Only results about the upload's own subjects count; each names the row and field when
    the upload came from CSV, the node and property otherwise.
    """
    from graph.validate import load_shapes, validate_graph

    shapes_graph = shapes if isinstance(shapes, Graph) else load_shapes(shapes)
    started = time.monotonic()
    last = [started]

    def tick(done: int, total: int) -> None:
        now = time.monotonic()
        if progress is not None and (now - last[0] >= 2 or done == total):  # one line in 2 s
            last[0] = now
            elapsed = now - started
            left = elapsed / done * (total - done)
            progress(f"validating: {100 * done // total}% of the focus nodes checked, {elapsed:.0f} s so far, about {left:.0f} s left")

    report = validate_graph(_context(kg, g), shapes_graph, progress=tick if progress is not None else None)
    own = set(g.subjects())
    issues = label_conflicts(g, kg, file=file, origin=origin, columns=columns, lines=lines)
    seen: set[tuple[object, object, str]] = {(i.node, RDFS.label, "") for i in issues}
    for v in report.violations:
        if v.focus not in own:
            continue
        if (v.focus, v.path, v.message) in seen or (v.focus, v.path, "") in seen:
            continue
        if kg is not None and v.path is not None and (v.focus, v.path, None) not in g and _in_graph(kg, v.focus):
            continue  # an entity the graph already has is judged only on what the upload adds  # one problem, several constraint components (datatype, min, max)
        seen.add((v.focus, v.path, v.message))
        severity = "error" if v.severity == "Violation" else "warning"
        where = (origin or {}).get(v.focus) if v.focus is not None else None
        col = (columns or {}).get(v.path) if v.path is not None else None
        message = v.message or "does not conform to the shapes"
        if where is not None:
            issues.append(ImportIssue(where[0], message, row=where[1], field=col or (short_name(v.path) if v.path else None), severity=severity))
        else:
            node = short_name(v.focus)
            prop = f", property {short_name(v.path)}" if v.path is not None else ""
            line = (lines or {}).get(v.focus) if v.focus is not None else None
            issues.append(ImportIssue(file, f"{node}{prop}: {message}", line=line, severity=severity))
    return issues


def check_import(
    files: Sequence[tuple[str, bytes]],
    kg: KnowledgeGraph | None = None,
    *,
    shapes: Graph | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Read and validate an upload without changing anything.

    ``files`` is one RDF file (``.ttl``, ``.nt``, ``.jsonld``...) or one or two CSV files
    (entities and/or relationships, told apart by their headers).
    """
    result = ImportResult(files=[n for n, _ in files])
    if not files:
        result.issues.append(ImportIssue("upload", "no file given"))
        return result
    for name, data in files:
        if len(data) > MAX_UPLOAD_BYTES:
            result.issues.append(ImportIssue(name, f"too large ({len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,})"))
    if result.issues:
        return result
    csvs = [(n, d) for n, d in files if n.lower().endswith((".csv", ".tsv", ".txt"))]
    others = [(n, d) for n, d in files if (n, d) not in csvs]
    origin: dict[Node, tuple[str, int]] = {}
    columns: dict[Node, str] = {}
    lines: dict[Node, int] = {}
    try:
        if csvs:
            if others:
                result.issues.append(ImportIssue(others[0][0], "give either CSV sheets or one RDF file, not both"))
                return result
            sheets: dict[str, tuple[str, bytes]] = {}
            for name, data in csvs:
                header, _ = _read_csv(name, data)
                kind = sheet_kind(header)
                if kind is None:
                    result.issues.append(ImportIssue(name, "not an entities sheet (Label, Type...) nor a relationships sheet (From, To, Type, Source...)", row=1))
                    return result
                if kind in sheets:
                    result.issues.append(ImportIssue(name, f"two {kind} sheets given ({sheets[kind][0]} and {name})"))
                    return result
                sheets[kind] = (name, data)
            if progress:
                progress(f"reading {', '.join(sheets[k][0] for k in sorted(sheets))}")
            g, issues, origin, columns = csv_to_graph(sheets.get("entities"), sheets.get("relationships"), kg)
            result.issues.extend(issues)
        else:
            if len(others) > 1:
                result.issues.append(ImportIssue(others[1][0], "give one RDF file at a time"))
                return result
            if progress:
                progress(f"parsing {others[0][0]}")
            g = parse_rdf_upload(*others[0])
            lines = subject_lines(others[0][1], g)
    except DataLoadError as err:
        result.issues.append(ImportIssue(err.file, err.reason, line=err.line, column=err.column))
        return result
    result.triples = g
    result.entities = len({s for s in g.subjects(RDF.type) if (s, AG.subject, None) not in g and (s, RDF.type, AG.Source) not in g})
    result.statements = len(set(g.subjects(AG.subject)))
    if len(g) == 0 and result.ok:
        result.issues.append(ImportIssue(result.files[0], "the upload holds no triples"))
    if not result.ok:
        return result
    if shapes is None and not paths.shapes_file().exists():
        result.issues.append(ImportIssue(result.files[0], "no shapes file to validate against; the data was only checked for syntax", severity="warning"))
        return result
    if progress:
        progress(f"validating {len(g):,} triples against the shapes")
    result.issues.extend(
        validate_upload(
            g, kg, shapes=shapes, origin=origin, columns=columns, file=result.files[0], lines=lines, progress=progress
        )
    )
    result.validated = True
    return result


def merge_import(kg: KnowledgeGraph, result: ImportResult) -> KnowledgeGraph:
    """A new graph holding ``kg`` and the upload (``kg`` itself is not changed).

    Raises :class:`~graph.errors.ValidationFailed` if the upload has errors.
    """
    from oxrdflib._converter import to_ox

    from graph import load

    result.raise_for_errors()
    new = new_store(kg.backend if kg.backend in ("oxigraph", "memory") else None)
    if kg.ox is not None:
        load.add_quads(new, kg.ox.quads_for_pattern(None, None, None, None))
    else:
        load.add_quads(
            new,
            (ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for s, p, o in kg.graph),  # type: ignore[arg-type]
        )
    load.add_quads(
        new,
        [ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for s, p, o in result.triples],  # type: ignore[arg-type]
    )
    load.apply_rules(new)
    new.files = [*kg.files, *result.files]
    new.options = dict(kg.options)
    return new


def import_files(
    paths_: Iterable[str | Path],
    kg: KnowledgeGraph | None = None,
    *,
    shapes: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """:func:`check_import` for files on disk."""
    files = []
    for p in paths_:
        path = Path(p)
        from graph.untrusted import require_regular_file

        try:
            size = require_regular_file(path).st_size  # by type, before opening
            if size > MAX_UPLOAD_BYTES:
                # refused before reading: a huge file never sits in memory
                raise DataLoadError(
                    str(path),
                    f"file is {size / 1024 / 1024:.0f} MB, over the import limit of "
                    f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB (load large data with --data instead)",
                )
            files.append((path.name, path.read_bytes()))
        except OSError as err:
            raise DataLoadError(str(path), err.strerror or str(err)) from err
    return check_import(files, kg, shapes=shapes, progress=progress)


__all__ = [
    "ImportIssue",
    "ImportResult",
    "check_import",
    "csv_to_graph",
    "import_files",
    "merge_import",
    "parse_rdf_upload",
    "validate_upload",
]
