"""The daemon with what version 2 brings, on the embedded chain: a quorum that outvotes a faulty
oracle, one vote per oracle and request, vote batches, deadlines, and an oracle leaving the set."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from oracle.chain import Chain, Status
from oracle.daemon import OracleDaemon
from oracle.security import SecurityEventType
from oracle.store import RequestState, Store
from tests.daemon.conftest import Scenario, scenario_on

#: Upper bound on any wait in this file, in seconds.
TIMEOUT = 120.0


def _store_url(scenario: Scenario, index: int) -> str:
    """Oracle `index`'s own store (oracle 0 uses the scenario's)."""
    return scenario.store_url if index == 0 else scenario.store_url.replace(".db", f"-{index}.db")


def _daemon_of(scenario: Scenario, index: int, **options: object) -> OracleDaemon:
    """A daemon voting as oracle `index` of the set, on its own store."""
    invert = bool(options.pop("invert_verdicts", False))
    return OracleDaemon(
        scenario.oracles[index],
        scenario.store(_store_url(scenario, index)),
        scenario.settings(**options),
        invert_verdicts=invert,
    )


def _run_until(daemons: Sequence[OracleDaemon], done: Callable[[], bool]) -> None:
    """Cycle the daemons in turn, one cycle each, until `done()`; then one more round, so each
    has read the blocks the others' last votes went into."""
    deadline = time.monotonic() + TIMEOUT
    while not done():
        assert time.monotonic() < deadline, "the daemons did not get there in time"
        for daemon in daemons:
            daemon.run(max_cycles=1)
    for daemon in daemons:
        daemon.run(max_cycles=1)


def _state(daemon: OracleDaemon, request_id: bytes) -> RequestState | None:
    stored = daemon.store.request(request_id)
    return None if stored is None else stored.state


def _all_final(daemons: Sequence[OracleDaemon], ids: Sequence[bytes]) -> Callable[[], bool]:
    return lambda: all(_state(d, r) is RequestState.FINAL for d in daemons for r in ids)


def _sent(scenario: Scenario, index: int) -> int:
    """Transactions oracle `index` has sent."""
    return scenario.chain.transaction_count(scenario.oracles[index].chain.address)


def _expected(scenario: Scenario) -> dict[bytes, Status]:
    return {r: Status.VALID if ok else Status.INVALID for r, ok in scenario.expected.items()}


def _statuses(scenario: Scenario) -> dict[bytes, Status]:
    return {r: scenario.status(r) for r in scenario.expected}


# --- quorum ----------------------------------------------------------------------------------


def test_two_honest_daemons_outvote_a_faulty_one_and_record_its_disputed_votes(
    embedded_chain: Chain, tmp_path: Path
) -> None:
    scenario = scenario_on(embedded_chain, tmp_path, oracles=3, threshold=2)
    for index in range(4):
        scenario.open(valid=index % 2 == 0)
    # The faulty oracle votes first in every round: each request starts with a wrong vote.
    faulty = _daemon_of(scenario, 0, invert_verdicts=True)
    honest = [_daemon_of(scenario, 1), _daemon_of(scenario, 2)]
    daemons = [faulty, *honest]
    _run_until(daemons, _all_final(daemons, list(scenario.expected)))
    assert _statuses(scenario) == _expected(scenario)
    assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
    for request_id, valid in scenario.expected.items():
        status = scenario.admin.status_of(request_id)
        # The quorum's two votes decided; the faulty one stands alone on the other side.
        assert (status.valid_votes, status.invalid_votes) == ((2, 1) if valid else (1, 2))
    for daemon in honest:
        disputes = daemon.store.security_events(event_type=SecurityEventType.VOTE_DISPUTED)
        assert {event.request_id for event in disputes} == set(scenario.expected)
        for request_id, valid in scenario.expected.items():
            stored = daemon.store.request(request_id)
            assert stored is not None
            assert (stored.state, stored.final_status) == (
                RequestState.FINAL,
                Status.VALID if valid else Status.INVALID,
            )


