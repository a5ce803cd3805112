"""benchmarks/api.py as users run it, with tiny durations: a real server, a real load process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.imports import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = ROOT / "benchmarks" / "api.py"
ROW_FIELDS = {
    "target",
    "requests",
    "per_second",
    "p50_ms",
    "p99_ms",
    "mean_ms",
    "client_cpu_share",
    "server_cpu_share",
    "per_server_cpu_second",
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("api") / "api.json"
    done = _run("--seconds", "0.4", "--connections", "4", "--workers", "2", "--json", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(out.read_text())
    return report, done.stdout


def test_the_json_has_the_generator_ceiling_healthz_and_verify_rows(
    run: tuple[dict[str, Any], str],
) -> None:
    report, _ = run
    assert report["benchmark"] == "api"
    assert report["server"]["command"] == "pqoracle serve --workers 2 --no-access-log"
    # uvicorn's supervisor and its two workers.
    assert report["server"]["processes"] == 3
    assert report["load"] == {"connections": 4, "seconds": 0.4, "warmup_s": 0.1}
    targets = [row["target"] for row in report["rows"]]
    assert targets == ["generator ceiling (canned replies)", "/healthz", "/v1/verify"]
    for row in report["rows"]:
        assert set(row) == ROW_FIELDS
        assert row["requests"] > 0
        assert row["per_second"] == pytest.approx(row["requests"] / 0.4, rel=0.01)
        assert 0 < row["p50_ms"] <= row["p99_ms"]
        assert row["client_cpu_share"] >= 0
    ceiling, healthz, verify = report["rows"]
    assert len(ceiling["server_cpu_share"]) == 1
    assert len(healthz["server_cpu_share"]) == len(verify["server_cpu_share"]) == 3


def test_the_ratio_and_the_goals_follow_from_the_figures(run: tuple[dict[str, Any], str]) -> None:
    report, _ = run
    verify = report["rows"][2]
    raw = report["raw_verify_per_second"]
    cores = report["machine"]["cores"]
    assert raw > 0
    assert report["verify_ratio"] == pytest.approx(verify["per_second"] / (cores * raw), abs=1e-4)
    per_cpu = report["raw_verify_per_cpu_second"]
    # CPU time never runs ahead of the wall clock on one thread.
    assert per_cpu >= raw * 0.99
    assert report["verify_ratio_per_cpu"] == pytest.approx(
        verify["per_server_cpu_second"] / per_cpu, abs=1e-3
    )
    goal = report["goal"]
    assert (goal["per_second"], goal["p99_ms"], goal["ratio"]) == (1500, 50.0, 0.5)
    assert goal["met"] == (verify["per_second"] >= 1500 and verify["p99_ms"] <= 50.0)
    assert goal["ratio_met"] == (report["verify_ratio"] >= 0.5)
    assert len(report["machine"]["loadavg_before"]) == 3


def test_envelope_rows_cover_both_sizes_and_operations(run: tuple[dict[str, Any], str]) -> None:
    report, _ = run
    cases = [(row["operation"], row["size"]) for row in report["envelope"]]
    assert cases == [
        ("encrypt (seal)", "1 KiB"),
        ("decrypt (open_envelope)", "1 KiB"),
        ("encrypt (seal)", "64 KiB"),
        ("decrypt (open_envelope)", "64 KiB"),
    ]
    for row in report["envelope"]:
        assert row["ops"] >= 5
        assert 0 < row["p50_ms"] <= row["p99_ms"]
    http = [(row["target"], row["size"]) for row in report["envelope_http"]]
    assert http == [
        ("/v1/envelope/encrypt 1 KiB", "1 KiB"),
        ("/v1/envelope/decrypt 1 KiB", "1 KiB"),
        ("/v1/envelope/encrypt 64 KiB", "64 KiB"),
        ("/v1/envelope/decrypt 64 KiB", "64 KiB"),
    ]
    for row in report["envelope_http"]:
        assert row["requests"] > 0
        assert 0 < row["p50_ms"] <= row["p99_ms"]


def test_the_table_is_printed_and_the_server_is_stopped(run: tuple[dict[str, Any], str]) -> None:
    report, printed = run
    assert "/v1/verify" in printed
    assert "raw cryptography ML-DSA-44 verify/s" in printed
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        assert sock.connect_ex(("127.0.0.1", report["server"]["port"])) != 0


def test_a_duration_of_zero_is_refused(tmp_path: Path) -> None:
    done = _run("--seconds", "0")
    assert done.returncode == 2
    assert "--seconds must be above 0" in done.stderr
