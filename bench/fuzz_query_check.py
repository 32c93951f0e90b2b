"""Fuzz the query safety check: splice dangerous words into every lexical context.

    python bench/fuzz_query_check.py --cases 20000 --seed 1

Every case the check accepts is run on a real (empty) Oxigraph store whose SERVICE
calls would reach a loopback listener; the script prints the cases tried, how many
were refused, how many accepted texts the parser still saw SERVICE/FROM in, the
outbound requests the listener received, and the refusals of the valid-query corpus
(tests/test_query_check.py: the SPARQL 1.1 examples, the shipped queries). Long runs
live here, not in the test suite.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402

from graph.errors import QueryRefused, QuerySyntaxError  # noqa: E402
from graph.querycheck import parse_verdict, vet  # noqa: E402
from tests.conftest import Listener  # noqa: E402
from tests.test_query_check import CONTEXTS, DANGER, SKELETONS, VALID, _shipped  # noqa: E402

EXTRA = ["<", ">", "#", "\n", "'", '"', "{", "}", ":", ".", "\\u0053", "\\u003C", "(", ")", " "]


def case(rng: random.Random, url: str) -> str:
    skeleton = rng.choice(SKELETONS)
    parts = []
    for _ in range(2):
        ctx = rng.choice(CONTEXTS).format(k=rng.choice(DANGER))
        if rng.random() < 0.4:  # break the context at a random point
            at = rng.randrange(len(ctx) + 1)
            ctx = ctx[:at] + rng.choice(EXTRA) + ctx[at:]
        parts.append(ctx)
    return skeleton.format(a=parts[0], b=parts[1], url=url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    listener = Listener()
    started = time.perf_counter()
    refused = accepted = parser_disagrees = 0
    try:
        for _ in range(args.cases):
            text = case(rng, listener.url)
            try:
                vetted = vet(text)
            except (QueryRefused, QuerySyntaxError):
                refused += 1
                continue
            accepted += 1
            verdict = parse_verdict(vetted.text) if len(vetted.text) < 4000 else None
            if verdict is not None and (verdict.service or verdict.dataset or verdict.kind == "update"):
                parser_disagrees += 1
            try:
                ox.Store().query(vetted.text)
            except (SyntaxError, OSError, RuntimeError, ValueError):
                pass
        corpus = VALID + _shipped()
        false_refusals = 0
        for text in corpus:
            try:
                vet(text)
            except (QueryRefused, QuerySyntaxError):
                false_refusals += 1
        time.sleep(0.5)
        outbound = len(listener.received)
    finally:
        listener.close()
    elapsed = time.perf_counter() - started
    print(f"cases tried:                 {args.cases:,} (seed {args.seed}, {elapsed:.1f} s)")
    print(f"refused by the check:        {refused:,}")
    print(f"accepted (run on Oxigraph):  {accepted:,}")
    print(f"accepted but parser sees SERVICE/FROM/update: {parser_disagrees}")
    print(f"outbound requests received:  {outbound}")
    print(f"valid corpus refused:        {false_refusals} of {len(corpus)}")
    return 1 if outbound or parser_disagrees or false_refusals else 0


if __name__ == "__main__":
    raise SystemExit(main())
