"""Routes: thin shells over `oracle.crypto`, `oracle.maml` and `oracle.store`."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from oracle import crypto, operations
from oracle.api.auth import Principal  # noqa: TC001
from oracle.api.deps import (
    get_classifier,
    get_metrics,
    get_settings,
    get_store,
    get_verifier,
    require_scope,
)
from oracle.api.errors import ApiError
from oracle.api.models import (
    EnvelopeDecryptRequest,
    EnvelopeDecryptResponse,
    EnvelopeEncryptRequest,
    EnvelopeEncryptResponse,
    EnvelopeKey,
    EnvelopeKeysResponse,
    ErrorResponse,
    EventsResponse,
    Health,
    KeyOut,
    KeyRegistrationOut,
    KeyringHistory,
    KeysResponse,
    LatestReport,
    MamlSignRequest,
    MamlSignResponse,
    MamlVerifyRequest,
    MamlVerifyResponse,
    OpenRequestBody,
    OpenRequestResponse,
    RegisterKeyRequest,
    RequestViewOut,
    SignRequest,
    SignResponse,
    VerifyBatchRequest,
    VerifyBatchResponse,
    VerifyRequest,
    VerifyResponse,
)
from oracle.crypto.envelope import Envelope
from oracle.errors import OracleError
from oracle.inputs import parse_hex
from oracle.security import event_as_json
from oracle.store.models import SecurityEventType  # noqa: TC001 (a query parameter's type)

if TYPE_CHECKING:
    from oracle.crypto import Algorithm
    from oracle.domain import Key
    from oracle.keyring import Keyring

logger = logging.getLogger("oracle.api")
#: Largest plaintext `/v1/envelope/encrypt` seals (as hex it doubles, under the body limit).
MAX_API_PLAINTEXT = 1024 * 1024

router = APIRouter()


def _documented(**codes: str) -> dict[int | str, dict[str, Any]]:
    return {
        int(code[1:]): {"model": ErrorResponse, "description": text} for code, text in codes.items()
    }


#: Refusals every scoped route can answer: token, scope, rate, no token key configured.
_AUTH_ERRORS = _documented(
    _401="Missing or refused token",
    _403="The token lacks the scope",
    _429="Over the client's rate limit (see Retry-After)",
    _503="No token key configured on the server",
)
#: ... and those of a route with query or path parameters.
_QUERY_ERRORS = {**_AUTH_ERRORS, **_documented(_422="A malformed query or path parameter")}
#: ... and those a body-carrying route adds (the length checked from the headers first).
_POST_ERRORS = {
    **_AUTH_ERRORS,
    **_documented(
        _400="Bad input (a key, signature or value the checks refuse)",
        _411="No Content-Length header",
        _413="Body over the route's limit",
        _422="A malformed body, or text the prompt-injection screen refused",
    ),
}
#: ... and a route that uses the service's own keys.
_KEY_ERRORS = {**_POST_ERRORS, **_documented(_503="No token key, or no service keys")}
_KEY_ERRORS_GET = {**_AUTH_ERRORS, **_documented(_503="No token key, or no service keys")}


def _check_one(request: Request, item: VerifyRequest) -> tuple[bool, Algorithm, bytes]:
    """The verdict on `item`, counted, with the parameter set and raw key it was checked under."""
    algorithm, raw = operations.parse_public_key(item.algorithm, item.public_key)
    valid = operations.check_signature(algorithm, raw, item.message, item.signature, item.context)
    get_metrics(request).verifications.labels(result="valid" if valid else "invalid").inc()
    return valid, algorithm, raw


def _verify_one(request: Request, item: VerifyRequest) -> bool:
    valid, algorithm, raw = _check_one(request, item)
    if not valid:
        operations.record_rejection(get_store(request), algorithm, raw, where=request.url.path)
    return valid


@router.get("/healthz", tags=["health"])
async def healthz() -> Health:
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
    """Prometheus text exposition of the service's metrics (summed over its workers)."""
    return Response(get_metrics(request).exposition(), media_type=CONTENT_TYPE_LATEST)


@router.post("/v1/verify", tags=["verify"], responses=_POST_ERRORS)
async def verify(
    request: Request,
    body: VerifyRequest,
    _: Annotated[Principal, Depends(require_scope("verify"))],
) -> VerifyResponse:
    """Check one ML-DSA signature (any parameter set)."""
    # On the event loop: one check takes about 0.1 ms, less than handing it to a thread does.
    # A rejection is written to the store from a worker thread; a success writes nothing.
    valid, algorithm, raw = _check_one(request, body)
    if not valid:
        store = get_store(request)
        await run_in_threadpool(
            operations.record_rejection, store, algorithm, raw, where=request.url.path
        )
    return VerifyResponse(valid=valid)


