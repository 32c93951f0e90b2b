"""The command-line contract: every subcommand exists with --help, global options, exit codes."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from graph.cli import COMMANDS, main

DATA = Path(__file__).parent / "data"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graph", *args], capture_output=True, text=True, timeout=120
    )


def test_help_lists_every_subcommand() -> None:
    out = run_cli("--help")
    assert out.returncode == 0
    for name in ("validate", "query", "stats", "export", "analyze", "serve", "import", "explore"):
        assert name in out.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_subcommand_has_help_and_global_options(name: str, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "--store" in text and "--data" in text


def test_count_query_prints_csv() -> None:
    out = run_cli("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["n"]
    assert int(rows[1][0]) > 100


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "alliance-graph"
    assert exe.exists()
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "alliance-graph" in out.stdout


def test_query_syntax_error_exits_2_with_line_and_column(capsys) -> None:
    code = main(["query", "SELECT * WHERE {\n  ?s ?p }"])
    assert code == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "column" in err


def test_query_with_extra_data_and_memory_store(capsys) -> None:
    code = main(
        ["query", "SELECT ?l WHERE { agr:FIN rdfs:label ?l }", "--format", "csv",
         "--store", "memory", "--data", str(DATA / "mini.ttl")]
    )  # fmt: skip
    assert code == 0
    assert "Finland" in capsys.readouterr().out


def test_validate_exits_0_on_shipped_data(capsys) -> None:
    assert main(["validate"]) == 0
    assert "conforms" in capsys.readouterr().out


def test_validate_exits_1_with_a_readable_report(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "nosource.ttl"
    bad.write_text(
        "@prefix ag: <https://w3id.org/alliance-graph/ontology#> .\n"
        "@prefix agr: <https://w3id.org/alliance-graph/id/> .\n"
        "agr:st-test-nosource a ag:Membership ; ag:subject agr:CAN ; ag:object agr:NATO ;\n"
        "  ag:relation ag:memberOf .\n",
        encoding="utf-8",
    )
    assert main(["validate", "--data", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "does not conform" in out and "agr:st-test-nosource" in out


def test_validate_exits_2_naming_file_line_and_column(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("<http://a> <http://b> \n", encoding="utf-8")
    assert main(["validate", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken.ttl, line" in err and "column" in err


def test_stats_prints_counts_and_grades(capsys) -> None:
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "by class" in out and "by relationship" in out and "credibility" in out
    assert "ag:State" in out


@pytest.mark.parametrize("fmt", ["ttl", "nt", "trig", "jsonld"])
def test_export_rdf_round_trips(fmt: str, tmp_path: Path) -> None:
    from rdflib import Dataset

    out = tmp_path / f"all.{fmt}"
    assert main(["export", "--format", fmt, "-o", str(out)]) == 0
    ds = Dataset()
    ds.parse(out, format={"ttl": "turtle", "nt": "nt", "trig": "trig", "jsonld": "json-ld"}[fmt])
    assert len(ds) > 100
