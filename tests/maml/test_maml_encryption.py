"""Encrypted bodies: round trips, associated data, tampering, the committed vector."""

from __future__ import annotations

from typing import Any

import pytest

from oracle import maml
from oracle.crypto import SigningKey
from oracle.crypto.kem import KemPrivateKey
from oracle.maml.encoding import b64url_decode
from tests.maml.maml_helpers import document, read


@pytest.fixture(scope="module")
def readers() -> tuple[KemPrivateKey, KemPrivateKey]:
    return KemPrivateKey.from_seed(b"\x01" * 64), KemPrivateKey.from_seed(b"\x02" * 64)


@pytest.fixture(scope="module")
def signed(alice: SigningKey) -> str:
    return maml.append_history(
        maml.sign(document(), alice), "sealed", alice, timestamp="2026-11-24T11:00:00Z"
    )


@pytest.fixture(scope="module")
def sealed(signed: str, readers: tuple[KemPrivateKey, KemPrivateKey]) -> str:
    return maml.encrypt(signed, [key.public_key for key in readers])


def test_the_committed_encrypted_vector_decrypts_to_the_signed_vector(
    recipient: KemPrivateKey, alice: SigningKey, manifest: dict[str, Any]
) -> None:
    spec = manifest["encrypted"]
    plain = maml.decrypt(read(spec["file"]), recipient, expected_sender=alice.public)
    assert plain == read(spec["decrypts_to"])
    assert maml.verify(plain, [alice.public]).valid


def test_every_recipient_decrypts_to_the_exact_signed_document(
    sealed: str, signed: str, readers: tuple[KemPrivateKey, KemPrivateKey], alice: SigningKey
) -> None:
    for key in readers:
        plain = maml.decrypt(sealed, key)
        assert plain == signed
        assert maml.verify(plain, [alice.public]).valid


def test_the_encrypted_form_keeps_the_front_matter_readable_and_hides_the_body(
    sealed: str, signed: str, readers: tuple[KemPrivateKey, KemPrivateKey]
) -> None:
    doc = maml.parse(sealed)
    assert doc.is_encrypted
    assert doc.encryption is not None
    assert (doc.encryption.scheme, doc.encryption.kem, doc.encryption.aead) == (
        "MAML-ENC-v1",
        "ML-KEM-768",
        "AES-256-GCM",
    )
    assert doc.encryption.fields["recipients"] == tuple("0x" + key.key_id.hex() for key in readers)
    assert doc.signatures == maml.parse(signed).signatures
    assert "Do the thing" not in sealed
    assert doc.sections == ()
    assert doc.body.startswith("```maml-envelope\n")
    assert all(len(line) <= 76 for line in doc.body.split("\n"))
    assert maml.envelope_of(doc).recipient_key_ids == tuple(key.key_id for key in readers)


def test_signing_and_verifying_an_encrypted_document_is_refused(
    sealed: str, alice: SigningKey, bob: SigningKey
) -> None:
    line = maml.parse(sealed).body_line
    for call in (
        lambda: maml.verify(sealed, [alice.public]),
        lambda: maml.cosign(sealed, bob),
        lambda: maml.append_history(sealed, "x", bob),
        lambda: maml.encrypt(sealed, [b"\x00" * 1184]),
    ):
        with pytest.raises(maml.MamlEncryptionError) as caught:
            call()
        assert caught.value.line == line


def test_a_changed_front_matter_field_makes_decryption_fail(
    sealed: str, readers: tuple[KemPrivateKey, KemPrivateKey]
) -> None:
    tampered = sealed.replace("type: workflow", "type: exfiltrate")
    with pytest.raises(maml.MamlDecryptionError) as caught:
        maml.decrypt(tampered, readers[0])
    assert caught.value.line == maml.parse(tampered).body_line + 1


def test_signatures_stay_outside_the_associated_data_so_co_signing_survives(
    signed: str, readers: tuple[KemPrivateKey, KemPrivateKey], bob: SigningKey, alice: SigningKey
) -> None:
    sealed = maml.encrypt(signed, [readers[0].public_key])
    plain = maml.decrypt(sealed, readers[0])
    cosigned = maml.cosign(plain, bob)
    resealed_plain = maml.decrypt(maml.encrypt(cosigned, [readers[0].public_key]), readers[0])
    assert maml.verify(resealed_plain, [alice.public, bob.public]).valid


