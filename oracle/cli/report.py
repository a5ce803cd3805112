"""`pqoracle report`: a signed transparency report (`.maml.md`) of the oracle's security figures.

Exit codes: 0 written, 2 bad input (one-line reason on stderr).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from oracle.errors import InputError


def _moment(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} must be an ISO 8601 time, got {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@click.command(name="report")
@click.option("--since", help="Start of the period, ISO 8601 (default: --until minus 7 days).")
@click.option("--until", "until_text", help="End of the period, ISO 8601 (default: now).")
@click.option(
    "--key",
    "-k",
    "key_file",
    help="Operator's ML-DSA private key PEM (env PQORACLE_SIGNING_KEY_FILE).",
)
@click.option("--password-file", help="File holding the key's password.")
@click.option("--database-url", help="SQLAlchemy URL of the daemon's store.")
@click.option(
    "--prometheus-url", help="Prometheus that scrapes the HTTP service (service-side figures)."
)
@click.option(
    "--audit-dir",
    default="audit",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory of signed audit reports (the newest gives the risk score).",
)
@click.option(
    "--out-dir",
    default="reports",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for transparency-<until day>.maml.md (-2, -3... when taken).",
)
def report_command(
    since: str | None,
    until_text: str | None,
    key_file: str | None,
    password_file: str | None,
    database_url: str | None,
    prometheus_url: str | None,
    audit_dir: Path,
    out_dir: Path,
) -> None:
    """Write a signed transparency report of the period; print its path."""
    from oracle.audit.runner import report_path, write_report
    from oracle.cli.keys import load_signing_key
    from oracle.config import load_settings
    from oracle.store import Store
    from oracle.transparency import collect, render

    settings = load_settings(database_url=database_url)
    until = _moment(until_text, "--until") or datetime.now(UTC)
    start = _moment(since, "--since") or until - timedelta(days=7)
    path_text = key_file or (
        None if settings.signing_key_file is None else str(settings.signing_key_file)
    )
    if path_text is None:
        raise InputError("give --key (or PQORACLE_SIGNING_KEY_FILE): the report is signed")
    key = load_signing_key(path_text, password_file)
    store = Store.open(settings.database_url)
    try:
        found = collect(store, start, until, prometheus_url=prometheus_url, audit_dir=audit_dir)
    finally:
        store.close()
    text = render(found, key)
    path = report_path(out_dir, f"transparency-{until.date().isoformat()}", force=False)
    write_report(path, text, force=False)
    click.echo(str(path))
