"""`alliance-graph explore`: start the Streamlit explorer, headless, on the given address."""

from __future__ import annotations

import argparse
import os
import sys
import threading

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


def warm_up() -> None:
    """Load the graph, project the network and lay it out while the server starts.

    The app's cached functions live in this same process, so the first visitor finds them
    ready instead of paying for imports, loading and layout.
    """
    import logging

    # "missing ScriptRunContext" / "session state does not function": expected while warming
    logging.disable(logging.WARNING)
    # The server answers the browser's first requests (a hundred script files) from this
    # same interpreter: hand the lock over more often while this thread computes.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        _first_element_check()
        from app_pages import common

        key = common.base_key()
        common.base_graph()
        common.network(key)
        common.full_layout(key)
        import app_pages.graph_component  # noqa: F401 - registers the component's assets
        from app_pages import drawing

        drawing.warm_default_view(key)
        common.search_index(key)  # the first page does not need it
        # Last: the first Explore page needs neither (its graph travels as JSON bytes), but
        # the SPARQL, Sources and Analytics tables do, and Streamlit imports them there.
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    except Exception as err:  # noqa: BLE001 - warming is an optimisation; the app reports errors itself
        print(f"(warm-up skipped: {err})", file=sys.stderr)
    finally:
        sys.setswitchinterval(interval)
        logging.disable(logging.NOTSET)


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
