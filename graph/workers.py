"""Warm query workers, forked from a host process that has one thread.

A user's query must be killable (pyoxigraph and rdflib cannot cancel a running query
from Python), so it runs in a process of its own. Forking that process from the
server itself is unsafe and slow: the endpoint and Streamlit have many threads, and a
child forked while one of them holds a lock can deadlock; and forking a 600 MB process
costs tens of milliseconds of page-table copying on every query. So each graph gets a
*host*:

* The host is a process with a single thread that holds the graph. Where the caller
  has one thread when the host is made (the CLI, the endpoint before it starts serving)
  the host is forked and shares the loaded store copy-on-write; otherwise (Streamlit)
  it is a fresh interpreter (``python -m graph.workers``) that bulk-loads an N-Quads
  dump of the store. Nothing is ever forked from a threaded process.
* The host forks *workers* on request and hands each one's socket to the caller
  (``SCM_RIGHTS``). A worker answers job after job; the caller keeps idle workers and
  reuses them, so a query pays no process start.
* A worker that runs past the time limit is killed by the caller (``SIGKILL``); the host
  reaps it and forks a fresh one when asked. A worker's memory is capped per job
  (``RLIMIT_AS`` above what it had when forked); its answer is refused in the worker when
  it is over the byte limit, as with the one-shot fork of :mod:`graph.limits`.
* The host and its workers die with the caller: the host sees its control socket reach
  end of file (the caller closed it or died), the workers have ``PR_SET_PDEATHSIG`` on the
  host (whose one thread forked them).

``ALLIANCE_GRAPH_QUERY_WORKERS`` caps the workers per graph (default ``max(4, 2 x
cores)``); callers beyond that wait for one to be free. ``ALLIANCE_GRAPH_QUERY_HOST``
chooses how hosts start: ``auto`` (default: fork when single-threaded, else spawn),
``fork`` or ``spawn``.

The graph is read-only once loaded (see :mod:`graph.store`): a host holds the graph as it
was when the first isolated job ran.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import queue
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graph import limits as _limits
from graph.errors import ConfigError, QueryError, QueryTimeout
from graph.settings import env_int, env_text

if TYPE_CHECKING:
    from graph.limits import QueryLimits
    from graph.store import KnowledgeGraph

ENV_WORKERS = "ALLIANCE_GRAPH_QUERY_WORKERS"
ENV_HOST = "ALLIANCE_GRAPH_QUERY_HOST"
#: Jobs a worker answers before it is retired (what a long run leaks stays bounded).
JOBS_PER_WORKER = 2_000
#: Seconds a spawned host may take to load its copy of the graph.
HOST_START_TIMEOUT = 600.0

_HEAD = struct.Struct(">Q")
#: Jobs a worker may run: name -> function(kg, *args) -> bytes. Filled by the modules
#: that define the work (:mod:`graph.sparql`, :mod:`graph.validate`), so a worker never
#: runs anything but these.
JOBS: dict[str, Callable[..., bytes]] = {}


def job(name: str) -> Callable[[Callable[..., bytes]], Callable[..., bytes]]:
    """Register ``fn(kg, *args) -> bytes`` as a job workers may run under ``name``."""

    def register(fn: Callable[..., bytes]) -> Callable[..., bytes]:
        JOBS[name] = fn
        return fn

    return register


def max_workers() -> int:
    return env_int(ENV_WORKERS, max(4, 2 * (os.cpu_count() or 1)), minimum=1)


def host_mode() -> str:
    mode = (env_text(ENV_HOST) or "auto").strip().lower()
    if mode not in {"auto", "fork", "spawn"}:
        raise ConfigError(f"{ENV_HOST} must be auto, fork or spawn, got {mode!r}")
    return mode


# --- framing ----------------------------------------------------------------------------


def _send(sock: socket.socket, data: bytes) -> None:
    sock.sendall(_HEAD.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < n:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError
            ready, _, _ = select.select([sock], [], [], wait)
            if not ready:
                raise TimeoutError
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket, deadline: float | None = None, cap: int | None = None) -> bytes | None:
    """One framed message; ``None`` at end of stream; TimeoutError past ``deadline``;
    ``_Oversized`` when the frame announces more than ``cap`` bytes."""
    head = _recv_exact(sock, _HEAD.size, deadline)
    if head is None:
        return None
    (size,) = _HEAD.unpack(head)
    if cap is not None and size > cap:
        raise _Oversized(size)
    return _recv_exact(sock, size, deadline)


class _Oversized(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


# --- the worker (a child of the host) --------------------------------------------------


def _worker_main(kg: KnowledgeGraph, sock: socket.socket) -> None:  # pragma: no cover - child
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _limits._die_with_parent()
        base = _limits._address_space()
        while True:
            request = _recv(sock)
            if request is None:
                break
            name, args, memory_mb, cap, what = pickle.loads(request)  # noqa: S301 - our caller
            _set_memory_cap(base, memory_mb)
            fn = JOBS.get(name)
            work = functools.partial(_unknown, name) if fn is None else functools.partial(fn, kg, *args)
            answer = _limits.answer_of(work, cap, what)
            _set_memory_cap(base, None)
            _send(sock, answer)
    except BaseException:  # noqa: BLE001 - the caller went away
        code = 1
    finally:
        os._exit(code)


def _unknown(name: str) -> bytes:
    raise QueryError(f"unknown worker job {name!r}")


def _set_memory_cap(base: int, memory_mb: int | None) -> None:
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = base + memory_mb * 1024 * 1024 if (memory_mb and base) else resource.RLIM_INFINITY
        if hard != resource.RLIM_INFINITY and (soft == resource.RLIM_INFINITY or soft > hard):
            soft = hard
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - best effort
        pass


# --- the host ------------------------------------------------------------------------------


def _host_loop(kg: KnowledgeGraph, ctrl: socket.socket) -> None:  # pragma: no cover - child
    """Fork a worker for each ``F`` on ``ctrl`` and send its socket back; reap the dead."""
    children: set[int] = set()
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal: the caller decides
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        while True:
            ready, _, _ = select.select([ctrl], [], [], 1.0)
            _reap(children)
            if not ready:
                continue
            msg = ctrl.recv(1)
            if not msg:
                break
            if msg != b"F":
                continue
            mine, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                mine.close()
                ctrl.close()
                _worker_main(kg, theirs)
            theirs.close()
            children.add(pid)
            socket.send_fds(ctrl, [struct.pack(">i", pid)], [mine.fileno()])
            mine.close()
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _reap(children)
        os._exit(code)


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def _close_inherited(keep: int) -> None:
    os.closerange(3, keep)
    os.closerange(keep + 1, _limits._max_fd())


def _fork_host(kg: KnowledgeGraph) -> tuple[socket.socket, int, subprocess.Popen[bytes] | None]:
    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the host
        try:
            # no PR_SET_PDEATHSIG here: it fires when the *thread* that forked us ends
            # (a Streamlit script run), not the process. The host leaves when its
            # control socket reaches end of file: the caller closed it or died.
            _close_inherited(theirs.fileno())
            _host_loop(kg, theirs)
        finally:
            os._exit(1)
    theirs.close()
    return mine, pid, None


def _spawn_host(kg: KnowledgeGraph) -> tuple[socket.socket, int, subprocess.Popen[bytes] | None]:
    import pyoxigraph as ox

    fd, dump = tempfile.mkstemp(prefix="alliance-graph-host-", suffix=".nq")
    os.close(fd)
    mine, theirs = socket.socketpair()
    try:
        if kg.ox is not None:
            kg.ox.dump(dump, format=ox.RdfFormat.N_QUADS)
        else:
            _dump_rdflib(kg, dump)
        proc = subprocess.Popen(  # noqa: S603 - our own module, by path of this interpreter
            [sys.executable, "-m", "graph.workers", str(theirs.fileno()), kg.backend, dump],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            close_fds=True,
        )
        theirs.close()
        try:
            ready = _recv(mine, time.monotonic() + HOST_START_TIMEOUT)
        except TimeoutError:
            ready = None
        if ready != b"R":
            proc.kill()
            proc.wait()
            mine.close()
            raise QueryError("the query host did not start (it could not load its copy of the graph)")
        return mine, proc.pid, proc
    finally:
        with contextlib.suppress(OSError):
            theirs.close()
        with contextlib.suppress(OSError):
            os.unlink(dump)


def _dump_rdflib(kg: KnowledgeGraph, path: str) -> None:
    """The rdflib dataset as N-Quads, the default graph's triples without a graph name."""
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    with open(path, "wb") as out:
        for context in kg.dataset.graphs():
            data = context.serialize(format="nt", encoding="utf-8")
            if context.identifier == DATASET_DEFAULT_GRAPH_ID:
                out.write(data)
                continue
            name = f" <{context.identifier}> .\n".encode()
            for line in data.splitlines():
                if line.strip():
                    out.write(line.rstrip()[:-1].rstrip() + name)


