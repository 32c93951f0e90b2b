"""Alliance Graph explorer: Streamlit entry point (page config, navigation, shared sidebar).

No RDF logic here: pages call ``graph.*``. Each page's state lives in the URL's query
parameters, so a link opens the same view.
"""

from __future__ import annotations

import streamlit as st
from PIL import Image, ImageDraw


@st.cache_resource
def _icon() -> Image.Image:
    """The favicon, drawn here: a material or emoji icon would be fetched from a CDN."""
    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    for a, b in (((16, 16), (48, 24)), ((16, 16), (28, 50)), ((48, 24), (28, 50))):
        d.line([a, b], fill=(127, 140, 141, 255), width=5)
    for (x, y), c in (((16, 16), (0, 114, 178)), ((48, 24), (230, 159, 0)), ((28, 50), (0, 158, 115))):
        d.ellipse([x - 10, y - 10, x + 10, y + 10], fill=(*c, 255))
    return img


st.set_page_config(page_title="Alliance Graph", page_icon=_icon(), layout="wide")

PAGES = [
    st.Page("app_pages/explore.py", title="Explore", icon=":material/hub:", default=True),
    st.Page("app_pages/profile.py", title="Entity profile", icon=":material/badge:", url_path="profile"),
    st.Page("app_pages/sparql.py", title="SPARQL", icon=":material/terminal:", url_path="sparql"),
    st.Page("app_pages/analytics.py", title="Analytics", icon=":material/insights:", url_path="analytics"),
    st.Page("app_pages/timeline.py", title="Timeline", icon=":material/timeline:", url_path="timeline"),
    st.Page("app_pages/sources.py", title="Sources and data", icon=":material/source:", url_path="sources"),
]

page = st.navigation(PAGES)
# Which page the previous run showed: a page can tell a rerun from an arrival (Explore
# restores the view left behind when the sidebar brings the user back to it).
st.session_state["ag_from_page"] = st.session_state.get("ag_page")
st.session_state["ag_page"] = page.url_path
with st.sidebar:
    st.caption("Alliance Graph · offline · every fact sourced and graded")
from app_pages.common import PAGE_RUNS, store_picker  # noqa: E402 - after set_page_config

with PAGE_RUNS.track():  # background work waits for quiet moments between runs
    store_picker()
    page.run()
