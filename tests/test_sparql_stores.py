"""Every query the project ships gives the same answers on every store, remote included.

The stores: embedded Oxigraph (default), rdflib's Memory store, and a real Oxigraph
server (``oxigraph serve-read-only``, started here on a free loopback port, loaded
from ``graph.export``) reached as a remote SPARQL endpoint.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import paths
from graph.errors import QueryTimeout
from graph.export import export_rdf
from graph.limits import QueryLimits
from graph.results import expand_name, to_csv
from graph.sparql import get_saved_query, list_saved_queries, run_query
from graph.store import KnowledgeGraph, open_graph
from tests.conftest import find_free_port, require, wait_for_http

HERE = Path(__file__).parent
DATA = HERE / "data" / "sparql"
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
STORES = ("oxigraph", "memory", "remote")


def start_oxigraph_server(kg: KnowledgeGraph, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real Oxigraph server holding an export of ``kg``; returns the process and query URL."""
    binary = str(OXIGRAPH) if OXIGRAPH.exists() else shutil.which("oxigraph")
    require(binary is not None, "the oxigraph server binary (pip install oxigraph) is missing")
    assert binary is not None
    dump = workdir / "graph.nt"
    dump.write_bytes(export_rdf(kg, "nt"))
    db = workdir / "db"
    subprocess.run([binary, "load", "--location", str(db), "--file", str(dump)],
                   check=True, capture_output=True, timeout=120)
    port = find_free_port()
    proc = subprocess.Popen(
        [binary, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}",
         "--timeout-s", "30"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    wait_for_http(f"{url}?query=ASK%7B%7D", timeout=30, proc=proc)
    return proc, url


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _stores(files: list[Path], include_default: bool, tmp: Path) -> Iterator[dict[str, KnowledgeGraph]]:
    ox_kg = open_graph("oxigraph", files, include_default=include_default)
    mem_kg = open_graph("memory", files, include_default=include_default)
    proc, url = start_oxigraph_server(ox_kg, tmp)
    try:
        yield {"oxigraph": ox_kg, "memory": mem_kg, "remote": open_graph(url)}
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def test_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, KnowledgeGraph]]:
    """The SPARQL test graph on each store."""
    yield from _stores([DATA / "graph.ttl"], False, tmp_path_factory.mktemp("oxserver-test"))


@pytest.fixture(scope="module")
def shipped_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, KnowledgeGraph]]:
    """The shipped graph on each store."""
    if not paths.ontology_file().exists():
        pytest.skip("the shipped ontology and data have not landed yet")
    yield from _stores([], True, tmp_path_factory.mktemp("oxserver-shipped"))


# --- comparing answers -----------------------------------------------------------------


def _norm_cell(cell: str) -> str:
    parts = cell.split()
    if len(parts) > 1 and all(re.match(r"^(https?://|[a-z]+:\S)", p) for p in parts):
        # GROUP_CONCAT of IRIs: its order is left to the engine.
        return " ".join(sorted(expand_name(p) for p in parts))
    cell = expand_name(cell.strip())
    try:
        number = float(cell)
    except ValueError:
        return cell
    return repr(number)


