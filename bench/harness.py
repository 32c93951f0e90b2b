"""The benchmark harness: the project against its peers, on the same synthetic files.

One run, for each size, on the same N-Triples and Turtle files (:mod:`bench.synthetic`):

* **load**: time and peak memory (RSS) for the project's default (``open_graph`` on
  Oxigraph, rules included), rdflib's Memory store (``Graph().parse``) and pyoxigraph
  used directly (``Store.bulk_load``), each in a fresh subprocess so the peak is honest;
* **queries**: median and p95 of the app's queries and the competency questions
  (rewritten in ``bench/queries/`` where the synthetic data needs it) on the same three
  engines: ``graph.sparql.run_query``; ``Store.query`` with every row consumed, on the
  store the project loaded, its runs taking turns with the project's (the ratio then
  compares two engines at the same moments, not a busy minute with a quiet one);
  rdflib's own engine, in its own process;
* **projection** to networkx (:func:`graph.network.project`) and each analytics measure;
* **render**: :func:`graph.render.render_html` for 500, 2,000 and 10,000 nodes;
* **app**: the explorer started by the CLI, driven in headless Chromium: cold start to
  the first drawn graph, and a filter change, on the shipped data and at 100k triples.

The table gives the project beside each peer and the ratio project/peer per line;
the JSON holds every figure. Run it with ``alliance-graph bench`` (``make bench``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.synthetic import parse_size, size_name, synthetic_files
from graph import paths

ENGINES = ("project", "pyoxigraph", "rdflib")
ENGINE_TITLES = {"project": "project", "pyoxigraph": "pyoxigraph", "rdflib": "rdflib Memory"}
RENDER_SIZES = (500, 2_000, 10_000)
REPO_DIR = paths.PACKAGE_DIR.parent
BENCH_DIR = REPO_DIR / "bench"

#: The targets of the scale issue, checked in the table.
TARGETS = {
    "load_ratio": 1.3,  # project load / pyoxigraph load, at 1M
    "load_peak_mb": 1024.0,  # project peak RSS at 1M
    "query_ratio": 1.3,  # project / pyoxigraph direct, per query at 1M
    "query_max_s": 1.0,  # every query at 1M
    "projection_s": 3.0,  # at 1M
    "analytics_s": 30.0,  # the whole suite at 1M
    "render_2000_s": 1.0,
    "app_cold_s": 5.0,  # at 100k
    "app_filter_s": 1.0,  # at 100k
    "draw_2000_s": 2.0,  # a 2,000-node view drawn in the browser
}


@dataclass
class BenchConfig:
    """What one run measures."""

    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000, 1_000_000])
    out_dir: Path = Path("bench/out")
    data_dir: Path = Path("bench/data")
    seed: int = 42
    max_reps: int = 7
    query_budget_s: float = 1.0
    query_timeout_s: float = 10.0
    #: rdflib's Memory store is slow and big: it runs up to this size (pyoxigraph at every size).
    rdflib_max_size: int = 1_000_000
    #: Seconds rdflib's engine may spend on the whole query suite at one size; the rest
    #: of its queries are then skipped (its slow queries would otherwise take most of a run).
    rdflib_query_budget_s: float = 25.0
    #: rdflib parses Turtle in about a minute at 1M: by default only up to this size.
    rdflib_turtle_max_size: int = 100_000
    turtle: bool = True
    render: bool = True
    render_sizes: tuple[int, ...] = RENDER_SIZES
    browser: bool = True
    app_size: int = 100_000
    worker_timeout_s: float = 1800.0
    #: An earlier report whose largest size seeds the skip planning (for a run of one
    #: big size: a query that timed out at 1M is not tried at 5M). In-process queries
    #: cannot be interrupted while Oxigraph evaluates them, so this is what bounds them.
    plan_from: Path | None = None


# --- queries --------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    name: str
    group: str
    text: str
    bindings: dict[str, str]
    source: str


_PARAM = re.compile(r"^#\s*param:\s*[?$](\w+)", re.MULTILINE)
_BENCH_BIND = re.compile(r"^#\s*bench-bind:\s*[?$](\w+)\s*=\s*(\S+)", re.MULTILINE)


def _default_binding(name: str) -> str:
    """A value for a query parameter, chosen on the synthetic graph (its biggest hub, its
    most cited source...) so that parameterised queries do the work they do at scale."""
    n = name.lower()
    if "date" in n or n in {"day", "asof", "as_of", "on", "from", "to", "start", "end"}:
        return "2010-06-30"
    if "year" in n:
        return "2000"
    if n in {"limit", "n", "k", "top", "hops"}:
        return "10"
    if n in {"src", "source"}:
        return "agr:src-0000000"
    if n in {"st", "statement", "claim"}:
        return "agr:st-00000000"
    if n in {"state", "country"}:
        return "agr:XAA"
    return "agr:syn-int-0000000"


def _query_from_file(path: Path, group: str) -> BenchQuery:
    text = path.read_text(encoding="utf-8")
    bindings = {m.group(1): _default_binding(m.group(1)) for m in _PARAM.finditer(text)}
    bindings.update({m.group(1): m.group(2) for m in _BENCH_BIND.finditer(text)})
    return BenchQuery(path.stem, group, text, bindings, str(path))


def query_suite(bench_queries: Path | None = None) -> list[BenchQuery]:
    """The app's queries and the competency questions; ``bench/queries/<name>.rq`` overrides
    a query of the same name, and any other file there is added to the suite."""
    bench_queries = bench_queries if bench_queries is not None else BENCH_DIR / "queries"
    overrides = {p.stem: p for p in sorted(bench_queries.glob("*.rq"))} if bench_queries.is_dir() else {}
    out: list[BenchQuery] = []
    seen: set[str] = set()
    for group, folder in (("app", paths.queries_dir()), ("cq", paths.ontology_dir() / "cq")):
        for p in sorted(folder.glob("*.rq")):
            chosen = overrides.get(p.stem, p)
            out.append(_query_from_file(chosen, group))
            seen.add(p.stem)
    for stem, p in overrides.items():
        if stem not in seen:
            out.append(_query_from_file(p, "bench"))
    return out


# --- the worker: one engine, one file, one fresh process ------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Timeout(Exception):
    pass


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _load_files(engine: str, files: list[str]) -> Any:
    if engine == "project":
        from graph.store import open_graph

        # The synthetic file on top of whatever the default graph ships (ontology, data).
        base = [str(p) for p in _default_files()]
        return open_graph("oxigraph", [f for f in files if f not in base], include_default=bool(base))
    if engine == "pyoxigraph":
        import pyoxigraph as ox

        store = ox.Store()
        for f in files:
            store.bulk_load(path=f)
        return store
    if engine == "rdflib":
        from rdflib import Graph

        g = Graph()
        for f in files:
            g.parse(f)
        return g
    raise ValueError(f"unknown engine {engine!r}")


def _preload(engine: str) -> None:
    """Import what an engine needs before the clock starts: the load times compare loads."""
    import pyoxigraph  # noqa: F401
    import rdflib  # noqa: F401

    if engine == "project":
        import oxrdflib  # noqa: F401

        import graph.load  # noqa: F401
        import graph.network  # noqa: F401
        import graph.sparql  # noqa: F401
        import graph.store  # noqa: F401


def _apply_rules_ox(store: Any) -> None:
    from graph.load import as_insert

    for rule in paths.rule_files():
        text = rule.read_text(encoding="utf-8")
        update = as_insert(text)
        if update is None:
            raise ValueError(f"{rule.name}: not a plain CONSTRUCT rule")
        store.update(update)


def _add_derived_rdflib(g: Any, files: list[str]) -> int:
    """Add to rdflib graph ``g`` what the rules derive from ``files`` (run by Oxigraph)."""
    import pyoxigraph as ox

    from graph.terms import from_ox

    store = ox.Store()
    for f in files:
        store.bulk_load(path=f)
    before = len(g)
    for rule in paths.rule_files():
        text = rule.read_text(encoding="utf-8")
        derived: list[Any] = list(store.query(text))  # type: ignore[arg-type]
        store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in derived)
        for t in derived:
            g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
    return int(len(g) - before)


def _default_files() -> list[Path]:
    """The shipped ontology and data when they exist (they are loaded by every engine)."""
    from graph.load import default_files

    return [p for p in default_files() if p.exists()]


def _ox_term(value: str) -> Any:
    from oxrdflib._converter import to_ox

    from graph.sparql import parse_term

    return to_ox(parse_term(value))


def _project_limits(user: bool) -> Any:
    """The limits of the app's own queries (in-process, none), or of a user's query
    (the defaults: a killable worker process), with the row cap lifted to compare like with like."""
    try:
        from graph.limits import UNLIMITED, QueryLimits
    except ImportError:  # an older graph.sparql
        from graph.sparql import DEFAULT_LIMITS

        return dataclasses.replace(DEFAULT_LIMITS, max_rows=10**9)
    if not user:
        return UNLIMITED
    return dataclasses.replace(QueryLimits.from_env(), max_rows=None, timeout_s=600.0)


def _query_runner(engine: str, handle: Any, q: BenchQuery) -> Callable[[], int]:
    if engine in ("project", "project_user"):
        from graph.sparql import run_query

        limits = _project_limits(user=engine == "project_user")
        query: str | Path = q.text
        if engine == "project" and Path(q.source).is_file() and q.group in ("app", "cq"):
            query = Path(q.source)

        def run_project() -> int:
            return len(run_query(handle, query, q.bindings or None, limits=limits))

        return run_project
    if engine == "pyoxigraph":
        import pyoxigraph as ox

        subs = {ox.Variable(k): _ox_term(v) for k, v in q.bindings.items()}
        text = q.text
        if subs:
            try:
                handle.query(text, substitutions=subs)
            except RuntimeError:
                # Oxigraph substitutes only projected variables: bind the others with VALUES,
                # as the project does.
                from graph.sparql import inject_values, parse_term

                text = inject_values(text, {k: parse_term(v) for k, v in q.bindings.items()})
                subs = {}

        def run_ox() -> int:
            res: Any = handle.query(text, substitutions=subs or None)
            if isinstance(res, ox.QueryBoolean):
                return 1
            return len([tuple(row) for row in res])

        return run_ox
    from rdflib.term import Variable

    from graph.sparql import parse_term

    init = {Variable(k): parse_term(v) for k, v in q.bindings.items()}

    def run_rdflib() -> int:
        res = handle.query(q.text, initBindings=init)
        if res.type == "ASK":
            return 1
        return len(list(res))

    return run_rdflib


def _probe(fn: Callable[[], int], timeout_s: float) -> tuple[float, int]:
    """Run ``fn`` once in a forked child and return its time and row count.

    Oxigraph cannot be interrupted from Python while it evaluates a query (a signal
    waits until the query returns), so the first run of every query happens in a
    child process that is killed when ``timeout_s`` passes (:class:`_Timeout`). The
    child shares the loaded store copy-on-write: nothing is reloaded.
    """
    if not hasattr(os, "fork"):  # pragma: no cover - Windows: in-process, alarm-bounded
        with _alarm(timeout_s):
            t0 = time.perf_counter()
            n = fn()
            return time.perf_counter() - t0, n
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, exit without cleanup
        code = 0
        try:
            os.close(read_fd)
            t0 = time.perf_counter()
            n = fn()
            payload = json.dumps({"elapsed": time.perf_counter() - t0, "rows": n})
        except BaseException as err:  # noqa: BLE001 - everything must reach the parent
            payload = json.dumps({"error": f"{type(err).__name__}: {err}"[:300]})
        try:
            os.write(write_fd, payload.encode("utf-8"))
        except OSError:
            code = 1
        os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        import select

        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                raise _Timeout()
            ready, _, _ = select.select([read_fd], [], [], left)
            if ready:
                chunk = os.read(read_fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)
    data = json.loads(b"".join(chunks) or b'{"error": "the worker died"}')
    if "error" in data:
        raise RuntimeError(data["error"])
    return float(data["elapsed"]), int(data["rows"])


def _time_queries(fns: dict[str, Callable[[], int]], cfg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Median and p95 of repeated runs of one query on each engine of ``fns``, interleaved.

    The first run on each engine is a probe in a killable child (:func:`_probe`): past
    ``query_timeout_s`` the query is recorded as a timeout. The probe is not a sample: a
    forked child pays copy-on-write faults on every Python object it touches (the
    project's term conversion does, Oxigraph's own evaluation hardly does), so its time
    would weigh the engines unevenly. A query whose probe took half ``query_timeout_s``
    or more then runs once in-process (every engine alike); the others run
    in-process in rounds, one run of each engine a round, the order turned every round,
    at least 3 rounds (or ``max_reps``, if fewer) and up to ``max_reps`` while the budget
    lasts for the slowest of them. Engines compared this way share the same moments of
    the machine: on shared cores a peer timed minutes apart differs by more than the
    engines do. The probe's time is kept as ``probe_s``.
    """
    budget, max_reps = cfg["query_budget_s"], cfg["max_reps"]
    out: dict[str, dict[str, Any]] = {}
    times: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    probes: dict[str, float] = {}
    limit: dict[str, int] = {}

    def failed(name: str, err: BaseException) -> None:
        reps = len(times.get(name, []))
        if isinstance(err, _Timeout):
            out[name] = {"error": f"timeout after {cfg['query_timeout_s']:.0f} s", "reps": reps}
        else:
            out[name] = {"error": f"{type(err).__name__}: {err}"[:300].replace("RuntimeError: ", "", 1), "reps": reps}
        times.pop(name, None)

    for name, fn in fns.items():
        try:
            probes[name], rows[name] = _probe(fn, cfg["query_timeout_s"])
        except Exception as err:  # noqa: BLE001 - a failing query is recorded, not fatal
            failed(name, err)
            continue
        if max_reps <= 1:
            out[name] = _summary([probes[name]], rows[name], probes[name])
        else:
            times[name] = []
            # a long query (its probe took half the time limit or more) runs once more,
            # in-process like the others: the probe showed it ends within the limit
            limit[name] = 1 if probes[name] >= cfg["query_timeout_s"] / 2 else max_reps
    rounds = 0
    while rounds < max_reps:
        active = [n for n in times if len(times[n]) < limit[n]]  # a failed engine left times
        if not active or (rounds >= 3 and max(sum(times[n]) for n in active) >= budget):
            break
        for name in active if rounds % 2 == 0 else active[::-1]:
            try:
                with _alarm(cfg["query_timeout_s"]):
                    t0 = time.perf_counter()
                    rows[name] = fns[name]()
                    times[name].append(time.perf_counter() - t0)
            except Exception as err:  # noqa: BLE001 - recorded, not fatal
                failed(name, err)
        rounds += 1
    for name, ts in times.items():
        out[name] = _summary(ts, rows[name], probes[name])
    return {name: out[name] for name in fns}


