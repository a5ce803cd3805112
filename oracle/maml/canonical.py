"""The bytes that are signed, hashed and bound: one definition each (see docs/maml.md).

canonical = "MAML-SIG-v1" 0x00 ‖ u64be(len(F)) ‖ F ‖ u64be(len(B)) ‖ B
F = RFC 8785 (JCS) of the front matter mapping without `signatures`
B = UTF-8 of the LF-normalised body before the `## History` heading, ending in one LF
digest = SHA-256(canonical); an ML-DSA document signature signs the 32-byte digest with the
FIPS 204 context "maml-v1".
"""

from __future__ import annotations

import hashlib
import json
import struct
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import rfc8785

from oracle.maml._policy import Policy
from oracle.maml._yaml import MAX_SAFE_INTEGER
from oracle.maml.errors import MamlEncryptionError, MamlHistoryError
from oracle.maml.model import MamlDocument, thaw
from oracle.maml.parser import HISTORY_SECTION, CheckedDocument, check, parse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from oracle.maml.model import JsonValue, PlainJson

#: Domain separation prefixes: no byte string is ever both a document, a history and an AAD input.
SIGNATURE_DOMAIN: Final = b"MAML-SIG-v1\x00"
HISTORY_DOMAIN: Final = b"MAML-HIST-v1\x00"
ENCRYPTION_DOMAIN: Final = b"MAML-ENC-v1\x00"
#: FIPS 204 context strings (ML-DSA's own domain separation) for the two kinds of signature.
DOCUMENT_CONTEXT: Final = "maml-v1"
HISTORY_CONTEXT: Final = "maml-v1-history"
#: What a first history entry chains to.
GENESIS: Final = bytes(32)


def as_document(document: str | bytes | MamlDocument, *, lenient: bool = False) -> MamlDocument:
    """`document` itself, or the result of parsing it.

    Raises:
        MamlDocumentError: the text is not a valid document.
    """
    if isinstance(document, MamlDocument):
        return document
    return parse(document, lenient=lenient)


#: u64be of an int: the packer's bound method, called without a Python frame.
_u64: Final = struct.Struct(">Q").pack
#: Value types a mapping may hold for `_json_writes_it_canonically` to accept it without a
#: look at each value: JSON writes them alike whatever they hold.
_FLAT: Final = frozenset({str, bool, type(None)})


def _json_writes_it_canonically(value: object) -> bool:
    """Whether `json.dumps` (sorted keys, no blanks, no ASCII escaping) writes `value` as RFC 8785
    does: strings, booleans, nulls, exact-range integers, lists and mappings, keys in the Basic
    Multilingual Plane. Both escape the same characters the same way (`\\"`, `\\\\`, `\\b`, `\\f`,
    `\\n`, `\\r`, `\\t`, other controls as lowercase `\\u00xx`); they differ on floats (ECMAScript
    number form versus Python's repr) and on the order of keys beyond the BMP (UTF-16 code units
    versus code points)."""
    pending: list[Any] = [value]
    while pending:  # an explicit stack: a front matter is at most MAX_YAML_DEPTH deep anyway
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            return False
        if kind is dict or kind is MappingProxyType:
            # The keys at once: joining them fails on one that is not a string, and the join
            # is ASCII, or below U+10000 throughout, when every key is.
            try:
                keys = "".join(item)
            except TypeError:
                return False
            if not keys.isascii() and max(keys) >= "\U00010000":
                return False
            # A mapping of strings, booleans and nulls (most of a front matter) needs no look
            # at each value.
            if not set(map(type, item.values())) <= _FLAT:
                pending.extend(item.values())
        elif kind is tuple or kind is list:
            pending.extend(item)
        else:
            return False  # floats, and anything else, go to rfc8785 (which also refuses)
    return True


def _mapping_as_dict(value: object) -> dict[str, object]:
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


#: The encoder `jcs` uses, made once (json.dumps with options builds a new one per call).
_JSON: Final = json.JSONEncoder(
    ensure_ascii=False,
    separators=(",", ":"),
    sort_keys=True,
    check_circular=False,
    default=_mapping_as_dict,
)
#: `_JSON`'s C encoder itself, made once: `JSONEncoder.encode` makes a new one on every call
#: (two Python frames and nine arguments; a fifth of the cost of a small front matter). Its
#: arguments are the ones `_JSON.iterencode` passes for the options above; None where the
#: interpreter has no `_json` accelerator (`_JSON.encode` then writes the same text).
_MAKE_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # not in the type stubs
_C_JSON: Final = (
    None
    if _MAKE_C_ENCODER is None
    else _MAKE_C_ENCODER(
        None, _mapping_as_dict, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )
)


