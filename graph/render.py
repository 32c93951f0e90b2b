"""Draw a networkx graph as a self-contained HTML page (pyvis over vis-network).

pyvis is kept behind :func:`render_html` so it could be replaced. Its template
still links Bootstrap and vis-network from CDNs, which fails offline; here the
vis-network script and stylesheet shipped inside the pyvis wheel are inlined and
every remote link is removed. Node and edge text reaches the page only as JSON
data (escaped by the template's ``tojson``) and vis-network shows tooltips as
text, so data-derived text never becomes live HTML.

Positions are computed in Python and physics is off by default: the picture is
stable across reruns and a 2,000-node view draws in about a second.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

#: Attributes passed through to vis-network.
NODE_KEYS = ("label", "title", "group", "color", "size", "shape", "x", "y", "borderWidth", "font")
EDGE_KEYS = ("label", "title", "color", "width", "dashes", "arrows", "id")

_REMOTE = re.compile(
    r"<link[^>]+href=\"https?://[^\"]*\"[^>]*/?>|<script[^>]+src=\"https?://[^\"]*\"[^>]*>\s*</script>",
    re.IGNORECASE,
)


def compute_layout(g: nx.Graph, *, seed: int = 7, scale: float = 1000.0) -> dict[Any, tuple[float, float]]:
    """Deterministic positions (seeded spring layout), scaled to vis-network's pixel space."""
    n = g.number_of_nodes()
    if n == 0:
        return {}
    if n == 1:
        return {next(iter(g.nodes)): (0.0, 0.0)}
    size = scale * max(1.0, math.sqrt(n) / 6)
    iterations = 50 if n <= 500 else 25
    pos = nx.spring_layout(g, seed=seed, iterations=iterations, k=1.5 / math.sqrt(n))
    return {node: (float(x) * size, float(y) * size) for node, (x, y) in pos.items()}


def _pyvis_lib() -> Path:
    import pyvis

    return Path(pyvis.__file__).resolve().parent / "templates" / "lib"


def _vis_options(physics: bool, options: Mapping[str, Any] | None) -> dict[str, Any]:
    base: dict[str, Any] = {
        "physics": {
            "enabled": physics,
            "stabilization": {"enabled": physics, "iterations": 150, "fit": True},
            "barnesHut": {"gravitationalConstant": -8000, "springLength": 120},
        },
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
                  "font": {"size": 10, "align": "middle"}, "color": {"inherit": False}},
        "nodes": {"shape": "dot", "font": {"size": 14}},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True,
                        "navigationButtons": False, "keyboard": False},
        "layout": {"improvedLayout": False},
    }
    for key, value in (options or {}).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def render_html(
    g: nx.Graph,
    *,
    height: str = "700px",
    physics: bool = False,
    positions: Mapping[Any, tuple[float, float]] | None = None,
    options: Mapping[str, Any] | None = None,
    extra_script: str = "",
    seed: int = 7,
) -> str:
    """A complete, self-contained HTML document drawing ``g``.

    Node attributes used: ``label``, ``title`` (plain text tooltip), ``group``, ``color``,
    ``size``, ``shape``, ``x``/``y``; edge attributes: ``label``, ``title``, ``color``,
    ``width``, ``dashes``, ``id``. ``extra_script`` is appended inside a script tag after
    the network is created (the variable ``network`` is in scope).

    >>> html = render_html(nx.path_graph(3))
    >>> "cdn" in html.lower() or "https://" in html
    False
    """
    from pyvis.network import Network

    net = Network(height=height, width="100%", directed=g.is_directed(), cdn_resources="in_line")
    if positions is None and not all("x" in d and "y" in d for _, d in g.nodes(data=True)):
        positions = compute_layout(g, seed=seed)
    ids: dict[Any, int] = {}
    # Fill pyvis's lists directly: add_node/add_edge check duplicates in O(n) each.
    for i, (node, data) in enumerate(g.nodes(data=True)):
        ids[node] = i
        item: dict[str, Any] = {"id": i, "label": str(node)}
        item.update({k: data[k] for k in NODE_KEYS if k in data and data[k] is not None})
        item["label"] = str(item["label"])
        if "title" in item:
            item["title"] = str(item["title"])
        if positions is not None and node in positions:
            item["x"], item["y"] = positions[node]
        item["key"] = str(node)
        net.nodes.append(item)
        net.node_ids.append(i)
        net.node_map[i] = item
    for u, v, data in g.edges(data=True):
        edge: dict[str, Any] = {"from": ids[u], "to": ids[v]}
        edge.update({k: data[k] for k in EDGE_KEYS if k in data and data[k] is not None})
        for k in ("label", "title"):
            if k in edge:
                edge[k] = str(edge[k])
        net.edges.append(edge)
    # Render pyvis's template ourselves: its generate_html() switches to a popup that
    # writes tooltips with innerHTML whenever a title contains "href" (an XSS hole).
    template = net.templateEnv.get_template(net.path)
    html = template.render(
        height=height,
        width="100%",
        nodes=net.nodes,
        edges=net.edges,
        heading="",
        options=json.dumps(_vis_options(physics, options)),
        physics_enabled=physics,
        use_DOT=False,
        dot_lang=[],
        widget=False,
        bgcolor="#ffffff",
        conf=False,
        tooltip_link=False,
        neighborhood_highlight=False,
        select_menu=False,
        filter_menu=False,
        notebook=False,
        cdn_resources="in_line",
    )
    html = _REMOTE.sub("", html)
    html = re.sub(r"<!-- <link[^>]*node_modules.*?-->", "", html, flags=re.DOTALL)
    html = html.replace('<center>\n<h1></h1>\n</center>', "").replace(
        "<center>\n          <h1></h1>\n        </center>", ""
    )
    html = html.replace("float: left;", "")
    if extra_script:
        html = html.replace("</body>", f"<script>\n{extra_script}\n</script>\n</body>")
    assert_self_contained(html)
    return html


_URL_IN_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def assert_self_contained(html: str) -> None:
    """Raise if the page would load anything from another host."""
    m = _URL_IN_ATTR.search(html)
    if m:
        context = html[max(0, m.start() - 60) : m.end() + 60]
        raise ValueError(f"rendered HTML still references a remote resource: {context!r}")
