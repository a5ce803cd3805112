"""Sign, co-sign, verify and extend the history of documents; write documents back out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

from oracle import crypto
from oracle.maml._policy import Policy
from oracle.maml._yaml import dump_mapping
from oracle.maml.canonical import (
    DOCUMENT_CONTEXT,
    HISTORY_CONTEXT,
    as_document,
    checked_digest,
    document_digest,
    history_digest,
    history_entry_bytes,
)
from oracle.maml.encoding import b64url_encode, is_rfc3339, key_id_text, utf8_size
from oracle.maml.errors import (
    MamlEncryptionError,
    MamlHistoryError,
    MamlLegacyError,
    MamlLimitError,
    MamlSignatureError,
)
from oracle.maml.model import MamlDocument, thaw
from oracle.maml.parser import (
    HISTORY_SECTION,
    MAX_DOCUMENT_BYTES,
    MAX_FRONT_MATTER_BYTES,
    MAX_HISTORY_FIELD,
    MAX_YAML_DEPTH,
    CheckedDocument,
    check,
    parse,
    parse_history_line,
)
from oracle.types import KeyId

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from oracle.crypto import PublicKey, SigningKey
    from oracle.maml.model import Finding, JsonValue, PlainJson

#: How `verify` decides: every signature and every supplied key, or at least one signature.
Requirement = Literal["all", "any"]
#: The outcome of one signature or history entry.
CheckStatus = Literal["valid", "invalid", "unknown-key", "wrong-context", "wrong-algorithm"]

#: The `maml_version` that `new_document` writes.
PROFILE_VERSION: Final = "1.0.0"


def render(front_matter: Mapping[str, JsonValue] | dict[str, PlainJson], body: str) -> str:
    """`---` LF, stable YAML of `front_matter`, `---` LF, then `body` unchanged.

    Raises:
        MamlLimitError: the front matter or the document would exceed the size limits.
        MamlSyntaxError: the YAML would not read back to the same canonical JSON (a bug guard).
    """
    plain = thaw(front_matter)
    assert isinstance(plain, dict)
    text = dump_mapping(plain, max_depth=MAX_YAML_DEPTH, policy=Policy(lenient=False))
    if utf8_size(text) > MAX_FRONT_MATTER_BYTES:
        raise MamlLimitError(f"front matter would exceed {MAX_FRONT_MATTER_BYTES} bytes")
    document = f"---\n{text}---\n{body}"
    if utf8_size(document) > MAX_DOCUMENT_BYTES:
        raise MamlLimitError(f"document would exceed {MAX_DOCUMENT_BYTES} bytes")
    return document


def writable_document(document: str | bytes | MamlDocument, action: str) -> MamlDocument:
    """The parsed document, if it may be changed (`action` names the change in errors).

    Raises:
        MamlLegacyError: it was read leniently and has legacy shapes.
        MamlEncryptionError: it is encrypted.
        MamlDocumentError: it does not parse.
    """
    doc = as_document(document)
    if doc.warnings:
        first = doc.warnings[0]
        raise MamlLegacyError(
            f"cannot {action} a document read leniently ({first.message})",
            line=first.line,
            column=first.column,
        )
    if doc.is_encrypted:
        raise MamlEncryptionError(
            f"cannot {action} an encrypted document; decrypt it first", line=doc.body_line
        )
    return doc


def _add_signature(doc: MamlDocument, signing_key: SigningKey) -> str:
    own = signing_key.key_id
    for entry in doc.signatures:
        if entry.key_id == own:
            raise MamlSignatureError(
                f"the document is already signed by key {key_id_text(own)}", line=entry.line
            )
    value = signing_key.sign(document_digest(doc), DOCUMENT_CONTEXT.encode("utf-8"))
    front = thaw(doc.front_matter)
    assert isinstance(front, dict)
    existing = front.get("signatures", [])
    assert isinstance(existing, list)
    entry_value: PlainJson = {
        "alg": signing_key.algorithm.name,
        "key_id": key_id_text(own),
        "context": DOCUMENT_CONTEXT,
        "value": b64url_encode(value),
    }
    front["signatures"] = [*existing, entry_value]
    return render(front, doc.body)


def sign(document: str | bytes | MamlDocument, signing_key: SigningKey) -> str:
    """The document with a first ML-DSA signature added to `signatures:`.

    Raises:
        MamlSignatureError: the document is already signed (use `cosign`).
        MamlEncryptionError: the document is encrypted.
        MamlLegacyError: the document was read leniently.
        MamlDocumentError: the document does not parse.
    """
    doc = writable_document(document, "sign")
    if doc.signatures:
        raise MamlSignatureError(
            f"the document already has {len(doc.signatures)} signature(s); add yours with cosign",
            line=doc.signatures[0].line,
        )
    return _add_signature(doc, signing_key)


def cosign(document: str | bytes | MamlDocument, signing_key: SigningKey) -> str:
    """The document with one more signature over the same bytes; earlier ones stay valid.

    Raises:
        MamlSignatureError: the document has no signature yet, or this key already signed.
        MamlEncryptionError: the document is encrypted.
        MamlLegacyError: the document was read leniently.
        MamlDocumentError: the document does not parse.
    """
    doc = writable_document(document, "co-sign")
    if not doc.signatures:
        raise MamlSignatureError("the document has no signature to co-sign; use sign", line=2)
    return _add_signature(doc, signing_key)


def _check_history_text(what: str, value: str) -> None:
    if (
        not value
        or value != value.strip()
        or "|" in value
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
        or len(value) > MAX_HISTORY_FIELD
    ):
        raise MamlHistoryError(
            f"history {what} must be 1-{MAX_HISTORY_FIELD} characters without '|', control "
            "characters or surrounding blanks"
        )


def utc_now() -> str:
    """The current UTC time as RFC 3339 with seconds: `2026-11-24T10:00:00Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def append_history(
    document: str | bytes | MamlDocument,
    entry_text: str,
    signing_key: SigningKey,
    *,
    actor: str | None = None,
    timestamp: str | None = None,
) -> str:
    """The document with one signed `## History` entry appended (the section is created if absent).

    The entry signs SHA-256(`MAML-HIST-v1` 0x00 ‖ document digest ‖ SHA-256(previous entry line)
    ‖ u64be(len) ‖ JCS(entry fields)) with the FIPS 204 context "maml-v1-history". `actor`
    defaults to `key:<key_id>`, `timestamp` to now (UTC).

    Raises:
        MamlHistoryError: the text, actor or time is malformed, or the body ends inside an
            unclosed code fence (a History heading there would not be a heading).
        MamlEncryptionError: the document is encrypted.
        MamlLegacyError: the document was read leniently.
        MamlDocumentError: the document does not parse.
    """
    doc = writable_document(document, "append history to")
    who = actor if actor is not None else f"key:{key_id_text(signing_key.key_id)}"
    when = timestamp if timestamp is not None else utc_now()
    _check_history_text("text", entry_text)
    _check_history_text("actor", who)
    if not is_rfc3339(when):
        raise MamlHistoryError(f"history time {when!r} is not RFC 3339")
    digest = document_digest(doc)
    previous = doc.history[-1].text if doc.history else None
    alg = signing_key.algorithm.name
    entry = history_entry_bytes(when, who, entry_text, alg, signing_key.key_id)
    value = signing_key.sign(
        history_digest(digest, previous, entry), HISTORY_CONTEXT.encode("utf-8")
    )
    line = (
        f"- {when} | {who} | {entry_text} | "
        f"sig={alg}:{key_id_text(signing_key.key_id)}:{b64url_encode(value)}"
    )
    parse_history_line(line, 0)
    body = doc.body
    separator = "" if body == "" or body.endswith("\n") else "\n"
    if doc.section(HISTORY_SECTION) is None:
        body = f"{body}{separator}## {HISTORY_SECTION}\n\n{line}\n"
    else:
        body = f"{body}{separator}{line}\n"
    text = doc.text[: len(doc.text) - len(doc.body)] + body
    result = parse(text)
    if document_digest(result) != digest or len(result.history) != len(doc.history) + 1:
        raise MamlHistoryError(
            "cannot append a History entry: the body ends inside an unclosed code fence",
            line=doc.body_line + doc.body.count("\n"),
        )
    return text


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The outcome for one `signatures:` entry."""

    index: int
    line: int
    alg: str
    key_id: KeyId
    context: str
    status: CheckStatus

    @property
    def valid(self) -> bool:
        """Whether the signature verified under a supplied key with the profile's context."""
        return self.status == "valid"

    @property
    def key_id_hex(self) -> str:
        """`0x` hex key id."""
        return key_id_text(self.key_id)