def _summary(times: list[float], rows: int, probe: float) -> dict[str, Any]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, max(0, -(-95 * len(times) // 100) - 1))]
    return {"median_s": statistics.median(times), "p95_s": p95, "reps": len(times), "rows": rows, "probe_s": probe}


def _run_analytics(g: Any) -> dict[str, Any]:
    """The analytics suite (:func:`graph.analytics.analyze`, every measure) with its timings."""
    try:
        from graph.analytics import analyze
    except ImportError:
        return {}
    t0 = time.perf_counter()
    try:
        result = analyze(g, seed=0)
    except Exception as err:  # noqa: BLE001 - recorded, not fatal
        return {"error": f"{type(err).__name__}: {err}"[:300]}
    total = time.perf_counter() - t0
    timings = {str(k): float(v) for k, v in getattr(result, "timings", {}).items()}
    return {"total_s": total, "timings": timings}


def _render_graph(g: Any, n: int) -> Any:
    """A connected view of about ``n`` nodes: breadth-first from the biggest hub."""
    import networkx as nx

    und = g.to_undirected(as_view=True)
    if g.number_of_nodes() == 0:
        return g
    hub = max(und.degree, key=lambda kv: kv[1])[0]
    keep: list[Any] = [hub, *(v for _, v in nx.bfs_edges(und, hub))][:n]
    if len(keep) < n:
        chosen = set(keep)
        keep += [v for v in g.nodes if v not in chosen][: n - len(keep)]
    h = g.subgraph(keep).copy()
    for _node, data in h.nodes(data=True):
        data["title"] = f"{data.get('label', '')} ({data.get('type', '')})"
        data["group"] = data.get("type")
    for _, _, data in h.edges(data=True):
        data["title"] = data.get("relation")
    return h


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one engine on one set of files: load, then what ``spec["tasks"]`` asks for."""
    engine: str = spec["engine"]
    _preload(engine)
    out: dict[str, Any] = {"engine": engine, "rss_start_mb": _peak_rss_mb()}
    t0 = time.perf_counter()
    handle = _load_files(engine, spec["files"])
    out["load_s"] = time.perf_counter() - t0
    if engine == "pyoxigraph":
        # The same derivation rules the project runs, as updates inside Oxigraph: the
        # queries then see the same triples on both, and load + rules is like for like.
        t1 = time.perf_counter()
        _apply_rules_ox(handle)
        out["rules_s"] = time.perf_counter() - t1
    out["peak_rss_mb"] = _peak_rss_mb()
    if engine == "rdflib":
        # rdflib has no rules of its own: add the triples the project's rules derive
        # (computed by Oxigraph, not timed), so that every engine answers over the same
        # triples and the query times compare like with like.
        t1 = time.perf_counter()
        out["derived_added"] = _add_derived_rdflib(handle, spec["files"])
        out["derive_s"] = time.perf_counter() - t1
    if engine == "project":
        out["triples"] = handle.count_triples()
    elif engine == "pyoxigraph":
        out["triples"] = len(handle)
    else:
        out["triples"] = len(handle)
    if "queries" in spec["tasks"]:
        modes = [(engine, "queries")] + ([("project_user", "queries_user")] if engine == "project" else [])
        peer_results: dict[str, Any] = {}
        for mode, key in modes:
            skip = spec.get("skip", {}).get(mode, {})
            results: dict[str, Any] = {}
            budget = spec.get("suite_budget_s") or float("inf")
            started = time.perf_counter()
            for qd in spec["queries"]:
                q = BenchQuery(**qd)
                if q.name in skip:
                    results[q.name] = {"error": skip[q.name], "reps": 0}
                    continue
                first = out.get("queries", {}).get(q.name, {}) if mode == "project_user" else {}
                if "timeout" in first.get("error", ""):
                    # The same query in-process already ran out of time: no need to wait again.
                    results[q.name] = {"error": "skipped: timeout in-process", "reps": 0}
                    continue
                if first.get("median_s", 0.0) > spec["query_cfg"]["query_budget_s"]:
                    # The user path adds a steady overhead (a forked worker, the answer
                    # pickled back), measured on the faster queries; a query that already
                    # takes over the budget in-process would only repeat its time here.
                    results[q.name] = {"error": f"skipped: {first['median_s']:.1f} s in-process", "reps": 0}
                    continue
                if time.perf_counter() - started > budget:
                    results[q.name] = {"error": f"skipped: suite budget of {budget:.0f} s spent", "reps": 0}
                    continue
                cfg = spec["query_cfg"]
                if mode == "project_user":
                    # The forked worker's overhead is steady: three runs tell it.
                    cfg = {**cfg, "max_reps": min(3, cfg["max_reps"])}
                runners = {mode: _query_runner(mode, handle, q)}
                peer_skip = spec.get("skip", {}).get("pyoxigraph", {})
                if mode == "project" and getattr(handle, "ox", None) is not None and q.name not in peer_skip:
                    # The peer: the same query on pyoxigraph directly, over the very store the
                    # project loaded (the same triples), its runs taking turns with the
                    # project's so that both meet the same moments of a shared machine.
                    runners["pyoxigraph"] = _query_runner("pyoxigraph", handle.ox, q)
                timed = _time_queries(runners, cfg)
                results[q.name] = timed[mode]
                if "pyoxigraph" in timed:
                    peer_results[q.name] = timed["pyoxigraph"]
                elif q.name in peer_skip:
                    peer_results[q.name] = {"error": peer_skip[q.name], "reps": 0}
            out[key] = results
        if peer_results:
            out["queries_peer"] = peer_results
    if engine == "project" and "network" in spec["tasks"]:
        out.update(_network_tasks(handle, spec))
    out["peak_rss_end_mb"] = _peak_rss_mb()
    return out


def _network_tasks(kg: Any, spec: dict[str, Any]) -> dict[str, Any]:
    from graph.network import project

    out: dict[str, Any] = {}
    times = []
    g: Any = None
    for _ in range(3):  # the median of three, like the queries; the first (cold) is kept too
        g = None  # freeing the previous graph is not part of the next projection
        t0 = time.perf_counter()
        g = project(kg)
        times.append(time.perf_counter() - t0)
    out["projection"] = {
        "time_s": statistics.median(times),
        "first_s": times[0],
        "times_s": times,
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
    }
    out["analytics"] = _run_analytics(g)
    if spec.get("render"):
        from graph.render import render_html

        renders: dict[str, Any] = {}
        last: tuple[int, float] | None = None
        for n in spec["render_sizes"]:
            if last is not None and last[1] * (n / last[0]) ** 2 > spec.get("render_max_s", 120.0):
                estimate = last[1] * (n / last[0]) ** 2
                renders[str(n)] = {"skipped": f"estimated {estimate:.0f} s from {last[0]} nodes (quadratic)"}
                continue
            h = _render_graph(g, n)
            t0 = time.perf_counter()
            html = render_html(h)
            renders[str(n)] = {
                "time_s": time.perf_counter() - t0,
                "nodes": h.number_of_nodes(),
                "edges": h.number_of_edges(),
                "bytes": len(html.encode("utf-8")),
            }
            last = (h.number_of_nodes(), renders[str(n)]["time_s"])
        out["render"] = renders
    return out


def run_worker(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Run :func:`worker` in a fresh Python process; its result, or an ``error`` entry."""
    with tempfile.TemporaryDirectory(prefix="ag-bench-") as tmp:
        spec_file, result_file = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        cmd = [sys.executable, "-m", "bench.harness", str(spec_file), str(result_file)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return {"engine": spec["engine"], "error": f"worker timed out after {timeout_s:.0f} s"}
        if proc.returncode != 0 or not result_file.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {"engine": spec["engine"], "error": f"worker exit {proc.returncode}: {' | '.join(tail)}"}
        result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
        return result


# --- the app, in the real browser -----------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the explorer exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


#: Every drawn graph on the page, as ``{"key": ...}``: the explorer's graph component
#: (``.ag-graph`` in a shadow root, ``data-ready="1"`` once vis-network has drawn, a
#: ``data-key`` per view, with its node count and, once drawn, vis-network's drawing time
#: in ms), or any iframe holding a drawn canvas.
_DRAWN_JS = """() => {
  const out = [];
  for (const h of document.querySelectorAll('[data-testid=stBidiComponentIsolated]')) {
    const r = h.shadowRoot && h.shadowRoot.querySelector('.ag-graph');
    if (r && r.dataset.ready === '1') out.push({
      key: 'ag:' + (r.dataset.key || ''), nodes: Number(r.dataset.nodes),
      drawMs: r.dataset.drawMs ? Number(r.dataset.drawMs) : null,
    });
  }
  for (const f of document.querySelectorAll('iframe')) {
    let d = null;
    try { d = f.contentDocument; } catch (e) { d = null; }
    const c = d && d.querySelector('canvas');
    if (c && c.width > 0) out.push({key: 'frame:' + (f.srcdoc || '').length + ':' + (f.srcdoc || '').slice(-300)});
  }
  return out;
}"""


def _drawn(page: Any) -> list[dict[str, Any]]:
    try:
        drawn: list[dict[str, Any]] = page.evaluate(_DRAWN_JS)
    except Exception:  # noqa: BLE001 - the page may be navigating
        return []
    return drawn


def _drawn_keys(page: Any) -> set[str]:
    return {d["key"] for d in _drawn(page)}


def _wait_drawn(page: Any, timeout: float, differs_from: set[str] | None = None) -> bool:
    """Wait until a graph is drawn (a new one, when ``differs_from`` holds the old keys)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keys = _drawn_keys(page)
        if keys and (differs_from is None or keys - differs_from):
            return True
        time.sleep(0.02)
    return False


def measure_app(
    data_file: Path | None, timeout: float = 180.0, log: Path | None = None, restart: bool = True
) -> dict[str, Any]:
    """Start the explorer like a user (``python -m graph explore``), open it in headless Chromium.

    The first start has an empty disk cache (:mod:`graph.diskcache`, in a fresh folder): it
    returns the seconds from starting the server to the first drawn graph (``cold_s``), from
    opening the page to the drawn graph (``page_s``), and from ticking the first filter in
    the sidebar to the redrawn graph (``filter_s``). Then the explorer is started again on
    the same files, as an analyst does the next day: ``restart_s`` and ``restart_page_s``,
    with the network and its layout read back from the cache (``restart=False``: not).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright is not installed"}
    if not Path(CHROMIUM).exists():
        return {"error": f"no Chromium at {CHROMIUM}"}
    env = dict(os.environ)
    env.pop("ALLIANCE_GRAPH_DATA", None)
    if data_file is not None:
        env["ALLIANCE_GRAPH_DATA"] = str(Path(data_file).resolve())
    cache = tempfile.mkdtemp(prefix="alliance-graph-bench-cache-")
    env["ALLIANCE_GRAPH_CACHE"] = cache
    out: dict[str, Any] = {"data": str(data_file) if data_file else "shipped"}
    try:
        with sync_playwright() as p:
            with _explorer(p, env, timeout, log) as (first, page):
                out.update(first)
                if "error" in first:
                    if log is not None and page is not None:
                        page.screenshot(path=str(log.with_suffix(".png")), full_page=True)
                    return out
                out.update(_filter_change(page, timeout))
                if data_file is not None:
                    out.update(_big_view(page, timeout))
            if restart:
                with _explorer(p, env, timeout, None) as (again, _):
                    if "error" in again:
                        out.update({f"restart_{k}": v for k, v in again.items()})
                    else:
                        out["restart_s"], out["restart_page_s"] = again["cold_s"], again["page_s"]
    except Exception as err:  # noqa: BLE001 - recorded in the report
        out["error"] = f"{type(err).__name__}: {err}"[:300]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


@contextmanager
def _explorer(p: Any, env: dict[str, str], timeout: float, log: Path | None) -> Iterator[tuple[dict[str, Any], Any]]:
    """Start a server, open its page in a new browser and wait for the first drawn graph.

    Yields ``server_s``, ``cold_s`` and ``page_s`` (or ``error``) with the page; stops the
    browser and the server on leaving."""
    port = _free_port()
    log_f = log.open("wb") if log else subprocess.DEVNULL
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph", "explore", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=REPO_DIR, stdout=log_f, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    browser = page = None
    out: dict[str, Any] = {}
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            _wait_http(url + "/_stcore/health", proc, timeout)
            out["server_s"] = time.monotonic() - t0
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            t1 = time.monotonic()
            page.goto(url, wait_until="domcontentloaded")
            if _wait_drawn(page, timeout):
                now = time.monotonic()
                out["cold_s"], out["page_s"] = now - t0, now - t1
            else:
                out["error"] = "no graph was drawn"
                out["page_text"] = page.inner_text("body")[:300]
        except Exception as err:  # noqa: BLE001 - recorded in the report
            out["error"] = f"{type(err).__name__}: {err}"[:300]
        yield out, page
    finally:
        try:
            if browser is not None:
                browser.close()
        finally:
            _stop_group(proc)
            if hasattr(log_f, "close"):
                log_f.close()


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the explorer and the Streamlit server it started (its whole process group)."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            time.sleep(0.2)
        except subprocess.TimeoutExpired:
            continue
    # The group may outlive its leader for a moment: make sure nothing is left.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _filter_change(page: Any, timeout: float) -> dict[str, Any]:
    """Tick the "As of a date" filter (or the first checkbox of the sidebar) and time the redraw."""
    box = page.get_by_text("As of a date", exact=True)
    if box.count() == 0:
        box = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"] label').first
    if box.count() == 0:
        return {"filter_error": "no filter checkbox in the sidebar"}
    before = _drawn_keys(page)
    label = box.first.inner_text().strip()
    t0 = time.monotonic()
    box.first.click()
    if not _wait_drawn(page, min(timeout, 60.0), differs_from=before):
        return {"filter_error": f"no redraw after ticking {label!r}", "filter": label}
    return {"filter_s": time.monotonic() - t0, "filter": label}


def _big_view(page: Any, timeout: float, nodes: int = 2000) -> dict[str, Any]:
    """Raise the whole-network limit to ``nodes`` and time the redraw: from the change to
    the new view drawn, and vis-network's own drawing of it in the browser."""
    box = page.get_by_label("Most entities in the whole network", exact=True)
    if box.count() == 0:
        return {"big_view_error": "no whole-network limit in the sidebar"}
    before = _drawn_keys(page)
    t0 = time.monotonic()
    box.fill(str(nodes))
    box.press("Enter")
    deadline = time.monotonic() + min(timeout, 60.0)
    while time.monotonic() < deadline:
        now = next((d for d in _drawn(page) if d["key"].startswith("ag:") and d.get("drawMs") is not None), None)
        if now and now["key"] not in before:
            return {"big_view_s": time.monotonic() - t0, "big_view_nodes": now["nodes"],
                    "big_view_draw_s": now["drawMs"] / 1000}  # fmt: skip
        time.sleep(0.02)
    return {"big_view_error": f"no redraw with {nodes} entities"}


# --- the run --------------------------------------------------------------------------


def _query_cfg(cfg: BenchConfig) -> dict[str, Any]:
    return {
        "max_reps": cfg.max_reps,
        "query_budget_s": cfg.query_budget_s,
        "query_timeout_s": cfg.query_timeout_s,
    }


def _machine() -> dict[str, Any]:
    import networkx
    import pyoxigraph
    import rdflib

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "pyoxigraph": pyoxigraph.__version__,
        "rdflib": rdflib.__version__,
        "networkx": networkx.__version__,
    }


def free_memory_mb() -> float:
    """MemAvailable from /proc/meminfo (Linux); -1 elsewhere."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return -1.0


def swap_used_mb() -> float:
    try:
        info = {
            line.split(":")[0]: int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
        }
        return (info.get("SwapTotal", 0) - info.get("SwapFree", 0)) / 1024.0
    except (OSError, ValueError, IndexError):
        return -1.0


def run_bench(cfg: BenchConfig, progress: Callable[[str], None] = lambda m: None) -> dict[str, Any]:
    """Run everything ``cfg`` asks for and return the results (also the JSON's content)."""
    started = time.monotonic()
    suite = query_suite()
    report: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": _machine(),
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(cfg).items()},
            "queries": {q.name: {"group": q.group, "source": q.source, "bindings": q.bindings} for q in suite},
            "default_files": [str(p) for p in _default_files()],
            "min_free_memory_mb": free_memory_mb(),
            "max_swap_used_mb": swap_used_mb(),
        },
        "sizes": {},
    }
    base = [str(p) for p in _default_files()]
    previous: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
    if cfg.plan_from is not None:
        previous = _previous_from(json.loads(Path(cfg.plan_from).read_text(encoding="utf-8")))
    render_size = max([s for s in cfg.sizes if s <= 1_000_000] or [min(cfg.sizes)]) if cfg.render else None
    for size in cfg.sizes:
        name = size_name(size)
        progress(f"[{name}] writing the synthetic graph")
        t0 = time.perf_counter()
        files = synthetic_files(size, cfg.data_dir, seed=cfg.seed)
        entry: dict[str, Any] = {
            "triples_in_file": files.triples,
            "generate_s": time.perf_counter() - t0,
            "files": {"nt": str(files.nt), "ttl": str(files.ttl)},
            "load": {},
            "queries": {},
        }
        engines = [e for e in ENGINES if e != "rdflib" or size <= cfg.rdflib_max_size]
        formats = ["nt", "ttl"] if cfg.turtle else ["nt"]
        for fmt in formats:
            path = str(files.nt if fmt == "nt" else files.ttl)
            for engine in engines:
                if fmt == "ttl" and engine == "rdflib" and size > cfg.rdflib_turtle_max_size:
                    continue
                tasks = ["load"]
                if fmt == "nt":
                    if engine != "pyoxigraph":
                        # pyoxigraph's queries are timed in the project's worker, on the same
                        # store, taking turns with the project's (see _time_queries)
                        tasks.append("queries")
                    if engine == "project":
                        tasks.append("network")
                progress(f"[{name}] {engine}: {', '.join(tasks)} ({fmt})")
                spec = {
                    "engine": engine,
                    "files": [*base, path],
                    "tasks": tasks,
                    "queries": [dataclasses.asdict(q) for q in suite],
                    "query_cfg": _query_cfg(cfg),
                    "skip": {
                        mode: _plan_skips(previous.get(mode, {}), size, cfg.query_timeout_s)
                        for mode in ([engine, "project_user", "pyoxigraph"] if engine == "project" else [engine])
                    },
                    "suite_budget_s": cfg.rdflib_query_budget_s if engine == "rdflib" else None,
                    "render": engine == "project" and size == render_size,
                    "render_sizes": list(cfg.render_sizes),
                }
                t_worker = time.monotonic()
                res = run_worker(spec, cfg.worker_timeout_s)
                entry.setdefault("worker_s", {})[f"{engine}-{fmt}"] = round(time.monotonic() - t_worker, 1)
                _watch_memory(report)
                entry["load"].setdefault(fmt, {})[engine] = {
                    k: res.get(k) for k in ("load_s", "rules_s", "peak_rss_mb", "rss_start_mb", "triples", "error")
                    if res.get(k) is not None
                }  # fmt: skip
                for key, mode in (("queries", engine), ("queries_user", "project_user"), ("queries_peer", "pyoxigraph")):
                    for qname, qres in res.get(key, {}).items():
                        entry["queries"].setdefault(qname, {})[mode] = qres
                        previous.setdefault(mode, {})[qname] = (size, qres)
                for key in ("projection", "analytics"):
                    if key in res:
                        entry[key] = res[key]
                if "render" in res:
                    report["render"] = {"from_size": name, **res["render"]}
        report["sizes"][name] = entry
        if cfg.out_dir:
            # Keep what is done so far: a long run that is stopped still leaves its figures.
            cfg.out_dir.mkdir(parents=True, exist_ok=True)
            partial = cfg.out_dir / "partial.json"
            partial.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    if cfg.browser:
        report["app"] = {}
        for label, data in (("shipped", None), (size_name(cfg.app_size), "app")):
            progress(f"[app] {label}: cold start and a filter change in Chromium")
            data_file = None
            if data == "app":
                data_file = synthetic_files(cfg.app_size, cfg.data_dir, seed=cfg.seed).nt
            cfg.out_dir.mkdir(parents=True, exist_ok=True)
            # the restart (disk cache filled) only where the target is: 100k
            report["app"][label] = measure_app(
                data_file, log=cfg.out_dir / f"app-{label}.log", restart=data_file is not None
            )
            _watch_memory(report)
    report["meta"]["elapsed_s"] = time.monotonic() - started
    return report


