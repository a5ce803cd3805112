"""The daemon's persistent state behind one small API; every state change, and every stage's
batch of them, is one transaction.

Several daemon replicas of one operator may share a PostgreSQL store: they claim pending requests
with `FOR UPDATE SKIP LOCKED` and a lease (`claim_pending`), and one of them at a time holds the
operator's lock (`operator_lock`) to follow the chain and sign. Writes that must see each other
(ingesting a window, a rewind, a reset) take a transaction-level advisory lock; everything else
runs at row level: a state change is a compare-and-set on the row's state, a counter an atomic
increment.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Final, TypeVar, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from oracle.domain import Key, PostedVerdict, Request, Status, SubmissionKind, SubmissionState
from oracle.domain import Submission as DomainSubmission
from oracle.errors import ConfigError, StoreConflictError, StoreError, StoreMismatchError
from oracle.store import schema
from oracle.store.models import (
    SCHEMA_VERSION,
    Cursor,
    IngestedBlock,
    KeyRecord,
    Meta,
    PostRecord,
    PostState,
    RequestRecord,
    RequestState,
    SecurityEvent,
    SecurityEventType,
    Severity,
    Submission,
    SubmissionVote,
    utcnow,
)
from oracle.types import Commitment, KeyId, RequestId, TxHash

#: A state enum whose rows a table counts (`RequestState`, `PostState`).
_StateT = TypeVar("_StateT", bound=Enum)

_LOG_CURSOR: Final = "logs"
#: Ingested block hashes kept for finding the fork point of a reorg (newest first).
BLOCK_HISTORY: Final = 512
#: Most ids bound to one `IN (...)` (SQLite allows 32766 parameters; keep statements small).
_IN_CHUNK: Final = 500
#: Seconds a transaction waits for another process's transaction to end before the store reports
#: itself busy (SQLite's busy timeout; PostgreSQL's lock_timeout).
BUSY_TIMEOUT: Final = 30.0
#: PostgreSQL advisory lock of the writes that follow the chain (ingest, rewind, reset): one at a
#: time per store ("pqoracle" in ASCII). Advisory locks are per database, so stores in other
#: databases of one server do not wait on each other.
_CHAIN_LOCK_KEY: Final = 0x70716F7261636C65
#: PostgreSQL advisory lock held while a store's schema is checked and migrated ("pqschema").
_SCHEMA_LOCK_KEY: Final = 0x7071736368656D61
#: SQLSTATEs of a lost wait: lock_not_available (lock_timeout), serialization_failure, deadlock.
_POSTGRES_BUSY: Final = frozenset({"55P03", "40001", "40P01"})
#: The requests table, for statements that read or write plain rows (no ORM objects).
_REQUESTS: Final = cast("Table", RequestRecord.__table__)
#: Execution option of a transaction the daemon can do again from the chain (logs read, claims,
#: verdicts, receipts, finality): its commit does not wait for the disk (SQLite
#: `synchronous=NORMAL` in WAL mode, PostgreSQL `synchronous_commit=off`). A power cut may take
#: the last such commits back, never one before a durable commit: the log is written in order
#: and a durable commit syncs everything before it. A recorded transaction must be durable
#: before its broadcast (see `record_signed`): those commits, and every other, wait for the disk.
_RECOVERABLE: Final = "pqoracle_recoverable"
#: States a request leaves the pipeline in until a log on a new chain puts it back.
_REPLACEABLE: Final = (RequestState.ORPHANED, RequestState.VANISHED, RequestState.REJECTED)
_POSTGRES_EXTRA: Final = "pip install 'pq-signature-oracle[postgres]'"


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request with what the daemon decided about it."""

    request: Request
    state: RequestState
    verdict: bool | None
    #: The contract's closing status (valid, invalid, cancelled or expired) once final.
    final_status: Status | None
    note: str | None
    final_block: int | None = None


@dataclass(frozen=True, slots=True)
class StoredPost:
    """A posted verdict with what the watcher made of it."""

    post: PostedVerdict
    state: PostState
    note: str | None = None
    #: Wei a won challenge earned.
    reward: int | None = None


@dataclass(frozen=True, slots=True)
class Mined:
    """A submission's receipt as `Store.record_all_mined` records it."""

    tx_hash: bytes
    succeeded: bool
    block_number: int
    block_hash: bytes
    gas_used: int
    confirmed: bool = False
    #: What the contract made of each vote, by request id.
    outcomes: Mapping[bytes, str] | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one window's logs changed in the store."""

    new_keys: int
    new_requests: int
    #: Requests whose log came back unchanged after a reorg (back in the pipeline).
    restored: int = 0
    #: Requests whose id now carries other bytes (a reorg replaced them): verified afresh.
    replaced: int = 0
    #: Request ids whose log differs from the stored one outside any reorg (a lying node).
    conflicts: tuple[RequestId, ...] = ()
    #: Posted verdicts stored for the first time (or again, after a reorg).
    new_posts: int = 0


