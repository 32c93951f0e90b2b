"""Derived data kept on disk between runs (graph.diskcache): reused only for the same files,
store and code; damaged entries recomputed; never for endpoints; bounded; private."""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

import networkx as nx
import pytest

from graph import diskcache
from graph.network import project
from graph.store import open_graph

DATA = Path(__file__).resolve().parent / "data" / "mini.ttl"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv(diskcache.ENV, str(d))
    return d


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    p = tmp_path / "mine.ttl"
    shutil.copy(DATA, p)
    return p


class Counter:
    def __init__(self, value: object) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def entries(d: Path) -> list[Path]:
    return sorted(d.glob("*.pickle")) if d.exists() else []


def test_a_restart_on_the_same_files_reads_the_network_back(cache: Path, data_file: Path) -> None:
    kg = open_graph(None, [data_file], include_default=False)
    first = diskcache.cached(kg, "network", lambda: project(kg))
    assert [p.name.split("-")[0] for p in entries(cache)] == ["network"]

    again = open_graph(None, [data_file], include_default=False)  # a new process would do this
    compute = Counter(None)
    second = diskcache.cached(again, "network", compute)
    assert compute.calls == 0, "read from disk, not computed again"
    assert isinstance(second, nx.MultiDiGraph)
    assert sorted(second.nodes) == sorted(first.nodes)
    assert sorted(second.edges(keys=True)) == sorted(first.edges(keys=True))
    assert dict(second.nodes(data=True)) == dict(first.nodes(data=True))


def test_an_entry_is_private_to_the_user(cache: Path, data_file: Path) -> None:
    kg = open_graph(None, [data_file], include_default=False)
    diskcache.cached(kg, "network", lambda: project(kg))
    (entry,) = entries(cache)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert not stat.S_IMODE(cache.stat().st_mode) & 0o077


def test_a_changed_file_is_not_served_the_old_network(cache: Path, data_file: Path) -> None:
    kg = open_graph(None, [data_file], include_default=False)
    old = diskcache.cached(kg, "network", lambda: project(kg))
    can = next(n for n, d in old.nodes(data=True) if d.get("label") == "Canada")
    data_file.write_text(data_file.read_text(encoding="utf-8").replace('"Canada"', '"Kanada"'), encoding="utf-8")
    changed = open_graph(None, [data_file], include_default=False)
    new = diskcache.cached(changed, "network", lambda: project(changed))
    assert new.nodes[can]["label"] == "Kanada"
    assert len(entries(cache)) == 2


def test_the_store_and_the_kind_of_data_are_part_of_the_key(cache: Path, data_file: Path) -> None:
    ox_kg = open_graph(None, [data_file], include_default=False)
    mem_kg = open_graph("memory", [data_file], include_default=False)
    assert diskcache.entry_key(ox_kg, "network") != diskcache.entry_key(mem_kg, "network")
    assert diskcache.entry_key(ox_kg, "network") != diskcache.entry_key(ox_kg, "layout")
    with_default = open_graph(None, [data_file])
    assert diskcache.entry_key(with_default, "network") != diskcache.entry_key(ox_kg, "network")


def test_graphs_not_from_files_are_never_cached(cache: Path) -> None:
    empty = open_graph(None, [], include_default=False)
    remote = open_graph("http://127.0.0.1:9/sparql")
    for kg in (empty, remote):
        assert diskcache.entry_key(kg, "network") is None
        compute = Counter(42)
        assert diskcache.cached(kg, "network", compute) == 42
        assert diskcache.cached(kg, "network", compute) == 42
        assert compute.calls == 2
    assert entries(cache) == []


def test_a_damaged_entry_is_recomputed_and_replaced(cache: Path, data_file: Path) -> None:
    kg = open_graph(None, [data_file], include_default=False)
    diskcache.cached(kg, "layout", lambda: {"a": (1.0, 2.0)})
    (entry,) = entries(cache)
    entry.write_bytes(b"not a pickle at all")
    compute = Counter({"a": (3.0, 4.0)})
    assert diskcache.cached(kg, "layout", compute) == {"a": (3.0, 4.0)}
    assert compute.calls == 1
    assert diskcache.cached(kg, "layout", Counter(None)) == {"a": (3.0, 4.0)}, "the new value was kept"


def test_a_folder_others_can_write_is_not_read(cache: Path, data_file: Path) -> None:
    kg = open_graph(None, [data_file], include_default=False)
    diskcache.cached(kg, "layout", lambda: "kept")
    os.chmod(cache, 0o777)  # anyone could have put a pickle there
    compute = Counter("fresh")
    assert diskcache.cached(kg, "layout", compute) == "fresh"
    assert compute.calls == 1


def test_off_keeps_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_file: Path) -> None:
    monkeypatch.setenv(diskcache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    kg = open_graph(None, [data_file], include_default=False)
    compute = Counter(1)
    diskcache.cached(kg, "network", compute)
    diskcache.cached(kg, "network", compute)
    assert compute.calls == 2
    assert not (tmp_path / "xdg").exists()


def test_the_cache_is_bounded_least_recently_used_first(
    cache: Path, data_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diskcache, "MAX_ENTRIES", 3)
    kg = open_graph(None, [data_file], include_default=False)
    for i in range(3):
        diskcache.cached(kg, f"thing{i}", lambda i=i: i)
        time.sleep(0.01)
    assert diskcache.cached(kg, "thing0", Counter(None)) == 0  # used again: now the newest
    time.sleep(0.01)
    diskcache.cached(kg, "thing3", lambda: 3)
    names = {p.name.split("-")[0] for p in entries(cache)}
    assert names == {"thing0", "thing2", "thing3"}


def test_an_unwritable_cache_still_gives_the_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_file: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(diskcache.ENV, str(blocker / "cache"))
    kg = open_graph(None, [data_file], include_default=False)
    assert diskcache.cached(kg, "network", lambda: "value") == "value"
