"""Signing, co-signing, history and verification: round trips, tampering, key ids."""

from __future__ import annotations

from typing import Any

import pytest

from oracle import crypto, maml
from oracle.crypto import SigningKey
from oracle.maml.encoding import b64url_decode, b64url_encode
from tests.maml.maml_helpers import document, read

# Every rule holds with libyaml and with the pure-Python parser and emitter.
pytestmark = pytest.mark.usefixtures("yaml_backend")


@pytest.fixture(scope="module")
def signed(alice: SigningKey) -> str:
    return maml.sign(document(), alice)


@pytest.fixture(scope="module")
def cosigned(signed: str, bob: SigningKey, carol: SigningKey) -> str:
    return maml.cosign(maml.cosign(signed, bob), carol)


@pytest.fixture(scope="module")
def with_history(cosigned: str, alice: SigningKey, bob: SigningKey) -> str:
    text = maml.append_history(
        cosigned, "reviewed", bob, actor="agent://bob", timestamp="2026-11-24T11:00:00Z"
    )
    return maml.append_history(text, "deployed", alice, timestamp="2026-11-24T12:00:00Z")


def _keys(*signers: SigningKey) -> list[crypto.PublicKey]:
    return [signer.public for signer in signers]


# --- the committed vectors ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["signed.maml.md", "cosigned.maml.md", "history.maml.md"])
def test_committed_signed_vectors_verify_under_their_test_keys(
    name: str, manifest: dict[str, Any], signers: dict[str, SigningKey]
) -> None:
    names = manifest["documents"][name]["signers"]
    report = maml.verify(read(name), [signers[n].public for n in names])
    assert report.valid
    assert report.missing_keys == ()


def test_the_test_key_ids_in_the_vectors_are_the_contracts_key_ids(
    manifest: dict[str, Any],
) -> None:
    for entry in manifest["test_only_keys"]["signers"].values():
        raw = bytes.fromhex(entry["public_key_hex"])
        assert "0x" + crypto.key_id(entry["algorithm"], raw).hex() == entry["key_id"]


# --- signing -----------------------------------------------------------------------------------


def test_a_signed_document_verifies_and_keeps_its_body_and_fields(
    signed: str, alice: SigningKey
) -> None:
    doc = maml.parse(signed)
    assert signed.endswith(document().split("---\n", 2)[2])
    assert maml.canonical_bytes(signed) == maml.canonical_bytes(document())
    (entry,) = doc.signatures
    assert entry.alg == "ML-DSA-65"
    assert entry.context == maml.DOCUMENT_CONTEXT == "maml-v1"
    assert entry.key_id == alice.key_id == crypto.key_id("ML-DSA-65", alice.public_key)
    assert len(entry.value) == crypto.ML_DSA_65.signature_size
    report = maml.verify(signed, _keys(alice))
    assert report.valid
    assert report.all_valid
    assert report.any_valid
    assert report.digest == maml.document_digest(document())


def test_a_document_signature_is_ml_dsa_over_the_digest_with_the_profile_context(
    signed: str, alice: SigningKey
) -> None:
    (entry,) = maml.parse(signed).signatures
    digest = maml.document_digest(signed)
    assert crypto.verify("ML-DSA-65", alice.public_key, digest, entry.value, b"maml-v1")
    assert not crypto.verify("ML-DSA-65", alice.public_key, digest, entry.value, b"")


def test_signing_writes_the_same_front_matter_text_for_the_same_input(
    alice: SigningKey, signed: str
) -> None:
    again = maml.sign(document(), alice)
    strip = [line for line in again.split("\n") if not line.startswith("  value: ")]
    assert strip == [line for line in signed.split("\n") if not line.startswith("  value: ")]
    assert maml.parse(again).front_matter_text.count("\n") == maml.parse(
        signed
    ).front_matter_text.count("\n")


def test_re_rendering_a_signed_document_is_a_fixed_point(signed: str) -> None:
    doc = maml.parse(signed)
    assert maml.render(doc.front_matter, doc.body) == signed


def test_sign_refuses_an_already_signed_document(signed: str, bob: SigningKey) -> None:
    with pytest.raises(maml.MamlSignatureError, match="cosign") as caught:
        maml.sign(signed, bob)
    assert caught.value.line == 8


def test_cosign_refuses_an_unsigned_document(bob: SigningKey) -> None:
    with pytest.raises(maml.MamlSignatureError, match="use sign") as caught:
        maml.cosign(document(), bob)
    assert caught.value.line == 2


