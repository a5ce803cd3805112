"""benchmarks/e2e.py as users run it, small: a real Anvil, a real daemon process, a real load
generator process; every request reaches its verdict and every figure is reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chains import anvil_unavailable
from tests.imports import ROOT
from tests.postgres import unavailable_reason as postgres_unavailable

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_both_runs_report_every_figure_and_every_request_reaches_its_verdict(
    tmp_path: Path,
) -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "e2e.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "e2e.py"),
            "--requests",
            "12",
            "--flood-runs",
            "2",
            "--latency-requests",
            "6",
            "--ceiling-transfers",
            "50",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    flood, again, latency = report["runs"]
    assert (flood["mode"], again["mode"], latency["mode"]) == ("flood", "flood", "latency")
    assert (flood["verdicts"], again["verdicts"], latency["verdicts"]) == (12, 12, 6)
    summary = report["flood_summary"]
    ratios = [flood["verdicts_over_requests"], again["verdicts_over_requests"]]
    assert summary["runs"] == 2
    assert summary["verdicts_over_requests"] == ratios
    assert summary["verdicts_over_requests_median"] == pytest.approx(sum(ratios) / 2)
    assert summary["goals"] == {
        "verdicts_over_requests": 0.95,
        "verdicts_over_requests_median_met": summary["verdicts_over_requests_median"] >= 0.95,
    }
    assert "flood, 2 runs" in done.stdout
    assert flood["anvil_plain_tx_per_s"] > 0
    assert flood["requests_over_anvil_ceiling"] > 0
    assert 0 <= flood["tail_s"] < 60
    assert "after the last request was mined" in done.stdout
    for run in (flood, latency):
        assert run["requests_per_s"] > 0
        assert run["verdicts_per_s"] > 0
        assert 0 < run["latency_p50_s"] <= run["latency_p95_s"] <= run["latency_p99_s"]
        assert run["daemon_cpu_ms_per_verdict"] > 0
        assert run["anvil_cpu_ms_per_verdict"] > 0
        assert run["rpc_calls_per_verdict"] > 0
        assert 0 < run["rpc_http_requests_per_verdict"] <= run["rpc_calls_per_verdict"]
        assert "(http requests)" not in run["rpc_calls_by_method"]
        assert "eth_sendRawTransaction" in run["rpc_calls_by_method"]
        assert run["gas_per_verdict"] > 0
    assert set(flood["goals"]) == {
        "verdicts_over_requests",
        "verdicts_over_requests_met",
        "daemon_cpu_ms_per_verdict",
        "daemon_cpu_met",
    }
    assert latency["goals"]["latency_p95_s"] == 3.0
    assert "daemon CPU" in done.stdout
    assert (flood["replicas"], flood["store"]) == (1, "sqlite")


def test_replicas_share_one_postgresql_store_and_report_their_summed_cpu(tmp_path: Path) -> None:
    reason = anvil_unavailable() or postgres_unavailable()
    if reason:
        pytest.skip(reason)
    refused = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "e2e.py"), "--replicas", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "needs --postgres" in refused.stderr
    out = tmp_path / "e2e.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "e2e.py"),
            "--requests",
            "12",
            "--skip-latency",
            "--ceiling-transfers",
            "50",
            "--replicas",
            "2",
            "--postgres",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [flood] = json.loads(out.read_text())["runs"]
    assert (flood["replicas"], flood["store"], flood["verdicts"]) == (2, "postgresql", 12)
    assert flood["daemon_cpu_ms_per_verdict"] > 0
    assert "2 replica(s) on postgresql" in done.stdout
