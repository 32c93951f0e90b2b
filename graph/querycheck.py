"""Decide what a SPARQL text is before any engine sees it: form, updates, SERVICE, datasets.

The decision comes from a real parser's tree (rdflib's SPARQL grammar), not from
keywords found by a tokenizer: a tokenizer is fooled by ``<`` used as less-than
(``FILTER(1<2)SERVICE#>``) and by ``SERVICE:x`` read as one prefixed name, while the
engines read the keyword ``SERVICE``. The rules:

1. ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes are expanded first, as the SPARQL grammar says
   (escapes are code points of the query text). The *expanded* text is what is checked
   and what every engine then runs, so the check and the engine read the same
   characters (Oxigraph on its own reads escapes only inside strings and IRIs). A text
   whose expansion still holds an escape is refused: it cannot mean one thing to all.
2. A cheap, linear filter first: a text in which none of the words that could make it
   dangerous occur at all (``service``, ``from``, ``insert``, ``load``... as letters
   anywhere, any case) cannot contain them as keywords, and is accepted with the form
   read from its first keyword. Most queries stop here.
3. Otherwise rdflib's grammar parses the text (as a query, then as an update) in a
   separate checker process that holds no store and no threads of the caller's, with
   a deep recursion limit, a memory cap, and a time limit: a text that takes longer
   than ``ALLIANCE_GRAPH_QUERY_CHECK_TIMEOUT`` seconds (5) to parse is refused, and
   the checker is replaced. From the tree: an update is refused; a
   ``ServiceGraphPattern`` anywhere is refused unless SERVICE is allowed; a
   ``DatasetClause`` (``FROM`` / ``FROM NAMED``) is refused unless allowed.
4. Fail closed: when rdflib cannot parse a text that Oxigraph would accept, the query is
   refused as one that cannot be verified. To learn whether Oxigraph would accept it
   without running it, Oxigraph is given the text followed by a line holding a control
   character that no SPARQL text may contain: the parse always fails, and the position
   of the failure says whether the text itself parsed. A text both refuse is a syntax
   error, reported with Oxigraph's message and position.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import re
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graph.errors import QueryRefused, QuerySyntaxError

__all__ = [
    "DANGEROUS_WORDS",
    "Verdict",
    "expand_unicode_escapes",
    "parse_verdict",
    "vet",
]

# --- escapes --------------------------------------------------------------------------

_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: rdflib expands escapes again when its engine parses a text (case-insensitive, 4 or 8
#: digits): a text that still matches after our expansion would mean two things.
_ANY_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def expand_unicode_escapes(text: str) -> str:
    r"""Replace ``\uXXXX`` / ``\UXXXXXXXX`` by the code points they stand for.

    >>> expand_unicode_escapes(r"\u0053ERVICE")
    'SERVICE'
    """

    def sub(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF:
            raise QuerySyntaxError(f"{m.group(0)} is not a Unicode code point")
        return chr(code)

    return _UNICODE_ESCAPE.sub(sub, text)


def _expanded(text: str) -> str:
    expanded = expand_unicode_escapes(text)
    if expanded != text and _ANY_ESCAPE.search(expanded):
        raise QueryRefused(
            "cannot verify this query: a \\u escape spells another escape "
            "(write the character itself)"
        )
    if _SURROGATE.search(expanded):
        raise QuerySyntaxError("the query holds a lone surrogate (an invalid \\u escape?)")
    return expanded


# --- the lexical layer: linear, used for the form and as a first filter -----------------

_PN_CHARS = r"A-Za-z0-9_\-\u00B7-\uFFFF"
#: SPARQL's tokens, written so each alternative is linear: an unterminated string or IRI
#: runs to the end of its line (or of the text) instead of being retried at every quote.
TOKEN = re.compile(
    rf"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)|\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
      |'(?:[^'\\\n\r]|\\.)*(?:'|$)|"(?:[^"\\\n\r]|\\.)*(?:"|$))
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[A-Za-z_\u00C0-\uFFFF][{_PN_CHARS}.]*)?:(?:[{_PN_CHARS}.:%]|\\[^\s])*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)

UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
#: Letters whose absence (in any case, anywhere in the text) proves a text holds no
#: update, SERVICE or dataset clause.
DANGEROUS_WORDS = tuple(sorted(w.casefold() for w in UPDATE_WORDS | {"SERVICE", "FROM"}))


def keywords(text: str) -> Iterator[str]:
    """Bare words of a query (upper case), outside comments, strings, IRIs and names."""
    return (m.group("word").upper() for m in TOKEN.finditer(text) if m.group("word"))


def _refuse_update(word: str) -> QueryRefused:
    return QueryRefused(f"SPARQL updates are not allowed: this graph is read-only (found {word})")


def _refuse_service() -> QueryRefused:
    return QueryRefused(
        "SERVICE is not allowed: a query may not call other endpoints "
        "(set ALLIANCE_GRAPH_QUERY_ALLOW_SERVICE=1 to permit it)"
    )


def _refuse_from() -> QueryRefused:
    return QueryRefused(
        "FROM / FROM NAMED is not allowed: a query may not load other graphs, files or URLs "
        "(set ALLIANCE_GRAPH_QUERY_ALLOW_FROM=1 to permit it)"
    )


def _lexical_form(text: str, allow_service: bool, allow_from: bool) -> str | None:
    """The first query-form keyword; refuses what the tokens already show (a first filter)."""
    form: str | None = None
    for word in keywords(text):
        if word in UPDATE_WORDS:
            raise _refuse_update(word)
        if word == "SERVICE" and not allow_service:
            raise _refuse_service()
        if word == "FROM" and not allow_from:
            raise _refuse_from()
        if form is None and word in QUERY_FORMS:
            form = word
    return form


# --- the verdict ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What the parser saw: ``kind`` query / update / invalid, and what the text holds."""

    kind: str
    form: str | None = None
    service: bool = False
    dataset: bool = False
    message: str = ""
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Vetted:
    """A query that passed the check: its form and the exact text the engines must run."""

    form: str
    text: str


