from __future__ import annotations

from collections.abc import Mapping

import pytest

from oracle import maml
from oracle.audit import (
    REPORT_TYPE,
    AuditResult,
    AuditSubject,
    Finding,
    Location,
    SlitherFindings,
    ToolVersions,
    build_report,
    parse_slither_json,
    summarise,
)
from oracle.crypto import SigningKey, get_algorithm
from tests.audit.conftest import fixture_bytes

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _result(fixture: str = "slither-findings.json", *, dirty: bool = False) -> AuditResult:
    findings = parse_slither_json(fixture_bytes(fixture), excluded_dirs=("contracts/test",))
    return AuditResult(
        subject=AuditSubject(
            contracts="contracts", commit=COMMIT, dirty=dirty, excluded_dirs=("contracts/test",)
        ),
        tools=ToolVersions(slither="0.11.6", solc="0.8.37+commit.f401782d", pqoracle="0.1.0"),
        findings=findings,
        summary=summarise(findings.findings),
        created_at="2026-11-24T10:00:00Z",
    )


def test_the_report_verifies_under_the_operator_key(operator_key: SigningKey) -> None:
    text = build_report(_result(), operator_key)
    report = maml.verify(text, [operator_key.public])
    assert report.valid
    assert [check.key_id for check in report.signatures] == [operator_key.key_id]


def test_the_report_does_not_verify_under_another_key(operator_key: SigningKey) -> None:
    other = SigningKey.generate(get_algorithm("ML-DSA-65"))
    assert not maml.verify(build_report(_result(), operator_key), [other.public]).valid


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("  score: 35\n", "  score: 5\n"),
        ("  passed: false\n", "  passed: true\n"),
        (f"  commit: {COMMIT}\n", f"  commit: {COMMIT[::-1]}\n"),
        ("| critical | 1 |", "| critical | 0 |"),
        ("| `reentrancy-eth` |", "| `reentrancy-benign` |"),
        ("### Excluded", "### Set aside"),
    ],
)
def test_tampering_with_the_report_breaks_its_signature(
    operator_key: SigningKey, before: str, after: str
) -> None:
    text = build_report(_result(), operator_key)
    assert text.count(before) == 1
    tampered = text.replace(before, after)
    assert not maml.verify(tampered, [operator_key.public]).valid


def test_the_front_matter_carries_commit_tools_score_and_counts(operator_key: SigningKey) -> None:
    doc = maml.parse(build_report(_result(), operator_key))
    assert doc.header.type == REPORT_TYPE
    audit = doc.front_matter["audit"]
    assert isinstance(audit, Mapping)
    assert audit["commit"] == COMMIT
    assert audit["dirty"] is False
    assert audit["score"] == 35
    assert audit["threshold"] == 10
    assert audit["passed"] is False
    assert dict(audit["counts"]) == {
        "critical": 1,
        "high": 2,
        "medium": 1,
        "low": 1,
        "informational": 2,
        "optimization": 1,
    }
    assert audit["excluded_findings"] == 4
    assert dict(audit["tools"]) == {
        "slither": "0.11.6",
        "solc": "0.8.37+commit.f401782d",
        "pqoracle": "0.1.0",
    }


def test_the_body_has_intent_context_and_the_findings_table(operator_key: SigningKey) -> None:
    doc = maml.parse(build_report(_result(), operator_key))
    assert [section.name for section in doc.sections] == ["Intent", "Context", "Content"]
    content = doc.section("Content")
    assert content is not None
    rows = [line for line in content.content.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == 8
    assert rows[0].startswith(
        "| 1 | critical | `suicidal` | High / High | `contracts/Vault.sol#33-35`"
    )
    assert "| **total** | 8 | | **35** |" in content.content
    assert "`incorrect-exp` x1" in content.content
    intent = doc.section("Intent")
    assert intent is not None
    assert COMMIT in intent.content
    assert "**failed**" in intent.content


def test_descriptions_stay_inside_their_table_cell(operator_key: SigningKey) -> None:
    doc = maml.parse(build_report(_result(), operator_key))
    content = doc.section("Content")
    assert content is not None
    lines = content.content.splitlines()
    table = lines[lines.index("### Findings") + 2 :]
    row = next(line for line in table if "`reentrancy-eth`" in line)
    # Slither's multi-line description is one line of the row, with its parts kept.
    assert "External calls:" in row
    assert "State variables written after the call(s):" in row
    assert row.count(" | ") == 5


def test_pipes_and_headings_in_a_description_cannot_break_the_document(
    operator_key: SigningKey,
) -> None:
    result = _result("slither-clean.json")
    nasty = Finding(
        check="x",
        impact="Medium",
        confidence="High",
        description="a | b\n## History\n```\nnot a fence\n",
        locations=(Location("contracts/A|B.sol", 1, 2),),
    )
    findings = SlitherFindings((nasty,), ())
    result = AuditResult(
        subject=result.subject,
        tools=result.tools,
        findings=findings,
        summary=summarise(findings.findings),
        created_at=result.created_at,
    )
    text = build_report(result, operator_key)
    doc = maml.parse(text)
    assert [section.name for section in doc.sections] == ["Intent", "Context", "Content"]
    assert doc.code_blocks == ()
    assert "a \\| b ## History ``` not a fence" in text
    assert maml.verify(text, [operator_key.public]).valid


def test_a_clean_run_says_no_findings_and_passes(operator_key: SigningKey) -> None:
    doc = maml.parse(build_report(_result("slither-clean.json"), operator_key))
    content = doc.section("Content")
    assert content is not None
    assert "No findings." in content.content
    assert doc.front_matter["audit"]["passed"] is True


def test_a_dirty_tree_is_stated(operator_key: SigningKey) -> None:
    doc = maml.parse(build_report(_result(dirty=True), operator_key))
    assert doc.front_matter["audit"]["dirty"] is True
    context = doc.section("Context")
    assert context is not None
    assert "uncommitted changes" in context.content


def test_a_report_from_a_saved_output_says_the_versions_are_unknown(
    operator_key: SigningKey,
) -> None:
    base = _result()
    result = AuditResult(
        subject=base.subject,
        tools=ToolVersions(slither=None, solc=None, pqoracle="0.1.0"),
        findings=base.findings,
        summary=base.summary,
        created_at=base.created_at,
        slither_source="file",
    )
    doc = maml.parse(build_report(result, operator_key))
    assert doc.front_matter["audit"]["tools"]["slither"] is None
    assert doc.front_matter["audit"]["slither_output"] == "file"


@pytest.mark.parametrize("commit", ["", "HEAD", COMMIT.upper(), COMMIT[:12]])
def test_a_commit_that_is_not_a_full_hash_is_refused(operator_key: SigningKey, commit: str) -> None:
    base = _result()
    result = AuditResult(
        subject=AuditSubject("contracts", commit, False, ()),
        tools=base.tools,
        findings=base.findings,
        summary=base.summary,
        created_at=base.created_at,
    )
    with pytest.raises(ValueError, match="full hex object name"):
        build_report(result, operator_key)
