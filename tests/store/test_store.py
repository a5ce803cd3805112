"""The daemon's store (schema 5): requests by their 32-byte ids, vote transactions carrying many
votes and what the contract made of each, reorg rewinds, security events, SQLite and PostgreSQL
URLs. The `store` and `store_url` fixtures (tests/store/conftest.py) run each behaviour on a SQLite
file and on a real PostgreSQL database."""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, event, text

from oracle.domain import Key, Request, Status
from oracle.errors import ConfigError, StoreConflictError, StoreError, StoreMismatchError
from oracle.store import RequestState, Store, SubmissionState
from oracle.store.models import SecurityEventType, Severity
from oracle.types import Commitment, KeyId, RequestId, TxHash
from tests.postgres import PostgresCluster
from tests.store.conftest import VERIFIER, raw_engine

T = TypeVar("T")


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


def test_cursor_starts_at_the_default_and_survives_reopening(store_url: str) -> None:
    store = Store.open(store_url)
    assert store.next_block(default=7) == 7
    store.ingest(keys=[], requests=[], blocks={}, next_block=42)
    store.close()
    reopened = Store.open(store_url)
    assert reopened.next_block(default=7) == 42
    reopened.close()


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


def test_a_store_of_another_schema_version_is_refused(store_url: str) -> None:
    first = Store.open(store_url)
    first.bind(1, VERIFIER)
    first.close()
    engine = raw_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE meta SET schema_version = 999"))
    engine.dispose()
    with pytest.raises(StoreError, match="schema version 999"):
        Store.open(store_url)


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


