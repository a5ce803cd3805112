"""Backend on `pqcrypto` (PQClean's ML-DSA through Rust bindings): an independent implementation.

PQClean exposes the FIPS 204 pure interface with context strings, but key generation only from
its own randomness: there is no seed interface, so its private keys are the expanded encoding.

pqcrypto 1.0.0 refuses contexts of 254 and 255 bytes when signing and rejects valid signatures
made with them. Reporting such a signature as invalid would be a wrong verdict, so the backend
measures the longest context it handles when it loads and refuses longer ones.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, ClassVar, Final, Protocol, cast

from oracle.crypto.backends.base import Backend, KeyPair, PrivateKeyFormat, PrivateKeyMaterial
from oracle.errors import BackendCapabilityError, BackendUnavailableError

if TYPE_CHECKING:
    from oracle.crypto.algorithms import Algorithm


class _Module(Protocol):
    def keygen(self) -> tuple[bytes, bytes]: ...
    def sign(self, sk: bytes, msg: bytes, context: bytes | None = None) -> bytes: ...
    def verify(self, pk: bytes, msg: bytes, sig: bytes, context: bytes | None = None) -> None: ...


_MODULES: Final = {"ML-DSA-44": "ml_dsa_44", "ML-DSA-65": "ml_dsa_65", "ML-DSA-87": "ml_dsa_87"}


class PqcryptoBackend(Backend):
    """ML-DSA through `pqcrypto.sign.ml_dsa_*`; keys are expanded FIPS 204 private keys."""

    name: ClassVar[str] = "pqcrypto"
    private_key_formats: ClassVar[frozenset[PrivateKeyFormat]] = frozenset({"expanded"})

    def __init__(self) -> None:
        """Load the ML-DSA modules.

        Raises:
            BackendUnavailableError: pqcrypto is not installed or lacks ML-DSA.
        """
        try:
            pqcrypto = import_module("pqcrypto")
            self._modules: Final = {
                name: cast("_Module", import_module(f"pqcrypto.sign.{module}"))
                for name, module in _MODULES.items()
            }
        except ImportError as err:
            raise BackendUnavailableError(
                "pqcrypto is not installed; `pip install pqcrypto` (or the [pqcrypto] extra)"
            ) from err
        self._invalid_signature: Final[type[Exception]] = pqcrypto.InvalidSignatureError
        self.max_context_length = self._longest_context()

    def _longest_context(self) -> int:
        module = self._modules["ML-DSA-44"]
        _, secret_key = module.keygen()
        for length in range(255, 0, -1):
            try:
                module.sign(secret_key, b"", b"\x00" * length)
            except ValueError:
                continue
            return length
        return 0

    def _check_context(self, context: bytes) -> None:
        if len(context) > self.max_context_length:
            raise BackendCapabilityError(
                f"the pqcrypto backend handles contexts up to {self.max_context_length} bytes, "
                f"not {len(context)}; use the cryptography backend"
            )

    def verify(
        self,
        algorithm: Algorithm,
        public_key: bytes,
        message: bytes,
        signature: bytes,
        context: bytes,
    ) -> bool:
        """True when the signature verifies."""
        self._check_context(context)
        module = self._modules[algorithm.name]
        try:
            module.verify(bytes(public_key), bytes(message), bytes(signature), bytes(context))
        except self._invalid_signature:
            return False
        except ValueError:
            # Raised for a signature of the wrong length; lengths of the key were checked before.
            return False
        return True

    def generate(self, algorithm: Algorithm) -> KeyPair:
        """A fresh key pair from PQClean's randomness."""
        public_key, secret_key = self._modules[algorithm.name].keygen()
        return KeyPair(bytes(public_key), PrivateKeyMaterial("expanded", bytes(secret_key)))

    def sign(
        self,
        algorithm: Algorithm,
        private_key: PrivateKeyMaterial,
        message: bytes,
        context: bytes,
    ) -> bytes:
        """A hedged signature with an expanded private key."""
        self._check_context(context)
        secret_key = self.expanded_key(algorithm, private_key)
        return bytes(self._modules[algorithm.name].sign(secret_key, bytes(message), bytes(context)))
