"""`lint`: every finding the profile has on a document, not only the first error."""

from __future__ import annotations

from datetime import datetime

from oracle.maml import _markdown
from oracle.maml._policy import Policy
from oracle.maml.canonical import DOCUMENT_CONTEXT
from oracle.maml.errors import MamlDocumentError, MamlFileNameError
from oracle.maml.model import Finding, MamlDocument
from oracle.maml.parser import KNOWN_SECTIONS, check_filename, parse_with


def _error(err: MamlDocumentError) -> Finding:
    return Finding(err.line or 1, err.column, err.code, err.reason, "error")


def _advice(doc: MamlDocument) -> list[Finding]:
    """Warnings and notes on a document that parses: valid, but probably not what was meant."""
    found: list[Finding] = []
    for section in doc.sections:
        if section.name not in KNOWN_SECTIONS:
            found.append(
                Finding(
                    section.heading_line,
                    1,
                    "unknown-section",
                    f"section '## {section.name}' is not one the profile defines; it is carried "
                    "and signed like the others",
                    "warning",
                )
            )
    for block in doc.code_blocks:
        if not block.closed:
            found.append(
                Finding(
                    block.line,
                    1,
                    "unclosed-fence",
                    "code fence is never closed: it runs to the end of the document",
                    "warning",
                )
            )
    if not doc.is_encrypted:
        for line in _markdown.scan(doc.body, doc.body_line).indented_headings:
            found.append(
                Finding(
                    line,
                    1,
                    "indented-heading",
                    "indented '##' line is not a section heading (headings start in column 1)",
                    "warning",
                )
            )
    for entry in doc.signatures:
        if entry.context != DOCUMENT_CONTEXT:
            found.append(
                Finding(
                    entry.line,
                    None,
                    "signature-context",
                    f"signature context is {entry.context!r}; the profile's is "
                    f"{DOCUMENT_CONTEXT!r}, so it never verifies",
                    "error",
                )
            )
    if not doc.signatures:
        found.append(Finding(2, None, "unsigned", "the document carries no signature", "info"))
    if doc.header.created_at is None:
        found.append(Finding(2, None, "no-created-at", "no created_at field", "info"))
    previous: datetime | None = None
    for item in doc.history:
        try:
            when = datetime.fromisoformat(item.timestamp)
        except ValueError:  # a leap second (":60") is RFC 3339 but not a datetime
            continue
        if previous is not None and when < previous:
            found.append(
                Finding(
                    item.line,
                    3,
                    "history-order",
                    f"history time {item.timestamp} is earlier than the entry before it",
                    "warning",
                )
            )
        previous = when
    return found


def lint(text: str | bytes, *, filename: str | None = None) -> list[Finding]:
    """Findings on a document, sorted by line: errors are what strict parsing rejects.

    Legacy shapes that strict mode rejects are all listed (lenient reading continues past them);
    an error lenient mode cannot read past either ends the list.
    """
    findings: list[Finding] = []
    if filename is not None:
        try:
            check_filename(filename, lenient=False)
        except MamlFileNameError as err:
            findings.append(Finding(1, None, err.code, err.reason, "warning"))
        except MamlDocumentError as err:
            findings.append(_error(err))
    policy = Policy(lenient=True)
    try:
        doc = parse_with(text, policy)
    except MamlDocumentError as err:
        doc = None
        findings.append(_error(err))
    findings.extend(
        Finding(item.line, item.column, item.code, item.message, "error")
        for item in policy.findings
    )
    if doc is not None:
        findings.extend(_advice(doc))
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (f.line, f.column or 0, order[f.severity]))
