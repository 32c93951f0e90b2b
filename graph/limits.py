"""Query limits, and running a query where a runaway can really be stopped.

pyoxigraph (and rdflib) cannot cancel a query from Python once it runs. So a query
with a time limit runs in a *forked child process*: the child shares the loaded
store copy-on-write (a fork costs a few milliseconds, nothing is reloaded), runs the
query, writes its answer down a pipe and exits. The parent waits at most
``timeout_s`` and kills the child when the time is up. The app and the endpoint keep
answering meanwhile, since only the child burns the CPU. The child's address space
is also capped (``memory_mb`` above what it inherited), so a query that would
materialise a huge intermediate result dies alone instead of swapping the laptop.

Where ``os.fork`` does not exist (Windows) queries run in-process and the time
limit cannot be enforced; the row limit still is.

Settings come from :class:`QueryLimits`, whose defaults can be changed through the
environment:

========================================  =======  ==========================================
variable                                  default  meaning
========================================  =======  ==========================================
``ALLIANCE_GRAPH_QUERY_TIMEOUT``          10       seconds per query (0: no limit)
``ALLIANCE_GRAPH_QUERY_MAX_ROWS``         10000    rows (or triples) returned (0: no limit)
``ALLIANCE_GRAPH_QUERY_ALLOW_SERVICE``    0        1 lets ``SERVICE`` call other endpoints
``ALLIANCE_GRAPH_QUERY_ALLOW_FROM``       0        1 lets ``FROM``/``FROM NAMED`` load graphs
``ALLIANCE_GRAPH_QUERY_MEMORY_MB``        2048     extra memory a query may take (0: no cap)
``ALLIANCE_GRAPH_QUERY_MAX_BYTES_OUT``    50 MB    bytes of one answer (0: no limit)
========================================  =======  ==========================================

A bad value (not a number, negative, not 0/1) raises :class:`~graph.errors.ConfigError`
naming the variable, when the limits are read (:mod:`graph.settings`).

An answer over the byte limit is refused *in the worker* (the parent never holds it):
the query fails with :class:`~graph.errors.AnswerTooLarge`, like a query stopped at
the time limit; the row limit, by contrast, cuts the answer and flags it truncated.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from graph import errors
from graph.errors import AnswerTooLarge, QueryError, QueryTimeout
from graph.settings import env_flag, env_int, env_number

ENV_TIMEOUT = "ALLIANCE_GRAPH_QUERY_TIMEOUT"
ENV_MAX_ROWS = "ALLIANCE_GRAPH_QUERY_MAX_ROWS"
ENV_ALLOW_SERVICE = "ALLIANCE_GRAPH_QUERY_ALLOW_SERVICE"
ENV_ALLOW_FROM = "ALLIANCE_GRAPH_QUERY_ALLOW_FROM"
ENV_MEMORY_MB = "ALLIANCE_GRAPH_QUERY_MEMORY_MB"
ENV_MAX_BYTES_OUT = "ALLIANCE_GRAPH_QUERY_MAX_BYTES_OUT"

#: Largest answer, in bytes, a query may produce by default.
DEFAULT_MAX_BYTES_OUT = 50 * 1024 * 1024


@dataclass(frozen=True)
class QueryLimits:
    """Safety settings for one query.

    Attributes
    ----------
    timeout_s
        Wall-clock seconds a query may run; ``None`` or ``0`` for no limit.
    max_rows
        Rows (SELECT) or triples (CONSTRUCT/DESCRIBE) returned; more are cut off and
        the result is flagged ``truncated``. ``None`` or ``0`` for no limit.
    allow_service
        Let ``SERVICE`` clauses call other endpoints (off: refused before running).
    allow_from
        Let ``FROM`` / ``FROM NAMED`` (and the protocol's dataset parameters) name graphs.
    memory_mb
        Extra address space the query's worker process may take; ``None``/``0``: no cap.
    isolate
        Run in a killable child process (needed for the time limit to bite).
    max_bytes_out
        Bytes of one answer, checked in the worker before the parent reads it; a bigger
        answer fails with :class:`~graph.errors.AnswerTooLarge`. ``None``/``0``: no limit.
    """

    timeout_s: float | None = 10.0
    max_rows: int | None = 10_000
    allow_service: bool = False
    allow_from: bool = False
    memory_mb: int | None = 2048
    isolate: bool = True
    max_bytes_out: int | None = DEFAULT_MAX_BYTES_OUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> QueryLimits:
        """Defaults overridden by ``ALLIANCE_GRAPH_QUERY_*`` variables, then by ``overrides``.

        >>> QueryLimits.from_env({"ALLIANCE_GRAPH_QUERY_TIMEOUT": "2.5"}).timeout_s
        2.5
        >>> QueryLimits.from_env({}, max_rows=5).max_rows
        5
        """
        base = cls()
        values: dict[str, object] = {
            "timeout_s": env_number(ENV_TIMEOUT, base.timeout_s or 0, env=env) or None,
            "max_rows": env_int(ENV_MAX_ROWS, base.max_rows or 0, env=env) or None,
            "memory_mb": env_int(ENV_MEMORY_MB, base.memory_mb or 0, env=env) or None,
            "max_bytes_out": env_int(ENV_MAX_BYTES_OUT, base.max_bytes_out or 0, env=env) or None,
            "allow_service": env_flag(ENV_ALLOW_SERVICE, base.allow_service, env=env),
            "allow_from": env_flag(ENV_ALLOW_FROM, base.allow_from, env=env),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(base, **values)  # type: ignore[arg-type]

    def row_cap(self) -> int | None:
        """The row limit as a positive int, or ``None`` for none."""
        return self.max_rows if self.max_rows and self.max_rows > 0 else None

    def byte_cap(self) -> int | None:
        """The answer-size limit in bytes, or ``None`` for none."""
        return self.max_bytes_out if self.max_bytes_out and self.max_bytes_out > 0 else None


#: No limits at all: for the project's own shipped queries (network projection, stats).
UNLIMITED = QueryLimits(timeout_s=None, max_rows=None, memory_mb=None, isolate=False, max_bytes_out=None)


# --- the killable worker --------------------------------------------------------------

_OK, _ERR = b"O", b"E"


def can_isolate() -> bool:
    """True where queries can run in a killable forked worker (POSIX)."""
    return hasattr(os, "fork")


def _address_space() -> int:
    """Current virtual size of this process in bytes (Linux), or 0 when unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cap_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    try:
        import resource

        current = _address_space()
        if current:
            cap = current + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):  # pragma: no cover - best effort
        pass


