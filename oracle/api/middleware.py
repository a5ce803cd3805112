"""The app's one middleware: body limits from the header, and the request metrics.

A plain ASGI middleware rather than two `@app.middleware("http")` functions: Starlette's
`BaseHTTPMiddleware` runs the rest of the app in a task of its own and streams the response
through a memory channel, which cost more per request than the signature check itself.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from oracle.api.errors import error_response
from oracle.api.limits import body_limit

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from oracle.api.metrics import Metrics

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def body_refusal(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Response | None:
    """The 411 or 413 answer a request gets from its headers alone, or None to admit it."""
    if method not in _WITH_BODY:
        return None
    length = next((value for name, value in headers if name == b"content-length"), None)
    if length is None:
        return error_response(411, "length_required", "send a Content-Length header")
    limit = body_limit(path)
    if not length.isdigit() or int(length) > limit:
        return error_response(413, "body_too_large", f"{path} takes at most {limit} bytes")
    return None


class LimitAndMeasure:
    """Refuses oversized or unsized bodies before a byte is read; answers 503 `timeout` for a
    request still unanswered after `timeout` seconds; counts and times every answer by route
    template (`unmatched` when no route took the request)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, timeout: float | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # An exception that escapes the app becomes a 500 in Starlette's outer error middleware.
        status = 500
        started_answer = False

        async def send_and_note(message: Message) -> None:
            nonlocal status, started_answer
            if message["type"] == "http.response.start":
                status = message["status"]
                started_answer = True
            await send(message)

        try:
            refusal = body_refusal(scope["method"], scope["path"], scope["headers"])
            if refusal is not None:
                await refusal(scope, receive, send_and_note)
            elif self.timeout is None:
                await self.app(scope, receive, send_and_note)
            else:
                try:
                    await asyncio.wait_for(self.app(scope, receive, send_and_note), self.timeout)
                except TimeoutError:
                    # A route run in a worker thread finishes there; its answer is dropped.
                    if started_answer:
                        raise
                    late = error_response(
                        503, "timeout", f"no answer within {self.timeout:g} s; try again"
                    )
                    await late(scope, receive, send_and_note)
        finally:
            # The router writes the matched route into this same scope dict.
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(route=route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(
                route=route, method=scope["method"], status=str(status)
            ).inc()
