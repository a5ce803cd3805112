"""`pqoracle events`: the security events the daemon stored (lies, reorgs, disagreements)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import click

from oracle.errors import InputError

_DURATION: Final = re.compile(r"^(\d+)([smhd])$")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """An ISO-8601 time (UTC unless it says otherwise) or a duration back from now ("24h").

    Raises:
        InputError: neither form.
    """
    match = _DURATION.match(text.strip())
    if match:
        amount, unit = match.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--since {text!r} is neither an ISO-8601 time (2026-11-30T08:00:00Z) nor a "
            "duration such as 30m, 24h or 7d"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _check_sqlite_file(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return  # Store.open reports a malformed URL in one line
    database = parsed.database
    on_disk = parsed.get_backend_name() == "sqlite" and database and database != ":memory:"
    if on_disk and not Path(str(database)).is_file():
        raise InputError(f"no store at {database}: give the daemon's --database-url")


@click.command()
@click.option("--database-url", help="SQLAlchemy URL of the store (env PQORACLE_DATABASE_URL).")
@click.option("--since", help="Only events from this time: ISO-8601, or a duration (30m, 24h).")
@click.option("--type", "event_type", help="Only events of this type (e.g. reorg, key_mismatch).")
@click.option(
    "--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True, help="At most."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def events(
    database_url: str | None,
    since: str | None,
    event_type: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the security events the daemon stored, oldest first."""
    from oracle.config import load_settings
    from oracle.security import event_as_json
    from oracle.store import Store
    from oracle.store.models import SecurityEventType

    kind: SecurityEventType | None = None
    if event_type is not None:
        try:
            kind = SecurityEventType(event_type.strip().lower().replace("-", "_"))
        except ValueError:
            known = ", ".join(t.value for t in SecurityEventType)
            raise InputError(f"unknown event type {event_type!r}; types: {known}") from None
    after = parse_since(since) if since is not None else None
    settings = load_settings(database_url=database_url)
    _check_sqlite_file(settings.database_url)
    store = Store.open(settings.database_url)
    try:
        found = store.security_events(since=after, event_type=kind, limit=limit)
    finally:
        store.close()
    rows = [event_as_json(event) for event in found]
    if as_json:
        click.echo(json.dumps({"events": rows}))
        return
    for row in rows:
        refs = " ".join(
            f"{name}={row[name]}"
            for name in ("request_id", "block", "tx_hash", "key_id")
            if row[name] is not None
        )
        line = f"{row['time']}  {row['severity']:8}  {row['type']:22}  {row['detail']}"
        click.echo(line + (f"  [{refs}]" if refs else ""))
    if not rows:
        click.echo("no security events", err=True)
