"""ML-DSA key objects: a signing key (seed, or expanded on backends without seeds) and a public key.

Key files are PEM: PKCS#8 for private keys (seed form, optionally password-encrypted) and
SubjectPublicKeyInfo for public keys, which is what pyca/cryptography and OpenSSL read and write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mldsa

from oracle.crypto.algorithms import (
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
from oracle.crypto.backends import Backend, PrivateKeyMaterial, get_backend
from oracle.errors import BackendCapabilityError, InvalidKeyError

if TYPE_CHECKING:
    from oracle.types import KeyId

_PRIVATE_CLASSES: Final = (
    (mldsa.MLDSA44PrivateKey, ML_DSA_44),
    (mldsa.MLDSA65PrivateKey, ML_DSA_65),
    (mldsa.MLDSA87PrivateKey, ML_DSA_87),
)
_PUBLIC_CLASSES: Final = (
    (mldsa.MLDSA44PublicKey, ML_DSA_44),
    (mldsa.MLDSA65PublicKey, ML_DSA_65),
    (mldsa.MLDSA87PublicKey, ML_DSA_87),
)


def _resolve_backend(backend: str | Backend | None) -> Backend:
    if isinstance(backend, Backend):
        return backend
    return get_backend(backend or "auto")


def _seed_backend(backend: str | Backend | None) -> Backend:
    """The requested backend, or for the default the first one that understands seeds."""
    if backend is not None:
        return _resolve_backend(backend)
    chosen = get_backend("auto")
    return chosen if chosen.supports_seed else get_backend("cryptography")


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A raw FIPS 204 public key with its parameter set."""

    algorithm: Algorithm
    raw: bytes
    # keccak256 over 1.3-2.6 KB: computed once here rather than at every look-up by id.
    _key_id: KeyId = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_public_key(self.algorithm, self.raw)
        object.__setattr__(self, "_key_id", key_id(self.algorithm, self.raw))

    @classmethod
    def from_bytes(cls, algorithm: str | int | Algorithm, raw: bytes) -> PublicKey:
        """Wrap a raw public key.

        Raises:
            UnknownAlgorithmError: unknown algorithm.
            InvalidKeyError: wrong length.
        """
        return cls(get_algorithm(algorithm), bytes(raw))

    @property
    def key_id(self) -> KeyId:
        """keccak256(uint8 algorithm id ‖ public key): the contract's identifier for this key."""
        return self._key_id

    def verify(
        self,
        message: bytes,
        signature: bytes,
        context: bytes = b"",
        *,
        backend: str | Backend | None = None,
    ) -> bool:
        """True when `signature` is valid for `message` under this key and `context`.

        Raises:
            ContextTooLongError: the context is longer than 255 bytes.
        """
        from oracle.crypto import verify

        return verify(self.algorithm, self.raw, message, signature, context, backend=backend)

    def to_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM."""
        for cls, algorithm in _PUBLIC_CLASSES:
            if algorithm == self.algorithm:
                key = cls.from_public_bytes(self.raw)
                return key.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
        raise AssertionError(self.algorithm)  # every Algorithm has a class above


def load_public_key(data: bytes) -> PublicKey:
    """Read a public key from PEM or DER SubjectPublicKeyInfo.

    Raises:
        InvalidKeyError: not an ML-DSA public key in either encoding.
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
        raise InvalidKeyError("unsupported public key algorithm; expected ML-DSA") from err
    for cls, algorithm in _PUBLIC_CLASSES:
        if isinstance(key, cls):
            return PublicKey(algorithm, key.public_bytes_raw())
    raise InvalidKeyError(f"expected an ML-DSA public key, got {type(key).__name__}")