@router.post("/v1/verify/batch", tags=["verify"], responses=_POST_ERRORS)
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


@router.post("/v1/maml/verify", tags=["maml"], responses=_POST_ERRORS)
def maml_verify(
    request: Request,
    body: MamlVerifyRequest,
    _: Annotated[Principal, Depends(require_scope("maml"))],
) -> MamlVerifyResponse:
    """Verify a `.maml.md` document's signatures and history against trusted keys; a document
    whose free text carries a prompt injection is refused (422, `input_screened`)."""
    keys = [crypto.load_public_key(pem.encode()) for pem in body.public_keys]
    if body.service_keys:
        # Every ML-DSA key the service has signed with, retired ones included.
        keys.extend(_keyring(request).verification_keys())
    if not keys:
        raise ApiError(400, "bad_input", "give public_keys, or service_keys: true")
    report = operations.verify_document(
        get_store(request),
        body.document,
        keys,
        require=body.require,
        lenient=body.lenient,
        where=request.url.path,
        classifier=get_classifier(request),
    )
    return MamlVerifyResponse.model_validate(report.as_json())


def _keyring(request: Request) -> Keyring:
    keyring: Keyring | None = request.app.state.keyring
    if keyring is None:
        raise ApiError(503, "signing_unconfigured", "this server holds no signing keys")
    return keyring


@router.post("/v1/sign", tags=["sign"], responses=_KEY_ERRORS)
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


@router.post("/v1/maml/sign", tags=["maml"], responses=_KEY_ERRORS)
def maml_sign(
    request: Request,
    body: MamlSignRequest,
    _: Annotated[Principal, Depends(require_scope("maml"))],
) -> MamlSignResponse:
    """Sign a `.maml.md` document with one of the service's keys; a document whose free text
    carries a prompt injection is refused (422, `input_screened`) before anything is signed."""
    key = _keyring(request).get(body.key)
    store = get_store(request)
    signed = operations.sign_document(
        store, body.document, key, where=request.url.path, classifier=get_classifier(request)
    )
    return MamlSignResponse.model_validate({"document": signed, "key_id": "0x" + key.key_id.hex()})


@router.get("/v1/events", tags=["admin"], responses=_QUERY_ERRORS)
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


# --- envelopes ------------------------------------------------------------------------------------


@router.get("/v1/envelope/keys", tags=["envelope"], responses=_KEY_ERRORS_GET)
def envelope_keys(
    request: Request,
    _: Annotated[Principal, Depends(require_scope("envelope"))],
) -> EnvelopeKeysResponse:
    """The service's ML-KEM-768 public keys: seal an envelope to one, then decrypt it here."""
    keyring = _keyring(request)
    keys = []
    for name in keyring.kem_names:
        public = keyring.kem(name).public_key
        keys.append(
            EnvelopeKey.model_validate(
                {
                    "name": name,
                    "algorithm": public.algorithm.name,
                    "key_id": "0x" + public.key_id.hex(),
                    "public_key": "0x" + public.raw.hex(),
                }
            )
        )
    return EnvelopeKeysResponse(keys=keys)


@router.post("/v1/envelope/encrypt", tags=["envelope"], responses=_KEY_ERRORS)
def envelope_encrypt(
    request: Request,
    body: EnvelopeEncryptRequest,
    _: Annotated[Principal, Depends(require_scope("envelope"))],
) -> EnvelopeEncryptResponse:
    """Seal a plaintext to ML-KEM-768 public keys (AES-256-GCM), signed by a service key if
    `sign_with` names one; text the prompt-injection screen flags is refused."""
    if len(body.plaintext) > MAX_API_PLAINTEXT:
        raise ApiError(413, "body_too_large", f"plaintext over {MAX_API_PLAINTEXT} bytes")
    recipients = [operations.parse_recipient_key(text) for text in body.recipients]
    sender = None if body.sign_with is None else _keyring(request).get(body.sign_with)
    started = time.perf_counter()
    envelope = operations.encrypt_envelope(
        get_store(request),
        body.plaintext,
        recipients,
        aad=body.aad,
        sender=sender,
        where=request.url.path,
        classifier=get_classifier(request),
    )
    form = json.loads(envelope.to_json())
    get_metrics(request).envelope.labels(operation="encrypt").observe(time.perf_counter() - started)
    return EnvelopeEncryptResponse.model_validate(
        {
            "envelope": form,
            "recipient_key_ids": ["0x" + key_id.hex() for key_id in envelope.recipient_key_ids],
            "sender_key_id": None if sender is None else "0x" + sender.key_id.hex(),
        }
    )


