"""Typed records of the SignatureVerifier's events, with where each was logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from oracle.chain.encoding import commitment
from oracle.types import Commitment, KeyId, RequestId

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifierEvent:
    """Position of a log: block, transaction and index within the block."""

    block_number: int
    block_hash: bytes
    tx_hash: bytes
    log_index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRegistered(VerifierEvent):
    """`KeyRegistered(keyId, algorithm, registrant, publicKey)`."""

    key_id: KeyId
    algorithm_id: int
    registrant: ChecksumAddress
    public_key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationRequested(VerifierEvent):
    """`VerificationRequested(requestId, keyId, requester, commitment, message, context, sig)`."""

    request_id: RequestId
    key_id: KeyId
    requester: ChecksumAddress
    commitment: Commitment
    message: bytes = field(repr=False)
    context: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    def recompute_commitment(self) -> Commitment:
        """The commitment of this event's payload; an oracle posts this, not the logged one."""
        return commitment(self.key_id, self.message, self.context, self.signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationFulfilled(VerifierEvent):
    """`VerificationFulfilled(requestId, valid, oracle)`."""

    request_id: RequestId
    valid: bool
    oracle: ChecksumAddress


def _position(log: Any) -> dict[str, Any]:
    return {
        "block_number": int(log["blockNumber"]),
        "block_hash": bytes(log["blockHash"]),
        "tx_hash": bytes(log["transactionHash"]),
        "log_index": int(log["logIndex"]),
    }


def event_from_log(name: str, decoded: Any) -> VerifierEvent:
    """Build the record of a log web3 decoded (`EventData`) as event `name`.

    Raises:
        KeyError: `name` is not one of the verifier's own events.
    """
    args = decoded["args"]
    position = _position(decoded)
    if name == "KeyRegistered":
        return KeyRegistered(
            key_id=KeyId(bytes(args["keyId"])),
            algorithm_id=int(args["algorithm"]),
            registrant=to_checksum_address(args["registrant"]),
            public_key=bytes(args["publicKey"]),
            **position,
        )
    if name == "VerificationRequested":
        return VerificationRequested(
            request_id=RequestId(int(args["requestId"])),
            key_id=KeyId(bytes(args["keyId"])),
            requester=to_checksum_address(args["requester"]),
            commitment=Commitment(bytes(args["commitment"])),
            message=bytes(args["message"]),
            context=bytes(args["context"]),
            signature=bytes(args["signature"]),
            **position,
        )
    if name == "VerificationFulfilled":
        return VerificationFulfilled(
            request_id=RequestId(int(args["requestId"])),
            valid=bool(args["valid"]),
            oracle=to_checksum_address(args["oracle"]),
            **position,
        )
    raise KeyError(name)
