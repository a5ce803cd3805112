"""Post-quantum envelope encryption: AES-256-GCM content, key wrapped to ML-KEM-768 recipients.

For each recipient: ML-KEM-768 encapsulation → shared secret → HKDF-SHA256 (info binds the suite,
the version, the recipient's key id and the KEM ciphertext) → key-encryption key → AES-256-GCM
of the random content key. The content is AES-256-GCM under that content key, with the whole
envelope header and a digest of the caller's associated data as AAD. An optional ML-DSA sender
signature covers the header, the ciphertext and the AAD digest.

The binary layout, the JSON form, the KDF strings and the limits are specified in
`docs/envelope.md`. Pure: no file or network I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from oracle.crypto import ALGORITHMS, Algorithm, PublicKey, SigningKey, verify
from oracle.crypto.kem import ML_KEM_768, KemAlgorithm, KemPrivateKey, KemPublicKey
from oracle.errors import (
    DecryptionError,
    EnvelopeFormatError,
    EnvelopeLimitError,
    EnvelopeSignatureError,
    InputError,
    InvalidKeyError,
    NotARecipientError,
    SenderMismatchError,
    UnsupportedEnvelopeSuiteError,
    UnsupportedEnvelopeVersionError,
)
from oracle.inputs import json_too_deep

if TYPE_CHECKING:
    from collections.abc import Sequence

    from oracle.types import KeyId

__all__ = [
    "KEK_INFO_LABEL",
    "MAGIC",
    "MAX_ENVELOPE_SIZE",
    "MAX_JSON_SIZE",
    "MAX_PLAINTEXT_SIZE",
    "MAX_RECIPIENTS",
    "SIGNATURE_CONTEXT",
    "SUITE_MLKEM768_HKDFSHA256_AES256GCM",
    "VERSION",
    "Envelope",
    "RecipientEntry",
    "SenderSignature",
    "Suite",
    "open_envelope",
    "seal",
]

# --- format constants -----------------------------------------------------------------------------

MAGIC: Final = b"PQE1"
VERSION: Final = 1
#: FIPS 204 context string of the sender signature.
SIGNATURE_CONTEXT: Final = b"pqoracle-envelope-v1"
#: First bytes of the HKDF info string; the version, suite, key id and KEM ciphertext follow.
KEK_INFO_LABEL: Final = b"pqoracle-envelope-v1 kek"

KEY_ID_SIZE: Final = 32
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
CONTENT_KEY_SIZE: Final = 32
WRAPPED_KEY_SIZE: Final = CONTENT_KEY_SIZE + TAG_SIZE

#: At most this many recipients per envelope (at most 74 KiB of recipient entries).
MAX_RECIPIENTS: Final = 64
#: At most this many plaintext bytes: envelopes are built and opened in memory.
MAX_PLAINTEXT_SIZE: Final = 64 * 1024 * 1024

# magic, version, suite, sender algorithm id, recipient count (uint16, big-endian)
_PREFIX: Final = struct.Struct(">4sBBBH")
_CIPHERTEXT_LENGTH: Final = struct.Struct(">I")
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_ENVELOPE_MEMBERS: Final = frozenset(
    {"format", "version", "suite", "recipients", "sender", "nonce", "ciphertext"}
)
_RECIPIENT_MEMBERS: Final = frozenset({"key_id", "kem_ciphertext", "wrap_nonce", "wrapped_key"})
_SENDER_MEMBERS: Final = frozenset({"algorithm", "public_key", "signature"})


@dataclass(frozen=True, slots=True)
class Suite:
    """A cipher suite: the KEM, and implicitly HKDF-SHA256 and AES-256-GCM."""

    id: int
    name: str
    kem: KemAlgorithm

    @property
    def recipient_entry_size(self) -> int:
        """Bytes of one recipient entry: key id, KEM ciphertext, wrap nonce, wrapped key."""
        return KEY_ID_SIZE + self.kem.ciphertext_size + NONCE_SIZE + WRAPPED_KEY_SIZE


SUITE_MLKEM768_HKDFSHA256_AES256GCM: Final = Suite(
    1, "ML-KEM-768/HKDF-SHA256/AES-256-GCM", ML_KEM_768
)
_SUITES: Final = {SUITE_MLKEM768_HKDFSHA256_AES256GCM.id: SUITE_MLKEM768_HKDFSHA256_AES256GCM}

_LARGEST_SIGNER: Final = max(ALGORITHMS, key=lambda a: a.public_key_size + a.signature_size)
#: No valid envelope is longer; longer input is refused before it is parsed.
MAX_ENVELOPE_SIZE: Final = (
    _PREFIX.size
    + MAX_RECIPIENTS * max(s.recipient_entry_size for s in _SUITES.values())
    + _LARGEST_SIGNER.public_key_size
    + NONCE_SIZE
    + _CIPHERTEXT_LENGTH.size
    + MAX_PLAINTEXT_SIZE
    + TAG_SIZE
    + _LARGEST_SIGNER.signature_size
)
#: Base64url of the largest envelope plus room for the field names and whitespace.
MAX_JSON_SIZE: Final = (MAX_ENVELOPE_SIZE * 4 + 2) // 3 + 64 * 1024
#: Envelope JSON nests three levels (object, recipients list, recipient object); allow some slack.
_MAX_JSON_DEPTH: Final = 8


def _suite(suite_id: int) -> Suite:
    found = _SUITES.get(suite_id)
    if found is None:
        known = ", ".join(f"{s.id} ({s.name})" for s in _SUITES.values())
        raise UnsupportedEnvelopeSuiteError(
            f"unsupported envelope suite {suite_id}; this version reads {known}"
        )
    return found


def _check_version(version: int) -> None:
    if version != VERSION:
        raise UnsupportedEnvelopeVersionError(
            f"unsupported envelope version {version}; this version reads {VERSION}"
        )


def _sender_algorithm(algorithm_id: int) -> Algorithm | None:
    """The ML-DSA parameter set of a sender algorithm id; 0 means unsigned."""
    if algorithm_id == 0:
        return None
    for algorithm in ALGORITHMS:
        if algorithm.id == algorithm_id:
            return algorithm
    raise EnvelopeFormatError(f"unknown sender signature algorithm id {algorithm_id}")


def _check_bytes(value: object, size: int | None, what: str) -> None:
    if not isinstance(value, bytes):
        raise EnvelopeFormatError(f"{what} must be bytes, got {type(value).__name__}")
    if size is not None and len(value) != size:
        raise EnvelopeFormatError(f"{what} must be {size} bytes, got {len(value)}")


# --- the envelope ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecipientEntry:
    """The content key wrapped to one recipient."""

    #: SHA-256 of the recipient's raw ML-KEM encapsulation key.
    key_id: bytes
    kem_ciphertext: bytes
    wrap_nonce: bytes
    #: AES-256-GCM of the 32-byte content key: ciphertext ‖ 16-byte tag.
    wrapped_key: bytes

    def check(self, suite: Suite) -> None:
        """Check every field's type and length for `suite`.

        Raises:
            EnvelopeFormatError: a field is not bytes or has the wrong length.
        """
        _check_bytes(self.key_id, KEY_ID_SIZE, "recipient key id")
        _check_bytes(self.kem_ciphertext, suite.kem.ciphertext_size, "KEM ciphertext")
        _check_bytes(self.wrap_nonce, NONCE_SIZE, "wrap nonce")
        _check_bytes(self.wrapped_key, WRAPPED_KEY_SIZE, "wrapped key")

    def to_bytes(self) -> bytes:
        """The entry's binary encoding."""
        return self.key_id + self.kem_ciphertext + self.wrap_nonce + self.wrapped_key


