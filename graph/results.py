"""Serialise query results: table, CSV, TSV, SPARQL 1.1 Results JSON and XML; graphs as RDF.

These writers work on a :class:`~graph.sparql.QueryResult` of any store. For large
results on the Oxigraph store, :func:`graph.sparql.run_query_to` writes the wire
formats with Oxigraph's own serialisers instead (same output, much faster).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from graph.errors import ConfigError
from graph.sparql import STANDARD_PREFIXES, QueryResult

TABLE_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("ttl", "nt", "jsonld")
_RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}
ALL_FORMATS = (*TABLE_FORMATS, *GRAPH_FORMATS)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "table": "text/plain; charset=utf-8",
}


#: File extension of each format, for downloads.
EXTENSIONS = {
    "csv": "csv", "tsv": "tsv", "json": "srj", "xml": "srx",
    "ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "table": "txt",
}


def check_format(fmt: str) -> None:
    """Raise :class:`~graph.errors.ConfigError` for a format no result can be written in."""
    if fmt not in ALL_FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(ALL_FORMATS)}")


def expand_name(text: str, prefixes: dict[str, str] = STANDARD_PREFIXES) -> str:
    """The full IRI of ``prefix:name`` when the prefix is known, else ``text`` unchanged.

    >>> expand_name("agr:CAN")
    'https://w3id.org/alliance-graph/id/CAN'
    """
    prefix, sep, local = text.partition(":")
    if sep and prefix in prefixes and not local.startswith("//"):
        return prefixes[prefix] + local
    return text


def short_name(node: Node | None, prefixes: dict[str, str] = STANDARD_PREFIXES) -> str:
    """``agr:CAN`` for a project IRI, the lexical form for a literal, ``""`` for unbound."""
    if node is None:
        return ""
    if isinstance(node, URIRef):
        s = str(node)
        best = ""
        for prefix, iri in prefixes.items():
            if s.startswith(iri) and len(iri) > len(best):
                best, name = iri, f"{prefix}:{s[len(iri):]}"
        return name if best else s
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _csv_cell(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tsv_cell(node: Node | None) -> str:
    """A term as N-Triples-style text on one line (as the SPARQL TSV format requires)."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        body = '"' + str(node).translate(_NT_ESCAPES) + '"'
        if node.language:
            return f"{body}@{node.language}"
        if node.datatype:
            return f"{body}^^<{node.datatype}>"
        return body
    if isinstance(node, BNode):
        return f"_:{node}"
    return f"<{node}>"


