"""A remote store: the knowledge graph held by any SPARQL 1.1 endpoint.

``--store http://host:port/query`` (Oxigraph server, Apache Jena Fuseki, GraphDB,
Virtuoso, QLever, Amazon Neptune...) gives a :class:`~graph.store.KnowledgeGraph`
whose ``backend`` is ``"remote"``:

* :func:`graph.sparql.run_query` sends the query text over plain HTTP (SPARQL 1.1
  Protocol, form-encoded POST), after the same safety check as on the embedded
  stores (``oxigraph serve`` would follow ``SERVICE`` to any address), with the
  project's prefixes declared and parameters bound by a ``VALUES`` block. Answers are
  parsed by Oxigraph's parsers (JSON, XML, TSV; N-Triples, Turtle, RDF/XML), row by
  row, so the row limit stops reading early.
* ``kg.dataset`` is an rdflib ``Dataset`` over rdflib's read-only ``SPARQLStore``,
  for code that wants the rdflib API (triples, ``len``).

The time limit is enforced client-side (socket timeout and a deadline while
reading); give the server its own limit too (``oxigraph serve-read-only
--timeout-s``), since the client cannot stop work already running there.
"""

from __future__ import annotations

import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset
from rdflib.term import Identifier, Node

from graph.errors import QueryError, QuerySyntaxError, QueryTimeout
from graph.limits import QueryLimits
from graph.sparql import (
    QueryResult,
    _new_graph,
    _syntax_error,
    check_query,
    declare_prefixes,
    inject_values,
    term_from_ox,
)
from graph.store import KnowledgeGraph, register_store
from graph.terms import from_ox

USER_AGENT = "alliance-graph (SPARQL 1.1 client)"
SELECT_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "text/tab-separated-values;q=0.8"
)
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"

_RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_TYPES = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def _refuse_entities(name: str, stream: Any) -> Any:
    """The stream, once its start shows no XML entity declaration (they expand without limit)."""
    import io

    from graph.errors import DataLoadError
    from graph.untrusted import XML_PROLOG_LIMIT, refuse_xml_entities

    head = stream.read(XML_PROLOG_LIMIT)
    try:
        refuse_xml_entities(name, head)
    except DataLoadError as err:
        raise QueryError(f"the endpoint's answer was refused: {err}") from err

    class _Rest(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buf: Any) -> int:
            nonlocal head
            if head:
                n = min(len(buf), len(head))
                buf[:n] = head[:n]
                head = head[n:]
                return n
            chunk = stream.read(len(buf))
            buf[: len(chunk)] = chunk
            return len(chunk)

    return io.BufferedReader(_Rest())


def _remote_factory(url: str) -> KnowledgeGraph:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(url, returnFormat="json", method="POST_FORM")
    dataset = Dataset(store=store)
    return KnowledgeGraph(backend="remote", dataset=dataset, endpoint=url)


register_store("remote", _remote_factory)


def post_query(url: str, text: str, accept: str, timeout: float | None) -> Any:
    """POST ``text`` to the endpoint (form-encoded); the open HTTP response.

    Raises
    ------
    QuerySyntaxError
        The endpoint answered 400 and its message names a position.
    QueryError
        Any other refusal, or the endpoint cannot be reached.
    QueryTimeout
        No answer within ``timeout`` seconds.
    """
    body = urllib.parse.urlencode({"query": text}).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Accept": accept,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": USER_AGENT,
        },
    )
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - the user's endpoint
    except urllib.error.HTTPError as err:
        message = err.read(4000).decode("utf-8", "replace").strip()
        if err.code == 400:
            syntax = _syntax_error(Exception(message))
            if syntax.line is not None:
                raise syntax from err
        raise QueryError(f"the endpoint {url} answered {err.code} {err.reason}: {message}") from err
    except TimeoutError as err:
        raise QueryTimeout(f"the endpoint {url} did not answer within {timeout:g} s") from err
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError | socket.timeout):
            raise QueryTimeout(f"the endpoint {url} did not answer within {timeout:g} s") from err
        raise QueryError(f"cannot reach the endpoint {url}: {err.reason}") from err


def _media_type(response: Any) -> str:
    return str(response.headers.get("Content-Type", "")).split(";", 1)[0].strip().lower()


def run_remote(
    kg: KnowledgeGraph,
    text: str,
    terms: Mapping[str, Identifier],
    limits: QueryLimits,
) -> QueryResult:
    """Run a checked query on the endpoint of ``kg`` and read the answer into a result."""
    assert kg.endpoint is not None
    form = check_query(text, limits)
    with_values = inject_values(text, terms)
    sent = declare_prefixes(with_values)
    added_lines = sent.count("\n") - with_values.count("\n")
    timeout = limits.timeout_s if limits.timeout_s and limits.timeout_s > 0 else None
    deadline = None if timeout is None else time.monotonic() + timeout
    cap = limits.row_cap()
    graph_form = form in {"CONSTRUCT", "DESCRIBE"}
    accept = GRAPH_ACCEPT if graph_form else SELECT_ACCEPT
    try:
        response = post_query(kg.endpoint, sent, accept, timeout)
    except QuerySyntaxError as err:
        if err.line is not None and added_lines and err.line > added_lines:
            # Report the position in the user's text, not in the text with PREFIX lines added.
            message = str(err).split(": ", 1)[-1]
            message = re.sub(r"^line \d+(, column \d+)?: ", "", message)
            raise QuerySyntaxError(message, err.line - added_lines, err.column) from err
        raise

    def check_deadline() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTimeout(
                f"the query was stopped after {timeout:g} s (the time limit) while reading "
                f"from {kg.endpoint}"
            )

    with response:
        media = _media_type(response)
        try:
            if graph_form:
                fmt = _GRAPH_TYPES.get(media)
                if fmt is None:
                    raise QueryError(f"the endpoint {kg.endpoint} sent {media!r}, not an RDF graph")
                g = _new_graph()
                truncated = False
                source = response
                if fmt == ox.RdfFormat.RDF_XML:
                    source = _refuse_entities(kg.endpoint or "endpoint", response)
                for t in ox.parse(source, format=fmt):
                    if cap is not None and len(g) >= cap:
                        truncated = True
                        break
                    check_deadline()
                    g.add((from_ox(t.subject), from_ox(t.predicate), term_from_ox(t.object)))  # type: ignore[arg-type]
                return QueryResult(kind="graph", graph=g, truncated=truncated)
            rfmt = _RESULT_TYPES.get(media)
            if rfmt is None:
                raise QueryError(f"the endpoint {kg.endpoint} sent {media!r}, not SPARQL results")
            parsed = ox.parse_query_results(response, format=rfmt)
            if isinstance(parsed, ox.QueryBoolean):
                return QueryResult(kind="ask", boolean=bool(parsed))
            names = [v.value for v in parsed.variables]
            rows: list[tuple[Node | None, ...]] = []
            truncated = False
            for solution in parsed:
                if cap is not None and len(rows) >= cap:
                    truncated = True
                    break
                if len(rows) % 1000 == 0:
                    check_deadline()
                rows.append(tuple(term_from_ox(solution[name]) for name in names))
            return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
        except SyntaxError as err:
            raise QueryError(f"the endpoint {kg.endpoint} sent an unreadable answer: {err}") from err
        except TimeoutError as err:
            raise QueryTimeout(
                f"the endpoint {kg.endpoint} stopped answering within {timeout:g} s"
            ) from err
        except (OSError, ValueError) as err:
            raise QueryError(f"reading the answer of {kg.endpoint} failed: {err}") from err
