"""Timeline: accessions, summits, agreements, contracts and cohorts on a time axis, filterable,
linked to profiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.common import current_graph, graph_key, md
from graph import timeline as tl
from graph.timeline import Event, count_by_year, filter_events, timeline_events


@st.cache_data(max_entries=4, show_spinner="Collecting dated events…")
def _events(key: str) -> list[Event]:
    return timeline_events(current_graph())


def _strip(frame: pd.DataFrame, x: alt.X, tooltip: list[Any], **encodings: Any) -> None:
    """A chart with one row of marks per kind of event along the time axis."""
    mark = {} if "size" in encodings else {"size": 90}
    chart = (
        alt.Chart(frame)
        .mark_circle(opacity=0.8, **mark)
        .encode(x=x, y=alt.Y("kind:N", title=None), color=alt.Color("kind:N", legend=None), tooltip=tooltip, **encodings)
        .properties(height=max(160, 38 * frame["kind"].nunique()))
        .interactive(bind_y=False)
    )
    st.altair_chart(chart, width="stretch")


def _open(iri: str) -> None:
    st.switch_page("app_pages/profile.py", query_params={"entity": iri})


key = graph_key()
events = _events(key)
st.title("Timeline")
if not events:
    st.info("Nothing in the graph carries a date.")
    st.stop()

categories = sorted({e.category for e in events})
entities = sorted({iri: label for e in events for iri, label in e.entities}.items(), key=lambda kv: kv[1].casefold())
labels = dict(entities)
first, last = events[0].date.year, max(e.date.year for e in events)

with st.sidebar:
    chosen = st.multiselect("Kinds of event", categories, key="tl_cats", placeholder="All kinds")
    wanted = st.query_params.get("entity")
    options = [""] + [iri for iri, _ in entities]
    if wanted and "tl_entity" not in st.session_state:
        from graph.view import to_iri

        st.session_state["tl_entity"] = str(to_iri(wanted)) if str(to_iri(wanted)) in labels else ""
    entity = st.selectbox("Concerning", options, key="tl_entity", format_func=lambda i: labels.get(i, "anyone") if i else "anyone")
    years = st.slider("Years", first, max(last, first + 1), (first, max(last, first + 1)), key="tl_years")

shown = filter_events(
    events, categories=chosen, entity=entity or None,
    start=dt.date(years[0], 1, 1), end=dt.date(years[1], 12, 31),
)  # fmt: skip
counted = len(shown) > tl.CHART_EVENTS_MAX
caption = f"{len(shown):,} of {len(events):,} dated events"
if counted:
    caption += (
        f" · more than {tl.CHART_EVENTS_MAX:,}: the chart counts them per year (narrow the kinds, "
        "the entity or the years to see each one); the table lists them all"
    )
st.caption(caption)
if shown and counted:
    per_year = pd.DataFrame(count_by_year(shown), columns=["year", "kind", "events"])
    _strip(
        per_year, alt.X("year:Q", title=None, axis=alt.Axis(format="d"), scale=alt.Scale(zero=False)),
        ["year:Q", "kind:N", alt.Tooltip("events:Q", format=",")],
        size=alt.Size("events:Q", title="events a year", scale=alt.Scale(range=[25, 500])),  # one event stays visible
    )  # fmt: skip
elif shown:
    frame = pd.DataFrame(
        {
            "date": [pd.Timestamp(e.date) for e in shown],
            "kind": [e.category for e in shown],
            "event": [e.title for e in shown],
            "grade": [e.credibility if e.credibility is not None else None for e in shown],
            "when": [e.when for e in shown],
        }
    )
    _strip(
        frame, alt.X("date:T", title=None),
        [alt.Tooltip("when:N", title="date"), "kind:N", "event:N", "grade:Q"],
    )  # fmt: skip
if shown:
    table = pd.DataFrame(
        {
            "date": [e.when for e in shown],
            "until": [e.end.isoformat() if e.end else "" for e in shown],
            "kind": [e.category for e in shown],
            "event": [e.title for e in shown],
            "credibility": [e.credibility for e in shown],
        }
    )
    picked = st.dataframe(
        table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="tl_table",
    )  # fmt: skip
    rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
    if rows:
        ev = shown[rows[0]]
        known = {"YearPrecision": " (known only to the year)", "MonthPrecision": " (known only to the month)"}
        st.markdown(f"**{md(ev.title)}** · {ev.when}{known.get(ev.precision, '')}")
        cols = st.columns(max(1, len(ev.entities)))
        for i, (iri, label) in enumerate(ev.entities):
            if cols[i].button(f"Profile of {label}", key=f"tl_open_{i}"):
                _open(iri)
    else:
        st.caption("Select a row to open the profiles of the entities it concerns.")