_FORM_NAMES = {
    "SelectQuery": "SELECT",
    "ConstructQuery": "CONSTRUCT",
    "AskQuery": "ASK",
    "DescribeQuery": "DESCRIBE",
}


def parse_verdict(text: str) -> Verdict:
    """Parse ``text`` (escapes already expanded) with rdflib's grammar, in this process.

    Deep queries need a deep stack: :func:`vet` calls this in the checker process.

    >>> parse_verdict("PREFIX : <http://x/> SELECT * WHERE { SERVICE:s { ?a ?b ?c } }").service
    True
    >>> parse_verdict("SELECT * FROM <http://g> { ?s ?p ?o }").dataset
    True
    >>> parse_verdict("DROP ALL").kind
    'update'
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import Query, UpdateUnit

    try:
        tree = Query.parse_string(text, parse_all=True)
    except ParseBaseException as err:
        first = err
    except (ValueError, TypeError, KeyError, IndexError) as err:  # parse actions
        return Verdict("invalid", message=str(err))
    else:
        service, dataset = _scan(tree)
        form = None
        for part in tree:
            form = _FORM_NAMES.get(getattr(part, "name", ""), form)
        return Verdict("query", form=form, service=service, dataset=dataset)
    try:
        UpdateUnit.parse_string(text, parse_all=True)
    except (ParseBaseException, ValueError, TypeError, KeyError, IndexError):
        return Verdict("invalid", message=str(first.msg), line=first.lineno, column=first.col)
    return Verdict("update")


def _scan(tree: Any) -> tuple[bool, bool]:
    """(SERVICE anywhere, a dataset clause anywhere) in a parse tree, without recursion."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    service = dataset = False
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                service = True
            elif node.name == "DatasetClause":
                dataset = True
            stack.extend(node.values())
        elif isinstance(node, ParseResults | list | tuple):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    return service, dataset


# --- the checker process ----------------------------------------------------------------

ENV_CHECK_TIMEOUT = "ALLIANCE_GRAPH_QUERY_CHECK_TIMEOUT"
DEFAULT_CHECK_TIMEOUT_S = 5.0
_CHECKER_MEMORY_MB = 2048
_STACK_BYTES = 512 * 1024 * 1024


def check_timeout_s() -> float:
    """Seconds the parser may take on one text (``ALLIANCE_GRAPH_QUERY_CHECK_TIMEOUT``)."""
    from graph.errors import ConfigError
    from graph.settings import env_number

    value = env_number(ENV_CHECK_TIMEOUT, DEFAULT_CHECK_TIMEOUT_S)
    if value <= 0:
        raise ConfigError(f"{ENV_CHECK_TIMEOUT} must be above 0, got {value:g}")
    return value


class _Checker:
    """One checker process: length-prefixed JSON in and out over its pipes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graph.querycheck", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )

    def ask(self, text: str, timeout: float) -> Verdict | None:
        """The verdict, or ``None`` when the checker did not answer in time (it is killed)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        data = text.encode("utf-8")
        try:
            self.proc.stdin.write(struct.pack(">I", len(data)) + data)
            self.proc.stdin.flush()
            head = self._read(4, timeout)
            if head is None:
                return None
            body = self._read(struct.unpack(">I", head)[0], timeout)
        except (BrokenPipeError, OSError):
            return None
        if body is None:
            return None
        return Verdict(**json.loads(body))

    def _read(self, n: int, timeout: float) -> bytes | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks: list[bytes] = []
        got = 0
        while got < n:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, n - got)
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass


class _Pool:
    """Checker processes, started when first needed, one per caller at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: queue.LifoQueue[_Checker] = queue.LifoQueue()
        self.started = 0
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def _take(self) -> _Checker:
        with self.lock:
            if self.pid != os.getpid():  # forked: the parent's pipes are not ours
                self.idle = queue.LifoQueue()
                self.started = 0
                self.pid = os.getpid()
            try:
                return self.idle.get_nowait()
            except queue.Empty:
                if self.started < self.size:
                    self.started += 1
                    return _Checker()
        return self.idle.get()

    def verdict(self, text: str, timeout: float) -> Verdict | None:
        checker = self._take()
        try:
            answer = checker.ask(text, timeout)
        except BaseException:
            checker.kill()
            self._lost()
            raise
        if answer is None or not checker.alive():
            checker.kill()
            self._lost()
            return None
        self.idle.put(checker)
        return answer

    def _lost(self) -> None:
        with self.lock:
            self.started -= 1


_POOL = _Pool(max(2, os.cpu_count() or 2))


def _serve() -> None:  # pragma: no cover - runs in the checker process
    """The checker process: read texts, write verdicts, until stdin closes."""
    try:
        import resource

        cap = _CHECKER_MEMORY_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap + _STACK_BYTES, cap + _STACK_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(_STACK_BYTES)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    def loop() -> None:
        while True:
            head = stdin.read(4)
            if len(head) < 4:
                return
            text = stdin.read(struct.unpack(">I", head)[0]).decode("utf-8")
            try:
                verdict = parse_verdict(text)
            except RecursionError:
                verdict = Verdict("invalid", message="the query is nested too deeply to check")
            except MemoryError:
                verdict = Verdict("invalid", message="the query is too large to check")
            out = json.dumps(verdict.__dict__).encode("utf-8")
            stdout.write(struct.pack(">I", len(out)) + out)
            stdout.flush()

    worker = threading.Thread(target=loop, name="querycheck")
    worker.start()
    worker.join()


# --- Oxigraph's view, without running anything -------------------------------------------

_OX_POSITION = re.compile(r"error at (\d+):(\d+)")


def _oxigraph_view(text: str) -> tuple[bool, str, int | None, int | None]:
    """(would Oxigraph parse ``text``, its message, line, column), never executing it."""
    import pyoxigraph as ox

    sentinel_line = text.count("\n") + 2
    try:
        ox.Store().query(text + "\n\x01")
    except SyntaxError as err:
        message = str(err)
        m = _OX_POSITION.search(message)
        if m is None:
            return False, message, None, None
        line, column = int(m.group(1)), int(m.group(2))
        if line >= sentinel_line:
            return True, message, line, column
        return False, (message[: m.start()] + message[m.end() :]).strip(" :"), line, column
    # Unreachable: no SPARQL text may hold U+0001 outside a string or comment, and a line
    # of its own is in neither. Refuse rather than trust it.
    return True, "", None, None


# --- the check ----------------------------------------------------------------------------


def vet(text: str, allow_service: bool = False, allow_from: bool = False) -> Vetted:
    """Check ``text``; return its form and the text engines must run, or raise.

    Raises :class:`QueryRefused` (an update; SERVICE or FROM while not allowed; a text
    that cannot be verified) or :class:`QuerySyntaxError`.

    >>> vet("SELECT * WHERE { FILTER(1<2)SERVICE#>\\n<http://127.0.0.1:9/>{?s ?p ?o} }")
    Traceback (most recent call last):
    ...
    graph.errors.QueryRefused: SERVICE is not allowed: a query may not call other endpoints (set ALLIANCE_GRAPH_QUERY_ALLOW_SERVICE=1 to permit it)
    >>> vet(r"SELECT ?s WHERE { ?s ?p 'caf\\u00e9' }").text
    "SELECT ?s WHERE { ?s ?p 'café' }"
    """
    return _vet(text, allow_service, allow_from)


@functools.lru_cache(maxsize=1024)
def _vet(text: str, allow_service: bool, allow_from: bool) -> Vetted:
    # cached by everything the answer depends on (a refusal raises and is not cached)
    expanded = _expanded(text)
    form = _lexical_form(expanded, allow_service, allow_from)
    folded = expanded.casefold()
    if not any(word in folded for word in DANGEROUS_WORDS):
        if form is None:
            _raise_syntax(expanded, "expected SELECT, CONSTRUCT, ASK or DESCRIBE")
        assert form is not None
        return Vetted(form, expanded)
    timeout = check_timeout_s()
    verdict = _POOL.verdict(expanded, timeout)
    if verdict is None:
        raise QueryRefused(
            f"cannot verify this query: checking it took more than {timeout:g} s "
            f"(set {ENV_CHECK_TIMEOUT} to allow longer)"
        )
    if verdict.kind == "update":
        raise _refuse_update(form or "an update")
    if verdict.kind == "invalid":
        _raise_syntax(expanded, verdict.message or "the query does not parse")
    if verdict.service and not allow_service:
        raise _refuse_service()
    if verdict.dataset and not allow_from:
        raise _refuse_from()
    final = verdict.form or form
    if final is None:  # pragma: no cover - a parsed query always has a form
        raise QuerySyntaxError("expected SELECT, CONSTRUCT, ASK or DESCRIBE")
    return Vetted(final, expanded)


def _raise_syntax(text: str, checker_message: str) -> None:
    accepted, message, line, column = _oxigraph_view(text)
    if accepted:
        raise QueryRefused(
            "cannot verify this query: the safety check's parser cannot read it "
            f"({checker_message}); rewrite it in standard SPARQL 1.1"
        )
    raise QuerySyntaxError(message or checker_message, line, column)


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--serve"]:
        _serve()
