"""Envelope encryption: round trips, the documented format, tampering, truncation, senders, keys."""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from oracle.crypto import ML_DSA_44, ML_DSA_65, ML_DSA_87, Algorithm, SigningKey, key_id, verify
from oracle.crypto.envelope import (
    MAX_PLAINTEXT_SIZE,
    MAX_RECIPIENTS,
    Envelope,
    RecipientEntry,
    SenderSignature,
    open_envelope,
    seal,
)
from oracle.crypto.kem import (
    ML_KEM_768,
    ML_KEM_1024,
    KemPrivateKey,
    KemPublicKey,
    get_kem_algorithm,
)
from oracle.errors import (
    CryptoError,
    DecryptionError,
    EnvelopeFormatError,
    EnvelopeLimitError,
    EnvelopeSignatureError,
    InputError,
    InvalidCiphertextError,
    InvalidKeyError,
    NotARecipientError,
    OracleError,
    SenderMismatchError,
    UnknownAlgorithmError,
    UnsupportedEnvelopeSuiteError,
    UnsupportedEnvelopeVersionError,
)

AAD = b"---\nid: urn:uuid:7d3c\ntype: workflow\n---\n"
MESSAGE = b"## Intent\nPay the invoice.\n"

# The documented sizes (docs/envelope.md), written out rather than imported from the module so
# that a change to the format fails here.
PREFIX = 9
ENTRY = 32 + 1088 + 12 + 48
NONCE = 12
LENGTH = 4
TAG = 16


@pytest.fixture(scope="module")
def keys() -> list[KemPrivateKey]:
    return [KemPrivateKey.generate() for _ in range(3)]


@pytest.fixture(scope="module")
def signer() -> SigningKey:
    return SigningKey.generate(ML_DSA_44)


@pytest.fixture(scope="module")
def stranger() -> KemPrivateKey:
    return KemPrivateKey.generate()


def layout(recipients: int, sender: Algorithm | None, plaintext: int) -> dict[str, range]:
    """Byte ranges of every field of a binary envelope, from the documented layout."""
    regions: dict[str, range] = {}
    offset = 0

    def field(name: str, size: int) -> None:
        nonlocal offset
        regions[name] = range(offset, offset + size)
        offset += size

    field("magic", 4)
    field("version", 1)
    field("suite", 1)
    field("sender_algorithm", 1)
    field("recipient_count", 2)
    for index in range(recipients):
        field(f"key_id_{index}", 32)
        field(f"kem_ciphertext_{index}", 1088)
        field(f"wrap_nonce_{index}", 12)
        field(f"wrapped_key_{index}", 32)
        field(f"wrap_tag_{index}", 16)
    if sender is not None:
        field("sender_public_key", sender.public_key_size)
    field("nonce", NONCE)
    field("ciphertext_length", LENGTH)
    field("ciphertext", plaintext)
    field("tag", TAG)
    if sender is not None:
        field("signature", sender.signature_size)
    regions["end"] = range(offset, offset)
    return regions


def flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


def open_bytes(data: bytes, key: KemPrivateKey, **kwargs: Any) -> bytes:
    return open_envelope(Envelope.from_bytes(data), key, **kwargs)


# --- round trips ----------------------------------------------------------------------------------


def test_one_recipient_round_trip(keys: list[KemPrivateKey]) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key], aad=AAD)
    assert open_envelope(envelope, keys[0], aad=AAD) == MESSAGE
    assert envelope.recipient_key_ids == (keys[0].key_id,)
    assert envelope.sender is None


@pytest.mark.parametrize("index", [0, 1, 2])
def test_each_of_three_recipients_decrypts(keys: list[KemPrivateKey], index: int) -> None:
    envelope = seal(MESSAGE, [key.public_key for key in keys], aad=AAD)
    decoded = Envelope.from_bytes(envelope.to_bytes())
    assert open_envelope(decoded, keys[index], aad=AAD) == MESSAGE
    assert open_envelope(Envelope.from_json(envelope.to_json()), keys[index], aad=AAD) == MESSAGE


def test_recipients_may_be_raw_public_key_bytes(keys: list[KemPrivateKey]) -> None:
    envelope = seal(MESSAGE, [keys[1].public_key.raw])
    assert open_envelope(envelope, keys[1]) == MESSAGE


