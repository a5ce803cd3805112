"""Routes: thin shells over `oracle.crypto`, `oracle.maml` and `oracle.store`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from oracle import crypto, maml
from oracle.api.auth import Principal  # noqa: TC001
from oracle.api.deps import (
    get_classifier,
    get_metrics,
    get_settings,
    get_store,
    require_scope,
)
from oracle.api.errors import ApiError
from oracle.api.models import (
    EventsResponse,
    Health,
    MamlSignRequest,
    MamlSignResponse,
    MamlVerifyRequest,
    MamlVerifyResponse,
    SignRequest,
    SignResponse,
    VerifyBatchRequest,
    VerifyBatchResponse,
    VerifyRequest,
    VerifyResponse,
)
from oracle.errors import MamlError, OracleError
from oracle.inputs import parse_hex
from oracle.screening import screen_maml
from oracle.security import event_as_json, record_event
from oracle.store.models import SecurityEventType

if TYPE_CHECKING:
    from oracle.api.keyring import Keyring

router = APIRouter()
_ERRORS: dict[int | str, dict[str, str]] = {
    400: {"description": "Bad input"},
    401: {"description": "Missing or refused token"},
    403: {"description": "The token lacks the scope"},
    422: {"description": "Malformed request body"},
}


def _verify_one(request: Request, item: VerifyRequest) -> bool:
    algorithm = crypto.get_algorithm(item.algorithm)
    text = item.public_key.strip()
    if text.startswith("-----BEGIN"):
        loaded = crypto.load_public_key(text.encode())
        if loaded.algorithm != algorithm:
            raise ApiError(
                400, "bad_input", f"the PEM key is {loaded.algorithm}, not {algorithm.name}"
            )
        raw = loaded.raw
    else:
        raw = parse_hex(text, what="public key")
    valid = crypto.verify(algorithm, raw, item.message, item.signature, item.context)
    get_metrics(request).verifications.labels(result="valid" if valid else "invalid").inc()
    if not valid:
        record_event(
            get_store(request),
            SecurityEventType.SIGNATURE_REJECTED,
            f"{request.url.path}: {algorithm.name} signature did not verify",
            key_id=crypto.key_id(algorithm, raw),
        )
    return valid


@router.get("/healthz", tags=["health"])
def healthz() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get("/readyz", tags=["health"], responses={503: {"model": Health}})
def readyz(request: Request) -> Response:
    """The store answers, and the node too when an RPC URL is set."""
    checks: dict[str, str] = {}
    try:
        get_store(request).ping()
        checks["store"] = "ok"
    except OracleError as err:
        checks["store"] = str(err)
    settings = get_settings(request)
    if settings.rpc_url is not None:
        from oracle.chain.connection import connect

        try:
            connect(settings.rpc_url, request_timeout=2.0).block_number()
            checks["node"] = "ok"
        except OracleError as err:
            checks["node"] = str(err)
    ready = all(value == "ok" for value in checks.values())
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return Response(body.model_dump_json(), 200 if ready else 503, media_type="application/json")


@router.get("/metrics", tags=["health"], response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text exposition of this app's metrics."""
    return Response(generate_latest(get_metrics(request).registry), media_type=CONTENT_TYPE_LATEST)


@router.post("/v1/verify", tags=["verify"], responses=_ERRORS)
def verify(
    request: Request,
    body: VerifyRequest,
    _: Annotated[Principal, Depends(require_scope("verify"))],
) -> VerifyResponse:
    """Check one ML-DSA signature (any parameter set)."""
    return VerifyResponse(valid=_verify_one(request, body))


