"""ML-DSA parameter sets (FIPS 204 final), their sizes, and the on-chain key identifier."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Final

from eth_hash.auto import keccak

from oracle.errors import ContextTooLongError, InvalidKeyError, UnknownAlgorithmError
from oracle.types import KeyId

#: FIPS 204 caps the context string at 255 bytes (it is length-prefixed by one byte).
MAX_CONTEXT_LENGTH: Final = 255
#: FIPS 204 key generation seed (xi) length.
SEED_LENGTH: Final = 32


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One ML-DSA parameter set: its names, the id the contract uses, and its encoding sizes."""

    #: Canonical FIPS 204 name, e.g. "ML-DSA-65".
    name: str
    #: The `uint8` identifier the SignatureVerifier contract and key ids use (1, 2, 3).
    id: int
    #: NIST security category (2, 3, 5).
    security_category: int
    public_key_size: int
    #: Size of the expanded private key (FIPS 204 skEncode); the 32-byte seed is the portable form.
    private_key_size: int
    signature_size: int
    #: Object identifier (NIST CSOR), as used in PKCS#8 and SubjectPublicKeyInfo.
    oid: str

    def __str__(self) -> str:
        return self.name


ML_DSA_44: Final = Algorithm("ML-DSA-44", 1, 2, 1312, 2560, 2420, "2.16.840.1.101.3.4.3.17")
ML_DSA_65: Final = Algorithm("ML-DSA-65", 2, 3, 1952, 4032, 3309, "2.16.840.1.101.3.4.3.18")
ML_DSA_87: Final = Algorithm("ML-DSA-87", 3, 5, 2592, 4896, 4627, "2.16.840.1.101.3.4.3.19")

#: Every supported parameter set, in order of security category.
ALGORITHMS: Final[tuple[Algorithm, ...]] = (ML_DSA_44, ML_DSA_65, ML_DSA_87)

_BY_KEY: Final[dict[str, Algorithm]] = {
    **{re.sub(r"[^A-Z0-9]", "", a.name.upper()): a for a in ALGORITHMS},
    **{a.oid: a for a in ALGORITHMS},
}

# Round-3 CRYSTALS-Dilithium names. FIPS 204 changed the hashing of the public key into the
# message representative, the domain separation of the message and the hint encoding checks, so a
# round-3 signature never verifies as ML-DSA (and vice versa) even where the sizes coincide.
_ROUND3: Final[dict[str, Algorithm]] = {
    "DILITHIUM2": ML_DSA_44,
    "DILITHIUM3": ML_DSA_65,
    "DILITHIUM5": ML_DSA_87,
}


def _normalise(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def get_algorithm(algorithm: str | int | Algorithm) -> Algorithm:
    """Resolve a name ("ML-DSA-65", "mldsa65"), contract id (2) or OID to its parameter set.

    Raises:
        UnknownAlgorithmError: the name, id or OID is not an ML-DSA parameter set; round-3
            "Dilithium2/3/5" names get an explanation of why they are not accepted.
    """
    if isinstance(algorithm, Algorithm):
        return algorithm
    if isinstance(algorithm, bool):
        raise UnknownAlgorithmError(f"unknown algorithm {algorithm!r}")
    if isinstance(algorithm, int):
        for candidate in ALGORITHMS:
            if candidate.id == algorithm:
                return candidate
        ids = ", ".join(f"{a.id} ({a.name})" for a in ALGORITHMS)
        raise UnknownAlgorithmError(f"unknown algorithm id {algorithm}; supported ids: {ids}")
    if not isinstance(algorithm, str):
        raise UnknownAlgorithmError(f"unknown algorithm {algorithm!r}")
    found = _BY_KEY.get(algorithm.strip()) or _BY_KEY.get(_normalise(algorithm))
    if found is not None:
        return found
    key = _normalise(algorithm)
    for prefix in ("CRYSTALS", ""):
        successor = _ROUND3.get(key.removeprefix(prefix))
        if successor is not None:
            raise UnknownAlgorithmError(
                f"{algorithm!r} is round-3 CRYSTALS-Dilithium, the predecessor of "
                f"{successor.name}; FIPS 204 changed the signing and encoding, so its keys and "
                f"signatures are not interchangeable with {successor.name}. Use {successor.name} "
                "keys generated for FIPS 204."
            )
    names = [a.name for a in ALGORITHMS]
    hint = difflib.get_close_matches(algorithm.upper(), names, n=1, cutoff=0.6)
    suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
    raise UnknownAlgorithmError(
        f"unknown algorithm {algorithm!r}; supported: {', '.join(names)}.{suggestion}"
    )


def check_public_key(algorithm: Algorithm, public_key: bytes) -> None:
    """Check that `public_key` is a raw FIPS 204 public key of `algorithm`.

    Raises:
        InvalidKeyError: wrong type or length.
    """
    if not isinstance(public_key, bytes | bytearray | memoryview):
        raise InvalidKeyError(f"{algorithm.name} public key must be bytes")
    if len(public_key) != algorithm.public_key_size:
        raise InvalidKeyError(
            f"{algorithm.name} public key must be {algorithm.public_key_size} bytes, "
            f"got {len(public_key)}"
        )


def check_context(context: bytes) -> None:
    """Check a FIPS 204 context string.

    Raises:
        ContextTooLongError: longer than 255 bytes (also raised for a non-bytes context).
    """
    if not isinstance(context, bytes | bytearray | memoryview):
        raise ContextTooLongError("context must be bytes")
    if len(context) > MAX_CONTEXT_LENGTH:
        raise ContextTooLongError(
            f"context is {len(context)} bytes; FIPS 204 allows at most {MAX_CONTEXT_LENGTH}"
        )


def key_id(algorithm: str | int | Algorithm, public_key: bytes) -> KeyId:
    """The identifier the SignatureVerifier contract gives this key: keccak256(uint8 id ‖ pk).

    Raises:
        UnknownAlgorithmError: `algorithm` is not supported.
        InvalidKeyError: `public_key` has the wrong length for it.
    """
    params = get_algorithm(algorithm)
    check_public_key(params, public_key)
    return KeyId(keccak(bytes([params.id]) + bytes(public_key)))