@dataclass(frozen=True, slots=True)
class HistoryCheck:
    """The outcome for one `## History` entry."""

    index: int
    line: int
    timestamp: str
    actor: str
    action: str
    alg: str
    key_id: KeyId
    status: CheckStatus

    @property
    def valid(self) -> bool:
        """Whether the entry's signature verified under a supplied key."""
        return self.status == "valid"

    @property
    def key_id_hex(self) -> str:
        """`0x` hex key id."""
        return key_id_text(self.key_id)


_TAMPER: Final = frozenset({"invalid", "wrong-context", "wrong-algorithm"})


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Every signature's and history entry's outcome, and the verdict under `require`."""

    #: SHA-256 of the canonical bytes (what document signatures sign).
    digest: bytes
    require: Requirement
    signatures: tuple[SignatureCheck, ...]
    history: tuple[HistoryCheck, ...]
    #: Supplied public keys with no valid document signature and no valid history entry.
    missing_keys: tuple[KeyId, ...]
    #: Lenient-mode notes on legacy shapes (empty for strict documents).
    warnings: tuple[Finding, ...]

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (the CLI's `--json` and the HTTP service's answer)."""
        return {
            "valid": self.valid,
            "require": self.require,
            "digest": "0x" + self.digest.hex(),
            "signatures": [
                {
                    "index": check.index,
                    "line": check.line,
                    "alg": check.alg,
                    "key_id": check.key_id_hex,
                    "status": check.status,
                }
                for check in self.signatures
            ],
            "history": [
                {
                    "index": check.index,
                    "line": check.line,
                    "timestamp": check.timestamp,
                    "actor": check.actor,
                    "action": check.action,
                    "key_id": check.key_id_hex,
                    "status": check.status,
                }
                for check in self.history
            ],
            "missing_keys": ["0x" + bytes(key).hex() for key in self.missing_keys],
            "warnings": [str(item) for item in self.warnings],
        }

    @property
    def all_valid(self) -> bool:
        """At least one signature, and every signature valid."""
        return bool(self.signatures) and all(check.valid for check in self.signatures)

    @property
    def any_valid(self) -> bool:
        """At least one signature valid."""
        return any(check.valid for check in self.signatures)

    @property
    def history_valid(self) -> bool:
        """Every history entry valid ("all"), or none failing under a supplied key ("any")."""
        if self.require == "all":
            return all(check.valid for check in self.history)
        return not any(check.status in _TAMPER for check in self.history)

    @property
    def valid(self) -> bool:
        """The verdict under `require`.

        "all": at least one signature, every signature and history entry valid, and every
        supplied key used by one of them. "any": one valid document signature, and no signature
        or history entry failing under a supplied key (entries by unknown keys are unchecked).
        """
        if self.require == "all":
            return self.all_valid and not self.missing_keys and self.history_valid
        return (
            self.any_valid
            and not any(check.status in _TAMPER for check in self.signatures)
            and self.history_valid
        )


