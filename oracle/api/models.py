"""Request and response bodies: strict (unknown fields refused), binary values as `0x` hex."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from oracle.inputs import parse_hex

_HEX_SCHEMA = {"type": "string", "pattern": "^0x([0-9a-fA-F]{2})*$", "examples": ["0x48656c6c6f"]}


def _hex(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise ValueError("must be 0x-prefixed hex text")
    return parse_hex(value, what="value")


#: Bytes on the wire as `0x` hex text.
Hex = Annotated[
    bytes,
    BeforeValidator(_hex),
    PlainSerializer(lambda raw: "0x" + raw.hex(), return_type=str),
    WithJsonSchema(_HEX_SCHEMA),
]


class Strict(BaseModel):
    """Base: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class VerifyRequest(Strict):
    """One ML-DSA signature to check."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "algorithm": "ML-DSA-44",
                    "public_key": "0x<1312 bytes>",
                    "message": "0x48656c6c6f",
                    "context": "0x",
                    "signature": "0x<2420 bytes>",
                }
            ]
        }
    )

    algorithm: str | int = Field(description="ML-DSA-44/65/87, or the contract's id 1/2/3.")
    public_key: str = Field(
        description="Raw public key as 0x hex, or a SubjectPublicKeyInfo PEM.", max_length=8192
    )
    message: Hex
    context: Hex = Field(default=b"", description="FIPS 204 context string (at most 255 bytes).")
    signature: Hex


class VerifyResponse(Strict):
    """The verdict on one signature."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"valid": True}]})

    valid: bool


class VerifyBatchRequest(Strict):
    """Several signatures, checked in order (the server's `api_batch_limit` caps the count)."""

    items: list[VerifyRequest] = Field(min_length=1, max_length=1000)


class VerifyBatchResponse(Strict):
    """One verdict per item, in order."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"results": [{"valid": True}]}]})

    results: list[VerifyResponse]


class MamlVerifyRequest(Strict):
    """A `.maml.md` document and the public keys trusted to sign it."""

    document: str = Field(description="The document's text.", max_length=1_048_576)
    public_keys: list[str] = Field(
        min_length=1, max_length=64, description="Trusted signers' SubjectPublicKeyInfo PEMs."
    )
    require: Literal["all", "any"] = "all"
    lenient: bool = False


class MamlVerifyResponse(Strict):
    """`oracle.maml.verify`'s report."""

    valid: bool
    require: Literal["all", "any"]
    digest: str
    signatures: list[dict[str, Any]]
    history: list[dict[str, Any]]
    missing_keys: list[str]
    warnings: list[str]


class SecurityEventOut(Strict):
    """One stored security event."""

    id: int
    time: datetime
    type: str
    severity: str
    request_id: str | None
    key_id: str | None
    tx_hash: str | None
    block: int | None
    detail: str


class EventsResponse(Strict):
    """Security events, oldest first."""

    events: list[SecurityEventOut]


class Health(Strict):
    """Liveness or readiness, with what was checked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok", "checks": {}}]})

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)


class SignRequest(Strict):
    """A message to sign with one of the service's keys."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"key": "release", "message": "0x48656c6c6f", "context": "0x"}]
        }
    )

    key: str = Field(description="Name of a key the service holds.", max_length=64)
    message: Hex
    context: Hex = Field(default=b"", description="FIPS 204 context string (at most 255 bytes).")


class SignResponse(Strict):
    """The signature and the key that made it."""

    algorithm: str
    key_id: Hex
    signature: Hex


class MamlSignRequest(Strict):
    """A `.maml.md` document to sign with one of the service's keys."""

    key: str = Field(description="Name of a key the service holds.", max_length=64)
    document: str = Field(description="The document's text.", max_length=1_048_576)


class MamlSignResponse(Strict):
    """The signed document."""

    document: str
    key_id: Hex