@router.post("/v1/envelope/decrypt", tags=["envelope"], responses=_KEY_ERRORS)
def envelope_decrypt(
    request: Request,
    body: EnvelopeDecryptRequest,
    _: Annotated[Principal, Depends(require_scope("envelope"))],
) -> EnvelopeDecryptResponse:
    """Open an envelope sealed to one of the service's ML-KEM keys; its sender signature, if
    any, is checked (and required from `expected_sender` when given)."""
    keyring = _keyring(request)
    keyring.kem(body.key)  # an unknown name is refused before the envelope is read
    envelope = Envelope.from_json(json.dumps(body.envelope))
    # The current key of that name, or a retired one still within its grace period.
    key = keyring.kem_for(body.key, envelope.recipient_key_ids)
    expected = (
        None
        if body.expected_sender is None
        else crypto.load_public_key(body.expected_sender.strip().encode())
    )
    started = time.perf_counter()
    plaintext = operations.decrypt_envelope(
        get_store(request),
        envelope,
        key,
        aad=body.aad,
        expected_sender=expected,
        where=request.url.path,
        classifier=get_classifier(request),
    )
    get_metrics(request).envelope.labels(operation="decrypt").observe(time.perf_counter() - started)
    sender = envelope.sender
    return EnvelopeDecryptResponse.model_validate(
        {
            "plaintext": "0x" + plaintext.hex(),
            "sender_key_id": None if sender is None else "0x" + sender.key_id.hex(),
        }
    )


# --- keys and requests on chain -------------------------------------------------------------------

_CHAIN_UNAVAILABLE = "No token key, no node or operator account configured, or the node failed"
#: Chain-facing reads: by id, from the store and (when configured) the contract.
_CHAIN_READ_ERRORS = {
    **_QUERY_ERRORS,
    **_documented(_404="Unknown to the store and the contract", _503=_CHAIN_UNAVAILABLE),
}
#: Chain-facing writes: a transaction from the service's operator account.
_CHAIN_WRITE_ERRORS = {
    **_POST_ERRORS,
    **_documented(
        _409="The contract refused the transaction (its custom error named)",
        _503=_CHAIN_UNAVAILABLE,
    ),
}

_HEX32 = r"^0x[0-9a-fA-F]{64}$"


def _key_out(key: Key) -> KeyOut:
    return KeyOut.model_validate(
        {
            "key_id": "0x" + key.key_id.hex(),
            "algorithm": crypto.get_algorithm(key.algorithm_id).name,
            "public_key": "0x" + key.public_key.hex(),
            "registrant": key.registrant,
            "block": key.block_number,
            "tx_hash": "0x" + key.tx_hash.hex(),
        }
    )


@router.post(
    "/v1/keys",
    tags=["keys"],
    responses={**_CHAIN_WRITE_ERRORS, 201: {"model": KeyRegistrationOut}},
)
def register_key(
    request: Request,
    body: RegisterKeyRequest,
    _: Annotated[Principal, Depends(require_scope("requests"))],
) -> JSONResponse:
    """Register an ML-DSA public key on the verifier (201), or report it known already (200)."""
    algorithm, raw = operations.parse_public_key(body.algorithm, body.public_key)
    public = crypto.PublicKey(algorithm, raw)
    verifier = get_verifier(request, write=True)
    assert verifier is not None
    with request.app.state.chain_lock:
        found = operations.register_key(verifier, public)
    out = KeyRegistrationOut.model_validate(found.as_json())
    return JSONResponse(out.model_dump(mode="json"), 200 if found.already else 201)


