"""The daemon's persistent state behind one small API; every state change is one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from oracle.errors import StoreError, StoreMismatchError
from oracle.store.models import (
    SCHEMA_VERSION,
    Base,
    Cursor,
    KeyRecord,
    Meta,
    RequestRecord,
    RequestState,
    Submission,
    SubmissionState,
)

_LOG_CURSOR = "logs"


@dataclass(frozen=True, slots=True)
class IndexedKey:
    """A `KeyRegistered` log, as stored."""

    key_id: bytes
    algorithm_id: int
    public_key: bytes
    registrant: str
    block_number: int
    tx_hash: bytes


@dataclass(frozen=True, slots=True)
class IndexedRequest:
    """A `VerificationRequested` log, as stored."""

    request_id: int
    key_id: bytes
    requester: str
    commitment: bytes
    message: bytes
    context: bytes
    signature: bytes
    block_number: int
    tx_hash: bytes
    log_index: int


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request with what the daemon decided about it."""

    request: IndexedRequest
    state: RequestState
    verdict: bool | None
    final_status: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class StoredSubmission:
    """A signed fulfilment transaction."""

    request_id: int
    tx_hash: bytes
    sender: str
    nonce: int
    raw_tx: bytes
    state: SubmissionState


@dataclass(frozen=True, slots=True)
class IngestResult:
    """How many logs of a window were new to the store."""

    new_keys: int
    new_requests: int
    finalised: int


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _indexed(row: RequestRecord) -> IndexedRequest:
    return IndexedRequest(
        request_id=row.request_id,
        key_id=row.key_id,
        requester=row.requester,
        commitment=row.commitment,
        message=row.message,
        context=row.context,
        signature=row.signature,
        block_number=row.block_number,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
    )


def _stored(row: RequestRecord) -> StoredRequest:
    return StoredRequest(_indexed(row), row.state, row.verdict, row.final_status, row.note)


def _submission(row: Submission) -> StoredSubmission:
    return StoredSubmission(
        row.request_id, row.tx_hash, row.sender, row.nonce, row.raw_tx, row.state
    )


