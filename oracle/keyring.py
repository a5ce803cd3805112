"""The service's own keys, by name, from one directory, with rotation and a published history.

Layout of the directory (`api_signing_keys_dir`):

- `<name>.pem`: the current private key called `name`: ML-DSA keys sign (`/v1/sign`, MAML),
  ML-KEM-768 keys open envelopes sealed to them;
- `retired/<name>-<key id, 16 hex>.pem`: keys that rotation replaced;
- `history.json`: every key the name has had: its kind, parameter set, key id, public key, when
  it began, when it was retired, and until when a retired ML-KEM key still opens envelopes.

A retired ML-DSA key never signs again, and its public key stays in the history, so a document
it signed keeps verifying. A retired ML-KEM key opens envelopes sealed to it for the grace
period (`key_grace_days`), then no more. `rotate` writes the new key, the retired copy and the
history atomically (write, fsync, rename): a crash leaves the old state or the new one.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from oracle.crypto import PublicKey, SigningKey
from oracle.crypto.kem import KemPrivateKey
from oracle.errors import ConfigError, CryptoError, DecryptionError, InputError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["HISTORY_FILE", "HistoryEntry", "KeyRetiredError", "Keyring", "due", "rotate"]

#: A key name: the PEM file's name without `.pem`; no path separators, nothing hidden.
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HISTORY_FILE: Final = "history.json"
RETIRED_DIR: Final = "retired"
HISTORY_VERSION: Final = 1

Kind = Literal["ml-dsa", "ml-kem"]


class KeyRetiredError(DecryptionError):
    """An envelope sealed to a retired ML-KEM key whose grace period has ended."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One key a name has had (public parts only)."""

    name: str
    kind: Kind
    algorithm: str
    key_id: str
    public_key: str
    not_before: str
    retired_at: str | None = None
    #: A retired ML-KEM key opens envelopes until then; a retired ML-DSA key only verifies.
    decrypt_until: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The entry as `history.json` and `/v1/keyring/history` carry it."""
        return asdict(self)


def _load_pem(path: Path) -> SigningKey | KemPrivateKey:
    try:
        data = path.read_bytes()
    except OSError:
        raise ConfigError(f"setting api_signing_keys_dir: cannot read {path.name}") from None
    try:
        return SigningKey.from_pem(data)
    except CryptoError:
        pass
    try:
        return KemPrivateKey.from_pem(data)
    except CryptoError:
        raise ConfigError(
            f"setting api_signing_keys_dir: {path.name} is not an unencrypted ML-DSA or ML-KEM "
            "private key"
        ) from None


def _entry(
    name: str, key: SigningKey | KemPrivateKey, not_before: datetime, **rest: str | None
) -> HistoryEntry:
    if isinstance(key, SigningKey):
        return HistoryEntry(
            name,
            "ml-dsa",
            key.algorithm.name,
            "0x" + key.key_id.hex(),
            "0x" + key.public_key.hex(),
            _iso(not_before),
            **rest,
        )
    public = key.public_key
    return HistoryEntry(
        name,
        "ml-kem",
        public.algorithm.name,
        "0x" + public.key_id.hex(),
        "0x" + public.raw.hex(),
        _iso(not_before),
        **rest,
    )


def _read_history(directory: Path) -> list[HistoryEntry]:
    path = directory / HISTORY_FILE
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != HISTORY_VERSION:
            raise ValueError(f"version {document.get('version')!r}")
        return [HistoryEntry(**entry) for entry in document["keys"]]
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise ConfigError(
            f"setting api_signing_keys_dir: {HISTORY_FILE} is unreadable: {err}"
        ) from None


def _write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _write_history(directory: Path, entries: Iterable[HistoryEntry]) -> None:
    document = {"version": HISTORY_VERSION, "keys": [entry.as_json() for entry in entries]}
    _write_atomically(
        directory / HISTORY_FILE, (json.dumps(document, indent=2) + "\n").encode(), 0o644
    )


class Keyring:
    """Keys loaded once from `directory`; private halves never logged or served."""

    def __init__(self, directory: Path, *, now: datetime | None = None) -> None:
        """Load the current keys, the retired ones and the history.

        Raises:
            ConfigError: the directory is missing, or a file is not an unencrypted ML-DSA or
                ML-KEM private key, or the history is unreadable.
        """
        if not directory.is_dir():
            raise ConfigError(f"setting api_signing_keys_dir: {directory} is not a directory")
        self.directory = directory
        self._now = now
        self._keys: dict[str, SigningKey] = {}
        self._kem_keys: dict[str, KemPrivateKey] = {}
        self._started: dict[str, datetime] = {}
        for path in sorted(directory.glob("*.pem")):
            if not _NAME.match(path.stem):
                continue
            key = _load_pem(path)
            self._started[path.stem] = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if isinstance(key, SigningKey):
                self._keys[path.stem] = key
            else:
                self._kem_keys[path.stem] = key
        self._retired_kem: dict[bytes, KemPrivateKey] = {}
        for path in sorted((directory / RETIRED_DIR).glob("*.pem")):
            key = _load_pem(path)
            if isinstance(key, KemPrivateKey):
                self._retired_kem[key.key_id] = key
        self._history = _read_history(directory)

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

    def get(self, name: str) -> SigningKey:
        """The current ML-DSA key called `name`.

        Raises:
            InputError: no key of that name.
        """
        key = self._keys.get(name) if _NAME.match(name) else None
        if key is None:
            raise InputError(f"the service holds no signing key named {name!r}")
        return key

    def kem(self, name: str) -> KemPrivateKey:
        """The current ML-KEM key called `name`.

        Raises:
            InputError: no ML-KEM key of that name.
        """
        key = self._kem_keys.get(name) if _NAME.match(name) else None
        if key is None:
            raise InputError(f"the service holds no ML-KEM envelope key named {name!r}")
        return key

    def kem_for(self, name: str, recipient_key_ids: Iterable[bytes]) -> KemPrivateKey:
        """The key called `name` that an envelope with these recipients was sealed to: the
        current one, or a retired one still within its grace period.

        Raises:
            InputError: no ML-KEM key of that name.
            KeyRetiredError: sealed to a retired key of that name whose grace period ended.
        """
        current = self.kem(name)
        wanted = {bytes(key_id) for key_id in recipient_key_ids}
        if current.key_id in wanted:
            return current
        now = self._now or datetime.now(UTC)
        for entry in reversed(self._history):
            key_id = bytes.fromhex(entry.key_id[2:])
            if entry.name != name or entry.kind != "ml-kem" or key_id not in wanted:
                continue
            until = entry.decrypt_until
            if until is not None and now > _when(until):
                raise KeyRetiredError(
                    f"the envelope is sealed to key {entry.key_id[:18]}… of {name!r}, retired at "
                    f"{entry.retired_at}; it opened envelopes until {until}"
                )
            retired = self._retired_kem.get(key_id)
            if retired is not None:
                return retired
        return current  # not sealed to any key of this name: the envelope code says so

    def history(self) -> list[HistoryEntry]:
        """Every key each name has had, oldest first (current keys included)."""
        known = {entry.key_id for entry in self._history}
        found = list(self._history)
        current: list[tuple[str, SigningKey | KemPrivateKey]] = [
            *self._keys.items(),
            *self._kem_keys.items(),
        ]
        for name, key in current:
            entry = _entry(name, key, self._started[name])
            if entry.key_id not in known:
                found.append(entry)
        return found

    def verification_keys(self) -> list[PublicKey]:
        """Every ML-DSA public key the service has signed with, current and retired."""
        return [
            PublicKey.from_bytes(entry.algorithm, bytes.fromhex(entry.public_key[2:]))
            for entry in self.history()
            if entry.kind == "ml-dsa"
        ]


def rotate(
    directory: Path, name: str, *, grace: timedelta, now: datetime | None = None
) -> tuple[HistoryEntry, HistoryEntry]:
    """Replace the key called `name` by a new one of the same kind and parameter set; return
    the retired entry and the new one.

    Raises:
        InputError: no key of that name, or not a valid name.
        ConfigError: the directory or its history cannot be read.
    """
    if not _NAME.match(name):
        raise InputError(f"{name!r} is not a key name")
    path = directory / f"{name}.pem"
    if not path.exists():
        raise InputError(f"{directory} holds no key named {name!r}")
    moment = now or datetime.now(UTC)
    old = _load_pem(path)
    history = _read_history(directory)
    old_id = "0x" + (old.key_id.hex())
    if not any(entry.key_id == old_id for entry in history):
        started = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        history.append(_entry(name, old, started))
    new: SigningKey | KemPrivateKey
    if isinstance(old, SigningKey):
        new = SigningKey.generate(old.algorithm)
        decrypt_until = None
    else:
        new = KemPrivateKey.generate(old.algorithm)
        decrypt_until = _iso(moment + grace)
    retired_entry: HistoryEntry | None = None
    for index, entry in enumerate(history):
        if entry.key_id == old_id:
            retired_entry = HistoryEntry(
                **{**entry.as_json(), "retired_at": _iso(moment), "decrypt_until": decrypt_until}
            )
            history[index] = retired_entry
    assert retired_entry is not None
    new_entry = _entry(name, new, moment)
    history.append(new_entry)
    retired = directory / RETIRED_DIR
    retired.mkdir(mode=0o700, exist_ok=True)
    # The old key is kept before anything else changes; then the new key; then the history.
    _write_atomically(retired / f"{name}-{old_id[2:18]}.pem", path.read_bytes())
    _write_atomically(path, new.to_pem())
    _write_history(directory, history)
    return retired_entry, new_entry


def due(directory: Path, every: timedelta, *, now: datetime | None = None) -> list[str]:
    """The names whose current key began more than `every` ago (by the history, or the file's
    modification time for a key the history does not know yet).

    Raises:
        ConfigError: the directory or its history cannot be read.
    """
    moment = now or datetime.now(UTC)
    began = {entry.key_id: _when(entry.not_before) for entry in _read_history(directory)}
    names = []
    for path in sorted(directory.glob("*.pem")):
        if not _NAME.match(path.stem):
            continue
        key = _load_pem(path)
        started = began.get("0x" + key.key_id.hex()) or datetime.fromtimestamp(
            path.stat().st_mtime, UTC
        )
        if moment - started >= every:
            names.append(path.stem)
    return names
