"""Settings from the environment: read when used; a bad value is a ConfigError naming the
variable (never a silent default, never an error at import)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from graph.errors import ConfigError
from tests.conftest import ROOT

BAD = "not-a-number"


def _queue_wait() -> object:
    from graph.endpoint import queue_wait_s

    return queue_wait_s()


def _server() -> object:
    from graph.endpoint import make_server
    from graph.store import open_graph

    kg = open_graph("oxigraph", [], include_default=False)
    server = make_server(kg, "127.0.0.1", 0, quiet=True)
    server.server_close()
    return server


def _limits() -> object:
    from graph.limits import QueryLimits

    return QueryLimits.from_env()


def _max_query_bytes() -> object:
    from graph.sparql import max_query_bytes

    return max_query_bytes()


def _max_file_mb() -> object:
    from graph.load import max_file_mb

    return max_file_mb()


def _env_sources() -> object:
    from graph.store import env_sources

    return env_sources()


CASES: list[tuple[str, str, Callable[[], object]]] = [
    ("ALLIANCE_GRAPH_QUERY_TIMEOUT", BAD, _limits),
    ("ALLIANCE_GRAPH_QUERY_TIMEOUT", "-1", _limits),
    ("ALLIANCE_GRAPH_QUERY_TIMEOUT", "nan", _limits),
    ("ALLIANCE_GRAPH_QUERY_MAX_ROWS", "2.5", _limits),
    ("ALLIANCE_GRAPH_QUERY_MEMORY_MB", BAD, _limits),
    ("ALLIANCE_GRAPH_QUERY_MAX_BYTES_OUT", "50MB", _limits),
    ("ALLIANCE_GRAPH_QUERY_ALLOW_SERVICE", "maybe", _limits),
    ("ALLIANCE_GRAPH_QUERY_ALLOW_FROM", "2", _limits),
    ("ALLIANCE_GRAPH_QUERY_MAX_BYTES", "lots", _max_query_bytes),
    ("ALLIANCE_GRAPH_MAX_FILE_MB", BAD, _max_file_mb),
    ("ALLIANCE_GRAPH_NO_DEFAULT", "perhaps", _env_sources),
    ("ALLIANCE_GRAPH_QUEUE_WAIT", BAD, _queue_wait),
    ("ALLIANCE_GRAPH_QUEUE_WAIT", BAD, _server),
    ("ALLIANCE_GRAPH_REQUEST_TIMEOUT", "-3", _server),
    ("ALLIANCE_GRAPH_CLIENT_SLOTS", "half", _server),
    ("ALLIANCE_GRAPH_PUBLIC_URL", "not a url", _server),
]


@pytest.mark.parametrize("name,value,read", CASES, ids=[f"{n}={v}" for n, v, _ in CASES])
def test_a_bad_value_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, read: Callable[[], object]
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        read()
    message = str(info.value)
    assert name in message or (name == "ALLIANCE_GRAPH_PUBLIC_URL" and "public URL" in message)
    assert value in message


def test_good_values_are_read_when_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.endpoint import queue_wait_s
    from graph.limits import QueryLimits
    from graph.load import max_file_mb

    monkeypatch.setenv("ALLIANCE_GRAPH_QUEUE_WAIT", "7.5")
    monkeypatch.setenv("ALLIANCE_GRAPH_MAX_FILE_MB", "12")
    monkeypatch.setenv("ALLIANCE_GRAPH_QUERY_MAX_BYTES_OUT", "1000")
    monkeypatch.setenv("ALLIANCE_GRAPH_QUERY_ALLOW_FROM", "yes")
    assert queue_wait_s() == 7.5 and max_file_mb() == 12.0
    limits = QueryLimits.from_env()
    assert limits.byte_cap() == 1000 and limits.allow_from is True
    monkeypatch.setenv("ALLIANCE_GRAPH_QUERY_MAX_BYTES_OUT", "0")
    assert QueryLimits.from_env().byte_cap() is None
    monkeypatch.setenv("ALLIANCE_GRAPH_QUEUE_WAIT", "  ")  # blank: the default
    assert queue_wait_s() == 60.0


def test_importing_modules_never_raises_on_bad_settings() -> None:
    env = {**os.environ, **{name: "bad value" for name, _, _ in CASES}}
    modules = ["graph.endpoint", "graph.limits", "graph.sparql", "graph.load", "graph.store",
               "graph.diskcache", "graph.commands.serve_cmd", "graph.settings"]
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\nprint('ok')"
    proc = subprocess.run([sys.executable, "-c", code, *modules], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_the_cli_reports_a_bad_setting_in_one_line() -> None:
    env = {**os.environ, "ALLIANCE_GRAPH_QUERY_TIMEOUT": "soon"}
    proc = subprocess.run([sys.executable, "-m", "graph", "query", "ASK {}"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "ALLIANCE_GRAPH_QUERY_TIMEOUT" in proc.stderr
    assert "Traceback" not in proc.stderr
