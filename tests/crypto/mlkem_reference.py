"""The FIPS 203 functions `cryptography` does not expose, from kyber-py (a test-only dependency).

`cryptography` holds ML-KEM private keys as the 64-byte seed d ‖ z and encapsulates with its own
randomness. kyber-py, an independent pure-Python ML-KEM, also exposes the deterministic internal
functions: ML-KEM.KeyGen_internal (the expanded dk), ML-KEM.Encaps_internal with a given m, and
ML-KEM.Decaps on an expanded dk. It has no separate decapsulation key check, so the FIPS 203 §7.3
check is written out here with kyber-py's own H and key sizes.
"""

from __future__ import annotations

from typing import Final

from kyber_py.ml_kem import ML_KEM_768, ML_KEM_1024
from kyber_py.ml_kem.ml_kem import ML_KEM

#: kyber-py's object for each parameter set the project uses.
_IMPLEMENTATIONS: Final[dict[str, ML_KEM]] = {
    "ML-KEM-768": ML_KEM_768,
    "ML-KEM-1024": ML_KEM_1024,
}


def _kem(parameter_set: str) -> ML_KEM:
    return _IMPLEMENTATIONS[parameter_set]


def keygen_internal(parameter_set: str, seed: bytes) -> tuple[bytes, bytes]:
    """(ek, dk) of the 64-byte seed d ‖ z: ML-KEM.KeyGen_internal(d, z), Algorithm 16.

    Raises:
        ValueError: the seed is not 64 bytes.
    """
    return _kem(parameter_set).key_derive(seed)


def encaps_internal(parameter_set: str, ek: bytes, m: bytes) -> tuple[bytes, bytes]:
    """(K, c) for the randomness m: ML-KEM.Encaps_internal(ek, m), Algorithm 17.

    Raises:
        ValueError: ek fails the §7.2 encapsulation key check (length, reduction mod q).
    """
    if len(m) != 32:
        # kyber-py would hash any length into G; FIPS 203 defines m as 32 bytes.
        raise ValueError(f"m is 32 bytes, got {len(m)}")
    return _kem(parameter_set)._encaps_internal(ek, m)


def decaps(parameter_set: str, dk: bytes, c: bytes) -> bytes:
    """The shared key K of c under the expanded dk: ML-KEM.Decaps, Algorithm 21.

    Raises:
        ValueError: c or dk fails the §7.3 decapsulation input check.
    """
    return _kem(parameter_set).decaps(dk, c)


def decapsulation_key_check(parameter_set: str, dk: bytes) -> bool:
    """FIPS 203 §7.3 checks 2 and 3 on an expanded dk: its length, and H(ek) against its copy."""
    kem = _kem(parameter_set)
    if len(dk) != kem._dk_size():
        return False
    # dk = dk_PKE (384k bytes) ‖ ek (384k + 32) ‖ H(ek) (32) ‖ z (32).
    ek, stored_hash = dk[384 * kem.k : 768 * kem.k + 32], dk[768 * kem.k + 32 : 768 * kem.k + 64]
    return kem._H(ek) == stored_hash


def embedded_encapsulation_key(parameter_set: str, dk: bytes) -> bytes:
    """The ek copied inside an expanded dk."""
    k = _kem(parameter_set).k
    return dk[384 * k : 768 * k + 32]
