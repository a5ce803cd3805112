"""The interface every ML-DSA implementation is wrapped in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Final, Literal

from oracle.errors import BackendCapabilityError, InvalidKeyError

if TYPE_CHECKING:
    from oracle.crypto.algorithms import Algorithm

#: Parsed public keys a backend keeps (a daemon verifies many requests under few keys).
PARSED_KEYS: Final = 1024
#: How a private key is held: the 32-byte FIPS 204 seed, or the expanded skEncode form.
PrivateKeyFormat = Literal["seed", "expanded"]


# Weak references let a backend keep a parsed key for exactly as long as the material lives.
@dataclass(frozen=True, slots=True, repr=False, weakref_slot=True)
class PrivateKeyMaterial:
    """A raw private key in one of the two FIPS 204 forms. Never printed."""

    format: PrivateKeyFormat
    data: bytes

    def __repr__(self) -> str:
        # Private key bytes must never reach a log line or a traceback.
        return f"PrivateKeyMaterial(format={self.format!r}, data=<{len(self.data)} bytes>)"


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A public key and the private key material that a backend produced for it."""

    public_key: bytes
    private_key: PrivateKeyMaterial


class Backend(ABC):
    """One ML-DSA implementation (pure FIPS 204 interface, with context strings).

    The public functions in `oracle.crypto` validate names, key and context lengths before they
    call a backend, so backends may assume a known algorithm, a public key of the right length
    and a context of at most 255 bytes. Signing is always hedged (fresh randomness).
    """

    #: Registry name, e.g. "cryptography".
    name: ClassVar[str]
    #: The private key forms `sign` accepts; "seed" also means `keypair_from_seed` works.
    private_key_formats: ClassVar[frozenset[PrivateKeyFormat]]
    #: Longest context string the implementation handles (FIPS 204 allows 255 bytes).
    max_context_length: int = 255
    #: Whether `sign_deterministic` works (FIPS 204's deterministic variant, `rnd` all zeros).
    supports_deterministic: ClassVar[bool] = False

    def expanded_key(self, algorithm: Algorithm, private_key: PrivateKeyMaterial) -> bytes:
        """The bytes of an expanded private key, checked for this backend and parameter set.

        Raises:
            BackendCapabilityError: the key is held in another form.
            InvalidKeyError: the expanded key has the wrong length.
        """
        if private_key.format != "expanded":
            raise BackendCapabilityError(
                f"the {self.name} backend signs with expanded private keys only"
            )
        if len(private_key.data) != algorithm.private_key_size:
            raise InvalidKeyError(
                f"an expanded {algorithm.name} private key is {algorithm.private_key_size} bytes, "
                f"got {len(private_key.data)}"
            )
        return private_key.data

    @property
    def supports_seed(self) -> bool:
        """Whether this backend derives key pairs from a FIPS 204 seed."""
        return "seed" in self.private_key_formats

    @abstractmethod
    def verify(
        self,
        algorithm: Algorithm,
        public_key: bytes,
        message: bytes,
        signature: bytes,
        context: bytes,
    ) -> bool:
        """True when `signature` is a valid ML-DSA signature; False (never an error) otherwise.

        Raises:
            BackendCapabilityError: the context is longer than `max_context_length`.
        """

    @abstractmethod
    def generate(self, algorithm: Algorithm) -> KeyPair:
        """A fresh key pair from the operating system's randomness."""

    def keypair_from_seed(self, algorithm: Algorithm, seed: bytes) -> KeyPair:
        """The deterministic key pair of a 32-byte seed; backends with a seed interface override.

        Raises:
            BackendCapabilityError: this backend has no seed interface.
            InvalidKeyError: the seed is not 32 bytes.
        """
        raise BackendCapabilityError(
            f"the {self.name} backend cannot derive a key pair from a seed; use the "
            "cryptography backend for seed keys"
        )

    def sign_deterministic(
        self,
        algorithm: Algorithm,
        private_key: PrivateKeyMaterial,
        message: bytes,
        context: bytes,
    ) -> bytes:
        """The deterministic ML-DSA signature (`rnd` all zeros): for known-answer tests, never
        for keys that sign in production (hedged signing resists fault and side-channel attacks).

        Raises:
            BackendCapabilityError: this backend signs hedged only.
        """
        raise BackendCapabilityError(f"the {self.name} backend signs hedged only")

    @abstractmethod
    def sign(
        self,
        algorithm: Algorithm,
        private_key: PrivateKeyMaterial,
        message: bytes,
        context: bytes,
    ) -> bytes:
        """A hedged ML-DSA signature.

        Raises:
            BackendCapabilityError: this backend cannot use keys of that format.
            InvalidKeyError: the private key is malformed.
        """
