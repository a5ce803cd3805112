"""The signed `.maml.md` audit report: front matter, Markdown body, ML-DSA signature. Pure.

Everything about documents (YAML, canonical bytes, signatures) is `oracle.maml`'s; this module
only decides what an audit report says. The layout is in docs/audit.md.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from oracle import maml
from oracle.audit.findings import SEVERITIES, WEIGHTS, Finding, SlitherFindings, Summary
from oracle.maml.signing import PROFILE_VERSION

if TYPE_CHECKING:
    from oracle.crypto import SigningKey
    from oracle.maml.model import PlainJson

#: `type:` of an audit report.
REPORT_TYPE: Final = "audit_report"
#: `origin:` of an audit report: the command that writes it.
REPORT_ORIGIN: Final = "pqoracle:audit"
#: Front matter key holding the audit's own fields.
AUDIT_FIELD: Final = "audit"
#: Locations shown per finding in the table (the description names every place).
_MAX_LOCATIONS: Final = 3
_HEX_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ToolVersions:
    """Versions of what produced the findings; None when Slither was not run by this command."""

    slither: str | None
    solc: str | None
    pqoracle: str


@dataclass(frozen=True, slots=True)
class AuditSubject:
    """What was audited: the contracts directory and the commit it was checked out at."""

    #: Directory of the audited sources, relative to the project root (POSIX separators).
    contracts: str
    #: Full hash of the commit checked out (SHA-1 or SHA-256 object format).
    commit: str
    #: Whether the audited directory differed from that commit (changes or untracked files).
    dirty: bool
    #: Directories whose findings were set aside, relative to the project root.
    excluded_dirs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Everything a report states: subject, tools, findings, summary and time."""

    subject: AuditSubject
    tools: ToolVersions
    findings: SlitherFindings
    summary: Summary
    #: RFC 3339 UTC time of the run.
    created_at: str
    #: How Slither's output was obtained: "run" or "file" (read from `--slither-json`).
    slither_source: str = "run"


