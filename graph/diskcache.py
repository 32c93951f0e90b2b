"""Derived data kept on disk between runs: the projected network and its layout.

Restarting the explorer on the same files should not project and lay out the network
again: at 1M triples that is about 7 s of work, read back from disk in under 1 s. An entry
is keyed by everything it was derived from:

- each loaded file's resolved path, size and modification time *when it was loaded*;
- the store (``oxigraph``, ``memory``);
- this package's code, saved queries and the ontology's rules;
- the versions of the libraries that compute it (networkx, igraph, rdflib, pyoxigraph).

A graph behind a SPARQL endpoint, or one with nothing loaded from files, is never cached:
its content can change without any of the above changing. Callers cache only graphs they
never modify after loading (the explorer's base graph; an upload makes a new graph).

Where: ``$ALLIANCE_GRAPH_CACHE``, else ``$XDG_CACHE_HOME/alliance-graph``, else
``~/.cache/alliance-graph``. ``ALLIANCE_GRAPH_CACHE=off`` turns it off. Entries are pickles,
written by this user (mode 0600, in a folder this user owns) and read back only from such a
folder; at most :data:`MAX_ENTRIES` are kept, the least recently used go first. A damaged or
unreadable entry is recomputed, never an error: the cache only saves time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from graph.store import KnowledgeGraph

T = TypeVar("T")

ENV = "ALLIANCE_GRAPH_CACHE"
MAX_ENTRIES = 12
_SUFFIX = ".pickle"
_LIBRARIES = ("networkx", "igraph", "rdflib", "pyoxigraph", "numpy")


def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when caching is off."""
    from graph.settings import env_text

    configured = env_text(ENV, "") or ""
    if configured.lower() in {"off", "0", "no", "false"}:
        return None
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "alliance-graph"


def file_stamp(path: str | os.PathLike[str]) -> tuple[str, int, int]:
    """What identifies a file's content cheaply: resolved path, size, modification time."""
    p = Path(path).resolve()
    st = p.stat()
    return (str(p), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The package's code and the inputs it derives from besides the data: a change to
    any of them makes old entries unreachable."""
    from graph import __version__, paths

    h = hashlib.sha256(__version__.encode())
    sources = sorted(paths.PACKAGE_DIR.glob("*.py")) + sorted(paths.queries_dir().glob("*.rq"))
    for p in [*sources, *paths.rule_files()]:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    for name in _LIBRARIES:
        h.update(f"{name}={_version(name)}".encode())
    return h.hexdigest()


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def entry_key(kg: KnowledgeGraph, what: str) -> str | None:
    """The name of ``what`` derived from ``kg``, or ``None`` if it must not be cached."""
    if kg.endpoint is not None or kg.backend == "remote" or not kg.file_stamps:
        return None
    h = hashlib.sha256(_code_digest().encode())
    h.update(f"{what}|{kg.backend}|{sorted(kg.options.items())!r}".encode())
    for stamp in kg.file_stamps:
        h.update(repr(stamp).encode())
    return f"{what}-{h.hexdigest()[:32]}"


def _ours(st: os.stat_result) -> bool:
    """Owned by this user (where the platform has owners)."""
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _private_dir(d: Path) -> bool:
    """Ours alone: a real folder (not a link) owned by this user, writable by no one else."""
    try:
        st = os.lstat(d)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _ours(st) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> Any:
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode) or not _ours(st):
        raise OSError(f"{path} is not a file of ours")
    with path.open("rb") as f:
        value = pickle.load(f)  # noqa: S301 - written by this user into a folder only they can write
    os.utime(path)  # most recently used
    return value


def _write(d: Path, name: str, value: Any) -> None:
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private_dir(d):
        return
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / (name + _SUFFIX))  # atomic: readers see all of it or nothing
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _prune(d)


def _prune(d: Path) -> None:
    entries = sorted(d.glob("*" + _SUFFIX), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        old.unlink(missing_ok=True)


def cached(kg: KnowledgeGraph, what: str, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned on an earlier run for the same graph and code."""
    d = cache_dir()
    name = None if d is None else entry_key(kg, what)  # off: not even the code digest
    if d is None or name is None:
        return compute()
    path = d / (name + _SUFFIX)
    if _private_dir(d) and path.exists():
        try:
            return _read(path)
        except Exception:  # noqa: BLE001 - damaged or foreign: recompute and replace it
            path.unlink(missing_ok=True)
    value = compute()
    try:
        _write(d, name, value)
    except (OSError, pickle.PicklingError):
        pass  # a read-only or full disk: the value is still right, only not kept
    return value