@pytest.mark.parametrize("plaintext", [b"", b"x", bytes(range(256)) * 300])
def test_plaintexts_of_any_size_round_trip(keys: list[KemPrivateKey], plaintext: bytes) -> None:
    data = seal(plaintext, [keys[0].public_key]).to_bytes()
    assert len(data) == PREFIX + ENTRY + NONCE + LENGTH + len(plaintext) + TAG
    assert open_bytes(data, keys[0]) == plaintext


def test_a_key_that_is_not_a_recipient_fails_with_not_a_recipient_error(
    keys: list[KemPrivateKey], stranger: KemPrivateKey
) -> None:
    envelope = seal(MESSAGE, [key.public_key for key in keys])
    with pytest.raises(NotARecipientError, match="not among the envelope's 3 recipient"):
        open_envelope(envelope, stranger)


def test_binary_and_json_encodings_are_canonical(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    envelope = seal(MESSAGE, [k.public_key for k in keys], aad=AAD, sender=signer)
    data = envelope.to_bytes()
    text = envelope.to_json()
    assert Envelope.from_bytes(data) == envelope
    assert Envelope.from_bytes(data).to_bytes() == data
    assert Envelope.from_json(text) == envelope
    assert Envelope.from_json(text).to_json() == text
    assert Envelope.from_json(envelope.to_json(indent=2)) == envelope
    assert Envelope.from_json(text.encode()) == envelope


def test_json_form_has_the_documented_members(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=signer)
    document = json.loads(envelope.to_json())
    assert list(document) == [
        "format",
        "version",
        "suite",
        "recipients",
        "sender",
        "nonce",
        "ciphertext",
    ]
    assert document["format"] == "PQE1"
    assert document["version"] == 1
    assert document["suite"] == "ML-KEM-768/HKDF-SHA256/AES-256-GCM"
    assert list(document["recipients"][0]) == [
        "key_id",
        "kem_ciphertext",
        "wrap_nonce",
        "wrapped_key",
    ]
    assert document["sender"]["algorithm"] == "ML-DSA-44"
    for value in (document["nonce"], document["ciphertext"], document["sender"]["signature"]):
        assert "=" not in value
        assert "+" not in value
        assert "/" not in value
    assert json.loads(seal(b"", [keys[0].public_key]).to_json())["sender"] is None


# --- the documented format ------------------------------------------------------------------------


@pytest.mark.parametrize("sender_algorithm", [None, ML_DSA_44, ML_DSA_65, ML_DSA_87])
def test_binary_layout_matches_the_documented_offsets(
    keys: list[KemPrivateKey], sender_algorithm: Algorithm | None
) -> None:
    sender = SigningKey.generate(sender_algorithm) if sender_algorithm else None
    envelope = seal(MESSAGE, [keys[0].public_key, keys[1].public_key], aad=AAD, sender=sender)
    data = envelope.to_bytes()
    regions = layout(2, sender_algorithm, len(MESSAGE))
    assert len(data) == regions["end"].start

    def at(name: str) -> bytes:
        return data[regions[name].start : regions[name].stop]

    assert at("magic") == b"PQE1"
    assert at("version") == b"\x01"
    assert at("suite") == b"\x01"
    assert at("sender_algorithm") == bytes([sender_algorithm.id if sender_algorithm else 0])
    assert at("recipient_count") == b"\x00\x02"
    assert at("key_id_0") == hashlib.sha256(keys[0].public_key.raw).digest()
    assert at("key_id_1") == keys[1].key_id
    assert at("nonce") == envelope.nonce
    assert at("ciphertext_length") == struct.pack(">I", len(MESSAGE))
    assert at("ciphertext") + at("tag") == envelope.ciphertext
    assert envelope.header == data[: regions["ciphertext"].start]
    if sender is not None:
        assert envelope.sender is not None
        assert at("sender_public_key") == sender.public_key
        assert at("signature") == envelope.sender.signature
        assert envelope.sender.key_id == key_id(sender.algorithm, sender.public_key)


def test_the_documented_key_schedule_opens_the_envelope(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    # An independent implementation of docs/envelope.md: KDF info, wrap AAD, content AAD and
    # signed message are rebuilt here from the specification, not from the module.
    envelope = seal(MESSAGE, [keys[0].public_key, keys[1].public_key], aad=AAD, sender=signer)
    data = envelope.to_bytes()
    regions = layout(2, ML_DSA_44, len(MESSAGE))
    entry = data[regions["key_id_1"].start : regions["wrap_tag_1"].stop]
    kid, kem_ct, wrap_nonce, wrapped = entry[:32], entry[32:1120], entry[1120:1132], entry[1132:]
    shared = keys[1].decapsulate(kem_ct)
    info = b"pqoracle-envelope-v1 kek" + b"\x01\x01" + kid + kem_ct
    kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)
    content_key = AESGCM(kek).decrypt(wrap_nonce, wrapped, data[:PREFIX])
    header = data[: regions["ciphertext"].start]
    body = data[regions["ciphertext"].start : regions["tag"].stop]
    nonce = data[regions["nonce"].start : regions["nonce"].stop]
    digest = hashlib.sha256(AAD).digest()
    assert AESGCM(content_key).decrypt(nonce, body, header + digest) == MESSAGE
    signature = data[regions["signature"].start :]
    assert verify(
        ML_DSA_44, signer.public_key, header + body + digest, signature, b"pqoracle-envelope-v1"
    )


def test_every_envelope_uses_fresh_nonces_and_encapsulations(keys: list[KemPrivateKey]) -> None:
    first = seal(MESSAGE, [keys[0].public_key])
    second = seal(MESSAGE, [keys[0].public_key])
    assert first.nonce != second.nonce
    assert first.recipients[0].wrap_nonce != second.recipients[0].wrap_nonce
    assert first.recipients[0].kem_ciphertext != second.recipients[0].kem_ciphertext
    assert first.recipients[0].wrapped_key != second.recipients[0].wrapped_key
    assert first.ciphertext != second.ciphertext


# --- tampering ------------------------------------------------------------------------------------

# What opening must raise after one byte of a region is changed (recipient 0 opens). `True` in the
# second column means exactly that class; False allows a subclass (the count, the sender
# algorithm and the ciphertext length fail as truncation, trailing bytes or a limit).
EXPECTED: dict[str, tuple[type[Exception], bool]] = {
    "magic": (EnvelopeFormatError, True),
    "version": (UnsupportedEnvelopeVersionError, True),
    "suite": (UnsupportedEnvelopeSuiteError, True),
    "sender_algorithm": (EnvelopeFormatError, False),
    "recipient_count": (EnvelopeFormatError, False),
    "key_id_0": (NotARecipientError, True),
    "kem_ciphertext_0": (DecryptionError, True),
    "wrap_nonce_0": (DecryptionError, True),
    "wrapped_key_0": (DecryptionError, True),
    "wrap_tag_0": (DecryptionError, True),
    "key_id_1": (DecryptionError, True),
    "kem_ciphertext_1": (DecryptionError, True),
    "wrap_nonce_1": (DecryptionError, True),
    "wrapped_key_1": (DecryptionError, True),
    "wrap_tag_1": (DecryptionError, True),
    "sender_public_key": (DecryptionError, True),
    "nonce": (DecryptionError, True),
    "ciphertext_length": (EnvelopeFormatError, False),
    "ciphertext": (DecryptionError, True),
    "tag": (DecryptionError, True),
    "signature": (EnvelopeSignatureError, True),
}


def region_of(regions: dict[str, range], position: int) -> str:
    return next(name for name, span in regions.items() if position in span)


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_changing_any_byte_of_the_envelope_is_detected_with_the_specific_error(
    keys: list[KemPrivateKey], signer: SigningKey, signed: bool
) -> None:
    sender = signer if signed else None
    envelope = seal(MESSAGE, [keys[0].public_key, keys[1].public_key], aad=AAD, sender=sender)
    data = envelope.to_bytes()
    regions = layout(2, ML_DSA_44 if signed else None, len(MESSAGE))
    assert set(regions) - {"end"} <= set(EXPECTED)
    seen = set()
    for position in range(len(data)):
        name = region_of(regions, position)
        expected, exact = EXPECTED[name]
        for mask in (0x01, 0x80):
            with pytest.raises(OracleError) as caught:
                open_bytes(flip(data, position, mask), keys[0], aad=AAD)
            error = caught.value
            assert isinstance(error, expected), (name, position, mask, repr(error))
            if exact:
                assert type(error) is expected, (name, position, mask, repr(error))
        seen.add(name)
    assert seen == set(regions) - {"end"}


def test_a_changed_or_missing_aad_fails_to_decrypt(keys: list[KemPrivateKey]) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key], aad=AAD)
    for wrong in (b"", AAD[:-1], flip(AAD, 5), AAD + b"\n"):
        with pytest.raises(DecryptionError) as caught:
            open_envelope(envelope, keys[0], aad=wrong)
        assert type(caught.value) is DecryptionError
    unbound = seal(MESSAGE, [keys[0].public_key])
    with pytest.raises(DecryptionError):
        open_envelope(unbound, keys[0], aad=AAD)


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("key_id", NotARecipientError),
        ("kem_ciphertext", DecryptionError),
        ("wrap_nonce", DecryptionError),
        ("wrapped_key", DecryptionError),
        ("nonce", DecryptionError),
        ("ciphertext", DecryptionError),
        ("signature", EnvelopeSignatureError),
        ("public_key", DecryptionError),
    ],
)
def test_changing_a_json_field_is_detected_like_in_binary(
    keys: list[KemPrivateKey], signer: SigningKey, member: str, expected: type[Exception]
) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=signer)
    document = json.loads(envelope.to_json())
    holder = (
        document["recipients"][0]
        if member in document["recipients"][0]
        else document["sender"]
        if member in document["sender"]
        else document
    )
    raw = bytearray(_unb64(holder[member]))
    raw[len(raw) // 2] ^= 0x01
    holder[member] = _b64(bytes(raw))
    with pytest.raises(expected) as caught:
        open_envelope(Envelope.from_json(json.dumps(document)), keys[0], aad=AAD)
    assert type(caught.value) is expected


def test_stripping_the_signature_is_detected(keys: list[KemPrivateKey], signer: SigningKey) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=signer)
    stripped = Envelope(envelope.recipients, envelope.nonce, envelope.ciphertext, None)
    with pytest.raises(DecryptionError) as caught:
        open_envelope(stripped, keys[0], aad=AAD)
    assert type(caught.value) is DecryptionError