def _previous_from(report: dict[str, Any]) -> dict[str, dict[str, tuple[int, dict[str, Any]]]]:
    """Per engine and query, the result at the largest size of an earlier report."""
    sizes = report.get("sizes", {})
    if not sizes:
        return {}
    name = max(sizes, key=parse_size)
    out: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
    for qname, engines in sizes[name].get("queries", {}).items():
        for engine, res in engines.items():
            out.setdefault(engine, {})[qname] = (parse_size(name), res)
    return out


def _plan_skips(
    previous: dict[str, tuple[int, dict[str, Any]]], size: int, timeout_s: float
) -> dict[str, str]:
    """Queries not worth running at ``size``: they timed out on a smaller graph, or their
    time there, scaled linearly, already passes the time limit."""
    skip = {}
    for qname, (prev_size, res) in previous.items():
        err = res.get("error", "")
        if "timeout" in err or ("skipped" in err and "budget" not in err):
            skip[qname] = f"skipped: over {timeout_s:.0f} s on {size_name(prev_size)} already"
        elif res.get("median_s") is not None:
            estimate = res["median_s"] * size / prev_size
            if estimate > timeout_s:
                skip[qname] = f"skipped: estimated {estimate:.0f} s from {size_name(prev_size)}"
    return skip


def _watch_memory(report: dict[str, Any]) -> None:
    meta = report["meta"]
    meta["min_free_memory_mb"] = min(meta["min_free_memory_mb"], free_memory_mb())
    meta["max_swap_used_mb"] = max(meta["max_swap_used_mb"], swap_used_mb())


