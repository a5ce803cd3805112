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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Bumped whenever a table changes shape; a store written by another version is refused.
SCHEMA_VERSION = 1


def utcnow() -> datetime:
    """Timezone-aware now, for every timestamp column."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class RequestState(enum.StrEnum):
    """Where a verification request stands in the daemon's pipeline."""

    #: Seen in a confirmed log; not verified yet.
    PENDING = "pending"
    #: Verdict computed; no fulfilment transaction signed yet.
    VERIFIED = "verified"
    #: A fulfilment transaction is signed and recorded (perhaps broadcast); awaiting its receipt.
    SUBMITTED = "submitted"
    #: Final on-chain (by this oracle or another one).
    FINAL = "final"
    #: Never fulfilled: the logged payload does not match its commitment, or its key is unknown.
    REJECTED = "rejected"


class SubmissionState(enum.StrEnum):
    """Fate of one signed fulfilment transaction."""

    SIGNED = "signed"
    MINED = "mined"
    REVERTED = "reverted"
    #: Its nonce was used by another transaction; it can never be mined.
    DROPPED = "dropped"


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
    __table_args__ = (Index("ix_requests_state", "state", "request_id"),)

    request_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(32))
    requester: Mapped[str] = mapped_column(String(42))
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    context: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    block_number: Mapped[int] = mapped_column(BigInteger)
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
    #: Why the request was rejected, or the last transient failure.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    backend: Mapped[str | None] = mapped_column(String(32), nullable=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Submission(Base):
    """A fulfilment transaction, recorded once signed and before broadcast, so a restart ends it."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_request", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.request_id"))
    tx_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    sender: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    raw_tx: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[SubmissionState] = mapped_column(
        Enum(SubmissionState, native_enum=False, length=16, validate_strings=True),
        default=SubmissionState.SIGNED,
    )
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