def _spawned_main(argv: list[str]) -> None:  # pragma: no cover - the spawned host
    fd, backend, dump = int(argv[0]), argv[1], argv[2]
    ctrl = socket.socket(fileno=fd)  # end of file on it: the caller is gone (see _fork_host)
    from graph.store import new_store

    kg = new_store(backend)
    if kg.ox is not None:
        import pyoxigraph as ox

        kg.ox.bulk_load(path=dump, format=ox.RdfFormat.N_QUADS)
    else:
        kg.dataset.parse(dump, format="nquads")
    _import_jobs()
    _send(ctrl, b"R")
    _host_loop(kg, ctrl)


def _import_jobs() -> None:
    """Load the modules that register jobs (and what they import), before any fork."""
    import graph.sparql  # noqa: F401
    import graph.validate  # noqa: F401


# --- the caller's side ----------------------------------------------------------------


class _Worker:
    __slots__ = ("pid", "sock", "jobs")

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid, self.sock, self.jobs = pid, sock, 0

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.sock.close()


class WorkerPool:
    """The host of one graph and the idle workers it has forked (thread-safe)."""

    def __init__(self, kg: KnowledgeGraph, mode: str | None = None, size: int | None = None) -> None:
        _import_jobs()
        mode = mode or host_mode()
        if mode == "auto":
            mode = "fork" if threading.active_count() == 1 else "spawn"
        self.mode = mode
        self.size = size or max_workers()
        self.ctrl, self.host_pid, self._proc = (_fork_host if mode == "fork" else _spawn_host)(kg)
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self.started = 0
        self.lock = threading.Lock()
        self.ctrl_lock = threading.Lock()
        self.closed = False
        self.owner = os.getpid()

    # workers

    def _new_worker(self) -> _Worker:
        with self.ctrl_lock:
            if self.closed:
                raise QueryError("the query host is closed")
            try:
                self.ctrl.sendall(b"F")
                msg, fds, _flags, _addr = socket.recv_fds(self.ctrl, 4, 1)
            except OSError as err:
                raise QueryError(f"the query host is gone ({err})") from err
            if len(msg) != 4 or len(fds) != 1:
                raise QueryError("the query host is gone (it stopped answering)")
            (pid,) = struct.unpack(">i", msg)
            return _Worker(pid, socket.socket(fileno=fds[0]))

    def _take(self) -> _Worker:
        with self.lock:
            try:
                return self.idle.get_nowait()
            except queue.Empty:
                if self.started < self.size:
                    self.started += 1
                    grow = True
                else:
                    grow = False
        if grow:
            try:
                return self._new_worker()
            except BaseException:
                self._lost()
                raise
        return self.idle.get()

    def _lost(self) -> None:
        with self.lock:
            self.started -= 1
        # a caller waiting in _take() for an idle worker must not wait forever
        if self.idle.empty():
            try:
                worker = self._new_worker()
            except QueryError:
                return
            with self.lock:
                self.started += 1
            self.idle.put(worker)

    def _give_back(self, worker: _Worker) -> None:
        if worker.jobs >= JOBS_PER_WORKER:
            worker.kill()
            self._lost()
        else:
            self.idle.put(worker)

    # jobs

    def run(
        self, name: str, args: tuple[Any, ...], limits: QueryLimits, what: str = "query", *, retire: bool = False
    ) -> bytes:
        """Run job ``name`` with ``args`` in a worker under ``limits``; its bytes, or raise.

        ``retire``: the worker is not reused after this job (one that changed its own
        process, such as lowering its priority).
        """
        cap = limits.byte_cap()
        timeout = limits.timeout_s if limits.timeout_s and limits.timeout_s > 0 else None
        request = pickle.dumps((name, args, limits.memory_mb, cap, what))
        worker = self._take()
        worker.jobs += 1
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            _send(worker.sock, request)
            data = _recv(worker.sock, deadline, None if cap is None else cap + 1 + 4096)
        except TimeoutError:
            worker.kill()
            self._lost()
            raise QueryTimeout(
                f"the {what} was stopped after {timeout:g} s (the time limit); "
                "narrow it down (add LIMIT, more specific patterns) or raise the limit "
                f"({_limits.ENV_TIMEOUT})"
            ) from None
        except _Oversized as big:
            worker.kill()
            self._lost()
            raise _limits._too_large(big.size, cap or 0, what) from None
        except BaseException:
            worker.kill()
            self._lost()
            raise
        if data is None:
            worker.kill()
            self._lost()
            hint = " (probably out of memory: the cap is " + (
                f"{limits.memory_mb} MB, {_limits.ENV_MEMORY_MB})" if limits.memory_mb else "off)"
            )
            raise QueryError(f"the {what} worker died{hint}")
        if retire:
            worker.jobs = JOBS_PER_WORKER
        self._give_back(worker)
        answer = _limits.decode_answer(data)
        if answer is None:
            raise QueryError(f"the {what} worker sent an answer that cannot be read")
        return answer

    def close(self) -> None:
        with self.ctrl_lock:
            if self.closed:
                return
            self.closed = True
        while True:
            try:
                self.idle.get_nowait().kill()
            except queue.Empty:
                break
        with contextlib.suppress(OSError):
            self.ctrl.close()  # the host sees EOF, kills its workers and exits
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        elif os.getpid() == self.owner:
            _wait_for(self.host_pid, 5.0)