# --- the table ------------------------------------------------------------------------


def _fmt_s(v: float | None) -> str:
    if v is None:
        return "-"
    if v < 0.01:
        return f"{v * 1000:.2f} ms"
    if v < 1:
        return f"{v * 1000:.0f} ms"
    return f"{v:.2f} s"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "-"
    return f"{a / b:.2f}x"


def _row(what: str, size: str, project: str = "", user: str = "", ox: str = "", rdf: str = "",
         r_ox: str = "", r_rdf: str = "", r_user: str = "", check: str = "") -> list[str]:
    return [what, size, project, user, ox, rdf, r_ox, r_rdf, r_user, check]


def _cell(e: dict[str, Any]) -> str:
    if "error" in e:
        for word in ("skipped", "timeout"):
            if word in e["error"]:
                return word
        return "error"
    if e.get("median_s") is None:
        return "-"
    return f"{_fmt_s(e['median_s'])} / {_fmt_s(e['p95_s'])}"


def _load_rows(name: str, entry: dict[str, Any]) -> list[list[str]]:
    rows = []
    for fmt, engines in entry.get("load", {}).items():
        p, o, r = (engines.get(e, {}) for e in ENGINES)
        triples = p.get("triples") or entry["triples_in_file"]
        rows.append(_row(
            f"load {fmt}: parse ({entry['triples_in_file']:,} triples in the file)", name,
            _fmt_s(p.get("load_s")), "", _fmt_s(o.get("load_s")), _fmt_s(r.get("load_s")),
            _ratio(p.get("load_s"), o.get("load_s")), _ratio(p.get("load_s"), r.get("load_s")),
        ))  # fmt: skip
        if o.get("rules_s") is not None:
            both = o["load_s"] + o["rules_s"]
            check = ""
            if fmt == "nt" and name == "1M":
                check = "ok" if (p.get("load_s") or 1e9) <= TARGETS["load_ratio"] * both else "MISS"
            rows.append(_row(
                f"  load {fmt} + rules ({triples:,} triples)", name, _fmt_s(p.get("load_s")), "",
                _fmt_s(both), "", _ratio(p.get("load_s"), both), "", check=check,
            ))  # fmt: skip
        mem = [f"{e['peak_rss_mb']:.0f}" if e.get("peak_rss_mb") else "-" for e in (p, o, r)]
        check = ""
        if fmt == "nt" and name == "1M":
            check = "ok" if (p.get("peak_rss_mb") or 1e9) < TARGETS["load_peak_mb"] else "MISS"
        rows.append(_row(
            f"  peak memory {fmt} (MB)", name, mem[0], "", mem[1], mem[2],
            _ratio(p.get("peak_rss_mb"), o.get("peak_rss_mb")),
            _ratio(p.get("peak_rss_mb"), r.get("peak_rss_mb")), "", check,
        ))  # fmt: skip
    return rows


