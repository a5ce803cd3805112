"""The service's own keys, by name, from one directory of PEM files: ML-DSA keys it signs with
and ML-KEM-768 keys that envelopes are sealed to."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from oracle.crypto import SigningKey
from oracle.crypto.kem import KemPrivateKey
from oracle.errors import ConfigError, CryptoError, InputError

if TYPE_CHECKING:
    from pathlib import Path

#: A key name: the PEM file's name without `.pem`; no path separators, nothing hidden.
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Keyring:
    """Keys loaded once from `directory` (`<name>.pem`); private halves never logged or served."""

    def __init__(self, directory: Path) -> None:
        """Load every `*.pem` key in `directory`.

        Raises:
            ConfigError: the directory is missing, or a file is not an unencrypted ML-DSA key.
        """
        if not directory.is_dir():
            raise ConfigError(f"setting api_signing_keys_dir: {directory} is not a directory")
        self._keys: dict[str, SigningKey] = {}
        self._kem_keys: dict[str, KemPrivateKey] = {}
        for path in sorted(directory.glob("*.pem")):
            if not _NAME.match(path.stem):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                raise ConfigError(
                    f"setting api_signing_keys_dir: cannot read {path.name}"
                ) from None
            try:
                self._keys[path.stem] = SigningKey.from_pem(data)
                continue
            except CryptoError:
                pass
            try:
                self._kem_keys[path.stem] = KemPrivateKey.from_pem(data)
            except CryptoError:
                raise ConfigError(
                    f"setting api_signing_keys_dir: {path.name} is not an unencrypted ML-DSA or "
                    "ML-KEM private key"
                ) from None

    def __repr__(self) -> str:
        return f"Keyring({sorted(self._keys)}, kem={sorted(self._kem_keys)})"

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the ML-DSA signing keys held."""
        return tuple(sorted(self._keys))

    @property
    def kem_names(self) -> tuple[str, ...]:
        """The names of the ML-KEM envelope keys held."""
        return tuple(sorted(self._kem_keys))

    def kem(self, name: str) -> KemPrivateKey:
        """The ML-KEM key called `name`.

        Raises:
            InputError: no ML-KEM key of that name.
        """
        key = self._kem_keys.get(name) if _NAME.match(name) else None
        if key is None:
            raise InputError(f"the service holds no ML-KEM envelope key named {name!r}")
        return key

    def get(self, name: str) -> SigningKey:
        """The key called `name`.

        Raises:
            InputError: no key of that name.
        """
        key = self._keys.get(name) if _NAME.match(name) else None
        if key is None:
            raise InputError(f"the service holds no signing key named {name!r}")
        return key
