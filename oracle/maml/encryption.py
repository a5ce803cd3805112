"""Encrypt a document's body to ML-KEM-768 recipients, front matter in clear and authenticated.

The envelope itself (ML-KEM-768 → HKDF-SHA256 → AES-256-GCM key wrap, AES-256-GCM content) is
`oracle.crypto.envelope`; this module only decides what is sealed (the body), what is bound as
associated data (`encryption_aad` of the front matter) and how the result is written down.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from oracle.crypto.envelope import Envelope, open_envelope, seal
from oracle.crypto.kem import KemPublicKey
from oracle.errors import DecryptionError, EnvelopeFormatError
from oracle.maml.canonical import as_document, encryption_aad
from oracle.maml.encoding import b64url_decode, b64url_encode, key_id_text
from oracle.maml.errors import MamlDecryptionError, MamlEncodingError, MamlEncryptionError
from oracle.maml.model import freeze, thaw
from oracle.maml.parser import (
    ENCRYPTION_AEAD,
    ENCRYPTION_KEM,
    ENCRYPTION_SCHEME,
    ENVELOPE_FENCE_INFO,
    parse,
)
from oracle.maml.signing import render, writable_document

if TYPE_CHECKING:
    from collections.abc import Sequence

    from oracle.crypto import PublicKey, SigningKey
    from oracle.crypto.kem import KemPrivateKey
    from oracle.maml.model import JsonValue, MamlDocument, PlainJson

#: Characters of base64url per line in the envelope block (the MIME line length).
LINE_LENGTH: Final = 76

_ENVELOPE_LINES: Final = re.compile(r"```" + ENVELOPE_FENCE_INFO + r"\n(.*)```\n", re.DOTALL)


def _wrap(data: bytes) -> str:
    text = b64url_encode(data)
    lines = [text[i : i + LINE_LENGTH] for i in range(0, len(text), LINE_LENGTH)]
    return f"```{ENVELOPE_FENCE_INFO}\n" + "".join(f"{line}\n" for line in lines) + "```\n"


def encrypt(
    document: str | bytes | MamlDocument,
    recipients: Sequence[KemPublicKey | bytes],
    *,
    sender: SigningKey | None = None,
) -> str:
    """The document with its body sealed to `recipients` (ML-KEM-768 public keys).

    Front matter stays readable and gains `encryption: {scheme, kem, aead, recipients}`; the
    body becomes one fenced `maml-envelope` block. Existing signatures are kept: they cover the
    plaintext and verify again after `decrypt`. `sender` adds the envelope's ML-DSA signature.

    Raises:
        MamlEncryptionError: the document is already encrypted.
        MamlLegacyError: the document was read leniently.
        InvalidKeyError: a recipient key is not an ML-KEM-768 public key.
        InputError: no recipients, or one listed twice.
        MamlDocumentError: the document does not parse.
    """
    doc = writable_document(document, "encrypt")
    keys = [
        key if isinstance(key, KemPublicKey) else KemPublicKey.from_bytes(key) for key in recipients
    ]
    front = thaw(doc.front_matter)
    assert isinstance(front, dict)
    front["encryption"] = {
        "scheme": ENCRYPTION_SCHEME,
        "kem": ENCRYPTION_KEM,
        "aead": ENCRYPTION_AEAD,
        "recipients": [key_id_text(key.key_id) for key in keys],
    }
    aad = encryption_aad(_frozen(front))
    envelope = seal(doc.body.encode("utf-8"), keys, aad=aad, sender=sender)
    return render(front, _wrap(envelope.to_bytes()))


def _frozen(front: dict[str, PlainJson]) -> dict[str, JsonValue]:
    return {name: freeze(value) for name, value in front.items()}


def envelope_of(document: str | bytes | MamlDocument) -> Envelope:
    """The envelope in an encrypted document's body.

    Raises:
        MamlEncryptionError: the document is not encrypted, or the block is not an envelope.
        MamlDocumentError: the document does not parse.
    """
    doc = as_document(document)
    if doc.encryption is None:
        raise MamlEncryptionError("the document is not encrypted", line=doc.body_line)
    match = _ENVELOPE_LINES.fullmatch(doc.body)
    data = b64url_decode(match.group(1).replace("\n", "")) if match else None
    if data is None:
        raise MamlEncryptionError("the envelope block is not base64url", line=doc.body_line + 1)
    try:
        envelope = Envelope.from_bytes(data)
    except EnvelopeFormatError as err:
        raise MamlEncryptionError(f"malformed envelope: {err}", line=doc.body_line + 1) from None
    listed = doc.encryption.fields.get("recipients")
    if listed is not None:
        actual = tuple(key_id_text(key_id) for key_id in envelope.recipient_key_ids)
        if tuple(listed) != actual:  # type: ignore[arg-type]
            raise MamlEncryptionError(
                "encryption.recipients does not list the envelope's recipients",
                line=doc.line_of("encryption", "recipients"),
            )
    return envelope


def decrypt(
    document: str | bytes | MamlDocument,
    recipient_private_key: KemPrivateKey,
    *,
    expected_sender: bytes | PublicKey | None = None,
) -> str:
    """The plaintext document: `encryption` removed from the front matter, the body restored.

    Raises:
        MamlDecryptionError: not a recipient, wrong key, or the front matter, envelope or
            sender signature was tampered with (or `expected_sender` did not sign).
        MamlEncryptionError: the document is not encrypted or its envelope is malformed.
        InvalidKeyError: the private key is not an ML-KEM-768 key.
        MamlDocumentError: the document, or the decrypted one, does not parse.
    """
    doc = as_document(document)
    envelope = envelope_of(doc)
    try:
        plaintext = open_envelope(
            envelope,
            recipient_private_key,
            aad=encryption_aad(doc.front_matter),
            expected_sender=expected_sender,
        )
    except DecryptionError as err:
        raise MamlDecryptionError(str(err), line=doc.body_line + 1) from None
    try:
        body = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise MamlEncodingError("the decrypted body is not UTF-8", line=doc.body_line) from None
    front = thaw(doc.front_matter)
    assert isinstance(front, dict)
    del front["encryption"]
    text = render(front, body)
    parse(text)
    return text