def test_re_signing_by_another_key_is_detected(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=signer)
    forger = SigningKey.generate(ML_DSA_44)
    assert envelope.sender is not None
    forged_sender = SenderSignature(ML_DSA_44, forger.public_key, envelope.sender.signature)
    forged = Envelope(envelope.recipients, envelope.nonce, envelope.ciphertext, forged_sender)
    with pytest.raises(DecryptionError):
        open_envelope(forged, keys[0], aad=AAD)


# --- truncation and trailing bytes ----------------------------------------------------------------


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_every_truncation_raises_the_format_error(
    keys: list[KemPrivateKey], signer: SigningKey, signed: bool
) -> None:
    data = seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=signer if signed else None)
    encoded = data.to_bytes()
    for length in range(len(encoded)):
        with pytest.raises(EnvelopeFormatError):
            Envelope.from_bytes(encoded[:length])


def test_every_truncation_of_the_json_form_raises_the_format_error(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    text = seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=signer).to_json()
    for length in range(len(text)):
        with pytest.raises(EnvelopeFormatError):
            Envelope.from_json(text[:length])


@pytest.mark.parametrize("tail", [b"\x00", b"PQE1", b"\xff" * 100])
def test_trailing_bytes_are_rejected(keys: list[KemPrivateKey], tail: bytes) -> None:
    data = seal(MESSAGE, [keys[0].public_key]).to_bytes()
    with pytest.raises(EnvelopeFormatError, match="trailing"):
        Envelope.from_bytes(data + tail)
    text = seal(MESSAGE, [keys[0].public_key]).to_json()
    with pytest.raises(EnvelopeFormatError):
        Envelope.from_json(text + "{}")


