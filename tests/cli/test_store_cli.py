"""`pqoracle store current|upgrade`: a store's schema revision read without migrating it, and its
migration on demand; a store from a newer pqoracle is refused in one line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from oracle.cli import main
from oracle.store import Store, schema
from tests.store.conftest import raw_engine
from tests.store.test_migrations import _populate_schema_3


def test_current_reads_a_schema_3_store_without_migrating_it_and_upgrade_migrates_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _populate_schema_3(url)
    runner = CliRunner()
    before = runner.invoke(main, ["store", "current", "--database-url", url])
    assert before.exit_code == 0, before.output
    assert before.output.startswith("none (no migration history")
    upgraded = runner.invoke(main, ["store", "upgrade", "--database-url", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.strip() == f"none -> {schema.head()}"
    after = runner.invoke(main, ["store", "current", "--database-url", url])
    assert after.output.strip() == f"{schema.head()} (up to date)"


def test_current_refuses_a_missing_sqlite_file_instead_of_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"
    result = CliRunner().invoke(
        main, ["store", "current", "--database-url", f"sqlite:///{missing}"]
    )
    assert result.exit_code == 2
    assert "no store at" in result.output
    assert not missing.exists()


def test_upgrade_refuses_a_store_from_a_newer_pqoracle_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Store.open(url).close()
    engine = raw_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    result = CliRunner().invoke(main, ["store", "upgrade", "--database-url", url])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "0099_future" in lines[0]
    assert "upgrade pqoracle" in lines[0]