def _max_fd() -> int:
    try:
        return min(int(os.sysconf("SC_OPEN_MAX")), 1 << 20)
    except (ValueError, OSError):  # pragma: no cover
        return 4096


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the thread that forked it ends (the
    server stopped): a worker must never outlive the server and run on alone."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _too_large(size: int, cap: int, what: str) -> AnswerTooLarge:
    return AnswerTooLarge(
        f"the {what}'s answer is larger than {cap:,} bytes (the answer-size limit, "
        f"{ENV_MAX_BYTES_OUT}); ask for fewer rows or columns (add LIMIT) or raise the limit"
        + (f" ({size:,} bytes)" if size else "")
    )


def _checked(data: bytes, cap: int | None, what: str) -> bytes:
    if cap is not None and len(data) > cap:
        raise _too_large(len(data), cap, what)
    return data


def answer_of(work: Callable[[], bytes], cap: int | None = None, what: str = "query") -> bytes:
    """``work``'s answer as a worker sends it: ``O`` + bytes, or ``E`` + the pickled error.

    Shared by the one-shot forked child below and the warm workers of :mod:`graph.workers`.
    """
    try:
        return _OK + _checked(work(), cap, what)
    except errors.AllianceGraphError as err:
        return _ERR + pickle.dumps(
            (type(err).__name__, str(err), getattr(err, "line", None), getattr(err, "column", None))
        )
    except MemoryError:
        return _ERR + pickle.dumps(("QueryError", "the query ran out of memory", None, None))
    except BaseException as err:  # noqa: BLE001 - everything must reach the parent
        return _ERR + pickle.dumps(("QueryError", f"query failed: {err}", None, None))


