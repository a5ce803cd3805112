"""ML-DSA (FIPS 204) for the oracle: parameter sets, backends, keys, and `verify`.

Pure: no network, no files (callers pass bytes). The function the rest of the package calls is
`verify(algorithm, public_key, message, signature, context=b"")`.
"""

from __future__ import annotations

from oracle.crypto.algorithms import (
    ALGORITHMS,
    MAX_CONTEXT_LENGTH,
    ML_DSA_44,
    ML_DSA_65,
    ML_DSA_87,
    SEED_LENGTH,
    Algorithm,
    check_context,
    check_public_key,
    get_algorithm,
    key_id,
)
from oracle.crypto.backends import Backend, BackendStatus, backend_status, get_backend
from oracle.crypto.keys import PublicKey, SigningKey, load_public_key
from oracle.errors import InputError

__all__ = [
    "ALGORITHMS",
    "MAX_CONTEXT_LENGTH",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "SEED_LENGTH",
    "Algorithm",
    "Backend",
    "BackendStatus",
    "PublicKey",
    "SigningKey",
    "backend_status",
    "get_algorithm",
    "get_backend",
    "key_id",
    "load_public_key",
    "verify",
]


def _as_bytes(value: object, what: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InputError(f"{what} must be bytes, got {type(value).__name__}")


def verify(
    algorithm: str | int | Algorithm,
    public_key: bytes,
    message: bytes,
    signature: bytes,
    context: bytes = b"",
    *,
    backend: str | Backend | None = None,
) -> bool:
    """True when `signature` is a valid ML-DSA signature of `message` under `public_key`.

    Returns False for every signature that does not verify, one of the wrong length included.

    Raises:
        UnknownAlgorithmError: `algorithm` is not ML-DSA-44/65/87 (round-3 names explained).
        InvalidKeyError: `public_key` is not a public key of that parameter set.
        ContextTooLongError: `context` is longer than 255 bytes.
        InputError: an argument is not bytes.
        BackendUnavailableError: the requested backend cannot load here.
    All but the last are `ValueError`s.
    """
    params = get_algorithm(algorithm)
    # Exact bytes (what callers pass) without a call each: this runs once per signature checked.
    raw_key = public_key if type(public_key) is bytes else _as_bytes(public_key, "public key")
    check_public_key(params, raw_key)
    check_context(context)
    raw_message = message if type(message) is bytes else _as_bytes(message, "message")
    raw_signature = signature if type(signature) is bytes else _as_bytes(signature, "signature")
    if len(raw_signature) != params.signature_size:
        return False
    chosen = backend if isinstance(backend, Backend) else get_backend(backend or "auto")
    raw_context = context if type(context) is bytes else bytes(context)
    return chosen.verify(params, raw_key, raw_message, raw_signature, raw_context)
