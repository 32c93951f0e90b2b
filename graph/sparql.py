"""Run SPARQL over a :class:`~graph.store.KnowledgeGraph`, safely.

Safety by default: the text is checked before it reaches an engine. Updates
(INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH) are always
refused; ``SERVICE`` and ``FROM``/``FROM NAMED`` are refused unless
:class:`~graph.limits.QueryLimits` allows them. The check reads the query the way
the engines do (comments, strings, IRIs, prefixed names and ``\\u`` escapes
included), so ``# comment\\nInSeRt``, ``PREFIX x: <..> DELETE`` and
``\\u0053ERVICE`` are all caught.

User queries run in a killable worker process under a time limit and a row limit
(see :mod:`graph.limits`); the project's own ``.rq`` files run in-process without
limits. Parameters are bound through the engine (``initBindings`` /
substitutions, or a ``VALUES`` block built from RDF terms), never by formatting
text.
"""

from __future__ import annotations

import functools
import os
import pickle
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import Graph
from rdflib import Literal as RDFLiteral
from rdflib.term import Identifier, Node, URIRef, Variable

from graph import paths
from graph.errors import ConfigError, QueryError, QueryRefused, QuerySyntaxError
from graph.limits import UNLIMITED, QueryLimits
from graph.querycheck import TOKEN, Vetted, expand_unicode_escapes, vet
from graph.store import KnowledgeGraph
from graph.terms import from_ox
from graph.vocab import STANDARD_PREFIXES
from graph.workers import job, run_job

__all__ = [
    "DEFAULT_LIMITS",
    "Vetted",
    "STANDARD_PREFIXES",
    "UNLIMITED",
    "QueryLimits",
    "QueryResult",
    "SavedQuery",
    "SerializedResult",
    "check_query",
    "expand_unicode_escapes",
    "get_saved_query",
    "list_saved_queries",
    "parse_term",
    "read_query",
    "run_query",
    "run_query_to",
    "term_from_ox",
    "vet_query",
]

ResultKind = Literal["select", "ask", "graph"]


#: The limits a user's query runs under when none are given (environment applied at call time).
DEFAULT_LIMITS = QueryLimits()


@dataclass
class QueryResult:
    """What a query returned: a table (SELECT), a boolean (ASK) or a graph (CONSTRUCT/DESCRIBE)."""

    kind: ResultKind
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    elapsed_s: float = 0.0
    truncated: bool = False
    row_limit: int | None = None

    def __len__(self) -> int:
        if self.kind == "graph":
            return len(self.graph) if self.graph is not None else 0
        if self.kind == "ask":
            return 1
        return len(self.rows)

    def records(self) -> list[dict[str, Node | None]]:
        return [dict(zip(self.vars, row, strict=True)) for row in self.rows]

    @property
    def notice(self) -> str | None:
        """A sentence for the user when the result was cut at the row limit, else ``None``."""
        if not self.truncated:
            return None
        unit = "triples" if self.kind == "graph" else "rows"
        return (
            f"showing the first {self.row_limit or len(self):,} {unit}: the result was cut at "
            "the row limit (add LIMIT/OFFSET, or raise ALLIANCE_GRAPH_QUERY_MAX_ROWS)"
        )


@dataclass
class SerializedResult:
    """A query's answer already written in a wire format (see :func:`run_query_to`)."""

    data: bytes
    fmt: str
    media_type: str
    kind: ResultKind
    truncated: bool = False
    elapsed_s: float = 0.0


# --- safety check (graph.querycheck) ----------------------------------------------------

#: Largest query text accepted, in bytes (``ALLIANCE_GRAPH_QUERY_MAX_BYTES``; 0 = no limit).
DEFAULT_MAX_QUERY_BYTES = 256 * 1024


def max_query_bytes() -> int:
    from graph.settings import env_int

    return env_int("ALLIANCE_GRAPH_QUERY_MAX_BYTES", DEFAULT_MAX_QUERY_BYTES)