@dataclass(frozen=True, slots=True)
class SenderSignature:
    """The optional ML-DSA signature of the sender over the whole envelope."""

    algorithm: Algorithm
    public_key: bytes
    signature: bytes

    def __post_init__(self) -> None:
        """Check the sizes for the algorithm.

        Raises:
            EnvelopeFormatError: not an ML-DSA parameter set, or wrong key/signature length.
        """
        if self.algorithm not in ALGORITHMS:
            raise EnvelopeFormatError(f"unknown sender signature algorithm {self.algorithm!r}")
        name = self.algorithm.name
        _check_bytes(self.public_key, self.algorithm.public_key_size, f"{name} sender key")
        _check_bytes(self.signature, self.algorithm.signature_size, f"{name} sender signature")

    @property
    def key_id(self) -> KeyId:
        """The sender key's identifier as the SignatureVerifier contract computes it."""
        return PublicKey(self.algorithm, self.public_key).key_id


@dataclass(frozen=True, slots=True)
class Envelope:
    """A sealed message: recipients' wrapped keys, nonce, ciphertext ‖ tag, optional signature.

    Constructing one checks every field (type, size, limits); `from_bytes` and `from_json` build
    through the same checks, so an `Envelope` always encodes to a well-formed envelope.
    """

    recipients: tuple[RecipientEntry, ...]
    nonce: bytes
    #: AES-256-GCM ciphertext ‖ 16-byte tag.
    ciphertext: bytes
    sender: SenderSignature | None = None
    version: int = VERSION
    suite: int = SUITE_MLKEM768_HKDFSHA256_AES256GCM.id

    def __post_init__(self) -> None:
        """Check the envelope.

        Raises:
            UnsupportedEnvelopeVersionError: unknown version.
            UnsupportedEnvelopeSuiteError: unknown suite.
            EnvelopeLimitError: too many recipients or too long a ciphertext.
            EnvelopeFormatError: any other malformed field, or a recipient listed twice.
        """
        if type(self.version) is not int or type(self.suite) is not int:
            raise EnvelopeFormatError("version and suite must be integers")
        _check_version(self.version)
        suite = _suite(self.suite)
        if not isinstance(self.recipients, tuple):
            raise EnvelopeFormatError("recipients must be a tuple of RecipientEntry")
        _check_recipient_count(len(self.recipients))
        for entry in self.recipients:
            if not isinstance(entry, RecipientEntry):
                raise EnvelopeFormatError("recipients must be a tuple of RecipientEntry")
            entry.check(suite)
        if len({entry.key_id for entry in self.recipients}) != len(self.recipients):
            raise EnvelopeFormatError("a recipient key id appears more than once")
        _check_bytes(self.nonce, NONCE_SIZE, "content nonce")
        _check_bytes(self.ciphertext, None, "ciphertext")
        if len(self.ciphertext) < TAG_SIZE:
            raise EnvelopeFormatError(f"ciphertext is shorter than the {TAG_SIZE}-byte tag")
        _check_plaintext_size(len(self.ciphertext) - TAG_SIZE)
        if self.sender is not None and not isinstance(self.sender, SenderSignature):
            raise EnvelopeFormatError("sender must be a SenderSignature or None")

    @property
    def recipient_key_ids(self) -> tuple[bytes, ...]:
        """The key ids (SHA-256 of the ML-KEM public key) of every recipient, in order."""
        return tuple(entry.key_id for entry in self.recipients)

    @property
    def header(self) -> bytes:
        """Every byte before the ciphertext: what the content AEAD binds as associated data."""
        return _encode_header(
            self.version,
            self.suite,
            self.recipients,
            self.sender.algorithm if self.sender else None,
            self.sender.public_key if self.sender else b"",
            self.nonce,
            len(self.ciphertext) - TAG_SIZE,
        )

    def to_bytes(self) -> bytes:
        """The binary encoding (`docs/envelope.md`)."""
        signature = self.sender.signature if self.sender else b""
        return self.header + self.ciphertext + signature

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Decode the binary form strictly: every length checked, no trailing bytes.

        Raises:
            EnvelopeLimitError: the input, recipient count or ciphertext length is over a limit
                (checked before anything of that size is read).
            UnsupportedEnvelopeVersionError: unknown version.
            UnsupportedEnvelopeSuiteError: unknown suite.
            EnvelopeFormatError: bad magic, truncated input, trailing bytes, bad field.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise EnvelopeFormatError(f"an envelope must be bytes, got {type(data).__name__}")
        # Size first: bytes() of a large buffer would copy it before the limit applied.
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size > MAX_ENVELOPE_SIZE:
            raise EnvelopeLimitError(f"envelope is {size} bytes; the limit is {MAX_ENVELOPE_SIZE}")
        reader = _Reader(bytes(data))
        if reader.take(len(MAGIC), "magic") != MAGIC:
            raise EnvelopeFormatError("not an envelope: the magic bytes are not PQE1")
        version = reader.take(1, "version")[0]
        _check_version(version)
        suite = _suite(reader.take(1, "suite")[0])
        sender_algorithm = _sender_algorithm(reader.take(1, "sender algorithm")[0])
        count = int.from_bytes(reader.take(2, "recipient count"), "big")
        _check_recipient_count(count)
        entries = []
        for _ in range(count):
            entries.append(
                RecipientEntry(
                    key_id=reader.take(KEY_ID_SIZE, "recipient key id"),
                    kem_ciphertext=reader.take(suite.kem.ciphertext_size, "KEM ciphertext"),
                    wrap_nonce=reader.take(NONCE_SIZE, "wrap nonce"),
                    wrapped_key=reader.take(WRAPPED_KEY_SIZE, "wrapped key"),
                )
            )
        sender_key = b""
        if sender_algorithm is not None:
            sender_key = reader.take(sender_algorithm.public_key_size, "sender public key")
        nonce = reader.take(NONCE_SIZE, "content nonce")
        (length,) = _CIPHERTEXT_LENGTH.unpack(reader.take(4, "ciphertext length"))
        _check_plaintext_size(length)
        ciphertext = reader.take(length + TAG_SIZE, "ciphertext")
        sender = None
        if sender_algorithm is not None:
            signature = reader.take(sender_algorithm.signature_size, "sender signature")
            sender = SenderSignature(sender_algorithm, sender_key, signature)
        reader.finish()
        return cls(tuple(entries), nonce, ciphertext, sender, version, suite.id)

    def to_json(self, *, indent: int | None = None) -> str:
        """The JSON form: the same fields, binary values in unpadded base64url."""
        document: dict[str, Any] = {
            "format": MAGIC.decode(),
            "version": self.version,
            "suite": _suite(self.suite).name,
            "recipients": [
                {
                    "key_id": _b64(entry.key_id),
                    "kem_ciphertext": _b64(entry.kem_ciphertext),
                    "wrap_nonce": _b64(entry.wrap_nonce),
                    "wrapped_key": _b64(entry.wrapped_key),
                }
                for entry in self.recipients
            ],
            "sender": None
            if self.sender is None
            else {
                "algorithm": self.sender.algorithm.name,
                "public_key": _b64(self.sender.public_key),
                "signature": _b64(self.sender.signature),
            },
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
        }
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(document, indent=indent, separators=separators)

    @classmethod
    def from_json(cls, data: str | bytes) -> Envelope:
        """Decode the JSON form strictly: exact member sets, canonical base64url, no duplicates.

        Raises:
            EnvelopeLimitError: the text or a field is over a limit (checked before parsing).
            UnsupportedEnvelopeVersionError: unknown version.
            UnsupportedEnvelopeSuiteError: unknown suite.
            EnvelopeFormatError: not JSON, or a member missing, extra, of the wrong type or size.
        """
        if not isinstance(data, str | bytes | bytearray):
            raise EnvelopeFormatError(f"an envelope must be text, got {type(data).__name__}")
        if len(data) > MAX_JSON_SIZE:
            raise EnvelopeLimitError(
                f"envelope JSON is {len(data)} long; the limit is {MAX_JSON_SIZE}"
            )
        try:
            text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        except ValueError as err:
            raise EnvelopeFormatError(f"envelope JSON is not valid JSON: {_reason(err)}") from err
        if json_too_deep(text, _MAX_JSON_DEPTH):
            raise EnvelopeFormatError(
                f"envelope JSON nests deeper than {_MAX_JSON_DEPTH} levels; an envelope has 3"
            )
        try:
            document = json.loads(
                text, object_pairs_hook=_unique_members, parse_constant=_no_constant
            )
        except ValueError as err:
            raise EnvelopeFormatError(f"envelope JSON is not valid JSON: {_reason(err)}") from err
        if not isinstance(document, dict):
            raise EnvelopeFormatError("envelope JSON must be an object")
        # Format, version and suite first: a newer envelope gets the specific error, not a
        # complaint about members this version does not know.
        if document.get("format") != MAGIC.decode():
            raise EnvelopeFormatError(f'not an envelope: "format" must be "{MAGIC.decode()}"')
        version = document.get("version")
        if type(version) is not int:
            raise EnvelopeFormatError('"version" must be an integer')
        _check_version(version)
        suite = _suite_by_name(document.get("suite"))
        root = _members(document, _ENVELOPE_MEMBERS, "envelope")
        recipients = root["recipients"]
        if not isinstance(recipients, list):
            raise EnvelopeFormatError('"recipients" must be a list')
        _check_recipient_count(len(recipients))
        entries = []
        for index, item in enumerate(recipients):
            where = f"recipients[{index}]"
            fields = _members(item, _RECIPIENT_MEMBERS, where)
            entries.append(
                RecipientEntry(
                    key_id=_unb64(fields["key_id"], f"{where}.key_id"),
                    kem_ciphertext=_unb64(fields["kem_ciphertext"], f"{where}.kem_ciphertext"),
                    wrap_nonce=_unb64(fields["wrap_nonce"], f"{where}.wrap_nonce"),
                    wrapped_key=_unb64(fields["wrapped_key"], f"{where}.wrapped_key"),
                )
            )
        sender = None
        if root["sender"] is not None:
            fields = _members(root["sender"], _SENDER_MEMBERS, "sender")
            sender = SenderSignature(
                _algorithm_by_name(fields["algorithm"]),
                _unb64(fields["public_key"], "sender.public_key"),
                _unb64(fields["signature"], "sender.signature"),
            )
        return cls(
            tuple(entries),
            _unb64(root["nonce"], "nonce"),
            _unb64(root["ciphertext"], "ciphertext"),
            sender,
            version,
            suite.id,
        )