def decode_answer(data: bytes) -> bytes | None:
    """The bytes of an ``O`` answer; an ``E`` answer raised as its error; ``None`` if neither."""
    if data[:1] == _OK:
        return data[1:]
    if data[:1] == _ERR:
        raise _rebuild(*pickle.loads(data[1:]))  # noqa: S301 - our own worker wrote it
    return None


def _child(
    work: Callable[[], bytes], fd: int, memory_mb: int | None, cap: int | None = None, what: str = "query"
) -> None:
    """Body of the forked worker: never returns."""
    code = 0
    try:
        # Drop every other inherited descriptor: sockets of other clients and, above all,
        # the write ends of other workers' pipes, which would keep them from seeing EOF.
        os.closerange(3, fd)
        os.closerange(fd + 1, _max_fd())
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with_parent()
        _cap_memory(memory_mb)
        _write_all(fd, answer_of(work, cap, what))
    except BaseException:  # noqa: BLE001 - a broken pipe: the parent gave up
        code = 1
    finally:
        os._exit(code)


def _rebuild(name: str, message: str, line: int | None, column: int | None) -> errors.AllianceGraphError:
    cls = getattr(errors, name, QueryError)
    if not (isinstance(cls, type) and issubclass(cls, errors.AllianceGraphError)):
        cls = QueryError
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.line = line  # type: ignore[attr-defined]
    err.column = column  # type: ignore[attr-defined]
    return err


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def run_isolated(work: Callable[[], bytes], limits: QueryLimits, *, what: str = "query") -> bytes:
    """Run ``work`` in a forked child under ``limits``; return the bytes it produced.

    Errors of the library raised in the child are raised again here (same class and
    message). A child that runs past ``limits.timeout_s`` is killed and
    :class:`~graph.errors.QueryTimeout` is raised; one that dies (out of memory) gives
    :class:`~graph.errors.QueryError`.

    >>> run_isolated(lambda: b"42", QueryLimits(timeout_s=5))
    b'42'
    """
    cap = limits.byte_cap()
    if not (limits.isolate and can_isolate()):
        return _checked(work(), cap, what)
    timeout = limits.timeout_s if limits.timeout_s and limits.timeout_s > 0 else None
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_fd)
        _child(work, write_fd, limits.memory_mb, cap, what)
    os.close(write_fd)
    chunks: list[bytes] = []
    received = 0
    finished = False
    oversized = False
    try:
        while True:
            wait = None if timeout is None else timeout - (time.monotonic() - started)
            if wait is not None and wait <= 0:
                break
            ready, _, _ = select.select([read_fd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
            received += len(chunk)
            if cap is not None and received > cap + 1:
                # the worker checks its answer before sending it; this guards the parent anyway
                oversized = True
                break
    finally:
        os.close(read_fd)
        if not finished:
            _kill(pid)
    if oversized:
        raise _too_large(0, cap or 0, what)
    if not finished:
        raise QueryTimeout(
            f"the {what} was stopped after {timeout:g} s (the time limit); "
            "narrow it down (add LIMIT, more specific patterns) or raise the limit "
            f"({ENV_TIMEOUT})"
        )
    _, status = os.waitpid(pid, 0)
    data = b"".join(chunks)
    answer = decode_answer(data)
    if answer is not None:
        return answer
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = " (probably out of memory: the cap is " + (
            f"{limits.memory_mb} MB, {ENV_MEMORY_MB})" if limits.memory_mb else "off)"
        )
        raise QueryError(f"the {what} worker died with signal {sig}{hint}")
    raise QueryError(f"the {what} worker exited without an answer (status {status})")
