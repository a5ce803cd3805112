"""The full loop on real local nodes (Anvil, Ganache), and a daemon process killed mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle.store import RequestState, Store, SubmissionState
from tests.chains import ROOT, LocalNode, anvil_unavailable, run_anvil
from tests.daemon.conftest import Scenario, scenario_on
from tests.daemon.test_daemon import _assert_each_fulfilled_once_as_expected, _daemon

pytestmark = pytest.mark.integration


def _full_loop(node: LocalNode, tmp_path: Path) -> None:
    scenario = scenario_on(node.connect(poll_latency=0.02), tmp_path)
    for algorithm in ("ML-DSA-44", "ML-DSA-65", "ML-DSA-87"):
        scenario.open(algorithm, valid=True)
        scenario.open(algorithm, valid=False)
    report = _daemon(scenario).run(until_settled=True, timeout=120)
    assert report is not None
    assert report.settled
    _assert_each_fulfilled_once_as_expected(scenario)


def test_full_loop_on_anvil(anvil: LocalNode, tmp_path: Path) -> None:
    _full_loop(anvil, tmp_path)


def test_full_loop_on_ganache(ganache: LocalNode, tmp_path: Path) -> None:
    _full_loop(ganache, tmp_path)


def _start_daemon(
    scenario: Scenario, node: LocalNode, key_file: Path, log: Path
) -> subprocess.Popen[bytes]:
    # This checkout's code, not whichever `pqoracle` is installed on the PATH.
    command = [sys.executable, "-m", "oracle.cli"]
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath,
        # One request per stage per cycle, so one vote per transaction.
        "PQORACLE_BATCH_SIZE": "1",
        "PQORACLE_POLL_INTERVAL": "0.05",
    }
    with log.open("ab") as handle:
        return subprocess.Popen(
            [
                *command,
                "run",
                "--rpc-url",
                node.rpc_url,
                "--verifier",
                scenario.oracle.address,
                "--private-key-file",
                str(key_file),
                "--database-url",
                scenario.store_url,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            start_new_session=True,
        )


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_daemon_process_killed_mid_batch_resumes_with_one_vote_per_request(
    tmp_path: Path,
) -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    # One block a second and one request per stage per cycle: the kill lands while some
    # transactions are signed or waiting for their block and other requests are not signed yet.
    with run_anvil(block_time=1) as node:
        scenario = scenario_on(node.connect(poll_latency=0.05), tmp_path)
        for index in range(12):
            scenario.open(valid=index % 3 != 0)
        key_file = tmp_path / "oracle.key"
        key_file.write_text("0x" + bytes(scenario.oracle.chain.signer.account.key).hex())
        key_file.chmod(0o600)
        log = tmp_path / "daemon.log"

        store = Store.open(scenario.store_url)
        snapshot: dict[RequestState, int] = {}

        def mid_batch() -> bool:
            # Some verdicts are on their way (signed, maybe broadcast, not settled) while others
            # are not signed yet: the daemon is in the middle of its work.
            snapshot.update(store.counts())
            started = snapshot[RequestState.SUBMITTED] + snapshot[RequestState.FINAL]
            waiting = snapshot[RequestState.PENDING] + snapshot[RequestState.VERIFIED]
            return snapshot[RequestState.SUBMITTED] > 0 and started > 0 and waiting > 0

        first = _start_daemon(scenario, node, key_file, log)
        try:
            assert _wait(mid_batch, 60), log.read_text()[-2000:]
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        assert snapshot[RequestState.FINAL] < len(scenario.expected)

        oracle = scenario.oracle.chain.address

        def settled_in_store() -> bool:
            final = store.counts()[RequestState.FINAL] == len(scenario.expected)
            return final and not store.unsettled_submissions(oracle)

        second = _start_daemon(scenario, node, key_file, log)
        try:
            assert _wait(settled_in_store, 90), log.read_text()[-2000:]
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0
        _assert_each_fulfilled_once_as_expected(scenario)
        # No transaction was wasted either: one per request.
        nonce = scenario.chain.w3.eth.get_transaction_count(scenario.oracle.chain.address)
        assert nonce == len(scenario.expected)
        for request_id in scenario.expected:
            [submission] = store.submissions(request_id)
            assert submission.votes == ((request_id, scenario.expected[request_id]),)
            # The store's record of its own transaction matches the chain: mined, and deep.
            assert (submission.state, submission.confirmed) == (SubmissionState.MINED, True)
            receipt = scenario.admin.lookup_receipt(submission.tx_hash)
            assert receipt is not None
            assert (receipt.block_number, receipt.block_hash) == (
                submission.block_number,
                submission.block_hash,
            )
