"""The domain model every layer shares: keys, requests, their terms, votes and statuses.

The chain layer builds these from logs and calls, the store persists them, the daemon and the
command line decide with them; none of them invents another shape for the same thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from datetime import datetime

    from oracle.types import Commitment, KeyId, RequestId, TxHash

__all__ = [
    "Key",
    "OracleSetChange",
    "Request",
    "RequestStatus",
    "RequestTerms",
    "Status",
    "Submission",
    "SubmissionState",
    "VerifierConfig",
    "Vote",
]

#: Largest fee a request carries (`uint96`).
MAX_FEE: Final = 2**96 - 1
#: Largest callback gas limit a request names (`uint32`).
MAX_CALLBACK_GAS: Final = 2**32 - 1


class Status(IntEnum):
    """Mirror of `ISignatureVerifier.Status`; `EXPIRED` is reported, never stored. `POSTED`
    (optimistic mode): a bonded verdict awaits its challenge window; not final yet, and not open
    to votes."""

    NONE = 0
    PENDING = 1
    VALID = 2
    INVALID = 3
    CANCELLED = 4
    EXPIRED = 5
    POSTED = 6

    @property
    def is_final(self) -> bool:
        """Whether a quorum has decided (`VALID` or `INVALID`)."""
        return self in (Status.VALID, Status.INVALID)

    @property
    def is_closed(self) -> bool:
        """Whether no vote can change it any more (final, cancelled or expired)."""
        return self in (Status.VALID, Status.INVALID, Status.CANCELLED, Status.EXPIRED)

    @property
    def label(self) -> str:
        """Lower-case name, as the command line and the store write it."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class RequestTerms:
    """What a vote or a cancellation restates about a request (`ISignatureVerifier.RequestTerms`);
    the contract stores only their hash."""

    commitment: Commitment
    requester: str
    fee: int = 0
    callback_gas_limit: int = 0

    def as_abi(self) -> tuple[bytes, str, int, int]:
        """The ABI tuple `(commitment, requester, fee, callbackGasLimit)`."""
        return (bytes(self.commitment), self.requester, self.fee, self.callback_gas_limit)


@dataclass(frozen=True, slots=True)
class Key:
    """A registered ML-DSA public key and where its `KeyRegistered` log was."""

    key_id: KeyId
    algorithm_id: int
    public_key: bytes = field(repr=False)
    registrant: str
    block_number: int
    tx_hash: TxHash


@dataclass(frozen=True, slots=True)
class Request:
    """A verification request as its `VerificationRequested` log carries it."""

    request_id: RequestId
    key_id: KeyId
    requester: str
    nonce: int
    commitment: Commitment
    fee: int
    callback_gas_limit: int
    deadline: int
    message: bytes = field(repr=False)
    context: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    block_number: int
    block_hash: bytes
    tx_hash: TxHash
    log_index: int

    @property
    def terms(self) -> RequestTerms:
        """The terms a vote on this request restates."""
        return RequestTerms(self.commitment, self.requester, self.fee, self.callback_gas_limit)

    def same_payload(self, other: Request) -> bool:
        """Whether `other` says the same about the request (wherever it was logged)."""
        return (
            self.request_id == other.request_id
            and self.key_id == other.key_id
            and self.requester == other.requester
            and self.nonce == other.nonce
            and self.commitment == other.commitment
            and self.fee == other.fee
            and self.callback_gas_limit == other.callback_gas_limit
            and self.deadline == other.deadline
            and self.message == other.message
            and self.context == other.context
            and self.signature == other.signature
        )


@dataclass(frozen=True, slots=True)
class Vote:
    """One oracle's verdict on one request (`ISignatureVerifier.Vote`)."""

    request_id: RequestId
    valid: bool
    terms: RequestTerms

    def as_abi(self) -> tuple[bytes, bool, tuple[bytes, str, int, int]]:
        """The ABI tuple `(requestId, valid, terms)`."""
        return (bytes(self.request_id), self.valid, self.terms.as_abi())


@dataclass(frozen=True, slots=True)
class RequestStatus:
    """`statusOf`: status, votes of the current oracle set (frozen once closed), deadline."""

    status: Status
    valid_votes: int = 0
    invalid_votes: int = 0
    deadline: int = 0

    @property
    def verdict(self) -> bool | None:
        """True/False once final, None before."""
        if self.status is Status.VALID:
            return True
        if self.status is Status.INVALID:
            return False
        return None


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    """`ISignatureVerifier.Config`: fee minimum, timeout default and bounds, callback gas cap."""

    min_fee: int = 0
    default_timeout: int = 3600
    min_timeout: int = 60
    max_timeout: int = 7 * 24 * 3600
    max_callback_gas_limit: int = 500_000

    def as_abi(self) -> tuple[int, int, int, int, int]:
        """The ABI tuple of the struct."""
        return (
            self.min_fee,
            self.default_timeout,
            self.min_timeout,
            self.max_timeout,
            self.max_callback_gas_limit,
        )


@dataclass(frozen=True, slots=True)
class OracleSetChange:
    """An announced oracle set and threshold, in force from `effective_at` (0: none announced)."""

    oracles: tuple[str, ...]
    threshold: int
    effective_at: int


class SubmissionState(enum.StrEnum):
    """Fate of one signed vote transaction, as the chain shows it.

    MINED and REVERTED count once `confirmed` (the receipt's block is `confirmations` deep); a
    reorg that removes the receipt's block puts the transaction back to SIGNED.
    """

    #: Recorded before broadcast; not in any block the daemon has seen.
    SIGNED = "signed"
    MINED = "mined"
    REVERTED = "reverted"
    #: Its nonce was used by another transaction; it can never be mined.
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Submission:
    """A signed vote transaction and what the chain made of it."""

    #: The requests it votes on, in ballot order, with the verdict given on each.
    votes: tuple[tuple[RequestId, bool], ...]
    tx_hash: bytes
    sender: str
    nonce: int
    raw_tx: bytes = field(repr=False)
    state: SubmissionState
    block_number: int | None = None
    block_hash: bytes | None = None
    #: The receipt's block is `confirmations` deep: the state is the chain's for good.
    confirmed: bool = False
    #: How many times the raw bytes were handed to a node, and when last.
    sends: int = 0
    last_sent_at: datetime | None = None
    #: The head when the bytes were first handed to a node (accepted or not).
    sent_block: int | None = None
    #: A bump of its fees would pass the operator's fee cap.
    fee_capped: bool = False
