"""The benchmark harness: a 10k smoke run through the CLI, so the harness cannot rot.

Full runs (10k/100k/1M, 5M) are scripts, not tests: see docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.harness import _plan_skips, _time_queries, format_table, query_suite
from graph.cli import main


def test_query_suite_has_the_app_queries_and_the_bench_rewrites() -> None:
    suite = {q.name: q for q in query_suite()}
    assert {"nodes", "edges"} <= set(suite)
    assert suite["nodes"].group == "app"
    rewrite = suite["cq-members-since"]
    assert rewrite.group == "bench"
    assert rewrite.bindings == {"org": "agr:syn-int-0000000"}


def _time_query(fn: Callable[[], int], cfg: dict[str, float]) -> dict[str, Any]:
    """One engine's figures from the harness's timing (engines alone, not taking turns)."""
    return _time_queries({"only": fn}, cfg)["only"]


def test_timing_gives_median_and_p95_and_records_failures() -> None:
    calls = []

    def fast() -> int:
        calls.append(1)
        return 3

    r = _time_query(fast, {"max_reps": 5, "query_budget_s": 1.0, "query_timeout_s": 5})
    # The first run is a probe in a child process (its warm-up): five timed runs here.
    assert r["reps"] == 5 and r["rows"] == 3 and len(calls) == 5
    assert 0 <= r["median_s"] <= r["p95_s"]

    def slowish() -> int:
        time.sleep(0.06)
        return 1

    # Over the budget after two runs, yet three in-process runs: the forked probe is
    # never one of the samples (copy-on-write would weigh on Python-heavy engines).
    r = _time_query(slowish, {"max_reps": 7, "query_budget_s": 0.1, "query_timeout_s": 5})
    assert r["reps"] == 3 and r["median_s"] >= 0.06 and r["probe_s"] >= 0.06

    def long() -> int:
        time.sleep(0.25)
        return 1

    # After a probe of half the time limit or more, one in-process run (every engine alike).
    r = _time_query(long, {"max_reps": 7, "query_budget_s": 0.1, "query_timeout_s": 0.45})
    assert r["reps"] == 1 and r["median_s"] >= 0.25 and r["probe_s"] >= 0.25

    def broken() -> int:
        raise ValueError("no such thing")

    assert "no such thing" in _time_query(broken, {"max_reps": 3, "query_budget_s": 1, "query_timeout_s": 5})["error"]

    def endless() -> int:
        time.sleep(30)
        return 0

    started = time.monotonic()
    r = _time_query(endless, {"max_reps": 3, "query_budget_s": 1, "query_timeout_s": 0.5})
    assert r["error"].startswith("timeout") and time.monotonic() - started < 5


def test_queries_too_slow_on_a_smaller_graph_are_skipped() -> None:
    previous = {"slow": (10_000, {"median_s": 2.0}), "fast": (10_000, {"median_s": 0.01}),
                "dead": (10_000, {"error": "timeout after 30 s"})}  # fmt: skip
    skip = _plan_skips(previous, 1_000_000, 30.0)
    assert set(skip) == {"slow", "dead"}
    assert "estimated 200 s" in skip["slow"]


def test_smoke_run_10k_prints_the_table_with_ratios_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([
        "bench", "--quick", "--sizes", "10k", "--out", str(tmp_path / "out"),
        "--data-dir", str(tmp_path / "data"), "--reps", "1", "--query-timeout", "3",
        "--render-sizes", "200",
    ])  # fmt: skip
    assert code == 0
    table = capsys.readouterr().out
    assert "/pyoxigraph" in table and "/rdflib" in table
    report = json.loads((tmp_path / "out" / "latest.json").read_text())
    entry = report["sizes"]["10k"]
    loads = entry["load"]["nt"]
    for engine in ("project", "pyoxigraph", "rdflib"):
        assert loads[engine]["load_s"] > 0, loads[engine]
        assert loads[engine]["peak_rss_mb"] > 0
    assert loads["project"]["triples"] > entry["triples_in_file"]
    nodes = entry["queries"]["nodes"]
    # Like for like: every engine answers over the same triples, so with the same rows.
    assert nodes["project"]["rows"] == nodes["pyoxigraph"]["rows"] == nodes["rdflib"]["rows"] > 0
    assert loads["rdflib"]["triples"] == loads["pyoxigraph"]["triples"] == loads["project"]["triples"]
    assert nodes["project"]["median_s"] > 0
    assert entry["projection"]["edges"] > 0
    assert report["render"]["200"]["bytes"] > 0
    assert format_table(report, markdown=True).startswith("| what |")


@pytest.mark.browser
def test_app_is_measured_in_the_real_browser(tmp_path: Path) -> None:
    """Cold start and a filter change of the explorer on the shipped data, in Chromium."""
    from tests.conftest import CHROMIUM, require

    require(Path(CHROMIUM).exists(), "Debian's chromium is not installed")
    # In a thread of its own: the session's browser fixture may already run Playwright's
    # event loop in this one, and the harness starts its own Playwright.
    from concurrent.futures import ThreadPoolExecutor

    from bench.harness import measure_app

    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(measure_app, None, timeout=120, log=tmp_path / "app.log").result()
    assert "error" not in result, (result, (tmp_path / "app.log").read_text()[-2000:])
    assert 0 < result["page_s"] <= result["cold_s"] < 120


def test_engines_compared_take_turns_and_keep_their_own_figures() -> None:
    """The project and its peer run a query in alternating rounds, so a busy moment of a
    shared machine falls on both; each gets its own median, rows and errors."""
    calls: list[str] = []

    def engine(name: str, rows: int, pause: float) -> Callable[[], int]:
        def run() -> int:
            calls.append(name)
            time.sleep(pause)
            return rows

        return run

    cfg = {"max_reps": 4, "query_budget_s": 10.0, "query_timeout_s": 5}
    r = _time_queries({"a": engine("a", 2, 0.0), "b": engine("b", 2, 0.02)}, cfg)
    # probes run in forked children: only the in-process rounds are seen here
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert r["a"]["reps"] == r["b"]["reps"] == 4 and r["a"]["rows"] == r["b"]["rows"] == 2
    assert r["b"]["median_s"] >= 0.02 > r["a"]["median_s"]

    def broken() -> int:
        raise ValueError("no such thing")

    calls.clear()
    r = _time_queries({"ok": engine("ok", 1, 0.0), "bad": broken}, {**cfg, "max_reps": 3})
    assert "no such thing" in r["bad"]["error"] and r["ok"]["reps"] == 3 and calls == ["ok"] * 3