class Store:
    """Keys, requests, verdicts, submissions and the log cursor of one deployment."""

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine whose tables exist; use `Store.open` to create them."""
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` (SQLite file by default, PostgreSQL too) and create missing tables.

        Raises:
            StoreError: the database cannot be opened, or was written by another schema version.
        """
        try:
            engine = create_engine(url)
        except (SQLAlchemyError, ValueError) as err:
            raise StoreError(f"cannot open the store: {err.__class__.__name__}") from err
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        try:
            Base.metadata.create_all(engine)
        except SQLAlchemyError as err:
            raise StoreError(f"cannot create the store's tables: {err.__class__.__name__}") from err
        store = cls(engine)
        with store._session() as session:
            meta = session.get(Meta, 1)
            if meta is not None and meta.schema_version != SCHEMA_VERSION:
                raise StoreError(
                    f"the store has schema version {meta.schema_version}; this version of "
                    f"pqoracle reads version {SCHEMA_VERSION}"
                )
        return store

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as err:
            raise StoreError(f"store operation failed: {err.__class__.__name__}: {err}") from err

    # --- deployment ----------------------------------------------------------------------------

    def bind(self, chain_id: int, verifier: str) -> None:
        """Tie the store to one deployment on first use; refuse another deployment afterwards.

        Raises:
            StoreMismatchError: the store follows another chain or contract.
        """
        with self._session() as session:
            meta = session.get(Meta, 1)
            if meta is None:
                session.add(
                    Meta(id=1, schema_version=SCHEMA_VERSION, chain_id=chain_id, verifier=verifier)
                )
                return
            if meta.chain_id != chain_id or meta.verifier.lower() != verifier.lower():
                raise StoreMismatchError(
                    f"this store follows verifier {meta.verifier} on chain {meta.chain_id}, "
                    f"not {verifier} on chain {chain_id}; use another database"
                )

    # --- log cursor ------------------------------------------------------------------------------

    def next_block(self, default: int) -> int:
        """The first block not yet ingested (`default` before the first window)."""
        with self._session() as session:
            cursor = session.get(Cursor, _LOG_CURSOR)
            return default if cursor is None else cursor.next_block

    def ingest(
        self,
        *,
        keys: Iterable[IndexedKey],
        requests: Iterable[IndexedRequest],
        finalised: Mapping[int, str],
        next_block: int,
    ) -> IngestResult:
        """Store one block window's logs and advance the cursor, all or nothing.

        Logs already stored are skipped, so re-reading a window changes nothing. `finalised`
        maps request ids the contract reports final to "valid"/"invalid".
        """
        new_keys = new_requests = finalised_count = 0
        with self._session() as session:
            for key in keys:
                if session.get(KeyRecord, key.key_id) is None:
                    session.add(KeyRecord(**_fields(key)))
                    new_keys += 1
            for request in requests:
                if session.get(RequestRecord, request.request_id) is None:
                    session.add(RequestRecord(**_fields(request), state=RequestState.PENDING))
                    new_requests += 1
            session.flush()
            for request_id, status in finalised.items():
                row = session.get(RequestRecord, request_id)
                if row is not None and row.state != RequestState.FINAL:
                    row.state = RequestState.FINAL
                    row.final_status = status
                    finalised_count += 1
            cursor = session.get(Cursor, _LOG_CURSOR)
            if cursor is None:
                session.add(Cursor(name=_LOG_CURSOR, next_block=next_block))
            else:
                cursor.next_block = next_block
        return IngestResult(new_keys, new_requests, finalised_count)

    # --- reading -------------------------------------------------------------------------------

    def key(self, key_id: bytes) -> IndexedKey | None:
        """A registered key, or None if no `KeyRegistered` log for it was ingested."""
        with self._session() as session:
            row = session.get(KeyRecord, key_id)
            if row is None:
                return None
            return IndexedKey(
                row.key_id,
                row.algorithm_id,
                row.public_key,
                row.registrant,
                row.block_number,
                row.tx_hash,
            )

    def request(self, request_id: int) -> StoredRequest | None:
        """One request with its verdict and state."""
        with self._session() as session:
            row = session.get(RequestRecord, request_id)
            return None if row is None else _stored(row)

    def requests_in(self, state: RequestState, limit: int = 100) -> list[StoredRequest]:
        """Up to `limit` requests in `state`, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                select(RequestRecord)
                .where(RequestRecord.state == state)
                .order_by(RequestRecord.request_id)
                .limit(limit)
            )
            return [_stored(row) for row in rows]

    def counts(self) -> dict[RequestState, int]:
        """How many requests are in each state."""
        with self._session() as session:
            rows = session.execute(
                select(RequestRecord.state, func.count()).group_by(RequestRecord.state)
            )
            counted = Counter({state: int(count) for state, count in rows})
        return {state: counted.get(state, 0) for state in RequestState}

    def submissions(self, request_id: int) -> list[StoredSubmission]:
        """Every fulfilment transaction signed for a request, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                select(Submission)
                .where(Submission.request_id == request_id)
                .order_by(Submission.id)
            )
            return [_submission(row) for row in rows]

    def open_submission(self, request_id: int) -> StoredSubmission | None:
        """The signed, not yet settled, fulfilment transaction of a request."""
        with self._session() as session:
            row = session.scalars(
                select(Submission).where(
                    Submission.request_id == request_id,
                    Submission.state == SubmissionState.SIGNED,
                )
            ).first()
            return None if row is None else _submission(row)

    # --- state transitions -----------------------------------------------------------------------

    def record_verdict(self, request_id: int, verdict: bool, backend: str) -> None:
        """pending → verified, with the verdict and the backend that computed it.

        Raises:
            StoreError: the request is not pending (another worker moved it).
        """
        self._transition(
            request_id,
            RequestState.PENDING,
            state=RequestState.VERIFIED,
            verdict=verdict,
            backend=backend,
        )

    def reject(self, request_id: int, reason: str) -> None:
        """pending or verified → rejected: this oracle will never fulfil the request.

        Raises:
            StoreError: the request is in neither state.
        """
        with self._session() as session:
            result = session.execute(
                update(RequestRecord)
                .where(
                    RequestRecord.request_id == request_id,
                    RequestRecord.state.in_((RequestState.PENDING, RequestState.VERIFIED)),
                )
                .values(state=RequestState.REJECTED, note=reason)
            )
            if getattr(result, "rowcount", 0) != 1:
                raise StoreError(f"request {request_id} is neither pending nor verified")

    def add_key(self, key: IndexedKey) -> bool:
        """Store a key read outside the log windows (registered before the first one).

        Returns whether it was new.
        """
        with self._session() as session:
            if session.get(KeyRecord, key.key_id) is not None:
                return False
            session.add(KeyRecord(**_fields(key)))
            return True

    def note(self, request_id: int, note: str) -> None:
        """Record why a request did not move on this time (a transient failure)."""
        with self._session() as session:
            session.execute(
                update(RequestRecord)
                .where(RequestRecord.request_id == request_id)
                .values(note=note)
            )

    def record_signed(
        self, request_id: int, *, tx_hash: bytes, sender: str, nonce: int, raw_tx: bytes
    ) -> None:
        """verified → submitted, with the signed transaction, before it is broadcast.

        Raises:
            StoreError: the request is not verified.
        """
        with self._session() as session:
            self._transition_in(
                session, request_id, RequestState.VERIFIED, state=RequestState.SUBMITTED
            )
            session.add(
                Submission(
                    request_id=request_id,
                    tx_hash=tx_hash,
                    sender=sender,
                    nonce=nonce,
                    raw_tx=raw_tx,
                    state=SubmissionState.SIGNED,
                )
            )

    def record_mined(
        self, tx_hash: bytes, *, succeeded: bool, block_number: int, gas_used: int
    ) -> None:
        """A submission's receipt arrived: mined, or reverted (then the request is re-verified
        against the contract's status by the caller)."""
        with self._session() as session:
            session.execute(
                update(Submission)
                .where(Submission.tx_hash == tx_hash)
                .values(
                    state=SubmissionState.MINED if succeeded else SubmissionState.REVERTED,
                    block_number=block_number,
                    gas_used=gas_used,
                )
            )

    def record_dropped(self, tx_hash: bytes) -> None:
        """A submission can never be mined (its nonce went to another transaction)."""
        with self._session() as session:
            session.execute(
                update(Submission)
                .where(Submission.tx_hash == tx_hash)
                .values(state=SubmissionState.DROPPED)
            )

    def retry(self, request_id: int, note: str) -> None:
        """submitted → verified: the last transaction will not land; sign a new one.

        Raises:
            StoreError: the request is not submitted.
        """
        self._transition(request_id, RequestState.SUBMITTED, state=RequestState.VERIFIED, note=note)

    def mark_final(self, request_id: int, final_status: str) -> None:
        """Any state → final, with the status the contract reports."""
        with self._session() as session:
            session.execute(
                update(RequestRecord)
                .where(RequestRecord.request_id == request_id)
                .values(state=RequestState.FINAL, final_status=final_status)
            )

    def _transition(self, request_id: int, expected: RequestState, **values: Any) -> None:
        with self._session() as session:
            self._transition_in(session, request_id, expected, **values)

    @staticmethod
    def _transition_in(
        session: Session, request_id: int, expected: RequestState, **values: Any
    ) -> None:
        # Compare-and-set on the state, so two workers (or replicas) cannot both move a request.
        result = session.execute(
            update(RequestRecord)
            .where(RequestRecord.request_id == request_id, RequestRecord.state == expected)
            .values(**values)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise StoreError(f"request {request_id} is not {expected.value}")


def _fields(record: IndexedKey | IndexedRequest) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}