@dataclass(frozen=True, slots=True)
class RewindResult:
    """What a rewind to a fork block reopened."""

    fork_block: int
    orphaned_requests: int
    reopened_requests: int
    reopened_submissions: int


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What `Store.period_figures` counts over one period."""

    #: Requests by (algorithm id, "valid" / "invalid" / "unverified"): this oracle's verdict.
    verdicts: dict[tuple[int, str], int]
    #: Seconds from each final request's arrival in the store to its last update, ascending.
    latencies: list[float]
    #: Gas of this oracle's mined vote transactions.
    gas_used: int
    events: dict[SecurityEventType, int]


@dataclass(frozen=True, slots=True)
class StoredSecurityEvent:
    """One security event as stored."""

    id: int
    type: SecurityEventType
    severity: Severity
    detail: str
    created_at: datetime
    request_id: bytes | None = None
    key_id: bytes | None = None
    tx_hash: bytes | None = None
    block_number: int | None = None


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that `_sqlite_begin` decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead log: a commit appends to one file and syncs it once, where the rollback
    # journal synced three times (journal, database, directory); `synchronous` is FULL, so a
    # committed transaction (a vote recorded before its broadcast) survives a power cut, but
    # for the transactions the chain gives back (see `_RECOVERABLE`, `_sqlite_begin`).
    # The mode is kept in the file: only its first opener switches it, which needs the file to
    # itself, and SQLite answers "locked" at once (no busy wait) while another connection is in.
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
    record.info["synchronous"] = "FULL"


def _sqlite_begin(connection: Any) -> None:
    # The sync level of the commit to come; SQLite changes it only outside a transaction.
    level = "NORMAL" if connection.get_execution_options().get(_RECOVERABLE) else "FULL"
    if connection.info.get("synchronous") != level:
        connection.exec_driver_sql(f"PRAGMA synchronous={level}")
        connection.info["synchronous"] = level
    # BEGIN IMMEDIATE takes the write lock up front: two daemons on one file queue behind the
    # busy timeout instead of failing when a read snapshot turns stale at its first write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _key(row: KeyRecord) -> Key:
    return Key(
        key_id=KeyId(row.key_id),
        algorithm_id=row.algorithm_id,
        public_key=row.public_key,
        registrant=row.registrant,
        block_number=row.block_number,
        tx_hash=TxHash(row.tx_hash),
    )


def _postgres_connect(timeout: float) -> Callable[[Any, Any], None]:
    def connect(dbapi_connection: Any, record: Any) -> None:
        # Session-wide, so the wait for the store's lock below ends like SQLite's busy timeout.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {max(1, round(timeout * 1000))}")
        # A server that waits for no commit needs no `SET LOCAL` to skip the wait (`_session`).
        cursor.execute("SHOW synchronous_commit")
        record.info["synchronous_commit"] = str(cursor.fetchone()[0])
        cursor.close()
        dbapi_connection.commit()

    return connect


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone (they are stored in UTC); PostgreSQL in
    # the session's time zone. Callers always get UTC, and a time they pass without a zone is UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _request(row: RequestRecord | Row[Any]) -> Request:
    return Request(
        request_id=RequestId(row.request_id),
        key_id=KeyId(row.key_id),
        requester=row.requester,
        nonce=int(row.nonce),
        commitment=Commitment(row.commitment),
        fee=int(row.fee),
        callback_gas_limit=row.callback_gas_limit,
        deadline=row.deadline,
        message=row.message,
        context=row.context,
        signature=row.signature,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=TxHash(row.tx_hash),
        log_index=row.log_index,
    )


def _request_columns(request: Request) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "key_id": request.key_id,
        "requester": request.requester,
        "nonce": str(request.nonce),
        "commitment": request.commitment,
        "fee": str(request.fee),
        "callback_gas_limit": request.callback_gas_limit,
        "deadline": request.deadline,
        "message": request.message,
        "context": request.context,
        "signature": request.signature,
        "block_number": request.block_number,
        "block_hash": request.block_hash,
        "tx_hash": request.tx_hash,
        "log_index": request.log_index,
    }


def _key_columns(key: Key) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "algorithm_id": key.algorithm_id,
        "public_key": key.public_key,
        "registrant": key.registrant,
        "block_number": key.block_number,
        "tx_hash": key.tx_hash,
    }


def _stored(row: RequestRecord | Row[Any]) -> StoredRequest:
    final = None if row.final_status is None else Status[row.final_status.upper()]
    return StoredRequest(_request(row), row.state, row.verdict, final, row.note, row.final_block)


def _submission(row: Submission, votes: list[SubmissionVote]) -> DomainSubmission:
    return DomainSubmission(
        votes=tuple((RequestId(v.request_id), v.valid) for v in votes),
        tx_hash=row.tx_hash,
        sender=row.sender,
        nonce=row.nonce,
        raw_tx=row.raw_tx,
        state=row.state,
        block_number=row.block_number,
        block_hash=row.block_hash,
        confirmed=row.confirmed,
        sends=row.sends,
        last_sent_at=None if row.last_sent_at is None else _utc(row.last_sent_at),
        sent_block=row.sent_block,
        fee_capped=bool(row.fee_capped),
        kind=row.kind,
    )


def _posted(row: PostRecord) -> StoredPost:
    post = PostedVerdict(
        request_id=RequestId(row.request_id),
        poster=row.poster,
        valid=row.valid,
        bond=int(row.bond),
        finalizes_at=row.finalizes_at,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=TxHash(row.tx_hash),
        log_index=row.log_index,
    )
    reward = None if row.reward is None else int(row.reward)
    return StoredPost(post, row.state, row.note, reward)


def _post_columns(post: PostedVerdict) -> dict[str, Any]:
    return {
        "request_id": post.request_id,
        "poster": post.poster,
        "valid": post.valid,
        "bond": str(post.bond),
        "finalizes_at": post.finalizes_at,
        "block_number": post.block_number,
        "block_hash": post.block_hash,
        "tx_hash": post.tx_hash,
        "log_index": post.log_index,
    }


def _event(row: SecurityEvent) -> StoredSecurityEvent:
    return StoredSecurityEvent(
        id=row.id,
        type=row.type,
        severity=row.severity,
        detail=row.detail,
        created_at=_utc(row.created_at),
        request_id=row.request_id,
        key_id=row.key_id,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
    )


def redact_url(text: str, url: str | None = None) -> str:
    """`text` with the password of `url` (and of any `scheme://user:password@` in it) masked."""
    if url:
        try:
            password = make_url(url).password
        except (ArgumentError, ValueError):
            password = None
        if password:
            text = text.replace(str(password), "***")
    return re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", text)


def _describe(err: BaseException, url: str | None) -> str:
    # SQLAlchemy appends "(Background on this error at: https://sqlalche.me/...)" and the SQL.
    text = str(getattr(err, "orig", None) or err).strip().splitlines()
    first = text[0] if text else type(err).__name__
    return redact_url(f"{type(err).__name__}: {first}", url)


def _is_busy(err: OperationalError) -> bool:
    if getattr(err.orig, "sqlstate", None) in _POSTGRES_BUSY:
        return True
    text = str(err.orig).lower()
    return "locked" in text or "busy" in text


def _engine(url: str) -> Engine:
    """An engine on the store at `url`, with the store's connection and transaction settings.

    Raises:
        ConfigError: the URL is malformed, or its database driver is not installed.
        StoreError: the engine cannot be made.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(f"the store URL is not a SQLAlchemy URL: {redact_url(url)}") from None
    # `postgresql://` means psycopg2 to SQLAlchemy; the `postgres` extra installs psycopg 3.
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    sqlite = parsed.get_backend_name() == "sqlite"
    postgres = parsed.get_backend_name() == "postgresql"
    try:
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT} if sqlite else {})
    except ModuleNotFoundError as err:
        hint = f"; {_POSTGRES_EXTRA}" if postgres else ""
        raise ConfigError(
            f"the store's database driver is not installed ({err.name}){hint}"
        ) from None
    except (SQLAlchemyError, ValueError) as err:
        raise StoreError(f"cannot open the store: {_describe(err, url)}") from None
    if sqlite:
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    elif postgres:
        event.listen(engine, "connect", _postgres_connect(BUSY_TIMEOUT))
    return engine


def schema_status(url: str) -> tuple[str | None, str]:
    """The migration revision of the store at `url`, read without migrating it (None: none
    recorded), and the newest revision this code knows.

    Raises:
        ConfigError: the URL is malformed, or its database driver is not installed.
        StoreError: the database cannot be reached.
    """
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return schema.current(connection), schema.head()
    except SQLAlchemyError as err:
        raise StoreError(f"cannot read the store: {_describe(err, url)}") from None
    finally:
        engine.dispose()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the store's schema to the newest revision, one process at a time; return the
    revisions before and after.

    Raises:
        StoreError: a newer pqoracle wrote the store, or it holds an unknown schema.
        SQLAlchemyError: the database failed.
    """
    with engine.begin() as connection:
        # SQLite's BEGIN IMMEDIATE already queues a second process; PostgreSQL runs DDL in a
        # transaction but two empty databases' CREATE TABLEs would collide without the lock.
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
        return schema.upgrade(connection)


def _operator_lock_key(address: str) -> int:
    # A signed 64-bit advisory key per operator address; stores in other databases of a server
    # do not collide (advisory locks are per database).
    digest = hashlib.blake2b(f"pqoracle submitter {address.lower()}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class OperatorLock:
    """The right to follow the chain and to sign this operator's transactions, held by one daemon
    replica at a time.

    On PostgreSQL it is a session-level `pg_advisory_lock` keyed by the operator's address, held
    on a connection of its own: a replica that dies loses its connection, and the lock with it.
    On SQLite (one process per store file) it is always held.
    """

    def __init__(self, engine: Engine, address: str, url: str | None = None) -> None:
        """A lock for `address` on the store at `engine` (not taken yet)."""
        self._engine = engine
        self._url = url
        self.address = address
        self.key = _operator_lock_key(address)
        self._postgres = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        """Whether this handle holds the lock, as far as it last knew."""
        return not self._postgres or self._connection is not None

    def acquire(self) -> bool:
        """Take the lock if it is free, without waiting; return whether it is held (taken now or
        before, on a connection that still answers).

        Raises:
            StoreError: the database cannot be reached to take it.
        """
        if not self._postgres:
            return True
        if self._connection is not None:
            try:
                self._connection.execute(select(1))
            except SQLAlchemyError:
                # The connection died, and the server released the lock with it.
                self._drop()
                return False
            return True
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as err:
            raise StoreError(f"cannot reach the store: {_describe(err, self._url)}") from err
        try:
            taken = bool(connection.scalar(select(func.pg_try_advisory_lock(self.key))))
        except SQLAlchemyError as err:
            connection.invalidate()
            connection.close()
            raise StoreError(f"cannot take the operator lock: {_describe(err, self._url)}") from err
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        """Let another replica take the lock (nothing happens when it is not held)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.scalar(select(func.pg_advisory_unlock(self.key)))
        except SQLAlchemyError:
            # A connection still holding the lock must never go back to the pool.
            connection.invalidate()
        connection.close()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
            connection.close()