def _rows(csv_text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    rows = list(csv.reader(io.StringIO(csv_text)))
    if not rows:
        return [], []
    return rows[0], [tuple(_norm_cell(c) for c in r) for r in rows[1:]]


def _ordered(text: str) -> bool:
    # ORDER BY after the last closing brace: the outer query is ordered.
    return re.search(r"(?is)\}\s*(GROUP BY.*)?ORDER\s+BY[^}]*$", text) is not None


def engine_chosen(text: str) -> set[str]:
    """Variables bound by SAMPLE(): the spec lets each engine pick any value."""
    return set(re.findall(r"(?is)SAMPLE\s*\((?:[^()]|\([^()]*\))*\)\s+AS\s+\?(\w+)", text))


def assert_same_answer(
    actual_csv: str, expected_csv: str, ordered: bool, what: str, ignore: set[str] = frozenset()  # type: ignore[assignment]
) -> None:
    head_a, rows_a = _rows(actual_csv)
    head_e, rows_e = _rows(expected_csv)
    assert head_a == head_e, f"{what}: columns {head_a} != expected {head_e}"
    if ignore:
        keep = [i for i, h in enumerate(head_a) if h not in ignore]
        rows_a = [tuple(r[i] for i in keep) for r in rows_a]
        rows_e = [tuple(r[i] for i in keep) for r in rows_e]
    if ordered and sorted(rows_a) == sorted(rows_e):
        # ORDER BY keys may tie; ties come in engine order. Same rows is the contract.
        return
    if ordered:
        assert rows_a == rows_e, f"{what}: rows differ\n got {rows_a}\nwant {rows_e}"
    else:
        assert sorted(rows_a) == sorted(rows_e), f"{what}: rows differ\n got {rows_a}\nwant {rows_e}"


def _params(rq: Path) -> dict[str, str]:
    p = rq.with_suffix(".params")
    if not p.exists():
        return {}
    return dict(line.split("=", 1) for line in p.read_text().splitlines() if "=" in line)


def _answer_csv(
    kg: KnowledgeGraph, rq: Path, params: dict[str, str], limits: QueryLimits | None = None
) -> str:
    result = run_query(kg, rq, params, limits=limits)
    if result.kind == "graph":
        assert result.graph is not None
        rows = sorted(
            (str(s), str(p), str(o)) for s, p, o in result.graph  # type: ignore[misc]
        )
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["subject", "predicate", "object"])
        w.writerows(rows)
        return buf.getvalue()
    return to_csv(result)


TEST_CQS = sorted((DATA / "cq").glob("*.rq"))
SHIPPED_CQS = sorted((paths.ontology_dir() / "cq").glob("*.rq"))


@pytest.mark.server
@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("rq", TEST_CQS, ids=[p.stem for p in TEST_CQS])
def test_competency_style_questions_on_the_test_graph(test_stores, store: str, rq: Path) -> None:
    actual = _answer_csv(test_stores[store], rq, _params(rq))
    expected = rq.with_suffix(".csv").read_text(encoding="utf-8")
    assert_same_answer(actual, expected, _ordered(rq.read_text()), f"{rq.name} on {store}")


@pytest.mark.server
@pytest.mark.parametrize("rq", SHIPPED_CQS or [None], ids=[p.stem for p in SHIPPED_CQS] or ["none"])
def test_competency_questions_pass_on_every_store(shipped_stores, rq: Path | None) -> None:
    """Each competency question: the same answer on every store, and the expected one when written."""
    if rq is None:
        pytest.skip("no competency questions in ontology/cq yet")
    text = rq.read_text(encoding="utf-8")
    # rdflib's memory store answers every CQ against its expected CSV in test_knowledge.py (the
    # ones it is too slow for with ALLIANCE_GRAPH_ALL_ENGINES=1): here Oxigraph in process and
    # behind its server, unless every engine is asked for.
    every = os.environ.get("ALLIANCE_GRAPH_ALL_ENGINES") == "1"
    answers = {
        store: _answer_csv(kg, rq, _params(rq))
        for store, kg in shipped_stores.items()
        if every or store != "memory"
    }
    for store in [s for s in ("memory", "remote") if s in answers]:
        assert_same_answer(
            answers[store], answers["oxigraph"], _ordered(text), f"{rq.name} on {store} vs oxigraph",
            engine_chosen(text),
        )
    expected_file = rq.with_suffix(".csv")
    if not expected_file.exists():
        pytest.skip(f"same answer on every store; {expected_file.name} (the expected answer) not written yet")
    for store, actual in answers.items():
        assert_same_answer(
            actual, expected_file.read_text(encoding="utf-8"), _ordered(text), f"{rq.name} on {store}",
            engine_chosen(text),
        )