def test_the_same_key_cannot_sign_twice(signed: str, alice: SigningKey) -> None:
    with pytest.raises(maml.MamlSignatureError, match="already signed") as caught:
        maml.cosign(signed, alice)
    assert caught.value.line == 8


def test_co_signing_keeps_earlier_signatures_valid(
    signed: str, cosigned: str, alice: SigningKey, bob: SigningKey, carol: SigningKey
) -> None:
    first = maml.parse(signed).signatures[0]
    doc = maml.parse(cosigned)
    assert doc.signatures[0].value == first.value
    assert [s.alg for s in doc.signatures] == ["ML-DSA-65", "ML-DSA-44", "ML-DSA-87"]
    report = maml.verify(cosigned, _keys(alice, bob, carol))
    assert report.valid
    assert [c.status for c in report.signatures] == ["valid"] * 3


# --- verification policy ------------------------------------------------------------------------


def test_all_requires_every_signer_key(cosigned: str, alice: SigningKey, bob: SigningKey) -> None:
    report = maml.verify(cosigned, _keys(alice, bob))
    assert not report.valid
    assert [c.status for c in report.signatures] == ["valid", "valid", "unknown-key"]
    assert report.any_valid
    assert not report.all_valid


def test_all_requires_every_supplied_key_to_have_signed(
    signed: str, alice: SigningKey, bob: SigningKey
) -> None:
    report = maml.verify(signed, _keys(alice, bob))
    assert not report.valid
    assert report.missing_keys == (bob.key_id,)


def test_any_accepts_one_valid_signature_and_ignores_unknown_signers(
    cosigned: str, carol: SigningKey
) -> None:
    report = maml.verify(cosigned, _keys(carol), require="any")
    assert report.valid
    assert [c.status for c in report.signatures] == ["unknown-key", "unknown-key", "valid"]


def test_an_unsigned_document_is_never_valid(alice: SigningKey) -> None:
    for require in ("all", "any"):
        assert not maml.verify(document(), _keys(alice), require=require).valid  # type: ignore[arg-type]


def test_verify_refuses_an_unknown_requirement(signed: str, alice: SigningKey) -> None:
    with pytest.raises(ValueError, match="require"):
        maml.verify(signed, _keys(alice), require="most")  # type: ignore[arg-type]


# --- tampering -----------------------------------------------------------------------------------


def test_a_changed_front_matter_field_is_detected(
    cosigned: str, alice: SigningKey, bob: SigningKey, carol: SigningKey
) -> None:
    tampered = cosigned.replace("origin: agent://alice", "origin: agent://mallory")
    assert tampered != cosigned
    report = maml.verify(tampered, _keys(alice, bob, carol))
    assert not report.valid
    assert [c.status for c in report.signatures] == ["invalid"] * 3


def test_an_added_front_matter_field_is_detected(signed: str, alice: SigningKey) -> None:
    tampered = signed.replace("type: workflow\n", "type: workflow\nextra: 1\n")
    assert not maml.verify(tampered, _keys(alice)).valid


def test_a_changed_body_byte_is_detected(signed: str, alice: SigningKey) -> None:
    position = signed.index("Do the thing")
    tampered = signed[:position] + "d" + signed[position + 1 :]
    assert not maml.verify(tampered, _keys(alice)).valid
    assert not maml.verify(signed + "\nappended\n", _keys(alice)).valid


def test_a_changed_signature_value_is_detected(signed: str, alice: SigningKey) -> None:
    (entry,) = maml.parse(signed).signatures
    flipped = bytearray(entry.value)
    flipped[100] ^= 1
    tampered = signed.replace(b64url_encode(entry.value), b64url_encode(bytes(flipped)))
    report = maml.verify(tampered, _keys(alice))
    assert [c.status for c in report.signatures] == ["invalid"]


def test_a_substituted_key_id_is_detected(signed: str, alice: SigningKey, bob: SigningKey) -> None:
    tampered = signed.replace(alice.key_id.hex(), bob.key_id.hex())
    report = maml.verify(tampered, _keys(alice, bob))
    assert [c.status for c in report.signatures] == ["wrong-algorithm"]
    assert not report.valid
    other = SigningKey.from_seed("ML-DSA-65", b"\x07" * 32)
    swapped = signed.replace(alice.key_id.hex(), other.key_id.hex())
    report = maml.verify(swapped, _keys(alice, other), require="any")
    assert [c.status for c in report.signatures] == ["invalid"]
    assert not report.valid