def check_query(text: str, limits: QueryLimits = DEFAULT_LIMITS) -> str:
    """Refuse what the safety rules forbid; return the query form (SELECT, ASK, ...).

    See :mod:`graph.querycheck` for how the decision is made (a parser's tree, failing
    closed). Engines must run the text :func:`vet_query` returns, not ``text`` itself.

    >>> check_query("PREFIX ag: <https://w3id.org/alliance-graph/ontology#> ask { ?s ?p ?o }")
    'ASK'
    >>> check_query("# a comment\\nDrOp ALL")
    Traceback (most recent call last):
    ...
    graph.errors.QueryRefused: SPARQL updates are not allowed: this graph is read-only (found DROP)
    """
    return vet_query(text, limits).form


def vet_query(text: str, limits: QueryLimits = DEFAULT_LIMITS) -> Vetted:
    """The query's form and the exact text every engine must run (escapes expanded)."""
    limit = max_query_bytes()
    size = len(text.encode("utf-8", "surrogatepass"))
    if limit and size > limit:
        raise QueryRefused(
            f"the query is {size:,} bytes, over the limit of {limit:,} bytes "
            "(set ALLIANCE_GRAPH_QUERY_MAX_BYTES to change it)"
        )
    return vet(text, limits.allow_service, limits.allow_from)


_POSITION = re.compile(r"(?:error at |line )(\d+)[:, ]+(?:column )?(\d+)")


def _syntax_error(err: Exception) -> QuerySyntaxError:
    message = str(getattr(err, "msg", None) or err)
    m = _POSITION.search(message)
    if m:
        message = (message[: m.start()] + message[m.end() :]).strip(" :") or message
        return QuerySyntaxError(message, int(m.group(1)), int(m.group(2)))
    return QuerySyntaxError(message)


# --- bindings -------------------------------------------------------------------------


def parse_term(value: str | Node, prefixes: Mapping[str, str] = STANDARD_PREFIXES) -> Identifier:
    """Turn a parameter value into an RDF term: ``<iri>``, ``http...``, ``prefix:name`` or a literal.

    >>> parse_term("agr:CAN")
    rdflib.term.URIRef('https://w3id.org/alliance-graph/id/CAN')
    >>> parse_term("2025")
    rdflib.term.Literal('2025', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    """
    if isinstance(value, Identifier):
        return value
    v = str(value).strip()
    if v.startswith("<") and v.endswith(">"):
        return URIRef(v[1:-1])
    if re.match(r"^[a-z][a-z0-9+.-]*://", v):
        return URIRef(v)
    m = re.match(r"^([A-Za-z][\w-]*)?:(\S*)$", v)
    if m and (m.group(1) or "") in prefixes:
        return URIRef(prefixes[m.group(1) or ""] + m.group(2))
    if re.fullmatch(r"-?\d+", v):
        return RDFLiteral(v, datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))
    if re.fullmatch(r"-?\d+\.\d+", v):
        return RDFLiteral(v, datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return RDFLiteral(v, datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))
    if v in {"true", "false"}:
        return RDFLiteral(v, datatype=URIRef("http://www.w3.org/2001/XMLSchema#boolean"))
    if len(v) >= 2 and v[0] == v[-1] == '"':
        v = v[1:-1]
    return RDFLiteral(v)


_BAD_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def _values_block(terms: Mapping[str, Identifier]) -> str:
    """``VALUES (?a ?b) { (<x> "y") }`` from RDF terms (serialised by rdflib, IRIs checked)."""
    cells = []
    for name, term in terms.items():
        if not re.fullmatch(r"\w+", name):
            raise QueryError(f"bad parameter name {name!r}")
        if isinstance(term, URIRef) and _BAD_IRI.search(str(term)):
            raise QueryError(f"parameter ?{name}: not a valid IRI: {str(term)!r}")
        cells.append(term.n3())
    names = " ".join(f"?{n}" for n in terms)
    return f"VALUES ({names}) {{ ({' '.join(cells)}) }} "


def inject_values(text: str, terms: Mapping[str, Identifier]) -> str:
    """Put a VALUES block at the start of the outer WHERE group (binds before evaluation)."""
    if not terms:
        return text
    at = _values_at(text)
    return text[:at] + " " + _values_block(terms) + text[at:]


