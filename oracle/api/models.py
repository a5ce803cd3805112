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


def no_bytes(description: str) -> Any:
    """An optional `Hex` field, empty by default (shown as `0x` in the schema)."""
    return Field(default=b"", description=description, json_schema_extra={"default": "0x"})


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
    context: Hex = no_bytes("FIPS 204 context string (at most 255 bytes).")
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
        default_factory=list,
        max_length=64,
        description="Trusted signers' SubjectPublicKeyInfo PEMs.",
    )
    service_keys: bool = Field(
        default=False,
        description="Also trust every ML-DSA key the service has held (its key history), "
        "retired ones included: a document signed before a rotation still verifies.",
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
    context: Hex = no_bytes("FIPS 204 context string (at most 255 bytes).")


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


class EnvelopeEncryptRequest(Strict):
    """Plaintext to seal to ML-KEM-768 public keys (AES-256-GCM content), optionally signed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipients": ["0x<1184-byte ML-KEM-768 public key>"],
                    "plaintext": "0x48656c6c6f",
                    "aad": "0x",
                    "sign_with": "release",
                }
            ]
        }
    )

    recipients: list[str] = Field(
        min_length=1,
        max_length=64,
        description="ML-KEM-768 public keys: 0x hex (1184 bytes) or SubjectPublicKeyInfo PEM.",
    )
    plaintext: Hex = Field(description="At most 1 MiB through the API.")
    aad: Hex = no_bytes("Associated data, authenticated and not stored.")
    sign_with: str | None = Field(
        default=None, max_length=64, description="Name of a service ML-DSA key to sign with."
    )


class EnvelopeEncryptResponse(Strict):
    """The envelope in its JSON form (docs/envelope.md) and the recipients' key ids."""

    envelope: dict[str, Any]
    recipient_key_ids: list[Hex]
    sender_key_id: Hex | None


class EnvelopeDecryptRequest(Strict):
    """An envelope sealed to one of the service's ML-KEM keys."""

    envelope: dict[str, Any] = Field(description="The envelope's JSON form.")
    key: str = Field(max_length=64, description="Name of the service's ML-KEM key to open it.")
    aad: Hex = no_bytes("The associated data it was sealed with.")
    expected_sender: str | None = Field(
        default=None,
        max_length=8192,
        description="Trusted sender's ML-DSA public key as PEM: an envelope not signed by it "
        "is refused.",
    )


class EnvelopeDecryptResponse(Strict):
    """The plaintext, and the key that signed the envelope (checked) if any."""

    plaintext: Hex
    sender_key_id: Hex | None


class EnvelopeKey(Strict):
    """One of the service's ML-KEM-768 public keys (seal envelopes to it)."""

    name: str
    algorithm: str
    key_id: Hex
    public_key: Hex


class EnvelopeKeysResponse(Strict):
    """The service's envelope keys."""

    keys: list[EnvelopeKey]


class RegisterKeyRequest(Strict):
    """An ML-DSA public key to register on the verifier."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"algorithm": "ML-DSA-44", "public_key": "0x<1312 bytes>"}]}
    )

    algorithm: str | int = Field(description="ML-DSA-44/65/87, or the contract's id 1/2/3.")
    public_key: str = Field(
        description="Raw public key as 0x hex, or a SubjectPublicKeyInfo PEM.", max_length=8192
    )


class KeyRegistrationOut(Strict):
    """The key's id; the transaction when this call registered it."""

    key_id: str
    algorithm: str
    registered: Literal["now", "already"]
    block: int | None = None
    tx_hash: str | None = None
    gas_used: int | None = None


class KeyOut(Strict):
    """A registered key, checked against its id, and where its `KeyRegistered` log is."""

    key_id: Hex
    algorithm: str
    public_key: Hex
    registrant: str
    block: int
    tx_hash: Hex


class KeysResponse(Strict):
    """Registered keys the oracle's store holds, in registration order."""

    keys: list[KeyOut]


class OpenRequestBody(Strict):
    """A verification to open on the verifier, paid by the service's account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key_id": "0x<32 bytes>",
                    "message": "0x48656c6c6f",
                    "context": "0x",
                    "signature": "0x<2420 bytes>",
                }
            ]
        }
    )

    key_id: Hex | None = Field(default=None, description="A registered key's id (32 bytes).")
    algorithm: str | int | None = Field(default=None, description="With `public_key`.")
    public_key: str | None = Field(
        default=None,
        max_length=8192,
        description="The key itself (0x hex or PEM): registered by the same transaction if new.",
    )
    message: Hex
    context: Hex = no_bytes("FIPS 204 context string (at most 255 bytes).")
    signature: Hex
    fee: int = Field(default=0, ge=0, lt=2**96, description="Wei paid to the oracles.")
    callback_gas_limit: int = Field(default=0, ge=0, lt=2**32)
    timeout: int = Field(default=0, ge=0, lt=2**32, description="Seconds; 0: the default.")


class OpenRequestResponse(Strict):
    """The opened request."""

    request_id: Hex
    commitment: Hex
    deadline: int
    block: int
    tx_hash: Hex
    gas_used: int


class StoreView(Strict):
    """What this oracle's daemon recorded about a request."""

    state: str
    verdict: bool | None
    final_status: str | None
    final_block: int | None
    note: str | None
    key_id: str
    requester: str
    block: int


class ChainView(Strict):
    """The contract's `statusOf`."""

    status: str
    valid_votes: int
    invalid_votes: int
    deadline: int


class RequestViewOut(Strict):
    """A request as the store and the contract see it (`null` where one does not know it)."""

    request_id: str
    store: StoreView | None
    chain: ChainView | None


class ErrorDetail(Strict):
    """What went wrong: a machine-readable code and a one-line reason."""

    code: str = Field(examples=["bad_input"])
    reason: str = Field(examples=["public key: not hex"])


class ErrorResponse(Strict):
    """Every refusal's body."""

    error: ErrorDetail


class LatestReport(Strict):
    """The newest signed transparency report: its file name and the `.maml.md` text."""

    name: str
    document: str


class KeyringEntry(Strict):
    """One key the service has held."""

    name: str
    kind: Literal["ml-dsa", "ml-kem"]
    algorithm: str
    key_id: str
    public_key: str
    not_before: str
    retired_at: str | None
    decrypt_until: str | None


class KeyringHistory(Strict):
    """The service's key history, oldest first."""

    keys: list[KeyringEntry]
