"""FastAPI dependencies: the app's settings, store and token verifier, and scope checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from oracle.api.auth import Principal  # noqa: TC001 (FastAPI reads the annotation at run time)
from oracle.api.errors import ApiError, from_oracle_error
from oracle.api.limits import RateLimiter, retry_after
from oracle.errors import AuthError, ScopeError, TokenRefusedError
from oracle.security import record_event
from oracle.store.models import SecurityEventType

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from oracle.api.auth import TokenVerifier
    from oracle.api.metrics import Metrics
    from oracle.chain import Verifier
    from oracle.config import Settings
    from oracle.screening.classifier import Classifier
    from oracle.store import Store

_bearer = HTTPBearer(auto_error=False, description="A JWT from `pqoracle token issue`.")


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    """The daemon's store."""
    store: Store = request.app.state.store
    return store


def get_metrics(request: Request) -> Metrics:
    """The app's own metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


def get_verifier(request: Request, *, write: bool) -> Verifier | None:
    """The SignatureVerifier the settings name, attached on first use and kept.

    For reads, None when no node or verifier is configured (the store answers alone).

    Raises:
        ApiError: 503 when `write` and no node, verifier or operator key is configured.
        ConfigError, ChainConnectionError: the node or the contract cannot be reached.
    """
    settings = get_settings(request)
    configured = settings.rpc_url is not None and settings.verifier_address is not None
    if not configured:
        if write:
            raise ApiError(
                503,
                "chain_unconfigured",
                "this server has no node and verifier (PQORACLE_RPC_URL, "
                "PQORACLE_VERIFIER_ADDRESS)",
            )
        return None
    if write and not settings.key_sources():
        raise ApiError(
            503,
            "chain_unconfigured",
            "this server has no operator account (PQORACLE_PRIVATE_KEY, PQORACLE_KEYSTORE_FILE "
            "or PQORACLE_SIGNER)",
        )
    state = request.app.state
    with state.chain_lock:
        if state.chain_verifier is None:
            from oracle.chain.attach import open_verifier

            state.chain_verifier = open_verifier(settings, what="this route")
        verifier: Verifier = state.chain_verifier
    return verifier


def get_classifier(request: Request) -> Classifier | None:
    """The local prompt-injection classifier, when `screening_classifier` is on."""
    classifier: Classifier | None = request.app.state.classifier
    return classifier


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier | None = request.app.state.verifier
    if verifier is None:
        raise ApiError(503, "auth_unconfigured", "no token key is configured on this server")
    return verifier


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits a valid bearer token carrying `scope` (401 or 403 otherwise).

    A token seen before is admitted on the event loop (a dictionary look-up and the clock); a
    new one is checked in a worker thread, since a JWKS key source may fetch its key set.
    Refusals are written to the store from a worker thread too.
    """

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        metrics = get_metrics(request)
        try:
            if credentials is None:
                raise TokenRefusedError("a bearer token is required")
            verifier = _verifier(request)
            token = credentials.credentials
            principal = verifier.remembered(token)
            if principal is None:
                principal = await run_in_threadpool(verifier.verify, token)
            principal.require(scope)
        except AuthError as err:
            metrics.auth.labels(result="refused").inc()
            kind = "scope" if isinstance(err, ScopeError) else "token"
            await run_in_threadpool(
                record_event,
                get_store(request),
                SecurityEventType.AUTH_REFUSED,
                f"{request.url.path}: {kind} refused: {err}",
            )
            raise from_oracle_error(err) from None
        metrics.auth.labels(result="accepted").inc()
        limiter: RateLimiter = request.app.state.limiter
        wait = limiter.acquire(principal.subject)
        if wait > 0:
            await run_in_threadpool(
                record_event,
                get_store(request),
                SecurityEventType.RATE_LIMITED,
                f"{request.url.path}: client {principal.subject!r} over its rate limit",
            )
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests; retry in {retry_after(wait)} s",
                headers={"Retry-After": retry_after(wait)},
            )
        return principal

    return check
