"""Pure encodings shared with the contract: key ids and request commitments."""

from __future__ import annotations

from eth_abi.abi import encode as abi_encode
from eth_hash.auto import keccak

from oracle.chain import abi
from oracle.crypto import key_id
from oracle.errors import InputError
from oracle.types import Commitment, KeyId, RequestId

__all__ = ["commitment", "key_id", "request_id", "terms_hash"]

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
    encoded = abi.encode(
        _COMMITMENT_TYPES,
        [
            raw_key_id,
            _as_bytes(message, "message"),
            _as_bytes(context, "context"),
            _as_bytes(signature, "signature"),
        ],
    )
    return Commitment(keccak(encoded))


def request_id(chain_id: int, verifier: str, requester: str, nonce: int) -> RequestId:
    """keccak256(abi.encode(chainId, verifier, requester, nonce)), as SignatureVerifier 2 names
    the `nonce`-th request of `requester` (counted from 0).

    Raises:
        InputError: an argument is out of its ABI type's range.
    """
    try:
        encoded = abi_encode(
            ["uint256", "address", "address", "uint256"], [chain_id, verifier, requester, nonce]
        )
    except Exception as err:  # eth-abi's encoding errors share no useful base class
        raise InputError(f"cannot encode a request id: {err}") from None
    return RequestId(keccak(encoded))


def terms_hash(commitment: bytes, requester: str, fee: int, callback_gas_limit: int) -> bytes:
    """keccak256(abi.encode(RequestTerms)): what the contract keeps 112 bits of per request."""
    return keccak(
        abi_encode(
            ["bytes32", "address", "uint96", "uint32"],
            [commitment, requester, fee, callback_gas_limit],
        )
    )
