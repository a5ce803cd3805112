"""Errors as JSON `{"error": {"code": ..., "reason": ...}}` with the right status, never a 500
for bad input."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from oracle.errors import (
    ChainConnectionError,
    ContractRevertError,
    DecryptionError,
    EnvelopeSignatureError,
    NotARecipientError,
    OracleError,
    ScopeError,
    ScreeningError,
    SenderMismatchError,
    TokenRefusedError,
    TransactionRejectedError,
)

if TYPE_CHECKING:
    from fastapi import FastAPI, Request


class ApiError(Exception):
    """An error answered with `status` and a machine-readable `code`."""

    def __init__(
        self, status: int, code: str, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.headers = headers


def error_response(
    status: int, code: str, reason: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error body, its reason kept to one line."""
    line = " ".join(reason.split())[:300] or code
    return JSONResponse({"error": {"code": code, "reason": line}}, status, headers=headers)


def from_oracle_error(err: OracleError) -> ApiError:
    """The HTTP form of a package exception."""
    if isinstance(err, TokenRefusedError):
        return ApiError(401, "unauthorized", str(err), {"WWW-Authenticate": "Bearer"})
    if isinstance(err, ScopeError):
        return ApiError(403, "forbidden", str(err))
    if isinstance(err, ScreeningError):
        return ApiError(422, "input_screened", str(err))
    if isinstance(err, DecryptionError):
        # Most specific first: the subclasses refine "did not open".
        from oracle.keyring import KeyRetiredError

        for kind, code in (
            (KeyRetiredError, "key_retired"),
            (NotARecipientError, "not_a_recipient"),
            (SenderMismatchError, "sender_mismatch"),
            (EnvelopeSignatureError, "bad_signature"),
        ):
            if isinstance(err, kind):
                return ApiError(400, code, str(err))
        return ApiError(400, "decryption_failed", str(err))
    if isinstance(err, ContractRevertError):
        return ApiError(409, "contract_reverted", str(err))
    if isinstance(err, TransactionRejectedError):
        return ApiError(503, "transaction_rejected", str(err))
    if isinstance(err, ChainConnectionError):
        return ApiError(503, "node_unavailable", str(err))
    if isinstance(err, ValueError):
        return ApiError(400, "bad_input", str(err))
    return ApiError(503, "unavailable", str(err))


def _first_problem(err: RequestValidationError) -> str:
    problems = err.errors()
    if not problems:
        return "the request is malformed"
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "request"
    return f"{where}: {first.get('msg', 'invalid')}"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into the JSON error shape."""

    async def api_error(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, ApiError)
        return error_response(err.status, err.code, err.reason, err.headers)

    async def oracle_error(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, OracleError)
        mapped = from_oracle_error(err)
        return error_response(mapped.status, mapped.code, mapped.reason, mapped.headers)

    async def invalid(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, RequestValidationError)
        return error_response(422, "invalid_request", _first_problem(err))

    async def http_error(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        headers = dict(err.headers) if err.headers else None
        return error_response(err.status_code, code, str(err.detail), headers)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(OracleError, oracle_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