def test_only_what_the_chain_gives_back_commits_without_waiting_for_the_disk(
    store_url: str,
) -> None:
    # Logs, claims, verdicts, sends, receipts and finality are read again from the chain after
    # a power cut; a signed transaction is durable before its broadcast, and so is the rest.
    postgres = store_url.startswith("postgresql")
    if postgres:  # the test cluster waits for no commit (oracle.devdb); this database does
        engine = raw_engine(store_url)
        with engine.begin() as connection:
            database = connection.exec_driver_sql("SELECT current_database()").scalar()
            connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET synchronous_commit = on')
        engine.dispose()
    store = Store.open(store_url)
    store.bind(31337, VERIFIER)
    levels: list[str] = []

    def at_commit(connection: Connection) -> None:
        if postgres:
            level = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
        else:
            level = {1: "off", 2: "on"}[connection.exec_driver_sql("PRAGMA synchronous").scalar()]
        levels.append(str(level))

    asked: list[str] = []

    def before(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        asked.append(statement)

    event.listen(store._engine, "commit", at_commit)
    event.listen(store._engine, "before_cursor_execute", before)
    try:
        store.ingest(keys=[], requests=[_request(1), _request(2)], blocks={}, next_block=12)
        [claimed, _] = store.claim_pending("replica", limit=2)
        store.record_verdicts([(claimed.request.request_id, True)], "cryptography")
        tx_hash = _signed(store, [1], 0)
        store.record_sent(tx_hash)
        store.add_security_event(SecurityEventType.REORG, Severity.WARNING, "blocks replaced")
        store.mark_finals([(_id(1), Status.VALID)], 13)
        assert store.counts()[RequestState.FINAL] == 1
    finally:
        event.remove(store._engine, "commit", at_commit)
        event.remove(store._engine, "before_cursor_execute", before)
        store.close()
    if postgres:  # asked once for each of the five transactions that need not wait
        assert sum("SET LOCAL synchronous_commit" in statement for statement in asked) == 5
    # ingest, claim, verdicts: not waited for; the signed vote: waited for; its send: not;
    # the security event: waited for; finality: not (then a read).
    assert levels[:7] == ["off", "off", "off", "on", "off", "on", "off"]


def test_on_a_postgresql_server_that_waits_for_no_commit_no_transaction_asks_not_to(
    postgres_url: str,
) -> None:
    # The test cluster's default (oracle.devdb): `SET LOCAL` would only cost a round trip.
    store = Store.open(postgres_url)
    store.bind(31337, VERIFIER)
    asked: list[str] = []

    def before(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        asked.append(statement)

    event.listen(store._engine, "before_cursor_execute", before)
    try:
        store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
        assert [c.request.request_id for c in store.claim_pending("replica")] == [_id(1)]
    finally:
        event.remove(store._engine, "before_cursor_execute", before)
        store.close()
    assert asked
    assert not [statement for statement in asked if "synchronous_commit" in statement]


def test_verified_requests_come_oldest_first_with_those_a_vote_transaction_carries(
    store: Store,
) -> None:
    store.ingest(
        keys=[], requests=[_request(1), _request(2), _request(3)], blocks={}, next_block=12
    )
    for n in (1, 2, 3):
        store.record_verdict(_id(n), n != 2, "cryptography")
    # Request 2's vote transaction is open when it is put back to be voted on again.
    tx_hash = _signed(store, [2], nonce=0)
    store.retry(_id(2), "its vote did not count")
    batch, in_flight = store.verified_batch()
    assert [s.request.request_id for s in batch] == [_id(1), _id(2), _id(3)]
    assert [s.verdict for s in batch] == [True, False, True]
    assert batch == [store.request(_id(n)) for n in (1, 2, 3)]
    assert in_flight == {_id(2)}
    assert store.verified_batch(limit=1) == ([batch[0]], set())
    store.record_dropped(tx_hash)
    assert store.verified_batch() == (batch, set())


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
    assert store.highest_unsettled_nonce(VERIFIER) == 5
    assert store.unsettled_counts(VERIFIER) == {"signed": 3, "sent": 0, "mined": 0}
    store.record_sent(hashes[1])
    assert store.unsettled_counts(VERIFIER) == {"signed": 2, "sent": 1, "mined": 0}
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
    assert store.highest_unsettled_nonce(VERIFIER) == 5
    assert store.unsettled_counts(VERIFIER) == {"signed": 0, "sent": 0, "mined": 1}
    store.record_unmined(hashes[1])
    [back] = store.unsettled_submissions(VERIFIER)
    assert (back.state, back.block_number) == (SubmissionState.SIGNED, None)
    assert store.unsettled_counts(VERIFIER) == {"signed": 0, "sent": 1, "mined": 0}
    assert store.unsettled_submissions("0x" + "22" * 20) == []
    assert store.unsettled_counts("0x" + "22" * 20) == {"signed": 0, "sent": 0, "mined": 0}
    assert store.highest_unsettled_nonce("0x" + "22" * 20) == -1
    # The highest one dropped too: none left, whatever nonces the settled ones had.
    store.record_dropped(hashes[1])
    assert store.unsettled_submissions(VERIFIER) == []
    assert store.highest_unsettled_nonce(VERIFIER) == -1
    assert store.unsettled_counts(VERIFIER) == {"signed": 0, "sent": 0, "mined": 0}


def test_sends_are_counted_with_their_time(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    tx_hash = _signed(store, [1], nonce=0)
    assert store.record_sent(tx_hash) == 1
    assert store.record_sent(tx_hash) == 2
    [submission] = store.submissions(_id(1))
    assert submission.sends == 2
    assert submission.last_sent_at is not None


def test_the_first_send_sets_the_sent_block_and_later_ones_keep_it(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    tx_hash = _signed(store, [1], nonce=0)
    store.record_send_attempt(tx_hash, 20)  # refused by the node: the wait starts all the same
    assert store.record_sent(tx_hash, block=25) == 1
    store.record_sent(tx_hash, block=30)
    [submission] = store.submissions(_id(1))
    assert (submission.sent_block, submission.sends) == (20, 2)


def test_a_replacement_is_a_new_version_of_the_nonce_with_the_same_votes(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1), _request(2)], blocks={}, next_block=12)
    for n in (1, 2):
        store.record_verdict(_id(n), n == 1, "cryptography")
    store.record_signed(
        votes=[(_id(1), True), (_id(2), False)],
        tx_hash=b"\x41" * 32,
        sender=VERIFIER,
        nonce=7,
        raw_tx=b"first",
    )
    store.record_sent(b"\x41" * 32, block=40)
    store.record_replacement(b"\x41" * 32, tx_hash=b"\x42" * 32, raw_tx=b"second")
    first, second = store.submissions(_id(2))
    assert (second.tx_hash, second.nonce, second.sender) == (b"\x42" * 32, 7, VERIFIER)
    assert second.votes == first.votes == ((_id(1), True), (_id(2), False))
    assert (second.state, second.sends, second.sent_block) == (SubmissionState.SIGNED, 0, None)
    assert second.raw_tx == b"second"
    # Both versions stay open until the chain shows which one spent the nonce.
    assert [s.tx_hash for s in store.unsettled_submissions(VERIFIER)] == [
        b"\x41" * 32,
        b"\x42" * 32,
    ]
    assert store.open_submission(_id(1)) == second
    # The requests stay submitted: no new vote is signed for them.
    stored = store.request(_id(1))
    assert stored is not None
    assert stored.state is RequestState.SUBMITTED


def test_only_the_newest_signed_version_of_a_nonce_can_be_replaced(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    tx_hash = _signed(store, [1], nonce=0)
    store.record_replacement(tx_hash, tx_hash=b"\x51" * 32, raw_tx=b"second")
    with pytest.raises(StoreConflictError, match="has a newer version already"):
        store.record_replacement(tx_hash, tx_hash=b"\x52" * 32, raw_tx=b"third")
    store.record_mined(
        b"\x51" * 32, succeeded=True, block_number=13, block_hash=b"\x0d" * 32, gas_used=1
    )
    with pytest.raises(StoreConflictError, match="not a signed transaction to replace"):
        store.record_replacement(b"\x51" * 32, tx_hash=b"\x53" * 32, raw_tx=b"third")
    with pytest.raises(StoreConflictError, match="not a signed transaction to replace"):
        store.record_replacement(b"\x99" * 32, tx_hash=b"\x53" * 32, raw_tx=b"third")
    assert len(store.submissions(_id(1))) == 2


def test_the_fee_cap_is_recorded_once_per_submission(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    tx_hash = _signed(store, [1], nonce=0)
    assert store.record_fee_capped(tx_hash) is True
    assert store.record_fee_capped(tx_hash) is False
    [submission] = store.submissions(_id(1))
    assert submission.fee_capped


def test_a_rewind_restarts_the_replacement_wait_of_a_transaction_it_unmines(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    store.record_verdict(_id(1), True, "cryptography")
    tx_hash = _signed(store, [1], nonce=0)
    store.record_sent(tx_hash, block=12)
    store.record_mined(
        tx_hash, succeeded=True, block_number=14, block_hash=b"\x0e" * 32, gas_used=1
    )
    store.rewind(13)
    [back] = store.submissions(_id(1))
    assert (back.state, back.sent_block, back.last_sent_at) == (SubmissionState.SIGNED, None, None)


def test_security_events_are_stored_and_filtered(store: Store) -> None:
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


@pytest.mark.integration
def test_postgres_errors_carry_their_cause_but_never_the_password(
    postgres_cluster: PostgresCluster,
) -> None:
    wrong = postgres_cluster.url().replace(postgres_cluster.password, "hunter2-wrong")
    with pytest.raises(StoreError) as refused:
        Store.open(wrong)
    assert "password authentication failed" in str(refused.value)
    assert "hunter2-wrong" not in str(refused.value)
    with pytest.raises(StoreError) as absent:
        Store.open(postgres_cluster.url("no_such_database"))
    assert 'database "no_such_database" does not exist' in str(absent.value)
    assert postgres_cluster.password not in str(absent.value)
    assert "\n" not in str(absent.value)


def test_two_handles_on_one_database_do_not_fail_on_each_other(store_url: str) -> None:
    first, second = Store.open(store_url), Store.open(store_url)
    first.bind(31337, VERIFIER)
    first.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    second.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    first.record_verdict(_id(1), True, "cryptography")
    with pytest.raises(StoreConflictError):
        second.record_verdict(_id(1), False, "cryptography")
    first.close()
    second.close()


def test_security_events_filter_by_since_type_and_limit_together(store: Store) -> None:
    from oracle.store.models import SecurityEventType, Severity

    for n in range(5):
        kind = SecurityEventType.REORG if n % 2 == 0 else SecurityEventType.AUTH_REFUSED
        store.add_security_event(kind, Severity.WARNING, f"event {n}", block_number=n)
    everything = store.security_events()
    assert [e.detail for e in everything] == [f"event {n}" for n in range(5)]
    assert [e.detail for e in store.security_events(limit=2)] == ["event 0", "event 1"]
    reorgs = store.security_events(event_type=SecurityEventType.REORG, limit=2)
    assert [e.block_number for e in reorgs] == [0, 2]
    since = store.security_events(since=everything[0].created_at, limit=3)
    assert [e.detail for e in since] == ["event 0", "event 1", "event 2"]


def test_event_times_are_utc_and_since_compares_instants_in_any_zone(store: Store) -> None:
    from oracle.store.models import SecurityEventType, Severity

    event = store.add_security_event(SecurityEventType.REORG, Severity.WARNING, "replaced")
    [stored] = store.security_events()
    assert stored.created_at == event.created_at
    assert stored.created_at.utcoffset() == timedelta(0)
    moment = stored.created_at
    east = timezone(timedelta(hours=5))
    west = timezone(timedelta(hours=-7))
    # The same instant written in another zone: the wall clock differs, the time does not.
    assert store.security_events(since=(moment - timedelta(seconds=1)).astimezone(east)) == [stored]
    assert store.security_events(since=(moment + timedelta(seconds=1)).astimezone(west)) == []
    assert store.security_events(since=(moment + timedelta(hours=2)).astimezone(east)) == []
    # A time without a zone is UTC.
    naive = (moment - timedelta(seconds=1)).replace(tzinfo=None)
    assert store.security_events(since=naive) == [stored]
    assert store.security_events(since=naive + timedelta(seconds=2)) == []


def test_record_event_stores_what_it_logs(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from oracle.security import event_as_json, record_event
    from oracle.store.models import SecurityEventType, Severity

    with caplog.at_level(logging.WARNING, logger="oracle.security"):
        event = record_event(
            store,
            SecurityEventType.VERDICT_DISAGREEMENT,
            "the chain says valid",
            request_id=_id(4),
            tx_hash=b"\x09" * 32,
            block_number=2**40,
        )
    assert event.severity is Severity.CRITICAL
    [stored] = store.security_events(event_type=SecurityEventType.VERDICT_DISAGREEMENT)
    assert stored == event
    as_json = event_as_json(stored)
    assert as_json["request_id"] == "0x" + _id(4).hex()
    assert as_json["block"] == 2**40
    assert str(as_json["time"]).endswith("+00:00")
    assert [r.getMessage() for r in caplog.records] == ["security event: the chain says valid"]


def test_bytes_and_large_numbers_come_back_exactly(store: Store) -> None:
    every_byte = bytes(range(256))
    request = dataclasses.replace(
        _request(1, block=2**62),
        nonce=2**256 - 1,
        fee=2**96 - 1,
        callback_gas_limit=2**32,
        deadline=2**63 - 1,
        message=every_byte * 4,
        context=b"\x00" * 255,
        signature=b"\xff" * 4627,
        block_hash=b"\x00" * 32,
    )
    key = dataclasses.replace(_key(), public_key=every_byte * 10 + b"\x00" * 32)
    store.ingest(keys=[key], requests=[request], blocks={2**62: b"\x00" * 32}, next_block=2**62)
    stored = store.request(_id(1))
    assert stored is not None
    assert stored.request == request
    assert all(
        type(value) is bytes
        for value in (stored.request.message, stored.request.context, stored.request.signature)
    )
    assert store.key(key.key_id) == key
    assert store.ingested_blocks() == [(2**62, b"\x00" * 32)]
    # An empty context is stored as empty bytes, not as NULL.
    store.ingest(keys=[], requests=[_request(2)], blocks={}, next_block=2**62)
    second = store.request(_id(2))
    assert second is not None
    assert second.request.context == b""


def test_sends_of_one_transaction_from_two_handles_are_all_counted(store_url: str) -> None:
    first, second = Store.open(store_url), Store.open(store_url)
    first.bind(31337, VERIFIER)
    first.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    first.record_verdict(_id(1), True, "cryptography")
    tx_hash = _signed(first, [1], nonce=0)
    counted: list[int] = []
    rounds = 40

    def send(handle: Store) -> None:
        counted.extend(handle.record_sent(tx_hash) for _ in range(rounds))

    _in_threads(send, [first, second])
    [submission] = first.submissions(_id(1))
    assert submission.sends == 2 * rounds
    assert sorted(counted) == list(range(1, 2 * rounds + 1))
    first.close()
    second.close()


def test_two_handles_ingesting_the_same_windows_at_once_store_each_log_once(
    store_url: str,
) -> None:
    handles = [Store.open(store_url) for _ in range(3)]
    handles[0].bind(31337, VERIFIER)
    windows = [[_request(n) for n in range(start, start + 4)] for start in range(1, 41, 4)]
    results: list[object] = []

    def ingest(handle: Store) -> None:
        for window in windows:
            results.append(handle.ingest(keys=[_key()], requests=window, blocks={}, next_block=12))

    _in_threads(ingest, handles)
    assert len(results) == 3 * len(windows)
    stored = handles[0].requests_in(RequestState.PENDING, limit=100)
    assert sorted(r.request.request_id for r in stored) == [_id(n) for n in range(1, 41)]
    # Arrival order stays a strict order: no two requests share a sequence number.
    engine = raw_engine(store_url)
    with engine.connect() as connection:
        seqs = [row[0] for row in connection.execute(text("SELECT seq FROM requests"))]
    engine.dispose()
    assert sorted(seqs) == list(range(1, 41))
    for handle in handles:
        handle.close()


def test_racing_verdicts_from_two_handles_move_a_request_once(store_url: str) -> None:
    first, second = Store.open(store_url), Store.open(store_url)
    first.bind(31337, VERIFIER)
    first.ingest(keys=[], requests=[_request(n) for n in range(1, 21)], blocks={}, next_block=12)
    wins: list[tuple[int, bool]] = []
    losses: list[int] = []

    def decide(handle: Store) -> None:
        verdict = handle is first
        for n in range(1, 21):
            try:
                handle.record_verdict(_id(n), verdict, "cryptography")
            except StoreConflictError:
                losses.append(n)
            else:
                wins.append((n, verdict))

    _in_threads(decide, [first, second])
    assert sorted(n for n, _ in wins) == list(range(1, 21))
    assert sorted(losses) == list(range(1, 21))
    for n, verdict in wins:
        stored = first.request(_id(n))
        assert stored is not None
        assert (stored.state, stored.verdict) == (RequestState.VERIFIED, verdict)
    first.close()
    second.close()


def test_an_ingest_waits_for_another_handles_chain_write_then_proceeds(store_url: str) -> None:
    first, second = Store.open(store_url), Store.open(store_url)
    first.bind(31337, VERIFIER)
    held = 0.5
    waited: list[float] = []

    def write() -> None:
        started = time.monotonic()
        second.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
        waited.append(time.monotonic() - started)

    with first._session() as session:
        # A chain write in progress (ingest, rewind, reset): SQLite's BEGIN IMMEDIATE holds the
        # whole file, PostgreSQL the chain lock only.
        first._lock_chain(session)
        session.execute(text("SELECT 1"))
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(held)
    writer.join(timeout=30)
    assert not writer.is_alive()
    assert waited
    assert waited[0] >= held * 0.8
    assert first.counts()[RequestState.PENDING] == 1
    first.close()
    second.close()


def test_a_writer_that_waits_too_long_reports_the_store_busy(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import oracle.store.store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.2)
    first, second = Store.open(store_url), Store.open(store_url)
    first.bind(31337, VERIFIER)
    with first._session() as session:
        first._lock_chain(session)
        session.execute(text("SELECT 1"))
        started = time.monotonic()
        with pytest.raises(StoreConflictError, match="busy"):
            second.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
        assert time.monotonic() - started < 10
    second.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    assert second.counts()[RequestState.PENDING] == 1
    first.close()
    second.close()


def test_stores_opened_at_once_on_an_empty_database_create_its_tables_once(
    store_url: str,
) -> None:
    opened: list[Store] = []
    _in_threads(lambda _: opened.append(Store.open(store_url)), range(4))
    assert len(opened) == 4
    opened[0].bind(31337, VERIFIER)
    opened[3].ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    assert opened[1].counts()[RequestState.PENDING] == 1
    for handle in opened:
        handle.close()


def _in_threads(work: Callable[[T], None], handles: Sequence[T]) -> None:
    """Run `work` on each handle in its own thread at once; re-raise the first failure."""
    failures: list[BaseException] = []
    start = threading.Barrier(len(handles), timeout=30)

    def run(handle: T) -> None:
        try:
            start.wait()
            work(handle)
        except BaseException as err:  # reported to the test below
            failures.append(err)

    threads = [threading.Thread(target=run, args=(handle,)) for handle in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a store call hung"
    if failures:
        raise failures[0]


def test_replicas_claim_disjoint_pending_requests_oldest_first(postgres_url: str) -> None:
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    first.bind(31337, VERIFIER)
    first.ingest(keys=[], requests=[_request(n) for n in range(1, 9)], blocks={}, next_block=12)
    mine = first.claim_pending("replica-a", limit=5, lease=30)
    theirs = second.claim_pending("replica-b", limit=5, lease=30)
    assert [s.request.request_id for s in mine] == [_id(n) for n in range(1, 6)]
    assert [s.request.request_id for s in theirs] == [_id(n) for n in range(6, 9)]
    # A replica's own claims come back to it (a restart with the same replica id).
    again = first.claim_pending("replica-a", limit=10, lease=30)
    assert [s.request.request_id for s in again] == [_id(n) for n in range(1, 6)]
    moved = second.record_verdicts([(_id(n), True) for n in range(1, 9)], "x", owner="replica-b")
    assert moved == [_id(n) for n in range(6, 9)]
    assert first.counts()[RequestState.PENDING] == 5
    first.close()
    second.close()


def test_a_dead_replicas_claims_pass_to_another_after_the_lease(postgres_url: str) -> None:
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    first.bind(31337, VERIFIER)
    first.ingest(keys=[], requests=[_request(1), _request(2)], blocks={}, next_block=12)
    assert len(first.claim_pending("replica-a", limit=10, lease=0.5)) == 2
    assert second.claim_pending("replica-b", limit=10, lease=30) == []
    time.sleep(0.7)
    taken = second.claim_pending("replica-b", limit=10, lease=30)
    assert [s.request.request_id for s in taken] == [_id(1), _id(2)]
    # The first replica, back too late, records nothing over the new claims.
    assert first.record_verdicts([(_id(1), False)], "x", owner="replica-a") == []
    assert second.record_verdicts([(_id(1), True)], "x", owner="replica-b") == [_id(1)]
    stored = first.request(_id(1))
    assert stored is not None
    assert (stored.state, stored.verdict) == (RequestState.VERIFIED, True)
    first.close()
    second.close()


def test_a_restarted_daemon_on_sqlite_takes_its_previous_runs_claims_at_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    before = Store.open(url)
    before.bind(31337, VERIFIER)
    before.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    assert len(before.claim_pending("host:100", limit=10, lease=3600)) == 1
    before.close()
    after = Store.open(url)  # one process per file: the new pid need not wait for the lease
    [claimed] = after.claim_pending("host:200", limit=10, lease=3600)
    assert after.record_verdicts([(claimed.request.request_id, True)], "x", owner="host:200")
    after.close()


def test_three_replicas_claiming_at_once_verify_each_request_once(store_url: str) -> None:
    handles = [Store.open(store_url) for _ in range(3)]
    handles[0].bind(31337, VERIFIER)
    handles[0].ingest(
        keys=[], requests=[_request(n) for n in range(1, 61)], blocks={}, next_block=12
    )
    recorded: list[tuple[str, bytes]] = []

    def verify(handle: Store) -> None:
        owner = f"replica-{handles.index(handle)}"
        for _ in range(100):
            batch = handle.claim_pending(owner, limit=4, lease=30)
            if not batch:
                return
            ids = [(s.request.request_id, True) for s in batch]
            recorded.extend(
                (owner, moved) for moved in handle.record_verdicts(ids, "x", owner=owner)
            )

    _in_threads(verify, handles)
    assert sorted(rid for _, rid in recorded) == [_id(n) for n in range(1, 61)]
    assert handles[0].counts()[RequestState.VERIFIED] == 60
    for handle in handles:
        handle.close()


def test_a_verdict_does_not_wait_for_a_chain_write_on_postgres(postgres_url: str) -> None:
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    first.bind(31337, VERIFIER)
    first.ingest(keys=[], requests=[_request(1)], blocks={}, next_block=12)
    assert len(second.claim_pending("replica-b", limit=1, lease=30)) == 1
    with first._session() as session:
        first._lock_chain(session)
        started = time.monotonic()
        assert second.record_verdicts([(_id(1), True)], "x", owner="replica-b") == [_id(1)]
        assert time.monotonic() - started < 1.0
    first.close()
    second.close()


def test_one_handle_at_a_time_holds_the_operator_lock(postgres_url: str) -> None:
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    a, b = first.operator_lock(VERIFIER), second.operator_lock(VERIFIER.lower())
    other_operator = second.operator_lock("0x" + "11" * 20)
    assert a.acquire()
    assert a.acquire()  # still held: the connection answers
    assert not b.acquire()
    assert other_operator.acquire()  # another operator's lock is its own
    a.release()
    assert b.acquire()
    assert not a.acquire()
    # The holder's connection dies (a killed process): the server frees the lock at once.
    engine = raw_engine(postgres_url)
    with engine.begin() as connection:
        killed = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
            ),
            {"high": (b.key >> 32) & 0xFFFFFFFF, "low": b.key & 0xFFFFFFFF},
        ).all()
    engine.dispose()
    assert len(killed) == 1
    assert not b.acquire()  # it notices, and does not claim to hold it
    assert a.acquire()
    first.close()  # releases the locks it handed out
    assert b.acquire()
    second.close()


def test_the_operator_lock_is_always_held_on_sqlite(tmp_path: Path) -> None:
    first = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    second = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    assert first.operator_lock(VERIFIER).acquire()
    assert second.operator_lock(VERIFIER).acquire()
    first.close()
    second.close()


def test_batch_reads_match_the_per_request_reads(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(n) for n in (1, 2, 3, 4)], blocks={}, next_block=12)
    for n in (1, 2, 3):
        store.record_verdict(_id(n), True, "cryptography")
    first = _signed(store, [1, 2], nonce=0)
    store.record_mined(
        first,
        succeeded=True,
        block_number=13,
        block_hash=b"\x01" * 32,
        gas_used=1,
        confirmed=True,
        outcomes={_id(1): "counted", _id(2): "skipped: not_pending"},
    )
    store.retry(_id(2), "its vote did not count")
    second = _signed(store, [2, 3], nonce=1)
    store.record_outcomes(second, {_id(2): "counted"})
    ids = [_id(n) for n in (1, 2, 3, 4, 9)]
    found = store.requests(ids)
    assert set(found) == {_id(n) for n in (1, 2, 3, 4)}
    assert found == {rid: store.request(rid) for rid in found}
    # Request 1's transaction is confirmed; 2 and 3 ride in the open second one.
    assert store.open_submissions(ids) == {_id(2), _id(3)}
    assert {rid for rid in ids if store.open_submission(rid) is not None} == {_id(2), _id(3)}
    # The newest transaction that was not dropped has the last word.
    assert store.last_outcomes(ids) == {
        _id(1): "counted",
        _id(2): "counted",
        _id(3): None,
        _id(4): None,
        _id(9): None,
    }
    store.record_dropped(second)
    assert store.last_outcomes([_id(2), _id(3)]) == {_id(2): "skipped: not_pending", _id(3): None}
    assert store.requests([]) == {}
    assert store.open_submissions([]) == set()