# --- strict decoding ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def document(keys: list[KemPrivateKey], signer: SigningKey) -> dict[str, Any]:
    text = seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=signer).to_json()
    return dict(json.loads(text))


def _edited(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> str:
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(copy)


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected", "match"),
    [
        (("format",), "PQE2", EnvelopeFormatError, "format"),
        (("version",), 2, UnsupportedEnvelopeVersionError, "version 2"),
        (("version",), True, EnvelopeFormatError, "integer"),
        (("version",), "1", EnvelopeFormatError, "integer"),
        (("suite",), "ML-KEM-512/HKDF-SHA256/AES-256-GCM", UnsupportedEnvelopeSuiteError, "suite"),
        (("suite",), 1, UnsupportedEnvelopeSuiteError, "suite"),
        (("extra",), 1, EnvelopeFormatError, "unknown member"),
        (("nonce",), _DELETE, EnvelopeFormatError, "lacks nonce"),
        (("recipients",), [], EnvelopeFormatError, "at least one"),
        (("recipients",), {}, EnvelopeFormatError, "list"),
        (("recipients", 0, "key_id"), "AAAA", EnvelopeFormatError, "32 bytes"),
        (("recipients", 0, "key_id"), 7, EnvelopeFormatError, "base64url"),
        (("recipients", 0, "note"), "x", EnvelopeFormatError, "unknown member"),
        (("nonce",), "AAAAAAAAAAAAAAAA=", EnvelopeFormatError, "base64url"),
        (("nonce",), "AAAAAAAAAAAAAAA+", EnvelopeFormatError, "base64url"),
        (("nonce",), "AAAAAAAAAAAAAAA", EnvelopeFormatError, "12 bytes, got 11"),
        (("nonce",), "AAAAAAAAAAAAAAAAA", EnvelopeFormatError, "base64url"),
        (("ciphertext",), "", EnvelopeFormatError, "tag"),
        (("sender", "algorithm"), "mldsa44", EnvelopeFormatError, "ML-DSA-44"),
        (("sender", "algorithm"), "Dilithium2", EnvelopeFormatError, "ML-DSA-44"),
        (("sender", "public_key"), "AAAA", EnvelopeFormatError, "1312 bytes"),
        (("sender",), [], EnvelopeFormatError, "object"),
    ],
)
def test_malformed_json_is_rejected_with_a_specific_error(
    document: dict[str, Any],
    path: tuple[Any, ...],
    value: Any,
    expected: type[Exception],
    match: str,
) -> None:
    with pytest.raises(expected, match=match) as caught:
        Envelope.from_json(_edited(document, path, value))
    assert isinstance(caught.value, OracleError)


