"""`pqoracle store current|upgrade`: the store's schema revision, and its migration on demand
(the daemon and every command that opens the store also migrate it)."""

from __future__ import annotations

import click


@click.group("store")
def store_group() -> None:
    """The daemon's store: its schema revision and migrations."""


@store_group.command("current")
@click.option("--database-url", help="SQLAlchemy URL of the store (env PQORACLE_DATABASE_URL).")
def current(database_url: str | None) -> None:
    """Print the store's schema revision (without migrating it) and the newest one known."""
    from oracle.cli.events import _check_sqlite_file
    from oracle.config import load_settings
    from oracle.store.store import schema_status

    settings = load_settings(database_url=database_url)
    _check_sqlite_file(settings.database_url)
    revision, head = schema_status(settings.database_url)
    state = "up to date" if revision == head else f"behind {head}: `pqoracle store upgrade`"
    if revision is None:
        state = f"no migration history; `pqoracle store upgrade` brings it to {head}"
    click.echo(f"{revision or 'none'} ({state})")


@store_group.command("upgrade")
@click.option("--database-url", help="SQLAlchemy URL of the store (env PQORACLE_DATABASE_URL).")
def upgrade(database_url: str | None) -> None:
    """Migrate the store to the newest schema revision (creating it if the database is empty)."""
    from oracle.config import load_settings
    from oracle.store import Store
    from oracle.store.store import schema_status

    settings = load_settings(database_url=database_url)
    before, _ = schema_status(settings.database_url)
    store = Store.open(settings.database_url)
    try:
        after = store.schema_revision()
    finally:
        store.close()
    click.echo(f"{before or 'none'} -> {after}")
