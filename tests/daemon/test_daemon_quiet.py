"""A cycle with nothing to do does nothing: while the head block, the lead and the store's counts
stay as the last full cycle left them (with nothing to verify or submit), the daemon reads no
more than the head; a new block, a change in the store or the resend interval runs every check
again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from web3.types import RPCEndpoint

from oracle.chain import Chain, mine_blocks
from oracle.chain.devnode import LocalNode
from oracle.daemon import CycleReport, OracleDaemon
from oracle.daemon import service as daemon_service
from oracle.domain import Status
from oracle.store import RequestState
from tests.daemon.conftest import Scenario, scenario_on

TIMEOUT = 120.0


def _anvil_rpc(chain: Chain, method: str, *params: object) -> Any:
    answer = chain.w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in answer, answer
    return answer["result"]


def _counting(daemon: OracleDaemon, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many cycles ran in full (each verifies), counted as they run."""
    full = [0]
    verify_pending = daemon.verify_pending

    def counted(safe: int) -> tuple[int, int]:
        full[0] += 1
        return verify_pending(safe)

    monkeypatch.setattr(daemon, "verify_pending", counted)
    return full


def _settling(daemon: OracleDaemon, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The confirmed block of each settling the daemon runs, recorded as it runs."""
    settled: list[int] = []
    settle = daemon.settle

    def counted(safe: int) -> int:
        settled.append(safe)
        return settle(safe)

    monkeypatch.setattr(daemon, "settle", counted)
    return settled


def test_cycles_between_blocks_are_quiet_until_the_chain_or_the_store_moves(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = scenario.open()
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    assert daemon.run(until_settled=True, timeout=TIMEOUT) is not None
    assert scenario.status(first) is Status.VALID
    full = _counting(daemon, monkeypatch)
    # Nothing moved since the settled cycle: the same head, the same counts.
    settled = daemon.run_once()
    assert daemon.run_once() == settled
    assert settled.settled
    assert full == [0]
    # A new block runs every check again, once.
    mine_blocks(scenario.chain, 1)
    daemon.run_once()
    daemon.run_once()
    assert full == [1]
    # A request in a new block is voted on at once.
    second = scenario.open(valid=False)
    daemon.run(until_settled=True, timeout=TIMEOUT)
    assert scenario.status(second) is Status.INVALID
    assert full[0] >= 2


def test_a_quiet_daemon_runs_in_full_again_once_a_resend_may_be_due(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario.open()
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    daemon.run(until_settled=True, timeout=TIMEOUT)
    full = _counting(daemon, monkeypatch)
    daemon.run_once()
    assert full == [0]
    monkeypatch.setattr(daemon_service, "LOST_RESEND_AFTER", 0.0)
    daemon.run_once()
    assert full == [1]


def test_work_left_in_the_store_keeps_every_cycle_in_full(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        scenario.open()
    # One request per stage and cycle: each cycle leaves work for the next one.
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings(batch_size=1))
    full = _counting(daemon, monkeypatch)
    for _ in range(3):
        daemon.run_once()
    assert full == [3]
    daemon.run(until_settled=True, timeout=TIMEOUT)
    assert set(scenario.expected) == {
        r for r in scenario.expected if scenario.status(r) is Status.VALID
    }


class _Pauses(threading.Event):
    """A stop event that records each pause the daemon takes between cycles (and takes none)."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(-1.0 if timeout is None else timeout)
        return self.is_set()


def test_a_cycle_that_moved_requests_on_is_followed_without_a_pause(scenario: Scenario) -> None:
    for valid in (True, False):
        scenario.open(valid=valid)
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings(poll_interval=30))
    reports: list[CycleReport] = []
    stop = _Pauses()
    daemon.run(stop=stop, max_cycles=4, on_cycle=reports.append)
    assert [r.moved for r in reports] == [True, False, False, False]
    assert reports[0].verified == 2
    # The first cycle did the work; the next ones found nothing to move: the last of them is a
    # settled, quiet one, which waits the poll interval (none after the last cycle).
    assert stop.pauses[0] == 0
    assert all(0 < pause <= 30 for pause in stop.pauses[1:])
    assert stop.pauses[-1] == 30