def test_non_canonical_base64_padding_bits_are_rejected(document: dict[str, Any]) -> None:
    nonce = document["nonce"]  # 12 bytes: 16 characters, no padding bits
    key_id_text = document["recipients"][0]["key_id"]  # 32 bytes: 43 characters, 2 spare bits
    last = key_id_text[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 1]  # same 4 high bits, different spare bits
    with pytest.raises(EnvelopeFormatError, match="canonical"):
        Envelope.from_json(
            _edited(document, ("recipients", 0, "key_id"), key_id_text[:-1] + sibling)
        )
    assert Envelope.from_json(_edited(document, ("nonce",), nonce)).nonce == _unb64(nonce)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        '"PQE1"',
        "{",
        '{"format": NaN}',
        '{"format": "PQE1", "format": "PQE1"}',
        "[" * 100_000 + "]" * 100_000,
        '{"format": "PQE1", "version": 1}',
    ],
)
def test_json_that_is_not_an_envelope_is_rejected(text: str) -> None:
    with pytest.raises(EnvelopeFormatError):
        Envelope.from_json(text)


def test_json_bytes_that_are_not_utf8_are_rejected() -> None:
    with pytest.raises(EnvelopeFormatError):
        Envelope.from_json(b'{"format": "\xff"}')


@pytest.mark.parametrize("value", [None, 12, "PQE1", ["PQE1"]])
def test_decoders_reject_the_wrong_input_type(value: Any) -> None:
    with pytest.raises(EnvelopeFormatError):
        Envelope.from_bytes(value)
    if not isinstance(value, str):
        with pytest.raises(EnvelopeFormatError):
            Envelope.from_json(value)


