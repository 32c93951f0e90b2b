"""Untrusted files: special files refused by type, XML entities refused, every CSV error
named by file and row, a byte-order mark accepted, control characters escaped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import DataLoadError, escape_controls
from graph.importer import check_import, import_files, parse_rdf_upload
from graph.store import open_graph

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "graph.cli"]

LAUGHS = (
    '<?xml version="1.0"?>\n'
    "<!DOCTYPE rdf:RDF [\n"
    ' <!ENTITY a "aaaaaaaaaa">\n'
    ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
    ' <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n'
    ' <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">\n'
    ' <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">\n'
    ' <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">\n'
    ' <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">\n'
    ' <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">\n'
    "]>\n"
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/">\n'
    '<rdf:Description rdf:about="http://ex/a"><ex:p>&h;&h;&h;&h;&h;&h;&h;&h;</ex:p></rdf:Description>\n'
    "</rdf:RDF>\n"
)


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


# --- RDF/XML entities -------------------------------------------------------------------


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_billion_laughs_is_refused_by_the_loader_naming_file_and_line(store: str, tmp_path: Path) -> None:
    f = tmp_path / "laughs.rdf"
    f.write_text(LAUGHS)
    with pytest.raises(DataLoadError) as info:
        open_graph(store, [f], include_default=False)
    assert info.value.file == str(f)
    assert info.value.line == 3
    assert "entity" in info.value.reason.lower()


def test_billion_laughs_is_refused_in_an_upload() -> None:
    with pytest.raises(DataLoadError) as info:
        parse_rdf_upload("laughs.rdf", LAUGHS.encode())
    assert info.value.line == 3
    result = check_import([("laughs.rdf", LAUGHS.encode())])
    assert not result.ok
    assert "laughs.rdf, line 3" in str(result.errors[0])


def test_billion_laughs_through_the_cli_exits_2_quickly(tmp_path: Path) -> None:
    f = tmp_path / "laughs.rdf"
    f.write_text(LAUGHS)
    t = time.monotonic()
    proc = _cli("import", str(f), timeout=60)
    assert time.monotonic() - t < 60
    assert proc.returncode in (1, 2), proc.stderr
    assert "laughs.rdf" in proc.stderr and "line 3" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_rdfxml_without_entities_still_loads(tmp_path: Path) -> None:
    f = tmp_path / "ok.rdf"
    f.write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://ex/">\n<rdf:Description rdf:about="http://ex/a"><ex:p>x</ex:p></rdf:Description>\n</rdf:RDF>\n'
    )
    kg = open_graph("oxigraph", [f], include_default=False)
    assert len(kg.ox) == 1  # type: ignore[arg-type]


# --- special files ----------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for args in (["import", str(fifo)], ["stats", "--data", str(tmp_path / "pipe.ttl")], ["query", "--file", str(tmp_path / "pipe.rq")]):
        for other in ("pipe.ttl", "pipe.rq"):
            if not (tmp_path / other).exists():
                os.mkfifo(tmp_path / other)
        proc = _cli(*args, timeout=60)  # a read would block forever: the timeout fails the test
        assert proc.returncode == 2, (args, proc.stderr)
        assert "named pipe" in proc.stderr and "pipe." in proc.stderr, proc.stderr


def test_devices_and_folders_are_refused_by_type(tmp_path: Path) -> None:
    with pytest.raises(DataLoadError, match="character device"):
        import_files(["/dev/zero"])
    with pytest.raises(DataLoadError, match="character device"):
        open_graph("oxigraph", ["/dev/null"], include_default=False)
    with pytest.raises(DataLoadError, match="folder"):
        import_files([tmp_path])


# --- CSV --------------------------------------------------------------------------------


def test_a_bare_carriage_return_names_file_and_row() -> None:
    data = b"ID,Label,Type\nA,Alpha,State\nB,Be\rta,State\n"
    result = check_import([("e.csv", data)])
    assert not result.ok
    msg = str(result.errors[0])
    assert msg.startswith("e.csv") and "row 3" in msg, msg


def test_a_huge_field_names_file_and_row() -> None:
    data = b"ID,Label,Type\nA,Alpha,State\nB," + b'"' + b"x" * 200_000 + b'",State\n'
    result = check_import([("e.csv", data)])
    assert not result.ok
    assert "row 3" in str(result.errors[0]) and "field larger" in str(result.errors[0])


def test_unknown_columns_are_reported_with_the_expected_ones() -> None:
    data = b"ID,Label,Type,Descripton\nA,Alpha,State,lost text\n"
    result = check_import([("e.csv", data)])
    assert not result.ok
    msg = str(result.errors[0])
    assert "'descripton'" in msg and "description" in msg and "row 1" in msg, msg


def test_a_bom_is_accepted_in_turtle(tmp_path: Path) -> None:
    ttl = b"\xef\xbb\xbf@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\n"
    assert len(parse_rdf_upload("bom.ttl", ttl)) == 1
    f = tmp_path / "bom.ttl"
    f.write_bytes(ttl)
    for store in ("oxigraph", "memory"):
        kg = open_graph(store, [f], include_default=False)
        assert len(kg.dataset) == 1 or (kg.ox is not None and len(kg.ox) == 1)


def test_control_characters_are_escaped_in_messages(tmp_path: Path) -> None:
    assert escape_controls("a\x00b\x1bc\ufeff") == "a\\x00b\\x1bc\\ufeff"
    result = check_import([("e.csv", b"ID,Label,Type\nA\x00B,Alpha,State\n")])
    text = "\n".join(str(i) for i in result.issues)
    assert "\x00" not in text
    f = tmp_path / "nul.ttl"
    f.write_bytes(b"@prefix ex: <http://ex/> .\nex:a ex:b \x00 .\n")
    with pytest.raises(DataLoadError) as info:
        open_graph("oxigraph", [f], include_default=False)
    assert "\x00" not in str(info.value)


def test_jsonld_upload_error_has_a_line() -> None:
    with pytest.raises(DataLoadError) as info:
        parse_rdf_upload("bad.jsonld", b'{\n  "@id": "http://ex/a",\n  "http://ex/b": [\n}\n')
    assert info.value.line == 4


def test_import_time_is_proportional_to_size() -> None:
    def run(n: int) -> float:
        rows = ["ID,Label,Type"] + [f"E{i},Entity {i},Initiative" for i in range(n)]
        kg = open_graph("oxigraph")
        t = time.perf_counter()
        result = check_import([("e.csv", ("\n".join(rows) + "\n").encode())], kg)
        assert result.ok, result.errors[:3]
        return time.perf_counter() - t

    small, large = run(500), run(2000)
    assert large < small * 4 * 2.5 + 1, (small, large)  # 4x the rows, not 16x the time


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_the_csv_importer_gives_issues_never_a_crash(tail: bytes) -> None:
    result = check_import([("e.csv", b"ID,Label,Type\n" + tail)])
    for issue in result.issues:
        assert issue.file == "e.csv"
        assert not any(ord(c) < 32 and c not in "\t\n" for c in str(issue))


def test_a_remote_endpoint_answering_with_entities_is_refused() -> None:
    import http.server
    import threading

    from graph.errors import QueryError
    from graph.sparql import run_query

    body = LAUGHS.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/rdf+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        kg = open_graph(f"http://127.0.0.1:{server.server_address[1]}/sparql")
        with pytest.raises(QueryError, match="entity"):
            run_query(kg, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    finally:
        server.shutdown()
        server.server_close()
