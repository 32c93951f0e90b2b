"""A read-only SPARQL 1.1 Protocol endpoint over the loaded graph.

``alliance-graph serve`` runs :func:`make_server`: a threaded ``http.server`` that
answers

``GET /sparql?query=...`` and ``POST /sparql``
    form-encoded (``query=...``) or direct (``Content-Type: application/sparql-query``);
    ``/`` and ``/query`` are the same endpoint. Answers are negotiated from ``Accept``
    (or ``format=``/``output=``): SPARQL Results JSON (default), XML, CSV, TSV for
    SELECT/ASK; Turtle (default), N-Triples, JSON-LD for CONSTRUCT/DESCRIBE.
``GET /`` without a query
    the service description with its VoID dataset (Turtle, N-Triples or JSON-LD), or
    for a browser a small HTML page with the saved-query catalogue.
``GET /void``
    the VoID description alone: counts, class partitions, sources, licence.
``GET /queries`` and ``/queries/NAME.rq``
    the saved-query catalogue as JSON, and each query's text.

Every query goes through :func:`graph.sparql.run_query_to`: the safety check
(updates refused with 403, ``SERVICE``/``FROM`` and the protocol's
``default-graph-uri``/``named-graph-uri`` refused unless allowed), then a killable
worker under the time and row limits. A malformed query gets 400 with the parser's
message, a query stopped at the time limit 503. Each request has its own thread and
each query its own worker process, so a long query never holds up other clients.
The server binds loopback by default and sends no CORS headers unless asked to.

HTTP is checked before any query runs: the ``Host`` must be one of the server's names
(421 otherwise, against DNS rebinding), ``Content-Length`` one whole number (400),
chunked bodies are read under the same size limit, and a client that does not send its
whole request within the request timeout gets 408 and is disconnected. One client
(remote address) holds at most ``per_client_slots`` of the query slots
(:class:`FairSlots`). The service and VoID IRIs come from the public URL, not from the
client's ``Host``, and the VoID is computed once per graph.
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from graph import __version__, paths, workers
from graph.errors import (
    AllianceGraphError,
    AnswerTooLarge,
    ConfigError,
    QueryError,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
)
from graph.limits import QueryLimits
from graph.results import GRAPH_FORMATS, MEDIA_TYPES, TABLE_FORMATS
from graph.settings import env_int, env_list, env_number, env_text
from graph.sparql import (
    STANDARD_PREFIXES,
    SavedQuery,
    check_query,
    list_saved_queries,
    run_query,
    run_query_to,
)
from graph.store import KnowledgeGraph

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")

QUERY_PATHS = ("/", "/sparql", "/query")
MAX_BODY = 1_000_000
#: Largest oversized body read away so that its sender gets the 413 (beyond: cut off).
MAX_DRAIN = 32 * MAX_BODY

#: Media types a client may ask for, and the format each one means.
_ACCEPT_TABLE = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "text/javascript": "json",
    "application/javascript": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_ACCEPT_GRAPH = {
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "jsonld",
    "application/x-json+ld": "jsonld",
    "application/json": "jsonld",
}
_SHORT = {
    "json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv",
    "ttl": "ttl", "turtle": "ttl", "nt": "nt", "ntriples": "nt", "n-triples": "nt",
    "jsonld": "jsonld", "json-ld": "jsonld",
}
_RESULT_FORMAT_IRIS = {
    "json": FORMATS_NS.SPARQL_Results_JSON,
    "xml": FORMATS_NS.SPARQL_Results_XML,
    "csv": FORMATS_NS.SPARQL_Results_CSV,
    "tsv": FORMATS_NS.SPARQL_Results_TSV,
    "ttl": FORMATS_NS.Turtle,
    "nt": FORMATS_NS["N-Triples"],
    "jsonld": FORMATS_NS["JSON-LD"],
}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media types of an ``Accept`` header, best first.

    >>> parse_accept("text/csv;q=0.5, application/sparql-results+json")
    [('application/sparql-results+json', 1.0), ('text/csv', 0.5)]
    """
    out: list[tuple[str, float, int]] = []
    for i, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            out.append((media, q, i))
    out.sort(key=lambda t: (-t[1], t[2]))
    return [(m, q) for m, q, _ in out]


