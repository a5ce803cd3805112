"""`lint`: every finding with its line, code and severity."""

from __future__ import annotations

from oracle import maml
from oracle.crypto import SigningKey
from tests.maml.maml_helpers import DATA, MINIMAL_BODY, document, read


def _codes(findings: list[maml.Finding]) -> list[tuple[int, str, str]]:
    return [(f.line, f.code, f.severity) for f in findings]


def test_a_clean_signed_document_has_no_findings() -> None:
    assert maml.lint(read("signed.maml.md"), filename="signed.maml.md") == []


def test_an_unsigned_document_gets_a_note() -> None:
    assert _codes(maml.lint(document())) == [(2, "unsigned", "info")]


def test_every_legacy_shape_in_one_document_is_listed_as_an_error() -> None:
    text = (
        read("legacy/signature-label.maml.md").replace(
            'created_at: "2025-10-27T13:04:00Z"', "created_at: 2025-10-27T13:04:00Z"
        )
        + "\n## Code Blocks\nx\n"
    )
    assert _codes(maml.lint(text)) == [
        (2, "unsigned", "info"),
        (6, "legacy-timestamp", "error"),
        (9, "legacy-signature-label", "error"),
        (17, "legacy-section", "error"),
    ]


def test_an_error_lenient_reading_cannot_pass_ends_the_list() -> None:
    findings = maml.lint(document("a: &x 1\n"))
    assert _codes(findings) == [(7, "anchor", "error")]
    assert findings[0].column == 4


def test_advice_on_sections_fences_and_indented_headings() -> None:
    body = MINIMAL_BODY + "   ## Indented\n## Notes\nx\n```\nopen\n"
    assert _codes(maml.lint(document(body=body))) == [
        (2, "unsigned", "info"),
        (13, "indented-heading", "warning"),
        (14, "unknown-section", "warning"),
        (16, "unclosed-fence", "warning"),
    ]


def test_file_names_are_checked_when_given() -> None:
    legacy = DATA / "legacy" / "legacy-extension.maml.markdown"
    findings = maml.lint(legacy.read_bytes(), filename=str(legacy))
    assert _codes(findings)[0] == (1, "legacy-extension", "error")
    assert _codes(maml.lint(document(), filename="notes.md"))[0] == (1, "file-name", "warning")


def test_a_wrong_signature_context_is_an_error() -> None:
    text = read("signed.maml.md").replace("context: maml-v1", "context: other")
    assert (8, "signature-context", "error") in _codes(maml.lint(text))


def test_findings_print_as_line_severity_message_code() -> None:
    (finding,) = maml.lint(document("a: &x 1\n"))
    assert str(finding).startswith("7:4: error: YAML anchor &x refused")
    assert str(finding).endswith("[anchor]")


def test_history_entries_out_of_time_order_get_a_warning(alice: SigningKey) -> None:
    text = maml.sign(document(), alice)
    text = maml.append_history(text, "later", alice, timestamp="2026-11-24T12:00:00+02:00")
    text = maml.append_history(text, "earlier", alice, timestamp="2026-11-24T09:59:00Z")
    findings = maml.lint(text)
    assert [(f.code, f.severity) for f in findings] == [("history-order", "warning")]
    assert findings[0].line == maml.parse(text).history[1].line
