"""Canonical bytes and digests: exact against the committed vectors, and stable under formatting."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import pytest
import rfc8785

from oracle import maml
from tests.maml.maml_helpers import document, read

# Every rule holds with libyaml and with the pure-Python parser and emitter.
pytestmark = pytest.mark.usefixtures("yaml_backend")

DOCUMENTS = [
    "minimal.maml.md",
    "minimal-crlf.maml.md",
    "full.maml.md",
    "signed.maml.md",
    "cosigned.maml.md",
    "history.maml.md",
]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_canonical_bytes_and_digest_match_the_vectors(name: str, manifest: dict[str, Any]) -> None:
    expected = manifest["documents"][name]
    text = read(name)
    assert maml.canonical_front_matter(text).decode("utf-8") == expected["front_matter_jcs"]
    assert maml.canonical_bytes(text).hex() == expected["canonical_hex"]
    assert "0x" + maml.document_digest(text).hex() == expected["digest"]


@pytest.mark.parametrize("name", ["history.maml.md"])
def test_history_messages_and_digests_match_the_vectors(
    name: str, manifest: dict[str, Any]
) -> None:
    doc = maml.parse(read(name))
    digest = maml.document_digest(doc)
    previous: str | None = None
    expected = manifest["documents"][name]["history"]
    assert len(expected) == len(doc.history) == 2
    for entry, vector in zip(doc.history, expected, strict=True):
        entry_bytes = maml.history_entry_bytes(
            entry.timestamp, entry.actor, entry.action, entry.alg, entry.key_id
        )
        assert entry_bytes.decode("utf-8") == vector["entry_jcs"]
        assert maml.history_message(digest, previous, entry_bytes).hex() == vector["message_hex"]
        assert "0x" + maml.history_digest(digest, previous, entry_bytes).hex() == vector["digest"]
        previous = entry.text


def test_the_canonical_encoding_is_domain_length_front_length_body() -> None:
    text = read("minimal.maml.md")
    front = maml.canonical_front_matter(text)
    body = maml.signed_body(text).encode()
    expected = (
        b"MAML-SIG-v1\x00"
        + struct.pack(">Q", len(front))
        + front
        + struct.pack(">Q", len(body))
        + body
    )
    assert maml.canonical_bytes(text) == expected
    assert maml.document_digest(text) == hashlib.sha256(expected).digest()


def test_the_front_matter_is_rfc8785_of_the_parsed_mapping_without_signatures() -> None:
    doc = maml.parse(read("cosigned.maml.md"))
    plain = {k: v for k, v in maml.model.thaw(doc.front_matter).items() if k != "signatures"}  # type: ignore[union-attr]
    assert maml.canonical_front_matter(doc) == rfc8785.dumps(plain)
    assert b"signatures" not in maml.canonical_front_matter(doc)


def test_keys_sort_by_utf16_code_units_as_rfc8785_requires() -> None:
    front = maml.canonical_front_matter(document('labels: {"\uff61": 1, "\U0001d11e": 2}\n'))
    text = front.decode()
    # U+1D11E is a larger code point than U+FF61, but its first UTF-16 unit (0xD834) is smaller.
    assert text.index('"\U0001d11e":') < text.index('"\uff61":')


def test_yaml_formatting_and_comments_do_not_change_the_signed_bytes() -> None:
    plain = document()
    restyled = plain.replace("type: workflow\n", "# a comment\ntype:    'workflow'   # trailing\n")
    flow = plain.replace(
        'created_at: "2026-11-24T10:00:00Z"\n', "{created_at: '2026-11-24T10:00:00Z'}\n"
    )
    assert maml.canonical_bytes(restyled) == maml.canonical_bytes(plain)
    reordered = plain.replace("type: workflow\n", "").replace(
        "---\n## Intent", "type: workflow\n---\n## Intent"
    )
    assert maml.canonical_bytes(reordered) == maml.canonical_bytes(plain)
    with pytest.raises(maml.MamlSyntaxError):
        maml.parse(flow)  # a flow mapping line inside a block mapping is not YAML


def test_any_body_byte_changes_the_signed_bytes() -> None:
    plain = document()
    assert maml.canonical_bytes(plain.replace("thing.", "thing!")) != maml.canonical_bytes(plain)
    assert maml.canonical_bytes(plain + " ") != maml.canonical_bytes(plain)
    assert maml.canonical_bytes(plain + "\n") != maml.canonical_bytes(plain)


def test_crlf_and_lf_documents_have_the_same_canonical_bytes() -> None:
    assert maml.canonical_bytes(read("minimal-crlf.maml.md")) == maml.canonical_bytes(
        read("minimal.maml.md")
    )


def test_the_history_section_is_outside_the_signed_body() -> None:
    plain = document()
    with_history = plain + "## History\n\n"
    assert maml.signed_body(with_history) == maml.signed_body(plain)
    assert maml.canonical_bytes(with_history) == maml.canonical_bytes(plain)


def test_a_body_without_a_final_line_feed_signs_as_if_it_had_one() -> None:
    plain = document()
    assert maml.canonical_bytes(plain.rstrip("\n")) == maml.canonical_bytes(plain)
    assert maml.signed_body(plain.rstrip("\n")).endswith("For a reason.\n")


def test_encrypted_documents_have_no_canonical_bytes_until_decrypted() -> None:
    with pytest.raises(maml.MamlEncryptionError) as caught:
        maml.canonical_bytes(read("encrypted.maml.md"))
    assert caught.value.line == maml.parse(read("encrypted.maml.md")).body_line


def test_the_encryption_aad_binds_every_field_but_signatures() -> None:
    doc = maml.parse(read("encrypted.maml.md"))
    aad = maml.encryption_aad(doc.front_matter)
    assert aad.startswith(b"MAML-ENC-v1\x00")
    assert b'"encryption":' in aad
    assert b"signatures" not in aad


def test_history_digests_need_a_32_byte_document_digest() -> None:
    with pytest.raises(maml.MamlHistoryError):
        maml.history_digest(b"short", None, b"{}")