@functools.lru_cache(maxsize=512)
def _values_at(text: str) -> int:
    # cached: the app runs the same parameterised files again and again
    first_brace: int | None = None
    after_where: int | None = None
    depth = 0
    seen_where = False
    for m in TOKEN.finditer(text):
        other, word = m.group("other"), (m.group("word") or "").upper()
        if word == "WHERE" and depth == 0:
            seen_where = True
        elif other == "{":
            if first_brace is None:
                first_brace = m.end()
            if seen_where and after_where is None:
                after_where = m.end()
                break
            depth += 1
        elif other == "}":
            depth -= 1
    # The group after WHERE (a CONSTRUCT template comes before it), else the first group.
    at = after_where if after_where is not None else first_brace
    if at is None:
        raise QuerySyntaxError("the query has no WHERE group")
    return at


def declare_prefixes(text: str, prefixes: Mapping[str, str] = STANDARD_PREFIXES) -> str:
    """Prepend ``PREFIX`` lines for the standard prefixes the query uses but does not declare.

    For engines that do not know the project's prefixes (remote endpoints).

    >>> declare_prefixes("SELECT * { ?s a ag:State }").splitlines()[0]
    'PREFIX ag: <https://w3id.org/alliance-graph/ontology#>'
    """
    declared = {m.group(1) for m in re.finditer(r"(?i)\bPREFIX\s+([\w\-.]*):", text)}
    used = {
        m.group("pname").split(":", 1)[0]
        for m in TOKEN.finditer(text)
        if m.group("pname") and not m.group("pname").startswith("_:")
    }
    lines = [f"PREFIX {p}: <{prefixes[p]}>" for p in prefixes if p in used and p not in declared]
    return "\n".join([*lines, text]) if lines else text


# --- running --------------------------------------------------------------------------


def _is_shipped(path: Path) -> bool:
    return _is_shipped_str(str(path))


@functools.lru_cache(maxsize=1024)
def _is_shipped_str(path_text: str) -> bool:
    resolved = Path(path_text).resolve()
    for root in (paths.queries_dir(), paths.ontology_dir()):
        try:
            resolved.relative_to(root.resolve())
            return True
        except ValueError:
            continue
    return False


def _prepare(
    query: str | Path, bindings: Mapping[str, str | Node] | None, limits: QueryLimits | None
) -> tuple[str, str, dict[str, Identifier], QueryLimits]:
    if isinstance(query, Path):
        text = read_query(query)
        if limits is None:
            limits = UNLIMITED if _is_shipped(query) else QueryLimits.from_env()
    else:
        text = query
        if limits is None:
            limits = QueryLimits.from_env()
    vetted = vet_query(text, limits)
    terms = {k.lstrip("?$"): parse_term(v) for k, v in (bindings or {}).items()}
    if terms:
        # the engines run the text with a VALUES block put in: check that text too, so
        # a parameter placed where the tokenizer misread the query cannot change it
        with_values = vet_query(inject_values(vetted.text, terms), limits)
        if with_values.form != vetted.form:
            raise QueryRefused("the parameters changed what the query is; refused")
    return vetted.text, vetted.form, terms, limits


