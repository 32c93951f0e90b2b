"""Draw a networkx graph as a self-contained HTML page (pyvis over vis-network).

pyvis is kept behind :func:`render_html` so it could be replaced: its page template
and the vis-network build its wheel ships are used, read from the installed package
(importing ``pyvis.network`` would pull in IPython). The template
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
import random
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from graph.results import short_name

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
    # About 400 px across for a small view (readable at zoom 1), growing with sqrt(n).
    size = scale * max(0.4, math.sqrt(n) / 12)
    pos = _force_layout(g, seed)
    return {node: (float(x) * size, float(y) * size) for node, (x, y) in pos.items()}


_LAYOUT_LOCK = threading.Lock()


def _force_layout(g: nx.Graph, seed: int) -> dict[Any, tuple[float, float]]:
    """Fruchterman-Reingold positions in [-1, 1], deterministic for a seed.

    igraph's implementation (C) takes 0.4 s for 2,000 nodes and 1.1 s for 10,000 where
    networkx's spring layout takes 10 s for 2,000; networkx is the fallback without igraph.
    """
    nodes = list(g.nodes)
    try:
        import igraph as ig
        import numpy as np
    except ImportError:  # pragma: no cover - igraph is a dependency
        n = len(nodes)
        raw = nx.spring_layout(g, seed=seed, iterations=50 if n <= 500 else 25, k=1.5 / math.sqrt(n))
        return {k: (float(x), float(y)) for k, (x, y) in raw.items()}
    index = {node: i for i, node in enumerate(nodes)}
    edges = sorted({(min(index[u], index[v]), max(index[u], index[v])) for u, v in g.edges() if u != v})
    h = ig.Graph(n=len(nodes), edges=edges)
    niter = 500 if len(nodes) <= 2000 else 300
    with _LAYOUT_LOCK:  # igraph's random generator is process-wide: seed it for this layout
        ig.set_random_number_generator(random.Random(seed))
        try:
            layout = h.layout_fruchterman_reingold(niter=niter, grid="auto")
        finally:
            ig.set_random_number_generator(random)
    coords = np.asarray(layout.coords, dtype=float)
    coords -= coords.mean(axis=0)
    span = float(np.abs(coords).max()) or 1.0
    coords /= span
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, coords, strict=True)}


@lru_cache(maxsize=1)
def _pyvis_templates() -> Path:
    """pyvis's template folder, found without importing pyvis (which imports IPython and
    jsonpickle: 0.15-0.3 s a starting explorer does not need to spend)."""
    import importlib.util

    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pyvis is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "templates"


def _pyvis_lib() -> Path:
    return _pyvis_templates() / "lib"


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


def vis_items(
    g: nx.Graph,
    *,
    positions: Mapping[Any, tuple[float, float]] | None = None,
    seed: int = 7,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """vis-network's node and edge items for ``g`` (the data :func:`render_html` draws).

    Text goes in as data only; a page that already shows a drawing can take new items
    without reloading vis-network.
    """
    if positions is None and not all("x" in d and "y" in d for _, d in g.nodes(data=True)):
        positions = compute_layout(g, seed=seed)
    ids: dict[Any, int] = {}
    nodes: list[dict[str, Any]] = []
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
        nodes.append(item)
    edges: list[dict[str, Any]] = []
    for u, v, data in g.edges(data=True):
        edge: dict[str, Any] = {"from": ids[u], "to": ids[v]}
        edge.update({k: data[k] for k in EDGE_KEYS if k in data and data[k] is not None})
        for k in ("label", "title"):
            if k in edge:
                edge[k] = str(edge[k])
        edges.append(edge)
    return nodes, edges


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
    >>> assert_self_contained(html)  # no script, style, font or image from another host
    >>> html.count("<script src=")
    0
    """
    nodes, edges = vis_items(g, positions=positions, seed=seed)
    return page_html(nodes, edges, height=height, physics=physics, options=options, extra_script=extra_script)