def test_a_changed_envelope_byte_makes_decryption_fail(
    sealed: str, readers: tuple[KemPrivateKey, KemPrivateKey]
) -> None:
    doc = maml.parse(sealed)
    lines = doc.body.split("\n")
    middle = len(lines) // 2
    flipped = lines[middle][:10] + ("A" if lines[middle][10] != "A" else "B") + lines[middle][11:]
    tampered = sealed.replace(lines[middle], flipped)
    with pytest.raises((maml.MamlDecryptionError, maml.MamlEncryptionError)):
        maml.decrypt(tampered, readers[1])


def test_a_key_that_is_not_a_recipient_cannot_decrypt(sealed: str) -> None:
    stranger = KemPrivateKey.from_seed(b"\x03" * 64)
    with pytest.raises(maml.MamlDecryptionError, match="not among"):
        maml.decrypt(sealed, stranger)


def test_an_expected_sender_is_enforced(
    signed: str, readers: tuple[KemPrivateKey, KemPrivateKey], alice: SigningKey, bob: SigningKey
) -> None:
    unsigned_envelope = maml.encrypt(signed, [readers[0].public_key])
    with pytest.raises(maml.MamlDecryptionError):
        maml.decrypt(unsigned_envelope, readers[0], expected_sender=alice.public)
    by_bob = maml.encrypt(signed, [readers[0].public_key], sender=bob)
    with pytest.raises(maml.MamlDecryptionError):
        maml.decrypt(by_bob, readers[0], expected_sender=alice.public)
    assert maml.decrypt(by_bob, readers[0], expected_sender=bob.public) == signed


def test_a_recipient_list_that_disagrees_with_the_envelope_is_refused(
    sealed: str, readers: tuple[KemPrivateKey, KemPrivateKey]
) -> None:
    wrong = "0x" + "00" * 32
    tampered = sealed.replace("0x" + readers[1].key_id.hex(), wrong)
    with pytest.raises(maml.MamlEncryptionError, match="recipients") as caught:
        maml.decrypt(tampered, readers[0])
    assert caught.value.line == maml.parse(tampered).line_of("encryption", "recipients")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("scheme: MAML-ENC-v1", "scheme: MAML-ENC-v9", "scheme"),
        ("kem: ML-KEM-768", "kem: ML-KEM-512", "kem"),
        ("aead: AES-256-GCM", "aead: AES-2048", "aead"),
        ("  recipients:\n", "  recipients: 7\n  old_recipients:\n", "recipients"),
    ],
)
def test_a_malformed_encryption_field_is_refused_with_its_line(
    sealed: str, old: str, new: str, message: str
) -> None:
    with pytest.raises(maml.MamlEncryptionError, match=message) as caught:
        maml.parse(sealed.replace(old, new))
    assert caught.value.line is not None
    assert caught.value.line > 10


def test_an_encrypted_body_must_be_one_envelope_block(sealed: str) -> None:
    doc = maml.parse(sealed)
    with pytest.raises(maml.MamlEncryptionError) as caught:
        maml.parse(sealed + "## Intent\nsmuggled\n")
    assert caught.value.line == doc.body_line
    garbage = sealed.replace(doc.body, "```maml-envelope\nAB\n```\n")
    with pytest.raises(maml.MamlEncryptionError, match="base64url"):
        maml.envelope_of(garbage)
    assert b64url_decode("AB") is None


def test_a_plaintext_document_has_no_envelope() -> None:
    with pytest.raises(maml.MamlEncryptionError, match="not encrypted"):
        maml.envelope_of(document())


def test_a_malformed_envelope_is_an_encryption_error(sealed: str) -> None:
    doc = maml.parse(sealed)
    junk = sealed.replace(doc.body, "```maml-envelope\nUFFFMQ\n```\n")
    with pytest.raises(maml.MamlEncryptionError, match="malformed envelope"):
        maml.envelope_of(junk)
