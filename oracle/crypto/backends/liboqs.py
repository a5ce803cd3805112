"""Backend on liboqs-python, used when the liboqs C library is installed.

`import oqs` without the shared library does not fail cleanly: liboqs-python counts down five
seconds, tries to `git clone` and build liboqs, and raises `SystemExit`. So the library is found
and loaded with ctypes first, and the module is imported only when that worked.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from oracle.crypto.backends.base import Backend, KeyPair, PrivateKeyFormat, PrivateKeyMaterial
from oracle.errors import BackendUnavailableError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from oracle.crypto.algorithms import Algorithm


def find_liboqs(environ: Mapping[str, str] | None = None) -> Path | None:
    """The liboqs shared library liboqs-python would load, or None; never imports `oqs`."""
    env = os.environ if environ is None else environ
    roots = [Path(env["OQS_INSTALL_PATH"])] if env.get("OQS_INSTALL_PATH") else []
    roots.append(Path.home() / "_oqs")
    for root in roots:
        for libdir in ("lib", "lib64"):
            candidate = root / libdir / "liboqs.so"
            if candidate.is_file():
                return candidate
    found = ctypes.util.find_library("oqs")
    return Path(found) if found else None


def _load_oqs() -> Any:
    """Import liboqs-python once its shared library is known to load.

    Raises:
        BackendUnavailableError: liboqs-python or the liboqs library is missing or unusable.
    """
    if importlib.util.find_spec("oqs") is None:
        raise BackendUnavailableError(
            "liboqs-python is not installed; `pip install liboqs-python` (the [liboqs] extra) "
            "and install the liboqs C library"
        )
    library = find_liboqs()
    if library is None:
        raise BackendUnavailableError(
            "the liboqs C library was not found (looked in $OQS_INSTALL_PATH/lib, ~/_oqs/lib and "
            "the system library path); build liboqs >= 0.14 as a shared library and set "
            "OQS_INSTALL_PATH"
        )
    try:
        ctypes.CDLL(str(library))
    except OSError as err:
        raise BackendUnavailableError(f"the liboqs library at {library} does not load") from err
    try:
        return import_module("oqs")
    except (ImportError, OSError, RuntimeError, SystemExit) as err:
        # SystemExit is liboqs-python's way of failing to find its library: never let it end
        # the process.
        raise BackendUnavailableError(f"liboqs-python failed to load liboqs: {err}") from err


class LiboqsBackend(Backend):
    """ML-DSA through liboqs (Open Quantum Safe); keys are expanded FIPS 204 private keys."""

    name: ClassVar[str] = "liboqs"
    private_key_formats: ClassVar[frozenset[PrivateKeyFormat]] = frozenset({"expanded"})

    def __init__(self) -> None:
        """Load liboqs and check that it has the three FIPS 204 parameter sets.

        Raises:
            BackendUnavailableError: liboqs is missing, or too old to name ML-DSA-44/65/87.
        """
        oqs = _load_oqs()
        enabled = set(oqs.get_enabled_sig_mechanisms())
        missing = {"ML-DSA-44", "ML-DSA-65", "ML-DSA-87"} - enabled
        if missing:
            raise BackendUnavailableError(
                f"liboqs {oqs.oqs_version()} lacks {', '.join(sorted(missing))}; "
                "liboqs >= 0.14 implements FIPS 204 under these names"
            )
        self._oqs: Final = oqs
        # The verifier object holds no secret and liboqs verification keeps no state in it, so
        # one per parameter set serves every call.
        self._verifiers: Final[dict[str, Any]] = {
            name: oqs.Signature(name) for name in ("ML-DSA-44", "ML-DSA-65", "ML-DSA-87")
        }

    def verify(
        self,
        algorithm: Algorithm,
        public_key: bytes,
        message: bytes,
        signature: bytes,
        context: bytes,
    ) -> bool:
        """True when the signature verifies."""
        if len(signature) != algorithm.signature_size:
            return False
        verifier = self._verifiers[algorithm.name]
        return bool(
            verifier.verify_with_ctx_str(
                bytes(message), bytes(signature), bytes(context), bytes(public_key)
            )
        )

    def generate(self, algorithm: Algorithm) -> KeyPair:
        """A fresh key pair from liboqs' randomness."""
        with self._oqs.Signature(algorithm.name) as signer:
            public_key = bytes(signer.generate_keypair())
            secret_key = bytes(signer.export_secret_key())
        return KeyPair(public_key, PrivateKeyMaterial("expanded", secret_key))

    def sign(
        self,
        algorithm: Algorithm,
        private_key: PrivateKeyMaterial,
        message: bytes,
        context: bytes,
    ) -> bytes:
        """A hedged signature with an expanded private key."""
        secret_key = self.expanded_key(algorithm, private_key)
        with self._oqs.Signature(algorithm.name, secret_key) as signer:
            return bytes(signer.sign_with_ctx_str(bytes(message), bytes(context)))
