"""The graph on the page: an ``st.components.v2`` component holding an iframe with an empty
vis-network page (``graph.render.shell_html``, vis-network inlined), which the component
fills with a view's items (``network.setData``) and whose clicks it carries back to Python.
The frame loads vis-network once; a new view sends only its nodes and edges.

Events (trigger values, present only in the rerun the click causes):

``node``     the IRI of a clicked node
``edge``     the id of a clicked edge (``"<subject IRI> <object IRI>"``)
``expand``   the IRI of a double-clicked node

The toolbar's PNG button saves the canvas in the browser (``canvas.toDataURL``): nothing is
sent to the server. Nothing in the component loads anything from the network: the page it
shows inlines vis-network.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import streamlit as st

_HTML = """
<div class="ag-graph" data-ready="0">
  <div class="ag-toolbar">
    <button type="button" data-act="fit" title="Fit the whole view in the frame">Fit</button>
    <button type="button" data-act="png" title="Save the picture as PNG (made in your browser)">Save PNG</button>
    <span class="ag-hint">Click a node for its profile · click a line for its statements · double-click to focus</span>
  </div>
  <iframe class="ag-frame" title="Network view"></iframe>
</div>
"""

_CSS = """
.ag-graph { width: 100%; font-family: sans-serif; }
.ag-toolbar { display: flex; gap: .5rem; align-items: center; margin-bottom: .25rem; }
.ag-toolbar button { font: inherit; font-size: .85rem; padding: .2rem .6rem; border-radius: .4rem;
  border: 1px solid rgba(49, 51, 63, .3); background: var(--st-background-color, #fff);
  color: var(--st-text-color, #31333f); cursor: pointer; }
.ag-toolbar button:hover { border-color: var(--st-primary-color, #ff4b4b); }
.ag-hint { font-size: .8rem; opacity: .7; }
.ag-frame { width: 100%; border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; display: block; }
"""

_JS = """
function hook(root, frame, setTriggerValue) {
  const w = frame.contentWindow;
  const net = w && w.network;
  if (!net) { return; }
  net.on('click', (p) => {
    if (p.nodes && p.nodes.length) {
      const n = w.nodes.get(p.nodes[0]);
      if (n) { setTriggerValue('node', n.key); }
    } else if (p.edges && p.edges.length) {
      setTriggerValue('edge', String(p.edges[0]));
    }
  });
  net.on('doubleClick', (p) => {
    if (p.nodes && p.nodes.length) {
      const n = w.nodes.get(p.nodes[0]);
      if (n) { setTriggerValue('expand', n.key); }
    }
  });
}

function savePng(frame, filename) {
  const doc = frame.contentDocument;
  const canvas = doc && doc.querySelector('canvas');
  if (!canvas) { return; }
  const out = document.createElement('canvas');
  out.width = canvas.width; out.height = canvas.height;
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(canvas, 0, 0);
  const a = document.createElement('a');
  a.href = out.toDataURL('image/png');
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function draw(root, frame, items, key) {
  // Give vis-network (already loaded in the frame) the view's data.
  const w = frame.contentWindow;
  const started = performance.now();
  delete root.dataset.drawMs;
  // how long vis-network took to draw the view (read by the benchmark harness)
  w.network.once('afterDrawing', () => {
    root.dataset.drawMs = String(Math.round(performance.now() - started));
  });
  w.nodes = new w.vis.DataSet(items.nodes);
  w.edges = new w.vis.DataSet(items.edges);
  w.network.setData({ nodes: w.nodes, edges: w.edges });
  w.network.fit();
  // fit() frames the nodes, not their labels: leave a margin so edge labels stay whole
  w.network.moveTo({ scale: w.network.getScale() * 0.9 });
  root.dataset.key = key;
  root.dataset.nodes = String(w.nodes.length);
  root.dataset.edges = String(w.edges.length);
  root.dataset.ready = '1';
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  // the payload comes as UTF-8 JSON bytes (see show_graph)
  const raw = component.data;
  const data = (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw))
    ? JSON.parse(new TextDecoder().decode(raw)) : raw;
  const root = parentElement.querySelector('.ag-graph');
  const frame = root.querySelector('iframe');
  frame.style.height = data.height + 'px';
  // Keep the address bar on the view drawn (a quick run of changes can leave it one behind).
  if (typeof data.query === 'string' && location.search !== data.query) {
    history.replaceState(history.state, '', location.pathname + data.query + location.hash);
  }
  root.dataset.filename = data.filename;
  // The latest view wins: a frame still loading draws it once vis-network is there.
  root.agPending = { items: data.items, key: data.key };
  if (root.dataset.shell !== data.shell_key) {
    root.dataset.shell = data.shell_key;
    root.dataset.ready = '0';
    root.dataset.loaded = '0';
    frame.onload = () => {
      const w = frame.contentWindow;
      if (!w || !w.network) { return; }
      hook(root, frame, setTriggerValue);
      root.dataset.loaded = '1';
      draw(root, frame, root.agPending.items, root.agPending.key);
    };
    frame.srcdoc = data.shell;
  } else if (root.dataset.loaded === '1' && root.dataset.key !== data.key) {
    draw(root, frame, data.items, data.key);
  }
  root.querySelectorAll('button[data-act]').forEach((b) => {
    b.onclick = () => {
      if (b.dataset.act === 'png') { savePng(frame, root.dataset.filename || 'alliance-graph.png'); }
      if (b.dataset.act === 'fit' && frame.contentWindow && frame.contentWindow.network) {
        frame.contentWindow.network.fit();
      }
    };
  });
}
"""

_COMPONENT = st.components.v2.component("alliance_graph.network", html=_HTML, css=_CSS, js=_JS)


def _noop() -> None:
    return None


#: Pixels above the frame taken by the toolbar (Fit, Save PNG, the hint).
TOOLBAR_PX = 30


def items_digest(items: dict[str, Any]) -> str:
    """A short name for a view's items: the frame redraws only when it changes."""
    return hashlib.sha1(json.dumps(items, sort_keys=True).encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def frame_page(height: int) -> tuple[str, str]:
    """The empty vis-network page for a frame ``height`` pixels high, and its digest."""
    from graph.render import shell_html

    html = shell_html(f"{height}px")
    return html, hashlib.sha1(html.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def show_graph(
    items: dict[str, Any],
    *,
    key: str,
    view_key: str | None = None,
    height: int = 680,
    filename: str = "alliance-graph.png",
    query: str | None = None,
) -> Any:
    """Draw a view's vis-network ``items`` (``{"nodes": [...], "edges": [...]}``, see
    ``graph.render.Drawing.items``); returns the component result (``.node``, ``.edge``,
    ``.expand``).

    ``view_key`` names the view (the frame redraws only when it changes; by default
    :func:`items_digest`, which a caller that caches its drawing can compute once). ``query`` (``"?focus=agr:CAN&..."``) is the view's URL query:
    the browser's address is kept on it, so the address bar always shares the view on
    screen.
    """
    shell, shell_key = frame_page(height - TOOLBAR_PX)
    if view_key is None:
        view_key = items_digest(items)
    payload = {
        "shell": shell, "shell_key": shell_key, "items": items, "key": view_key,
        "height": height, "filename": filename, "query": query,
    }  # fmt: skip
    return _COMPONENT(
        key=key,
        # As JSON bytes, not a dict: Streamlit looks for dataframes in a dict's values, which
        # imports pandas and pyarrow (0.5 s the first page would wait for); bytes pass as-is.
        data=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
        on_node_change=_noop,
        on_edge_change=_noop,
        on_expand_change=_noop,
    )  # fmt: skip
