"""The store's schema revisions: Alembic migrations run from `Store.open`, no alembic.ini needed.

A store created before migrations existed (schema 3 by `create_all`: `meta.schema_version` 3 and
no `alembic_version` table) is stamped with the first revision and upgraded in place. A store at a
revision this code does not know (written by a newer pqoracle) is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from oracle.errors import StoreError

logger = logging.getLogger(__name__)

_MIGRATIONS: Final = Path(__file__).with_name("migrations")
#: The revision that is exactly the schema `create_all` made before migrations (schema 3).
BASELINE: Final = "0001_schema_3"
#: `meta.schema_version` of a store created before migrations.
BASELINE_SCHEMA_VERSION: Final = 3


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic logs two INFO lines on every open; the store says what changed itself."""
    alembic_logger = logging.getLogger("alembic")
    level = alembic_logger.level
    alembic_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_logger.setLevel(level)


def head() -> str:
    """The newest revision this code knows."""
    revision = _script().get_current_head()
    assert revision is not None  # the package ships its revisions
    return revision


def current(connection: Connection) -> str | None:
    """The revision the database at `connection` is at (None: none recorded)."""
    with _quiet_alembic():
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> tuple[str | None, str]:
    """Bring the database at `connection` to the newest revision, inside the connection's
    transaction; return (revision before, revision after).

    Raises:
        StoreError: the database was written by a newer pqoracle (a revision this code does not
            know), or holds a pre-migration schema other than version 3.
    """
    config = _config(connection)
    before = current(connection)
    if before is None and inspect(connection).has_table("meta"):
        version = connection.scalar(text("SELECT schema_version FROM meta WHERE id = 1"))
        if version is not None and version != BASELINE_SCHEMA_VERSION:
            raise StoreError(
                f"the store has schema version {version} and no migration history; this version "
                f"of pqoracle upgrades version {BASELINE_SCHEMA_VERSION}: use a new database"
            )
        with _quiet_alembic():
            command.stamp(config, BASELINE)
        before = BASELINE
    known = {script.revision for script in _script().walk_revisions()}
    if before is not None and before not in known:
        raise StoreError(
            f"the store is at schema revision {before}, which this version of pqoracle does not "
            f"know (its newest is {head()}): a newer pqoracle wrote it; upgrade pqoracle"
        )
    with _quiet_alembic():
        command.upgrade(config, "head")
    after = head()
    if before is not None and before != after:
        logger.info("store schema upgraded", extra={"from": before, "to": after})
    return before, after