def safe_spreadsheet_cell(value: str) -> str:
    """Neutralise spreadsheet formula injection: prefix a quote to cells starting =, +, -, @."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def to_csv(result: QueryResult, *, safe: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    writer.writerow(result.vars)
    for row in result.rows:
        cells = [_csv_cell(t) for t in row]
        writer.writerow([safe_spreadsheet_cell(c) for c in cells] if safe else cells)
    return buf.getvalue()


def to_tsv(result: QueryResult) -> str:
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    lines += ["\t".join(_tsv_cell(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json_term(node: Node) -> dict[str, str]:
    if isinstance(node, URIRef):
        return {"type": "uri", "value": str(node)}
    if isinstance(node, BNode):
        return {"type": "bnode", "value": str(node)}
    assert isinstance(node, Literal)
    out = {"type": "literal", "value": str(node)}
    if node.language:
        out["xml:lang"] = node.language
    elif node.datatype:
        out["datatype"] = str(node.datatype)
    return out


def to_json(result: QueryResult) -> str:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    bindings = [
        {v: _json_term(t) for v, t in zip(result.vars, row, strict=True) if t is not None}
        for row in result.rows
    ]
    return json.dumps({"head": {"vars": result.vars}, "results": {"bindings": bindings}})


def _xml_term(node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<uri>{escape(str(node))}</uri>"
    if isinstance(node, BNode):
        return f"<bnode>{escape(str(node))}</bnode>"
    assert isinstance(node, Literal)
    attrs = ""
    if node.language:
        attrs = f" xml:lang={quoteattr(node.language)}"
    elif node.datatype:
        attrs = f" datatype={quoteattr(str(node.datatype))}"
    return f"<literal{attrs}>{escape(str(node))}</literal>"


def to_xml(result: QueryResult) -> str:
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ask":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>"]
    else:
        out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.vars) + "</head>")
        out.append("<results>")
        for row in result.rows:
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(result.vars, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def to_table(result: QueryResult, max_width: int = 60) -> str:
    if result.kind == "ask":
        return "true" if result.boolean else "false"
    header = list(result.vars)
    body = [[short_name(t)[:max_width] for t in row] for row in result.rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in body]
    lines.append(f"({len(body)} row{'s' if len(body) != 1 else ''}{', truncated' if result.truncated else ''})")
    return "\n".join(lines)


def serialize_result(result: QueryResult, fmt: str) -> str:
    """Serialise a result in ``fmt``; a clear error when the format does not fit the result."""
    if result.kind == "graph":
        if fmt == "table":
            fmt = "ttl"
        if fmt not in GRAPH_FORMATS:
            raise ConfigError(
                f"format {fmt!r} does not fit a graph result; use one of {', '.join(GRAPH_FORMATS)}"
            )
        assert result.graph is not None
        return result.graph.serialize(format=_RDFLIB_FORMAT[fmt])
    writers = {"table": to_table, "csv": to_csv, "tsv": to_tsv, "json": to_json, "xml": to_xml}
    if fmt not in writers:
        raise ConfigError(
            f"format {fmt!r} does not fit a {result.kind.upper()} result; "
            f"use one of {', '.join(TABLE_FORMATS)}"
        )
    return writers[fmt](result)


# --- shapes for the app ------------------------------------------------------------------

PROFILE_PAGE = "./profile"


def profile_link(node: Node | None, page: str = PROFILE_PAGE) -> str | None:
    """The link to an entity's profile page (``./profile?entity=agr:CAN``), or ``None`` for non-IRIs.

    >>> profile_link(URIRef("https://w3id.org/alliance-graph/id/CAN"))
    './profile?entity=agr:CAN'
    """
    if not isinstance(node, URIRef):
        return None
    from urllib.parse import quote

    return f"{page}?entity={quote(short_name(node), safe=':/#')}"


def table_columns(result: QueryResult) -> tuple[list[dict[str, str]], set[str]]:
    """Rows for a table widget, and the columns whose every value is an IRI (shown as links).

    IRI cells of link columns hold the profile link; the others hold short names.
    """
    link_cols = {
        v
        for i, v in enumerate(result.vars)
        if any(row[i] is not None for row in result.rows)
        and all(row[i] is None or isinstance(row[i], URIRef) for row in result.rows)
    }
    rows = []
    for row in result.rows:
        rec: dict[str, str] = {}
        for v, t in zip(result.vars, row, strict=True):
            rec[v] = (profile_link(t) or "") if v in link_cols else short_name(t)
        rows.append(rec)
    return rows, link_cols


def graph_to_network(g: object, max_nodes: int = 2000) -> object:
    """A networkx MultiDiGraph of a CONSTRUCT result: resources and literals as nodes, triples as edges."""
    import networkx as nx
    from rdflib import Graph

    assert isinstance(g, Graph)
    out: nx.MultiDiGraph[Any] = nx.MultiDiGraph()
    for s, p, o in g:
        if out.number_of_nodes() >= max_nodes:
            break
        for n in (s, o):
            if n not in out:
                literal = isinstance(n, Literal)
                out.add_node(
                    n,
                    label=short_name(n)[:60],
                    title=short_name(n),
                    shape="box" if literal else "dot",
                    color="#d9d9d9" if literal else "#4c78a8",
                )
        out.add_edge(s, o, label=short_name(p), title=short_name(p))
    return out
