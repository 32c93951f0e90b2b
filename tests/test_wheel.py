"""`pip install .` must give a working program: ontology, shapes, queries, data and app in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )  # fmt: skip
    (whl,) = out.glob("alliance_graph-*.whl")
    return whl


def test_wheel_carries_resources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "graph/ontology/alliance.ttl",
        "graph/ontology/shapes.ttl",
        "graph/queries/edges.rq",
        "graph/app/app.py",
        "graph/app/app_pages/explore.py",
        "graph/app/.streamlit/config.toml",
        "graph/py.typed",
    ):
        assert required in names, f"{required} missing from the wheel"
    assert any(n.startswith("graph/data/") and n.endswith(".ttl") for n in names)
    assert any(n.startswith("graph/ontology/rules/") for n in names)
    # the benchmark harness and the synthetic generator stay in the checkout (bench/)
    assert not any(n.startswith("bench/") or n in {"graph/bench.py", "graph/synthetic.py"} for n in names)
    source_data = {p.name for p in (ROOT / "graph" / "data").glob("*.ttl")}
    wheel_data = {Path(n).name for n in names if n.startswith("graph/data/")}
    assert source_data <= wheel_data


def test_installed_wheel_answers_queries_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import graph.paths as p, sys; "
        "assert str(p.ontology_dir()).startswith(sys.argv[1]), p.ontology_dir(); "
        "from graph.cli import main; raise SystemExit(main(['query', "
        "'SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/alliance-graph/ontology#State> }', "
        "'--format', 'csv']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    header, value = out.stdout.split()
    assert header == "n" and int(value) >= 32