def _app_query_bindings(q_params: tuple[tuple[str, str], ...], kg: KnowledgeGraph) -> dict[str, str]:
    """A plausible value for each declared parameter, picked from the graph itself."""
    values: dict[str, str] = {}
    for name, description in q_params:
        text = f"{name} {description}".lower()
        if "date" in text or "day" in text:
            values[name] = "2024-01-01"
        elif "source" in text:
            rows = run_query(kg, "SELECT ?s WHERE { ?s a ag:Source } ORDER BY ?s LIMIT 1").rows
            values[name] = f"<{rows[0][0]}>" if rows else "agr:none"
        elif "statement" in text:
            rows = run_query(kg, "SELECT ?s WHERE { ?s ag:relation ?r } ORDER BY ?s LIMIT 1").rows
            values[name] = f"<{rows[0][0]}>" if rows else "agr:none"
        elif any(w in text for w in ("grade", "credib", "limit", "count", "max", "min", "number")):
            values[name] = "3"
        else:
            values[name] = "agr:FIN"
    return values


APP_QUERIES = [q for q in list_saved_queries() if q.group in {"app", "example"}]


@pytest.mark.server
@pytest.mark.parametrize("name", [q.name for q in APP_QUERIES])
def test_app_queries_give_the_same_answers_on_every_store(test_stores, name: str) -> None:
    q = get_saved_query(name)
    bindings = _app_query_bindings(q.params, test_stores["oxigraph"])
    answers = {}
    for store, kg in test_stores.items():
        answers[store] = _answer_csv(kg, q.path, bindings)
    ordered = _ordered(q.text)
    for store in ("memory", "remote"):
        assert_same_answer(
            answers[store], answers["oxigraph"], ordered, f"{name} on {store} vs oxigraph", engine_chosen(q.text)
        )


#: Per-query budget on the shipped graph; rdflib's engine is far slower than Oxigraph.
SHIPPED_BUDGET = QueryLimits(timeout_s=15, max_rows=None)


def _shipped_comparison(shipped_stores) -> tuple[list[str], list[str]]:
    """Compare every app query across stores; return (disagreements, too slow on a store)."""
    wrong, slow = [], []
    for q in APP_QUERIES:
        bindings = _app_query_bindings(q.params, shipped_stores["oxigraph"])
        base = _answer_csv(shipped_stores["oxigraph"], q.path, bindings)
        for store in ("memory", "remote"):
            try:
                other = _answer_csv(shipped_stores[store], q.path, bindings, SHIPPED_BUDGET)
            except QueryTimeout:
                slow.append(f"{q.name} on {store}")
                continue
            try:
                assert_same_answer(other, base, _ordered(q.text), f"{q.name} on {store}", engine_chosen(q.text))
            except AssertionError as err:
                wrong.append(str(err)[:400])
    return wrong, slow


@pytest.fixture(scope="module")
def shipped_comparison(shipped_stores) -> tuple[list[str], list[str]]:
    return _shipped_comparison(shipped_stores)


@pytest.mark.server
@pytest.mark.slow
def test_app_queries_on_the_shipped_graph_agree_across_stores(shipped_comparison) -> None:
    wrong, _slow = shipped_comparison
    assert not wrong, "\n".join(wrong)


@pytest.mark.server
@pytest.mark.slow
def test_app_queries_on_the_shipped_graph_finish_within_15_s_on_every_store(shipped_comparison) -> None:
    _wrong, slow = shipped_comparison
    assert not slow, f"too slow (over {SHIPPED_BUDGET.timeout_s:g} s): {', '.join(slow)}"


@pytest.mark.server
def test_remote_store_counts_and_projects_like_the_embedded_one(test_stores) -> None:
    from graph.network import project

    remote, local = test_stores["remote"], test_stores["oxigraph"]
    assert remote.backend == "remote"
    assert remote.count_triples() == local.count_triples()
    g_remote, g_local = project(remote), project(local)
    assert sorted(map(str, g_remote.nodes)) == sorted(map(str, g_local.nodes))
    assert g_remote.number_of_edges() == g_local.number_of_edges() == 5


def test_engine_chosen_columns_are_found() -> None:
    assert engine_chosen("SELECT ?e (SAMPLE(?l) AS ?label) (sample(STR(?t)) as ?type) {}") == {"label", "type"}


def test_ordered_detection() -> None:
    assert _ordered("SELECT * { ?s ?p ?o } ORDER BY ?s")
    assert not _ordered("SELECT * { { SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 2 } }")
    assert _ordered("SELECT ?s (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?s ORDER BY DESC(?n)")
    _ = time  # keep the import for timing-oriented debugging
