"""Sources and what rests on them: every source with its grade, the statements and claims
derived from it, and contradictions shown side by side."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from graph import paths
from graph.results import short_name
from graph.sparql import run_query
from graph.store import KnowledgeGraph
from graph.view import to_iri


def _s(x: object) -> str:
    return "" if x is None else str(x)


def _local(x: object) -> str:
    return "" if x is None else short_name(x).split(":", 1)[-1]  # type: ignore[arg-type]


@dataclass(frozen=True)
class SourceRow:
    iri: str
    label: str
    reliability: str
    url: str
    statements: int
    claims: int

    @property
    def safe_url(self) -> str | None:
        return self.url if self.url.lower().startswith(("http://", "https://")) else None


def list_sources(kg: KnowledgeGraph) -> list[SourceRow]:
    """Every source with its reliability grade (A..F), address and how much rests on it."""
    rows = run_query(kg, paths.queries_dir() / "sources.rq").records()
    return [
        SourceRow(
            iri=str(r["src"]),
            label=_s(r["label"]) or short_name(r["src"]),
            reliability=_s(r["reliability"]),
            url=_s(r["url"]),
            statements=int(str(r["statements"] or 0)),
            claims=int(str(r["claims"] or 0)),
        )
        for r in rows
        if r["src"] is not None
    ]


@dataclass(frozen=True)
class SourcedItem:
    """A statement or claim resting on a source."""

    iri: str
    subject: str
    relation: str
    object: str
    start: str
    end: str
    credibility: str
    status: str
    text: str


def source_statements(kg: KnowledgeGraph, source: str | URIRef) -> list[SourcedItem]:
    """The statements and claims derived from ``source``."""
    iri = source if isinstance(source, URIRef) else to_iri(source)
    rows = run_query(kg, paths.queries_dir() / "source-statements.rq", {"src": iri}).records()
    return [
        SourcedItem(
            iri=str(r["st"]),
            subject=_s(r["sLabel"]) or (short_name(r["s"]) if r["s"] is not None else ""),
            relation=_local(r["relation"]),
            object=_s(r["oLabel"]) or (short_name(r["o"]) if r["o"] is not None else ""),
            start=_s(r["start"]),
            end=_s(r["end"]),
            credibility=_s(r["credibility"]),
            status=_local(r["status"]),
            text=_s(r["text"]) or _s(r["stLabel"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Side:
    iri: str
    text: str
    status: str
    credibility: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Contradiction:
    """Two statements or claims that cannot both be true."""

    a: Side
    b: Side
    notes: tuple[str, ...] = ()


def list_contradictions(kg: KnowledgeGraph) -> list[Contradiction]:
    """Every ``ag:contradicts`` pair (once, whichever way it was stated), each side with its
    text, status, grade and sources, and the notes that explain the contradiction."""
    rows = run_query(kg, paths.queries_dir() / "contradictions.rq").records()
    pairs: dict[frozenset[str], Contradiction] = {}
    for r in rows:
        pair = frozenset((str(r["a"]), str(r["b"])))
        note = _s(r["note"])
        if pair in pairs:
            old = pairs[pair]
            if note and note not in old.notes:
                pairs[pair] = Contradiction(old.a, old.b, (*old.notes, note))
            continue
        sides = []
        for x in ("a", "b"):
            sides.append(
                Side(
                    iri=str(r[x]),
                    text=_s(r[f"{x}Text"]) or short_name(r[x]),
                    status=_local(r[f"{x}Status"]),
                    credibility=_s(r[f"{x}Credibility"]),
                    sources=tuple(_s(r[f"{x}Sources"]).split()),
                )
            )
        pairs[pair] = Contradiction(sides[0], sides[1], (note,) if note else ())
    return list(pairs.values())