# --- sealing and opening --------------------------------------------------------------------------


def seal(
    plaintext: bytes,
    recipients: Sequence[bytes | KemPublicKey],
    *,
    aad: bytes = b"",
    sender: SigningKey | None = None,
) -> Envelope:
    """Encrypt `plaintext` to every recipient's ML-KEM-768 public key, optionally signed.

    `aad` is authenticated, not encrypted, and not stored: `open_envelope` needs the same bytes.

    Raises:
        InputError: no recipients, a recipient listed twice, or a non-bytes argument.
        InvalidKeyError: a recipient key is malformed or not ML-KEM-768.
        EnvelopeLimitError: more than MAX_RECIPIENTS recipients or MAX_PLAINTEXT_SIZE bytes.
    """
    suite = SUITE_MLKEM768_HKDFSHA256_AES256GCM
    content = _as_bytes(plaintext, "plaintext")
    associated = _as_bytes(aad, "associated data")
    _check_plaintext_size(len(content))
    if isinstance(recipients, bytes | bytearray | memoryview | str):
        raise InputError("recipients must be a sequence of public keys, not a single value")
    keys = [_recipient_key(recipient, suite) for recipient in recipients]
    if not keys:
        raise InputError("an envelope needs at least one recipient")
    _check_recipient_count(len(keys))
    if len({key.key_id for key in keys}) != len(keys):
        raise InputError("a recipient public key is listed more than once")
    if sender is not None and not isinstance(sender, SigningKey):
        raise InputError("sender must be an oracle.crypto.SigningKey")

    sender_algorithm = sender.algorithm if sender is not None else None
    sender_key = sender.public_key if sender is not None else b""
    prefix = _encode_prefix(VERSION, suite.id, sender_algorithm, len(keys))
    # Single-use keys: the content key and every KEK are fresh for this envelope, so one random
    # nonce each can never repeat under the same key (docs/envelope.md, "Nonces").
    content_key = AESGCM.generate_key(bit_length=256)
    entries = []
    for key in keys:
        shared_secret, kem_ciphertext = key.encapsulate()
        kek = _derive_kek(shared_secret, VERSION, suite, key.key_id, kem_ciphertext)
        wrap_nonce = os.urandom(NONCE_SIZE)
        wrapped = AESGCM(kek).encrypt(wrap_nonce, content_key, prefix)
        entries.append(RecipientEntry(key.key_id, kem_ciphertext, wrap_nonce, wrapped))
    nonce = os.urandom(NONCE_SIZE)
    header = _encode_header(
        VERSION, suite.id, entries, sender_algorithm, sender_key, nonce, len(content)
    )
    aad_digest = hashlib.sha256(associated).digest()
    ciphertext = AESGCM(content_key).encrypt(nonce, content, _content_aad(header, aad_digest))
    signature = None
    if sender is not None:
        signed = sender.sign(_signed_message(header, ciphertext, aad_digest), SIGNATURE_CONTEXT)
        signature = SenderSignature(sender.algorithm, sender_key, signed)
    return Envelope(tuple(entries), nonce, ciphertext, signature, VERSION, suite.id)


