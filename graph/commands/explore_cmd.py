"""`alliance-graph explore`: start the Streamlit explorer, headless, on the given address."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

from graph import paths

HELP = "Start the explorer (Streamlit) on the embedded graph, headless, at http://HOST:PORT"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument(
        "--no-warm", action="store_true", help="do not load the graph before the first visitor"
    )


def streamlit_argv(host: str, port: int) -> list[str]:
    app = paths.app_dir() / "app.py"
    return [
        "streamlit", "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--global.developmentMode", "false",
    ]  # fmt: skip


#: The warm-up's last part waits for the page runs to pause this long (or at most
#: QUIET_WAIT_S, then runs anyway).
QUIET_S = 3.0
QUIET_WAIT_S = 120.0


def warm_up() -> None:
    """Load the graph, project the network, lay it out, draw the default view and index the
    labels while the server starts; once the first page is served, import what the table
    pages need.

    The app's cached functions live in this same process, so the first visitor finds them
    ready instead of paying for imports, loading and layout.
    """
    try:
        with _warming():  # from the first import: the server imports Streamlit meanwhile
            # Waits for the server's own import of Streamlit (the import lock) before
            # importing rdflib beside the rest of its start.
            import streamlit  # noqa: F401

            from graph.store import env_sources, open_ahead

            # Oxigraph loads without holding the interpreter lock, beside the server's start
            open_ahead(*env_sources())
            from app_pages import common

            key = common.base_key()
            common.base_graph()
            common.network(key)
            common.full_layout(key)
            import app_pages.graph_component  # noqa: F401 - registers the component's assets
            from app_pages import drawing

            drawing.warm_default_view(key)
            common.search_index(key)  # labels of the sources in the sidebar's filter
            # Streamlit turns the page icon into a PNG with numpy (the layout, which would
            # have imported it, may come from the disk cache).
            import numpy  # noqa: F401

            _first_element_check()
        # Streamlit imports pandas and pyarrow for the SPARQL, Sources and Analytics tables
        # (the Explore page's graph travels as JSON bytes and needs neither): 0.5 s of
        # work done once the first page is served and the visitor pauses, not during a
        # click (after a run the browser still fetches scripts and draws).
        common.PAGE_RUNS.wait_quiet(QUIET_S, QUIET_WAIT_S)
        with _warming():
            import pandas  # noqa: F401
            import pyarrow  # noqa: F401
    except Exception as err:  # noqa: BLE001 - warming is an optimisation; the app reports errors itself
        print(f"(warm-up skipped: {err})", file=sys.stderr)


class _NoContextNotice(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" notice, expected while warming."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


@contextlib.contextmanager
def _warming() -> Iterator[None]:
    """Quiet while warming: cached functions called outside a page run log "missing
    ScriptRunContext" (expected here). Only that notice, on Streamlit's own logger, is
    filtered; no process-wide switch (logging level, thread switch interval) is flipped."""
    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    notice = _NoContextNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def _first_element_check() -> None:
    """Streamlit checks once per process, on the first element any page sends, whether it
    runs in a REPL, with ``inspect.stack()`` over the page run's deep stack (reading every
    file on it): 0.1-0.3 s of the first visitor's wait. Done here, on a short stack."""
    try:
        from streamlit import delta_generator

        delta_generator._maybe_print_use_warning()  # noqa: SLF001 - no public way to do it early
    except (ImportError, AttributeError):  # another Streamlit: the page pays it, as before
        pass


def run(args: argparse.Namespace) -> int:
    if args.store:
        os.environ["ALLIANCE_GRAPH_STORE"] = args.store
    if args.data:
        os.environ["ALLIANCE_GRAPH_DATA"] = os.pathsep.join(os.path.abspath(p) for p in args.data)
    app_dir = paths.app_dir()
    os.chdir(app_dir)  # .streamlit/config.toml beside app.py
    sys.path.insert(0, str(app_dir))
    print(f"Alliance Graph explorer: http://{args.host}:{args.port}", flush=True)
    if not args.no_warm:
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    from streamlit.web import cli as stcli

    sys.argv = streamlit_argv(args.host, args.port)
    try:
        stcli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0