def test_a_cycle_does_not_ask_the_node_again_for_the_head_block_it_read(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario.open()
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    asked: list[int] = []
    real = Chain.block_hashes

    def spied(self: Chain, numbers: Iterable[int]) -> dict[int, bytes | None]:
        numbers = list(numbers)
        asked.extend(numbers)
        return real(self, numbers)

    monkeypatch.setattr(Chain, "block_hashes", spied)
    head = scenario.chain.block_number()
    report = daemon.run_once()
    assert report.ingested_to == head
    assert report.new_requests == 1
    assert head not in asked


def test_orphaned_requests_are_looked_for_only_while_the_store_may_hold_some(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    asked: list[RequestState] = []
    requests_in = daemon.store.requests_in

    def spied(state: RequestState, limit: int = 100) -> Any:
        asked.append(state)
        return requests_in(state, limit)

    monkeypatch.setattr(daemon.store, "requests_in", spied)
    for valid in (True, False):
        scenario.open(valid=valid)
        assert daemon.run(until_settled=True, timeout=TIMEOUT) is not None
    # The first cycle does not know yet; after it, only a rewind (none here) orphans requests.
    assert asked.count(RequestState.ORPHANED) == 1
    assert daemon.store.counts()[RequestState.FINAL] == 2


def test_while_work_flows_the_newest_block_read_is_checked_with_the_tip(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    scenario.open()
    assert daemon.run_once().moved  # the next cycle is not a quiet one
    newest = daemon.store.ingested_blocks()[0][0]
    alone: list[int] = []
    with_tip: list[int] = []
    hashes = Chain.block_hashes
    both = Chain.latest_and_hash

    def spied_hashes(self: Chain, numbers: Iterable[int]) -> dict[int, bytes | None]:
        numbers = list(numbers)
        alone.extend(numbers)
        return hashes(self, numbers)

    def spied_both(self: Chain, number: int) -> Any:
        with_tip.append(number)
        return both(self, number)

    monkeypatch.setattr(Chain, "block_hashes", spied_hashes)
    monkeypatch.setattr(Chain, "latest_and_hash", spied_both)
    # Of the blocks the store read, only the newest is: the older ones serve to find a fork.
    limits: list[int] = []
    recorded = daemon.store.ingested_blocks
    monkeypatch.setattr(
        daemon.store, "ingested_blocks", lambda limit=512: limits.append(limit) or recorded(limit)
    )
    scenario.open()
    assert daemon.run_once().new_requests == 1
    assert with_tip == [newest]
    assert limits == [1]
    if scenario.chain.batches:  # one batch; the embedded chain reads them one by one
        assert newest not in alone


def test_quiet_cycles_after_one_that_moved_report_no_work_and_pause(scenario: Scenario) -> None:
    scenario.key("ML-DSA-44")  # a key registered, no request: the first cycle reads it, then idles
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings(poll_interval=30))
    reports: list[CycleReport] = []
    stop = _Pauses()
    daemon.run(stop=stop, max_cycles=3, on_cycle=reports.append)
    assert [r.new_keys for r in reports] == [1, 0, 0]
    assert [r.moved for r in reports] == [True, False, False]
    assert all(r.settled for r in reports)
    assert stop.pauses == [0, 30]


def test_under_a_flood_settling_waits_a_bounded_time_and_a_cycle_without_new_requests_settles(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    settled = _settling(daemon, monkeypatch)
    # New requests in each cycle, within the bound: voted on, not settled.
    first = scenario.open()
    report = daemon.run_once()
    assert (report.new_requests, report.submitted, len(settled)) == (1, 1, 0)
    second = scenario.open()
    report = daemon.run_once()
    assert (report.new_requests, report.submitted, len(settled)) == (1, 1, 0)
    assert scenario.status(second) is Status.VALID  # the vote is on the chain all the same
    # A cycle that reads nothing new settles, and the store catches up with the chain.
    daemon.run_once()
    assert len(settled) == 1
    assert daemon.run(until_settled=True, timeout=TIMEOUT) is not None
    for request_id in (first, second):
        stored = daemon.store.request(request_id)
        assert stored is not None
        assert stored.final_status is Status.VALID
    # The bound counts from the first cycle that held settling back: past it, a flooded cycle
    # settles too.
    monkeypatch.setattr(daemon_service, "SETTLE_DEFER_SECONDS", 0.3)
    scenario.open()
    before = len(settled)
    assert daemon.run_once().new_requests == 1
    assert len(settled) == before
    time.sleep(0.35)
    scenario.open()
    assert daemon.run_once().new_requests == 1
    assert len(settled) == before + 1


def test_a_cycle_that_held_settling_back_is_followed_by_one_that_settles_before_the_next_block(
    anvil: LocalNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Steady traffic on a chain with block times: every block brings requests, so every cycle
    # that reads one is under a "flood"; the cycles between blocks must settle, not idle.
    monkeypatch.setattr(daemon_service, "SETTLE_DEFER_SECONDS", 3600.0)
    scenario = scenario_on(anvil.connect(poll_latency=0.02), tmp_path)
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    settled = _settling(daemon, monkeypatch)
    first = scenario.open()
    _anvil_rpc(scenario.chain, "evm_setAutomine", False)  # votes wait for the next block
    report = daemon.run_once()
    assert (report.new_requests, report.submitted, len(settled)) == (1, 1, 0)
    head = scenario.chain.block_number()
    # The same head, the same counts: without work held back this cycle would be quiet.
    daemon.run_once()
    assert len(settled) == 1
    assert scenario.chain.block_number() == head
    # Settled, nothing else to do: quiet again until the next block.
    daemon.run_once()
    assert len(settled) == 1
    # The next block brings the vote and a new request: the same again.
    _anvil_rpc(scenario.chain, "evm_setAutomine", True)
    second = scenario.open()
    _anvil_rpc(scenario.chain, "evm_setAutomine", False)
    report = daemon.run_once()
    assert (report.new_requests, report.submitted, len(settled)) == (1, 1, 1)
    daemon.run_once()
    assert len(settled) == 2
    daemon.run_once()
    assert len(settled) == 2
    _anvil_rpc(scenario.chain, "anvil_mine", "0x1")
    assert daemon.run(until_settled=True, timeout=TIMEOUT) is not None
    for request_id in (first, second):
        stored = daemon.store.request(request_id)
        assert stored is not None
        assert stored.final_status is Status.VALID


def test_closing_logs_are_checked_after_the_votes_and_under_a_flood_with_settling(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    order: list[str] = []
    check = daemon._check_closing_logs
    sign = daemon.verifier.sign_vote_batch

    def checked(events: list[Any], safe: int) -> list[Any]:
        if events:
            order.append(f"check {len(events)}")
        return check(events, safe)

    def signed(ballots: Any) -> Any:
        order.append(f"sign {len(ballots)}")
        return sign(ballots)

    monkeypatch.setattr(daemon, "_check_closing_logs", checked)
    monkeypatch.setattr(daemon.verifier, "sign_vote_batch", signed)
    first = scenario.open()
    daemon.run_once()
    assert order == ["sign 1"]
    # The next cycle reads the first vote's closing log and a new request: the vote goes first,
    # and under the flood (this cycle read a new request) the check waits for settling.
    second = scenario.open()
    daemon.run_once()
    assert order == ["sign 1", "sign 1"]
    # A cycle that reads nothing new settles: both votes' closing logs are checked at once.
    daemon.run_once()
    assert order == ["sign 1", "sign 1", "check 2"]
    assert daemon.run(until_settled=True, timeout=TIMEOUT) is not None
    for request_id in (first, second):
        stored = daemon.store.request(request_id)
        assert stored is not None
        assert stored.final_status is Status.VALID
    assert daemon.store.security_events() == []