def open_envelope(
    envelope: Envelope,
    recipient_private_key: KemPrivateKey,
    *,
    aad: bytes = b"",
    expected_sender: bytes | PublicKey | None = None,
) -> bytes:
    """Decrypt `envelope` with one recipient's private key and check its sender signature.

    A signature present in the envelope is always verified (against the public key it carries);
    only `expected_sender` (a raw ML-DSA public key or a `PublicKey`) makes the sender trusted:
    then an unsigned envelope, or one signed by another key, is refused.

    Raises:
        InputError: an argument of the wrong type.
        InvalidKeyError: the private key is not ML-KEM-768 (this suite's KEM).
        SenderMismatchError: `expected_sender` given and the envelope is unsigned or signed by
            another key.
        NotARecipientError: the envelope has no entry for this key.
        DecryptionError: the recipient entry, header, ciphertext or `aad` was modified.
        EnvelopeSignatureError: the sender signature does not verify.
    """
    if not isinstance(envelope, Envelope):
        raise InputError(f"expected an Envelope, got {type(envelope).__name__}")
    if not isinstance(recipient_private_key, KemPrivateKey):
        raise InputError("the recipient key must be an oracle.crypto.kem.KemPrivateKey")
    associated = _as_bytes(aad, "associated data")
    suite = _suite(envelope.suite)
    if recipient_private_key.algorithm != suite.kem:
        raise InvalidKeyError(
            f"this envelope's suite uses {suite.kem.name}; the private key is "
            f"{recipient_private_key.algorithm.name}"
        )
    if expected_sender is not None:
        _check_sender(envelope.sender, expected_sender)

    own_id = recipient_private_key.key_id
    entry = next((e for e in envelope.recipients if hmac.compare_digest(e.key_id, own_id)), None)
    if entry is None:
        raise NotARecipientError(
            f"this key (id {own_id.hex()[:16]}…) is not among the envelope's "
            f"{len(envelope.recipients)} recipient(s)"
        )
    header = envelope.header
    shared_secret = recipient_private_key.decapsulate(entry.kem_ciphertext)
    kek = _derive_kek(shared_secret, envelope.version, suite, entry.key_id, entry.kem_ciphertext)
    try:
        content_key = AESGCM(kek).decrypt(
            entry.wrap_nonce, entry.wrapped_key, header[: _PREFIX.size]
        )
    except InvalidTag as err:
        raise DecryptionError(
            "cannot unwrap the content key: this recipient's entry or the envelope header was "
            "modified"
        ) from err
    aad_digest = hashlib.sha256(associated).digest()
    try:
        plaintext = AESGCM(content_key).decrypt(
            envelope.nonce, envelope.ciphertext, _content_aad(header, aad_digest)
        )
    except InvalidTag as err:
        raise DecryptionError(
            "the content does not authenticate: the ciphertext, the header (another "
            "recipient's entry, the sender, the nonce) or the associated data differ from what "
            "was sealed"
        ) from err
    if envelope.sender is not None:
        signed = _signed_message(header, envelope.ciphertext, aad_digest)
        sender = envelope.sender
        if not verify(
            sender.algorithm, sender.public_key, signed, sender.signature, SIGNATURE_CONTEXT
        ):
            raise EnvelopeSignatureError(
                f"the {sender.algorithm.name} sender signature (key id "
                f"0x{sender.key_id.hex()}) does not verify"
            )
    return plaintext