def negotiate(kind: str, accept: str | None, explicit: str | None = None) -> str:
    """The format to answer in: ``explicit`` (``format=``) if it fits, then ``Accept``, then the default.

    >>> negotiate("select", "text/csv")
    'csv'
    >>> negotiate("graph", "application/sparql-results+json, */*;q=0.1")
    'ttl'
    """
    table = kind != "graph"
    allowed = TABLE_FORMATS if table else GRAPH_FORMATS
    default = "json" if table else "ttl"
    if explicit:
        # format=/output= (as SPARQLWrapper and Fuseki send them); one that does not fit
        # the result (format=turtle on a SELECT) is ignored in favour of Accept.
        key = explicit.strip().lower()
        fmt = _SHORT.get(key) or (_ACCEPT_TABLE if table else _ACCEPT_GRAPH).get(key)
        if fmt is not None and fmt in allowed:
            return fmt
    mapping = _ACCEPT_TABLE if table else _ACCEPT_GRAPH
    for media, _q in parse_accept(accept):
        if media in mapping:
            return mapping[media]
        if media in {"*/*", "application/*", "text/*"}:
            return default
    return default


@dataclass
class Answer:
    """One HTTP answer."""

    status: int
    body: bytes
    media_type: str
    headers: dict[str, str] | None = None


def _int(node: object) -> int:
    try:
        return int(str(node)) if node is not None else 0
    except ValueError:
        return 0


def _text(status: int, message: str) -> Answer:
    return Answer(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain; charset=utf-8")


#: How long a query may wait for a free slot before the server answers 503 (seconds).
ENV_QUEUE_WAIT = "ALLIANCE_GRAPH_QUEUE_WAIT"
DEFAULT_QUEUE_WAIT_S = 60.0
#: Seconds a client has to send a whole request (line, headers, body); 0: no limit.
ENV_REQUEST_TIMEOUT = "ALLIANCE_GRAPH_REQUEST_TIMEOUT"
DEFAULT_REQUEST_TIMEOUT_S = 20.0
#: Extra names the server answers to (``Host``), comma-separated; ``*`` for any.
ENV_ALLOWED_HOSTS = "ALLIANCE_GRAPH_ALLOWED_HOSTS"
#: The public base IRI of the endpoint (its VoID and service IRIs).
ENV_PUBLIC_URL = "ALLIANCE_GRAPH_PUBLIC_URL"
#: Query slots one client (remote address) may hold at once; 0: all but one.
ENV_CLIENT_SLOTS = "ALLIANCE_GRAPH_CLIENT_SLOTS"

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "localhost.localdomain", "ip6-localhost")


def queue_wait_s() -> float:
    return env_number(ENV_QUEUE_WAIT, DEFAULT_QUEUE_WAIT_S)


def request_timeout_s() -> float:
    return env_number(ENV_REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT_S)


