"""Explore: the network of actors and relationships, drawn offline with pyvis."""

from __future__ import annotations

import datetime as dt

import streamlit as st
import streamlit.components.v1 as components

from app_pages.common import current_graph
from graph.network import Filters, project
from graph.render import render_html

st.title("Explore the alliance")
kg = current_graph()

with st.sidebar:
    use_date = st.checkbox("As of a date", value=False)
    as_of = st.date_input("As of", value=dt.date.today(), disabled=not use_date)

filters = Filters(as_of=as_of if use_date and isinstance(as_of, dt.date) else None)
g = project(kg, filters)
for _node, data in g.nodes(data=True):
    data["title"] = f"{data['label']} ({data['type']})"
    data["group"] = data["type"]
for _, _, data in g.edges(data=True):
    data["title"] = data["relation"]
st.caption(f"{g.number_of_nodes()} entities, {g.number_of_edges()} relationships")
components.html(render_html(g, height="680px"), height=700)