def test_binary_decoding_names_the_unknown_version_and_suite(keys: list[KemPrivateKey]) -> None:
    data = seal(MESSAGE, [keys[0].public_key]).to_bytes()
    with pytest.raises(UnsupportedEnvelopeVersionError, match="version 2"):
        Envelope.from_bytes(data[:4] + b"\x02" + data[5:])
    with pytest.raises(UnsupportedEnvelopeSuiteError, match="suite 7"):
        Envelope.from_bytes(data[:5] + b"\x07" + data[6:])
    with pytest.raises(EnvelopeFormatError, match="sender signature algorithm id 9"):
        Envelope.from_bytes(data[:6] + b"\x09" + data[7:])
    with pytest.raises(EnvelopeFormatError, match="magic"):
        Envelope.from_bytes(b"PQE2" + data[4:])


def test_limits_are_checked_before_reading(keys: list[KemPrivateKey]) -> None:
    data = seal(MESSAGE, [keys[0].public_key]).to_bytes()
    with pytest.raises(EnvelopeLimitError, match="65535 recipients"):
        Envelope.from_bytes(data[:7] + b"\xff\xff" + data[9:])
    with pytest.raises(EnvelopeLimitError, match=f"{MAX_RECIPIENTS + 1} recipients"):
        Envelope.from_bytes(data[:7] + struct.pack(">H", MAX_RECIPIENTS + 1) + data[9:])
    length_at = PREFIX + ENTRY + NONCE
    with pytest.raises(EnvelopeLimitError, match="limit"):
        Envelope.from_bytes(data[:length_at] + b"\xff\xff\xff\xff" + data[length_at + 4 :])
    with pytest.raises(EnvelopeFormatError, match="at least one recipient"):
        Envelope.from_bytes(data[:7] + b"\x00\x00" + data[9:])


def test_duplicate_recipient_entries_are_rejected(keys: list[KemPrivateKey]) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key])
    entry = envelope.recipients[0]
    with pytest.raises(EnvelopeFormatError, match="more than once"):
        Envelope((entry, entry), envelope.nonce, envelope.ciphertext)
    data = envelope.to_bytes()
    doubled = data[:7] + b"\x00\x02" + data[9 : 9 + ENTRY] * 2 + data[9 + ENTRY :]
    with pytest.raises(EnvelopeFormatError, match="more than once"):
        Envelope.from_bytes(doubled)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"nonce": b"\x00" * 11}, EnvelopeFormatError),
        ({"ciphertext": b"\x00" * 15}, EnvelopeFormatError),
        ({"ciphertext": "text"}, EnvelopeFormatError),
        ({"recipients": []}, EnvelopeFormatError),
        ({"recipients": "x"}, EnvelopeFormatError),
        ({"sender": "x"}, EnvelopeFormatError),
        ({"version": 2}, UnsupportedEnvelopeVersionError),
        ({"suite": 2}, UnsupportedEnvelopeSuiteError),
        ({"version": True}, EnvelopeFormatError),
    ],
)
def test_constructing_a_malformed_envelope_fails(
    keys: list[KemPrivateKey], changes: dict[str, Any], expected: type[Exception]
) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key])
    fields: dict[str, Any] = {
        "recipients": envelope.recipients,
        "nonce": envelope.nonce,
        "ciphertext": envelope.ciphertext,
        "sender": None,
    }
    fields.update(changes)
    with pytest.raises(expected):
        Envelope(**fields)


def test_malformed_recipient_entries_and_signatures_are_rejected() -> None:
    with pytest.raises(EnvelopeFormatError, match="KEM ciphertext must be 1088 bytes"):
        Envelope(
            (RecipientEntry(b"\x00" * 32, b"\x00" * 1087, b"\x00" * 12, b"\x00" * 48),),
            b"\x00" * 12,
            b"\x00" * 16,
        )
    with pytest.raises(EnvelopeFormatError, match="signature must be 2420 bytes"):
        SenderSignature(ML_DSA_44, b"\x00" * 1312, b"\x00" * 2419)


