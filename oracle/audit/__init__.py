"""`pqoracle audit`: Slither's findings on the contracts, scored, as a signed `.maml.md` report.

`findings` (parse and score Slither's JSON) and `report` (the document) are pure; `runner` is the
I/O shell (Slither subprocess, git, files). The rules are in docs/audit.md.
"""

from __future__ import annotations

from oracle.audit.findings import (
    FAIL_THRESHOLD,
    RATINGS,
    SEVERITIES,
    WEIGHTS,
    Finding,
    Location,
    Rating,
    Severity,
    SlitherFindings,
    Summary,
    count_by_severity,
    is_excluded,
    parse_slither_json,
    risk_score,
    sort_findings,
    summarise,
)
from oracle.audit.report import (
    AUDIT_FIELD,
    REPORT_ORIGIN,
    REPORT_TYPE,
    AuditResult,
    AuditSubject,
    ToolVersions,
    build_report,
    report_body,
)
from oracle.audit.runner import (
    DEFAULT_SLITHER,
    DEFAULT_TIMEOUT,
    AuditOutcome,
    SlitherTool,
    contract_sources,
    find_slither,
    run_audit,
    run_slither,
    standard_json_input,
)

__all__ = [
    "AUDIT_FIELD",
    "DEFAULT_SLITHER",
    "DEFAULT_TIMEOUT",
    "FAIL_THRESHOLD",
    "RATINGS",
    "REPORT_ORIGIN",
    "REPORT_TYPE",
    "SEVERITIES",
    "WEIGHTS",
    "AuditOutcome",
    "AuditResult",
    "AuditSubject",
    "Finding",
    "Location",
    "Rating",
    "Severity",
    "SlitherFindings",
    "SlitherTool",
    "Summary",
    "ToolVersions",
    "build_report",
    "contract_sources",
    "count_by_severity",
    "find_slither",
    "is_excluded",
    "parse_slither_json",
    "report_body",
    "risk_score",
    "run_audit",
    "run_slither",
    "sort_findings",
    "standard_json_input",
    "summarise",
]
