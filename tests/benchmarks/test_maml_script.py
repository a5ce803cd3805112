"""benchmarks/maml.py as users run it: a short run checks the report's rows and its ratios."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.imports import ROOT

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "benchmarks" / "maml.py"


def test_the_json_reports_each_path_of_both_sizes_against_the_raw_operation() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "0.1", "--rounds", "2", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["rounds"] == 2
    rows = {(row["document"], row["path"]): row for row in report["rows"]}
    for size, minimum in (("4 KiB", 4096), ("1 MiB", 1024 * 1024)):
        for path in (
            "raw ML-DSA-65 sign of the canonical bytes",
            "maml.sign (parse, canonicalise, sign, render)",
            "raw ML-DSA-65 verify of the canonical bytes",
            "maml.verify (parse, canonicalise, verify)",
            "maml.parse",
        ):
            row = rows[(size, path)]
            assert row["bytes"] >= minimum
            assert row["per_second"] > 0
            assert row["ratio"] > 0
        for baseline in ("sign", "verify"):
            raw = rows[(size, f"raw ML-DSA-65 {baseline} of the canonical bytes")]
            assert raw["ratio"] == 1.0


def test_rounds_out_of_range_are_refused() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rounds", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--rounds" in done.stderr
