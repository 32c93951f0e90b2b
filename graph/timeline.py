"""Dated events for the timeline: accessions and other relationship starts and ends, summits,
agreements, contracts and cohorts, each linked to the entities it concerns."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib.term import Node

from graph import paths
from graph.results import short_name
from graph.sparql import run_query
from graph.store import KnowledgeGraph

#: Above this many events a chart counts them per year and kind instead of drawing each
#: one: at 1M triples the synthetic graph has 75k dated events, one smear of dots that
#: the browser takes seconds to draw.
CHART_EVENTS_MAX = 3_000


@dataclass(frozen=True)
class Event:
    """Something that happened on a date."""

    date: dt.date
    end: dt.date | None
    category: str
    title: str
    item: str
    entities: tuple[tuple[str, str], ...]  # (IRI, label)
    relation: str = ""
    credibility: int | None = None
    #: ``DayPrecision`` (also when unrecorded), ``MonthPrecision`` or ``YearPrecision``.
    precision: str = "DayPrecision"

    @property
    def when(self) -> str:
        """The date as far as it is known: ``2007`` for a year, ``2024-03`` for a month."""
        text = self.date.isoformat()
        return text[:4] if self.precision == "YearPrecision" else text[:7] if self.precision == "MonthPrecision" else text


def _date(node: Node | None) -> dt.date | None:
    if node is None:
        return None
    try:
        return dt.date.fromisoformat(str(node)[:10])
    except ValueError:
        return None


def _local(node: Node | None) -> str:
    return "" if node is None else short_name(node).split(":", 1)[-1]


def timeline_events(kg: KnowledgeGraph) -> list[Event]:
    """Every dated item in date order.

    A relationship statement gives one event at its start (category: the statement's class,
    e.g. ``Membership``; its title says who did what with whom). A dated entity (a summit, an
    agreement, a contract, a cohort) gives one event per date it carries.
    """
    rows = run_query(kg, paths.queries_dir() / "timeline.rq").records()
    seen: dict[tuple[str, dt.date], Event] = {}
    for r in rows:
        day = _date(r["date"])
        if day is None:
            continue
        key = (str(r["item"]), day)
        category = _local(r["type"]) or ("Relationship" if str(r["kind"]) == "statement" else "Event")
        if key in seen:
            # Keep the most specific class name the item has (not a generic parent).
            if seen[key].category in ("Relationship", "Event", "Statement", "Entity"):
                seen[key] = _event(r, day, category)
            continue
        seen[key] = _event(r, day, category)
    return sorted(seen.values(), key=lambda e: (e.date, e.category, e.title))


def _event(r: dict[str, Node | None], day: dt.date, category: str) -> Event:
    if str(r["kind"]) == "statement":
        s_label = str(r["sLabel"]) if r["sLabel"] is not None else short_name(r["s"])
        o_label = str(r["oLabel"]) if r["oLabel"] is not None else short_name(r["o"])
        relation = _local(r["relation"])
        said = str(r["relationLabel"]) if r["relationLabel"] is not None else relation
        entities = ((str(r["s"]), s_label), (str(r["o"]), o_label))
        cred = r["credibility"]
        return Event(
            day, _date(r["end"]), category, f"{s_label} {said} {o_label}", str(r["item"]),
            entities, relation, int(str(cred)) if cred is not None else None, _precision(r),
        )  # fmt: skip
    if r.get("label") is not None:
        label = str(r["label"])
    elif r.get("treatyLabel") is not None:  # "UKUSA Agreement: signed"
        label = f"{r['treatyLabel']}: {_MILESTONES.get(_local(r.get('milestone')), _local(r.get('milestone')))}"
    else:
        label = short_name(r["item"])
    item = str(r["item"])
    return Event(day, _date(r["end"]), category, label, item, ((item, label),), precision=_precision(r))


_MILESTONES = {
    "Signed": "signed", "EnteredIntoForce": "entered into force", "Suspended": "suspended",
    "Terminated": "terminated", "Withdrawn": "withdrawn", "Ratified": "ratified",
}  # fmt: skip


def _precision(r: dict[str, Node | None]) -> str:
    return _local(r.get("precision")) or "DayPrecision"


def filter_events(
    events: Iterable[Event],
    *,
    categories: Iterable[str] = (),
    entity: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Event]:
    """Events of the given categories, concerning ``entity`` (IRI), between two dates."""
    cats = set(categories)
    out = []
    for e in events:
        if cats and e.category not in cats:
            continue
        if entity and all(iri != entity for iri, _ in e.entities):
            continue
        if start and e.date < start:
            continue
        if end and e.date > end:
            continue
        out.append(e)
    return out


def count_by_year(events: Iterable[Event]) -> list[tuple[int, str, int]]:
    """``(year, category, number of events)`` for every year and category that has any, in order.

    >>> e = [Event(dt.date(2023, 4, 4), None, "Membership", "Finland member of NATO", "x", ()),
    ...      Event(dt.date(2024, 3, 7), None, "Membership", "Sweden member of NATO", "y", ()),
    ...      Event(dt.date(2024, 7, 9), None, "Summit", "Washington Summit", "z", ())]
    >>> count_by_year(e)
    [(2023, 'Membership', 1), (2024, 'Membership', 1), (2024, 'Summit', 1)]
    """
    counts = Counter((e.date.year, e.category) for e in events)
    return [(year, category, n) for (year, category), n in sorted(counts.items())]