def jcs(value: Mapping[str, JsonValue] | PlainJson) -> bytes:
    """RFC 8785 canonical JSON of a (frozen or plain) JSON value.

    Raises:
        rfc8785.CanonicalizationError: a value JSON cannot carry exactly.
    """
    # rfc8785 is pure Python (a regex per string, a write per token): ~9 us for a small front
    # matter, most of what a document digest costs beyond SHA-256. The C encoder of `json`
    # writes the same bytes for everything but floats and keys beyond the BMP (checked first,
    # in one walk; tests/maml/test_maml_fast_paths.py compares both on generated values).
    if _json_writes_it_canonically(value):
        try:
            if _C_JSON is not None and type(value) is not str:  # encode() special-cases str
                return "".join(_C_JSON(value, 0)).encode("utf-8")
            return _JSON.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 raises its own error for it
    return rfc8785.dumps(thaw(value))


def canonical_front_matter(document: str | bytes | MamlDocument) -> bytes:
    """JCS of the front matter without `signatures` (F in the canonical bytes).

    Raises:
        MamlDocumentError: `document` does not parse.
    """
    return _front_bytes(as_document(document).front_matter)


def _front_bytes(front: Mapping[str, JsonValue] | dict[str, PlainJson]) -> bytes:
    """`canonical_front_matter` of a front matter (read-only or as read)."""
    # One C copy (a read-only view copies its dict directly; `dict()` of one asks it key by
    # key); JCS sorts the keys anyway.
    unsigned: dict[str, Any] = (
        front.copy() if type(front) is MappingProxyType or type(front) is dict else dict(front)
    )
    unsigned.pop("signatures", None)
    return jcs(unsigned)


#: Why an encrypted document has no digest (its signatures cover the plaintext).
_ENCRYPTED: Final = (
    "the document is encrypted: its signatures cover the plaintext, decrypt it first"
)


def _signed_end(body: str, history_start: int | None) -> tuple[int, bool]:
    """Where the signed part of `body` ends, and whether an LF is implied after it."""
    end = len(body) if history_start is None else history_start
    # A History section is added as a new line after the body; the implied final LF makes the
    # signed bytes of "text" and of "text\n## History ..." the same.
    return end, end > 0 and body[end - 1] != "\n"


def _signed_span(doc: MamlDocument) -> tuple[int, bool]:
    """Where the signed part of `doc.body` ends, and whether an LF is implied after it.

    Raises:
        MamlEncryptionError: the document is encrypted.
    """
    if doc.encryption is not None:
        raise MamlEncryptionError(_ENCRYPTED, line=doc.body_line)
    history = doc.section(HISTORY_SECTION)
    return _signed_end(doc.body, None if history is None else history.start)


def _signed_text(body: str, end: int, add_lf: bool) -> str:
    text = body if end == len(body) else body[:end]
    return text + "\n" if add_lf else text


def signed_body(document: str | bytes | MamlDocument) -> str:
    """The signed body: everything before `## History`, with a final LF added when it has none.

    Raises:
        MamlEncryptionError: the document is encrypted (sign and verify the plaintext).
        MamlDocumentError: `document` does not parse.
    """
    doc = as_document(document)
    return _signed_text(doc.body, *_signed_span(doc))


def _head(front: Mapping[str, JsonValue] | dict[str, PlainJson], body_size: int) -> bytes:
    """The canonical bytes before the body: domain, JCS front matter, body length."""
    front_json = _front_bytes(front)
    return b"".join((SIGNATURE_DOMAIN, _u64(len(front_json)), front_json, _u64(body_size)))


def canonical_bytes(document: str | bytes | MamlDocument) -> bytes:
    """The domain-separated encoding of front matter and body that document signatures cover.

    Raises:
        MamlEncryptionError: the document is encrypted.
        MamlDocumentError: `document` does not parse.
    """
    doc = as_document(document)
    body = signed_body(doc).encode("utf-8")
    return _head(doc.front_matter, len(body)) + body


