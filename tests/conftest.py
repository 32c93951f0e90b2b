"""Shared fixtures: loaded graphs, free ports, the real Chromium, a running explorer.

``ALLIANCE_GRAPH_REQUIRE_ALL=1`` (set by ``.ci/run``) turns a missing browser or
server tool into a test failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.store import KnowledgeGraph, open_graph

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
REQUIRE_ALL = os.environ.get("ALLIANCE_GRAPH_REQUIRE_ALL") == "1"

# Derived data the explorer keeps on disk (graph.diskcache) goes to a folder of this test
# session's, never the user's ~/.cache, and every session starts with it empty.
_CACHE_DIR = tempfile.mkdtemp(prefix="alliance-graph-test-cache-")
os.environ["ALLIANCE_GRAPH_CACHE"] = _CACHE_DIR


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


def require(condition: bool, reason: str) -> None:
    """Skip when a tool is missing, or fail in CI where everything must run."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required for CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    """The shipped graph on the default (Oxigraph) store. Read-only: do not mutate."""
    return open_graph()


@pytest.fixture(scope="session")
def kg_memory() -> KnowledgeGraph:
    """The shipped graph on rdflib's Memory store. Read-only: do not mutate."""
    return open_graph("memory")


@pytest.fixture(scope="session", params=["oxigraph", "memory"])
def kg_any(request: pytest.FixtureRequest) -> KnowledgeGraph:
    """The shipped graph on each embedded store in turn."""
    return open_graph(request.param)


@pytest.fixture(scope="session")
def mini_kg() -> KnowledgeGraph:
    """A tiny graph of the project's shape (tests/data/mini.ttl) without the shipped data."""
    return open_graph("oxigraph", [DATA / "mini.ttl"], include_default=False)


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def free_port() -> int:
    return find_free_port()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def wait_for_http(url: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status < 500:
                    return
        except Exception as err:  # noqa: BLE001
            last = err
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


@pytest.fixture(scope="session")
def explorer_url() -> Iterator[str]:
    """The explorer started by the real CLI (``alliance-graph explore``) on a free loopback port."""
    port = find_free_port()
    log = (ARTIFACTS / "explorer.log")
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "graph", "explore", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(url + "/_stcore/health", timeout=90, proc=proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    require(Path(CHROMIUM).exists() or shutil.which("chromium") is not None, "Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        require(False, "the playwright package is not installed")
        raise
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class RequestLog:
    """Every URL a page asked for; ``outside()`` lists those that left the machine."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request: object) -> None:
        self.urls.append(request.url)  # type: ignore[attr-defined]

    def outside(self) -> list[str]:
        from urllib.parse import urlparse

        bad = []
        for u in self.urls:
            parsed = urlparse(u)
            if parsed.scheme in ("data", "blob", "about", "chrome-extension"):
                continue
            if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
                bad.append(u)
        return bad


@pytest.fixture
def page(browser: object) -> Iterator[tuple[object, RequestLog]]:
    """A fresh browser page with a request log attached: ``page, log = page``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    p = context.new_page()
    log = RequestLog()
    p.on("request", log)
    try:
        yield p, log
    finally:
        context.close()


class Listener:
    """A TCP listener on loopback that records every connection it receives."""

    def __init__(self) -> None:
        import threading

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(65536) or b"<connected>")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A loopback listener; a test asserts ``listener.received == []`` to prove nothing phoned out."""
    lst = Listener()
    try:
        yield lst
    finally:
        lst.close()
