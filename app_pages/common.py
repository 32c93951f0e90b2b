"""What every page shares: the loaded graph (cached once, never mutated) and small helpers."""

from __future__ import annotations

import os

import streamlit as st

from graph.store import KnowledgeGraph, open_graph


@st.cache_resource(show_spinner="Loading the knowledge graph…")
def get_graph(store: str | None = None, data: tuple[str, ...] = ()) -> KnowledgeGraph:
    return open_graph(store, data)


def current_graph() -> KnowledgeGraph:
    """The graph named by the environment (``alliance-graph explore --store/--data`` sets it)."""
    store = os.environ.get("ALLIANCE_GRAPH_STORE") or None
    data = tuple(p for p in os.environ.get("ALLIANCE_GRAPH_DATA", "").split(os.pathsep) if p)
    return get_graph(store, data)