class FairSlots:
    """Query slots shared fairly between clients (by remote address).

    At most ``slots`` queries run at once, and one client holds at most ``per_client``
    of them (default ``slots - 1``), so a client sending runaways always leaves a slot
    to the others. A freed slot goes to the waiting client that holds the fewest (the
    earliest of those first): under contention every client converges to an equal
    share, while a client alone may use every slot but the reserved one.
    """

    def __init__(self, slots: int, per_client: int | None = None) -> None:
        self.slots = max(1, slots)
        self.per_client = max(1, min(self.slots, per_client or self.slots - 1))
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._total = 0
        self._waiting: list[tuple[int, str]] = []  # (arrival, client)
        self._seq = 0

    def _next(self) -> tuple[int, str] | None:
        if self._total >= self.slots:
            return None
        best: tuple[int, int, str] | None = None
        for arrival, client in self._waiting:
            held = self._running.get(client, 0)
            if held >= self.per_client:
                continue
            if best is None or (held, arrival) < best[:2]:
                best = (held, arrival, client)
        return None if best is None else (best[1], best[2])

    def acquire(self, client: str, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._seq += 1
            me = (self._seq, client)
            self._waiting.append(me)
            try:
                while self._next() != me:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                self._running[client] = self._running.get(client, 0) + 1
                self._total += 1
                return True
            finally:
                self._waiting.remove(me)
                self._cond.notify_all()

    def release(self, client: str) -> None:
        with self._cond:
            held = self._running.get(client, 0) - 1
            if held > 0:
                self._running[client] = held
            else:
                self._running.pop(client, None)
            self._total = max(0, self._total - 1)
            self._cond.notify_all()


def normalise_public_url(url: str) -> str:
    """``url`` checked (http or https, a host, no query) and without its trailing slash."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"the public URL must look like http://host:port or https://host/path, got {url!r}"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _host_name(header: str) -> str:
    """The name in a ``Host`` header, without the port, lower-case."""
    h = header.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        name = h[1:end] if end > 0 else h
    elif h.count(":") == 1:
        name = h.split(":", 1)[0]
    else:
        name = h
    return name.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class ServerBusy(AllianceGraphError):
    """Every query slot stayed taken for longer than the queue wait."""


class _Watchdog:
    """Drops connections that do not send their whole request within ``timeout`` seconds.

    A socket timeout alone does not do it: a client sending one byte every few seconds
    resets it forever and holds a thread. Each request is armed when the server starts
    reading it and disarmed once its body is in; a thread checks the deadlines, answers
    408 and shuts the connection.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[float, _Handler]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self, handler: _Handler) -> None:
        if self.timeout <= 0:
            return
        with self._lock:
            self._armed[id(handler)] = (time.monotonic() + self.timeout, handler)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="request-watchdog", daemon=True)
                self._thread.start()

    def disarm(self, handler: _Handler) -> None:
        with self._lock:
            self._armed.pop(id(handler), None)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        tick = max(0.05, min(0.5, self.timeout / 4))
        while not self._stop.wait(tick):
            now = time.monotonic()
            with self._lock:
                late = [h for deadline, h in self._armed.values() if deadline <= now]
                for h in late:
                    self._armed.pop(id(h), None)
            for h in late:
                h.drop_slow()


class _Server(ThreadingHTTPServer):
    # a deep accept backlog: dozens of clients connecting at once are queued, not reset
    request_queue_size = 256
    daemon_threads = True
    watchdog: _Watchdog
    #: Names (``Host``) the server answers to; ``None``: any.
    allowed_hosts: frozenset[str] | None = None
    #: Bound to every address: any IP literal is accepted as ``Host`` too.
    any_ip: bool = False
    service: SparqlService

    def server_close(self) -> None:
        self.watchdog.stop()
        super().server_close()


