"""The daemon's store (schema 3): requests by their 32-byte ids, vote transactions carrying many
votes and what the contract made of each, reorg rewinds, security events, SQLite and PostgreSQL
URLs."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from oracle.domain import Key, Request, Status
from oracle.errors import ConfigError, StoreConflictError, StoreError, StoreMismatchError
from oracle.store import RequestState, Store, SubmissionState
from oracle.types import Commitment, KeyId, RequestId, TxHash

VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _id(n: int) -> RequestId:
    """The n-th request id of these tests (32 bytes, as the verifier derives them)."""
    return RequestId(bytes([n]) * 32)


def _key(n: int = 1) -> Key:
    return Key(KeyId(bytes([n]) * 32), 1, b"\x07" * 1312, VERIFIER, 10, TxHash(b"\xaa" * 32))


def _request(n: int, block: int = 11) -> Request:
    return Request(
        request_id=_id(n),
        key_id=KeyId(bytes([1]) * 32),
        requester=VERIFIER,
        nonce=n,
        commitment=Commitment(bytes([n]) * 32),
        fee=0,
        callback_gas_limit=0,
        deadline=2_000_000_000,
        message=b"message %d" % n,
        context=b"",
        signature=b"\x01" * 2420,
        block_number=block,
        block_hash=b"\xbb" * 32,
        tx_hash=TxHash(bytes([n]) * 32),
        log_index=0,
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    opened.bind(31337, VERIFIER)
    return opened


def test_ingesting_a_window_twice_stores_each_log_once(store: Store) -> None:
    first = store.ingest(
        keys=[_key()], requests=[_request(1), _request(2)], blocks={}, next_block=20
    )
    again = store.ingest(
        keys=[_key()], requests=[_request(1), _request(2)], blocks={}, next_block=20
    )
    assert (first.new_keys, first.new_requests) == (1, 2)
    assert (again.new_keys, again.new_requests) == (0, 0)
    assert store.next_block(default=0) == 20
    assert store.counts()[RequestState.PENDING] == 2


def test_cursor_starts_at_the_default_and_survives_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url)
    assert store.next_block(default=7) == 7
    store.ingest(keys=[], requests=[], blocks={}, next_block=42)
    store.close()
    assert Store.open(url).next_block(default=7) == 42


def test_a_store_refuses_a_second_deployment(store: Store) -> None:
    store.bind(31337, VERIFIER.lower())
    with pytest.raises(StoreMismatchError, match="use another database"):
        store.bind(1, VERIFIER)
    with pytest.raises(StoreMismatchError):
        store.bind(31337, "0x" + "11" * 20)


def test_request_moves_through_verified_submitted_voted_final(store: Store) -> None:
    store.ingest(keys=[_key()], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    store.record_signed(
        votes=[(_id(1), True)], tx_hash=b"\x05" * 32, sender=VERIFIER, nonce=3, raw_tx=b"raw"
    )
    assert store.open_submission(_id(1)) is not None
    store.record_mined(
        b"\x05" * 32,
        succeeded=True,
        block_number=13,
        block_hash=b"\x0d" * 32,
        gas_used=50_000,
        confirmed=True,
    )
    store.record_outcomes(b"\x05" * 32, {_id(1): "counted"})
    store.mark_voted(_id(1))
    voted = store.request(_id(1))
    assert voted is not None
    assert voted.state is RequestState.VOTED
    store.mark_final(_id(1), Status.VALID, 13)
    stored = store.request(_id(1))
    assert stored is not None
    assert (stored.state, stored.verdict, stored.final_status, stored.final_block) == (
        RequestState.FINAL,
        True,
        Status.VALID,
        13,
    )
    assert [s.state for s in store.submissions(_id(1))] == [SubmissionState.MINED]
    assert store.outcome(b"\x05" * 32, _id(1)) == "counted"
    assert store.open_submission(_id(1)) is None


def test_a_transition_from_the_wrong_state_is_refused(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), False, "cryptography")
    with pytest.raises(StoreConflictError, match=f"request 0x{_id(1).hex()} is not pending"):
        store.record_verdict(_id(1), True, "cryptography")
    with pytest.raises(StoreError, match="not submitted"):
        store.retry(_id(1), "nothing was sent")
    with pytest.raises(StoreError, match="not submitted"):
        store.mark_voted(_id(1))
    with pytest.raises(StoreError, match=f"request 0x{_id(99).hex()} is not verified"):
        store.record_signed(
            votes=[(_id(99), True)], tx_hash=b"\x01" * 32, sender=VERIFIER, nonce=0, raw_tx=b"x"
        )
    assert store.submissions(_id(99)) == []


def test_retry_sends_a_submitted_request_back_for_a_new_transaction(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    store.record_signed(
        votes=[(_id(1), True)], tx_hash=b"\x05" * 32, sender=VERIFIER, nonce=3, raw_tx=b"raw"
    )
    store.record_dropped(b"\x05" * 32)
    store.retry(_id(1), "nonce taken by another transaction")
    stored = store.request(_id(1))
    assert stored is not None
    assert stored.state is RequestState.VERIFIED
    assert stored.note == "nonce taken by another transaction"


def test_rejected_requests_keep_their_reason(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(3)], blocks={}, next_block=12)
    store.reject(_id(3), "payload does not match its commitment")
    assert [r.request.request_id for r in store.requests_in(RequestState.REJECTED)] == [_id(3)]
    stored = store.request(_id(3))
    assert stored is not None
    assert stored.note == "payload does not match its commitment"


def test_a_store_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Store.open(url).bind(1, VERIFIER)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE meta SET schema_version = 999"))
    engine.dispose()
    with pytest.raises(StoreError, match="schema version 999"):
        Store.open(url)


def test_an_unusable_url_is_a_store_error() -> None:
    with pytest.raises(StoreError):
        Store.open("nosuchdialect://x")


def _replaced(n: int, block: int = 11) -> Request:
    return dataclasses.replace(
        _request(n, block),
        message=b"other bytes",
        commitment=Commitment(b"\xcc" * 32),
        tx_hash=TxHash(b"\xdd" * 32),
    )


def _state(store: Store, n: int) -> RequestState | None:
    stored = store.request(_id(n))
    return None if stored is None else stored.state


def _signed(store: Store, ns: Sequence[int], nonce: int) -> bytes:
    """Record one signed vote transaction carrying a valid vote on each request of `ns`."""
    tx_hash = bytes([0x40 + nonce]) * 32
    store.record_signed(
        votes=[(_id(n), True) for n in ns],
        tx_hash=tx_hash,
        sender=VERIFIER,
        nonce=nonce,
        raw_tx=b"raw",
    )
    return tx_hash


def test_block_hashes_are_recorded_newest_first_and_bounded(store: Store) -> None:
    for start in range(0, 600, 10):
        store.ingest(
            keys=[],
            requests=[],
            blocks={start + 9: bytes([start % 251]) * 32},
            next_block=start + 10,
        )
    recorded = store.ingested_blocks()
    assert recorded[0] == (599, bytes([590 % 251]) * 32)
    assert [number for number, _ in recorded] == sorted(
        (number for number, _ in recorded), reverse=True
    )
    assert len(store.ingested_blocks(limit=10_000)) <= 512


def test_rewind_orphans_requests_reopens_transactions_and_moves_the_cursor(store: Store) -> None:
    store.ingest(
        keys=[],
        requests=[_request(1, block=10), _request(2, block=20)],
        blocks={10: b"\x0a" * 32, 20: b"\x14" * 32, 25: b"\x19" * 32},
        next_block=26,
    )
    for n in (1, 2):
        store.record_verdict(_id(n), True, "cryptography")
    mined = _signed(store, [1], nonce=0)
    store.record_mined(
        mined,
        succeeded=True,
        block_number=22,
        block_hash=b"\x16" * 32,
        gas_used=1,
        confirmed=True,
    )
    store.mark_final(_id(1), Status.VALID, 24)
    result = store.rewind(15)
    assert (result.orphaned_requests, result.reopened_requests, result.reopened_submissions) == (
        1,
        1,
        1,
    )
    assert store.next_block(default=0) == 16
    assert [number for number, _ in store.ingested_blocks()] == [10]
    first, second = store.request(_id(1)), store.request(_id(2))
    assert first is not None
    assert second is not None
    assert (first.state, first.verdict, first.final_status) == (RequestState.VERIFIED, True, None)
    assert (second.state, second.verdict) == (RequestState.ORPHANED, True)
    [submission] = store.submissions(_id(1))
    assert (submission.state, submission.confirmed, submission.block_number) == (
        SubmissionState.SIGNED,
        False,
        None,
    )
    assert store.open_submission(_id(1)) == submission


def test_rewind_reopens_voted_requests_whose_vote_was_mined_in_a_replaced_block(
    store: Store,
) -> None:
    store.ingest(
        keys=[],
        requests=[_request(1, block=10), _request(2, block=10), _request(3, block=10)],
        blocks={10: b"\x0a" * 32},
        next_block=30,
    )
    for n in (1, 2, 3):
        store.record_verdict(_id(n), True, "cryptography")
    kept = _signed(store, [1], nonce=0)
    replaced = _signed(store, [2, 3], nonce=1)
    for tx_hash, block in ((kept, 12), (replaced, 20)):
        store.record_mined(
            tx_hash,
            succeeded=True,
            block_number=block,
            block_hash=bytes([block]) * 32,
            gas_used=1,
            confirmed=True,
        )
        store.record_outcomes(tx_hash, {_id(n): "counted" for n in (1, 2, 3)})
    for n in (1, 2, 3):
        store.mark_voted(_id(n))
    result = store.rewind(15)
    assert result.reopened_submissions == 1
    assert {n: _state(store, n) for n in (1, 2, 3)} == {
        1: RequestState.VOTED,
        2: RequestState.SUBMITTED,
        3: RequestState.SUBMITTED,
    }
    # The replaced block's receipt said nothing about the new chain: its outcomes are unread.
    assert (store.outcome(kept, _id(1)), store.outcome(replaced, _id(2))) == ("counted", None)
    reopened = store.open_submission(_id(3))
    assert reopened is not None
    assert reopened.tx_hash == replaced
    assert reopened.votes == ((_id(2), True), (_id(3), True))
    assert reopened.last_sent_at is None


def test_a_signed_transaction_carries_many_votes_all_or_nothing(store: Store) -> None:
    store.ingest(
        keys=[], requests=[_request(1), _request(2), _request(3)], blocks={}, next_block=12
    )
    store.record_verdict(_id(1), True, "cryptography")
    store.record_verdict(_id(2), False, "cryptography")
    # Request 3 has no verdict yet: the whole transaction is refused, and nothing moves.
    with pytest.raises(StoreConflictError, match="not verified"):
        store.record_signed(
            votes=[(_id(1), True), (_id(2), False), (_id(3), True)],
            tx_hash=b"\x07" * 32,
            sender=VERIFIER,
            nonce=0,
            raw_tx=b"raw",
        )
    assert store.counts()[RequestState.VERIFIED] == 2
    assert store.all_submissions() == []
    store.record_signed(
        votes=[(_id(1), True), (_id(2), False)],
        tx_hash=b"\x07" * 32,
        sender=VERIFIER,
        nonce=0,
        raw_tx=b"raw",
    )
    assert store.counts()[RequestState.SUBMITTED] == 2
    [submission] = store.all_submissions()
    assert submission.votes == ((_id(1), True), (_id(2), False))
    assert store.submissions(_id(2)) == [submission]
    assert store.open_submission(_id(1)) == store.open_submission(_id(2)) == submission


def test_outcomes_are_read_per_vote_of_a_submission(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1), _request(2)], blocks={}, next_block=12)
    for n in (1, 2):
        store.record_verdict(_id(n), True, "cryptography")
    tx_hash = _signed(store, [1, 2], nonce=0)
    assert store.outcome(tx_hash, _id(1)) is None
    store.record_outcomes(tx_hash, {_id(1): "counted", _id(2): "skipped: already_voted"})
    assert store.outcome(tx_hash, _id(1)) == "counted"
    assert store.outcome(tx_hash, _id(2)) == "skipped: already_voted"
    assert store.outcome(b"\x00" * 32, _id(1)) is None


def test_an_orphaned_request_seen_again_keeps_its_verdict(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1, block=20)], blocks={}, next_block=21)
    store.record_verdict(_id(1), False, "cryptography")
    store.rewind(15)
    result = store.ingest(keys=[], requests=[_request(1, block=21)], blocks={}, next_block=22)
    assert (result.restored, result.replaced, result.conflicts) == (1, 0, ())
    stored = store.request(_id(1))
    assert stored is not None
    assert (stored.state, stored.verdict, stored.request.block_number) == (
        RequestState.VERIFIED,
        False,
        21,
    )


def test_an_orphaned_request_replaced_by_other_bytes_is_verified_afresh(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1, block=20)], blocks={}, next_block=21)
    store.record_verdict(_id(1), True, "cryptography")
    store.rewind(15)
    result = store.ingest(keys=[], requests=[_replaced(1, block=20)], blocks={}, next_block=21)
    assert (result.restored, result.replaced) == (0, 1)
    stored = store.request(_id(1))
    assert stored is not None
    assert (stored.state, stored.verdict, stored.request.message) == (
        RequestState.PENDING,
        None,
        b"other bytes",
    )


def test_other_bytes_for_a_request_outside_a_reorg_are_a_conflict_and_change_nothing(
    store: Store,
) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    result = store.ingest(keys=[], requests=[_replaced(1)], blocks={}, next_block=12)
    assert result.conflicts == (_id(1),)
    stored = store.request(_id(1))
    assert stored is not None
    assert stored.request == _request(1)


def test_a_vanished_request_comes_back_when_its_id_is_logged_again(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.vanish(_id(1), "none on chain")
    assert store.counts()[RequestState.VANISHED] == 1
    store.ingest(keys=[], requests=[_replaced(1)], blocks={}, next_block=12)
    stored = store.request(_id(1))
    assert stored is not None
    assert stored.state is RequestState.PENDING


def test_unsettled_submissions_are_in_nonce_order_until_confirmed_or_dropped(
    store: Store,
) -> None:
    store.ingest(
        keys=[], requests=[_request(1), _request(2), _request(3)], blocks={}, next_block=12
    )
    hashes = {}
    for n, nonce in ((1, 5), (2, 3), (3, 4)):
        store.record_verdict(_id(n), True, "cryptography")
        hashes[n] = _signed(store, [n], nonce)
    assert [s.nonce for s in store.unsettled_submissions(VERIFIER)] == [3, 4, 5]
    store.record_dropped(hashes[2])
    store.record_mined(
        hashes[3],
        succeeded=False,
        block_number=13,
        block_hash=b"\x0d" * 32,
        gas_used=1,
        confirmed=True,
    )
    store.record_mined(
        hashes[1],
        succeeded=True,
        block_number=14,
        block_hash=b"\x0e" * 32,
        gas_used=1,
    )
    assert [s.nonce for s in store.unsettled_submissions(VERIFIER)] == [5]
    store.record_unmined(hashes[1])
    [back] = store.unsettled_submissions(VERIFIER)
    assert (back.state, back.block_number) == (SubmissionState.SIGNED, None)
    assert store.unsettled_submissions("0x" + "22" * 20) == []


def test_sends_are_counted_with_their_time(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    tx_hash = _signed(store, [1], nonce=0)
    assert store.record_sent(tx_hash) == 1
    assert store.record_sent(tx_hash) == 2
    [submission] = store.submissions(_id(1))
    assert submission.sends == 2
    assert submission.last_sent_at is not None


def test_security_events_are_stored_and_filtered(store: Store) -> None:
    from oracle.store.models import SecurityEventType, Severity

    first = store.add_security_event(
        SecurityEventType.REORG, Severity.WARNING, "blocks replaced", block_number=7
    )
    store.add_security_event(
        SecurityEventType.KEY_MISMATCH,
        Severity.CRITICAL,
        "swapped key",
        key_id=b"\x01" * 32,
        request_id=_id(3),
    )
    assert [e.type for e in store.security_events()] == [
        SecurityEventType.REORG,
        SecurityEventType.KEY_MISMATCH,
    ]
    [mismatch] = store.security_events(event_type=SecurityEventType.KEY_MISMATCH)
    assert (mismatch.severity, mismatch.request_id, mismatch.key_id) == (
        Severity.CRITICAL,
        _id(3),
        b"\x01" * 32,
    )
    later = first.created_at.replace(year=first.created_at.year + 1)
    assert store.security_events(since=later) == []


def test_reset_forgets_the_chain_but_keeps_the_binding_and_the_events(store: Store) -> None:
    from oracle.store.models import SecurityEventType, Severity

    store.ingest(keys=[_key()], requests=[_request(1)], blocks={11: b"\x0b" * 32}, next_block=12)
    store.add_security_event(SecurityEventType.CHAIN_RESET, Severity.WARNING, "reset")
    store.reset()
    assert store.next_block(default=3) == 3
    assert store.request(_id(1)) is None
    assert store.key(_key().key_id) is None
    assert store.ingested_blocks() == []
    assert len(store.security_events()) == 1
    with pytest.raises(StoreMismatchError):
        store.bind(1, VERIFIER)


def test_a_postgres_url_without_its_driver_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes the import fail as if the driver were not installed.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigError) as caught:
        Store.open("postgresql://oracle:hunter2@127.0.0.1:5432/oracle")
    message = str(caught.value)
    assert "pip install 'pq-signature-oracle[postgres]'" in message
    assert "hunter2" not in message
    assert "\n" not in message


def test_store_errors_carry_their_cause_but_never_the_password(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(f"sqlite:///{tmp_path / 'missing-dir' / 'store.db'}")
    assert "unable to open database file" in str(caught.value)
    with pytest.raises(ConfigError) as malformed:
        Store.open("postgresql://oracle:hunter2@127.0.0.1:notaport/oracle")
    assert "hunter2" not in str(malformed.value)


def test_two_handles_on_one_sqlite_file_do_not_fail_on_each_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first, second = Store.open(url), Store.open(url)
    first.bind(31337, VERIFIER)
    first.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    second.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    first.record_verdict(_id(1), True, "cryptography")
    with pytest.raises(StoreConflictError):
        second.record_verdict(_id(1), False, "cryptography")