def run_query(
    kg: KnowledgeGraph,
    query: str | Path,
    bindings: Mapping[str, str | Node] | None = None,
    *,
    limits: QueryLimits | None = None,
) -> QueryResult:
    """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query, from text or a ``.rq`` file.

    Parameters
    ----------
    kg
        The graph (embedded Oxigraph, rdflib Memory, or a remote endpoint).
    query
        Query text, or the path of a ``.rq`` file.
    bindings
        Variable name to value (an rdflib term, or text read by :func:`parse_term`).
    limits
        Time and row limits, and what the query may reach. ``None``: the defaults with
        the ``ALLIANCE_GRAPH_QUERY_*`` environment applied, or no limits for the
        project's own shipped ``.rq`` files.

    Raises
    ------
    QueryRefused
        An update, or SERVICE / FROM while they are not allowed.
    QuerySyntaxError
        The text does not parse (with line and column when the parser gives them).
    QueryTimeout
        The query ran past the time limit and was stopped.

    Examples
    --------
    >>> from graph.store import open_graph
    >>> r = run_query(open_graph(), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    >>> r.kind, r.vars, int(r.rows[0][0]) > 0
    ('select', ['n'], True)
    """
    text, form, terms, limits = _prepare(query, bindings, limits)
    started = time.perf_counter()
    if kg.backend == "remote":
        from graph.remote import run_remote

        result = run_remote(kg, text, terms, limits)
    elif kg.ox is not None:
        if limits.isolate:
            payload = run_job(kg, "ox", (text, terms, None, limits.row_cap(), limits.allow_from), limits)
            result = _decode_ox(payload)
        else:
            result = _run_oxigraph_direct(kg.ox, text, terms, limits.row_cap(), limits.allow_from)
    elif limits.isolate:
        payload = run_job(kg, "rdflib", (text, terms, limits.row_cap(), limits), limits)
        result = pickle.loads(payload)  # noqa: S301 - our own worker wrote it
    else:
        result = _run_rdflib(kg, text, terms, limits.row_cap())
    result.elapsed_s = time.perf_counter() - started
    result.row_limit = limits.row_cap()
    if form in {"CONSTRUCT", "DESCRIBE"} and result.kind != "graph":
        raise QueryError(f"{form} query did not return a graph")
    return result


def run_query_to(
    kg: KnowledgeGraph,
    query: str | Path,
    fmt: str,
    bindings: Mapping[str, str | Node] | None = None,
    *,
    limits: QueryLimits | None = None,
) -> SerializedResult:
    """Run a query and write its answer in ``fmt`` (csv, tsv, json, xml, table; ttl, nt, jsonld).

    On the Oxigraph store the rows never become Python objects: Oxigraph's own
    serialisers write them inside the worker, which keeps large results fast. Other
    stores go through :func:`run_query` and :mod:`graph.results`.
    """
    from graph.results import MEDIA_TYPES, check_format, serialize_result

    check_format(fmt)
    if kg.ox is None or kg.backend == "remote" or fmt == "table":
        result = run_query(kg, query, bindings, limits=limits)
        out = serialize_result(result, fmt)
        used = fmt if result.kind != "graph" or fmt != "table" else "ttl"
        return SerializedResult(
            out.encode("utf-8"), used, MEDIA_TYPES[used], result.kind, result.truncated, result.elapsed_s
        )
    text, _form, terms, limits = _prepare(query, bindings, limits)
    started = time.perf_counter()
    payload = run_job(kg, "ox", (text, terms, fmt, limits.row_cap(), limits.allow_from), limits)
    elapsed = time.perf_counter() - started
    tag, flag, body = payload[:1], payload[1:2], payload[2:]
    if tag == b"A":
        result = QueryResult(kind="ask", boolean=flag == b"1", elapsed_s=elapsed)
        return SerializedResult(
            serialize_result(result, fmt).encode("utf-8"), fmt, MEDIA_TYPES[fmt], "ask", False, elapsed
        )
    kind: ResultKind = "select" if tag == b"S" else "graph"
    return SerializedResult(body, fmt, MEDIA_TYPES[fmt], kind, flag == b"1", elapsed)


# --- Oxigraph ---------------------------------------------------------------------------

_OX_RESULTS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}
_OX_GRAPHS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


#: An rdflib term from an Oxigraph one, ``xsd:string`` literals made plain (one converter:
#: :func:`graph.terms.from_ox`).
term_from_ox = from_ox


