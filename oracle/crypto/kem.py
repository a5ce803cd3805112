"""ML-KEM (FIPS 203) keys for envelope encryption: parameter sets, key objects, PEM files.

Private keys are held as their 64-byte seed d ‖ z, the form FIPS 203 recommends storing and the
one `cryptography` loads and writes (PKCS#8). Public keys are raw FIPS 203 encapsulation keys
that have passed the §7.2 check (right length, every coefficient reduced mod q).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mlkem

from oracle.errors import (
    BackendUnavailableError,
    InvalidCiphertextError,
    InvalidKeyError,
    UnknownAlgorithmError,
)

if TYPE_CHECKING:
    from cryptography.utils import Buffer

#: FIPS 203 key generation seed d ‖ z.
KEM_SEED_LENGTH: Final = 64
#: The shared secret K of every ML-KEM parameter set.
SHARED_SECRET_LENGTH: Final = 32


class _PublicKey(Protocol):
    def encapsulate(self) -> tuple[bytes, bytes]: ...
    def public_bytes_raw(self) -> bytes: ...
    def public_bytes(
        self, encoding: serialization.Encoding, format: serialization.PublicFormat
    ) -> bytes: ...


class _PrivateKey(Protocol):
    def decapsulate(self, ciphertext: Buffer) -> bytes: ...
    def public_key(self) -> _PublicKey: ...
    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes: ...


class _PrivateKeyClass(Protocol):
    def from_seed_bytes(self, data: bytes) -> _PrivateKey: ...


class _PublicKeyClass(Protocol):
    def from_public_bytes(self, data: bytes) -> _PublicKey: ...


@dataclass(frozen=True, slots=True)
class KemAlgorithm:
    """One ML-KEM parameter set and its encoding sizes (FIPS 203 Table 3)."""

    name: str
    security_category: int
    public_key_size: int
    ciphertext_size: int

    def __str__(self) -> str:
        return self.name


ML_KEM_768: Final = KemAlgorithm("ML-KEM-768", 3, 1184, 1088)
ML_KEM_1024: Final = KemAlgorithm("ML-KEM-1024", 5, 1568, 1568)

#: Every supported parameter set. ML-KEM-512 is left out: the project has no use for category 1.
KEM_ALGORITHMS: Final[tuple[KemAlgorithm, ...]] = (ML_KEM_768, ML_KEM_1024)

_CLASSES: Final[dict[str, tuple[_PrivateKeyClass, _PublicKeyClass]]] = {
    ML_KEM_768.name: (mlkem.MLKEM768PrivateKey, mlkem.MLKEM768PublicKey),
    ML_KEM_1024.name: (mlkem.MLKEM1024PrivateKey, mlkem.MLKEM1024PublicKey),
}


def get_kem_algorithm(algorithm: str | KemAlgorithm) -> KemAlgorithm:
    """Resolve "ML-KEM-768" (any case, with or without dashes) to its parameter set.

    Raises:
        UnknownAlgorithmError: not ML-KEM-768 or ML-KEM-1024.
    """
    if isinstance(algorithm, KemAlgorithm):
        return algorithm
    if isinstance(algorithm, str):
        wanted = algorithm.upper().replace("-", "").replace("_", "").strip()
        for candidate in KEM_ALGORITHMS:
            if candidate.name.replace("-", "") == wanted:
                return candidate
    names = ", ".join(a.name for a in KEM_ALGORITHMS)
    raise UnknownAlgorithmError(f"unknown KEM {algorithm!r}; supported: {names}")


def _check_support() -> None:
    from cryptography.hazmat.backends.openssl.backend import backend as openssl

    if not openssl.mlkem_supported():
        raise BackendUnavailableError(
            "the OpenSSL inside the installed cryptography wheel has no ML-KEM; "
            "install a cryptography>=48 wheel built on OpenSSL 3.5 or later"
        )


@dataclass(frozen=True, slots=True)
class KemPublicKey:
    """A checked ML-KEM encapsulation key (FIPS 203 §7.2) with its parameter set."""

    algorithm: KemAlgorithm
    raw: bytes
    _key: _PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the key.

        Raises:
            InvalidKeyError: wrong type or length, or a coefficient not reduced mod q.
        """
        if not isinstance(self.raw, bytes):
            raise InvalidKeyError(f"an {self.algorithm.name} public key must be bytes")
        if len(self.raw) != self.algorithm.public_key_size:
            raise InvalidKeyError(
                f"an {self.algorithm.name} public key is {self.algorithm.public_key_size} "
                f"bytes, got {len(self.raw)}"
            )
        _check_support()
        _, public_class = _CLASSES[self.algorithm.name]
        try:
            key = public_class.from_public_bytes(self.raw)
        except ValueError as err:
            # The length is already right, so the only remaining failure is the modulus check
            # (cryptography's message for it talks about length; it is not used here).
            raise InvalidKeyError(
                f"not a valid {self.algorithm.name} public key: a coefficient is not reduced "
                "mod q (FIPS 203 §7.2 encapsulation key check)"
            ) from err
        object.__setattr__(self, "_key", key)

    @classmethod
    def from_bytes(cls, raw: bytes, algorithm: str | KemAlgorithm = ML_KEM_768) -> KemPublicKey:
        """Wrap and check a raw encapsulation key.

        Raises:
            UnknownAlgorithmError: unknown parameter set.
            InvalidKeyError: wrong length or not reduced mod q.
        """
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise InvalidKeyError("a public key must be bytes")
        return cls(get_kem_algorithm(algorithm), bytes(raw))

    @classmethod
    def from_pem(cls, data: bytes) -> KemPublicKey:
        """Read a SubjectPublicKeyInfo PEM (or DER) ML-KEM public key.

        Raises:
            InvalidKeyError: not a PEM/DER public key, or not ML-KEM-768/1024.
        """
        blob = bytes(data)
        try:
            if blob.lstrip().startswith(b"-----BEGIN"):
                key = serialization.load_pem_public_key(blob)
            else:
                key = serialization.load_der_public_key(blob)
        except (ValueError, TypeError) as err:
            raise InvalidKeyError("not a PEM or DER SubjectPublicKeyInfo public key") from err
        except Exception as err:  # cryptography raises UnsupportedAlgorithm for unknown OIDs
            raise InvalidKeyError("unsupported public key algorithm; expected ML-KEM") from err
        if isinstance(key, mlkem.MLKEM768PublicKey):
            return cls(ML_KEM_768, key.public_bytes_raw())
        if isinstance(key, mlkem.MLKEM1024PublicKey):
            return cls(ML_KEM_1024, key.public_bytes_raw())
        raise InvalidKeyError(f"expected an ML-KEM public key, got {type(key).__name__}")

    def to_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM."""
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> bytes:
        """SHA-256 of the raw encapsulation key: how envelopes name this recipient."""
        return hashlib.sha256(self.raw).digest()

    def encapsulate(self) -> tuple[bytes, bytes]:
        """A fresh (32-byte shared secret, ciphertext) pair from the OS's randomness."""
        shared_secret, ciphertext = self._key.encapsulate()
        return shared_secret, ciphertext


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class KemPrivateKey:
    """An ML-KEM decapsulation key, held as its 64-byte seed d ‖ z. Never printed."""

    algorithm: KemAlgorithm
    seed: bytes
    public_key: KemPublicKey = field(init=False)
    _key: _PrivateKey = field(init=False)

    def __post_init__(self) -> None:
        """Derive the key pair from the seed.

        Raises:
            InvalidKeyError: the seed is not 64 bytes.
        """
        if not isinstance(self.seed, bytes) or len(self.seed) != KEM_SEED_LENGTH:
            size = len(self.seed) if isinstance(self.seed, bytes) else type(self.seed).__name__
            raise InvalidKeyError(
                f"an {self.algorithm.name} seed (d ‖ z) is {KEM_SEED_LENGTH} bytes, got {size}"
            )
        _check_support()
        private_class, _ = _CLASSES[self.algorithm.name]
        key = private_class.from_seed_bytes(self.seed)
        object.__setattr__(self, "_key", key)
        public = KemPublicKey(self.algorithm, key.public_key().public_bytes_raw())
        object.__setattr__(self, "public_key", public)

    def __repr__(self) -> str:
        # The seed is the whole private key: it must never reach a log line or a traceback.
        return f"KemPrivateKey({self.algorithm.name}, key_id={self.key_id.hex()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KemPrivateKey):
            return NotImplemented
        return self.algorithm == other.algorithm and hmac.compare_digest(self.seed, other.seed)

    def __hash__(self) -> int:
        return hash(self.public_key.raw)

    @classmethod
    def generate(cls, algorithm: str | KemAlgorithm = ML_KEM_768) -> KemPrivateKey:
        """A fresh key from the operating system's randomness.

        Raises:
            UnknownAlgorithmError: unknown parameter set.
            BackendUnavailableError: this cryptography build has no ML-KEM.
        """
        return cls(get_kem_algorithm(algorithm), os.urandom(KEM_SEED_LENGTH))

    @classmethod
    def from_seed(cls, seed: bytes, algorithm: str | KemAlgorithm = ML_KEM_768) -> KemPrivateKey:
        """The deterministic key of a 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal).

        Raises:
            UnknownAlgorithmError: unknown parameter set.
            InvalidKeyError: the seed is not 64 bytes.
        """
        raw = bytes(seed) if isinstance(seed, bytes | bytearray | memoryview) else seed
        return cls(get_kem_algorithm(algorithm), raw)

    @classmethod
    def from_pem(cls, data: bytes, *, password: bytes | None = None) -> KemPrivateKey:
        """Read a PKCS#8 PEM (or DER) ML-KEM private key, optionally password-protected.

        Raises:
            InvalidKeyError: not an ML-KEM private key, wrong or missing password.
        """
        blob = bytes(data)
        try:
            if blob.lstrip().startswith(b"-----BEGIN"):
                key = serialization.load_pem_private_key(blob, password=password)
            else:
                key = serialization.load_der_private_key(blob, password=password)
        except TypeError as err:
            # cryptography signals "encrypted but no password" and the reverse with TypeError.
            raise InvalidKeyError("the private key is encrypted: a password is needed") from err
        except ValueError as err:
            raise InvalidKeyError("not a PKCS#8 private key, or the password is wrong") from err
        except Exception as err:  # UnsupportedAlgorithm for unknown key types
            raise InvalidKeyError("unsupported private key algorithm; expected ML-KEM") from err
        if isinstance(key, mlkem.MLKEM768PrivateKey):
            return cls(ML_KEM_768, key.private_bytes_raw())
        if isinstance(key, mlkem.MLKEM1024PrivateKey):
            return cls(ML_KEM_1024, key.private_bytes_raw())
        raise InvalidKeyError(f"expected an ML-KEM private key, got {type(key).__name__}")

    def to_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM of the seed, encrypted with `password` when one is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    @property
    def key_id(self) -> bytes:
        """The key id of the public half (SHA-256 of the encapsulation key)."""
        return self.public_key.key_id

    def decapsulate(self, ciphertext: bytes) -> bytes:
        """The 32-byte shared secret of `ciphertext`.

        A well-formed but modified ciphertext gives an unrelated pseudorandom secret (FIPS 203
        implicit rejection), never an error: the caller's AEAD detects it.

        Raises:
            InvalidCiphertextError: wrong type or length for this parameter set.
        """
        if not isinstance(ciphertext, bytes | bytearray | memoryview):
            raise InvalidCiphertextError("a KEM ciphertext must be bytes")
        if len(ciphertext) != self.algorithm.ciphertext_size:
            raise InvalidCiphertextError(
                f"an {self.algorithm.name} ciphertext is {self.algorithm.ciphertext_size} "
                f"bytes, got {len(ciphertext)}"
            )
        return self._key.decapsulate(bytes(ciphertext))