def _wait_for(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.01)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


_POOLS_LOCK = threading.Lock()
#: id(graph) -> (weak reference to the graph, its pool). Not in the graph's own fields:
#: a graph made from another (an import merged in) copies those, and must not inherit a
#: host that holds the other graph.
_POOLS: dict[int, tuple[weakref.ref[Any], WorkerPool]] = {}


def _current(kg: KnowledgeGraph) -> WorkerPool | None:
    entry = _POOLS.get(id(kg))
    if entry is None or entry[0]() is not kg:
        return None
    pool = entry[1]
    if pool.owner != os.getpid() or pool.closed:
        return None
    return pool


def attach(kg: KnowledgeGraph, pool: WorkerPool | None) -> None:
    """Make ``pool`` the one ``kg``'s isolated jobs run in (``None``: forget it; the next job
    makes a new one). The pool is closed when ``kg`` is collected."""
    with _POOLS_LOCK:
        if pool is None:
            _POOLS.pop(id(kg), None)
            return
        key = id(kg)
        _POOLS[key] = (weakref.ref(kg), pool)

        def forget(key: int = key, pool: WorkerPool = pool) -> None:
            entry = _POOLS.get(key)
            if entry is not None and entry[1] is pool:
                del _POOLS[key]
            pool.close()

        weakref.finalize(kg, forget)


