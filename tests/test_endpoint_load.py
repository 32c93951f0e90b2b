"""A bounded load test of the real endpoint: concurrent clients, mixed and hostile queries.

The long run (32 clients, 60 s) is `python bench/load_test.py`; this one is short and
stops by itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.server
def test_endpoint_under_bounded_load(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load_test.py"), "--clients", "8", "--duration", "8",
         "--timeout", "5", "--json", str(out)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    report = json.loads(out.read_text())
    assert report["requests"] > 20, proc.stdout + proc.stderr
    assert report["failed_well_formed"] == 0, report["failure_examples"]
    assert report["hostile_refused_or_stopped"], proc.stdout
    assert report["time_limit_held"], report["runaway_max_run_s"]
    assert report["memory_growth_mb_second_half"] < 100
    assert proc.returncode == 0, proc.stdout + proc.stderr
