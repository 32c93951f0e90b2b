"""The in-app SPARQL editor, driven by Streamlit's AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from graph import paths
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(not paths.ontology_file().exists(), reason="shipped graph not landed")
PAGE = str(ROOT / "app_pages" / "sparql.py")


def _app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60)


def test_default_query_runs_and_links_iris_to_profiles() -> None:
    at = _app().run()
    assert not at.exception
    at.button(key="sparql_run").click().run()
    assert not at.exception and not at.error
    assert any("rows in" in c.value for c in at.caption)
    df = at.dataframe[0].value
    assert len(df) > 20
    assert df["state"].iloc[0].startswith("./profile?entity=agr:")
    assert at.query_params["query"]  # the query now travels in the URL


def test_query_from_the_url_runs_on_load() -> None:
    at = _app()
    at.query_params["query"] = "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"
    at.run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 3


def test_syntax_error_is_shown_inline_at_its_line() -> None:
    at = _app().run()
    at.text_area(key="sparql_text").set_value("SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = ) }").run()
    at.button(key="sparql_run").click().run()
    assert at.error and "line 3" in at.error[0].value
    assert any("^ line 3" in c.value for c in at.code)


def test_updates_are_refused_in_the_app() -> None:
    at = _app().run()
    at.text_area(key="sparql_text").set_value("DELETE WHERE { ?s ?p ?o }").run()
    at.button(key="sparql_run").click().run()
    assert at.error and "read-only" in at.error[0].value


def test_construct_is_drawn_and_offered_as_turtle() -> None:
    at = _app().run()
    at.text_area(key="sparql_text").set_value(
        "CONSTRUCT { ?s ag:memberOf agr:NATO } WHERE { ?st ag:subject ?s ; ag:relation ag:memberOf ; ag:object agr:NATO }"
    ).run()
    at.button(key="sparql_run").click().run()
    assert not at.exception and not at.error
    assert any(c.language == "turtle" for c in at.code)
    assert any("triples in" in c.value for c in at.caption)


def test_gallery_loads_a_saved_query_and_prefix_buttons_add_lines() -> None:
    at = _app().run()
    at.selectbox(key="sparql_example").set_value("stats-relations").run()
    at.button(key="sparql_load").click().run()
    assert "ag:relation" in at.text_area(key="sparql_text").value
    at.button(key="sparql_prefix_prov").click().run()
    assert at.text_area(key="sparql_text").value.startswith("PREFIX prov: <http://www.w3.org/ns/prov#>")
