"""Legacy shapes: strict mode names each one, lenient mode reads it and says so."""

from __future__ import annotations

from typing import Any

import pytest

from oracle import maml
from oracle.crypto import SigningKey
from tests.maml.maml_helpers import DATA, read

# Every rule holds with libyaml and with the pure-Python parser and emitter.
pytestmark = pytest.mark.usefixtures("yaml_backend")

CASES = [
    ("signature-label.maml.md", maml.MamlLegacySignatureLabelError, 9, 14),
    ("unquoted-timestamp.maml.md", maml.MamlTimestampError, 6, 13),
    ("code-blocks-heading.maml.md", maml.MamlLegacySectionError, 14, 4),
    ("encryption-label.maml.md", maml.MamlLegacyEncryptionLabelError, 7, 13),
]


@pytest.mark.parametrize(("name", "error", "line", "column"), CASES)
def test_strict_mode_rejects_each_legacy_fixture_with_a_named_error(
    name: str, error: type[maml.MamlLegacyError], line: int, column: int
) -> None:
    with pytest.raises(error) as caught:
        maml.parse(read(f"legacy/{name}"))
    assert isinstance(caught.value, maml.MamlLegacyError)
    assert (caught.value.line, caught.value.column) == (line, column)


@pytest.mark.parametrize(("name", "error", "line", "column"), CASES)
def test_lenient_mode_reads_each_legacy_fixture_and_lists_a_warning(
    name: str, error: type[maml.MamlLegacyError], line: int, column: int
) -> None:
    doc = maml.parse(read(f"legacy/{name}"), lenient=True)
    (warning,) = doc.warnings
    assert warning.code == error.code
    assert (warning.line, warning.column) == (line, column)
    assert warning.severity == "warning"
    assert doc.lenient


def test_the_legacy_extension_is_refused_by_the_name_check_in_strict_mode() -> None:
    path = DATA / "legacy" / "legacy-extension.maml.markdown"
    with pytest.raises(maml.MamlLegacyExtensionError, match=r"legacy-extension\.maml\.md"):
        maml.check_filename(str(path))
    (note,) = maml.check_filename(str(path), lenient=True)
    assert note.code == "legacy-extension"
    # The content itself is a valid document: only the name is legacy.
    assert maml.parse(path.read_text(encoding="utf-8")).warnings == ()


def test_lenient_mode_keeps_an_unquoted_timestamp_as_its_original_text() -> None:
    doc = maml.parse(read("legacy/unquoted-timestamp.maml.md"), lenient=True)
    assert doc.header.created_at == "2025-08-25T18:45:00Z"
    assert doc.front_matter["created_at"] == "2025-08-25T18:45:00Z"


def test_lenient_mode_normalises_code_blocks_to_code_blocks_with_underscore() -> None:
    doc = maml.parse(read("legacy/code-blocks-heading.maml.md"), lenient=True)
    section = doc.section("Code_Blocks")
    assert section is not None
    assert section.heading == "## Code Blocks"
    assert doc.code_blocks[0].section == "Code_Blocks"


def test_a_legacy_signature_label_is_never_a_signature(alice: SigningKey) -> None:
    doc = maml.parse(read("legacy/signature-label.maml.md"), lenient=True)
    assert doc.signatures == ()
    assert doc.header.verification == {"method": "ortac-runtime", "signature": "CRYSTALS-Dilithium"}
    report = maml.verify(doc, [alice.public])
    assert not report.valid
    assert report.warnings == doc.warnings


def test_a_legacy_encryption_label_does_not_make_a_document_encrypted() -> None:
    doc = maml.parse(read("legacy/encryption-label.maml.md"), lenient=True)
    assert not doc.is_encrypted
    assert "AES-2048" in doc.warnings[0].message


@pytest.mark.parametrize("action", ["sign", "cosign", "append_history", "encrypt"])
def test_leniently_read_documents_cannot_be_changed(action: str, alice: SigningKey) -> None:
    doc = maml.parse(read("legacy/unquoted-timestamp.maml.md"), lenient=True)
    calls: dict[str, Any] = {
        "sign": lambda: maml.sign(doc, alice),
        "cosign": lambda: maml.cosign(doc, alice),
        "append_history": lambda: maml.append_history(doc, "x", alice),
        "encrypt": lambda: maml.encrypt(doc, [b"\x00" * 1184]),
    }
    with pytest.raises(maml.MamlLegacyError) as caught:
        calls[action]()
    assert caught.value.line == 6


def test_lenient_mode_reads_ambiguous_scalars_and_malformed_history_as_warnings() -> None:
    text = (
        read("legacy/unquoted-timestamp.maml.md").replace(
            'type: "dataset"', "type: dataset\nflag: yes"
        )
        + "\n## History\n- 2025-08-25T18:45:00Z: [CREATE] by someone\n"
    )
    doc = maml.parse(text, lenient=True)
    assert doc.front_matter["flag"] == "yes"
    assert [w.code for w in doc.warnings] == ["scalar", "legacy-timestamp", "history"]
    assert doc.history == ()


def test_lenient_documents_verify_only_through_a_signatures_list(alice: SigningKey) -> None:
    signed = maml.sign(read("legacy/legacy-extension.maml.markdown"), alice)
    legacy = signed.replace("## Intent", "## Intent\n\n## Code Blocks\nx\n", 1)
    with pytest.raises(maml.MamlLegacySectionError):
        maml.verify(legacy, [alice.public])
    report = maml.verify(legacy, [alice.public], lenient=True)
    assert [w.code for w in report.warnings] == ["legacy-section"]
    assert not report.valid  # the body changed, so the signature no longer covers it
