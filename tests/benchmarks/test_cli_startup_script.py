"""benchmarks/cli_startup.py as users run it: one run per command is enough to check the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.imports import ROOT

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "benchmarks" / "cli_startup.py"
ROW_FIELDS = {
    "command",
    "median_s",
    "p90_s",
    "median_x_limit",
    "p90_x_limit",
    "median_x_interpreter",
    "p90_x_interpreter",
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_json_has_the_limit_the_interpreter_and_one_row_per_command(tmp_path: Path) -> None:
    out = tmp_path / "startup.json"
    done = _run("--json", "--runs", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    assert json.loads(out.read_text()) == report
    assert report["benchmark"] == "cli_startup"
    assert report["runs"] == 1
    assert report["limit_s"] == 0.3
    interpreter = report["interpreter"]
    assert interpreter["command"] == "python -c pass"
    assert 0 < interpreter["median_s"] <= interpreter["p90_s"]
    commands = [row["command"] for row in report["rows"]]
    assert commands[0] == "--help"
    assert {"keygen", "sign", "verify", "maml lint", "maml digest", "envelope keygen"} <= set(
        commands
    )
    for row in report["rows"]:
        assert set(row) == ROW_FIELDS
        # One run: the median is the p90 is the only sample.
        assert row["median_s"] == row["p90_s"] > 0
        assert row["p90_x_limit"] == pytest.approx(row["p90_s"] / 0.3, abs=0.01)
        assert row["median_x_interpreter"] == pytest.approx(
            row["median_s"] / interpreter["median_s"], rel=0.01
        )
    assert report["within_limit"] == all(row["p90_s"] <= 0.3 for row in report["rows"])


def test_fewer_than_one_run_is_refused() -> None:
    done = _run("--runs", "0")
    assert done.returncode == 2
    assert "--runs must be at least 1" in done.stderr