def _cell(text: str) -> str:
    """A Markdown table cell: one line, pipes escaped (no heading or fence can start in it)."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def _locations(finding: Finding) -> str:
    shown = [f"`{_cell(str(location))}`" for location in finding.locations[:_MAX_LOCATIONS]]
    extra = len(finding.locations) - _MAX_LOCATIONS
    if extra > 0:
        shown.append(f"+{extra} more")
    return ", ".join(shown) if shown else "-"


def _front_matter(result: AuditResult, doc_id: str) -> dict[str, PlainJson]:
    summary = result.summary
    counts: dict[str, PlainJson] = {name: summary.counts[name] for name in SEVERITIES}
    audit: dict[str, PlainJson] = {
        "commit": result.subject.commit,
        "dirty": result.subject.dirty,
        "contracts": result.subject.contracts,
        "excluded_dirs": list(result.subject.excluded_dirs),
        "score": summary.score,
        "threshold": summary.threshold,
        "passed": summary.passed,
        "counts": counts,
        "excluded_findings": len(result.findings.excluded),
        "slither_output": result.slither_source,
        "tools": {
            "slither": result.tools.slither,
            "solc": result.tools.solc,
            "pqoracle": result.tools.pqoracle,
        },
    }
    return {
        "maml_version": PROFILE_VERSION,
        "id": doc_id,
        "type": REPORT_TYPE,
        "origin": REPORT_ORIGIN,
        "created_at": result.created_at,
        AUDIT_FIELD: audit,
    }


def _intent(result: AuditResult) -> str:
    subject, summary = result.subject, result.summary
    verdict = "passed" if summary.passed else "failed"
    dirty = " plus uncommitted changes" if subject.dirty else ""
    return (
        f"Static analysis of the Solidity contracts in `{subject.contracts}/` at commit "
        f"`{subject.commit}`{dirty}: {len(result.findings.findings)} finding(s), risk score "
        f"{summary.score} (the audit fails at {summary.threshold} or more): **{verdict}**.\n"
    )


def _context(result: AuditResult) -> str:
    subject, tools = result.subject, result.tools
    excluded = ", ".join(f"`{name}/`" for name in ("node_modules", *subject.excluded_dirs))
    lines = [
        f"- Commit: `{subject.commit}`"
        + (
            " (the audited directory had uncommitted changes: the findings are for the working "
            "tree, not exactly this commit)."
            if subject.dirty
            else " (the audited directory matched it)."
        ),
    ]
    if result.slither_source == "run":
        lines.append(
            f"- Tools: Slither {tools.slither}, solc {tools.solc} (solcjs), pqoracle "
            f"{tools.pqoracle}. Slither compiled every `.sol` file under `{subject.contracts}/` "
            "with evmVersion shanghai and the remapping "
            "`@openzeppelin/=node_modules/@openzeppelin/`, and ran all its detectors."
        )
    else:
        lines.append(
            "- Tools: Slither's JSON output was read from a file, not produced by this run, so "
            f"the Slither and solc versions are not known here; pqoracle {tools.pqoracle}."
        )
    lines.extend(
        [
            f"- Excluded: findings whose every location is in {excluded} "
            f"({len(result.findings.excluded)} this time); a finding that touches the audited "
            "sources is kept even when it also points into a dependency.",
            "- Severity: Slither's impact (High, Medium, Low, Informational, Optimization); a "
            "High-impact finding Slither reports with High confidence is critical.",
            "- Risk score: (critical + high) x 10 + medium x 5; low, informational and "
            "optimization findings count 0.",
            "- Verify this report: `pqoracle maml verify <this file> --public-key "
            "<operator public key>` (docs/audit.md).",
        ]
    )
    return "\n".join(lines) + "\n"


def _summary_table(result: AuditResult) -> list[str]:
    counts = result.summary.counts
    rows = [
        "### Summary",
        "",
        "| Severity | Findings | Points each | Points |",
        "| --- | ---: | ---: | ---: |",
    ]
    for severity in SEVERITIES:
        weight = WEIGHTS.get(severity, 0)
        rows.append(f"| {severity} | {counts[severity]} | {weight} | {counts[severity] * weight} |")
    total = sum(counts.values())
    rows.append(f"| **total** | {total} | | **{result.summary.score}** |")
    return rows


def _findings_table(findings: tuple[Finding, ...]) -> list[str]:
    rows = ["### Findings", ""]
    if not findings:
        return [*rows, "No findings."]
    rows.extend(
        [
            "| # | Severity | Check | Impact / confidence | Location | Description |",
            "| ---: | --- | --- | --- | --- | --- |",
        ]
    )
    for number, finding in enumerate(findings, start=1):
        rows.append(
            f"| {number} | {finding.severity} | `{finding.check}` | "
            f"{finding.impact} / {finding.confidence} | {_locations(finding)} | "
            f"{_cell(finding.description)} |"
        )
    return rows


def _excluded_note(findings: tuple[Finding, ...]) -> list[str]:
    if not findings:
        return []
    by_check = Counter(finding.check for finding in findings)
    listed = ", ".join(f"`{check}` x{count}" for check, count in sorted(by_check.items()))
    return [
        "",
        "### Excluded",
        "",
        f"{len(findings)} finding(s) outside the audited sources: {listed}.",
    ]


def report_body(result: AuditResult) -> str:
    """The Markdown body: `## Intent`, `## Context` and `## Content` with the findings table."""
    content = [
        *_summary_table(result),
        "",
        *_findings_table(result.findings.findings),
        *_excluded_note(result.findings.excluded),
    ]
    return (
        f"## Intent\n{_intent(result)}\n"
        f"## Context\n{_context(result)}\n"
        "## Content\n" + "\n".join(content) + "\n"
    )


def build_report(result: AuditResult, signing_key: SigningKey, *, doc_id: str | None = None) -> str:
    """The signed report document (one ML-DSA signature by `signing_key`).

    Raises:
        ValueError: the commit is not a full lowercase hex object name.
        MamlDocumentError: the report would not be a valid document (e.g. over the size limit).
    """
    if not _HEX_COMMIT.fullmatch(result.subject.commit):
        raise ValueError(f"commit {result.subject.commit!r} is not a full hex object name")
    identifier = doc_id if doc_id is not None else f"urn:uuid:{uuid.uuid4()}"
    text = maml.render(_front_matter(result, identifier), report_body(result))
    return maml.sign(maml.parse(text), signing_key)