def page_html(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    *,
    height: str = "700px",
    physics: bool = False,
    options: Mapping[str, Any] | None = None,
    extra_script: str = "",
) -> str:
    """The self-contained page drawing vis-network ``nodes`` and ``edges`` (see :func:`vis_items`).

    >>> "vis.Network" in page_html([{"id": 0, "label": "a"}], [])
    True
    """
    # Render pyvis's template ourselves: its generate_html() switches to a popup that
    # writes tooltips with innerHTML whenever a title contains "href" (an XSS hole).
    html = _pyvis_template().render(
        height=height,
        width="100%",
        nodes=list(nodes),
        edges=list(edges),
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
    css = (_pyvis_lib() / "vis-9.1.2" / "vis-network.css").read_text(encoding="utf-8")
    html = html.replace(css, _MIN_CSS)
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


@lru_cache(maxsize=1)
def _pyvis_template() -> Any:
    """pyvis's page template (the one ``pyvis.network.Network`` renders), compiled once:
    pyvis compiles it again for every network."""
    from jinja2 import Environment, FileSystemLoader

    # autoescape: the template marks its JSON safe itself, so the page is the same as
    # without, and anything else a future template prints is escaped
    env = Environment(loader=FileSystemLoader(str(_pyvis_templates())), autoescape=True)
    return env.get_template("template.html")


#: The only vis-network styles a drawing needs (the shipped stylesheet is 220 kB, mostly the
#: configurator's and the navigation buttons' embedded images).
_MIN_CSS = (
    ".vis-network{position:relative;overflow:hidden;touch-action:none;outline:none}"
    "div.vis-tooltip{background-color:#f5f4ed;border:1px solid #808074;border-radius:3px;"
    "box-shadow:3px 3px 10px rgba(0,0,0,.2);color:#000;font-family:sans-serif;font-size:13px;"
    "padding:5px;pointer-events:none;position:absolute;visibility:hidden;white-space:nowrap;z-index:5}"
)


_URL_IN_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def assert_self_contained(html: str) -> None:
    """Raise if the page would load anything from another host."""
    m = _URL_IN_ATTR.search(html)
    if m:
        context = html[max(0, m.start() - 60) : m.end() + 60]
        raise ValueError(f"rendered HTML still references a remote resource: {context!r}")


# --- drawing an explorer view --------------------------------------------------------

#: Colour-blind-safe palette (Okabe-Ito, then Tol's muted), cycled for more groups.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
)  # fmt: skip
VIOLATION_COLOUR = "#D00000"
MAX_LABEL = 32
#: Statements listed in an edge's tooltip; the rest are counted (a click lists them all).
MAX_TOOLTIP_STATEMENTS = 8


@dataclass
class Drawing:
    """A drawn view: the page, its legend, and how drawn edges map back to entity pairs."""

    legend: list[tuple[str, str, str]]  # (group, colour, shape)
    edge_pairs: dict[str, tuple[Any, Any]]
    nodes: int
    edges: int
    #: vis-network's ``nodes`` and ``edges`` items: what a frame showing :func:`shell_html` draws
    items: dict[str, list[dict[str, Any]]]
    height: str = "680px"

    @property
    def html(self) -> str:
        """The view as a self-contained page (vis-network inlined): the offline export."""
        return page_html(self.items["nodes"], self.items["edges"], height=self.height)


def shell_html(height: str = "680px") -> str:
    """An empty drawing page: vis-network loaded, ``network`` created with no data. A frame
    showing it draws any view by ``network.setData`` with a view's :attr:`Drawing.items`,
    so only the items travel when the view changes."""
    return page_html([], [], height=height)


#: Node shapes, taken in turn once the palette's colours are used up ("star" marks the focus).
SHAPES = ("dot", "square", "diamond", "triangle")