class SparqlService:
    """What the HTTP handler calls: answers queries and describes the dataset."""

    def __init__(
        self,
        kg: KnowledgeGraph,
        *,
        limits: QueryLimits | None = None,
        cors: bool = False,
        max_concurrent: int = 5,
        per_client_slots: int | None = None,
        public_url: str | None = None,
        title: str = "Alliance Graph",
    ) -> None:
        self.kg = kg
        self.limits = limits or QueryLimits.from_env()
        self.cors = cors
        self.title = title
        self.slots = FairSlots(max_concurrent, per_client_slots)
        #: Read when the service starts, so that a bad value stops it with a ConfigError.
        self.queue_wait = queue_wait_s()
        self.base = normalise_public_url(public_url) if public_url else ""
        self._void_lock = threading.Lock()
        self._void: Graph | None = None
        #: How many times the VoID was computed (once per graph).
        self.void_computed = 0

    # --- queries -----------------------------------------------------------------------

    def answer_query(
        self,
        text: str,
        *,
        accept: str | None,
        explicit_format: str | None = None,
        dataset_params: bool = False,
        client: str = "",
    ) -> Answer:
        """Run ``text`` and answer it, or explain in the body why not.

        ``client`` (the remote address) decides the fair share of the query slots.
        """
        try:
            if dataset_params and not self.limits.allow_from:
                raise QueryRefused(
                    "default-graph-uri / named-graph-uri are not allowed: a query may not "
                    "name other graphs (set ALLIANCE_GRAPH_QUERY_ALLOW_FROM=1 to permit it)"
                )
            form = check_query(text, self.limits)
            kind = "graph" if form in {"CONSTRUCT", "DESCRIBE"} else "select"
            fmt = negotiate(kind, accept, explicit_format)
            # Queries beyond max_concurrent wait their turn (a queue, not a failure); the
            # time limit applies to running, not to waiting.
            if not self.slots.acquire(client, self.queue_wait):
                raise ServerBusy("the server is busy with other queries; try again shortly")
            started = time.perf_counter()
            try:
                result = run_query_to(self.kg, text, fmt, limits=self.limits)
            except QueryTimeout as err:
                ran = f"{(time.perf_counter() - started) * 1000:.1f}"
                answer = _text(HTTPStatus.SERVICE_UNAVAILABLE, str(err))
                return Answer(answer.status, answer.body, answer.media_type, {"X-Query-Time-Ms": ran})
            finally:
                self.slots.release(client)
        except QuerySyntaxError as err:
            return _text(HTTPStatus.BAD_REQUEST, str(err))
        except QueryRefused as err:
            return _text(HTTPStatus.FORBIDDEN, str(err))
        except (QueryTimeout, ServerBusy, AnswerTooLarge) as err:
            return _text(HTTPStatus.SERVICE_UNAVAILABLE, str(err))
        except ConfigError as err:
            return _text(HTTPStatus.NOT_ACCEPTABLE, str(err))
        except AllianceGraphError as err:
            return _text(HTTPStatus.INTERNAL_SERVER_ERROR, str(err))
        headers = {"X-Query-Time-Ms": f"{result.elapsed_s * 1000:.1f}"}
        if result.truncated:
            headers["X-Result-Truncated"] = f"cut at the row limit of {self.limits.row_cap()}"
        return Answer(HTTPStatus.OK, result.data, result.media_type, headers)

    # --- description --------------------------------------------------------------------

    def void_graph(self) -> Graph:
        """The service description and VoID of the dataset, named from the public base IRI
        (computed once for the graph, then cached; the client's ``Host`` plays no part)."""
        with self._void_lock:
            if self._void is None:
                self._void = self._describe(self.base)
                self.void_computed += 1
            return self._void

    def _describe(self, base: str) -> Graph:
        g = Graph()
        g.bind("sd", SD)
        g.bind("void", VOID)
        g.bind("dcterms", DCTERMS)
        for prefix in ("ag", "agr", "prov", "org", "skos"):
            g.bind(prefix, STANDARD_PREFIXES[prefix])
        service = URIRef(base + "/sparql")
        dataset = URIRef(base + "/void#dataset")
        g.add((service, RDF.type, SD.Service))
        g.add((service, SD.endpoint, service))
        g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
        for iri in _RESULT_FORMAT_IRIS.values():
            g.add((service, SD.resultFormat, iri))
        g.add((service, SD.defaultDataset, dataset))
        g.add((service, RDFS.comment, Literal(
            "Read-only. Updates are refused; SERVICE and FROM are refused unless the server "
            f"allows them. Time limit {self.limits.timeout_s or 'none'} s, row limit "
            f"{self.limits.row_cap() or 'none'}."
        )))
        g.add((dataset, RDF.type, VOID.Dataset))
        g.add((dataset, RDF.type, SD.Dataset))
        g.add((dataset, DCTERMS.title, Literal(self.title)))
        g.add((dataset, DCTERMS.description, Literal(
            "A sourced, dated knowledge graph of alliance partnerships: every relationship "
            "statement carries its dates, credibility grade and sources (prov:wasDerivedFrom)."
        )))
        g.add((dataset, VOID.sparqlEndpoint, service))
        g.add((dataset, VOID.uriSpace, Literal(STANDARD_PREFIXES["agr"])))
        g.add((dataset, VOID.vocabulary, URIRef(STANDARD_PREFIXES["ag"])))
        g.add((dataset, DCTERMS.hasVersion, Literal(__version__)))
        q = paths.queries_dir()
        counts = run_query(self.kg, q / "void-counts.rq")
        if counts.rows:
            triples, subjects, properties, objects = counts.rows[0]
            for pred, value in (
                (VOID.triples, triples),
                (VOID.distinctSubjects, subjects),
                (VOID.properties, properties),
                (VOID.distinctObjects, objects),
            ):
                g.add((dataset, pred, Literal(_int(value), datatype=XSD.integer)))
        classes = run_query(self.kg, q / "void-classes.rq")
        g.add((dataset, VOID.classes, Literal(len(classes.rows), datatype=XSD.integer)))
        total_entities = 0
        for cls, n in classes.rows:
            part = BNode()
            g.add((dataset, VOID.classPartition, part))
            g.add((part, VOID["class"], cls))  # type: ignore[arg-type]
            g.add((part, VOID.entities, Literal(_int(n), datatype=XSD.integer)))
            if str(cls).startswith(STANDARD_PREFIXES["ag"]):
                total_entities += _int(n)
        g.add((dataset, VOID.entities, Literal(total_entities, datatype=XSD.integer)))
        sources = run_query(self.kg, q / "void-sources.rq")
        for source, label, _reliability in sources.rows:
            g.add((dataset, DCTERMS.source, source))  # type: ignore[arg-type]
            if label is not None:
                g.add((source, RDFS.label, label))  # type: ignore[arg-type]
        licences = run_query(self.kg, q / "void-licence.rq")
        found = False
        for _thing, licence, rights in licences.rows:
            if licence is not None:
                g.add((dataset, DCTERMS.license, licence))
                found = True
            if rights is not None:
                g.add((dataset, DCTERMS.rights, rights))
        if not found:
            g.add((dataset, DCTERMS.rights, Literal(
                "No licence is declared in the graph; each fact names its sources "
                "(prov:wasDerivedFrom), whose own terms apply."
            )))
        return g

    def describe(self, accept: str | None, explicit: str | None = None) -> Answer:
        try:
            fmt = negotiate("graph", accept, explicit)
            g = self.void_graph()
        except ConfigError as err:
            return _text(HTTPStatus.NOT_ACCEPTABLE, str(err))
        except AllianceGraphError as err:
            return _text(HTTPStatus.INTERNAL_SERVER_ERROR, str(err))
        rdflib_fmt = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}[fmt]
        return Answer(HTTPStatus.OK, g.serialize(format=rdflib_fmt, encoding="utf-8"), MEDIA_TYPES[fmt])

    def catalogue(self) -> list[SavedQuery]:
        return list_saved_queries()

    def home_page(self) -> Answer:
        """A small HTML page: what this is, the dataset's counts, a query form and the catalogue."""
        base = self.base
        g = self.void_graph()
        dataset = URIRef(base + "/void#dataset")

        def count(pred: URIRef) -> str:
            value = g.value(dataset, pred)
            return f"{_int(value):,}" if value is not None else "?"

        e = html.escape
        items = []
        for q in self.catalogue():
            link = base + "/sparql?" + urllib.parse.urlencode({"query": q.text})
            params = (
                " <small>(parameters: " + e(", ".join(f"?{p}" for p, _ in q.params)) + ")</small>"
                if q.params
                else ""
            )
            items.append(
                f"<li><a href=\"{e(base)}/queries/{e(urllib.parse.quote(q.name))}.rq\"><code>"
                f"{e(q.name)}</code></a> [{e(q.group)}] {e(q.description)}{params}"
                + ("" if q.params else f" · <a href=\"{e(link)}\">run</a>")
                + "</li>"
            )
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(self.title)} SPARQL endpoint</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
textarea{{width:100%;font-family:monospace}}code{{background:#f3f3f3}}</style></head>
<body><h1>{e(self.title)}: SPARQL 1.1 endpoint</h1>
<p>Endpoint: <code>{e(base)}/sparql</code> (GET or POST, SPARQL 1.1 Protocol). Read-only.
{count(VOID.triples)} triples, {count(VOID.entities)} entities of the ontology's classes,
{count(VOID.classes)} classes. Description: <a href="{e(base)}/void">VoID</a>.</p>
<form method="get" action="{e(base)}/sparql">
<textarea name="query" rows="8">SELECT ?s ?label WHERE {{ ?s rdfs:label ?label }} LIMIT 20</textarea>
<p><label>Format <select name="format"><option>json</option><option>xml</option>
<option>csv</option><option>tsv</option></select></label> <button>Run</button></p></form>
<h2>Saved queries</h2><ul>{''.join(items)}</ul>
<p>Prefixes known without declaring them: {e(', '.join(STANDARD_PREFIXES))}.</p>
</body></html>"""
        return Answer(
            HTTPStatus.OK,
            body.encode("utf-8"),
            "text/html; charset=utf-8",
            {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"},
        )


def _wants_html(accept: str | None) -> bool:
    for media, _q in parse_accept(accept):
        if media in {"text/html", "application/xhtml+xml"}:
            return True
        if media in _ACCEPT_GRAPH or media == "*/*":
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    server_version = f"alliance-graph/{__version__}"
    service: SparqlService
    quiet: bool = False
    #: Seconds a client may stall while sending or receiving (a stalled client frees its thread).
    timeout = 60
    server: _Server
    timed_out = False

    # --- the request's deadline, its Host and its body ----------------------------------------

    def handle_one_request(self) -> None:
        self.server.watchdog.arm(self)
        try:
            super().handle_one_request()
        finally:
            self.server.watchdog.disarm(self)

    def drop_slow(self) -> None:
        """Called by the watchdog: the request did not arrive in time; answer 408 and close."""
        self.timed_out = True
        self.close_connection = True
        message = (
            f"the request did not arrive within {self.server.watchdog.timeout:g} s "
            f"(the request time limit, {ENV_REQUEST_TIMEOUT} or --request-timeout)\n"
        ).encode()
        head = (
            "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(message)}\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            self.connection.send(head + message, getattr(socket, "MSG_DONTWAIT", 0))
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _request_in(self) -> bool:
        """The whole request has arrived: stop its clock. False if it came too late."""
        self.server.watchdog.disarm(self)
        return not self.timed_out

    def _host_ok(self) -> bool:
        """Answer only to the names the server is configured for (DNS rebinding)."""
        hosts = self.headers.get_all("Host") or []
        if not hosts:
            if self.request_version == "HTTP/1.0":
                return True
            self._refuse(HTTPStatus.BAD_REQUEST, "an HTTP/1.1 request needs a Host header")
            return False
        if len(hosts) > 1:
            self._refuse(HTTPStatus.BAD_REQUEST, "give exactly one Host header")
            return False
        allowed = self.server.allowed_hosts
        name = _host_name(hosts[0])
        if allowed is None or name in allowed or (self.server.any_ip and _is_ip(name)):
            return True
        self._refuse(
            HTTPStatus.MISDIRECTED_REQUEST,
            f"this server does not answer to the name {name!r}; it answers to "
            f"{', '.join(sorted(allowed))} (add names with --allowed-host or {ENV_ALLOWED_HOSTS})",
        )
        return False

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._send(_text(status, message), extra={"Connection": "close"})

    def _read_body(self) -> bytes | None:
        """The request's body (``Content-Length`` or chunked), or ``None`` once refused."""
        lengths = self.headers.get_all("Content-Length") or []
        coding = self.headers.get_all("Transfer-Encoding") or []
        if coding:
            if lengths:
                self._refuse(HTTPStatus.BAD_REQUEST, "give Content-Length or Transfer-Encoding, not both")
                return None
            if [c.strip().lower() for c in coding] != ["chunked"]:
                self._refuse(HTTPStatus.BAD_REQUEST, "the only Transfer-Encoding accepted is chunked")
                return None
            return self._read_chunked()
        if not lengths:
            return b""
        values = {v.strip() for v in lengths}
        value = values.pop()
        if values or not re.fullmatch(r"[0-9]{1,18}", value):
            self._refuse(HTTPStatus.BAD_REQUEST, "Content-Length must be one whole number of bytes")
            return None
        length = int(value)
        if length > MAX_BODY:
            self._discard_body(length)
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body must be under {MAX_BODY:,} bytes")
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        body = bytearray()

        def bad(why: str) -> None:
            self._refuse(HTTPStatus.BAD_REQUEST, f"malformed chunked body: {why}")

        try:
            while True:
                line = self.rfile.readline(1024)
                size_text = line.split(b";", 1)[0].strip()
                if not line.endswith(b"\n") or not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", size_text):
                    bad("a chunk size line is not a hexadecimal number")
                    return None
                size = int(size_text, 16)
                if size == 0:
                    break
                if len(body) + size > MAX_BODY:
                    self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body must be under {MAX_BODY:,} bytes")
                    return None
                chunk = self.rfile.read(size)
                if len(chunk) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    bad("a chunk is cut short or not followed by CRLF")
                    return None
                body += chunk
            for _ in range(64):  # trailers, ignored
                line = self.rfile.readline(8192)
                if line in (b"\r\n", b"\n", b""):
                    break
            else:
                bad("too many trailer lines")
                return None
        except OSError:
            self.close_connection = True
            return None
        return bytes(body)

    def _discard_body(self, length: int) -> None:
        """Read and drop an oversized body before answering 413, then close.

        A server that answers and closes with the body still unread makes the kernel reset
        the connection, and the client, still sending, never reads the 413. Bodies up to
        ``MAX_DRAIN`` bytes are read away; a bigger one is cut off.
        """
        self.close_connection = True
        left = length if 0 <= length <= MAX_DRAIN else 0
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    # --- plumbing -------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if not self.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _send(self, answer: Answer, *, head: bool = False, extra: dict[str, str] | None = None) -> None:
        if self.timed_out:
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.media_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Vary", "Accept")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.service.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "X-Query-Time-Ms, X-Result-Truncated")
        for k, v in {**(answer.headers or {}), **(extra or {})}.items():
            self.send_header(k, v)
        try:
            self.end_headers()
            if not head:
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self) -> tuple[str, dict[str, list[str]]]:
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path.rstrip("/") or "/"
        return path, urllib.parse.parse_qs(parsed.query, keep_blank_values=True)

    @staticmethod
    def _one(params: dict[str, list[str]], *names: str) -> str | None:
        for name in names:
            if params.get(name):
                return params[name][0]
        return None

    def _query(self, params: dict[str, list[str]], text: str) -> Answer:
        if len(params.get("query", [])) > 1:
            return _text(HTTPStatus.BAD_REQUEST, "give exactly one query parameter")
        return self.service.answer_query(
            text,
            accept=self.headers.get("Accept"),
            explicit_format=self._one(params, "format", "output"),
            dataset_params=bool(params.get("default-graph-uri") or params.get("named-graph-uri")),
            client=str(self.client_address[0]),
        )

    # --- methods ---------------------------------------------------------------------------

    def do_OPTIONS(self) -> None:  # noqa: N802 - stdlib naming
        if not self._request_in() or not self._host_ok():
            return
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Allow", "GET, HEAD, POST, OPTIONS")
        if self.service.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
            self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:  # noqa: N802
        self._get(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._get(head=False)

    def _get(self, *, head: bool) -> None:
        if not self._request_in() or not self._host_ok():
            return
        path, params = self._route()
        accept = self.headers.get("Accept")
        base = self.service.base
        if path in QUERY_PATHS:
            if "update" in params:
                answer = _refuse_update()
            elif "query" in params:
                answer = self._query(params, params["query"][0])
            elif _wants_html(accept):
                answer = self.service.home_page()
            else:
                answer = self.service.describe(accept, self._one(params, "format", "output"))
        elif path == "/void":
            answer = self.service.describe(accept, self._one(params, "format", "output"))
        elif path == "/queries":
            answer = Answer(
                HTTPStatus.OK,
                json.dumps(
                    [
                        {"name": q.name, "group": q.group, "description": q.description,
                         "params": [{"name": p, "description": d} for p, d in q.params],
                         "url": f"{base}/queries/{q.name}.rq"}
                        for q in self.service.catalogue()
                    ],
                    indent=1,
                ).encode("utf-8"),
                "application/json",
            )
        elif path.startswith("/queries/") and path.endswith(".rq"):
            name = urllib.parse.unquote(path[len("/queries/") : -3])
            match = [q for q in self.service.catalogue() if q.name == name]
            answer = (
                Answer(HTTPStatus.OK, match[0].text.encode("utf-8"), "application/sparql-query")
                if match
                else _text(HTTPStatus.NOT_FOUND, f"no saved query named {name!r}")
            )
        else:
            answer = _text(HTTPStatus.NOT_FOUND, f"nothing at {path}; the endpoint is /sparql")
        self._send(answer, head=head)

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_ok():
            self.server.watchdog.disarm(self)
            return
        body = self._read_body()
        if not self._request_in() or body is None:
            return
        path, params = self._route()
        if path not in QUERY_PATHS:
            self._send(_text(HTTPStatus.NOT_FOUND, f"nothing at {path}; the endpoint is /sparql"))
            return
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        charset = "utf-8"
        if ctype == "application/sparql-update" or "update" in params:
            self._send(_refuse_update())
            return
        if ctype == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qs(body.decode(charset, "replace"), keep_blank_values=True)
            if "update" in form:
                self._send(_refuse_update())
                return
            merged = {**params, **form}
            if not form.get("query"):
                self._send(_text(HTTPStatus.BAD_REQUEST, "the form has no query parameter"))
                return
            self._send(self._query(merged, form["query"][0]))
        elif ctype == "application/sparql-query":
            self._send(self._query(params, body.decode(charset, "replace")))
        else:
            self._send(
                _text(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    "POST a query as application/sparql-query or as a form "
                    "(application/x-www-form-urlencoded, query=...)",
                )
            )


def _refuse_update() -> Answer:
    return _text(
        HTTPStatus.FORBIDDEN,
        "SPARQL updates are not allowed: this endpoint is read-only",
    )


def make_server(
    kg: KnowledgeGraph,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    limits: QueryLimits | None = None,
    cors: bool = False,
    quiet: bool = False,
    max_concurrent: int = 5,
    per_client_slots: int | None = None,
    public_url: str | None = None,
    allowed_hosts: tuple[str, ...] | list[str] = (),
    request_timeout: float | None = None,
) -> ThreadingHTTPServer:
    """A threaded HTTP server answering the SPARQL 1.1 Protocol over ``kg`` (not yet started).

    Call ``serve_forever()`` (blocking) and ``shutdown()``; ``server_address`` gives the
    port actually bound when ``port`` is 0.

    ``public_url`` (else ``$ALLIANCE_GRAPH_PUBLIC_URL``, else ``http://HOST:PORT`` as
    bound) names the service and its VoID. The server answers to the loopback names, the
    bound address, the public URL's host and ``allowed_hosts`` (plus
    ``$ALLIANCE_GRAPH_ALLOWED_HOSTS``; ``*`` for any); other ``Host`` names get 421.
    ``request_timeout`` (else ``$ALLIANCE_GRAPH_REQUEST_TIMEOUT``, default 20 s; 0: none)
    is how long a client has to send its request. ``per_client_slots`` (else
    ``$ALLIANCE_GRAPH_CLIENT_SLOTS``; default ``max_concurrent - 1``) caps the
    query slots one remote address holds.
    """
    timeout = request_timeout_s() if request_timeout is None else request_timeout
    # the query workers' host, made before any server thread exists, so it is forked
    # (sharing the loaded store) from a process with one thread
    if limits is None or limits.isolate:
        workers.prepare(kg)  # (a remote store has no host: prepare leaves it alone)
    if timeout < 0:
        raise ConfigError(f"the request timeout must not be negative, got {timeout:g}")
    per_client = per_client_slots if per_client_slots is not None else env_int(ENV_CLIENT_SLOTS, 0)
    extra_hosts = [*allowed_hosts, *env_list(ENV_ALLOWED_HOSTS)]
    wanted_url = public_url or env_text(ENV_PUBLIC_URL)
    if wanted_url:
        wanted_url = normalise_public_url(wanted_url)
    service = SparqlService(
        kg, limits=limits, cors=cors, max_concurrent=max_concurrent, per_client_slots=per_client or None
    )
    handler = type("SparqlHandler", (_Handler,), {"service": service, "quiet": quiet})
    try:
        server = _Server((host, port), handler)
    except OSError as err:
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err
    server.daemon_threads = True
    server.watchdog = _Watchdog(timeout)
    server.service = service
    bound = str(server.server_address[0])
    bound_port = int(server.server_address[1])
    wildcard = bound in {"0.0.0.0", "::", ""}
    names = {*_LOOPBACK_NAMES}
    if wildcard:
        server.any_ip = True
        names.add(socket.gethostname().lower())
        shown = socket.gethostname().lower()
    else:
        names.add(bound.lower())
        shown = bound
    if ":" in shown:
        shown = f"[{shown}]"
    service.base = wanted_url or f"http://{shown}:{bound_port}"
    names.add(_host_name(urllib.parse.urlsplit(service.base).netloc))
    if "*" in extra_hosts:
        server.allowed_hosts = None
    else:
        server.allowed_hosts = frozenset(names | {_host_name(h) for h in extra_hosts})
    return server


def is_loopback(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"} or host.startswith("127.")


def serve(
    kg: KnowledgeGraph,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    limits: QueryLimits | None = None,
    cors: bool = False,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted."""
    server = make_server(kg, host, port, limits=limits, cors=cors)
    addr = server.server_address
    if announce:
        announce(f"SPARQL endpoint at http://{addr[0]!s}:{addr[1]!s}/sparql (Ctrl-C to stop)")
    try:
        server.serve_forever()
    finally:
        server.server_close()


__all__ = [
    "Answer",
    "QueryError",
    "SparqlService",
    "is_loopback",
    "make_server",
    "negotiate",
    "parse_accept",
    "serve",
]
