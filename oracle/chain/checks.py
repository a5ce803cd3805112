"""Pure pre-checks: refuse locally what the contract would revert on, before paying for it."""

from __future__ import annotations

from typing import Final

from oracle.crypto import MAX_CONTEXT_LENGTH, get_algorithm
from oracle.errors import InputError, UnknownAlgorithmError

#: `InputSanitizer.MAX_MESSAGE_LENGTH`: the longest message a request may carry.
MAX_MESSAGE_LENGTH: Final = 16_384


def check_request(algorithm_id: int, message: bytes, context: bytes, signature: bytes) -> None:
    """Refuse locally what `requestVerification` would revert on for a key of `algorithm_id`.

    Raises:
        InputError: unknown algorithm id, a signature of the wrong length, a message over
            `MAX_MESSAGE_LENGTH` or a context over 255 bytes (the contract's Sanitizer errors).
    """
    try:
        algorithm = get_algorithm(algorithm_id)
    except UnknownAlgorithmError as err:
        raise InputError(str(err)) from err
    if len(signature) != algorithm.signature_size:
        raise InputError(
            f"an {algorithm.name} signature is {algorithm.signature_size} bytes, "
            f"got {len(signature)}"
        )
    if len(message) > MAX_MESSAGE_LENGTH:
        raise InputError(
            f"message is {len(message)} bytes; the verifier takes at most {MAX_MESSAGE_LENGTH}"
        )
    if len(context) > MAX_CONTEXT_LENGTH:
        raise InputError(
            f"context is {len(context)} bytes; FIPS 204 allows at most {MAX_CONTEXT_LENGTH}"
        )