def test_a_changed_context_is_detected(signed: str, alice: SigningKey) -> None:
    tampered = signed.replace("context: maml-v1", "context: maml-v2")
    report = maml.verify(tampered, _keys(alice))
    assert [c.status for c in report.signatures] == ["wrong-context"]
    assert not report.valid


def test_a_removed_signature_is_detected_under_all(
    cosigned: str, alice: SigningKey, bob: SigningKey, carol: SigningKey
) -> None:
    doc = maml.parse(cosigned)
    front = maml.model.thaw(doc.front_matter)
    assert isinstance(front, dict)
    front["signatures"] = front["signatures"][:2]  # type: ignore[index]
    stripped = maml.render(front, doc.body)
    report = maml.verify(stripped, _keys(alice, bob, carol))
    assert not report.valid
    assert report.missing_keys == (carol.key_id,)


# --- malformed signature entries -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("alg: ML-DSA-65", "alg: Dilithium3", "round-3"),
        ("alg: ML-DSA-65", "alg: mldsa65", "write 'ML-DSA-65'"),
        ("context: maml-v1", "context: [1]", "context"),
        ("  context: maml-v1\n", "", "missing context"),
        ("  context: maml-v1\n", "  context: maml-v1\n  note: x\n", "unexpected note"),
    ],
)
def test_malformed_signature_entries_are_refused_with_their_line(
    signed: str, old: str, new: str, message: str
) -> None:
    with pytest.raises(maml.MamlSignatureError, match=message) as caught:
        maml.parse(signed.replace(old, new))
    assert caught.value.line is not None
    assert 8 <= caught.value.line <= 12


def test_a_signature_value_must_be_canonical_base64url_of_the_right_length(signed: str) -> None:
    (entry,) = maml.parse(signed).signatures
    text = b64url_encode(entry.value)
    with pytest.raises(maml.MamlSignatureError, match="3309 bytes") as caught:
        maml.parse(signed.replace(text, text[:-8]))
    assert caught.value.line == 11
    with pytest.raises(maml.MamlSignatureError, match="base64url"):
        maml.parse(signed.replace(text, text[:-4] + "==="))
    # One byte string, one text: padding, other alphabets and non-zero trailing bits are refused.
    assert b64url_decode("AA") == b"\x00"
    assert b64url_decode("AB") is None
    assert b64url_decode("AA==") is None
    assert b64url_decode("+/") is None


def test_a_key_id_must_be_lowercase_0x_hex(signed: str, alice: SigningKey) -> None:
    with pytest.raises(maml.MamlSignatureError, match="key_id") as caught:
        maml.parse(signed.replace(alice.key_id.hex(), alice.key_id.hex().upper()))
    assert (caught.value.line, caught.value.column) == (9, 11)


def test_signatures_must_be_a_list_of_mappings() -> None:
    with pytest.raises(maml.MamlSignatureError) as caught:
        maml.parse(document("signatures: {alg: ML-DSA-65}\n"))
    assert caught.value.line == 7
    with pytest.raises(maml.MamlSignatureError) as caught:
        maml.parse(document("signatures: [text]\n"))
    assert caught.value.line == 7


def test_a_duplicate_signer_is_refused(signed: str) -> None:
    doc = maml.parse(signed)
    front = maml.model.thaw(doc.front_matter)
    assert isinstance(front, dict)
    front["signatures"] = front["signatures"] * 2  # type: ignore[operator]
    with pytest.raises(maml.MamlSignatureError, match="already signed"):
        maml.parse(maml.render(front, doc.body))


# --- history ------------------------------------------------------------------------------------


def test_history_entries_verify_and_leave_document_signatures_valid(
    with_history: str, alice: SigningKey, bob: SigningKey, carol: SigningKey
) -> None:
    doc = maml.parse(with_history)
    assert [(h.actor, h.action) for h in doc.history] == [
        ("agent://bob", "reviewed"),
        (f"key:0x{alice.key_id.hex()}", "deployed"),
    ]
    report = maml.verify(with_history, _keys(alice, bob, carol))
    assert report.valid
    assert [c.status for c in report.history] == ["valid", "valid"]
    assert maml.document_digest(with_history) == maml.document_digest(document())


def test_a_history_entry_is_ml_dsa_over_the_chained_entry_digest(
    with_history: str, bob: SigningKey
) -> None:
    doc = maml.parse(with_history)
    first = doc.history[0]
    entry = maml.history_entry_bytes(
        first.timestamp, first.actor, first.action, first.alg, first.key_id
    )
    message = maml.history_digest(maml.document_digest(doc), None, entry)
    assert crypto.verify("ML-DSA-44", bob.public_key, message, first.signature, b"maml-v1-history")