def test_a_daemon_never_votes_twice_and_waits_in_voted_until_the_quorum_closes_the_request(
    embedded_chain: Chain, tmp_path: Path
) -> None:
    scenario = scenario_on(embedded_chain, tmp_path, oracles=2, threshold=2)
    request_id = scenario.open()
    first = _daemon_of(scenario, 0)
    _run_until([first], lambda: _state(first, request_id) is RequestState.VOTED)
    status = scenario.admin.status_of(request_id)
    assert (status.status, status.valid_votes) == (Status.PENDING, 1)
    assert _sent(scenario, 0) == 1
    # A second run over the same store sends nothing: the vote is on the chain already.
    again = _daemon_of(scenario, 0)
    report = again.run(max_cycles=3)
    assert report is not None
    assert report.submitted == 0
    # Nothing is left for this oracle to do: the request waits for the others' votes.
    assert report.settled
    assert _sent(scenario, 0) == 1
    assert _state(again, request_id) is RequestState.VOTED
    # The second oracle's vote reaches the threshold; the first daemon closes the request.
    second = _daemon_of(scenario, 1)
    _run_until([second, again], _all_final([second, again], [request_id]))
    assert scenario.status(request_id) is Status.VALID
    assert scenario.fulfilments() == {request_id: 1}
    assert (_sent(scenario, 0), _sent(scenario, 1)) == (1, 1)
    stored = again.store.request(request_id)
    assert stored is not None
    assert stored.final_status == Status.VALID
    assert len(again.store.submissions(request_id)) == 1


def test_a_daemon_that_lost_its_store_votes_again_and_the_contract_skips_the_second_vote(
    embedded_chain: Chain, tmp_path: Path
) -> None:
    scenario = scenario_on(embedded_chain, tmp_path, oracles=2, threshold=2)
    request_id = scenario.open()
    first = _daemon_of(scenario, 0)
    _run_until([first], lambda: _state(first, request_id) is RequestState.VOTED)
    # A fresh store knows nothing of the vote: the daemon signs another, which counts for nothing.
    fresh = OracleDaemon(
        scenario.oracles[0],
        Store.open(f"sqlite:///{tmp_path / 'fresh.db'}"),
        scenario.settings(),
    )
    _run_until([fresh], lambda: _state(fresh, request_id) is RequestState.VOTED)
    [submission] = fresh.store.submissions(request_id)
    assert fresh.store.outcome(submission.tx_hash, request_id) == "skipped: already_voted"
    status = scenario.admin.status_of(request_id)
    assert (status.status, status.valid_votes, status.invalid_votes) == (Status.PENDING, 1, 0)


# --- batches ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("requests", "batch"), [(7, 3), (4, 4), (5, 1)])
def test_n_verdicts_go_out_in_n_over_the_batch_size_transactions(
    scenario: Scenario, requests: int, batch: int
) -> None:
    for index in range(requests):
        scenario.open(valid=index % 3 != 0)
    daemon = OracleDaemon(
        scenario.oracle, scenario.store(), scenario.settings(vote_batch_size=batch)
    )
    report = daemon.run(until_settled=True, timeout=TIMEOUT)
    assert report is not None
    assert report.settled
    assert _statuses(scenario) == _expected(scenario)
    transactions = math.ceil(requests / batch)
    assert _sent(scenario, 0) == transactions
    submissions = daemon.store.all_submissions()
    assert len(submissions) == transactions
    assert all(len(s.votes) <= batch for s in submissions)
    voted = [request_id for s in submissions for request_id, _ in s.votes]
    assert sorted(voted) == sorted(scenario.expected)


# --- deadlines -------------------------------------------------------------------------------


