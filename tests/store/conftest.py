"""The store on each backend: a SQLite file and a fresh database on the session's PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from oracle.store import Store

VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store bound to chain 31337 and `VERIFIER`, on each backend."""
    opened = Store.open(store_url)
    opened.bind(31337, VERIFIER)
    yield opened
    opened.close()


def raw_engine(url: str) -> Engine:
    """A plain SQLAlchemy engine on a store's database, for tampering with it behind its back."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed)