def test_a_history_only_signer_counts_as_a_used_key(
    signed: str, alice: SigningKey, bob: SigningKey
) -> None:
    text = maml.append_history(signed, "noted", bob, timestamp="2026-11-24T11:00:00Z")
    assert maml.verify(text, _keys(alice, bob)).valid


def test_a_changed_history_entry_is_detected(
    with_history: str, alice: SigningKey, bob: SigningKey, carol: SigningKey
) -> None:
    tampered = with_history.replace("| reviewed |", "| rejected |")
    report = maml.verify(tampered, _keys(alice, bob, carol))
    assert [c.status for c in report.signatures] == ["valid"] * 3
    # The first entry's signature fails; the second chains to the changed line and fails too.
    assert [c.status for c in report.history] == ["invalid", "invalid"]
    assert not report.valid
    assert not maml.verify(tampered, _keys(alice, bob, carol), require="any").valid


def test_removing_or_reordering_history_entries_is_detected(
    with_history: str, alice: SigningKey, bob: SigningKey, carol: SigningKey
) -> None:
    lines = with_history.split("\n")
    entries = [i for i, line in enumerate(lines) if line.startswith("- 2026")]
    dropped = "\n".join(line for i, line in enumerate(lines) if i != entries[0])
    report = maml.verify(dropped, _keys(alice, bob, carol))
    assert [c.status for c in report.history] == ["invalid"]
    swapped = list(lines)
    swapped[entries[0]], swapped[entries[1]] = lines[entries[1]], lines[entries[0]]
    report = maml.verify("\n".join(swapped), _keys(alice, bob, carol))
    assert [c.status for c in report.history] == ["invalid", "invalid"]


def test_history_does_not_carry_over_to_another_document(
    with_history: str, alice: SigningKey, bob: SigningKey, carol: SigningKey
) -> None:
    history = with_history[with_history.index("## History") :]
    other = maml.cosign(
        maml.cosign(maml.sign(document().replace("Do the thing", "Do another"), alice), bob), carol
    )
    moved = other + history
    report = maml.verify(moved, _keys(alice, bob, carol))
    assert [c.status for c in report.signatures] == ["valid"] * 3
    assert [c.status for c in report.history] == ["invalid", "invalid"]


def test_a_body_without_a_final_line_feed_gets_history_without_changing_its_digest(
    alice: SigningKey,
) -> None:
    text = maml.sign(document().rstrip("\n"), alice)
    extended = maml.append_history(text, "checked", alice, timestamp="2026-11-24T11:00:00Z")
    assert maml.verify(extended, _keys(alice)).valid
    assert "For a reason.\n## History\n\n- 2026-11-24T11:00:00Z" in extended


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"entry_text": "a | b"}, "'|'"),
        ({"entry_text": " padded"}, "blanks"),
        ({"entry_text": "two\nlines"}, "control"),
        ({"entry_text": ""}, "1-1024"),
        ({"entry_text": "x" * 1025}, "1-1024"),
        ({"entry_text": "ok", "actor": "a|b"}, "actor"),
        ({"entry_text": "ok", "timestamp": "yesterday"}, "RFC 3339"),
    ],
)
def test_malformed_history_input_is_refused(
    signed: str, alice: SigningKey, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(maml.MamlHistoryError, match=message):
        maml.append_history(signed, signing_key=alice, **kwargs)  # type: ignore[arg-type]


def test_history_cannot_be_appended_inside_an_unclosed_fence(alice: SigningKey) -> None:
    text = document(body="## Intent\nx\n## Context\n```\nopen fence\n")
    with pytest.raises(maml.MamlHistoryError, match="unclosed code fence") as caught:
        maml.append_history(text, "x", alice)
    assert caught.value.line == 13


# --- new documents --------------------------------------------------------------------------------


def test_new_document_writes_a_valid_unsigned_document() -> None:
    text = maml.new_document(
        doc_type="prompt",
        origin="agent://writer",
        intent="Write.",
        context="Context.",
        content="Body.",
        permissions={"read": ["agent://*"]},
        requires=["tool>=1"],
    )
    doc = maml.parse(text)
    assert doc.header.id.startswith("urn:uuid:")
    assert doc.header.created_at is not None
    assert [s.name for s in doc.sections] == ["Intent", "Context", "Content"]
    assert doc.signatures == ()


def test_new_document_validates_its_input() -> None:
    with pytest.raises(maml.MamlFieldError) as caught:
        maml.new_document(doc_type="x", origin="no scheme", intent="i", context="c")
    assert caught.value.field == "origin"