def test_a_request_past_its_deadline_is_not_voted_on_and_ends_expired(scenario: Scenario) -> None:
    late = scenario.open(timeout=60)
    deadline = scenario.admin.status_of(late).deadline
    # The chain moves past the deadline before the daemon first looks.
    scenario.chain.w3.testing.timeTravel(deadline + 1)
    in_time = scenario.open()
    daemon = OracleDaemon(scenario.oracle, scenario.store(), scenario.settings())
    daemon.run(until_settled=True, timeout=TIMEOUT)
    assert scenario.status(late) is Status.EXPIRED
    assert scenario.status(in_time) is Status.VALID
    stored = daemon.store.request(late)
    assert stored is not None
    assert (stored.state, stored.final_status) == (RequestState.FINAL, Status.EXPIRED)
    assert daemon.store.submissions(late) == []
    [submission] = daemon.store.all_submissions()
    assert [request_id for request_id, _ in submission.votes] == [in_time]


# --- the oracle set changes ------------------------------------------------------------------


def test_an_oracle_removed_from_the_set_records_the_refusal_and_keeps_running(
    embedded_chain: Chain, tmp_path: Path
) -> None:
    scenario = scenario_on(embedded_chain, tmp_path, oracles=2, threshold=1)
    before = scenario.open()
    removed = _daemon_of(scenario, 0)
    removed.run(until_settled=True, timeout=TIMEOUT)
    assert scenario.status(before) is Status.VALID
    # The admin takes the daemon's oracle out of the set (no delay on this deployment).
    remaining = scenario.oracles[1].chain.address
    scenario.admin.announce_oracle_set_change([remaining], 1)
    scenario.admin.apply_oracle_set_change()
    assert not scenario.admin.is_oracle(scenario.oracle.chain.address)
    after = scenario.open()
    sent = _sent(scenario, 0)
    report = removed.run(max_cycles=5)
    assert report is not None
    assert _sent(scenario, 0) == sent
    stored = removed.store.request(after)
    assert stored is not None
    assert stored.state is RequestState.VERIFIED
    assert stored.note is not None
    assert "VerifierNotOracle" in stored.note
    # Refused five cycles in a row, reported once.
    [refusal] = removed.store.security_events(event_type=SecurityEventType.FULFILMENT_REFUSED)
    assert "VerifierNotOracle" in refusal.detail
    assert scenario.status(after) is Status.PENDING
    # The oracle still in the set serves the request.
    _daemon_of(scenario, 1).run(until_settled=True, timeout=TIMEOUT)
    assert scenario.status(after) is Status.VALID
    assert scenario.fulfilments() == {before: 1, after: 1}


def test_verdicts_wait_for_a_full_batch_until_the_oldest_has_waited_vote_batch_wait(
    embedded_chain: Chain, tmp_path: Path
) -> None:
    scenario = scenario_on(embedded_chain, tmp_path)
    # Chain time: the embedded chain moves its clock a second a block when blocks come fast.
    daemon = _daemon_of(scenario, 0, vote_batch_size=3, vote_batch_wait=60.0)
    first, second = scenario.open(), scenario.open(valid=False)
    daemon.run(max_cycles=3)
    # Two verdicts of a batch of three, and the oldest has not waited a minute: nothing sent.
    assert _sent(scenario, 0) == 0
    assert {_state(daemon, r) for r in (first, second)} == {RequestState.VERIFIED}
    third = scenario.open()
    daemon.run(max_cycles=2)
    # The batch is full: one transaction carries the three votes.
    assert _sent(scenario, 0) == 1
    [submission] = daemon.store.submissions(third)
    assert {request_id for request_id, _ in submission.votes} == {first, second, third}
    # A lone verdict goes out once the chain's clock shows it waited the whole minute.
    fourth = scenario.open()
    daemon.run(max_cycles=2)
    assert _sent(scenario, 0) == 1
    tester = scenario.chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    tester.time_travel(scenario.chain.block_timestamp() + 61)
    _run_until([daemon], lambda: _state(daemon, fourth) is RequestState.FINAL)
    assert _sent(scenario, 0) == 2
    assert scenario.status(fourth) is Status.VALID
