"""The store on each backend (`store_url` in tests/conftest.py): a SQLite file and a fresh
database on the session's PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from oracle.store import Store

VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


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