# --- helpers --------------------------------------------------------------------------------------


class _Reader:
    """Sequential reads from a bytes object; every read is bounds-checked before slicing."""

    __slots__ = ("_data", "_offset")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def take(self, size: int, what: str) -> bytes:
        left = len(self._data) - self._offset
        if size > left:
            raise EnvelopeFormatError(
                f"truncated envelope: the {what} needs {size} bytes at offset {self._offset}, "
                f"{left} left"
            )
        chunk = self._data[self._offset : self._offset + size]
        self._offset += size
        return chunk

    def finish(self) -> None:
        left = len(self._data) - self._offset
        if left:
            raise EnvelopeFormatError(
                f"{left} trailing byte(s) after the envelope at offset {self._offset}"
            )


def _check_recipient_count(count: int) -> None:
    if count < 1:
        raise EnvelopeFormatError("an envelope needs at least one recipient")
    if count > MAX_RECIPIENTS:
        raise EnvelopeLimitError(f"{count} recipients; the limit is {MAX_RECIPIENTS}")


def _check_plaintext_size(size: int) -> None:
    if size > MAX_PLAINTEXT_SIZE:
        raise EnvelopeLimitError(
            f"{size} bytes of content; the limit is {MAX_PLAINTEXT_SIZE} bytes"
        )