#: The two FIPS 204 contexts `_status` checks against, encoded once.
_CONTEXT_BYTES: Final = MappingProxyType(
    {context: context.encode("utf-8") for context in (DOCUMENT_CONTEXT, HISTORY_CONTEXT)}
)


def _status(
    keys: Mapping[bytes, PublicKey],
    alg: str,
    key_id: bytes,
    message: bytes,
    signature: bytes,
    context: str,
    expected_context: str,
) -> CheckStatus:
    key = keys.get(bytes(key_id))
    if key is None:
        return "unknown-key"
    if key.algorithm.name != alg:
        return "wrong-algorithm"
    if context != expected_context:
        return "wrong-context"
    params = key.algorithm
    if len(signature) != params.signature_size:
        return "invalid"
    # The backend directly: `crypto.verify` would check again what is settled here (a
    # `PublicKey` has its parameter set and length, the context is one of the profile's two,
    # the message a 32-byte digest, and the signature bytes of the right length).
    ok = crypto.get_backend().verify(
        params, key.raw, message, bytes(signature), _CONTEXT_BYTES[context]
    )
    return "valid" if ok else "invalid"


def verify(
    document: str | bytes | MamlDocument,
    public_keys: Iterable[PublicKey],
    *,
    require: Requirement = "all",
    lenient: bool = False,
) -> VerificationReport:
    """Check every document signature and history entry against `public_keys`.

    Raises:
        MamlEncryptionError: the document is encrypted (verify after decrypting).
        MamlDocumentError: the document does not parse (in the chosen mode).
        ValueError: `require` is not "all" or "any".
    """
    if require not in ("all", "any"):
        raise ValueError(f"require must be 'all' or 'any', got {require!r}")
    # Text is checked, not parsed: every rule runs, but no `MamlDocument` (sections, code
    # blocks, a read-only copy of the front matter) is built just to be dropped, which is a
    # sixth of what a 4 KiB document costs beyond its ML-DSA verification.
    doc: MamlDocument | CheckedDocument
    if isinstance(document, MamlDocument):
        doc = document
        digest = document_digest(doc)
    else:
        doc = check(document, Policy(lenient=lenient))
        digest = checked_digest(doc)
    keys: dict[bytes, PublicKey] = {bytes(key.key_id): key for key in public_keys}
    signatures = tuple(
        [
            SignatureCheck(
                index,
                entry.line,
                entry.alg,
                entry.key_id,
                entry.context,
                _status(
                    keys,
                    entry.alg,
                    entry.key_id,
                    digest,
                    entry.value,
                    entry.context,
                    DOCUMENT_CONTEXT,
                ),
            )
            for index, entry in enumerate(doc.signatures)
        ]
    )
    history: list[HistoryCheck] = []
    previous: str | None = None
    for index, item in enumerate(doc.history):
        entry_bytes = history_entry_bytes(
            item.timestamp, item.actor, item.action, item.alg, item.key_id
        )
        message = history_digest(digest, previous, entry_bytes)
        status = _status(
            keys, item.alg, item.key_id, message, item.signature, HISTORY_CONTEXT, HISTORY_CONTEXT
        )
        history.append(
            HistoryCheck(
                index,
                item.line,
                item.timestamp,
                item.actor,
                item.action,
                item.alg,
                item.key_id,
                status,
            )
        )
        previous = item.text
    # A supplied key counts as used when it made a valid document signature or history entry.
    signed_by = {bytes(check.key_id) for check in signatures if check.status == "valid"}
    if history:
        signed_by.update([bytes(check.key_id) for check in history if check.status == "valid"])
    # The ids are the dict's keys: a key id is a keccak256 of the public key, not free to recompute.
    missing = tuple([KeyId(key_bytes) for key_bytes in keys if key_bytes not in signed_by])
    return VerificationReport(digest, require, signatures, tuple(history), missing, doc.warnings)


def new_document(
    *,
    doc_type: str,
    origin: str,
    intent: str,
    context: str,
    content: str | None = None,
    doc_id: str | None = None,
    created_at: str | None = None,
    permissions: Mapping[str, Iterable[str]] | None = None,
    requires: Iterable[str] | None = None,
) -> str:
    """A new unsigned document with the required fields and sections, validated.

    Raises:
        MamlDocumentError: a field or section text makes the document invalid.
    """
    front: dict[str, PlainJson] = {
        "maml_version": PROFILE_VERSION,
        "id": doc_id if doc_id is not None else f"urn:uuid:{uuid.uuid4()}",
        "type": doc_type,
        "origin": origin,
        "created_at": created_at if created_at is not None else utc_now(),
    }
    if permissions is not None:
        front["permissions"] = {kind: list(who) for kind, who in permissions.items()}
    if requires is not None:
        front["requires"] = list(requires)
    parts = [f"## Intent\n{intent.strip()}\n", f"## Context\n{context.strip()}\n"]
    if content is not None:
        parts.append(f"## Content\n{content.strip()}\n")
    text = render(front, "\n".join(parts))
    parse(text)
    return text
