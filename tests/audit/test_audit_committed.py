"""The audit reports committed under audit/ verify under the committed operator public key."""

from __future__ import annotations

from pathlib import Path

import pytest

from oracle import maml
from oracle.audit import REPORT_TYPE
from oracle.crypto import load_public_key
from tests.audit.conftest import REPO

AUDIT_DIR = REPO / "audit"
REPORTS = sorted(AUDIT_DIR.glob("*.maml.md"))


def test_only_the_public_operator_key_is_committed() -> None:
    for path in AUDIT_DIR.iterdir():
        assert b"PRIVATE KEY" not in path.read_bytes(), path


@pytest.mark.parametrize("report", REPORTS, ids=[path.name for path in REPORTS])
def test_a_committed_report_is_signed_by_the_operator(report: Path) -> None:
    operator = load_public_key((AUDIT_DIR / "operator.pub.pem").read_bytes())
    verdict = maml.verify(report.read_bytes(), [operator])
    assert verdict.valid
    doc = maml.parse(report.read_bytes())
    assert doc.header.type == REPORT_TYPE
    audit = doc.front_matter["audit"]
    assert len(str(audit["commit"])) in (40, 64)
    assert audit["passed"] is (audit["score"] < audit["threshold"])


def test_there_is_at_least_one_committed_report() -> None:
    assert REPORTS, "audit/ holds no report"
