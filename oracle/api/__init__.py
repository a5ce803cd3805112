"""The oracle's HTTP service (FastAPI): `create_app(settings)`; `pqoracle serve` runs it."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from oracle import __version__
from oracle.api import errors
from oracle.api.auth import (
    ChainedKeySource,
    JwksKeySource,
    KeySource,
    LocalIssuer,
    TokenVerifier,
)
from oracle.api.limits import RateLimiter
from oracle.api.metrics import Metrics
from oracle.api.middleware import LimitAndMeasure
from oracle.api.routes import router
from oracle.keyring import Keyring
from oracle.screening.classifier import load_classifier
from oracle.store import Store

if TYPE_CHECKING:
    from oracle.config import Settings

__all__ = ["create_app", "create_app_from_env"]


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
    app.state.metrics = Metrics(settings.prometheus_multiproc_dir)
    app.state.classifier = classifier
    app.state.limiter = RateLimiter(settings.api_rate_per_minute, settings.api_rate_burst)
    app.state.keyring = (
        None if settings.api_signing_keys_dir is None else Keyring(settings.api_signing_keys_dir)
    )
    app.state.verifier = None
    # The SignatureVerifier, attached on first use; one lock orders attaching and sending (one
    # operator account, one nonce sequence).
    app.state.chain_verifier = None
    app.state.chain_lock = threading.RLock()
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

    app.add_middleware(
        LimitAndMeasure, metrics=app.state.metrics, timeout=settings.api_request_timeout
    )
    return app


def create_app_from_env() -> FastAPI:
    """The app over settings read from this process's environment: the factory each worker of
    `pqoracle serve --workers N` calls (uvicorn starts workers from an import string).

    Raises:
        ConfigError: a setting is malformed, or as `create_app`.
        StoreError: the store cannot be opened.
    """
    from oracle.config import load_settings

    return create_app(load_settings())