# --- senders --------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", [ML_DSA_44, ML_DSA_65, ML_DSA_87])
def test_a_required_sender_is_accepted_as_raw_key_or_public_key(
    keys: list[KemPrivateKey], algorithm: Algorithm
) -> None:
    sender = SigningKey.generate(algorithm)
    envelope = Envelope.from_bytes(
        seal(MESSAGE, [keys[0].public_key], aad=AAD, sender=sender).to_bytes()
    )
    assert open_envelope(envelope, keys[0], aad=AAD, expected_sender=sender.public_key) == MESSAGE
    assert open_envelope(envelope, keys[0], aad=AAD, expected_sender=sender.public) == MESSAGE
    assert envelope.sender is not None
    assert envelope.sender.algorithm == algorithm
    assert envelope.sender.key_id == sender.key_id


def test_an_unsigned_envelope_fails_when_a_sender_is_required(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key])
    with pytest.raises(SenderMismatchError, match="not signed"):
        open_envelope(envelope, keys[0], expected_sender=signer.public_key)


def test_an_envelope_from_another_sender_fails(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    other = SigningKey.generate(ML_DSA_44)
    envelope = seal(MESSAGE, [keys[0].public_key], sender=other)
    with pytest.raises(SenderMismatchError, match="not by the expected sender"):
        open_envelope(envelope, keys[0], expected_sender=signer.public_key)
    bigger = SigningKey.generate(ML_DSA_65)
    with pytest.raises(SenderMismatchError):
        open_envelope(envelope, keys[0], expected_sender=bigger.public)
    # A sender-authentication failure is an authentication failure, not bad input.
    assert issubclass(SenderMismatchError, EnvelopeSignatureError)
    assert issubclass(EnvelopeSignatureError, DecryptionError)
    assert not issubclass(DecryptionError, ValueError)


def test_a_signed_envelope_is_verified_even_without_an_expected_sender(
    keys: list[KemPrivateKey], signer: SigningKey
) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key], sender=signer)
    assert envelope.sender is not None
    bad = SenderSignature(ML_DSA_44, signer.public_key, b"\x00" * ML_DSA_44.signature_size)
    with pytest.raises(EnvelopeSignatureError, match="does not verify"):
        open_envelope(
            Envelope(envelope.recipients, envelope.nonce, envelope.ciphertext, bad), keys[0]
        )


# --- sealing input --------------------------------------------------------------------------------


def test_sealing_needs_at_least_one_distinct_recipient(keys: list[KemPrivateKey]) -> None:
    with pytest.raises(InputError, match="at least one"):
        seal(MESSAGE, [])
    with pytest.raises(InputError, match="more than once"):
        seal(MESSAGE, [keys[0].public_key, keys[0].public_key.raw])
    with pytest.raises(InputError, match="single value"):
        seal(MESSAGE, keys[0].public_key.raw)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        seal(MESSAGE, [object()])  # type: ignore[list-item]
    with pytest.raises(InputError):
        seal("text", [keys[0].public_key])  # type: ignore[arg-type]
    with pytest.raises(InputError):
        seal(MESSAGE, [keys[0].public_key], sender=b"key")  # type: ignore[arg-type]


def test_sealing_enforces_the_limits(keys: list[KemPrivateKey]) -> None:
    many = [KemPrivateKey.generate().public_key for _ in range(MAX_RECIPIENTS + 1)]
    with pytest.raises(EnvelopeLimitError, match="recipients"):
        seal(MESSAGE, many)
    with pytest.raises(EnvelopeLimitError, match="content"):
        seal(bytes(MAX_PLAINTEXT_SIZE + 1), [keys[0].public_key])


def test_sealing_to_a_malformed_or_wrong_kind_of_key_fails(keys: list[KemPrivateKey]) -> None:
    with pytest.raises(InvalidKeyError, match="1184 bytes"):
        seal(MESSAGE, [b"\x00" * 1183])
    with pytest.raises(InvalidKeyError, match="reduced mod q"):
        seal(MESSAGE, [b"\xff" * 1184])
    big = KemPrivateKey.generate(ML_KEM_1024)
    with pytest.raises(InvalidKeyError, match="ML-KEM-1024"):
        seal(MESSAGE, [big.public_key])
    envelope = seal(MESSAGE, [keys[0].public_key])
    with pytest.raises(InvalidKeyError, match="ML-KEM-1024"):
        open_envelope(envelope, big)


