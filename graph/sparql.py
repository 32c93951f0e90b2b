"""Run SPARQL over a :class:`~graph.store.KnowledgeGraph`, safely.

Safety by default: the text is checked before it reaches an engine. Updates
(INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY), ``SERVICE`` and
``FROM``/``FROM NAMED`` are refused unless :class:`QueryLimits` allows them.
Parameters are bound through the engine (``initBindings`` / substitutions), never
by formatting text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
from oxrdflib._converter import from_ox, to_ox
from rdflib import Graph
from rdflib import Literal as RDFLiteral
from rdflib.term import Identifier, Node, URIRef, Variable

from graph import paths
from graph.errors import QueryError, QueryRefused, QuerySyntaxError
from graph.store import KnowledgeGraph

ResultKind = Literal["select", "ask", "graph"]

#: Prefixes every query may use without declaring them (the project's and the usual ones).
STANDARD_PREFIXES: dict[str, str] = {
    "ag": "https://w3id.org/alliance-graph/ontology#",
    "agr": "https://w3id.org/alliance-graph/id/",
    "agsh": "https://w3id.org/alliance-graph/shapes#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "wd": "http://www.wikidata.org/entity/",
}


@dataclass(frozen=True)
class QueryLimits:
    """Safety settings for one query. The defaults are documented in the README."""

    timeout_s: float = 10.0
    max_rows: int = 10_000
    allow_service: bool = False
    allow_from: bool = False


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

    def __len__(self) -> int:
        if self.kind == "graph":
            return len(self.graph) if self.graph is not None else 0
        if self.kind == "ask":
            return 1
        return len(self.rows)

    def records(self) -> list[dict[str, Node | None]]:
        return [dict(zip(self.vars, row, strict=True)) for row in self.rows]


# --- lexical safety check -------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-.]*:?)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
_QUERY_FORMS = {"SELECT", "CONSTRUCT", "ASK", "DESCRIBE"}


def _keywords(text: str) -> Iterator[str]:
    """Bare keywords of a query, outside comments, strings, IRIs, variables and prefixed names."""
    for m in _TOKEN.finditer(text):
        word = m.group("word")
        if word and not word.endswith(":") and ":" not in word:
            yield word.upper()


def check_query(text: str, limits: QueryLimits = DEFAULT_LIMITS) -> str:
    """Refuse what the safety rules forbid; return the query form (SELECT, ASK, ...).

    >>> check_query("SELECT * WHERE { ?s ?p ?o }")
    'SELECT'
    >>> check_query("DROP ALL")
    Traceback (most recent call last):
    ...
    graph.errors.QueryRefused: SPARQL updates are not allowed: this graph is read-only (found DROP)
    """
    form: str | None = None
    for word in _keywords(text):
        if form is None:
            if word in _UPDATE_WORDS:
                raise QueryRefused(
                    f"SPARQL updates are not allowed: this graph is read-only (found {word})"
                )
            if word in _QUERY_FORMS:
                form = word
        if word == "SERVICE" and not limits.allow_service:
            raise QueryRefused(
                "SERVICE is not allowed: a query may not call other endpoints "
                "(set allow_service in the configuration to permit it)"
            )
        if word == "FROM" and not limits.allow_from:
            raise QueryRefused(
                "FROM / FROM NAMED is not allowed: a query may not load other graphs, files or URLs "
                "(set allow_from in the configuration to permit it)"
            )
    if form is None:
        raise QuerySyntaxError("expected SELECT, CONSTRUCT, ASK or DESCRIBE")
    return form


_POSITION = re.compile(r"(?:error at |line )(\d+)[:, ]+(?:column )?(\d+)")


def _syntax_error(err: Exception) -> QuerySyntaxError:
    message = str(getattr(err, "msg", None) or err)
    m = _POSITION.search(message)
    if m:
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
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return RDFLiteral(v, datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))
    if len(v) >= 2 and v[0] == v[-1] == '"':
        v = v[1:-1]
    return RDFLiteral(v)


# --- running --------------------------------------------------------------------------


def run_query(
    kg: KnowledgeGraph,
    query: str | Path,
    bindings: Mapping[str, str | Node] | None = None,
    *,
    limits: QueryLimits = DEFAULT_LIMITS,
) -> QueryResult:
    """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query, from text or a ``.rq`` file.

    Examples
    --------
    >>> from graph.store import open_graph
    >>> r = run_query(open_graph(), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    >>> r.kind, r.vars, int(r.rows[0][0]) > 0
    ('select', ['n'], True)
    """
    text = read_query(query) if isinstance(query, Path) else query
    form = check_query(text, limits)
    terms = {k.lstrip("?$"): parse_term(v) for k, v in (bindings or {}).items()}
    started = time.perf_counter()
    if kg.ox is not None:
        result = _run_oxigraph(kg, text, terms, limits)
    else:
        result = _run_rdflib(kg, text, terms, limits)
    result.elapsed_s = time.perf_counter() - started
    if form in {"CONSTRUCT", "DESCRIBE"} and result.kind != "graph":
        raise QueryError(f"{form} query did not return a graph")
    return result


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


def _projected(text: str) -> set[str] | None:
    """Variables of the outer SELECT clause; ``None`` for ``SELECT *`` or non-SELECT forms."""
    seen_select = False
    out: set[str] = set()
    depth = 0
    for m in _TOKEN.finditer(text):
        word = (m.group("word") or "").upper()
        if not seen_select:
            if word in {"ASK", "CONSTRUCT", "DESCRIBE"}:
                return None
            seen_select = word == "SELECT"
            continue
        other = m.group("other")
        if other == "*" and depth == 0 and not out:
            return None
        if other == "(":
            depth += 1
        elif other == ")":
            depth -= 1
        elif other == "{" or word == "WHERE":
            return out
        var = m.group("var")
        if var and depth == 0:
            out.add(var[1:])
    return out


def _inject_values(text: str, terms: Mapping[str, Identifier]) -> str:
    """Put a VALUES block at the start of the outer WHERE group (binds before evaluation)."""
    for m in _TOKEN.finditer(text):
        if m.group("other") == "{":
            return text[: m.end()] + " " + _values_block(terms) + text[m.end() :]
    raise QuerySyntaxError("the query has no WHERE group")


def _run_oxigraph(
    kg: KnowledgeGraph, text: str, terms: Mapping[str, Identifier], limits: QueryLimits
) -> QueryResult:
    assert kg.ox is not None
    subs: dict[Any, Any] = {ox.Variable(k): to_ox(v) for k, v in terms.items()}
    projected = _projected(text) if terms else None
    if projected is not None and not set(terms) <= projected:
        # Oxigraph substitutes only projected variables; bind the rest with VALUES.
        text, subs = _inject_values(text, terms), {}
    try:
        raw: Any = kg.ox.query(
            text, prefixes=STANDARD_PREFIXES, substitutions=subs or None
        )
    except SyntaxError as err:
        raise _syntax_error(err) from err
    except (OSError, RuntimeError) as err:
        raise QueryError(str(err)) from err
    if isinstance(raw, ox.QueryBoolean):
        return QueryResult(kind="ask", boolean=bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        names = [v.value for v in raw.variables]
        rows: list[tuple[Node | None, ...]] = []
        truncated = False
        for solution in raw:
            if len(rows) >= limits.max_rows:
                truncated = True
                break
            rows.append(tuple(None if t is None else from_ox(t) for t in solution))  # type: ignore[misc]
        return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
    g = Graph()
    for prefix, iri in STANDARD_PREFIXES.items():
        g.bind(prefix, iri)
    for t in raw:
        g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))  # type: ignore[arg-type]
    return QueryResult(kind="graph", graph=g)


def _run_rdflib(
    kg: KnowledgeGraph, text: str, terms: Mapping[str, Identifier], limits: QueryLimits
) -> QueryResult:
    from pyparsing import ParseException

    try:
        raw = kg.dataset.default_graph.query(
            text,
            initNs=STANDARD_PREFIXES,
            initBindings={Variable(k): v for k, v in terms.items()},
        )
    except ParseException as err:
        raise QuerySyntaxError(err.msg, err.lineno, err.col) from err
    except Exception as err:  # noqa: BLE001 - rdflib raises bare Exceptions for bad queries
        raise QueryError(f"query failed: {err}") from err
    if raw.type == "ASK":
        return QueryResult(kind="ask", boolean=bool(raw.askAnswer))
    if raw.type == "SELECT":
        names = [str(v) for v in (raw.vars or [])]
        rows: list[tuple[Node | None, ...]] = []
        truncated = False
        for row in raw:
            if len(rows) >= limits.max_rows:
                truncated = True
                break
            rows.append(tuple(row))  # type: ignore[arg-type]
        return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
    g = Graph()
    for prefix, iri in STANDARD_PREFIXES.items():
        g.bind(prefix, iri)
    for t in raw:
        g.add(t)  # type: ignore[arg-type]
    return QueryResult(kind="graph", graph=g)


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
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except OSError as err:
        raise QueryError(f"{p}: cannot read query file: {err.strerror or err}") from err


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
    """The catalogue: the app's queries, then the competency questions."""
    out = [describe_query_file(p, "app") for p in sorted(paths.queries_dir().glob("*.rq"))]
    cq_dir = paths.ontology_dir() / "cq"
    out += [describe_query_file(p, "competency") for p in sorted(cq_dir.glob("*.rq"))]
    return out


def get_saved_query(name: str) -> SavedQuery:
    for q in list_saved_queries():
        if q.name == name:
            return q
    names = ", ".join(q.name for q in list_saved_queries())
    raise QueryError(f"no saved query named {name!r}; known: {names}")
