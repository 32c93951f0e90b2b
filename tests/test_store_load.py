"""The store and load seams: registry by name, loading files, clear errors, nothing half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph import paths
from graph.errors import ConfigError, DataLoadError
from graph.load import default_files, parse_file
from graph.sparql import run_query
from graph.store import open_graph, store_names

DATA = Path(__file__).parent / "data"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(kg) -> int:
    return int(run_query(kg, COUNT).rows[0][0])


def test_registry_names_the_embedded_stores() -> None:
    assert {"oxigraph", "memory"} <= set(store_names())


def test_unknown_store_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown store 'nosuch'.*oxigraph"):
        open_graph("nosuch")


def test_both_stores_load_the_same_triples() -> None:
    graphs = {s: open_graph(s, [DATA / "mini.ttl"], include_default=False) for s in ("oxigraph", "memory")}
    assert {s: kg.backend for s, kg in graphs.items()} == {"oxigraph": "oxigraph", "memory": "memory"}
    counts = {s: count(kg) for s, kg in graphs.items()}
    # 23 triples in the file, plus what the rules derive from them, the same on both stores
    assert counts["oxigraph"] == counts["memory"] > 23
    assert graphs["oxigraph"].count_triples() == counts["oxigraph"]


def test_shipped_files_exist_and_ship_with_the_package() -> None:
    files = default_files()
    assert files[0] == paths.ontology_file()
    assert all(f.exists() for f in files)
    assert len(files) > 1, "the shipped data files are missing"


def test_default_graph_knows_canada_nato_and_diana(kg) -> None:
    ask = """ASK { agr:CAN rdfs:label "Canada" . agr:NATO a ?t . agr:DIANA a ?u .
                   ?st ag:subject agr:CAN ; ag:object agr:NATO ; prov:wasDerivedFrom ?src . }"""
    assert run_query(kg, ask).boolean is True


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n', encoding="utf-8")
    with pytest.raises(DataLoadError) as info:
        parse_file(bad)
    err = info.value
    assert err.file == str(bad) and err.line == 3 and err.column is not None
    assert f"{bad}, line 3" in str(err)


def test_missing_and_unknown_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataLoadError, match="nope.ttl: file not found"):
        parse_file(tmp_path / "nope.ttl")
    odd = tmp_path / "data.docx"
    odd.write_bytes(b"PK\x03\x04")
    with pytest.raises(DataLoadError, match="unknown file type '.docx'"):
        parse_file(odd)


def test_a_bad_file_among_good_ones_loads_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://a> <http://b> .\n", encoding="utf-8")
    with pytest.raises(DataLoadError, match="bad.nt, line 1"):
        open_graph("oxigraph", [DATA / "mini.ttl", bad], include_default=False)


def test_rules_derive_direct_triples(kg) -> None:
    """Short SPARQL works: the dated membership statement yields agr:CAN ag:memberOf agr:NATO."""
    assert run_query(kg, "ASK { agr:CAN ag:memberOf agr:NATO }").boolean is True


# --- opening ahead (the explorer loads while its server starts) --------------------------


def test_a_graph_opened_ahead_is_handed_over_once(tmp_path: Path) -> None:
    import threading

    from graph.store import open_ahead, take_opened_ahead

    files = (str(DATA / "mini.ttl"),)
    args = (None, files, False)
    loader = threading.Thread(target=open_ahead, args=args)
    loader.start()
    kg = take_opened_ahead(*args)  # waits for the loader if it is still at work
    loader.join()
    assert kg is not None
    assert kg.files == [files[0]] and kg.file_stamps
    assert count(kg) == count(open_graph(None, files, include_default=False))
    assert take_opened_ahead(*args) is None, "handed over once; later callers open their own"
    assert take_opened_ahead(None, files, True) is None, "other arguments, other graph"


def test_a_failed_load_ahead_leaves_the_error_to_the_caller(tmp_path: Path) -> None:
    from graph.store import open_ahead, take_opened_ahead

    bad = tmp_path / "broken.ttl"
    bad.write_text("<a> <b> .\n", encoding="utf-8")
    open_ahead(None, (str(bad),), False)  # no exception escapes the loading thread
    assert take_opened_ahead(None, (str(bad),), False) is None
    with pytest.raises(DataLoadError, match="broken.ttl"):
        open_graph(None, [bad], include_default=False)
