"""Typed records of the SignatureVerifier's events, with where each was logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from eth_utils.address import to_checksum_address

from oracle.domain import Key, PostedVerdict, Request
from oracle.types import Commitment, KeyId, RequestId, TxHash

if TYPE_CHECKING:
    from collections.abc import Mapping

    from eth_typing import ChecksumAddress

#: `ISignatureVerifier.SkipReason`, by value.
SKIP_REASONS: Final = (
    "unknown_request",
    "terms_mismatch",
    "not_pending",
    "expired",
    "already_voted",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifierEvent:
    """Position of a log: block, transaction and index within the block."""

    block_number: int
    block_hash: bytes
    tx_hash: TxHash
    log_index: int
    #: The block's timestamp, where the node's log carries it (`blockTimestamp`: Anvil, geth
    #: 1.16+); unchecked, so it only ever serves metrics, and it takes no part in comparisons.
    block_timestamp: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRegistered(VerifierEvent):
    """`KeyRegistered(keyId, algorithm, registrant, publicKey)`."""

    key_id: KeyId
    algorithm_id: int
    registrant: ChecksumAddress
    public_key: bytes = field(repr=False)

    def to_key(self) -> Key:
        """The key as the domain model holds it."""
        return Key(
            key_id=self.key_id,
            algorithm_id=self.algorithm_id,
            public_key=self.public_key,
            registrant=self.registrant,
            block_number=self.block_number,
            tx_hash=self.tx_hash,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationRequested(VerifierEvent):
    """`VerificationRequested(requestId, keyId, requester, commitment, fee, callbackGasLimit,
    deadline, nonce, message, context, signature)`."""

    request_id: RequestId
    key_id: KeyId
    requester: ChecksumAddress
    commitment: Commitment
    fee: int
    callback_gas_limit: int
    deadline: int
    nonce: int
    message: bytes = field(repr=False)
    context: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    def to_request(self) -> Request:
        """The request as the domain model holds it."""
        return Request(
            request_id=self.request_id,
            key_id=self.key_id,
            requester=self.requester,
            nonce=self.nonce,
            commitment=self.commitment,
            fee=self.fee,
            callback_gas_limit=self.callback_gas_limit,
            deadline=self.deadline,
            message=self.message,
            context=self.context,
            signature=self.signature,
            block_number=self.block_number,
            block_hash=self.block_hash,
            tx_hash=self.tx_hash,
            log_index=self.log_index,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteCast(VerifierEvent):
    """`VoteCast(requestId, oracle, valid)`: a counted vote that did not finalise."""

    request_id: RequestId
    oracle: ChecksumAddress
    valid: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteSkipped(VerifierEvent):
    """`VoteSkipped(requestId, oracle, reason)`: a batch entry the contract did not count."""

    request_id: RequestId
    oracle: ChecksumAddress
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationDisputed(VerifierEvent):
    """`VerificationDisputed(requestId, oracle, valid, validVotes, invalidVotes)`."""

    request_id: RequestId
    oracle: ChecksumAddress
    valid: bool
    valid_votes: int
    invalid_votes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationFinalized(VerifierEvent):
    """`VerificationFinalized(requestId, valid, commitment, validVotes, invalidVotes)`."""

    request_id: RequestId
    valid: bool
    commitment: Commitment
    valid_votes: int
    invalid_votes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackDelivered(VerifierEvent):
    """`CallbackDelivered(requestId, consumer, success)`."""

    request_id: RequestId
    consumer: ChecksumAddress
    success: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestCancelled(VerifierEvent):
    """`RequestCancelled(requestId, requester, refund)`."""

    request_id: RequestId
    requester: ChecksumAddress
    refund: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FeesWithdrawn(VerifierEvent):
    """`FeesWithdrawn(oracle, to, amount)`."""

    oracle: ChecksumAddress
    to: ChecksumAddress
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OracleSetChanged(VerifierEvent):
    """`OracleSetChanged(oracles, threshold)`."""

    oracles: tuple[ChecksumAddress, ...]
    threshold: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OracleSetChangeAnnounced(VerifierEvent):
    """`OracleSetChangeAnnounced(oracles, threshold, effectiveAt)`."""

    oracles: tuple[ChecksumAddress, ...]
    threshold: int
    effective_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictPosted(VerifierEvent):
    """`VerdictPosted(requestId, poster, valid, bond, finalizesAt)` (optimistic mode)."""

    request_id: RequestId
    poster: ChecksumAddress
    valid: bool
    bond: int
    finalizes_at: int

    def to_posted(self) -> PostedVerdict:
        """The post as the domain model holds it."""
        return PostedVerdict(
            request_id=self.request_id,
            poster=self.poster,
            valid=self.valid,
            bond=self.bond,
            finalizes_at=self.finalizes_at,
            block_number=self.block_number,
            block_hash=self.block_hash,
            tx_hash=self.tx_hash,
            log_index=self.log_index,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictChallenged(VerifierEvent):
    """`VerdictChallenged(requestId, challenger, poster, overturned, valid, reward, burned)`."""

    request_id: RequestId
    challenger: ChecksumAddress
    poster: ChecksumAddress
    overturned: bool
    valid: bool
    reward: int
    burned: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BondDeposited(VerifierEvent):
    """`BondDeposited(account, amount)`."""

    account: ChecksumAddress
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BondWithdrawn(VerifierEvent):
    """`BondWithdrawn(account, to, amount)`."""

    account: ChecksumAddress
    to: ChecksumAddress
    amount: int


#: Every event the daemon and the command line read, by name.
EVENT_NAMES: Final = (
    "KeyRegistered",
    "VerificationRequested",
    "VoteCast",
    "VoteSkipped",
    "VerificationDisputed",
    "VerificationFinalized",
    "CallbackDelivered",
    "RequestCancelled",
    "FeesWithdrawn",
    "OracleSetChanged",
    "OracleSetChangeAnnounced",
    "VerdictPosted",
    "VerdictChallenged",
    "BondDeposited",
    "BondWithdrawn",
)


def _position(log: Any) -> dict[str, Any]:
    return {
        "block_number": int(log["blockNumber"]),
        "block_hash": bytes(log["blockHash"]),
        "tx_hash": TxHash(bytes(log["transactionHash"])),
        "log_index": int(log["logIndex"]),
        "block_timestamp": log_timestamp(log),
    }


def log_timestamp(log: Mapping[str, Any]) -> int | None:
    """The timestamp of a log's block where the node's log carries it (`blockTimestamp`), or
    None."""
    return _optional_number(log.get("blockTimestamp"))


def _optional_number(value: Any) -> int | None:
    """An optional field a node may add to its logs: None when absent or malformed (a node's
    extra is never a reason to refuse a log)."""
    try:
        return int(value, 16) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return None


def _address(value: Any) -> ChecksumAddress:
    return to_checksum_address(value)


def event_from_log(name: str, decoded: Any) -> VerifierEvent:
    """Build the record of a log web3 decoded (`EventData`) as event `name`.

    Raises:
        KeyError: `name` is not one of the events this package reads.
    """
    a = decoded["args"]
    at = _position(decoded)
    if name == "KeyRegistered":
        return KeyRegistered(
            key_id=KeyId(bytes(a["keyId"])),
            algorithm_id=int(a["algorithm"]),
            registrant=_address(a["registrant"]),
            public_key=bytes(a["publicKey"]),
            **at,
        )
    if name == "VerificationRequested":
        return VerificationRequested(
            request_id=RequestId(bytes(a["requestId"])),
            key_id=KeyId(bytes(a["keyId"])),
            requester=_address(a["requester"]),
            commitment=Commitment(bytes(a["commitment"])),
            fee=int(a["fee"]),
            callback_gas_limit=int(a["callbackGasLimit"]),
            deadline=int(a["deadline"]),
            nonce=int(a["nonce"]),
            message=bytes(a["message"]),
            context=bytes(a["context"]),
            signature=bytes(a["signature"]),
            **at,
        )
    if name == "VoteCast":
        return VoteCast(
            request_id=RequestId(bytes(a["requestId"])),
            oracle=_address(a["oracle"]),
            valid=bool(a["valid"]),
            **at,
        )
    if name == "VoteSkipped":
        reason = int(a["reason"])
        return VoteSkipped(
            request_id=RequestId(bytes(a["requestId"])),
            oracle=_address(a["oracle"]),
            reason=SKIP_REASONS[reason] if reason < len(SKIP_REASONS) else str(reason),
            **at,
        )
    if name == "VerificationDisputed":
        return VerificationDisputed(
            request_id=RequestId(bytes(a["requestId"])),
            oracle=_address(a["oracle"]),
            valid=bool(a["valid"]),
            valid_votes=int(a["validVotes"]),
            invalid_votes=int(a["invalidVotes"]),
            **at,
        )
    if name == "VerificationFinalized":
        return VerificationFinalized(
            request_id=RequestId(bytes(a["requestId"])),
            valid=bool(a["valid"]),
            commitment=Commitment(bytes(a["commitment"])),
            valid_votes=int(a["validVotes"]),
            invalid_votes=int(a["invalidVotes"]),
            **at,
        )
    if name == "CallbackDelivered":
        return CallbackDelivered(
            request_id=RequestId(bytes(a["requestId"])),
            consumer=_address(a["consumer"]),
            success=bool(a["success"]),
            **at,
        )
    if name == "RequestCancelled":
        return RequestCancelled(
            request_id=RequestId(bytes(a["requestId"])),
            requester=_address(a["requester"]),
            refund=int(a["refund"]),
            **at,
        )
    if name == "FeesWithdrawn":
        return FeesWithdrawn(
            oracle=_address(a["oracle"]), to=_address(a["to"]), amount=int(a["amount"]), **at
        )
    if name == "OracleSetChanged":
        return OracleSetChanged(
            oracles=tuple(_address(o) for o in a["oracles"]),
            threshold=int(a["threshold"]),
            **at,
        )
    if name == "OracleSetChangeAnnounced":
        return OracleSetChangeAnnounced(
            oracles=tuple(_address(o) for o in a["oracles"]),
            threshold=int(a["threshold"]),
            effective_at=int(a["effectiveAt"]),
            **at,
        )
    if name == "VerdictPosted":
        return VerdictPosted(
            request_id=RequestId(bytes(a["requestId"])),
            poster=_address(a["poster"]),
            valid=bool(a["valid"]),
            bond=int(a["bond"]),
            finalizes_at=int(a["finalizesAt"]),
            **at,
        )
    if name == "VerdictChallenged":
        return VerdictChallenged(
            request_id=RequestId(bytes(a["requestId"])),
            challenger=_address(a["challenger"]),
            poster=_address(a["poster"]),
            overturned=bool(a["overturned"]),
            valid=bool(a["valid"]),
            reward=int(a["reward"]),
            burned=int(a["burned"]),
            **at,
        )
    if name == "BondDeposited":
        return BondDeposited(account=_address(a["account"]), amount=int(a["amount"]), **at)
    if name == "BondWithdrawn":
        return BondWithdrawn(
            account=_address(a["account"]), to=_address(a["to"]), amount=int(a["amount"]), **at
        )
    raise KeyError(name)
