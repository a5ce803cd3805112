from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from oracle.errors import StoreError, StoreMismatchError
from oracle.store import IndexedKey, IndexedRequest, RequestState, Store, SubmissionState

VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _key(n: int = 1) -> IndexedKey:
    return IndexedKey(bytes([n]) * 32, 1, b"\x07" * 1312, VERIFIER, 10, b"\xaa" * 32)


def _request(request_id: int, block: int = 11) -> IndexedRequest:
    return IndexedRequest(
        request_id=request_id,
        key_id=bytes([1]) * 32,
        requester=VERIFIER,
        commitment=bytes([request_id]) * 32,
        message=b"message %d" % request_id,
        context=b"",
        signature=b"\x01" * 2420,
        block_number=block,
        tx_hash=bytes([request_id]) * 32,
        log_index=0,
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    opened.bind(31337, VERIFIER)
    return opened


def test_ingesting_a_window_twice_stores_each_log_once(store: Store) -> None:
    first = store.ingest(
        keys=[_key()], requests=[_request(1), _request(2)], finalised={}, next_block=20
    )
    again = store.ingest(
        keys=[_key()], requests=[_request(1), _request(2)], finalised={}, next_block=20
    )
    assert (first.new_keys, first.new_requests) == (1, 2)
    assert (again.new_keys, again.new_requests) == (0, 0)
    assert store.next_block(default=0) == 20
    assert store.counts()[RequestState.PENDING] == 2


def test_cursor_starts_at_the_default_and_survives_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url)
    assert store.next_block(default=7) == 7
    store.ingest(keys=[], requests=[], finalised={}, next_block=42)
    store.close()
    assert Store.open(url).next_block(default=7) == 42


def test_a_store_refuses_a_second_deployment(store: Store) -> None:
    store.bind(31337, VERIFIER.lower())
    with pytest.raises(StoreMismatchError, match="use another database"):
        store.bind(1, VERIFIER)
    with pytest.raises(StoreMismatchError):
        store.bind(31337, "0x" + "11" * 20)


def test_request_moves_through_verified_submitted_final(store: Store) -> None:
    store.ingest(keys=[_key()], requests=[_request(1)], finalised={}, next_block=12)
    store.record_verdict(1, True, "cryptography")
    store.record_signed(1, tx_hash=b"\x05" * 32, sender=VERIFIER, nonce=3, raw_tx=b"raw")
    assert store.open_submission(1) is not None
    store.record_mined(b"\x05" * 32, succeeded=True, block_number=13, gas_used=50_000)
    store.mark_final(1, "valid")
    stored = store.request(1)
    assert stored is not None
    assert (stored.state, stored.verdict, stored.final_status) == (
        RequestState.FINAL,
        True,
        "valid",
    )
    assert [s.state for s in store.submissions(1)] == [SubmissionState.MINED]
    assert store.open_submission(1) is None


def test_a_transition_from_the_wrong_state_is_refused(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], finalised={}, next_block=12)
    store.record_verdict(1, False, "cryptography")
    with pytest.raises(StoreError, match="request 1 is not pending"):
        store.record_verdict(1, True, "cryptography")
    with pytest.raises(StoreError, match="not submitted"):
        store.retry(1, "nothing was sent")
    with pytest.raises(StoreError, match="request 99 is not verified"):
        store.record_signed(99, tx_hash=b"\x01" * 32, sender=VERIFIER, nonce=0, raw_tx=b"x")
    assert store.submissions(99) == []


def test_retry_sends_a_submitted_request_back_for_a_new_transaction(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1)], finalised={}, next_block=12)
    store.record_verdict(1, True, "cryptography")
    store.record_signed(1, tx_hash=b"\x05" * 32, sender=VERIFIER, nonce=3, raw_tx=b"raw")
    store.record_dropped(b"\x05" * 32)
    store.retry(1, "nonce taken by another transaction")
    stored = store.request(1)
    assert stored is not None
    assert stored.state is RequestState.VERIFIED
    assert stored.note == "nonce taken by another transaction"


def test_finalised_logs_close_requests_in_any_state(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(1), _request(2)], finalised={}, next_block=12)
    result = store.ingest(keys=[], requests=[], finalised={1: "invalid", 5: "valid"}, next_block=13)
    assert result.finalised == 1
    stored = store.request(1)
    assert stored is not None
    assert (stored.state, stored.final_status) == (RequestState.FINAL, "invalid")


def test_rejected_requests_keep_their_reason(store: Store) -> None:
    store.ingest(keys=[], requests=[_request(3)], finalised={}, next_block=12)
    store.reject(3, "payload does not match its commitment")
    assert [r.request.request_id for r in store.requests_in(RequestState.REJECTED)] == [3]
    stored = store.request(3)
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
