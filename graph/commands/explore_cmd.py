"""`alliance-graph explore`: start the Streamlit explorer, headless, on the given address."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from graph import paths

HELP = "Start the explorer (Streamlit) on the embedded graph, headless, at http://HOST:PORT"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")


def streamlit_command(host: str, port: int) -> list[str]:
    app = paths.app_dir() / "app.py"
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--global.developmentMode", "false",
    ]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.store:
        env["ALLIANCE_GRAPH_STORE"] = args.store
    if args.data:
        env["ALLIANCE_GRAPH_DATA"] = os.pathsep.join(os.path.abspath(p) for p in args.data)
    print(f"Alliance Graph explorer: http://{args.host}:{args.port}", flush=True)
    proc = subprocess.Popen(streamlit_command(args.host, args.port), cwd=paths.app_dir(), env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()