def pool_for(kg: KnowledgeGraph) -> WorkerPool:
    """The worker pool of ``kg``, made on first use and closed when ``kg`` is collected."""
    pool = _current(kg)
    if pool is not None:
        return pool
    with _POOLS_LOCK:
        pool = _current(kg)
        if pool is not None:
            return pool
    pool = WorkerPool(kg)
    with _POOLS_LOCK:
        existing = _current(kg)
    if existing is not None:  # another thread made one meanwhile
        pool.close()
        return existing
    attach(kg, pool)
    return pool


def prepare(kg: KnowledgeGraph) -> None:
    """Start ``kg``'s host now, while the caller still has one thread (the endpoint calls
    this before it serves, so its host is forked and shares the store)."""
    if kg.ox is not None or kg.backend == "memory":
        if _limits.can_isolate():
            pool_for(kg)


def run_job(
    kg: KnowledgeGraph,
    name: str,
    args: tuple[Any, ...],
    limits: QueryLimits,
    what: str = "query",
    *,
    retire: bool = False,
) -> bytes:
    """Run a registered job under ``limits``: in a warm worker where it must be isolated
    (and the platform forks), else in this process (the row and byte caps still hold)."""
    if not (limits.isolate and _limits.can_isolate()):
        return _limits._checked(JOBS[name](kg, *args), limits.byte_cap(), what)
    return pool_for(kg).run(name, args, limits, what, retire=retire)


if __name__ == "__main__":  # pragma: no cover
    # run as the module proper, so jobs register where workers look them up
    from graph import workers as _module

    _module._spawned_main(sys.argv[1:])