def _encode_prefix(
    version: int, suite_id: int, sender_algorithm: Algorithm | None, count: int
) -> bytes:
    """The first 9 bytes: magic, version, suite, sender algorithm id (0: none), recipient count.

    The key wrap binds these as its associated data.
    """
    algorithm_id = 0 if sender_algorithm is None else sender_algorithm.id
    return _PREFIX.pack(MAGIC, version, suite_id, algorithm_id, count)


def _content_aad(header: bytes, aad_digest: bytes) -> bytes:
    """Associated data of the content AEAD: the whole header, then SHA-256 of the caller's AAD."""
    return header + aad_digest


def _signed_message(header: bytes, ciphertext: bytes, aad_digest: bytes) -> bytes:
    """What the sender signs: header ‖ ciphertext ‖ tag ‖ SHA-256(AAD)."""
    return header + ciphertext + aad_digest


def _encode_header(
    version: int,
    suite_id: int,
    recipients: Sequence[RecipientEntry],
    sender_algorithm: Algorithm | None,
    sender_key: bytes,
    nonce: bytes,
    plaintext_size: int,
) -> bytes:
    """Every byte before the ciphertext, in the order of `docs/envelope.md`."""
    return b"".join(
        (
            _encode_prefix(version, suite_id, sender_algorithm, len(recipients)),
            *(entry.to_bytes() for entry in recipients),
            sender_key,
            nonce,
            _CIPHERTEXT_LENGTH.pack(plaintext_size),
        )
    )


