"""SPARQL: run a query over the graph and see the results as a table."""

from __future__ import annotations

import streamlit as st

from app_pages.common import current_graph
from graph.errors import AllianceGraphError
from graph.results import short_name
from graph.sparql import run_query

DEFAULT_QUERY = """PREFIX ag: <https://w3id.org/alliance-graph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) LIMIT 20
"""

st.title("SPARQL")
kg = current_graph()
text = st.text_area("Query", value=DEFAULT_QUERY, height=200, key="sparql_text")
if st.button("Run", type="primary", key="sparql_run"):
    try:
        result = run_query(kg, text)
    except AllianceGraphError as err:
        st.error(str(err))
    else:
        if result.kind == "ask":
            st.write("true" if result.boolean else "false")
        elif result.kind == "graph":
            assert result.graph is not None
            st.code(result.graph.serialize(format="turtle"), language="turtle")
        else:
            rows = [{v: short_name(t) for v, t in zip(result.vars, row, strict=True)} for row in result.rows]
            st.caption(f"{len(rows)} rows in {result.elapsed_s * 1000:.0f} ms")
            st.dataframe(rows, use_container_width=True)
