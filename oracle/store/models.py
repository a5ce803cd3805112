"""SQLAlchemy 2 models: what the daemon has seen on-chain, what it decided, and what it sent."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from oracle.domain import SubmissionKind, SubmissionState

#: Bumped whenever a table changes shape (with a migration in `oracle/store/migrations`).
SCHEMA_VERSION = 6


def utcnow() -> datetime:
    """Timezone-aware now, for every timestamp column."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class RequestState(enum.StrEnum):
    """Where a verification request stands in the daemon's pipeline."""

    #: Seen in a confirmed log; not verified yet.
    PENDING = "pending"
    #: Verdict computed; no vote transaction signed yet.
    VERIFIED = "verified"
    #: A vote transaction is signed and recorded (perhaps broadcast); awaiting its receipt.
    SUBMITTED = "submitted"
    #: This oracle's vote counted at a confirmed block; waiting for the quorum. In optimistic
    #: mode: a post is on the request at a confirmed block, this oracle's (waiting for its window,
    #: then finalised by this oracle) or another's that it skipped (the first post wins).
    VOTED = "voted"
    #: Closed on-chain at a confirmed block: valid or invalid by quorum, cancelled or expired.
    FINAL = "final"
    #: Not voted on by this oracle: its logged payload or key does not match the hashes the
    #: chain committed to. A reorg that replaces its log puts it back in the pipeline.
    REJECTED = "rejected"
    #: Its log was in a block a reorg replaced; waiting to see it again on the new chain.
    ORPHANED = "orphaned"
    #: The contract holds no such request at a confirmed block (a reorg removed it, or a node
    #: invented its log). A log for the id on the new chain puts it back in the pipeline.
    VANISHED = "vanished"


class SecurityEventType(enum.StrEnum):
    """What a stored security event reports."""

    #: A `KeyRegistered` log whose key does not hash to its key id.
    KEY_MISMATCH = "key_mismatch"
    #: A request's logged payload does not hash to the commitment the contract holds.
    PAYLOAD_MISMATCH = "payload_mismatch"
    #: The contract holds another commitment than the logged one (at a confirmed block).
    COMMITMENT_MISMATCH = "commitment_mismatch"
    #: A log reports a request the contract does not hold.
    REQUEST_NOT_ON_CHAIN = "request_not_on_chain"
    #: A log naming a block hash the chain does not have (an invented or stale log).
    LOG_BLOCK_MISMATCH = "log_block_mismatch"
    #: A closing log (`VerificationFinalized`, `RequestCancelled`) the contract contradicts.
    FALSE_FULFILMENT_LOG = "false_fulfilment_log"
    #: A request's key cannot be read from any log that hashes to its key id.
    KEY_UNAVAILABLE = "key_unavailable"
    #: The contract's final verdict differs from the one this oracle computed.
    VERDICT_DISAGREEMENT = "verdict_disagreement"
    #: Oracles voted both ways on one request (`VerificationDisputed`).
    VOTE_DISPUTED = "vote_disputed"
    #: Blocks the daemon had already read (at least `confirmations` deep) were replaced.
    REORG = "reorg"
    #: The chain no longer has the block at the store's cursor (a reset node).
    CHAIN_RESET = "chain_reset"
    #: The contract refused this oracle's votes (paused, removed from the oracle set).
    FULFILMENT_REFUSED = "fulfilment_refused"
    #: The HTTP service refused a bearer token (missing, expired, forged, wrong scope).
    AUTH_REFUSED = "auth_refused"
    #: A signature submitted to the HTTP service did not verify.
    SIGNATURE_REJECTED = "signature_rejected"
    #: Replacing a stuck vote transaction would pass the operator's fee cap: it waits at its fees.
    FEE_CAP_REACHED = "fee_cap_reached"
    #: Free text refused by the prompt-injection screen.
    INPUT_SCREENED = "input_screened"
    #: A client went over its rate limit.
    RATE_LIMITED = "rate_limited"
    #: An envelope given to the service did not authenticate (wrong key, modified content).
    DECRYPTION_FAILED = "decryption_failed"
    #: An oracle posted a verdict (optimistic mode) that differs from the watcher's.
    WRONG_VERDICT_POSTED = "wrong_verdict_posted"


class PostState(enum.StrEnum):
    """Where a posted verdict (optimistic mode) stands for the watcher."""

    #: Read from a confirmed `VerdictPosted` log; not judged yet.
    OPEN = "open"
    #: The watcher's verdict is the posted one: never challenged.
    AGREED = "agreed"
    #: A challenge transaction is recorded (once, before it is sent); awaiting its receipt.
    CHALLENGED = "challenged"
    #: The challenge overturned the post: the reward is the poster's bond less the burned part.
    WON = "won"
    #: The challenge confirmed the post (the watcher's verdict was wrong, or the chain's
    #: verifier disagreed).
    LOST = "lost"
    #: Final before this watcher challenged it (window over, finalised, challenged by another).
    CLOSED = "closed"
    #: The request's payload or key is not backed by the chain's hashes: it cannot be judged.
    UNJUDGED = "unjudged"
    #: Its log was in a block a reorg replaced; waiting to see it again on the new chain.
    ORPHANED = "orphaned"


