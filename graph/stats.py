"""Counts that describe a loaded graph (used by ``alliance-graph stats`` and the app)."""

from __future__ import annotations

from typing import Any

from graph import paths
from graph.results import short_name
from graph.sparql import run_query
from graph.store import KnowledgeGraph


def _pairs(kg: KnowledgeGraph, name: str) -> dict[str, int]:
    result = run_query(kg, paths.queries_dir() / f"{name}.rq")
    return {short_name(k) or "(none)": int(v) for k, v in result.rows if v is not None}  # type: ignore[call-overload]


def graph_stats(kg: KnowledgeGraph) -> dict[str, Any]:
    classes = _pairs(kg, "stats-classes")
    relations = _pairs(kg, "stats-relations")
    credibility = _pairs(kg, "stats-credibility")
    reliability = _pairs(kg, "stats-reliability")
    total = sum(credibility.values())
    return {
        "triples": kg.count_triples(),
        "sources": sum(reliability.values()),
        "statements": total,
        "classes": classes,
        "relations": relations,
        "credibility": credibility,
        "credibility_share": {k: (v / total if total else 0.0) for k, v in credibility.items()},
        "reliability": reliability,
    }
