"""Registry of ML-DSA backends: find, load once, and report why one is missing."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

from oracle.crypto.backends.base import Backend, KeyPair, PrivateKeyFormat, PrivateKeyMaterial
from oracle.crypto.backends.cryptography import CryptographyBackend
from oracle.crypto.backends.fastmldsa import FastMldsaBackend
from oracle.crypto.backends.liboqs import LiboqsBackend
from oracle.crypto.backends.pqcrypto import PqcryptoBackend
from oracle.errors import BackendUnavailableError, ConfigError

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendStatus",
    "KeyPair",
    "PrivateKeyFormat",
    "PrivateKeyMaterial",
    "backend_status",
    "get_backend",
]

#: Every backend this package knows, by name.
BACKENDS: Final[dict[str, type[Backend]]] = {
    "cryptography": CryptographyBackend,
    "liboqs": LiboqsBackend,
    "pqcrypto": PqcryptoBackend,
    "fast-mldsa": FastMldsaBackend,
}
#: What "auto" means: the first of these that loads. `cryptography` stays the default; the faster
#: fast-mldsa is chosen by name (it is optional, and loads only after its self-test).
AUTO_ORDER: Final = ("cryptography", "liboqs", "pqcrypto", "fast-mldsa")

_lock = threading.Lock()
#: A loaded backend, or the reason it did not load.
_loaded: dict[str, Backend | str] = {}
#: What "auto" found (empty until asked): every outcome in `_loaded` is final, so the first
#: loadable backend stays the first, and a verification skips the search and its lock.
_auto: list[Backend] = []


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """Whether a backend loads here, and the reason when it does not."""

    name: str
    available: bool
    reason: str | None


def _load(name: str) -> Backend | str:
    # Probing liboqs costs a library search; the outcome cannot change within a process.
    with _lock:
        if name not in _loaded:
            try:
                _loaded[name] = BACKENDS[name]()
            except BackendUnavailableError as err:
                _loaded[name] = str(err)
        return _loaded[name]


def get_backend(name: str = "auto") -> Backend:
    """The named backend, or with "auto" the first available of `AUTO_ORDER` (cryptography
    first).

    Raises:
        ConfigError: `name` is not a known backend (it is a ValueError).
        BackendUnavailableError: the backend (or, for "auto", every backend) cannot load here.
    """
    if name == "auto" and _auto:
        return _auto[0]
    key = name.strip().lower()
    if key == "auto":
        reasons = []
        for candidate in AUTO_ORDER:
            loaded = _load(candidate)
            if isinstance(loaded, Backend):
                _auto[:] = [loaded]
                return loaded
            reasons.append(f"{candidate}: {loaded}")
        raise BackendUnavailableError("no ML-DSA backend is available (" + "; ".join(reasons) + ")")
    if key not in BACKENDS:
        raise ConfigError(
            f"unknown crypto backend {name!r}; choose one of auto, {', '.join(BACKENDS)}"
        )
    loaded = _load(key)
    if isinstance(loaded, str):
        raise BackendUnavailableError(f"{key} backend unavailable: {loaded}")
    return loaded


def backend_status() -> list[BackendStatus]:
    """Every known backend with whether it loads here and, if not, why."""
    statuses = []
    for name in BACKENDS:
        loaded = _load(name)
        if isinstance(loaded, Backend):
            statuses.append(BackendStatus(name, True, None))
        else:
            statuses.append(BackendStatus(name, False, loaded))
    return statuses