class Severity(enum.StrEnum):
    """How urgently an operator should look at a security event."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Meta(Base):
    """One row: the schema version and the deployment (chain id, contract) this store follows."""

    __tablename__ = "meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schema_version: Mapped[int] = mapped_column(Integer)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    verifier: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Cursor(Base):
    """The next block the log reader has not yet ingested."""

    __tablename__ = "cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_block: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class KeyRecord(Base):
    """A public key registered on-chain (from its `KeyRegistered` log)."""

    __tablename__ = "keys"

    key_id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    algorithm_id: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    registrant: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class RequestRecord(Base):
    """A verification request (from its `VerificationRequested` log) and the daemon's verdict."""

    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_state", "state", "seq"),)

    request_id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    #: Order of arrival in the store, so stages take the oldest requests first.
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(32))
    requester: Mapped[str] = mapped_column(String(42))
    #: uint256 and uint96 values, as decimal text: exact on every database (SQLite has no
    #: 96-bit integers, and its NUMERIC is a float).
    nonce: Mapped[str] = mapped_column(String(80))
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    fee: Mapped[str] = mapped_column(String(40))
    callback_gas_limit: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    context: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    tx_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    log_index: Mapped[int] = mapped_column(Integer)
    state: Mapped[RequestState] = mapped_column(
        Enum(RequestState, native_enum=False, length=16, validate_strings=True),
        default=RequestState.PENDING,
    )
    #: The verdict this oracle computed (None until verified).
    verdict: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: The status the contract reports once final ("valid"/"invalid").
    final_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: The confirmed block at which the contract was read final: a reorg below it reopens.
    final_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: Why the request was rejected, or the last transient failure.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    backend: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: The daemon replica verifying this pending request, and until when its claim holds: a
    #: replica that dies leaves its claims to the others once the lease ends.
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Submission(Base):
    """A vote transaction (one or many votes), recorded once signed and before broadcast, so a
    restart ends it. A replacement (same nonce, same votes, higher fees) is one more row with
    the sender and nonce of the one it replaces: whichever is mined spends the nonce."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tx_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    sender: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    raw_tx: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[SubmissionState] = mapped_column(
        Enum(SubmissionState, native_enum=False, length=16, validate_strings=True),
        default=SubmissionState.SIGNED,
    )
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    block_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: The receipt's block is `confirmations` deep: the state is the chain's for good.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: How many times the raw bytes were handed to a node, and when last.
    sends: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The head when the bytes were first handed to a node (accepted or not): a replacement is
    #: due `replace_after_blocks` later.
    sent_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: A bump of its fees would pass the operator's cap (reported once).
    fee_capped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: What it calls (votes; in optimistic mode a post, a finalisation, a challenge, a bond).
    kind: Mapped[SubmissionKind] = mapped_column(
        Enum(SubmissionKind, native_enum=False, length=16, validate_strings=True),
        default=SubmissionKind.VOTE,
        server_default=SubmissionKind.VOTE.name,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class SubmissionVote(Base):
    """One vote a submission carries, and what the contract made of it once mined."""

    __tablename__ = "submission_votes"
    __table_args__ = (Index("ix_submission_votes_request", "request_id"),)

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    request_id: Mapped[bytes] = mapped_column(ForeignKey("requests.request_id"), primary_key=True)
    valid: Mapped[bool] = mapped_column(Boolean)
    #: "counted", or "skipped: <reason>", once the receipt is read.
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)


class PostRecord(Base):
    """A verdict posted in optimistic mode (from its `VerdictPosted` log) and what the watcher
    made of it. A request takes one post on a chain; a reorg may bring another."""

    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_state", "state"),)

    request_id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    poster: Mapped[str] = mapped_column(String(42))
    valid: Mapped[bool] = mapped_column(Boolean)
    #: Wei, as decimal text (a uint96).
    bond: Mapped[str] = mapped_column(String(40))
    finalizes_at: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    tx_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    log_index: Mapped[int] = mapped_column(Integer)
    state: Mapped[PostState] = mapped_column(
        Enum(PostState, native_enum=False, length=16, validate_strings=True),
        default=PostState.OPEN,
    )
    #: Why it is in its state (the verdict computed, why it was closed).
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Wei a won challenge earned, as decimal text.
    reward: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class IngestedBlock(Base):
    """The hash of a block whose logs were ingested (window ends and blocks with logs).

    Compared with the node each cycle: a mismatch is a reorg below the confirmed head, and the
    highest block that still matches is where the daemon rewinds to. The history is bounded.
    """

    __tablename__ = "ingested_blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class SecurityEvent(Base):
    """Something an operator must hear about: a node that lied, a reorg, a disagreement."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_time", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[SecurityEventType] = mapped_column(
        Enum(SecurityEventType, native_enum=False, length=32, validate_strings=True)
    )
    severity: Mapped[Severity] = mapped_column(
        Enum(Severity, native_enum=False, length=16, validate_strings=True)
    )
    request_id: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    key_id: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    tx_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
