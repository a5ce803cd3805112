"""The daemon on the embedded chain: verdicts, one vote per request, restarts and faults."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from oracle.chain import Chain, Role, Status, VerificationRequested, Verifier, mine_blocks
from oracle.daemon import OracleDaemon
from oracle.daemon import service as daemon_service
from oracle.domain import Vote
from oracle.errors import ConfigError, StoreMismatchError
from oracle.store import RequestState, Store, SubmissionState
from tests.chains import deploy_with_roles
from tests.daemon.conftest import Scenario, scenario_on


class Crash(Exception):
    """Stands for the process dying at the patched point."""


def _daemon(scenario: Scenario, store: Store | None = None, **settings: object) -> OracleDaemon:
    return OracleDaemon(scenario.oracle, store or scenario.store(), scenario.settings(**settings))


def _statuses(scenario: Scenario) -> dict[bytes, Status]:
    return {request_id: scenario.status(request_id) for request_id in scenario.expected}


def _assert_each_fulfilled_once_as_expected(scenario: Scenario) -> None:
    expected = {
        rid: Status.VALID if ok else Status.INVALID for rid, ok in scenario.expected.items()
    }
    assert _statuses(scenario) == expected
    assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)


def test_daemon_votes_valid_and_invalid_requests_of_every_parameter_set_to_their_verdict(
    scenario: Scenario,
) -> None:
    for algorithm in ("ML-DSA-44", "ML-DSA-65", "ML-DSA-87"):
        scenario.open(algorithm, valid=True)
        scenario.open(algorithm, valid=False)
    report = _daemon(scenario).run(until_settled=True, timeout=60)
    assert report is not None
    assert report.settled
    _assert_each_fulfilled_once_as_expected(scenario)


def test_daemon_records_verdicts_and_the_mined_transaction(scenario: Scenario) -> None:
    request_id = scenario.open(valid=False)
    daemon = _daemon(scenario)
    daemon.run(until_settled=True, timeout=60)
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert (stored.state, stored.verdict, stored.final_status) == (
        RequestState.FINAL,
        False,
        Status.INVALID,
    )
    [submission] = daemon.store.submissions(request_id)
    assert submission.state is SubmissionState.MINED
    assert submission.sender == scenario.oracle.chain.address


def test_a_second_run_over_the_same_store_sends_nothing(scenario_on_each_store: Scenario) -> None:
    scenario = scenario_on_each_store
    for _ in range(3):
        scenario.open()
    first = _daemon(scenario)
    first.run(until_settled=True, timeout=60)
    # The three verdicts went out together, in one vote batch.
    [batch] = first.store.all_submissions()
    assert len(batch.votes) == 3
    head = scenario.chain.block_number()
    second = _daemon(scenario)
    report = second.run(max_cycles=3)
    assert report is not None
    assert report.submitted == 0
    assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
    # Only reads happened: no transaction of the oracle was mined.
    assert scenario.chain.w3.eth.get_transaction_count(scenario.oracle.chain.address) == 1
    assert scenario.chain.block_number() == head
    first.store.close()
    second.store.close()


@pytest.mark.parametrize("crash_on", [1, 2, 3])
def test_restart_after_a_crash_between_recording_and_broadcasting_votes_on_each_request_once(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, crash_on: int
) -> None:
    for index in range(4):
        scenario.open(valid=index % 2 == 0)
    calls = {"n": 0}
    real_broadcast = Verifier.broadcast

    def dying_broadcast(self: Verifier, signed: Any) -> bytes:
        calls["n"] += 1
        if calls["n"] == crash_on:
            raise Crash
        return real_broadcast(self, signed)

    monkeypatch.setattr(Verifier, "broadcast", dying_broadcast)
    # One vote per transaction, so that the crash lands before the first, second or third one.
    first = _daemon(scenario, vote_batch_size=1)
    with pytest.raises(Crash):
        first.run(until_settled=True, timeout=60)
    first.store.close()
    # The crashed request has a signed transaction on record that no node has seen.
    monkeypatch.setattr(Verifier, "broadcast", real_broadcast)
    restarted = _daemon(scenario, vote_batch_size=1)
    assert restarted.store.counts()[RequestState.SUBMITTED] >= 1
    restarted.run(until_settled=True, timeout=60)
    _assert_each_fulfilled_once_as_expected(scenario)
    for request_id in scenario.expected:
        assert len(restarted.store.submissions(request_id)) == 1


def test_restart_after_a_crash_before_the_receipt_was_recorded_sends_nothing_again(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        scenario.open()
    real_receipts = Verifier.lookup_receipts

    def dying_receipts(self: Verifier, tx_hashes: Sequence[bytes]) -> Any:
        raise Crash

    monkeypatch.setattr(Verifier, "lookup_receipts", dying_receipts)
    first = _daemon(scenario)
    with pytest.raises(Crash):
        first.run(until_settled=True, timeout=60)
    monkeypatch.setattr(Verifier, "lookup_receipts", real_receipts)
    restarted = _daemon(scenario)
    restarted.run(until_settled=True, timeout=60)
    _assert_each_fulfilled_once_as_expected(scenario)
    # The one batch signed before the crash is the only transaction the oracle ever sent.
    [batch] = restarted.store.all_submissions()
    assert {request_id for request_id, _ in batch.votes} == set(scenario.expected)
    oracle_txs = scenario.chain.w3.eth.get_transaction_count(scenario.oracle.chain.address)
    assert oracle_txs == 1


def test_a_signed_transaction_whose_nonce_was_taken_is_dropped_and_signed_again(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_id = scenario.open()
    second_id = scenario.open()
    real_broadcast = Verifier.broadcast
    calls = {"n": 0}

    def lose_first(self: Verifier, signed: Any) -> bytes:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash
        return real_broadcast(self, signed)

    monkeypatch.setattr(Verifier, "broadcast", lose_first)
    with pytest.raises(Crash):
        _daemon(scenario).run(until_settled=True, timeout=60)
    monkeypatch.setattr(Verifier, "broadcast", real_broadcast)
    # Meanwhile another process of the same operator spends the recorded nonce.
    oracle_chain = scenario.oracle.chain
    oracle_chain.nonces.reset()
    scenario.oracle.vote(Vote(second_id, True, scenario.terms(second_id)))
    daemon = _daemon(scenario)
    daemon.run(until_settled=True, timeout=60)
    _assert_each_fulfilled_once_as_expected(scenario)
    states = [s.state for s in daemon.store.submissions(first_id)]
    assert states == [SubmissionState.DROPPED, SubmissionState.MINED]
    # The request the other process decided is closed without a second vote.
    [dropped] = daemon.store.submissions(second_id)
    assert dropped.state is SubmissionState.DROPPED


def test_a_request_finalised_by_another_oracle_is_closed_without_a_transaction(
    embedded_chain: Chain, tmp_path: Path
) -> None:
    scenario = scenario_on(embedded_chain, tmp_path, oracles=2, threshold=1)
    request_id = scenario.open()
    other = scenario.oracles[1]
    other.vote(Vote(request_id, True, scenario.terms(request_id)))
    daemon = _daemon(scenario)
    daemon.run(until_settled=True, timeout=60)
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert (stored.state, stored.final_status) == (RequestState.FINAL, Status.VALID)
    assert daemon.store.submissions(request_id) == []
    assert scenario.fulfilments() == {request_id: 1}


class LyingVerifier(Verifier):
    """A verifier whose node logs another message than the requester sent."""

    def events(
        self, from_block: int, to_block: int, *, known_head: int | None = None
    ) -> list[Any]:
        return [
            dataclasses.replace(event, message=event.message + b" (forged)")
            if isinstance(event, VerificationRequested)
            else event
            for event in super().events(from_block, to_block, known_head=known_head)
        ]


def test_a_payload_that_does_not_match_its_commitment_is_rejected_not_fulfilled(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    request_id = scenario.open()
    lying = LyingVerifier(scenario.oracle.chain, scenario.oracle.address)
    daemon = OracleDaemon(lying, scenario.store(), scenario.settings())
    with caplog.at_level(logging.WARNING, logger="oracle.daemon"):
        daemon.run(until_settled=True, timeout=60)
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert stored.state is RequestState.REJECTED
    assert stored.note == "logged payload does not match its commitment"
    assert scenario.status(request_id) is Status.PENDING
    assert any(r.getMessage() == "request rejected" for r in caplog.records)


def test_a_key_registered_before_the_start_block_is_recovered_from_its_log(
    scenario: Scenario,
) -> None:
    scenario.key("ML-DSA-65")
    start = scenario.chain.block_number() + 1
    request_id = scenario.open("ML-DSA-65")
    daemon = _daemon(scenario, start_block=start)
    daemon.run(until_settled=True, timeout=60)
    assert scenario.status(request_id) is Status.VALID
    key_id = scenario.keys["ML-DSA-65"][1]
    recovered = daemon.store.key(key_id)
    assert recovered is not None
    assert recovered.public_key == scenario.keys["ML-DSA-65"][0].public_key


def test_a_key_is_read_from_the_store_once_and_kept_within_a_bound(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = _daemon(scenario)
    asked: list[bytes] = []
    stored_key = daemon.store.key

    def counted(key_id: bytes) -> Any:
        asked.append(key_id)
        return stored_key(key_id)

    monkeypatch.setattr(daemon.store, "key", counted)
    small = scenario.key("ML-DSA-44")[1]
    large = scenario.key("ML-DSA-65")[1]
    # Two batches on one key: read once (a key id is the hash of its key).
    first = [scenario.open("ML-DSA-44")]
    daemon.run(until_settled=True, timeout=60)
    first.append(scenario.open("ML-DSA-44", valid=False))
    daemon.run(until_settled=True, timeout=60)
    assert asked == [small]
    # Past the bound the longest kept goes: a second key pushes the first out.
    monkeypatch.setattr(daemon_service, "KEYS_KEPT", 1)
    later = [scenario.open("ML-DSA-65"), scenario.open("ML-DSA-44")]
    daemon.run(until_settled=True, timeout=60)
    assert asked == [small, large, small]
    for request_id in (*first, *later):
        expected = Status.VALID if scenario.expected[request_id] else Status.INVALID
        assert scenario.status(request_id) is expected


def test_requests_wait_for_the_configured_confirmations(scenario: Scenario) -> None:
    request_id = scenario.open()
    daemon = _daemon(scenario, confirmations=3)
    daemon.run(max_cycles=2)
    assert daemon.store.request(request_id) is None
    mine_blocks(scenario.chain, 3)
    # The embedded chain mines only on transactions: a block after each cycle brings the vote's
    # own confirmations too.
    report = daemon.run(
        until_settled=True, timeout=60, on_cycle=lambda _: mine_blocks(scenario.chain)
    )
    assert report is not None
    assert report.settled
    assert scenario.status(request_id) is Status.VALID
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert (stored.state, stored.final_status) == (RequestState.FINAL, Status.VALID)
    # Read final at a block three deep, never at the head.
    assert stored.final_block is not None
    assert stored.final_block <= scenario.chain.block_number() - 3


def test_a_paused_verifier_holds_verdicts_until_it_is_unpaused(scenario: Scenario) -> None:
    request_id = scenario.open()
    scenario.admin.grant_role(Role.PAUSER, scenario.chain.address)
    scenario.admin.pause()
    daemon = _daemon(scenario)
    daemon.run(max_cycles=3)
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert stored.state is RequestState.VERIFIED
    assert stored.note is not None
    assert "EnforcedPause" in stored.note
    scenario.admin.unpause()
    daemon.run(until_settled=True, timeout=60)
    assert scenario.status(request_id) is Status.VALID
    assert scenario.fulfilments() == {request_id: 1}


def test_dry_run_verifies_without_sending(scenario: Scenario) -> None:
    request_id = scenario.open(valid=False)
    read_only = Verifier(dataclasses.replace(scenario.chain, account=None), scenario.oracle.address)
    daemon = OracleDaemon(read_only, scenario.store(), scenario.settings(), dry_run=True)
    report = daemon.run(until_settled=True, timeout=60)
    assert report is not None
    assert report.submitted == 0
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert (stored.state, stored.verdict) == (RequestState.VERIFIED, False)
    assert scenario.status(request_id) is Status.PENDING


def test_an_account_outside_the_oracle_set_is_refused_at_start(scenario: Scenario) -> None:
    with pytest.raises(ConfigError, match="is not in the oracle set"):
        OracleDaemon(scenario.dapp, scenario.store(), scenario.settings())


def test_a_store_of_another_deployment_is_refused(scenario: Scenario) -> None:
    _daemon(scenario).run(max_cycles=1)
    other = deploy_with_roles(scenario.chain)
    with pytest.raises(StoreMismatchError):
        OracleDaemon(other.oracle, scenario.store(), scenario.settings())


def test_log_lines_carry_request_id_block_and_transaction(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    request_id = scenario.open()
    with caplog.at_level(logging.INFO, logger="oracle.daemon"):
        _daemon(scenario).run(until_settled=True, timeout=60)
    [voted] = [r for r in caplog.records if r.getMessage() == "vote mined"]
    assert voted.request_id == request_id  # type: ignore[attr-defined]
    assert len(voted.tx_hash) == 32  # type: ignore[attr-defined]
    assert voted.block > 0  # type: ignore[attr-defined]
    assert voted.outcome == "counted"  # type: ignore[attr-defined]
    # Payloads (messages, signatures, keys) are never logged: at most 32-byte hashes.
    for record in caplog.records:
        logged = [v for v in vars(record).values() if isinstance(v, bytes | bytearray)]
        assert all(len(value) <= 32 for value in logged), record.getMessage()