def _derive_kek(
    shared_secret: bytes, version: int, suite: Suite, key_id: bytes, kem_ciphertext: bytes
) -> bytes:
    """HKDF-SHA256 of the KEM shared secret, bound to the suite, version, key id and ciphertext."""
    info = KEK_INFO_LABEL + bytes([version, suite.id]) + key_id + kem_ciphertext
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared_secret)


def _recipient_key(recipient: object, suite: Suite) -> KemPublicKey:
    if isinstance(recipient, KemPublicKey):
        key = recipient
    elif isinstance(recipient, bytes | bytearray | memoryview):
        key = KemPublicKey.from_bytes(bytes(recipient), suite.kem)
    else:
        raise InputError(
            f"a recipient must be raw public key bytes or a KemPublicKey, got "
            f"{type(recipient).__name__}"
        )
    if key.algorithm != suite.kem:
        raise InvalidKeyError(
            f"the envelope suite uses {suite.kem.name}; a recipient key is {key.algorithm.name}"
        )
    return key


def _check_sender(sender: SenderSignature | None, expected: bytes | PublicKey) -> None:
    if isinstance(expected, PublicKey):
        expected_algorithm: Algorithm | None = expected.algorithm
        expected_key = expected.raw
    elif isinstance(expected, bytes | bytearray | memoryview):
        expected_algorithm, expected_key = None, bytes(expected)
    else:
        raise InputError("expected_sender must be raw public key bytes or a PublicKey")
    if sender is None:
        raise SenderMismatchError("the envelope is not signed, but a sender signature is required")
    same_algorithm = expected_algorithm is None or expected_algorithm == sender.algorithm
    if not same_algorithm or not hmac.compare_digest(sender.public_key, expected_key):
        raise SenderMismatchError(
            f"the envelope is signed by {sender.algorithm.name} key id 0x{sender.key_id.hex()}, "
            "not by the expected sender"
        )