def _ox_query(
    store: ox.Store, text: str, terms: Mapping[str, Identifier], allow_from: bool = False
) -> Any:
    # Oxigraph's substitutions do not reach every use of a variable (BIND(?x AS ?y) sees
    # it unbound), so parameters are bound by a VALUES block of RDF terms instead.
    text = inject_values(text, terms)
    # The engine enforces the dataset itself: with default_graph/named_graphs given,
    # Oxigraph ignores any FROM / FROM NAMED the text holds (a second guard after the check).
    dataset: dict[str, Any] = {}
    if not allow_from:
        dataset = {"default_graph": ox.DefaultGraph(), "named_graphs": list(store.named_graphs())}
    try:
        return store.query(text, prefixes=STANDARD_PREFIXES, **dataset)
    except SyntaxError as err:
        raise _syntax_error(err) from err
    except (OSError, RuntimeError, ValueError) as err:
        raise QueryError(f"query failed: {err}") from err


class _Enough(Exception):
    """Raised by :class:`_LineCap` to stop a serialiser at the row limit."""


class _LineCap:
    """A binary sink that stops the serialiser once it holds ``cap`` complete lines."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.cap is not None and self.lines > self.cap:
            raise _Enough
        return len(chunk)

    def flush(self) -> None:
        return None

    def run(self, serialize: Callable[[Any], object]) -> tuple[bytes, bool]:
        """Serialise into this sink; the bytes up to ``cap`` lines and whether some were cut."""
        try:
            serialize(self)
        except _Enough:
            return self._cut(), True
        except (OSError, RuntimeError, ValueError) as err:
            if isinstance(err.__cause__ or err.__context__, _Enough) or (
                self.cap is not None and self.lines > self.cap
            ):
                return self._cut(), True
            raise QueryError(f"query failed: {err}") from err
        return b"".join(self.chunks), False

    def _cut(self) -> bytes:
        data = b"".join(self.chunks)
        end = -1
        for _ in range(self.cap or 0):
            end = data.index(b"\n", end + 1)
        return data[: end + 1]


def _ox_work(
    store: ox.Store,
    text: str,
    terms: Mapping[str, Identifier],
    fmt: str | None,
    cap: int | None,
    allow_from: bool = False,
) -> bytes:
    """Run on Oxigraph and write the answer: ``A`` + 0/1, ``S``/``G`` + truncated flag + bytes.

    With ``fmt`` None the rows travel as TSV and the triples as N-Triples (for
    :func:`_decode_ox`); otherwise they are written in ``fmt``.
    """
    raw = _ox_query(store, text, terms, allow_from)
    if isinstance(raw, ox.QueryBoolean):
        return b"A1" if bool(raw) else b"A0"
    if isinstance(raw, ox.QuerySolutions):
        if fmt is not None and fmt not in _OX_RESULTS:
            raise _format_mismatch(fmt, "select")
        sink = _LineCap(None if cap is None else cap + 1)  # + the header line
        data, cut = sink.run(lambda out: raw.serialize(out, format=ox.QueryResultsFormat.TSV))
        if fmt is not None and fmt != "tsv":
            parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV)
            data = parsed.serialize(format=_OX_RESULTS[fmt]) or b""
        return b"S" + (b"1" if cut else b"0") + data
    if fmt is not None and fmt not in _OX_GRAPHS:
        raise _format_mismatch(fmt, "graph")
    sink = _LineCap(cap)
    data, cut = sink.run(lambda out: raw.serialize(out, format=ox.RdfFormat.N_TRIPLES))
    if fmt is not None and fmt != "nt":
        triples = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        data = ox.serialize(triples, format=_OX_GRAPHS[fmt], prefixes=_graph_prefixes(fmt)) or b""
    return b"G" + (b"1" if cut else b"0") + data


@job("ox")
def _ox_job(
    kg: KnowledgeGraph,
    text: str,
    terms: Mapping[str, Identifier],
    fmt: str | None,
    cap: int | None,
    allow_from: bool = False,
) -> bytes:
    """A worker's job: :func:`_ox_work` on the worker's copy of the store."""
    assert kg.ox is not None
    return _ox_work(kg.ox, text, terms, fmt, cap, allow_from)


@job("rdflib")
def _rdflib_job(
    kg: KnowledgeGraph, text: str, terms: Mapping[str, Identifier], cap: int | None, limits: QueryLimits
) -> bytes:
    """A worker's job: rdflib's engine, with its network switches set for this query."""
    return pickle.dumps(_run_rdflib(kg, text, terms, cap, limits))


def _graph_prefixes(fmt: str) -> dict[str, str] | None:
    return STANDARD_PREFIXES if fmt == "ttl" else None


def _format_mismatch(fmt: str, kind: str) -> ConfigError:
    from graph.results import GRAPH_FORMATS, TABLE_FORMATS

    fits = GRAPH_FORMATS if kind == "graph" else TABLE_FORMATS
    what = "a graph result" if kind == "graph" else "a SELECT result"
    return ConfigError(f"format {fmt!r} does not fit {what}; use one of {', '.join(fits)}")


def _new_graph() -> Graph:
    g = Graph()
    for prefix, iri in STANDARD_PREFIXES.items():
        g.bind(prefix, iri)
    return g


def _decode_ox(payload: bytes) -> QueryResult:
    tag, flag, body = payload[:1], payload[1:2], payload[2:]
    if tag == b"A":
        return QueryResult(kind="ask", boolean=flag == b"1")
    truncated = flag == b"1"
    if tag == b"S":
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
        assert isinstance(parsed, ox.QuerySolutions)
        names = [v.value for v in parsed.variables]
        rows = [tuple(term_from_ox(t) for t in s) for s in parsed]
        return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
    g = _new_graph()
    for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        g.add((from_ox(t.subject), from_ox(t.predicate), term_from_ox(t.object)))  # type: ignore[arg-type]
    return QueryResult(kind="graph", graph=g, truncated=truncated)


def _run_oxigraph_direct(
    store: ox.Store,
    text: str,
    terms: Mapping[str, Identifier],
    cap: int | None,
    allow_from: bool = False,
) -> QueryResult:
    raw = _ox_query(store, text, terms, allow_from)
    try:
        if isinstance(raw, ox.QueryBoolean):
            return QueryResult(kind="ask", boolean=bool(raw))
        if isinstance(raw, ox.QuerySolutions):
            names = [v.value for v in raw.variables]
            rows: list[tuple[Node | None, ...]] = []
            truncated = False
            # Results repeat terms (a hub, a type, a grade): from_ox converts each
            # distinct term once and keeps it (graph.terms).
            for solution in raw:
                if cap is not None and len(rows) >= cap:
                    truncated = True
                    break
                rows.append(tuple(map(term_from_ox, solution)))
            return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
        g = _new_graph()
        truncated = False
        for t in raw:
            if cap is not None and len(g) >= cap:
                truncated = True
                break
            g.add((from_ox(t.subject), from_ox(t.predicate), term_from_ox(t.object)))  # type: ignore[arg-type]
        return QueryResult(kind="graph", graph=g, truncated=truncated)
    except (OSError, RuntimeError, ValueError) as err:
        raise QueryError(f"query failed: {err}") from err


# --- rdflib ---------------------------------------------------------------------------


def plain(node: Any) -> Any:
    """``node`` with an ``xsd:string`` datatype dropped (see :func:`term_from_ox`)."""
    if isinstance(node, RDFLiteral) and node.datatype is not None and str(node.datatype) == _XSD_STRING:
        return RDFLiteral(str(node))
    return node


_RDFLIB_SERVICE: Any = None


def _guard_rdflib_child(limits: QueryLimits) -> None:
    """In a query worker: rdflib may neither fetch FROM graphs nor call SERVICE.

    A second guard behind the check. These are process-wide switches of rdflib, so they
    are set only in a worker process (:mod:`graph.workers`), before each job, to what
    that job's limits allow.
    """
    global _RDFLIB_SERVICE
    import rdflib.plugins.sparql as rdflib_sparql
    from rdflib.plugins.sparql import evaluate

    if _RDFLIB_SERVICE is None:
        _RDFLIB_SERVICE = evaluate.evalServiceQuery
    rdflib_sparql.SPARQL_LOAD_GRAPHS = bool(limits.allow_from)
    if limits.allow_service:
        evaluate.evalServiceQuery = _RDFLIB_SERVICE
        return

    def no_service(*_args: object, **_kwargs: object) -> Any:
        raise QueryRefused("SERVICE is not allowed: a query may not call other endpoints")

    evaluate.evalServiceQuery = no_service


def _run_rdflib(
    kg: KnowledgeGraph,
    text: str,
    terms: Mapping[str, Identifier],
    cap: int | None,
    child_limits: QueryLimits | None = None,
) -> QueryResult:
    from pyparsing import ParseException

    if child_limits is not None:
        _guard_rdflib_child(child_limits)

    try:
        raw = kg.dataset.default_graph.query(
            text,
            initNs=STANDARD_PREFIXES,
            initBindings={Variable(k): v for k, v in terms.items()},
        )
        if raw.type == "ASK":
            return QueryResult(kind="ask", boolean=bool(raw.askAnswer))
        if raw.type == "SELECT":
            names = [str(v) for v in (raw.vars or [])]
            rows: list[tuple[Node | None, ...]] = []
            truncated = False
            for row in raw:
                if cap is not None and len(rows) >= cap:
                    truncated = True
                    break
                rows.append(tuple(plain(t) for t in row))
            return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
        g = _new_graph()
        truncated = False
        for t in raw:
            if cap is not None and len(g) >= cap:
                truncated = True
                break
            g.add((t[0], t[1], plain(t[2])))
        return QueryResult(kind="graph", graph=g, truncated=truncated)
    except ParseException as err:
        raise QuerySyntaxError(err.msg, err.lineno, err.col) from err
    except QueryError:
        raise
    except Exception as err:  # noqa: BLE001 - rdflib raises bare Exceptions for bad queries
        raise QueryError(f"query failed: {err}") from err


# --- saved queries --------------------------------------------------------------------


@dataclass(frozen=True)
class SavedQuery:
    """A ``.rq`` file of the catalogue: its name, one-line description and parameters."""

    name: str
    path: Path
    description: str
    params: tuple[tuple[str, str], ...] = ()
    group: str = "app"

    @property
    def text(self) -> str:
        return read_query(self.path)


def read_query(path: str | Path) -> str:
    """The text of a ``.rq`` file, read again only when the file has changed."""
    from graph.untrusted import require_regular_file

    p = os.fspath(path)
    try:
        st = require_regular_file(p)  # by type, before opening: a FIFO would block forever
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = _READ_CACHE.get(p)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with open(p, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as err:
        raise QueryError(f"{p}: cannot read query file: {err.strerror or err}") from err
    if len(_READ_CACHE) >= 1024:
        _READ_CACHE.clear()
    _READ_CACHE[p] = (stamp, text)
    return text


#: path -> ((mtime_ns, size, inode), text): the app and the endpoint run the same files
#: again and again, and opening and reading one took longer than a small query.
_READ_CACHE: dict[str, tuple[tuple[int, int, int], str]] = {}


_PARAM = re.compile(r"^#\s*param:\s*[?$]?(\w+)\s*[—:-]*\s*(.*)$")


def describe_query_file(path: Path, group: str) -> SavedQuery:
    description = ""
    params: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _PARAM.match(line)
        if m:
            params.append((m.group(1), m.group(2).strip()))
        elif not description:
            description = line.lstrip("#").strip()
    return SavedQuery(path.stem, path, description, tuple(params), group)


def list_saved_queries() -> list[SavedQuery]:
    """The catalogue: the examples, the app's own queries, then the competency questions."""
    shipped = sorted(paths.queries_dir().glob("*.rq"))
    out = [describe_query_file(p, "example") for p in shipped if p.stem.startswith("example-")]
    out += [describe_query_file(p, "app") for p in shipped if not p.stem.startswith("example-")]
    cq_dir = paths.ontology_dir() / "cq"
    out += [describe_query_file(p, "competency") for p in sorted(cq_dir.glob("*.rq"))]
    return out


def get_saved_query(name: str) -> SavedQuery:
    for q in list_saved_queries():
        if q.name == name:
            return q
    names = ", ".join(q.name for q in list_saved_queries())
    raise QueryError(f"no saved query named {name!r}; known: {names}")