def group_styles(groups: Iterable[str], order: Sequence[str] = ()) -> dict[str, tuple[str, str]]:
    """A colour and a shape per group name: the palette's colours as dots, then again as
    squares, diamonds... so that no two of up to 64 groups look alike.

    Styles follow ``order`` (all the groups a graph has, e.g. every entity type of the
    network), then the other groups sorted: given the same ``order``, a group keeps its
    colour and shape in every view, whichever other groups the view shows.

    >>> group_styles(["State", "City"])
    {'City': ('#0072B2', 'dot'), 'State': ('#E69F00', 'dot')}
    >>> group_styles(["State"], order=["City", "State"])
    {'State': ('#E69F00', 'dot')}
    """
    names = sorted(set(groups))
    index = {g: i for i, g in enumerate(dict.fromkeys([*order, *names]))}
    return {
        g: (PALETTE[index[g] % len(PALETTE)], SHAPES[index[g] // len(PALETTE) % len(SHAPES)]) for g in names
    }


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ("" if value is None else str(value))


#: Where a start that is not the statement's own comes from (graph/queries/edges.rq).
_DATED_BY = {"event": "dated by its event", "signature": "dated by the treaty's signature"}


def describe_statement(data: Mapping[str, Any]) -> str:
    """One line of plain text for a relationship statement: relation, dates, grade, status."""
    start = _as_known(_date(data.get("start")), data.get("start_precision"))
    end = _as_known(_date(data.get("end")), data.get("end_precision"))
    when = f"{start or '?'} – {end}" if end else (f"from {start}" if start else "undated")
    bits = [str(data.get("relation", "")), when]
    if data.get("undated"):
        bits.append(f"uncertain on {data['uncertain_on']} (the record gives no date)")
    elif data.get("uncertain_on"):
        bits.append(f"uncertain on {data['uncertain_on']} (date known only to the year or month)")
    if start and data.get("date_from") in _DATED_BY:
        bits.append(_DATED_BY[data["date_from"]])
    if data.get("credibility") is not None:
        bits.append(f"grade {data['credibility']}")
    if data.get("status"):
        bits.append(str(data["status"]))
    n = len(data.get("sources", ()))
    bits.append(f"{n} source{'s' if n != 1 else ''}")
    return " · ".join(bits)


def written_date(value: object, precision: Any) -> str:
    """A date (or ``None``) written as far as it is known (see :func:`_as_known`)."""
    return _as_known(_date(value), precision) or ""


def _as_known(text: str | None, precision: Any) -> str | None:
    """A date written as far as it is known: ``2007`` for a year, ``2024-03`` for a month."""
    if not text:
        return text
    if precision == "YearPrecision":
        return text[:4]
    if precision == "MonthPrecision":
        return text[:7]
    return text


def edge_pair_id(u: Any, v: Any) -> str:
    """The id of the drawn edge joining two entities (IRIs never contain spaces)."""
    return f"{u} {v}"


@lru_cache(maxsize=32)
def _cached_layout(
    nodes: tuple[Any, ...], edges: tuple[tuple[Any, Any], ...], seed: int
) -> dict[Any, tuple[float, float]]:
    g: nx.Graph[Any] = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    return compute_layout(g, seed=seed)


def layout_positions(g: nx.Graph, *, seed: int = 7) -> dict[Any, tuple[float, float]]:
    """Deterministic positions for ``g``, cached by its node and edge sets (never jump on rerun)."""
    nodes = tuple(sorted(g.nodes, key=str))
    edges = tuple(sorted({tuple(sorted((u, v), key=str)) for u, v in g.edges() if u != v}, key=str))
    return _cached_layout(nodes, edges, seed)


def style_view(
    g: nx.MultiDiGraph,
    *,
    groups: Mapping[Any, str],
    sizes: Mapping[Any, float] | None = None,
    violations: Mapping[Any, Sequence[str]] | None = None,
    hidden: Mapping[Any, int] | None = None,
    focus: Any = None,
    positions: Mapping[Any, tuple[float, float]] | None = None,
    size_label: str = "size",
    group_order: Sequence[str] = (),
) -> tuple[nx.DiGraph, list[tuple[str, str, str]], dict[str, tuple[Any, Any]]]:
    """The display graph: one node per entity, one edge per pair of entities, all styled.

    Node tooltips and edge tooltips are plain text (vis-network shows them as text). The
    legend lists ``(group, colour, shape)``; ``group_order``: see :func:`group_styles`.
    """
    styles = group_styles((groups.get(n, "Other") for n in g.nodes), group_order)
    colours = {name: colour for name, (colour, _) in styles.items()}
    sizes = sizes or {}
    violations = violations or {}
    hidden = hidden or {}
    top = max(sizes.values(), default=0.0) or 1.0
    pos = positions if positions is not None else layout_positions(g)
    d: nx.DiGraph[Any] = nx.DiGraph()
    for n, data in g.nodes(data=True):
        label = str(data.get("label", n))
        group = groups.get(n, "Other")
        lines = [label, f"{data.get('type', 'Entity')} · {short_name(n)}"]
        if n in sizes:
            lines.append(f"{size_label}: {sizes[n]:.3g}")
        if hidden.get(n):
            lines.append(f"{hidden[n]} more neighbours not shown")
        shown = _short(label)
        if hidden.get(n):
            shown += f" (+{hidden[n]})"
        item: dict[str, Any] = {
            "label": shown,
            "group": group,
            "color": colours[group],
            "shape": styles[group][1],
            "size": round(10 + 30 * (sizes.get(n, 0.0) / top), 1) if sizes else 16,
            "borderWidth": 1,
        }
        problems = violations.get(n, ())
        if problems:
            item["color"] = {"background": colours[group], "border": VIOLATION_COLOUR}
            item["borderWidth"] = 5
            item["label"] = "⚠ " + item["label"]
            lines.append(f"{len(problems)} SHACL violation(s):")
            lines += [f"  - {m}" for m in problems[:5]]
        if n == focus:
            item["borderWidth"] = max(item["borderWidth"], 3)
            item["font"] = {"size": 18, "face": "sans-serif", "bold": True}
            item["shape"] = "star"
        item["title"] = "\n".join(lines)
        if n in pos:
            # a tenth of a layout unit is far below a pixel: shorter numbers, smaller pages
            item["x"], item["y"] = round(pos[n][0], 1), round(pos[n][1], 1)
        d.add_node(n, **item)
    pairs: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for u, v, data in g.edges(data=True):
        key = (u, v) if (v, u) not in pairs else (v, u)
        pairs.setdefault(key, []).append({**data, "_dir": (u, v)})
    edge_pairs: dict[str, tuple[Any, Any]] = {}
    for (u, v), items in pairs.items():
        eid = edge_pair_id(u, v)
        edge_pairs[eid] = (u, v)
        rels = sorted({str(x.get("relation")) for x in items})
        lab_u = str(g.nodes[u].get("label", u))
        lab_v = str(g.nodes[v].get("label", v))
        title = [f"{lab_u} — {lab_v}"] + [
            ("→ " if x["_dir"] == (u, v) else "← ") + describe_statement(x) for x in items[:MAX_TOOLTIP_STATEMENTS]
        ]
        if len(items) > MAX_TOOLTIP_STATEMENTS:
            title.append(f"… and {len(items) - MAX_TOOLTIP_STATEMENTS} more statements")
        title.append("(click for statements and sources)")
        grades = [x["credibility"] for x in items if x.get("credibility") is not None]
        statuses = {x.get("status") for x in items}
        doubtful = bool(statuses & {"Contradicted", "Opinion", "Unverified", "PartlyVerified"}) or any(
            x.get("uncertain_on") for x in items
        )
        d.add_edge(
            u,
            v,
            id=eid,
            label=_short(", ".join(rels), 40),
            title="\n".join(title),
            width=1 + max(0, 6 - min(grades)) * 0.6 if grades else 1,
            dashes=doubtful,
            color="#c0392b" if "Contradicted" in statuses else "#7f8c8d",
            arrows="to" if all(x["_dir"] == (u, v) for x in items) else "to, from",
        )
    legend = [(name, colour, shape) for name, (colour, shape) in styles.items()]
    return d, legend, edge_pairs


def draw_view(
    g: nx.MultiDiGraph,
    *,
    groups: Mapping[Any, str],
    sizes: Mapping[Any, float] | None = None,
    violations: Mapping[Any, Sequence[str]] | None = None,
    hidden: Mapping[Any, int] | None = None,
    focus: Any = None,
    positions: Mapping[Any, tuple[float, float]] | None = None,
    height: str = "680px",
    size_label: str = "size",
    group_order: Sequence[str] = (),
) -> Drawing:
    """Style a view (see :func:`style_view`) and give its vis-network items (:attr:`Drawing.html`: the page)."""
    d, legend, edge_pairs = style_view(
        g, groups=groups, sizes=sizes, violations=violations, hidden=hidden, focus=focus,
        positions=positions, size_label=size_label, group_order=group_order,
    )  # fmt: skip
    pos = {n: (a["x"], a["y"]) for n, a in d.nodes(data=True) if "x" in a}
    vnodes, vedges = vis_items(d, positions=pos)
    items = {"nodes": vnodes, "edges": vedges}
    return Drawing(legend, edge_pairs, d.number_of_nodes(), d.number_of_edges(), items, height)
