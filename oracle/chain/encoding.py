"""Pure encodings shared with the contract: key ids and request commitments."""

from __future__ import annotations

from eth_abi.abi import encode as abi_encode
from eth_hash.auto import keccak

from oracle.crypto import key_id
from oracle.errors import InputError
from oracle.types import Commitment, KeyId

__all__ = ["commitment", "key_id"]

_COMMITMENT_TYPES = ("bytes32", "bytes", "bytes", "bytes")


def _as_bytes(value: object, what: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InputError(f"{what} must be bytes, got {type(value).__name__}")


def commitment(
    key_id: KeyId | bytes, message: bytes, context: bytes, signature: bytes
) -> Commitment:
    """keccak256(abi.encode(keyId, message, context, signature)), as SignatureVerifier stores it.

    Raises:
        InputError: `key_id` is not 32 bytes, or an argument is not bytes.
    """
    raw_key_id = _as_bytes(key_id, "key id")
    if len(raw_key_id) != 32:
        raise InputError(f"key id must be 32 bytes, got {len(raw_key_id)}")
    encoded = abi_encode(
        list(_COMMITMENT_TYPES),
        [
            raw_key_id,
            _as_bytes(message, "message"),
            _as_bytes(context, "context"),
            _as_bytes(signature, "signature"),
        ],
    )
    return Commitment(keccak(encoded))
