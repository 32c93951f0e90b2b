"""The app's sidebar store picker: the embedded stores by name, or a SPARQL endpoint by URL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def endpoint_url():
    from graph.endpoint import make_server
    from graph.store import open_graph

    server = make_server(open_graph(), "127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def _caption_text(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.sidebar.caption)


def test_the_explorer_runs_on_a_remote_endpoint_chosen_in_the_sidebar(endpoint_url: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    at.sidebar.text_input(key="store_url").set_value(endpoint_url)
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["store_choice"] == endpoint_url
    assert f"Using: {endpoint_url}" in _caption_text(at)
    page = "\n".join(str(m.value) for m in at.markdown)
    assert "relationship statements" in page  # the network was projected over HTTP


def test_a_bad_endpoint_is_refused_and_the_embedded_graph_stays() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.sidebar.text_input(key="store_url").set_value("http://127.0.0.1:9/sparql")
    at.run()
    assert not at.exception
    assert any("Cannot use http://127.0.0.1:9/sparql" in str(e.value) for e in at.sidebar.error)
    assert not at.session_state["store_choice"] if "store_choice" in at.session_state else True
    assert "Using: oxigraph (embedded)" in _caption_text(at)


def test_the_memory_store_can_be_chosen() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.sidebar.radio(key="store_embedded").set_value("memory")
    at.run()
    assert not at.exception
    assert at.session_state["store_choice"] == "memory"
    assert "Using: memory (embedded)" in _caption_text(at)
