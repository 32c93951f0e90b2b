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


@pytest.fixture(autouse=True)
def operator_allows_the_picker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The picker is the operator's: these tests are the operator turning it on."""
    monkeypatch.setenv("ALLIANCE_GRAPH_STORE_PICKER", "1")


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


def test_without_the_operator_setting_visitors_cannot_choose_a_store(monkeypatch) -> None:
    monkeypatch.delenv("ALLIANCE_GRAPH_STORE_PICKER")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()  # AppTest serves on no loopback address: as a shared server would
    assert not at.exception
    assert not [t for t in at.sidebar.text_input if t.key == "store_url"]
    assert not [r for r in at.sidebar.radio if r.key == "store_embedded"]
    monkeypatch.setenv("ALLIANCE_GRAPH_STORE_PICKER", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["store_choice"] = "http://127.0.0.1:9/sparql"  # a stale choice is dropped
    at.run()
    assert not at.exception
    assert "store_choice" not in at.session_state


def test_the_sparql_page_answers_from_each_sessions_own_graph(tmp_path) -> None:
    """Two sessions, one with an upload: the same query text gets each graph's count."""
    from app_pages.common import IMPORT_STATE, register_upload  # noqa: F401 - the key's name
    from graph.store import open_graph

    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix ag: <https://w3id.org/alliance-graph/ontology#> .\n"
        + "".join(f"<https://example.org/s{i}> a ag:State .\n" for i in range(7)),
        encoding="utf-8",
    )
    uploaded = open_graph(data=[str(extra)])
    query = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ag:State }"

    def count(with_upload: bool) -> int:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        if with_upload:
            from app_pages import common

            common._UPLOADED["upload-test"] = uploaded
            at.session_state[IMPORT_STATE] = ("upload-test", uploaded, ["extra.ttl"])
        at.switch_page("app_pages/sparql.py")
        at.query_params["query"] = query
        at.run()
        assert not at.exception, at.exception
        frames = [df.value for df in at.dataframe]
        assert frames, "no result table"
        return int(frames[0].iloc[0, 0])

    base_first = count(False)
    with_upload = count(True)
    base_again = count(False)
    assert with_upload == base_first + 7
    assert base_again == base_first