def _query_rows(name: str, entry: dict[str, Any]) -> list[list[str]]:
    rows = []
    for qname, engines in entry.get("queries", {}).items():
        p, o, r = (engines.get(e, {}) for e in ENGINES)
        u = engines.get("project_user", {})
        check = ""
        if name == "1M" and p.get("median_s") is not None:
            ok = p["median_s"] < TARGETS["query_max_s"] and (
                o.get("median_s") is None or p["median_s"] <= TARGETS["query_ratio"] * o["median_s"]
            )
            check = "ok" if ok else "MISS"
        if "error" in p:
            check = "ERROR"
        rows.append(_row(
            f"query {qname} ({p.get('rows', '?')} rows)", name, _cell(p), _cell(u), _cell(o), _cell(r),
            _ratio(p.get("median_s"), o.get("median_s")), _ratio(p.get("median_s"), r.get("median_s")),
            _ratio(u.get("median_s"), o.get("median_s")), check,
        ))  # fmt: skip
    return rows


def _network_rows(name: str, entry: dict[str, Any]) -> list[list[str]]:
    rows = []
    proj = entry.get("projection")
    if proj:
        check = ("ok" if proj["time_s"] < TARGETS["projection_s"] else "MISS") if name == "1M" else ""
        what = f"projection ({proj['nodes']:,} nodes, {proj['edges']:,} edges)"
        if "first_s" in proj:
            what += f", median of 3, first {_fmt_s(proj['first_s'])}"
        rows.append(_row(what, name, _fmt_s(proj["time_s"]), check=check))
    an = entry.get("analytics") or {}
    if "error" in an:
        rows.append(_row(f"analytics: {an['error'][:70]}", name, "error", check="ERROR"))
    for mname, t in (an.get("timings") or {}).items():
        rows.append(_row(f"  analytics {mname}", name, _fmt_s(t)))
    if "total_s" in an:
        check = ("ok" if an["total_s"] < TARGETS["analytics_s"] else "MISS") if name == "1M" else ""
        rows.append(_row("  analytics suite total", name, _fmt_s(an["total_s"]), check=check))
    return rows


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    """Rows of the table (see :data:`HEADER`); query cells are ``median / p95``."""
    rows: list[list[str]] = []
    for name, entry in report.get("sizes", {}).items():
        rows += _load_rows(name, entry)
        rows += _query_rows(name, entry)
        rows += _network_rows(name, entry)
    render = report.get("render") or {}
    for n, r in render.items():
        if n.isdigit() and "skipped" in r:
            rows.append(_row(f"render {int(n):,} nodes: {r['skipped']}", str(render.get("from_size", "")), "skipped"))
        elif n.isdigit():
            check = ("ok" if r["time_s"] < TARGETS["render_2000_s"] else "MISS") if n == "2000" else ""
            what = f"render {r['nodes']:,} nodes, {r['edges']:,} edges ({r['bytes'] / 1e6:.1f} MB)"
            rows.append(_row(what, str(render.get("from_size", "")), _fmt_s(r["time_s"]), check=check))
    for label, a in (report.get("app") or {}).items():
        at_100k = label == size_name(TARGET_APP_SIZE)
        if "error" in a or "cold_s" not in a:
            rows.append(_row(f"app cold start: {a.get('error', '?')[:70]}", label, "error", check="ERROR"))
            continue
        check = ("ok" if a["cold_s"] < TARGETS["app_cold_s"] else "MISS") if at_100k else ""
        what = f"app cold start to drawn graph (server up {_fmt_s(a.get('server_s'))}, page {_fmt_s(a.get('page_s'))})"
        rows.append(_row(what, label, _fmt_s(a["cold_s"]), check=check))
        if "restart_s" in a:
            what = f"app restart, network and layout from the disk cache (page {_fmt_s(a.get('restart_page_s'))})"
            rows.append(_row(what, label, _fmt_s(a["restart_s"])))
        if "filter_s" in a:
            check = ("ok" if a["filter_s"] < TARGETS["app_filter_s"] else "MISS") if at_100k else ""
            rows.append(_row(f"app filter change ({a.get('filter', '')})", label, _fmt_s(a["filter_s"]), check=check))
        else:
            rows.append(_row(f"app filter change: {a.get('filter_error', '?')[:70]}", label, "-"))
        if "big_view_s" in a:
            check = "ok" if a["big_view_draw_s"] < TARGETS["draw_2000_s"] else "MISS"
            what = (f"app view of {a['big_view_nodes']:,} nodes: drawn by vis-network in "
                    f"{_fmt_s(a['big_view_draw_s'])}, change to drawn")  # fmt: skip
            rows.append(_row(what, label, _fmt_s(a["big_view_s"]), check=check))
        elif "big_view_error" in a:
            rows.append(_row(f"app view of 2,000 nodes: {a['big_view_error'][:60]}", label, "-"))
    return rows


