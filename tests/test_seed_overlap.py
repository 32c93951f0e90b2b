"""Claim texts are the curators' paraphrase: none may copy 12 or more consecutive words of a seed.

Issue 20 item 8 (last point). The seed articles live beside the checkout (``../shared/seeds``, or
``$ALLIANCE_GRAPH_SEEDS``); without them the test is skipped. A short verbatim phrase belongs in an
``ag:Quote``'s ``ag:quotedText``, which is not checked here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from rdflib import Graph, Namespace

ROOT = Path(__file__).resolve().parents[1]
AG = Namespace("https://w3id.org/alliance-graph/ontology#")
N = 12


def _seed_dir() -> Path:
    env = os.environ.get("ALLIANCE_GRAPH_SEEDS")
    return Path(env) if env else ROOT.parent / "shared" / "seeds"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


def ngrams(ws: list[str]) -> set[tuple[str, ...]]:
    return {tuple(ws[i : i + N]) for i in range(len(ws) - N + 1)}


def test_overlap_detector() -> None:
    seed = ngrams(words("one two three four five six seven eight nine ten eleven twelve thirteen"))
    assert ngrams(words("x One two three four five six seven eight nine ten eleven twelve")) & seed
    assert not ngrams(words("one two three four five six seven eight nine ten eleven")) & seed


def test_claim_texts_do_not_copy_seed_articles() -> None:
    seeds = sorted(_seed_dir().glob("*.txt"))
    if not seeds:
        pytest.skip(f"no seed articles in {_seed_dir()}")
    grams: set[tuple[str, ...]] = set()
    for p in seeds:
        grams |= ngrams(words(p.read_text(encoding="utf-8")))
    g = Graph()
    for f in sorted((ROOT / "graph" / "data").glob("*.ttl")):
        g.parse(f, format="turtle")
    copied = [
        f"{s}: {t}" for s, t in g.subject_objects(AG.claimText) if ngrams(words(str(t))) & grams
    ]
    assert not copied, "claim texts copying 12+ words of a seed:\n" + "\n".join(sorted(copied))