class Store:
    """Keys, requests, verdicts, submissions, block hashes, the log cursor and security events
    of one deployment."""

    def __init__(self, engine: Engine, url: str | None = None) -> None:
        """Wrap an engine whose tables exist; use `Store.open` to create them."""
        self._engine = engine
        self._url = url
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._recoverable_sessions = sessionmaker(
            engine.execution_options(**{_RECOVERABLE: True}), expire_on_commit=False
        )
        self._postgres = engine.dialect.name == "postgresql"
        self._locks: list[OperatorLock] = []

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` (SQLite file by default, PostgreSQL too) and migrate its schema to
        the newest revision (creating it in an empty database).

        Raises:
            ConfigError: the URL is malformed, or its database driver is not installed (the
                message names the extra to install).
            StoreError: the database cannot be opened, or was written by another schema version
                (a newer pqoracle, or an unknown pre-migration schema).
        """
        engine = _engine(url)
        try:
            migrate(engine)
        except StoreError:
            engine.dispose()
            raise
        except SQLAlchemyError as err:
            engine.dispose()
            raise StoreError(f"cannot open the store: {_describe(err, url)}") from None
        store = cls(engine, url)
        try:
            with store._session() as session:
                meta = session.get(Meta, 1)
                if meta is not None and meta.schema_version != SCHEMA_VERSION:
                    raise StoreError(
                        f"the store has schema version {meta.schema_version}; this version of "
                        f"pqoracle reads version {SCHEMA_VERSION}: use a new database"
                    )
        except StoreError:
            engine.dispose()
            raise
        return store

    def schema_revision(self) -> str | None:
        """The migration revision the database is at."""
        with self._engine.connect() as connection:
            return schema.current(connection)

    def close(self) -> None:
        """Release every operator lock taken through this handle, and the connection pool."""
        for lock in self._locks:
            lock.release()
        self._engine.dispose()

    def ping(self) -> None:
        """Round-trip one query to the database.

        Raises:
            StoreError: the database cannot be reached.
        """
        with self._session() as session:
            session.execute(select(1))

    def operator_lock(self, address: str) -> OperatorLock:
        """The lock one replica of the operator `address` holds to follow the chain and sign
        (released by `close`)."""
        lock = OperatorLock(self._engine, address, self._url)
        self._locks.append(lock)
        return lock

    def _lock_chain(self, session: Session) -> None:
        # Chain-following writes (ingest, rewind, reset) read what the last one wrote (the arrival
        # counter, stored rows, the cursor): one at a time per store, queued up to lock_timeout.
        # SQLite's BEGIN IMMEDIATE already serialises every transaction.
        if self._postgres:
            session.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))

    def _now(self) -> Any:
        # Leases are compared with one clock, the database's, whichever replica writes them:
        # on PostgreSQL the statement reads it (`now()`, no round trip of its own).
        return func.now() if self._postgres else utcnow()

    def _insert(self, model: type[Any]) -> Any:
        dialect = postgresql if self._postgres else sqlite
        return dialect.insert(model)

    @contextmanager
    def _session(self, *, recoverable: bool = False) -> Iterator[Session]:
        """A transaction, committed durably unless `recoverable` (see `_RECOVERABLE`)."""
        try:
            with (self._recoverable_sessions if recoverable else self._sessions).begin() as session:
                if (
                    recoverable
                    and self._postgres
                    and session.connection().info.get("synchronous_commit") != "off"
                ):
                    session.execute(text("SET LOCAL synchronous_commit TO OFF"))
                yield session
        except StoreError:
            raise
        except IntegrityError as err:
            # Another process stored the same row first: a lost race, not a broken database.
            raise StoreConflictError(
                f"store write lost a race: {_describe(err, self._url)}"
            ) from err
        except OperationalError as err:
            if _is_busy(err):
                raise StoreConflictError(f"the store is busy: {_describe(err, self._url)}") from err
            raise StoreError(f"store operation failed: {_describe(err, self._url)}") from err
        except SQLAlchemyError as err:
            raise StoreError(f"store operation failed: {_describe(err, self._url)}") from err

    # --- deployment ----------------------------------------------------------------------------

    def bind(self, chain_id: int, verifier: str) -> None:
        """Tie the store to one deployment on first use; refuse another deployment afterwards.

        Raises:
            StoreMismatchError: the store follows another chain or contract.
        """
        with self._session() as session:
            # Two replicas starting at once on an empty store: the first row wins, the other
            # replica compares itself with it.
            session.execute(
                self._insert(Meta)
                .values(
                    id=1,
                    schema_version=SCHEMA_VERSION,
                    chain_id=chain_id,
                    verifier=verifier,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            meta = session.get(Meta, 1)
            assert meta is not None  # inserted above, or there already
            if meta.chain_id != chain_id or meta.verifier.lower() != verifier.lower():
                raise StoreMismatchError(
                    f"this store follows verifier {meta.verifier} on chain {meta.chain_id}, "
                    f"not {verifier} on chain {chain_id}; use another database"
                )

    def reset(self) -> None:
        """Forget everything read from the chain (a reset node); keep the deployment binding and
        the security events."""
        with self._session() as session:
            self._lock_chain(session)
            chain_tables = (
                SubmissionVote,
                Submission,
                RequestRecord,
                KeyRecord,
                IngestedBlock,
                PostRecord,
            )
            for model in (*chain_tables, Cursor):
                session.execute(delete(model))

    # --- log cursor and block hashes -----------------------------------------------------------

    def next_block(self, default: int) -> int:
        """The first block not yet ingested (`default` before the first window)."""
        with self._session() as session:
            cursor = session.get(Cursor, _LOG_CURSOR)
            return default if cursor is None else cursor.next_block

    def ingested_blocks(self, limit: int = BLOCK_HISTORY) -> list[tuple[int, bytes]]:
        """Recorded (number, hash) pairs of ingested blocks, newest first."""
        with self._session() as session:
            rows = session.execute(
                select(IngestedBlock.number, IngestedBlock.hash)
                .order_by(IngestedBlock.number.desc())
                .limit(limit)
            )
            return [(int(number), bytes(block_hash)) for number, block_hash in rows]

    def ingest(
        self,
        *,
        keys: Iterable[Key],
        requests: Iterable[Request],
        blocks: Mapping[int, bytes],
        next_block: int,
        posts: Iterable[PostedVerdict] = (),
    ) -> IngestResult:
        """Store one block window's logs and block hashes and advance the cursor, all or nothing.

        Logs already stored are skipped, so re-reading a window changes nothing. A request that
        a reorg orphaned comes back: unchanged, with its verdict; with other bytes, as a new
        request to verify. Other bytes for a request outside a reorg change nothing and are
        reported in `conflicts`. A post a reorg orphaned comes back open, to be judged again
        (its challenge, if one was recorded, stays recorded: see `record_challenge`).
        """
        new_keys = new_requests = restored = replaced = new_posts = 0
        conflicts: list[RequestId] = []
        with self._session(recoverable=True) as session:
            self._lock_chain(session)
            for key in keys:
                new_keys += self._add_key_in(session, key)
            seq = int(session.scalar(select(func.max(RequestRecord.seq))) or 0)
            logged = list(requests)
            # Locked, so a replica's verdict on a row waits for this window (or wins).
            stored: dict[bytes, RequestRecord] = {}
            for chunk in _chunks([r.request_id for r in logged]):
                stored.update(
                    (bytes(row.request_id), row)
                    for row in session.scalars(
                        select(RequestRecord)
                        .where(RequestRecord.request_id.in_(chunk))
                        .with_for_update()
                    )
                )
            fresh: dict[bytes, dict[str, Any]] = {}
            now = utcnow()
            for request in logged:
                row = stored.get(request.request_id)
                if row is None:
                    if request.request_id not in fresh:
                        seq += 1
                        fresh[request.request_id] = {
                            **_request_columns(request),
                            "seq": seq,
                            "state": RequestState.PENDING,
                            "seen_at": now,
                            "updated_at": now,
                        }
                    continue
                same = _request(row).same_payload(request)
                if same and row.state in (RequestState.ORPHANED, RequestState.VANISHED):
                    _move(row, request)
                    row.state = (
                        RequestState.PENDING if row.verdict is None else RequestState.VERIFIED
                    )
                    row.note = "seen again after a reorg"
                    restored += 1
                elif not same and row.state in _REPLACEABLE:
                    for name, value in _request_columns(request).items():
                        setattr(row, name, value)
                    row.state = RequestState.PENDING
                    row.verdict = None
                    row.backend = None
                    row.final_status = None
                    row.final_block = None
                    # A replica still verifying the old bytes must not record its verdict.
                    row.claimed_by = None
                    row.lease_until = None
                    row.note = "replaced by other bytes on the new chain"
                    replaced += 1
                elif not same:
                    conflicts.append(request.request_id)
            if fresh:
                # One multi-row statement: a row per request took most of ingesting's time.
                insert_rows = self._insert(RequestRecord)
                inserted = session.connection().execute(
                    insert_rows.on_conflict_do_nothing(index_elements=["request_id"]).returning(
                        RequestRecord.request_id
                    ),
                    list(fresh.values()),
                )
                new_requests += len(inserted.all())
            new_posts = self._add_posts_in(session, list(posts))
            if blocks:
                upsert = self._insert(IngestedBlock)
                session.connection().execute(
                    upsert.on_conflict_do_update(
                        index_elements=["number"], set_={"hash": upsert.excluded.hash}
                    ),
                    [{"number": n, "hash": h} for n, h in blocks.items()],
                )
            cursor = session.get(Cursor, _LOG_CURSOR)
            if cursor is None:
                session.add(Cursor(name=_LOG_CURSOR, next_block=next_block))
            else:
                cursor.next_block = next_block
            session.flush()
            # Bounded history: the fork point of any reorg the daemon can follow lies within it.
            oldest_kept = session.scalar(
                select(IngestedBlock.number)
                .order_by(IngestedBlock.number.desc())
                .offset(BLOCK_HISTORY - 1)
                .limit(1)
            )
            if oldest_kept is not None:
                session.execute(delete(IngestedBlock).where(IngestedBlock.number < oldest_kept))
        return IngestResult(new_keys, new_requests, restored, replaced, tuple(conflicts), new_posts)

    @staticmethod
    def _add_posts_in(session: Session, posts: list[PostedVerdict]) -> int:
        added = 0
        for post in posts:
            row = session.get(PostRecord, post.request_id, with_for_update=True)
            if row is None:
                session.add(PostRecord(**_post_columns(post), state=PostState.OPEN))
                added += 1
            elif row.state is PostState.ORPHANED:
                for name, value in _post_columns(post).items():
                    setattr(row, name, value)
                row.state = PostState.OPEN
                row.note = "seen again after a reorg"
                added += 1
        return added

    def rewind(self, fork_block: int) -> RewindResult:
        """A reorg replaced every block after `fork_block`: reopen what was read or mined there.

        Requests logged after it are orphaned until their log is seen again; requests read final
        after it, and transactions mined after it, go back to be settled from the new chain; the
        cursor moves to `fork_block + 1`.
        """
        with self._session() as session:
            self._lock_chain(session)
            orphaned = session.execute(
                update(RequestRecord)
                .where(RequestRecord.block_number > fork_block)
                .values(
                    state=RequestState.ORPHANED,
                    final_status=None,
                    final_block=None,
                    note=f"log in a block replaced by a reorg after block {fork_block}",
                )
            )
            reopened_ids = select(Submission.id).where(
                Submission.block_number > fork_block,
                Submission.state.in_((SubmissionState.MINED, SubmissionState.REVERTED)),
            )
            voted_again = select(SubmissionVote.request_id).where(
                SubmissionVote.submission_id.in_(reopened_ids)
            )
            # Votes counted in a replaced block count no more: those requests await them again.
            session.execute(
                update(RequestRecord)
                .where(
                    RequestRecord.state == RequestState.VOTED,
                    RequestRecord.request_id.in_(voted_again),
                )
                .values(state=RequestState.SUBMITTED)
            )
            session.execute(
                update(SubmissionVote)
                .where(SubmissionVote.submission_id.in_(reopened_ids))
                .values(outcome=None)
            )
            submissions = session.execute(
                update(Submission)
                .where(
                    Submission.block_number > fork_block,
                    Submission.state.in_((SubmissionState.MINED, SubmissionState.REVERTED)),
                )
                .values(
                    state=SubmissionState.SIGNED,
                    block_number=None,
                    block_hash=None,
                    gas_used=None,
                    confirmed=False,
                    # The node dropped it with its block: due to be handed over again at once,
                    # and its wait for a replacement starts over from that send.
                    last_sent_at=None,
                    sent_block=None,
                )
            )
            reopened = session.execute(
                update(RequestRecord)
                .where(
                    RequestRecord.state == RequestState.FINAL,
                    RequestRecord.final_block > fork_block,
                )
                .values(
                    state=RequestState.VERIFIED,
                    final_status=None,
                    final_block=None,
                    note=f"read final in a block replaced by a reorg after block {fork_block}",
                )
            )
            session.execute(
                update(PostRecord)
                .where(PostRecord.block_number > fork_block)
                .values(
                    state=PostState.ORPHANED,
                    note=f"log in a block replaced by a reorg after block {fork_block}",
                )
            )
            session.execute(delete(IngestedBlock).where(IngestedBlock.number > fork_block))
            cursor = session.get(Cursor, _LOG_CURSOR)
            if cursor is not None:
                cursor.next_block = min(cursor.next_block, fork_block + 1)
        return RewindResult(
            fork_block,
            _rowcount(orphaned),
            _rowcount(reopened),
            _rowcount(submissions),
        )

    # --- reading -------------------------------------------------------------------------------

    def key(self, key_id: bytes) -> Key | None:
        """A registered key, or None if no `KeyRegistered` log for it was ingested."""
        with self._session() as session:
            row = session.get(KeyRecord, key_id)
            return None if row is None else _key(row)

    def keys(self, *, limit: int = 100, offset: int = 0) -> list[Key]:
        """Registered keys in the order their logs were mined (then by id)."""
        with self._session() as session:
            rows = session.scalars(
                select(KeyRecord)
                .order_by(KeyRecord.block_number, KeyRecord.key_id)
                .offset(offset)
                .limit(limit)
            )
            return [_key(row) for row in rows]

    def request(self, request_id: bytes) -> StoredRequest | None:
        """One request with its verdict and state."""
        with self._session() as session:
            row = session.get(RequestRecord, request_id)
            return None if row is None else _stored(row)

    def requests(self, request_ids: Iterable[bytes]) -> dict[bytes, StoredRequest]:
        """The stored requests among `request_ids`, by id, read in one transaction."""
        ids = list(dict.fromkeys(bytes(r) for r in request_ids))
        found: dict[bytes, StoredRequest] = {}
        if not ids:
            return found
        with self._session() as session:
            for chunk in _chunks(ids):
                rows = session.scalars(
                    select(RequestRecord).where(RequestRecord.request_id.in_(chunk))
                )
                found.update((bytes(row.request_id), _stored(row)) for row in rows)
        return found

    def requests_in(self, state: RequestState, limit: int = 100) -> list[StoredRequest]:
        """Up to `limit` requests in `state`, oldest first."""
        with self._session() as session:
            return self._requests_in(session, state, limit)

    @staticmethod
    def _requests_in(session: Session, state: RequestState, limit: int) -> list[StoredRequest]:
        # Plain rows, not ORM objects: read-only, and a batch of them each cycle.
        rows = session.connection().execute(
            select(_REQUESTS)
            .where(_REQUESTS.c.state == state)
            .order_by(_REQUESTS.c.seq)
            .limit(limit)
        )
        return [_stored(row) for row in rows]

    def verified_batch(self, limit: int = 100) -> tuple[list[StoredRequest], set[bytes]]:
        """Up to `limit` verified requests, oldest first, and those of them with a vote
        transaction the chain may still change (see `open_submissions`), read in one
        transaction."""
        with self._session() as session:
            batch = self._requests_in(session, RequestState.VERIFIED, limit)
            ids = [stored.request.request_id for stored in batch]
            return batch, self._open_submissions_in(session, ids)

    def counts(self) -> dict[RequestState, int]:
        """How many requests are in each state."""
        return self._state_counts(RequestRecord.state, RequestState)

    def _state_counts(self, column: Any, states: type[_StateT]) -> dict[_StateT, int]:
        """How many rows hold each of `states` in `column` (zero for the absent ones)."""
        with self._session() as session:
            rows = session.execute(select(column, func.count()).group_by(column))
            counted = Counter({state: int(count) for state, count in rows})
        return {state: counted.get(state, 0) for state in states}

    def _load(self, session: Session, rows: Iterable[Submission]) -> list[DomainSubmission]:
        submissions = list(rows)
        votes: dict[int, list[SubmissionVote]] = {row.id: [] for row in submissions}
        # One query for every submission's votes, not one per submission.
        for chunk in _chunks(list(votes)):
            for vote in session.scalars(
                select(SubmissionVote)
                .where(SubmissionVote.submission_id.in_(chunk))
                .order_by(SubmissionVote.submission_id, SubmissionVote.request_id)
            ):
                votes[vote.submission_id].append(vote)
        return [_submission(row, votes[row.id]) for row in submissions]

    def submissions(self, request_id: bytes) -> list[DomainSubmission]:
        """Every vote transaction signed with a vote on a request, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                select(Submission)
                .join(SubmissionVote, SubmissionVote.submission_id == Submission.id)
                .where(SubmissionVote.request_id == request_id)
                .order_by(Submission.id)
            )
            return self._load(session, list(rows))

    def all_submissions(self) -> list[DomainSubmission]:
        """Every vote transaction recorded, in nonce order."""
        with self._session() as session:
            rows = session.scalars(select(Submission).order_by(Submission.nonce, Submission.id))
            return self._load(session, list(rows))

    def unsettled_submissions(self, sender: str, limit: int = 1000) -> list[DomainSubmission]:
        """Transactions of `sender` the chain may still change (not mined, or mined but not
        `confirmations` deep), in nonce order."""
        with self._session() as session:
            rows = session.scalars(
                select(Submission)
                .where(
                    Submission.sender == sender,
                    Submission.state != SubmissionState.DROPPED,
                    Submission.confirmed.is_(False),
                )
                .order_by(Submission.nonce, Submission.id)
                .limit(limit)
            )
            return self._load(session, list(rows))

    def unsettled_counts(self, sender: str) -> dict[str, int]:
        """How many of `sender`'s unsettled transactions (those `unsettled_submissions` lists)
        are signed and never handed to the node (`signed`), handed to it (`sent`), or in a block
        not yet `confirmations` deep (`mined`): counted by the database, no row loaded."""
        sent = Submission.sends > 0
        counted = dict.fromkeys(("signed", "sent", "mined"), 0)
        with self._session() as session:
            rows = session.execute(
                select(Submission.state, sent, func.count())
                .where(
                    Submission.sender == sender,
                    Submission.state != SubmissionState.DROPPED,
                    Submission.confirmed.is_(False),
                )
                .group_by(Submission.state, sent)
            )
            for state, was_sent, count in rows:
                if state != SubmissionState.SIGNED:
                    counted["mined"] += int(count)
                else:
                    counted["sent" if was_sent else "signed"] += int(count)
        return counted

    def highest_unsettled_nonce(self, sender: str) -> int:
        """The highest nonce among `sender`'s unsettled transactions (those
        `unsettled_submissions` lists), or -1 when there are none."""
        with self._session() as session:
            highest = session.scalar(
                select(func.max(Submission.nonce)).where(
                    Submission.sender == sender,
                    Submission.state != SubmissionState.DROPPED,
                    Submission.confirmed.is_(False),
                )
            )
        return -1 if highest is None else int(highest)

    def open_submission(self, request_id: bytes) -> DomainSubmission | None:
        """The request's vote transaction the chain may still change (signed, or mined not
        deep)."""
        with self._session() as session:
            row = session.scalars(
                select(Submission)
                .join(SubmissionVote, SubmissionVote.submission_id == Submission.id)
                .where(
                    SubmissionVote.request_id == request_id,
                    Submission.state != SubmissionState.DROPPED,
                    Submission.confirmed.is_(False),
                )
                .order_by(Submission.id.desc())
            ).first()
            return None if row is None else self._load(session, [row])[0]

    def open_submissions(self, request_ids: Iterable[bytes]) -> set[bytes]:
        """Those of `request_ids` with a vote transaction the chain may still change (see
        `open_submission`), read in one transaction."""
        ids = list(dict.fromkeys(bytes(r) for r in request_ids))
        if not ids:
            return set()
        with self._session() as session:
            return self._open_submissions_in(session, ids)

    @staticmethod
    def _open_submissions_in(session: Session, ids: Sequence[bytes]) -> set[bytes]:
        found: set[bytes] = set()
        for chunk in _chunks(list(ids)):
            found.update(
                bytes(r)
                for r in session.scalars(
                    select(SubmissionVote.request_id)
                    .join(Submission, SubmissionVote.submission_id == Submission.id)
                    .where(
                        SubmissionVote.request_id.in_(chunk),
                        Submission.state != SubmissionState.DROPPED,
                        Submission.confirmed.is_(False),
                    )
                )
            )
        return found

    def last_outcomes(self, request_ids: Iterable[bytes]) -> dict[bytes, str | None]:
        """For each of `request_ids`, what the contract made of the vote in its newest vote
        transaction that was not dropped (None: no such transaction, or its outcome not read
        yet), read in one transaction."""
        ids = list(dict.fromkeys(bytes(r) for r in request_ids))
        found: dict[bytes, str | None] = dict.fromkeys(ids)
        if not ids:
            return found
        with self._session() as session:
            for chunk in _chunks(ids):
                rows = session.execute(
                    select(SubmissionVote.request_id, SubmissionVote.outcome)
                    .join(Submission, SubmissionVote.submission_id == Submission.id)
                    .where(
                        SubmissionVote.request_id.in_(chunk),
                        Submission.state != SubmissionState.DROPPED,
                    )
                    .order_by(Submission.id)
                )
                # Oldest first: the newest transaction's outcome is the one left.
                for request_id, outcome in rows:
                    found[bytes(request_id)] = outcome
        return found

    def outcome(self, tx_hash: bytes, request_id: bytes) -> str | None:
        """What the contract made of a submission's vote on a request (None until read)."""
        with self._session() as session:
            return session.scalar(
                select(SubmissionVote.outcome)
                .join(Submission, SubmissionVote.submission_id == Submission.id)
                .where(Submission.tx_hash == tx_hash, SubmissionVote.request_id == request_id)
            )

    # --- request transitions -------------------------------------------------------------------

    def claim_pending(
        self, owner: str, *, limit: int = 100, lease: float = 30.0
    ) -> list[StoredRequest]:
        """Claim up to `limit` pending requests, oldest first, for the replica `owner` for
        `lease` seconds: those nobody claims, whose lease ended, or `owner` holds already (on
        SQLite, one process per file, every pending request).

        Rows another replica is claiming at this moment are skipped (`FOR UPDATE SKIP LOCKED`
        on PostgreSQL), so replicas never wait on each other nor take the same rows.
        """
        with self._session(recoverable=True) as session:
            now = self._now()
            chosen = select(_REQUESTS.c.request_id).where(
                _REQUESTS.c.state == RequestState.PENDING
            )
            if self._postgres:
                chosen = chosen.where(
                    or_(
                        _REQUESTS.c.lease_until.is_(None),
                        _REQUESTS.c.lease_until <= now,
                        _REQUESTS.c.claimed_by == owner,
                    )
                )
            # else: one process per SQLite file; a claim left by its previous run (another pid)
            # must not hold a restarted daemon up for a lease.
            chosen = chosen.order_by(_REQUESTS.c.seq).limit(limit).with_for_update(skip_locked=True)
            # One statement: the rows chosen (and locked) are claimed and handed back.
            rows = session.connection().execute(
                update(_REQUESTS)
                .where(_REQUESTS.c.request_id.in_(chosen.scalar_subquery()))
                .values(claimed_by=owner, lease_until=now + timedelta(seconds=lease))
                .returning(*_REQUESTS.c)
            )
            return [_stored(row) for row in sorted(rows, key=lambda row: row.seq)]

    def record_verdicts(
        self,
        verdicts: Iterable[tuple[bytes, bool]],
        backend: str,
        *,
        owner: str | None = None,
        notes: Mapping[bytes, str] | None = None,
    ) -> list[bytes]:
        """pending → verified for a batch of verdicts, and a note on each request of `notes`
        (why it did not move on this time), in one transaction; return the ids moved.

        With `owner`, only requests that replica still claims move (a claim taken over after its
        lease ended, or cleared by a reorg, is not this replica's to record). A request already
        moved is left as it is.
        """
        moved: list[bytes] = []
        by_verdict: dict[bool, list[bytes]] = {}
        for request_id, verdict in verdicts:
            by_verdict.setdefault(verdict, []).append(request_id)
        with self._session(recoverable=True) as session:
            # One statement per verdict value and chunk, not one per request.
            for verdict, request_ids in by_verdict.items():
                for chunk in _chunks(request_ids):
                    query = update(RequestRecord).where(
                        RequestRecord.request_id.in_(chunk),
                        RequestRecord.state == RequestState.PENDING,
                    )
                    if owner is not None:
                        query = query.where(RequestRecord.claimed_by == owner)
                    moved.extend(
                        bytes(r)
                        for r in session.scalars(
                            query.values(
                                state=RequestState.VERIFIED,
                                verdict=verdict,
                                backend=backend,
                                note=None,
                                claimed_by=None,
                                lease_until=None,
                            ).returning(RequestRecord.request_id),
                            execution_options={"synchronize_session": False},
                        )
                    )
            for request_id, note in (notes or {}).items():
                session.execute(
                    update(RequestRecord)
                    .where(RequestRecord.request_id == request_id)
                    .values(note=note)
                )
        return moved

    def record_verdict(self, request_id: bytes, verdict: bool, backend: str) -> None:
        """pending → verified, with the verdict and the backend that computed it.

        Raises:
            StoreConflictError: the request is not pending (another worker moved it).
        """
        self._transition(
            request_id,
            (RequestState.PENDING,),
            state=RequestState.VERIFIED,
            verdict=verdict,
            backend=backend,
            note=None,
        )

    def reject(self, request_id: bytes, reason: str) -> None:
        """pending or verified → rejected: the chain's hashes do not back its log.

        Raises:
            StoreConflictError: the request is in neither state.
        """
        self._transition(
            request_id,
            (RequestState.PENDING, RequestState.VERIFIED),
            state=RequestState.REJECTED,
            note=reason,
        )

    def vanish(self, request_id: bytes, reason: str) -> None:
        """pending, verified or orphaned → vanished: the contract holds no such request.

        Raises:
            StoreConflictError: the request is in none of these states.
        """
        self._transition(
            request_id,
            (RequestState.PENDING, RequestState.VERIFIED, RequestState.ORPHANED),
            state=RequestState.VANISHED,
            note=reason,
        )

    def add_key(self, key: Key) -> bool:
        """Store a key read outside the log windows (registered before the first one).

        Returns whether it was new.
        """
        with self._session() as session:
            return self._add_key_in(session, key) == 1

    def _add_key_in(self, session: Session, key: Key) -> int:
        inserted = session.execute(
            self._insert(KeyRecord)
            .values(**_key_columns(key))
            .on_conflict_do_nothing(index_elements=["key_id"])
            .returning(KeyRecord.key_id)
        ).scalar()
        return 0 if inserted is None else 1

    def note(self, request_id: bytes, note: str) -> None:
        """Record why a request did not move on this time (a transient failure)."""
        with self._session() as session:
            session.execute(
                update(RequestRecord)
                .where(RequestRecord.request_id == request_id)
                .values(note=note)
            )

    def record_signed(
        self,
        votes: Iterable[tuple[bytes, bool]],
        *,
        tx_hash: bytes,
        sender: str,
        nonce: int,
        raw_tx: bytes,
        kind: SubmissionKind = SubmissionKind.VOTE,
    ) -> None:
        """verified → submitted for every request the signed vote transaction (or post: `kind`)
        carries, with the transaction, before it is broadcast; all or nothing.

        Raises:
            StoreConflictError: a request is not verified (another process signed first).
        """
        with self._session() as session:
            ballots = dict(votes)
            request_ids = list(ballots)
            # Compare-and-set on the state, so two processes cannot both sign a request; a
            # conflict raises inside the session, which writes nothing then.
            moved: set[bytes] = set()
            for chunk in _chunks(request_ids):
                moved.update(
                    bytes(r)
                    for r in session.scalars(
                        update(RequestRecord)
                        .where(
                            RequestRecord.request_id.in_(chunk),
                            RequestRecord.state == RequestState.VERIFIED,
                        )
                        .values(state=RequestState.SUBMITTED)
                        .returning(RequestRecord.request_id),
                        execution_options={"synchronize_session": False},
                    )
                )
            for request_id in request_ids:
                if request_id not in moved:
                    raise StoreConflictError(f"request 0x{bytes(request_id).hex()} is not verified")
            self._add_submission_in(session, kind, ballots.items(), tx_hash, sender, nonce, raw_tx)

    def record_action(
        self,
        kind: SubmissionKind,
        votes: Iterable[tuple[bytes, bool]],
        *,
        tx_hash: bytes,
        sender: str,
        nonce: int,
        raw_tx: bytes,
    ) -> None:
        """A signed transaction that moves no request (a finalisation, a bond deposit), with
        the requests it concerns, recorded before it is broadcast and settled like votes."""
        with self._session() as session:
            self._add_submission_in(session, kind, votes, tx_hash, sender, nonce, raw_tx)

    def _add_submission_in(
        self,
        session: Session,
        kind: SubmissionKind,
        votes: Iterable[tuple[bytes, bool]],
        tx_hash: bytes,
        sender: str,
        nonce: int,
        raw_tx: bytes,
    ) -> None:
        submission = Submission(
            tx_hash=tx_hash,
            sender=sender,
            nonce=nonce,
            raw_tx=raw_tx,
            state=SubmissionState.SIGNED,
            sends=0,
            confirmed=False,
            kind=kind,
        )
        session.add(submission)
        session.flush()
        rows = [{"submission_id": submission.id, "request_id": r, "valid": v} for r, v in votes]
        if rows:
            session.connection().execute(self._insert(SubmissionVote), rows)

    def record_replacement(
        self,
        replaced: bytes,
        *,
        tx_hash: bytes,
        raw_tx: bytes,
        kind: SubmissionKind | None = None,
    ) -> None:
        """A replacement of the submission `replaced`, signed and not yet broadcast: the same
        sender, nonce and votes (its requests stay submitted); the replaced one stays until the
        chain shows which of them spent the nonce. `kind` is the original's unless given (a
        cancellation takes the nonce of a transaction that must not be mined).

        Raises:
            StoreConflictError: `replaced` is not recorded, no longer signed (mined, dropped),
                or already replaced by a newer version of its nonce.
        """
        with self._session() as session:
            original = session.scalar(select(Submission).where(Submission.tx_hash == replaced))
            if original is None or original.state is not SubmissionState.SIGNED:
                raise StoreConflictError(
                    f"submission 0x{bytes(replaced).hex()} is not a signed transaction to replace"
                )
            newer = session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(
                    Submission.sender == original.sender,
                    Submission.nonce == original.nonce,
                    Submission.id > original.id,
                )
            )
            if newer:
                raise StoreConflictError(
                    f"submission 0x{bytes(replaced).hex()} has a newer version already"
                )
            votes = list(
                session.scalars(
                    select(SubmissionVote).where(SubmissionVote.submission_id == original.id)
                )
            )
            replacement = Submission(
                tx_hash=tx_hash,
                sender=original.sender,
                nonce=original.nonce,
                raw_tx=raw_tx,
                state=SubmissionState.SIGNED,
                sends=0,
                confirmed=False,
                fee_capped=False,
                kind=kind or original.kind,
            )
            session.add(replacement)
            session.flush()
            for vote in votes:
                session.add(
                    SubmissionVote(
                        submission_id=replacement.id, request_id=vote.request_id, valid=vote.valid
                    )
                )

    def record_outcomes(self, tx_hash: bytes, outcomes: Mapping[bytes, str]) -> None:
        """What the contract made of each vote a mined submission carried."""
        with self._session() as session:
            self._outcomes_in(session, tx_hash, outcomes)

    @staticmethod
    def _outcomes_in(session: Session, tx_hash: bytes, outcomes: Mapping[bytes, str]) -> None:
        submission_id = session.scalar(select(Submission.id).where(Submission.tx_hash == tx_hash))
        by_outcome: dict[str, list[bytes]] = {}
        for request_id, outcome in outcomes.items():
            by_outcome.setdefault(outcome, []).append(request_id)
        for outcome, request_ids in by_outcome.items():
            for chunk in _chunks(request_ids):
                session.execute(
                    update(SubmissionVote)
                    .where(
                        SubmissionVote.submission_id == submission_id,
                        SubmissionVote.request_id.in_(chunk),
                    )
                    .values(outcome=outcome),
                    execution_options={"synchronize_session": False},
                )

    def mark_voted(self, request_id: bytes) -> None:
        """submitted → voted: this oracle's vote counted at a confirmed block.

        Raises:
            StoreConflictError: the request is not submitted.
        """
        self._transition(request_id, (RequestState.SUBMITTED,), state=RequestState.VOTED)

    def promote(self, request_id: bytes) -> None:
        """verified → submitted: a transaction of it is still open (after a reorg or restart).

        Raises:
            StoreConflictError: the request is not verified.
        """
        self._transition(request_id, (RequestState.VERIFIED,), state=RequestState.SUBMITTED)

    def defer(self, request_id: bytes, note: str) -> None:
        """verified → voted without a vote of this oracle: another oracle's post is on the
        request (optimistic mode: the first post wins), or this oracle's own is.

        Raises:
            StoreConflictError: the request is not verified.
        """
        self._transition(request_id, (RequestState.VERIFIED,), state=RequestState.VOTED, note=note)

    def reopen(self, request_id: bytes, note: str) -> None:
        """voted → verified: no verdict holds the request any more (optimistic mode: the post it
        waited on is gone, or the mode changed), so this oracle gives its own again.

        Raises:
            StoreConflictError: the request is not voted.
        """
        self._transition(request_id, (RequestState.VOTED,), state=RequestState.VERIFIED, note=note)

    def retry(self, request_id: bytes, note: str) -> None:
        """submitted → verified: its last transaction will not land; sign a new one.

        Raises:
            StoreConflictError: the request is not submitted.
        """
        self._transition(
            request_id, (RequestState.SUBMITTED,), state=RequestState.VERIFIED, note=note
        )

    def mark_final(self, request_id: bytes, final_status: Status, block: int) -> None:
        """Any state → final, with the closing status the contract reports at confirmed
        `block`."""
        self.mark_finals([(request_id, final_status)], block)

    def mark_finals(self, closed: Iterable[tuple[bytes, Status]], block: int) -> None:
        """`mark_final` for a batch of requests read closed at confirmed `block`, in one
        transaction."""
        by_status: dict[Status, list[bytes]] = {}
        for request_id, final_status in closed:
            by_status.setdefault(final_status, []).append(request_id)
        with self._session(recoverable=True) as session:
            for final_status, request_ids in by_status.items():
                for chunk in _chunks(request_ids):
                    session.execute(
                        update(RequestRecord)
                        .where(RequestRecord.request_id.in_(chunk))
                        .values(
                            state=RequestState.FINAL,
                            final_status=final_status.label,
                            final_block=block,
                        ),
                        execution_options={"synchronize_session": False},
                    )

    def mark_all_voted(self, request_ids: Iterable[bytes]) -> list[bytes]:
        """submitted → voted for a batch of requests, in one transaction; return those moved
        (a request no longer submitted is left as it is)."""
        moved: list[bytes] = []
        with self._session(recoverable=True) as session:
            for chunk in _chunks(list(request_ids)):
                moved.extend(
                    bytes(r)
                    for r in session.scalars(
                        update(RequestRecord)
                        .where(
                            RequestRecord.request_id.in_(chunk),
                            RequestRecord.state == RequestState.SUBMITTED,
                        )
                        .values(state=RequestState.VOTED)
                        .returning(RequestRecord.request_id),
                        execution_options={"synchronize_session": False},
                    )
                )
        return moved

    # --- submission transitions ----------------------------------------------------------------

    def record_sent(self, tx_hash: bytes, *, block: int | None = None) -> int:
        """The raw bytes were handed to a node once more (at head `block`, kept as `sent_block`
        if it is the first); returns how many times so far.

        Raises:
            StoreError: no such submission is recorded.
        """
        values: dict[str, Any] = {"sends": Submission.sends + 1, "last_sent_at": utcnow()}
        if block is not None:
            values["sent_block"] = func.coalesce(Submission.sent_block, block)
        with self._session(recoverable=True) as session:
            # One statement: two replicas' counts never overwrite each other.
            sends = session.scalar(
                update(Submission)
                .where(Submission.tx_hash == tx_hash)
                .values(**values)
                .returning(Submission.sends)
            )
            if sends is None:
                raise StoreError(f"no submission 0x{bytes(tx_hash).hex()} is recorded")
            return int(sends)

    def record_send_attempt(self, tx_hash: bytes, block: int) -> None:
        """The node refused the bytes at head `block`: the wait for a replacement starts there
        all the same (kept if an earlier send set it)."""
        with self._session() as session:
            session.execute(
                update(Submission)
                .where(Submission.tx_hash == tx_hash)
                .values(sent_block=func.coalesce(Submission.sent_block, block))
            )

    def record_fee_capped(self, tx_hash: bytes) -> bool:
        """A bump of the submission's fees would pass the fee cap; True the first time only."""
        with self._session() as session:
            result = session.execute(
                update(Submission)
                .where(Submission.tx_hash == tx_hash, Submission.fee_capped.is_(False))
                .values(fee_capped=True)
            )
            return _rowcount(result) == 1

    def record_mined(
        self,
        tx_hash: bytes,
        *,
        succeeded: bool,
        block_number: int,
        block_hash: bytes,
        gas_used: int,
        confirmed: bool = False,
        outcomes: Mapping[bytes, str] | None = None,
    ) -> None:
        """A submission's receipt: mined or reverted in `block_number`, confirmed once deep,
        with what the contract made of each vote (`outcomes`) in the same transaction."""
        self.record_all_mined(
            [
                Mined(
                    tx_hash, succeeded, block_number, block_hash, gas_used, confirmed, outcomes
                )
            ]
        )

    def record_all_mined(self, receipts: Sequence[Mined]) -> None:
        """`record_mined` of each receipt, in one database transaction."""
        if not receipts:
            return
        with self._session(recoverable=True) as session:
            for mined in receipts:
                state = SubmissionState.MINED if mined.succeeded else SubmissionState.REVERTED
                if mined.outcomes:
                    self._outcomes_in(session, mined.tx_hash, mined.outcomes)
                session.execute(
                    update(Submission)
                    .where(Submission.tx_hash == mined.tx_hash)
                    .values(
                        state=state,
                        block_number=mined.block_number,
                        block_hash=mined.block_hash,
                        gas_used=mined.gas_used,
                        confirmed=mined.confirmed,
                    )
                )

    def record_unmined(self, tx_hash: bytes) -> None:
        """A submission's receipt vanished (its block was reorganised away): signed again."""
        with self._session() as session:
            session.execute(
                update(Submission)
                .where(Submission.tx_hash == tx_hash)
                .values(
                    state=SubmissionState.SIGNED,
                    block_number=None,
                    block_hash=None,
                    gas_used=None,
                    confirmed=False,
                    # The wait for a replacement starts over from its next send.
                    sent_block=None,
                )
            )

    def record_dropped(self, tx_hash: bytes) -> None:
        """A submission can never be mined (its nonce went to another transaction)."""
        with self._session() as session:
            session.execute(
                update(Submission)
                .where(Submission.tx_hash == tx_hash)
                .values(state=SubmissionState.DROPPED, confirmed=True)
            )

    # --- posted verdicts (optimistic mode) ------------------------------------------------------

    def post(self, request_id: bytes) -> StoredPost | None:
        """The verdict posted on a request, as the watcher holds it."""
        with self._session() as session:
            row = session.get(PostRecord, request_id)
            return None if row is None else _posted(row)

    def posts_in(self, state: PostState, limit: int = 100) -> list[StoredPost]:
        """Up to `limit` posts in `state`, in the order they were logged."""
        with self._session() as session:
            rows = session.scalars(
                select(PostRecord)
                .where(PostRecord.state == state)
                .order_by(PostRecord.block_number, PostRecord.log_index)
                .limit(limit)
            )
            return [_posted(row) for row in rows]

    def post_counts(self) -> dict[PostState, int]:
        """How many posts are in each state."""
        return self._state_counts(PostRecord.state, PostState)

    def set_post_state(
        self,
        request_id: bytes,
        expected: tuple[PostState, ...],
        state: PostState,
        *,
        note: str | None = None,
        reward: int | None = None,
    ) -> bool:
        """Move a post from one of `expected` to `state` (compare-and-set); return whether it
        moved."""
        values: dict[str, Any] = {"state": state}
        if note is not None:
            values["note"] = note
        if reward is not None:
            values["reward"] = str(reward)
        with self._session() as session:
            result = session.execute(
                update(PostRecord)
                .where(PostRecord.request_id == request_id, PostRecord.state.in_(expected))
                .values(**values)
            )
            return _rowcount(result) == 1

    def record_challenge(
        self,
        request_id: bytes,
        valid: bool,
        *,
        tx_hash: bytes,
        sender: str,
        nonce: int,
        raw_tx: bytes,
    ) -> None:
        """open → challenged for the post on `request_id`, with the signed challenge (the verdict
        the watcher proves, `valid`), before it is broadcast; all or nothing.

        Raises:
            StoreConflictError: the post is not open, or a challenge of this request that was
                not refused on chain is recorded already: never two challenges of one post.
        """
        with self._session() as session:
            earlier = session.scalar(
                select(func.count())
                .select_from(Submission)
                .join(SubmissionVote, SubmissionVote.submission_id == Submission.id)
                .where(
                    SubmissionVote.request_id == request_id,
                    Submission.kind == SubmissionKind.CHALLENGE,
                    Submission.state.not_in((SubmissionState.DROPPED, SubmissionState.REVERTED)),
                )
            )
            if earlier:
                raise StoreConflictError(
                    f"request 0x{bytes(request_id).hex()} has a challenge recorded already"
                )
            result = session.execute(
                update(PostRecord)
                .where(PostRecord.request_id == request_id, PostRecord.state == PostState.OPEN)
                .values(state=PostState.CHALLENGED, note=None)
            )
            if _rowcount(result) != 1:
                raise StoreConflictError(f"the post on 0x{bytes(request_id).hex()} is not open")
            self._add_submission_in(
                session,
                SubmissionKind.CHALLENGE,
                [(request_id, valid)],
                tx_hash,
                sender,
                nonce,
                raw_tx,
            )

    # --- security events -------------------------------------------------------------------------

    def add_security_event(
        self,
        event_type: SecurityEventType,
        severity: Severity,
        detail: str,
        *,
        request_id: bytes | None = None,
        key_id: bytes | None = None,
        tx_hash: bytes | None = None,
        block_number: int | None = None,
    ) -> StoredSecurityEvent:
        """Store one security event (use `oracle.security.record_event`, which also logs it)."""
        with self._session() as session:
            row = SecurityEvent(
                type=event_type,
                severity=severity,
                detail=detail,
                request_id=request_id,
                key_id=key_id,
                tx_hash=tx_hash,
                block_number=block_number,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return _event(row)

    def security_events(
        self,
        *,
        since: datetime | None = None,
        event_type: SecurityEventType | None = None,
        limit: int = 1000,
    ) -> list[StoredSecurityEvent]:
        """Stored security events, oldest first, optionally from `since` (UTC unless it carries
        a zone) and of one type."""
        query = select(SecurityEvent).order_by(SecurityEvent.id)
        if since is not None:
            query = query.where(SecurityEvent.created_at >= _utc(since))
        if event_type is not None:
            query = query.where(SecurityEvent.type == event_type)
        with self._session() as session:
            return [_event(row) for row in session.scalars(query.limit(limit))]

    def period_figures(self, since: datetime, until: datetime) -> PeriodFigures:
        """What the store saw in [since, until): requests by parameter set and this oracle's
        verdict, seconds from a final request's arrival to its last update, gas of mined vote
        transactions, and security events by type (times are UTC unless they carry a zone)."""
        start, end = _utc(since), _utc(until)
        with self._session() as session:
            verdicts: dict[tuple[int, str], int] = {}
            rows = session.execute(
                select(KeyRecord.algorithm_id, RequestRecord.verdict, func.count())
                .join(KeyRecord, KeyRecord.key_id == RequestRecord.key_id, isouter=True)
                .where(RequestRecord.seen_at >= start, RequestRecord.seen_at < end)
                .group_by(KeyRecord.algorithm_id, RequestRecord.verdict)
            )
            for algorithm_id, verdict, count in rows:
                label = "unverified" if verdict is None else ("valid" if verdict else "invalid")
                verdicts[(int(algorithm_id or 0), label)] = int(count)
            latencies = [
                max((_utc(updated) - _utc(seen)).total_seconds(), 0.0)
                for seen, updated in session.execute(
                    select(RequestRecord.seen_at, RequestRecord.updated_at).where(
                        RequestRecord.state == RequestState.FINAL,
                        RequestRecord.seen_at >= start,
                        RequestRecord.seen_at < end,
                    )
                )
            ]
            gas = session.scalar(
                select(func.coalesce(func.sum(Submission.gas_used), 0)).where(
                    Submission.state == SubmissionState.MINED,
                    Submission.created_at >= start,
                    Submission.created_at < end,
                )
            )
            events = {
                SecurityEventType(kind): int(count)
                for kind, count in session.execute(
                    select(SecurityEvent.type, func.count())
                    .where(SecurityEvent.created_at >= start, SecurityEvent.created_at < end)
                    .group_by(SecurityEvent.type)
                )
            }
        return PeriodFigures(verdicts, sorted(latencies), int(gas or 0), events)

    # --- helpers -------------------------------------------------------------------------------

    def _transition(
        self, request_id: bytes, expected: tuple[RequestState, ...], **values: Any
    ) -> None:
        with self._session() as session:
            self._transition_in(session, request_id, expected, **values)

    @staticmethod
    def _transition_in(
        session: Session, request_id: bytes, expected: tuple[RequestState, ...], **values: Any
    ) -> None:
        # Compare-and-set on the state, so two workers (or replicas) cannot both move a request.
        result = session.execute(
            update(RequestRecord)
            .where(RequestRecord.request_id == request_id, RequestRecord.state.in_(expected))
            .values(**values)
        )
        if _rowcount(result) != 1:
            wanted = " or ".join(state.value for state in expected)
            raise StoreConflictError(f"request 0x{bytes(request_id).hex()} is not {wanted}")


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _move(row: RequestRecord, request: Request) -> None:
    row.block_number = request.block_number
    row.block_hash = request.block_hash
    row.tx_hash = request.tx_hash
    row.log_index = request.log_index
