"""Request limits: body size per route, and a token bucket per authenticated client."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

#: Largest body, in bytes, each route takes; others take `DEFAULT_BODY_LIMIT`. A signature of
#: ML-DSA-87 with its key and a 16 KiB message fits well inside 64 KiB as hex.
BODY_LIMITS: Final = {
    "/v1/verify": 64 * 1024,
    "/v1/verify/batch": 4 * 1024 * 1024,
    "/v1/maml/verify": 2 * 1024 * 1024,
    "/v1/maml/sign": 2 * 1024 * 1024,
    # 1 MiB of plaintext as hex, or its envelope's JSON form (base64), with room for the rest.
    "/v1/envelope/encrypt": 2 * 1024 * 1024 + 64 * 1024,
    "/v1/envelope/decrypt": 2 * 1024 * 1024 + 64 * 1024,
}
DEFAULT_BODY_LIMIT: Final = 64 * 1024
#: Clients whose buckets are remembered; the least recently seen are forgotten first.
MAX_CLIENTS: Final = 10_000


def body_limit(path: str) -> int:
    """The largest body `path` takes, in bytes."""
    return BODY_LIMITS.get(path, DEFAULT_BODY_LIMIT)


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute on average, `burst` at once."""

    def __init__(
        self, per_minute: int, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take one token for `client`; return 0 when admitted, else seconds until one is free."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.pop(client, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1 - tokens) / self._rate
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
            return wait


def retry_after(wait: float) -> str:
    """The `Retry-After` header value for a wait of `wait` seconds (whole seconds, at least 1)."""
    return str(max(1, math.ceil(wait)))
