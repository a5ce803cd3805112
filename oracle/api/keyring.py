"""The ML-DSA keys the service signs with, by name, from one directory of PEM files."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from oracle.crypto import SigningKey
from oracle.errors import ConfigError, CryptoError, InputError

if TYPE_CHECKING:
    from pathlib import Path

#: A key name: the PEM file's name without `.pem`; no path separators, nothing hidden.
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Keyring:
    """Signing keys loaded once from `directory` (`<name>.pem`); never logged, never served."""

    def __init__(self, directory: Path) -> None:
        """Load every `*.pem` key in `directory`.

        Raises:
            ConfigError: the directory is missing, or a file is not an unencrypted ML-DSA key.
        """
        if not directory.is_dir():
            raise ConfigError(f"setting api_signing_keys_dir: {directory} is not a directory")
        self._keys: dict[str, SigningKey] = {}
        for path in sorted(directory.glob("*.pem")):
            if not _NAME.match(path.stem):
                continue
            try:
                self._keys[path.stem] = SigningKey.from_pem(path.read_bytes())
            except (OSError, CryptoError):
                raise ConfigError(
                    f"setting api_signing_keys_dir: {path.name} is not an unencrypted ML-DSA "
                    "private key"
                ) from None

    def __repr__(self) -> str:
        return f"Keyring({sorted(self._keys)})"

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the keys held."""
        return tuple(sorted(self._keys))

    def get(self, name: str) -> SigningKey:
        """The key called `name`.

        Raises:
            InputError: no key of that name.
        """
        key = self._keys.get(name) if _NAME.match(name) else None
        if key is None:
            raise InputError(f"the service holds no signing key named {name!r}")
        return key