class SigningKey:
    """An ML-DSA private key bound to the backend that signs with it.

    Keys generated on a backend with a seed interface are kept as their 32-byte seed (the form
    FIPS 204 recommends storing and the one PEM files carry); backends without one keep the
    expanded private key, which cannot be written to PEM.
    """

    __slots__ = ("_backend", "_material", "algorithm", "public")

    def __init__(
        self,
        algorithm: Algorithm,
        material: PrivateKeyMaterial,
        public_key: bytes,
        backend: Backend,
    ) -> None:
        """Use `generate`, `from_seed`, `from_expanded` or `from_pem` instead."""
        self.algorithm: Final = algorithm
        self.public: Final = PublicKey(algorithm, public_key)
        self._material: Final = material
        self._backend: Final = backend

    def __repr__(self) -> str:
        return (
            f"SigningKey({self.algorithm.name}, key_id=0x{self.key_id.hex()}, "
            f"backend={self._backend.name})"
        )

    @classmethod
    def generate(
        cls, algorithm: str | int | Algorithm, *, backend: str | Backend | None = None
    ) -> SigningKey:
        """A fresh key from the operating system's randomness.

        Raises:
            UnknownAlgorithmError: unknown algorithm.
            BackendUnavailableError: the backend cannot load.
        """
        params = get_algorithm(algorithm)
        chosen = _seed_backend(backend)
        pair = chosen.generate(params)
        return cls(params, pair.private_key, pair.public_key, chosen)

    @classmethod
    def from_seed(
        cls,
        algorithm: str | int | Algorithm,
        seed: bytes,
        *,
        backend: str | Backend | None = None,
    ) -> SigningKey:
        """The deterministic key of a 32-byte FIPS 204 seed.

        Raises:
            UnknownAlgorithmError: unknown algorithm.
            InvalidKeyError: the seed is not 32 bytes.
            BackendCapabilityError: the chosen backend has no seed interface.
        """
        params = get_algorithm(algorithm)
        if not isinstance(seed, bytes | bytearray) or len(seed) != SEED_LENGTH:
            size = len(seed) if isinstance(seed, bytes | bytearray) else type(seed).__name__
            raise InvalidKeyError(f"an {params.name} seed is {SEED_LENGTH} bytes, got {size}")
        chosen = _seed_backend(backend)
        pair = chosen.keypair_from_seed(params, bytes(seed))
        return cls(params, pair.private_key, pair.public_key, chosen)

    @classmethod
    def from_expanded(
        cls,
        algorithm: str | int | Algorithm,
        private_key: bytes,
        public_key: bytes,
        *,
        backend: str | Backend,
    ) -> SigningKey:
        """Wrap an expanded FIPS 204 private key for a backend that signs with that form.

        Raises:
            InvalidKeyError: wrong lengths.
            BackendCapabilityError: the backend does not sign with expanded keys.
        """
        params = get_algorithm(algorithm)
        chosen = _resolve_backend(backend)
        if "expanded" not in chosen.private_key_formats:
            raise BackendCapabilityError(f"the {chosen.name} backend cannot use expanded keys")
        if len(private_key) != params.private_key_size:
            raise InvalidKeyError(
                f"an expanded {params.name} private key is {params.private_key_size} bytes, "
                f"got {len(private_key)}"
            )
        return cls(params, PrivateKeyMaterial("expanded", bytes(private_key)), public_key, chosen)

    @classmethod
    def from_pem(
        cls,
        data: bytes,
        *,
        password: bytes | None = None,
        backend: str | Backend | None = None,
    ) -> SigningKey:
        """Read a PKCS#8 PEM private key (seed form), optionally password-protected.

        Raises:
            InvalidKeyError: not an ML-DSA private key, wrong password, or no seed in the file.
        """
        try:
            key = serialization.load_pem_private_key(bytes(data), password=password)
        except TypeError as err:
            # cryptography signals "encrypted but no password" and the reverse with TypeError.
            raise InvalidKeyError(f"cannot read the private key: {err}") from err
        except ValueError as err:
            raise InvalidKeyError("not a PEM PKCS#8 private key, or the password is wrong") from err
        except Exception as err:  # UnsupportedAlgorithm for unknown key types
            raise InvalidKeyError("unsupported private key algorithm; expected ML-DSA") from err
        for cls_, algorithm in _PRIVATE_CLASSES:
            if isinstance(key, cls_):
                return cls.from_seed(algorithm, key.private_bytes_raw(), backend=backend)
        raise InvalidKeyError(f"expected an ML-DSA private key, got {type(key).__name__}")

    @property
    def public_key(self) -> bytes:
        """The raw FIPS 204 public key."""
        return self.public.raw

    @property
    def key_id(self) -> KeyId:
        """The contract's identifier for this key."""
        return self.public.key_id

    @property
    def backend(self) -> Backend:
        """The backend that signs with this key."""
        return self._backend

    @property
    def has_seed(self) -> bool:
        """Whether the key is held as a seed (and so can be written to PEM)."""
        return self._material.format == "seed"

    def sign(self, message: bytes, context: bytes = b"") -> bytes:
        """A hedged ML-DSA signature of `message` under the FIPS 204 `context` string.

        Raises:
            ContextTooLongError: the context is longer than 255 bytes.
        """
        check_context(context)
        return self._backend.sign(self.algorithm, self._material, bytes(message), bytes(context))

    def to_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM of the seed, encrypted with `password` when one is given.

        Raises:
            BackendCapabilityError: the key is an expanded key (no seed to write).
        """
        if not self.has_seed:
            raise BackendCapabilityError(
                "this key exists only in expanded form; PEM key files hold the seed"
            )
        for cls, algorithm in _PRIVATE_CLASSES:
            if algorithm == self.algorithm:
                key = cls.from_seed_bytes(self._material.data)
                encryption: serialization.KeySerializationEncryption = (
                    serialization.BestAvailableEncryption(password)
                    if password
                    else serialization.NoEncryption()
                )
                return key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
                )
        raise AssertionError(self.algorithm)  # every Algorithm has a class above
