"""The explorer's pages under Streamlit's AppTest: every page renders, the main interactions work,
the URL holds the view, hostile labels stay text.

Most tests run on tests/data/app/explorer.ttl (small, with a label full of HTML and script);
one smoke test per page runs on the shipped graph.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "app"
EVIL = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"
TIMEOUT = 60


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the app at the small test graph only (no shipped data)."""
    monkeypatch.setenv("ALLIANCE_GRAPH_DATA", str(DATA / "explorer.ttl"))
    monkeypatch.setenv("ALLIANCE_GRAPH_NO_DEFAULT", "1")
    monkeypatch.delenv("ALLIANCE_GRAPH_STORE", raising=False)


def app(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def page(path: str, **params: str) -> AppTest:
    at = app(**params)
    at.switch_page(path)
    return at


def plain(text: str) -> str:
    """Markdown as a reader sees it: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", text)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
    parts += [s.value for s in at.subheader] + [t.value for t in at.title]
    return plain("\n".join(str(p) for p in parts))


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- Explore --------------------------------------------------------------------------


def test_explore_draws_the_whole_network(small: None) -> None:
    at = app().run()
    no_errors(at)
    assert "Explore the alliance" in texts(at)
    assert "10 entities, 12 relationship statements" in texts(at)
    assert at.get("bidi_component"), "the graph component is on the page"


def test_search_by_alias_focuses_the_view_and_writes_the_url(small: None) -> None:
    at = app().run()
    at.text_input(key="ex_q").input("Korea").run()
    no_errors(at)
    assert at.query_params["focus"] == "agr:KOR"
    assert "around Republic of Korea" in texts(at)
    at.text_input(key="ex_q").input("DIANA").run()
    assert at.query_params["focus"] == "agr:DIANA"


def test_expansion_cap_says_how_many_are_not_shown(small: None) -> None:
    at = app(focus="agr:CAN", cap="1").run()
    no_errors(at)
    summary = texts(at)
    assert "more linked entities not shown" in summary
    more = [b for b in at.button if b.label.startswith("Show ") and "more around" in b.label]
    assert more, "a button lifts the cap"
    more[0].click().run()
    assert "more" in at.query_params


def test_whole_network_limit_says_how_many_entities_are_not_shown(small: None) -> None:
    at = app(top="4").run()
    no_errors(at)
    assert "4 entities" in texts(at) and "6 more entities not shown" in texts(at)
    assert at.number_input(key="ex_top").value == 4
    at.number_input(key="ex_top").set_value(1000).run()
    assert "not shown" not in texts(at) and "top" not in at.query_params


def test_shared_link_restores_every_control(small: None) -> None:
    at = app(focus="agr:CAN", hops="2", cap="10", date="2020-01-01", grade="2", rels="memberOf,partnerOf",
             colour="community", size="pagerank").run()  # fmt: skip
    no_errors(at)
    assert at.session_state["ex_focus"] == "agr:CAN"
    assert at.slider(key="ex_hops").value == 2
    assert at.number_input(key="ex_cap").value == 10
    assert at.checkbox(key="ex_use_date").value is True
    assert str(at.date_input(key="ex_date").value) == "2020-01-01"
    assert at.select_slider(key="ex_grade").value == 2
    assert at.multiselect(key="ex_rels").value == ["memberOf", "partnerOf"]
    assert at.radio(key="ex_colour").value == "community"
    assert at.selectbox(key="ex_size").value == "pagerank"
    # The URL is written back unchanged.
    assert at.query_params["date"] == "2020-01-01"
    assert at.query_params["rels"] == "memberOf,partnerOf"


def test_back_on_explore_from_another_page_shows_the_view_left_behind(small: None) -> None:
    at = app(focus="agr:CAN", date="2020-01-01").run()
    no_errors(at)
    for target in ("app_pages/sparql.py", "app_pages/explore.py"):
        # the sidebar's links carry no view in the address
        at.switch_page(target)
        for name in list(at.query_params):
            del at.query_params[name]
        at.run()
        no_errors(at)
    assert "around Canada" in texts(at) and "as of 2020-01-01" in texts(at)
    assert at.query_params["focus"] == "agr:CAN" and at.query_params["date"] == "2020-01-01"
    # a fresh visit with no view in the address still starts from the whole network
    fresh = app().run()
    assert "around" not in texts(fresh)


def _drawn_items(at: AppTest) -> dict:
    import json

    return json.loads(at.get("bidi_component")[0].proto.bytes)["items"]


def test_shacl_violations_are_marked_once_validation_is_done(small: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from app_pages import common

    monkeypatch.setattr(common, "STARTUP_GRACE_S", 0.0)
    at = app().run()
    no_errors(at)
    # validation runs apart from the page (a forked child); wait for it, then interact
    report = common.validation(common.base_key(), timeout=120)
    assert report is not None and not isinstance(report, Exception) and not report.conforms
    at.run()
    assert any("validated in" in c.value for c in at.caption)
    nodes = _drawn_items(at)["nodes"]
    marked = {n["key"] for n in nodes if n["label"].startswith("⚠") and "SHACL violation" in n["title"]}
    expected = {str(f) for f in report.by_focus()} & {n["key"] for n in nodes}
    assert marked and marked == expected


def test_date_filter_shows_the_alliance_as_it_stood(small: None) -> None:
    at = app(focus="agr:NATO", date="2020-01-01").run()
    no_errors(at)
    # Click on the Finland–NATO line (what the component sends back), then read the statements.
    fin, nato = "https://w3id.org/alliance-graph/id/FIN", "https://w3id.org/alliance-graph/id/NATO"
    at.session_state["ex_edge"] = f"{fin} {nato}"
    at.run()
    panel = texts(at)
    assert "partner of" in panel
    assert "member of" not in panel, "no Finnish membership in 2020"
    assert "1994-05-09" in panel and "NATO member countries page" in panel
    at.checkbox(key="ex_use_date").uncheck().run()
    assert "date" not in at.query_params


def test_filters_by_type_grade_and_source(small: None) -> None:
    at = app().run()
    at.multiselect(key="ex_types").select("Company").select("State").run()
    no_errors(at)
    assert at.query_params["types"] == "Company,State"
    at.checkbox(key="ex_use_grade").check().run()
    at.select_slider(key="ex_grade").set_value(1).run()
    assert at.query_params["grade"] == "1"
    at.multiselect(key="ex_src").select("agr:src-blog").run()
    assert at.query_params["src"] == "agr:src-blog"
    no_errors(at)


def test_export_buttons_and_construct_query(small: None) -> None:
    at = app(focus="agr:CAN").run()
    labels = {b.label for b in at.get("download_button")}
    assert {"HTML (offline)", "GraphML", "GEXF (Gephi)", "CSV nodes + edges", "CONSTRUCT query"} <= labels
    links = [t.value for t in at.text_input if t.label.startswith("This link opens the same view")]
    assert links and "focus=agr:CAN" in links[0], "the share link holds the view"
    assert not at.code, "the CONSTRUCT query is shown on demand"
    at.toggle(key="ex_show_rq").set_value(True).run()
    codes = [c.value for c in at.code]
    assert any(c.startswith("# The statements of an Alliance Graph explorer view") for c in codes)


def test_hostile_label_is_text_in_the_statements_panel(small: None) -> None:
    at = app(focus="agr:CAN").run()
    evil, can = "https://w3id.org/alliance-graph/id/EVIL", "https://w3id.org/alliance-graph/id/CAN"
    at.session_state["ex_edge"] = f"{evil} {can}"
    at.run()
    no_errors(at)
    md = "\n".join(m.value for m in at.markdown)
    assert "<img" not in md and "<script" not in md, "raw HTML never reaches markdown"
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in md, "the label is shown escaped, as text"
    # The javascript: URL of a source is never a link.
    assert "javascript:" not in md.replace("javascript\\:", "")


# --- Entity profile -------------------------------------------------------------------


def test_profile_by_short_or_full_iri(small: None) -> None:
    for entity in ("agr:CAN", "https://w3id.org/alliance-graph/id/CAN", "CAN"):
        at = page("app_pages/profile.py", entity=entity).run()
        no_errors(at)
        assert at.header[0].value == "Canada"
        tables = frames(at)
        assert any("NATO" in set(t["with"]) for t in tables if "with" in t), "membership listed"
        text = texts(at)
        assert "member of →" in text and "NATO member countries page" in text


def test_profile_groups_statements_with_dates_grades_sources(small: None) -> None:
    at = page("app_pages/profile.py", entity="agr:FIN").run()
    no_errors(at)
    import pandas as pd

    rel = pd.concat([t for t in frames(at) if "with" in t.columns])
    rows = rel.to_dict("records")
    member = next(r for r in rows if r["from"] == "2023-04-04")
    assert member["credibility"] == 1 and "NATO member countries page (A)" in member["sources"]
    assert member["source link"].startswith("https://www.nato.int/")
    assert "Lockheed Martin" in set(rel["with"])


def test_profile_of_hostile_entity_shows_text(small: None) -> None:
    at = page("app_pages/profile.py", entity="agr:EVIL").run()
    no_errors(at)
    assert "<img" not in at.header[0].value
    assert "onerror=alert" in at.header[0].value
    tables = frames(at)
    assert any(t.get("with") is not None and "Canada" in set(t["with"]) for t in tables)
    md = "\n".join(m.value for m in at.markdown)
    assert "<b>" not in md and "javascript:" not in md.replace("javascript\\:", "")


def test_profile_search_and_unknown_entity(small: None) -> None:
    at = page("app_pages/profile.py").run()
    no_errors(at)
    assert any("Choose an entity" in i.value for i in at.info)
    at.text_input(key="pr_q").input("Sweden").run()
    target = next(b for b in at.button if b.label.startswith("Sweden"))
    target.click().run()
    assert at.query_params["entity"] == "agr:SWE"
    assert at.header[0].value == "Sweden"
    at = page("app_pages/profile.py", entity="agr:NOPE").run()
    assert any("Nothing is known" in w.value for w in at.warning)


# --- Other pages ----------------------------------------------------------------------


def test_timeline_page_filters(small: None) -> None:
    at = page("app_pages/timeline.py").run()
    no_errors(at)
    assert "13 of 13 dated events" in texts(at)
    at.multiselect(key="tl_cats").select("Membership").run()
    assert "4 of 13 dated events" in texts(at)
    table = frames(at)[0]
    assert list(table["event"])[-1] == "Sweden member of NATO"


def test_sources_page_tabs(small: None) -> None:
    at = page("app_pages/sources.py").run()
    no_errors(at)
    sources = frames(at)[0]
    assert list(sources["reliability"])[0] == "A"
    assert sources["link"].isna().sum() >= 1, "a javascript: address is not a link"
    at.selectbox(key="sd_source").set_value("https://w3id.org/alliance-graph/id/src-blog").run()
    resting = frames(at)[1]
    assert "Sweden joined NATO in 2023." in set(resting["text"])
    text = texts(at)
    assert "Sweden joined NATO in 2023." in text and "Sweden memberOf NATO from 2024-03-07" in text
    labels = {b.label for b in at.get("download_button")}
    assert {"Turtle", "GraphML (network)", "GEXF (Gephi)", "CSV nodes + edges (zip)"} <= labels


def test_sources_page_upload_rejects_bad_rows_and_changes_nothing(small: None) -> None:
    at = page("app_pages/sources.py").run()
    up = at.file_uploader(key="sd_upload")
    up.upload("entities.csv", (DATA / "entities.csv").read_bytes(), "text/csv")
    up.upload("relationships.csv", (DATA / "relationships.csv").read_bytes(), "text/csv").run()
    at.button(key="sd_import").click().run()
    errors = [plain(e.value) for e in at.error]
    assert any("entities.csv, row 3, field 'Type'" in e and "Sttae" in e for e in errors), errors
    assert any("relationships.csv, row 4, field 'From'" in e for e in errors), errors
    assert "imported" not in at.session_state


def test_analytics_page(small: None) -> None:
    at = page("app_pages/analytics.py").run()
    no_errors(at)
    ranking = frames(at)[0]
    assert list(ranking["entity"])[0] == "NATO"


def test_sparql_page_is_registered(small: None) -> None:
    at = page("app_pages/sparql.py").run()
    assert not at.exception


@pytest.mark.parametrize(
    "path",
    ["app_pages/explore.py", "app_pages/profile.py", "app_pages/analytics.py", "app_pages/timeline.py",
     "app_pages/sources.py"],
)  # fmt: skip
def test_every_page_on_the_shipped_graph(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLIANCE_GRAPH_DATA", raising=False)
    monkeypatch.delenv("ALLIANCE_GRAPH_NO_DEFAULT", raising=False)
    at = page(path, focus="agr:CAN", entity="agr:CAN").run()
    no_errors(at)


def test_a_restart_reads_the_network_and_layout_from_disk(
    small: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The explorer keeps the projected network and its layout on disk (graph.diskcache):
    started again on the same files, it draws without projecting or laying out again."""
    import streamlit as st

    import graph.network
    import graph.render

    monkeypatch.setenv("ALLIANCE_GRAPH_CACHE", str(tmp_path / "cache"))
    st.cache_resource.clear()
    first = app().run()
    no_errors(first)
    kept = sorted(p.name.split("-")[0] for p in (tmp_path / "cache").glob("*.pickle"))
    assert kept == ["layout", "network"]

    st.cache_resource.clear()  # what a new process starts with

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed again instead of read from disk")

    monkeypatch.setattr(graph.network, "project", fail)
    monkeypatch.setattr(graph.render, "layout_positions", fail)
    again = app().run()
    no_errors(again)
    assert "10 entities, 12 relationship statements" in texts(again)
    st.cache_resource.clear()  # leave no network made under this test's cache for others


def test_background_work_waits_for_a_pause_between_page_runs() -> None:
    """The warm-up's last imports wait for a quiet moment (common.PAGE_RUNS), not a click."""
    import threading
    import time

    from app_pages.common import PageRuns

    runs = PageRuns()
    assert not runs.wait_quiet(0.0, 0.3), "no page has run yet: not quiet"
    entered, leave = threading.Event(), threading.Event()

    def a_run() -> None:
        with runs.track():
            entered.set()
            leave.wait(5)

    t = threading.Thread(target=a_run)
    t.start()
    entered.wait(5)
    assert not runs.wait_quiet(0.0, 0.3), "a run is in progress"
    leave.set()
    t.join()
    started = time.monotonic()
    assert runs.wait_quiet(0.4, 5)
    assert time.monotonic() - started >= 0.35, "waited for the pause"


def test_timeline_counts_events_per_year_when_there_are_too_many_to_draw(
    small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the chart's limit the page says so and charts counts per year and kind; the
    table still lists every event."""
    from graph import timeline

    monkeypatch.setattr(timeline, "CHART_EVENTS_MAX", 5)
    at = page("app_pages/timeline.py").run()
    no_errors(at)
    assert "13 of 13 dated events · more than 5: the chart counts them per year" in texts(at)
    assert len(frames(at)[0]) == 13
    at.multiselect(key="tl_cats").select("Membership").run()
    assert "4 of 13 dated events" in texts(at) and "counts them" not in texts(at)


def test_a_type_filter_that_leaves_nothing_says_why_and_the_neighbours_box_fills_it(small: None) -> None:
    at = app(types="State", rels="memberOf").run()
    no_errors(at)
    (info,) = [i.value for i in at.info if "both its ends" in i.value]
    assert "No relationship statement" in plain(info) and "and their neighbours" in info
    assert at.checkbox(key="ex_nb").value is False
    at.checkbox(key="ex_nb").check().run()
    no_errors(at)
    assert at.query_params["nb"] == "1"
    assert not [i for i in at.info if "both its ends" in i.value]
    assert re.search(r"\b[1-9][0-9]* relationship statements", texts(at)), texts(at)
