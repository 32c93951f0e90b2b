"""Everything known about one entity: its names and facts, its relationships grouped by
relation (each with dates, grade, status and sources), the claims about it.

>>> from graph.store import open_graph
>>> p = entity_profile(open_graph(), "agr:CAN")
>>> p.label
'Canada'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from graph import paths, vocab
from graph.errors import QueryError
from graph.results import short_name
from graph.sparql import run_query
from graph.store import KnowledgeGraph
from graph.view import to_iri

_AG = str(vocab.AG)
_DESCRIPTION = {
    str(RDFS.comment),
    str(SKOS.definition),
    "http://purl.org/dc/terms/description",
    "https://schema.org/description",
}


@dataclass(frozen=True)
class SourceRef:
    """A source a statement rests on, with its reliability grade (A..F) and address if any."""

    iri: str
    label: str
    reliability: str | None = None
    url: str | None = None

    @property
    def safe_url(self) -> str | None:
        """The address if it is a web address (``http``/``https``), else ``None`` (never ``javascript:``)."""
        if self.url and self.url.lower().startswith(("http://", "https://")):
            return self.url
        return None


@dataclass
class StatementRow:
    """One relationship statement seen from the profiled entity."""

    iri: str
    direction: str  # "out": the entity is the subject; "in": the object
    relation: str
    relation_label: str
    other: str
    other_label: str
    role: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    credibility: int | None = None
    status: str | None = None
    sources: list[SourceRef] = field(default_factory=list)


@dataclass
class ClaimRow:
    iri: str
    text: str
    status: str | None = None
    credibility: int | None = None
    sources: list[SourceRef] = field(default_factory=list)
    contradicts: list[str] = field(default_factory=list)


@dataclass
class Profile:
    """One entity, ready to show."""

    iri: str
    label: str
    types: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    statements: list[StatementRow] = field(default_factory=list)
    claims: list[ClaimRow] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return bool(self.types or self.statements or self.facts or self.aliases)

    def groups(self) -> dict[str, list[StatementRow]]:
        """Statements grouped by relation and direction (``member of →``, ``← member of``)."""
        out: dict[str, list[StatementRow]] = {}
        for s in sorted(self.statements, key=lambda r: (r.relation_label, r.direction, _sort_date(r.start), r.other_label)):
            name = f"{s.relation_label} →" if s.direction == "out" else f"← {s.relation_label}"
            out.setdefault(name, []).append(s)
        return out

    def sources(self) -> list[SourceRef]:
        seen: dict[str, SourceRef] = {}
        for s in self.statements:
            for src in s.sources:
                seen.setdefault(src.iri, src)
        for c in self.claims:
            for src in c.sources:
                seen.setdefault(src.iri, src)
        return sorted(seen.values(), key=lambda s: (s.reliability or "Z", s.label))


def _sort_date(d: dt.date | None) -> dt.date:
    return d or dt.date.min


def _str(node: Node | None) -> str | None:
    return None if node is None else str(node)


def _local(node: Node | None) -> str | None:
    return None if node is None else short_name(node).split(":", 1)[-1]


def _date(node: Node | None) -> dt.date | None:
    if isinstance(node, Literal):
        try:
            return dt.date.fromisoformat(str(node)[:10])
        except ValueError:
            return None
    return None


def _int(node: Node | None) -> int | None:
    try:
        return int(str(node)) if node is not None else None
    except ValueError:
        return None


def _source(src: Node | None, label: Node | None, rel: Node | None, url: Node | None) -> SourceRef | None:
    if src is None:
        return None
    return SourceRef(str(src), str(label) if label is not None else short_name(src), _str(rel), _str(url))


def entity_profile(kg: KnowledgeGraph, entity: str | URIRef) -> Profile:
    """Everything the graph says about ``entity`` (short name, full IRI or bare local name)."""
    iri = entity if isinstance(entity, URIRef) else to_iri(entity)
    q = paths.queries_dir()
    facts = run_query(kg, q / "entity-facts.rq", {"e": iri})
    profile = Profile(iri=str(iri), label=short_name(iri))
    labels: list[str] = []
    linked: list[tuple[str, str, str]] = []
    for p, o, p_label, o_label in facts.rows:
        ps = str(p)
        if p == RDFS.label:
            labels.append(str(o))
        elif p == SKOS.altLabel:
            profile.aliases.append(str(o))
        elif p == RDF.type:
            if str(o).startswith(_AG):
                profile.types.append(_local(o) or "")
        elif ps in _DESCRIPTION and not profile.description:
            profile.description = str(o)
        else:
            name = str(p_label) if p_label is not None else short_name(p)
            value = str(o_label) if o_label is not None else short_name(o)
            linked.append((name, value, str(o)))
    if labels:
        english = [x for x in labels if x]
        profile.label = sorted(english, key=len)[0] if english else labels[0]
    profile.types.sort()
    profile.aliases.sort()
    profile.statements = _statements(kg, iri)
    # Direct triples derived from the statements (by the rules) would only repeat them.
    others = {s.other for s in profile.statements}
    profile.facts = sorted((n, v) for n, v, raw in linked if raw not in others)
    profile.claims = _claims(kg, iri)
    return profile


def _statements(kg: KnowledgeGraph, iri: URIRef) -> list[StatementRow]:
    rows = run_query(kg, paths.queries_dir() / "entity-statements.rq", {"e": iri})
    by_iri: dict[tuple[str, str], StatementRow] = {}
    for r in rows.records():
        key = (str(r["st"]), str(r["dir"]))
        row = by_iri.get(key)
        if row is None:
            rel = r["relation"]
            row = StatementRow(
                iri=str(r["st"]),
                direction=str(r["dir"]),
                relation=_local(rel) or "",
                relation_label=str(r["relationLabel"]) if r["relationLabel"] is not None else (_local(rel) or ""),
                other=str(r["other"]),
                other_label=str(r["otherLabel"]) if r["otherLabel"] is not None else short_name(r["other"]),
                role=_local(r["role"]),
                start=_date(r["start"]),
                end=_date(r["end"]),
                credibility=_int(r["credibility"]),
                status=_local(r["status"]),
            )
            by_iri[key] = row
        src = _source(r["src"], r["srcLabel"], r["reliability"], r["url"])
        if src is not None and all(s.iri != src.iri for s in row.sources):
            row.sources.append(src)
    return list(by_iri.values())


def _claims(kg: KnowledgeGraph, iri: URIRef) -> list[ClaimRow]:
    rows = run_query(kg, paths.queries_dir() / "entity-claims.rq", {"e": iri})
    out: dict[str, ClaimRow] = {}
    for r in rows.records():
        c = out.setdefault(
            str(r["claim"]),
            ClaimRow(str(r["claim"]), _str(r["text"]) or "", _local(r["status"]), _int(r["credibility"])),
        )
        src = _source(r["src"], r["srcLabel"], r["reliability"], None)
        if src is not None and all(s.iri != src.iri for s in c.sources):
            c.sources.append(src)
        if r["contradicts"] is not None and str(r["contradicts"]) not in c.contradicts:
            c.contradicts.append(str(r["contradicts"]))
    return list(out.values())


@dataclass
class StatementDetail:
    """One statement in full, for the edge panel."""

    iri: str
    subject: str
    subject_label: str
    object: str
    object_label: str
    relation: str
    relation_label: str
    role: str | None
    start: dt.date | None
    end: dt.date | None
    credibility: int | None
    status: str | None
    sources: list[SourceRef]


def statement_detail(kg: KnowledgeGraph, statement: str | URIRef) -> StatementDetail:
    """A relationship statement with its sources; :class:`QueryError` if there is none."""
    iri = statement if isinstance(statement, URIRef) else to_iri(statement)
    rows = run_query(kg, paths.queries_dir() / "statement-detail.rq", {"st": iri}).records()
    if not rows:
        raise QueryError(f"no relationship statement {short_name(iri)}")
    r = rows[0]
    sources: list[SourceRef] = []
    for row in rows:
        src = _source(row["src"], row["srcLabel"], row["reliability"], row["url"])
        if src is not None and all(s.iri != src.iri for s in sources):
            sources.append(src)
    rel = r["relation"]
    return StatementDetail(
        iri=str(iri),
        subject=str(r["s"]),
        subject_label=str(r["sLabel"]) if r["sLabel"] is not None else short_name(r["s"]),
        object=str(r["o"]),
        object_label=str(r["oLabel"]) if r["oLabel"] is not None else short_name(r["o"]),
        relation=_local(rel) or "",
        relation_label=str(r["relationLabel"]) if r["relationLabel"] is not None else (_local(rel) or ""),
        role=_local(r["role"]),
        start=_date(r["start"]),
        end=_date(r["end"]),
        credibility=_int(r["credibility"]),
        status=_local(r["status"]),
        sources=sources,
    )