@router.post("/v1/verify/batch", tags=["verify"], responses={**_ERRORS, 413: {}})
def verify_batch(
    request: Request,
    body: VerifyBatchRequest,
    _: Annotated[Principal, Depends(require_scope("verify"))],
) -> VerifyBatchResponse:
    """Check several ML-DSA signatures; one malformed item refuses the whole batch."""
    limit = get_settings(request).api_batch_limit
    if len(body.items) > limit:
        raise ApiError(413, "batch_too_large", f"at most {limit} items per batch")
    results: list[VerifyResponse] = []
    for index, item in enumerate(body.items):
        try:
            results.append(VerifyResponse(valid=_verify_one(request, item)))
        except ValueError as err:
            raise ApiError(400, "bad_input", f"items.{index}: {err}") from None
    return VerifyBatchResponse(results=results)


@router.post("/v1/maml/verify", tags=["maml"], responses=_ERRORS)
def maml_verify(
    request: Request,
    body: MamlVerifyRequest,
    _: Annotated[Principal, Depends(require_scope("maml"))],
) -> MamlVerifyResponse:
    """Verify a `.maml.md` document's signatures and history against trusted keys; a document
    whose free text carries a prompt injection is refused (422, `input_screened`)."""
    _screen_document(request, body.document)
    keys = [crypto.load_public_key(pem.encode()) for pem in body.public_keys]
    report = maml.verify(body.document, keys, require=body.require, lenient=body.lenient)
    if not report.valid:
        record_event(
            get_store(request),
            SecurityEventType.SIGNATURE_REJECTED,
            f"{request.url.path}: MAML document 0x{report.digest.hex()} did not verify",
        )
    return MamlVerifyResponse.model_validate(report.as_json())


def _keyring(request: Request) -> Keyring:
    keyring: Keyring | None = request.app.state.keyring
    if keyring is None:
        raise ApiError(503, "signing_unconfigured", "this server holds no signing keys")
    return keyring


@router.post("/v1/sign", tags=["sign"], responses=_ERRORS)
def sign(
    request: Request,
    body: SignRequest,
    _: Annotated[Principal, Depends(require_scope("sign"))],
) -> SignResponse:
    """Sign a message with one of the service's ML-DSA keys, by name (hedged, FIPS 204)."""
    key = _keyring(request).get(body.key)
    return SignResponse.model_validate(
        {
            "algorithm": key.algorithm.name,
            "key_id": "0x" + key.key_id.hex(),
            "signature": "0x" + key.sign(body.message, body.context).hex(),
        }
    )


@router.post("/v1/maml/sign", tags=["maml"], responses=_ERRORS)
def maml_sign(
    request: Request,
    body: MamlSignRequest,
    _: Annotated[Principal, Depends(require_scope("maml"))],
) -> MamlSignResponse:
    """Sign a `.maml.md` document with one of the service's keys; a document whose free text
    carries a prompt injection is refused (422, `input_screened`) before anything is signed."""
    _screen_document(request, body.document)
    key = _keyring(request).get(body.key)
    signed = maml.sign(body.document, key)
    return MamlSignResponse.model_validate(
        {"document": signed, "key_id": "0x" + key.key_id.hex()}
    )


def _screen_document(request: Request, document: str) -> None:
    """Refuse a document whose sections or free-text fields the screen flags (the rules, then the
    classifier when `screening_classifier` is on).

    A document that does not parse strictly is left to the verifier, which reports it.
    """
    try:
        result = screen_maml(document, classifier=get_classifier(request))
    except MamlError:
        return
    if result.flagged:
        record_event(
            get_store(request),
            SecurityEventType.INPUT_SCREENED,
            f"{request.url.path}: {result.reason} ({result.screens})",
        )
        raise ApiError(422, "input_screened", f"input refused: {result.reason}")


@router.get("/v1/events", tags=["admin"], responses=_ERRORS)
def events(
    request: Request,
    _: Annotated[Principal, Depends(require_scope("admin"))],
    since: datetime | None = None,
    event_type: Annotated[SecurityEventType | None, Query(alias="type")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> EventsResponse:
    """Security events from the daemon's store, oldest first."""
    found = get_store(request).security_events(since=since, event_type=event_type, limit=limit)
    return EventsResponse.model_validate({"events": [event_as_json(e) for e in found]})
