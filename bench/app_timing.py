"""How fast the explorer is, measured in the real browser (Debian's Chromium, headless).

Run: ``python bench/app_timing.py [--data FILE ...] [--runs N] [--restart]``

For each run a fresh Streamlit server is started (cold: nothing in memory; the disk cache of
the network and its layout, ``graph.diskcache``, in a new empty folder) and timed. With
``--restart`` every run finds that cache filled by an earlier start on the same files, as an
analyst's second start does.

- ``server``: from process start to the health check answering;
- ``cold``: from opening the page to the first graph drawn in the canvas (loading the graph,
  projecting the network, laying it out, rendering and drawing);
- ``filter (new)``: a filter change never seen before (min credibility, relation types,
  as-of date, a focus), from the click to the new graph drawn;
- ``filter (again)``: going back to a view already drawn (served from the cache).

Medians are printed with every sample. Targets: cold < 3 s, filter change < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

KEY_JS = """
() => {
  for (const h of document.querySelectorAll('[data-testid=stBidiComponentIsolated]')) {
    const r = h.shadowRoot && h.shadowRoot.querySelector('.ag-graph');
    if (r && r.dataset.ready === '1') return r.dataset.key + ':' + r.dataset.nodes;
  }
  return null;
}
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, data: list[str], cache: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["ALLIANCE_GRAPH_CACHE"] = cache
    if data:
        env["ALLIANCE_GRAPH_DATA"] = os.pathsep.join(os.path.abspath(d) for d in data)
    return subprocess.Popen(
        [sys.executable, "-m", "graph", "explore", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wait_health(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(url)


def wait_new_graph(page: Any, old: str | None, timeout: float = 60) -> str:
    handle = page.wait_for_function(
        f"() => {{ const k = ({KEY_JS})(); return k && k !== {json.dumps(old)} ? k : null; }}",
        timeout=timeout * 1000,
    )
    return str(handle.json_value())


def fill_cache(data: list[str], cache: str) -> None:
    """Start the explorer once and let it warm up: the disk cache then holds this data's
    network and layout."""
    port = free_port()
    proc = start_server(port, data, cache)
    try:
        wait_health(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(Path(cache).glob("*.pickle"))) < 2:
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def one_run(data: list[str], cache: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    out: dict[str, list[float]] = {"server": [], "cold": [], "filter (new)": [], "filter (again)": []}
    t0 = time.perf_counter()
    proc = start_server(port, data, cache)
    try:
        wait_health(url)
        out["server"].append(time.perf_counter() - t0)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t = time.perf_counter()
            page.goto(url + "/")
            key = wait_new_graph(page, None)
            out["cold"].append(time.perf_counter() - t)

            def change(action: Any, bucket: str) -> None:
                nonlocal key
                t = time.perf_counter()
                action()
                key = wait_new_graph(page, key)
                out[bucket].append(time.perf_counter() - t)

            grade = page.get_by_text("Minimum credibility", exact=True)
            rels = page.get_by_text("Colour by").first  # anchor for scrolling the sidebar
            rels.scroll_into_view_if_needed()
            change(lambda: grade.click(), "filter (new)")  # grade <= 3
            change(lambda: grade.click(), "filter (again)")  # back to the first view (cached)
            colour = page.get_by_text("Community", exact=True).first
            change(lambda: colour.click(), "filter (new)")
            change(lambda: page.get_by_text("Type", exact=True).first.click(), "filter (again)")
            box = page.get_by_label("Search labels and aliases", exact=True)
            for name in ("Canada", "Finland", "NATO"):
                change(lambda name=name: (box.fill(name), box.press("Enter")), "filter (new)")
            change(lambda: (box.fill("Canada"), box.press("Enter")), "filter (again)")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="*", default=[], help="extra data files (default: the shipped graph)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--restart", action="store_true", help="every run finds the disk cache filled")
    args = ap.parse_args()
    totals: dict[str, list[float]] = {}
    kept = tempfile.mkdtemp(prefix="app-timing-cache-")
    if args.restart:
        fill_cache(args.data, kept)
    for i in range(args.runs):
        cache = kept if args.restart else tempfile.mkdtemp(prefix="app-timing-cache-")
        try:
            r = one_run(args.data, cache)
        finally:
            if cache != kept:
                shutil.rmtree(cache, ignore_errors=True)
        for k, v in r.items():
            totals.setdefault(k, []).extend(v)
        print(f"run {i + 1}: " + ", ".join(f"{k} {statistics.median(v):.2f}s" for k, v in r.items() if v), flush=True)
    shutil.rmtree(kept, ignore_errors=True)
    print(f"\nmedians over all runs ({'restart: disk cache filled' if args.restart else 'disk cache empty'}; samples in seconds):")
    for k, v in totals.items():
        print(f"  {k:15} median {statistics.median(v):.2f}s  max {max(v):.2f}s  n={len(v)}  "
              f"[{', '.join(f'{x:.2f}' for x in v)}]")  # fmt: skip


if __name__ == "__main__":
    main()