def _as_bytes(value: object, what: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InputError(f"{what} must be bytes, got {type(value).__name__}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    """Decode canonical unpadded base64url, the one spelling accepted (no malleable JSON)."""
    if not isinstance(value, str):
        raise EnvelopeFormatError(f"{what} must be a base64url string")
    if len(value) % 4 == 1 or not _BASE64URL.fullmatch(value):
        raise EnvelopeFormatError(f"{what} is not unpadded base64url")
    try:
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as err:
        raise EnvelopeFormatError(f"{what} is not unpadded base64url") from err
    if _b64(decoded) != value:
        raise EnvelopeFormatError(f"{what} is not canonical base64url (non-zero padding bits)")
    return decoded


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise EnvelopeFormatError(f"duplicate JSON member {name!r}")
        result[name] = value
    return result


def _no_constant(name: str) -> NoReturn:
    raise EnvelopeFormatError(f"{name} is not valid in envelope JSON")


def _reason(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "nested too deeply"
    # JSONDecodeError's text names a position, never the document's content.
    return str(err).split("\n", 1)[0][:120]


def _members(value: object, names: frozenset[str], where: str) -> dict[str, Any]:
    """`value` as a JSON object with exactly the members `names`."""
    if not isinstance(value, dict):
        raise EnvelopeFormatError(f"{where} must be a JSON object")
    missing = names - value.keys()
    extra = value.keys() - names
    if missing:
        raise EnvelopeFormatError(f"{where} lacks {', '.join(sorted(missing))}")
    if extra:
        raise EnvelopeFormatError(f"{where} has unknown member(s) {', '.join(sorted(extra))}")
    return value


def _suite_by_name(name: object) -> Suite:
    for suite in _SUITES.values():
        if name == suite.name:
            return suite
    known = ", ".join(s.name for s in _SUITES.values())
    shown = name if isinstance(name, str) and len(name) <= 64 else type(name).__name__
    raise UnsupportedEnvelopeSuiteError(f"unsupported envelope suite {shown!r}; known: {known}")


def _algorithm_by_name(name: object) -> Algorithm:
    # Only the canonical FIPS 204 spelling: aliases would make two JSON texts for one envelope.
    for algorithm in ALGORITHMS:
        if name == algorithm.name:
            return algorithm
    raise EnvelopeFormatError("sender.algorithm must be ML-DSA-44, ML-DSA-65 or ML-DSA-87")
