"""Backend on pyca/cryptography (OpenSSL 3.5+ inside its wheels): the default."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar, Final, Protocol
from weakref import WeakKeyDictionary

from cryptography.exceptions import InvalidSignature

from oracle.crypto.backends.base import (
    PARSED_KEYS,
    Backend,
    KeyPair,
    PrivateKeyFormat,
    PrivateKeyMaterial,
)
from oracle.errors import BackendCapabilityError, BackendUnavailableError, InvalidKeyError

if TYPE_CHECKING:
    from oracle.crypto.algorithms import Algorithm


class _PublicKey(Protocol):
    def verify(self, signature: bytes, data: bytes, context: bytes | None = None) -> None: ...
    def public_bytes_raw(self) -> bytes: ...


class _PrivateKey(Protocol):
    def sign(self, data: bytes, context: bytes | None = None) -> bytes: ...
    def public_key(self) -> _PublicKey: ...


class _PrivateKeyClass(Protocol):
    def from_seed_bytes(self, data: bytes) -> _PrivateKey: ...


class _PublicKeyClass(Protocol):
    def from_public_bytes(self, data: bytes) -> _PublicKey: ...


#: Private keys already expanded from their seed, by parameter set (one seed may serve several),
#: for as long as their material is alive: a seed costs a sixth of a signature to expand.
_SIGNERS: Final[WeakKeyDictionary[PrivateKeyMaterial, dict[str, _PrivateKey]]] = WeakKeyDictionary()


def _classes() -> dict[str, tuple[_PrivateKeyClass, _PublicKeyClass]]:
    try:
        from cryptography.hazmat.backends.openssl.backend import backend as openssl
        from cryptography.hazmat.primitives.asymmetric import mldsa
    except ImportError as err:
        raise BackendUnavailableError(
            "the installed cryptography has no ML-DSA support; install cryptography>=48"
        ) from err
    if not openssl.mldsa_supported():
        raise BackendUnavailableError(
            "the OpenSSL inside the installed cryptography wheel has no ML-DSA; "
            "install a cryptography>=48 wheel built on OpenSSL 3.5 or later"
        )
    return {
        "ML-DSA-44": (mldsa.MLDSA44PrivateKey, mldsa.MLDSA44PublicKey),
        "ML-DSA-65": (mldsa.MLDSA65PrivateKey, mldsa.MLDSA65PublicKey),
        "ML-DSA-87": (mldsa.MLDSA87PrivateKey, mldsa.MLDSA87PublicKey),
    }


class CryptographyBackend(Backend):
    """ML-DSA through `cryptography.hazmat.primitives.asymmetric.mldsa`; keys are seeds."""

    name: ClassVar[str] = "cryptography"
    private_key_formats: ClassVar[frozenset[PrivateKeyFormat]] = frozenset({"seed"})

    def __init__(self) -> None:
        """Load the ML-DSA classes.

        Raises:
            BackendUnavailableError: this cryptography/OpenSSL build has no ML-DSA.
        """
        self._classes: Final = _classes()
        # Parsing a key costs as much as a tenth of a verification; a daemon verifies many
        # requests under few keys. Per instance, so a fresh backend starts from an empty cache.
        self._parsed = lru_cache(maxsize=PARSED_KEYS)(self._parse)

    def _parse(self, algorithm: str, public_key: bytes) -> _PublicKey:
        _, public_class = self._classes[algorithm]
        try:
            return public_class.from_public_bytes(public_key)
        except ValueError as err:
            raise InvalidKeyError(f"malformed {algorithm} public key") from err

    def verify(
        self,
        algorithm: Algorithm,
        public_key: bytes,
        message: bytes,
        signature: bytes,
        context: bytes,
    ) -> bool:
        """True when the signature verifies."""
        key = self._parsed(algorithm.name, bytes(public_key))
        try:
            key.verify(bytes(signature), bytes(message), bytes(context))
        except InvalidSignature:
            return False
        return True

    def generate(self, algorithm: Algorithm) -> KeyPair:
        """A fresh key pair, kept as its seed."""
        return self.keypair_from_seed(algorithm, os.urandom(32))

    def keypair_from_seed(self, algorithm: Algorithm, seed: bytes) -> KeyPair:
        """The key pair of a 32-byte seed."""
        private = self._private(algorithm, bytes(seed))
        return KeyPair(
            public_key=private.public_key().public_bytes_raw(),
            private_key=PrivateKeyMaterial("seed", bytes(seed)),
        )

    def sign(
        self,
        algorithm: Algorithm,
        private_key: PrivateKeyMaterial,
        message: bytes,
        context: bytes,
    ) -> bytes:
        """A hedged signature; OpenSSL draws the per-signature randomness."""
        if private_key.format != "seed":
            raise BackendCapabilityError(
                "the cryptography backend signs with seed keys only; expanded FIPS 204 private "
                "keys need the pqcrypto or liboqs backend"
            )
        expanded = _SIGNERS.setdefault(private_key, {})
        signer = expanded.get(algorithm.name)
        if signer is None:
            signer = expanded[algorithm.name] = self._private(algorithm, private_key.data)
        return signer.sign(bytes(message), bytes(context))

    def _private(self, algorithm: Algorithm, seed: bytes) -> _PrivateKey:
        private_class, _ = self._classes[algorithm.name]
        if len(seed) != 32:
            raise InvalidKeyError(f"an {algorithm.name} seed is 32 bytes, got {len(seed)}")
        return private_class.from_seed_bytes(seed)