def test_opening_checks_argument_types(keys: list[KemPrivateKey]) -> None:
    envelope = seal(MESSAGE, [keys[0].public_key])
    with pytest.raises(InputError):
        open_envelope(envelope.to_bytes(), keys[0])  # type: ignore[arg-type]
    with pytest.raises(InputError):
        open_envelope(envelope, keys[0].seed)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        open_envelope(envelope, keys[0], aad="text")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        open_envelope(envelope, keys[0], expected_sender="key")  # type: ignore[arg-type]


# --- ML-KEM keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", [ML_KEM_768, ML_KEM_1024])
def test_kem_keys_round_trip_through_pem_and_raw(algorithm: Any) -> None:
    key = KemPrivateKey.generate(algorithm)
    assert KemPrivateKey.from_pem(key.to_pem()) == key
    assert KemPrivateKey.from_pem(key.to_pem(b"pw"), password=b"pw") == key
    assert KemPrivateKey.from_seed(key.seed, algorithm) == key
    assert KemPublicKey.from_pem(key.public_key.to_pem()) == key.public_key
    assert KemPublicKey.from_bytes(key.public_key.raw, algorithm) == key.public_key
    assert len(key.public_key.raw) == algorithm.public_key_size
    assert key.key_id == hashlib.sha256(key.public_key.raw).digest()
    shared, ciphertext = key.public_key.encapsulate()
    assert len(ciphertext) == algorithm.ciphertext_size
    assert key.decapsulate(ciphertext) == shared


def test_kem_key_files_of_the_wrong_kind_are_rejected(signer: SigningKey) -> None:
    key = KemPrivateKey.generate()
    with pytest.raises(InvalidKeyError, match="password"):
        KemPrivateKey.from_pem(key.to_pem(b"pw"))
    with pytest.raises(InvalidKeyError):
        KemPrivateKey.from_pem(key.to_pem(b"pw"), password=b"wrong")
    with pytest.raises(InvalidKeyError, match="expected an ML-KEM private key"):
        KemPrivateKey.from_pem(signer.to_pem())
    with pytest.raises(InvalidKeyError, match="expected an ML-KEM public key"):
        KemPublicKey.from_pem(signer.public.to_pem())
    with pytest.raises(InvalidKeyError):
        KemPrivateKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(InvalidKeyError):
        KemPublicKey.from_pem(b"not a key")


def test_kem_keys_reject_bad_lengths_and_unreduced_coefficients() -> None:
    with pytest.raises(InvalidKeyError, match="64 bytes, got 32"):
        KemPrivateKey.from_seed(b"\x00" * 32)
    with pytest.raises(InvalidKeyError):
        KemPrivateKey.from_seed("seed")  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="1568 bytes, got 1184"):
        KemPublicKey.from_bytes(b"\x00" * 1184, ML_KEM_1024)
    with pytest.raises(InvalidKeyError, match="reduced mod q"):
        KemPublicKey.from_bytes(b"\xff" * 1184)
    with pytest.raises(InvalidKeyError):
        KemPublicKey.from_bytes("00" * 1184)  # type: ignore[arg-type]
    key = KemPrivateKey.generate()
    with pytest.raises(InvalidCiphertextError, match="1088 bytes, got 1087"):
        key.decapsulate(b"\x00" * 1087)
    with pytest.raises(UnknownAlgorithmError, match="ML-KEM-768, ML-KEM-1024"):
        get_kem_algorithm("ML-KEM-512")
    assert get_kem_algorithm("mlkem768") is ML_KEM_768


def test_a_private_key_never_shows_its_seed() -> None:
    key = KemPrivateKey.from_seed(bytes(range(64)))
    assert key.seed.hex() not in repr(key)
    assert key.seed.hex() not in str(key)
    assert key.key_id.hex() in repr(key)


def test_error_classes_fit_the_hierarchy() -> None:
    for cls in (EnvelopeFormatError, EnvelopeLimitError, InvalidCiphertextError):
        assert issubclass(cls, CryptoError)
        assert issubclass(cls, ValueError)
    assert issubclass(NotARecipientError, DecryptionError)
    assert issubclass(UnsupportedEnvelopeVersionError, EnvelopeFormatError)
    assert issubclass(UnsupportedEnvelopeSuiteError, EnvelopeFormatError)