#: Characters of an ASCII body encoded and hashed at a time (see `document_digest`).
_CHUNK: Final = 64 * 1024


def document_digest(document: str | bytes | MamlDocument) -> bytes:
    """SHA-256 of the canonical bytes: the 32-byte message every document signature signs.

    Raises:
        MamlEncryptionError: the document is encrypted.
        MamlDocumentError: `document` does not parse.
    """
    if not isinstance(document, MamlDocument):
        return checked_digest(check(document, Policy(lenient=False)))
    end, add_lf = _signed_span(document)
    return _digest(document.front_matter, document.body, end, add_lf)


def checked_digest(checked: CheckedDocument) -> bytes:
    """`document_digest` of a checked document (no `MamlDocument` built).

    Raises:
        MamlEncryptionError: the document is encrypted.
    """
    if checked.encryption is not None:
        raise MamlEncryptionError(_ENCRYPTED, line=checked.body_line)
    body = checked.body
    end, add_lf = _signed_end(body, checked.history_start)
    return _digest(checked.front_matter, body, end, add_lf)


def _digest(
    front: Mapping[str, JsonValue] | dict[str, PlainJson], body: str, end: int, add_lf: bool
) -> bytes:
    if not body.isascii():
        encoded = _signed_text(body, end, add_lf).encode("utf-8")
        digest = hashlib.sha256(_head(front, len(encoded)))
        digest.update(encoded)
        return digest.digest()
    # An ASCII body is its own UTF-8 (its length is known without encoding it): hashing it in
    # pieces keeps every buffer small, where encoding a large body at once would allocate (and
    # page in) a fresh copy of it for every signature checked.
    digest = hashlib.sha256(_head(front, end + add_lf))
    if end <= _CHUNK:  # one piece (the slice is the body itself when nothing follows)
        digest.update(body[:end].encode("ascii"))
    else:
        for start in range(0, end, _CHUNK):
            digest.update(body[start : min(start + _CHUNK, end)].encode("ascii"))
    if add_lf:
        digest.update(b"\n")
    return digest.digest()


def history_entry_bytes(timestamp: str, actor: str, action: str, alg: str, key_id: bytes) -> bytes:
    """JCS of the entry's fields: {"action", "actor", "alg", "key_id" (0x hex), "timestamp"}."""
    return jcs(
        {
            "action": action,
            "actor": actor,
            "alg": alg,
            "key_id": "0x" + bytes(key_id).hex(),
            "timestamp": timestamp,
        }
    )


def previous_link(previous_line: str | None) -> bytes:
    """SHA-256 of the previous entry's line (UTF-8, no LF), or 32 zero bytes for the first entry."""
    if previous_line is None:
        return GENESIS
    return hashlib.sha256(previous_line.encode("utf-8")).digest()


def history_message(digest: bytes, previous_line: str | None, entry: bytes) -> bytes:
    """`MAML-HIST-v1` 0x00 ‖ document digest ‖ link to the previous entry ‖ u64be(len) ‖ entry.

    Raises:
        MamlHistoryError: `digest` is not 32 bytes.
    """
    if len(digest) != 32:
        raise MamlHistoryError(f"a document digest is 32 bytes, got {len(digest)}")
    return b"".join((HISTORY_DOMAIN, digest, previous_link(previous_line), _u64(len(entry)), entry))


def history_digest(digest: bytes, previous_line: str | None, entry: bytes) -> bytes:
    """SHA-256 of `history_message`: what a history signature signs (context "maml-v1-history").

    Raises:
        MamlHistoryError: `digest` is not 32 bytes.
    """
    return hashlib.sha256(history_message(digest, previous_line, entry)).digest()


def encryption_aad(front_matter: Mapping[str, JsonValue]) -> bytes:
    """`MAML-ENC-v1` 0x00 ‖ JCS(front matter without `signatures`, `encryption` included).

    Signatures stay outside so a plaintext signed before encryption can be co-signed after
    decryption; every other field, and the encryption parameters, are authenticated.
    """
    unsigned = {name: value for name, value in front_matter.items() if name != "signatures"}
    return ENCRYPTION_DOMAIN + jcs(unsigned)
