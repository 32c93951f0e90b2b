"""The long fuzz run: the property-based tests of tests/test_fuzz.py with many more cases.

    python bench/fuzz.py [--examples 2000]

Prints the number of cases tried per property and any failure (a crash or a changed graph).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=2000)
    args = ap.parse_args()
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_fuzz.py"),
         "--hypothesis-show-statistics"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    cases = [int(n) for n in re.findall(r"(\d+) passing(?: examples)?,", proc.stdout)]
    crashes = sum(int(n) for n in re.findall(r"(\d+) failing", proc.stdout))
    print(proc.stdout[-3000:])
    properties = len(re.findall(r"(?m)^tests/test_fuzz.py::\w+:", proc.stdout))
    print(f"properties: {properties}  cases run: {sum(cases)}  failing: {crashes}  time: {elapsed:.0f} s  exit: {proc.returncode}")
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
