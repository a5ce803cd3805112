"""The oracle's HTTP service (FastAPI): `create_app(settings)`; `pqoracle serve` runs it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response

from oracle import __version__
from oracle.api import errors
from oracle.api.auth import (
    ChainedKeySource,
    JwksKeySource,
    KeySource,
    LocalIssuer,
    TokenVerifier,
)
from oracle.api.errors import error_response
from oracle.api.keyring import Keyring
from oracle.api.limits import RateLimiter, body_limit
from oracle.api.metrics import Metrics
from oracle.api.routes import router
from oracle.screening.classifier import load_classifier
from oracle.store import Store

if TYPE_CHECKING:
    from oracle.config import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The app over `store` (or the store at `settings.database_url`, closed on shutdown).

    Raises:
        ConfigError: the token key file is set but unreadable, the store URL is malformed, or
            `screening_classifier` is on without the classifier extra installed.
        StoreError: the store cannot be opened.
    """
    # The classifier's model loads here, before the store opens, so a missing extra stops
    # start-up rather than the first document.
    classifier = load_classifier() if settings.screening_classifier else None
    owned = store is None
    opened = store if store is not None else Store.open(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            opened.close()

    app = FastAPI(
        title="pq-signature-oracle", version=__version__, lifespan=lifespan, docs_url="/docs"
    )
    app.state.settings = settings
    app.state.store = opened
    app.state.metrics = Metrics()
    app.state.classifier = classifier
    app.state.limiter = RateLimiter(settings.api_rate_per_minute, settings.api_rate_burst)
    app.state.keyring = (
        None if settings.api_signing_keys_dir is None else Keyring(settings.api_signing_keys_dir)
    )
    app.state.verifier = None
    sources: list[KeySource] = []
    if settings.api_jwt_private_key_file is not None:
        sources.append(LocalIssuer.from_settings(settings))
    if settings.api_jwks_url is not None:
        sources.append(
            JwksKeySource(settings.api_jwks_url, min_refetch=settings.api_jwks_min_refetch)
        )
    if sources:
        app.state.verifier = TokenVerifier(
            sources[0] if len(sources) == 1 else ChainedKeySource(*sources),
            issuer=settings.api_jwt_issuer,
            audience=settings.api_jwt_audience,
            leeway=settings.api_jwt_leeway,
        )
    errors.install(app)
    app.include_router(router)

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refused from the header, before a byte of the body is read.
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length")
            if length is None:
                return error_response(411, "length_required", "send a Content-Length header")
            limit = body_limit(request.url.path)
            if not length.isdigit() or int(length) > limit:
                return error_response(
                    413, "body_too_large", f"{request.url.path} takes at most {limit} bytes"
                )
        return await call_next(request)

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics: Metrics = request.app.state.metrics
        metrics.latency.labels(route=route).observe(time.perf_counter() - started)
        metrics.requests.labels(
            route=route, method=request.method, status=str(response.status_code)
        ).inc()
        return response

    return app
