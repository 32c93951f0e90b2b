"""Alliance Graph explorer: Streamlit entry point (page config, navigation, shared sidebar).

No RDF logic here: pages call ``graph.*``.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Alliance Graph", page_icon=":material/hub:", layout="wide")

PAGES = [
    st.Page("app_pages/explore.py", title="Explore", icon=":material/hub:", url_path="explore", default=True),
    st.Page("app_pages/sparql.py", title="SPARQL", icon=":material/terminal:", url_path="sparql"),
]

st.navigation(PAGES).run()
