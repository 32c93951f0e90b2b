"""Find entities by label or alias ("Korea" finds the Republic of Korea, "DIANA" the accelerator).

Matching ignores case and accents. Exact matches come first, then names that start with
the text, then names with a word that starts with it, then names that merely contain it;
the entity's own local name (``CAN`` for ``agr:CAN``) counts as an exact alias. When
that finds fewer than asked, names with a word close in spelling follow ("Kanada" finds
Canada, "Austrlia" Australia): :func:`difflib.get_close_matches` over the distinct words of
all names. Each match names the entity's most specific type ("State", not "Entity").
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from rdflib import URIRef

from graph import paths
from graph.results import short_name
from graph.sparql import run_query
from graph.store import KnowledgeGraph


@dataclass(frozen=True)
class Match:
    """One entity found: its IRI, preferred label, the name that matched and how well."""

    iri: URIRef
    label: str
    matched: str
    kind: str
    type: str
    score: int

    @property
    def short(self) -> str:
        return short_name(self.iri)


@dataclass(frozen=True)
class _Name:
    iri: URIRef
    name: str
    folded: str
    kind: str
    type: str


def fold(text: str) -> str:
    """Case- and accent-insensitive form used for matching.

    >>> fold("Türkiye")
    'turkiye'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


class SearchIndex:
    """The labels and aliases of every named entity, ready to search.

    >>> from graph.store import open_graph
    >>> idx = SearchIndex(open_graph())
    >>> idx.search("Canada")[0].short
    'agr:CAN'
    """

    def __init__(self, kg: KnowledgeGraph) -> None:
        from graph.network import _class_tree, _most_specific

        rows = run_query(kg, paths.queries_dir() / "entity-names.rq").rows
        self._names: list[_Name] = []
        self._labels: dict[URIRef, str] = {}
        types = {str(r[3]) for r in rows if r[3] is not None}
        supers = _class_tree(kg) if any(" " in t for t in types) else {}
        specific: dict[str, str] = {}
        for e, name, kind, typ in rows:
            if not isinstance(e, URIRef) or name is None:
                continue
            if typ is not None and str(typ) not in specific:
                best = _most_specific(set(str(typ).split()), supers)
                specific[str(typ)] = short_name(URIRef(best)).split(":", 1)[-1] if best else "Entity"
            type_name = specific[str(typ)] if typ is not None else "Entity"
            self._names.append(_Name(e, str(name), fold(str(name)), str(kind), type_name))
            if str(kind) == "label":
                self._labels.setdefault(e, str(name))
        for first in list({n.iri: n for n in self._names}.values()):
            local = short_name(first.iri).split(":", 1)[-1]
            self._names.append(_Name(first.iri, local, fold(local), "id", first.type))

    def __len__(self) -> int:
        return len(self._labels)

    def label(self, iri: URIRef) -> str:
        return self._labels.get(iri, short_name(iri))

    def search(self, text: str, limit: int = 20) -> list[Match]:
        """The best matches for ``text``, one per entity, best first."""
        q = fold(text)
        if not q:
            return []
        best: dict[URIRef, Match] = {}
        for n in self._names:
            score = _score(q, n.folded)
            if score is None:
                continue
            if n.kind == "alias" or n.kind == "id":
                score += 1  # a label beats an alias of the same quality
            old = best.get(n.iri)
            if old is None or score < old.score:
                best[n.iri] = Match(n.iri, self.label(n.iri), n.name, n.kind, n.type, score)
        if len(best) < limit and len(q) >= 3:
            self._near(q, best)
        ranked = sorted(best.values(), key=lambda m: (m.score, len(m.label), m.label.casefold()))
        return ranked[:limit]

    @cached_property
    def _words(self) -> dict[str, list[_Name]]:
        """Each distinct word of the names (folded) and the names that hold it."""
        out: dict[str, list[_Name]] = {}
        for n in self._names:
            for w in set(_split(n.folded)):
                if len(w) >= 3:
                    out.setdefault(w, []).append(n)
        return out

    def _near(self, q: str, best: dict[URIRef, Match]) -> None:
        """Add the entities that have, for every word of ``q``, a word spelled close to it
        (score 40 and up, closer first)."""
        words = self._words
        wanted = [qw for qw in _split(q) if len(qw) >= 3]
        if not wanted:
            return
        found: dict[URIRef, tuple[float, _Name]] | None = None
        for qw in wanted:
            here: dict[URIRef, tuple[float, _Name]] = {}
            for w in difflib.get_close_matches(qw, words, n=8, cutoff=0.75):
                ratio = difflib.SequenceMatcher(None, qw, w).ratio()
                for n in words[w]:
                    if n.iri not in here or ratio > here[n.iri][0]:
                        here[n.iri] = (ratio, n)
            if found is None:
                found = here
            else:  # every word must be matched: the worst word's closeness counts
                found = {i: (min(r, here[i][0]), n) for i, (r, n) in found.items() if i in here}
        for iri, (ratio, n) in (found or {}).items():
            score = 40 + round((1 - ratio) * 50) + (1 if n.kind != "label" else 0)
            old = best.get(iri)
            if old is None or score < old.score:
                best[iri] = Match(iri, self.label(iri), n.name, n.kind, n.type, score)


def _split(text: str) -> list[str]:
    return text.replace("-", " ").replace("(", " ").replace(")", " ").replace(",", " ").split()


def _score(q: str, name: str) -> int | None:
    if name == q:
        return 0
    if name.startswith(q):
        return 10
    if any(w.startswith(q) for w in _split(name)):
        return 20
    if q in name:
        return 30
    return None


