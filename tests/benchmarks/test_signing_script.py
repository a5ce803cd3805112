"""benchmarks/signing.py as users run it: a short run checks the report and the backends' order."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.imports import ROOT

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "benchmarks" / "signing.py"


def test_the_json_reports_both_backends_against_the_raw_signature() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "0.2", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    rows = {row["backend"]: row for row in report["backends"]}
    assert set(rows) == {"coincurve", "native"}
    assert rows["coincurve"]["eth_keys_backend"] == "CoinCurveECCBackend"
    assert rows["native"]["eth_keys_backend"] == "NativeECCBackend"
    for row in rows.values():
        assert 0 < row["raw_coincurve_sign_ms"] < row["sign_ms"] < row["checked_ms"]
        assert row["checked_x_raw"] == pytest.approx(
            row["checked_ms"] / row["raw_coincurve_sign_ms"]
        )
    # libsecp256k1 beats pure Python by several times; a loaded machine still keeps the order.
    assert rows["native"]["checked_ms"] > rows["coincurve"]["checked_ms"]
    assert report["native_over_coincurve_checked"] > 1


def test_seconds_out_of_range_are_refused() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--seconds" in done.stderr