TARGET_APP_SIZE = 100_000
HEADER = [
    "what", "size", "project", "user query", "pyoxigraph", "rdflib Memory",
    "/pyoxigraph", "/rdflib", "user/pyoxigraph", "target",
]  # fmt: skip


def format_table(report: dict[str, Any], markdown: bool = False) -> str:
    """The table as aligned text (or Markdown). Query cells are ``median / p95``."""
    rows = table_rows(report)
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADER)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*HEADER), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*r) for r in rows]
    return "\n".join(out)


def target_summary(report: dict[str, Any], size: str = "1M") -> list[str]:
    """One line per target of the scale issue: the figure reached and ``ok`` or ``MISS``."""
    out: list[str] = []
    entry = report.get("sizes", {}).get(size)

    def line(ok: bool, text: str) -> None:
        out.append(f"[{'ok' if ok else 'MISS'}] {text}")

    if entry:
        nt = entry.get("load", {}).get("nt", {})
        p, o = nt.get("project", {}), nt.get("pyoxigraph", {})
        if p.get("load_s") and o.get("load_s"):
            same = o["load_s"] + o.get("rules_s", 0.0)
            line(p["load_s"] <= TARGETS["load_ratio"] * same,
                 f"load {size}: project {p['load_s']:.2f} s = {p['load_s'] / same:.2f}x pyoxigraph's load + "
                 f"the same rules ({same:.2f} s); {p['load_s'] / o['load_s']:.2f}x its parse alone "
                 f"({o['load_s']:.2f} s)")  # fmt: skip
        if p.get("peak_rss_mb"):
            line(p["peak_rss_mb"] < TARGETS["load_peak_mb"], f"peak memory {size}: {p['peak_rss_mb']:.0f} MB")
        queries = entry.get("queries", {})
        timed = {q: e for q, e in queries.items() if e.get("project", {}).get("median_s") is not None}
        failed = sorted(q for q in queries if q not in timed)
        within = [q for q, e in timed.items() if e.get("pyoxigraph", {}).get("median_s")
                  and e["project"]["median_s"] <= TARGETS["query_ratio"] * e["pyoxigraph"]["median_s"]]  # fmt: skip
        fast = [q for q, e in timed.items() if e["project"]["median_s"] < TARGETS["query_max_s"]]
        line(len(within) == len(queries),
             f"queries {size}: {len(within)} of {len(queries)} within {TARGETS['query_ratio']}x of pyoxigraph")
        slow = sorted(set(timed) - set(fast))
        engine_bound = [q for q in slow if (timed[q].get("pyoxigraph", {}).get("median_s") or 0) >= 0.8]
        line(len(fast) == len(queries),
             f"queries {size}: {len(fast)} of {len(queries)} under {TARGETS['query_max_s']:.0f} s"
             + (f"; over: {', '.join(slow)}" if slow else "")
             + (f" ({len(engine_bound)} of them take 0.8 s or more on pyoxigraph directly: "
                f"{', '.join(engine_bound)})" if engine_bound else "")
             + (f"; not finished: {', '.join(failed)}" if failed else ""))  # fmt: skip
        proj = entry.get("projection")
        if proj:
            first = f" (median of 3; first run {proj['first_s']:.2f} s)" if "first_s" in proj else ""
            line(proj["time_s"] < TARGETS["projection_s"], f"projection {size}: {proj['time_s']:.2f} s{first}")
        an = entry.get("analytics") or {}
        if "total_s" in an:
            line(an["total_s"] < TARGETS["analytics_s"], f"analytics suite {size}: {an['total_s']:.2f} s")
    r2000 = (report.get("render") or {}).get("2000")
    if r2000 and "time_s" in r2000:
        line(r2000["time_s"] < TARGETS["render_2000_s"], f"render 2,000 nodes: {r2000['time_s']:.2f} s")
    app = (report.get("app") or {}).get(size_name(TARGET_APP_SIZE))
    if app:
        if "cold_s" in app:
            line(app["cold_s"] < TARGETS["app_cold_s"], f"app cold start at 100k (empty disk cache): {app['cold_s']:.2f} s")
        if "restart_s" in app:
            line(app["restart_s"] < TARGETS["app_cold_s"],
                 f"app restart at 100k (network and layout from the disk cache): {app['restart_s']:.2f} s")  # fmt: skip
        if "filter_s" in app:
            line(app["filter_s"] < TARGETS["app_filter_s"], f"app filter change at 100k: {app['filter_s']:.2f} s")
        if "big_view_draw_s" in app:
            line(app["big_view_draw_s"] < TARGETS["draw_2000_s"],
                 f"browser draw of {app['big_view_nodes']:,} nodes: {app['big_view_draw_s']:.2f} s "
                 f"(change to drawn {app['big_view_s']:.2f} s)")  # fmt: skip
    return out


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``bench-<date>.json`` and ``.md`` (and ``latest.json``) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    js = out_dir / f"bench-{stamp}.json"
    md = out_dir / f"bench-{stamp}.md"
    text = json.dumps(report, indent=2, default=str)
    js.write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    md.write_text(format_table(report, markdown=True) + "\n", encoding="utf-8")
    return js, md


def _main(argv: list[str]) -> int:
    """Worker entry point: ``python -m bench.harness SPEC.json RESULT.json``."""
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = worker(spec)
    Path(argv[1]).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


def sizes_from_text(text: str) -> list[int]:
    """``"10k,100k,1M"`` → ``[10000, 100000, 1000000]``."""
    return [parse_size(s) for s in text.split(",") if s.strip()]


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
