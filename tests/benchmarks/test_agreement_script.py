"""benchmarks/agreement.py as users run it: a short run prints the table with no disagreement."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.imports import ROOT
from tests.liboqs_js import liboqs_js_unavailable

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "benchmarks" / "agreement.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_json_report_counts_every_check_with_no_disagreement() -> None:
    reason = liboqs_js_unavailable()
    if reason:
        pytest.skip(reason)
    done = _run("--signatures", "8", "--kem-rounds", "2", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["liboqs_js"] == "0.15.1"
    assert report["disagreements"] == 0
    rows = {row["check"]: row for row in report["rows"]}
    assert rows["ML-DSA vectors (pure, empty context)"]["answered"] == {
        name: rows["ML-DSA vectors (pure, empty context)"]["cases"]
        for name in ["liboqs", *report["backends"]]
    }
    for algorithm in ("ML-DSA-44", "ML-DSA-65", "ML-DSA-87"):
        assert rows[f"{algorithm} random signatures and 1-bit mutants"]["cases"] == 4 * 8
    assert rows["envelope: liboqs encapsulates, project opens"]["cases"] == 2
    assert report["cases"] == sum(row["cases"] for row in report["rows"])
    assert "ML-DSA contexts" in report["cannot_check"]


def test_sizes_out_of_range_are_refused() -> None:
    done = _run("--signatures", "0")
    assert done.returncode == 2
    assert "--signatures" in done.stderr
