"""The graph on the page: the self-contained pyvis page (``graph.render``) shown in an iframe
by an ``st.components.v2`` component, which carries clicks back to Python.

Events (trigger values, present only in the rerun the click causes):

``node``     the IRI of a clicked node
``edge``     the id of a clicked edge (``"<subject IRI> <object IRI>"``)
``expand``   the IRI of a double-clicked node

The toolbar's PNG button saves the canvas in the browser (``canvas.toDataURL``): nothing is
sent to the server. Nothing in the component loads anything from the network: the page it
shows inlines vis-network.
"""

from __future__ import annotations

import hashlib
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
  root.dataset.ready = '1';
  root.dataset.nodes = String(w.nodes.length);
  root.dataset.edges = String(w.edges.length);
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

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector('.ag-graph');
  const frame = root.querySelector('iframe');
  frame.style.height = data.height + 'px';
  // Keep the address bar on the view drawn (a quick run of changes can leave it one behind).
  if (typeof data.query === 'string' && location.search !== data.query) {
    history.replaceState(history.state, '', location.pathname + data.query + location.hash);
  }
  root.dataset.filename = data.filename;
  if (root.dataset.key !== data.key) {
    root.dataset.key = data.key;
    const w = frame.contentWindow;
    if (data.items && root.dataset.ready === '1' && w && w.network && w.vis) {
      // vis-network is already loaded in the frame: give it the new view's data only
      w.nodes = new w.vis.DataSet(data.items.nodes);
      w.edges = new w.vis.DataSet(data.items.edges);
      w.network.setData({ nodes: w.nodes, edges: w.edges });
      w.network.fit();
      root.dataset.nodes = String(w.nodes.length);
      root.dataset.edges = String(w.edges.length);
    } else {
      root.dataset.ready = '0';
      frame.onload = () => hook(root, frame, setTriggerValue);
      frame.srcdoc = data.html;
    }
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


def show_graph(
    html: str,
    *,
    key: str,
    height: int = 680,
    filename: str = "alliance-graph.png",
    query: str | None = None,
    items: dict[str, Any] | None = None,
) -> Any:
    """Show a rendered view; returns the component result (``.node``, ``.edge``, ``.expand``).

    ``query`` (``"?focus=agr:CAN&..."``) is the view's URL query: the browser's address is
    kept on it, so the address bar always shares the view on screen. ``items`` (the view's
    vis-network nodes and edges) lets a frame that already shows a drawing take the new
    view without reloading vis-network.
    """
    digest = hashlib.sha1(html.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return _COMPONENT(
        key=key,
        data={"html": html, "key": digest, "height": height, "filename": filename, "query": query, "items": items},
        on_node_change=_noop,
        on_edge_change=_noop,
        on_expand_change=_noop,
    )
