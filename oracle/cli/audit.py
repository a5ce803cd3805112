"""`pqoracle audit`: Slither over the contracts, written up as a signed `.maml.md` report.

Exit codes: 0 risk score below the threshold, 1 at or above it (the report is still written and
signed), 2 bad input (no key, unreadable file, Slither not installed), 3 Slither failed.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from oracle.audit import DEFAULT_TIMEOUT, SEVERITIES, AuditOutcome, run_audit
from oracle.cli.keys import load_signing_key
from oracle.errors import ConfigError, InputError


def _summary_json(outcome: AuditOutcome) -> dict[str, object]:
    result = outcome.result
    return {
        "report": str(outcome.path),
        "passed": outcome.summary.passed,
        "score": outcome.summary.score,
        "threshold": outcome.summary.threshold,
        "counts": {name: outcome.summary.counts[name] for name in SEVERITIES},
        "findings": [
            {
                "severity": finding.severity,
                "check": finding.check,
                "impact": finding.impact,
                "confidence": finding.confidence,
                "locations": [str(location) for location in finding.locations],
            }
            for finding in result.findings.findings
        ],
        "excluded_findings": len(result.findings.excluded),
        "commit": result.subject.commit,
        "dirty": result.subject.dirty,
        "contracts": result.subject.contracts,
        "tools": {
            "slither": result.tools.slither,
            "solc": result.tools.solc,
            "pqoracle": result.tools.pqoracle,
        },
    }


def _print_text(outcome: AuditOutcome) -> None:
    summary = outcome.summary
    result = outcome.result
    click.echo(f"report   {outcome.path}")
    dirty = " (with uncommitted changes)" if result.subject.dirty else ""
    click.echo(f"commit   {result.subject.commit}{dirty}")
    counts = ", ".join(f"{summary.counts[name]} {name}" for name in SEVERITIES)
    click.echo(f"findings {counts}; {len(result.findings.excluded)} excluded")
    for finding in result.findings.findings:
        if finding.severity in ("critical", "high", "medium"):
            where = str(finding.locations[0]) if finding.locations else "-"
            click.echo(f"  {finding.severity:8} {finding.check} {where}")
    verdict = "pass" if summary.passed else "FAIL"
    click.echo(f"score    {summary.score} (fails at {summary.threshold}): {verdict}")


@click.command()
@click.option(
    "--key",
    "-k",
    "key_file",
    help="Operator ML-DSA private key PEM (default: the signing_key_file setting).",
)
@click.option("--password-file", help="File holding the key's password.")
@click.option(
    "--contracts",
    default="contracts",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory of the Solidity sources (its test/ subdirectory is not audited).",
)
@click.option(
    "--out-dir",
    default="audit",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for <YYYY-MM-DD>.maml.md (a -2, -3... suffix when the day's name is taken).",
)
@click.option(
    "--slither",
    "slither",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Slither executable; its directory must hold the solc wrapper "
    "(default: .venv-slither/bin/slither in the project root).",
)
@click.option(
    "--slither-json",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read this saved Slither JSON output instead of running Slither.",
)
@click.option(
    "--timeout",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=1, max=3600),
    help="Seconds Slither may run.",
)
@click.option("--force", is_flag=True, help="Replace the day's report instead of adding a suffix.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def audit(
    key_file: str | None,
    password_file: str | None,
    contracts: Path,
    out_dir: Path,
    slither: Path | None,
    slither_json: Path | None,
    timeout: float,
    force: bool,
    as_json: bool,
) -> None:
    """Run Slither over the contracts and write a signed audit report: exit 1 when score >= 10."""
    if key_file is None:
        # pydantic-settings costs a tenth of a second at startup: only this fallback needs it.
        from pydantic import ValidationError

        from oracle.config import Settings

        try:
            configured = Settings().signing_key_file
        except ValidationError as err:
            raise ConfigError(f"invalid PQORACLE_* setting: {err.error_count()} error(s)") from err
        if configured is None:
            raise InputError("no signing key: give --key or set PQORACLE_SIGNING_KEY_FILE")
        key_file = str(configured)
    key = load_signing_key(key_file, password_file)
    outcome = run_audit(
        key,
        contracts=contracts,
        out_dir=out_dir,
        slither=slither,
        slither_json=slither_json,
        timeout=timeout,
        force=force,
    )
    if as_json:
        click.echo(json.dumps(_summary_json(outcome), indent=2))
    else:
        _print_text(outcome)
    if not outcome.summary.passed:
        raise click.exceptions.Exit(1)
