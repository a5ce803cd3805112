"""benchmarks/chaos.py as users run it, short: three real replica processes on a real PostgreSQL
store, two SIGKILLs, a 5 s RPC outage and a shallow reorg while a load generator opens requests;
every request on the chain gets its right verdict, no request is voted on twice, none is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chains import anvil_unavailable
from tests.imports import ROOT
from tests.postgres import SKIP_ENV, unavailable_reason

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_short_chaos_run_loses_no_request_and_votes_on_each_once(tmp_path: Path) -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    # As the postgres_cluster fixture: skipped only when asked, never for a missing server in CI.
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: PostgreSQL tests skipped")
    reason = unavailable_reason()
    if reason:
        pytest.fail(reason, pytrace=False)
    out = tmp_path / "chaos.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "chaos.py"),
            "--requests",
            "30",
            "--duration",
            "20",
            "--kills",
            "2",
            "--outage",
            "5",
            "--reorg-depth",
            "2",
            "--settle-timeout",
            "90",
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
    assert report["requests_sent"] == report["requests_on_chain"] == 30
    assert report["verdicts_final"] == report["verdicts_right"] == 30
    assert report["verdicts_wrong"] == 0
    assert report["lost_requests"] == 0, report["lost_request_ids"]
    assert report["duplicate_votes"] == 0, report["votes_skipped_by_reason"]
    assert report["vote_entries_on_chain"] == 30
    # Every fault happened: two kills, an outage the daemon came back from, a reorg.
    assert len(report["kill_times_s"]) == 2
    assert report["replica_starts"] >= 3 + 2
    assert report["first_verdict_after_outage_s"] is not None
    assert report["backlog_cleared_after_outage_s"] is not None
    assert report["reorg_done"]
    assert report["replica_stop_codes"] == [0, 0, 0]
    assert "lost requests" in done.stdout