@router.get("/v1/keys", tags=["keys"], responses=_QUERY_ERRORS)
def list_keys(
    request: Request,
    _: Annotated[Principal, Depends(require_scope("requests"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> KeysResponse:
    """Registered keys the daemon has read from the chain (each checked against its id)."""
    return KeysResponse(
        keys=[_key_out(key) for key in get_store(request).keys(limit=limit, offset=offset)]
    )


@router.get("/v1/keys/{key_id}", tags=["keys"], responses=_CHAIN_READ_ERRORS)
def get_key(
    request: Request,
    key_id: Annotated[str, Path(pattern=_HEX32, description="The key id, 0x + 32 bytes.")],
    _: Annotated[Principal, Depends(require_scope("requests"))],
) -> KeyOut:
    """A registered key by id: from the store, else from its log on chain (when a node is
    configured), kept only if its bytes hash to the id."""
    raw_id = parse_hex(key_id, what="key id", length=32)
    key = operations.find_key(get_store(request), get_verifier(request, write=False), raw_id)
    if key is None:
        raise ApiError(404, "not_found", f"no registered key has id {key_id.lower()}")
    return _key_out(key)


@router.post(
    "/v1/requests",
    tags=["requests"],
    status_code=201,
    responses=_CHAIN_WRITE_ERRORS,
)
def open_request(
    request: Request,
    body: OpenRequestBody,
    principal: Annotated[Principal, Depends(require_scope("requests"))],
) -> OpenRequestResponse:
    """Open a verification request on the verifier, sent (and paid) by the service's account; the
    oracles' verdict follows at `GET /v1/requests/{id}`."""
    from oracle.requests import open_request as open_on_chain

    public = None
    if body.public_key is not None:
        if body.algorithm is None:
            raise ApiError(400, "bad_input", "public_key needs its algorithm")
        algorithm, raw = operations.parse_public_key(body.algorithm, body.public_key)
        public = crypto.PublicKey(algorithm, raw)
    if (body.key_id is None) == (public is None):
        raise ApiError(400, "bad_input", "give the key once: key_id or public_key")
    key_id = public.key_id if public is not None else body.key_id
    assert key_id is not None
    verifier = get_verifier(request, write=True)
    assert verifier is not None
    with request.app.state.chain_lock:
        opened, sent = open_on_chain(
            verifier,
            key_id,
            body.message,
            body.context,
            body.signature,
            fee=body.fee,
            callback_gas_limit=body.callback_gas_limit,
            timeout=body.timeout,
            public_key=public,
        )
    logger.info(
        "opened request 0x%s for client %r in block %d",
        opened.request_id.hex(),
        principal.subject,
        sent.block_number,
    )
    return OpenRequestResponse.model_validate(
        {
            "request_id": "0x" + opened.request_id.hex(),
            "commitment": "0x" + opened.commitment.hex(),
            "deadline": opened.deadline,
            "block": sent.block_number,
            "tx_hash": "0x" + sent.tx_hash.hex(),
            "gas_used": sent.gas_used,
        }
    )


@router.get("/v1/requests/{request_id}", tags=["requests"], responses=_CHAIN_READ_ERRORS)
def get_request(
    request: Request,
    request_id: Annotated[str, Path(pattern=_HEX32, description="The request id, 0x + 32 bytes.")],
    _: Annotated[Principal, Depends(require_scope("requests"))],
) -> RequestViewOut:
    """A request as this oracle's store and the contract (when a node is configured) see it."""
    raw_id = parse_hex(request_id, what="request id", length=32)
    view = operations.request_view(get_store(request), get_verifier(request, write=False), raw_id)
    if not view.known:
        raise ApiError(404, "not_found", f"no request has id {request_id.lower()}")
    return RequestViewOut.model_validate(view.as_json())


# --- transparency -------------------------------------------------------------------------------


@router.get(
    "/v1/reports/latest",
    tags=["reports"],
    response_model=LatestReport,
    responses=_documented(_404="No report published", _503="The reports directory is unreadable"),
)
def latest_report(request: Request) -> LatestReport:
    """The newest signed transparency report (`pqoracle report`): public, like the figures it
    publishes; check it with `pqoracle maml verify` against the operator's public key."""
    from oracle.transparency import latest_report as newest

    directory = get_settings(request).reports_dir
    found = None if directory is None else newest(directory)
    if found is None:
        raise ApiError(404, "not_found", "no transparency report is published here")
    text, name = found
    return LatestReport(name=name, document=text)


@router.get(
    "/v1/keyring/history",
    tags=["keys"],
    responses=_documented(_503="The server holds no keys"),
)
def keyring_history(request: Request) -> KeyringHistory:
    """Every key the service has held, by name: kind, parameter set, key id, public key, and
    when it began and was retired (public: documents and envelopes name these key ids)."""
    return KeyringHistory.model_validate(
        {"keys": [entry.as_json() for entry in _keyring(request).history()]}
    )
