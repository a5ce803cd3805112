"""Quorum in practice: three independent operators (each its own key, store and `pqoracle run`
process) with threshold 2 on one verifier on Anvil, one of them stopped, then one lying."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from oracle.chain import (
    Status,
    VerificationDisputed,
    VerifierEvent,
    VoteCast,
    VoteSkipped,
)
from oracle.security import SecurityEventType
from oracle.store import RequestState, Store
from tests.chains import ROOT, anvil_unavailable, run_anvil
from tests.daemon.conftest import Scenario, scenario_on

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Longest wait for any phase, in seconds (1 s blocks, 1 confirmation).
TIMEOUT = 90.0


class Operator:
    """One operator: its key file, its own store, and its daemon process when running."""

    def __init__(self, scenario: Scenario, index: int, rpc_url: str, root: Path) -> None:
        self.scenario = scenario
        self.index = index
        self.rpc_url = rpc_url
        self.address = scenario.oracles[index].chain.address
        self.key_file = root / f"operator-{index}.key"
        key = scenario.oracles[index].chain.signer.account.key
        self.key_file.write_text("0x" + bytes(key).hex())
        self.key_file.chmod(0o600)
        self.store_url = f"sqlite:///{root / f'operator-{index}.db'}"
        self.log = root / f"operator-{index}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": pythonpath, "PQORACLE_POLL_INTERVAL": "0.1"}
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "oracle.cli",
                    "run",
                    "--rpc-url",
                    self.rpc_url,
                    "--verifier",
                    self.scenario.admin.address,
                    "--private-key-file",
                    str(self.key_file),
                    "--database-url",
                    self.store_url,
                    "--confirmations",
                    "1",
                    *extra,
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=handle,
                start_new_session=True,
            )

    def stop(self) -> None:
        """SIGTERM, as an operator stops the service; it must exit cleanly."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(30) == 0, self.tail()
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def store(self) -> Store:
        return Store.open(self.store_url)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@contextmanager
def operators(scenario: Scenario, rpc_url: str, root: Path) -> Iterator[list[Operator]]:
    team = [Operator(scenario, index, rpc_url, root) for index in range(3)]
    try:
        yield team
    finally:
        for operator in team:
            operator.kill()


def _wait(condition: Callable[[], bool], what: str, team: list[Operator]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- operator {o.index} ---\n{o.tail()}" for o in team)
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.2)


def _open(scenario: Scenario, count: int) -> list[bytes]:
    return [scenario.open(valid=index % 2 == 0) for index in range(count)]


def _final_and_right(scenario: Scenario, ids: list[bytes]) -> Callable[[], bool]:
    def check() -> bool:
        for request_id in ids:
            status = scenario.status(request_id)
            if not status.is_final:
                return False
            expected = Status.VALID if scenario.expected[request_id] else Status.INVALID
            assert status == expected, f"0x{request_id.hex()} closed {status.label}"
        return True

    return check


def _events(scenario: Scenario) -> list[VerifierEvent]:
    head = scenario.chain.block_number()
    found: list[VerifierEvent] = []
    for start in range(0, head + 1, 500):
        found.extend(scenario.admin.events(start, min(start + 499, head)))
    return found


def _votes(scenario: Scenario) -> dict[tuple[bytes, str], int]:
    """Counted votes that did not close their request, per (request, oracle)."""
    counts: dict[tuple[bytes, str], int] = {}
    for event in _events(scenario):
        if isinstance(event, VoteCast):
            key = (event.request_id, event.oracle)
            counts[key] = counts.get(key, 0) + 1
    return counts


def test_three_operators_keep_every_verdict_right_with_one_stopped_then_one_lying(
    tmp_path: Path,
) -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil(block_time=1) as node:
        scenario = scenario_on(node.connect(poll_latency=0.05), tmp_path, oracles=3, threshold=2)
        with operators(scenario, node.rpc_url, tmp_path) as team:
            first, second, third = team
            # All three up: every request final and right.
            for operator in team:
                operator.start()
            phase_one = _open(scenario, 4)
            _wait(_final_and_right(scenario, phase_one), "three operators", team)

            # One stopped: the other two still make the quorum of two.
            third.stop()
            phase_two = _open(scenario, 4)
            _wait(_final_and_right(scenario, phase_two), "two operators", team)

            # One lying: the liar comes back inverting every verdict and votes first; the two
            # honest operators, started after its votes are mined, outvote it.
            first.stop()
            second.stop()
            third.start("--invert-verdicts")
            phase_three = _open(scenario, 4)
            liar = third.address

            def liar_voted() -> bool:
                votes = _votes(scenario)
                return all((request_id, liar) in votes for request_id in phase_three)

            _wait(liar_voted, "the lying operator's votes", team)
            for request_id in phase_three:
                assert scenario.status(request_id) is Status.PENDING  # one vote is no quorum
            first.start()
            second.start()
            _wait(_final_and_right(scenario, phase_three), "the honest quorum", team)
            # Let each honest daemon read the closing blocks into its store.
            for operator in (first, second):
                store = operator.store()
                _wait(
                    lambda store=store: all(  # type: ignore[misc]
                        (s := store.request(r)) is not None and s.state is RequestState.FINAL
                        for r in phase_three
                    ),
                    f"operator {operator.index}'s store",
                    team,
                )
                disputes = store.security_events(event_type=SecurityEventType.VOTE_DISPUTED)
                assert {event.request_id for event in disputes} == set(phase_three)
                store.close()
            for operator in team:
                operator.stop()

        everything = phase_one + phase_two + phase_three
        assert scenario.fulfilments() == dict.fromkeys(everything, 1)
        events = _events(scenario)
        # No operator voted twice on anything; the stopped one cast no vote on what closed while
        # it was down, not even once it was back.
        skipped = [e for e in events if isinstance(e, VoteSkipped)]
        assert [e for e in skipped if e.reason == "already_voted"] == []
        by_third = {
            e.request_id
            for e in events
            if isinstance(e, VoteCast | VoteSkipped | VerificationDisputed)
            and e.oracle == third.address
        }
        assert by_third.isdisjoint(phase_two)
        for request_id in phase_three:
            status = scenario.admin.status_of(request_id)
            valid = scenario.expected[request_id]
            assert (status.valid_votes, status.invalid_votes) == ((2, 1) if valid else (1, 2))
