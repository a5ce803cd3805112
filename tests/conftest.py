"""Shared fixtures: the embedded chain and local Anvil/Ganache nodes (see tests/chains.py).

Tests that use `anvil` or `ganache` should carry `pytest.mark.integration`; both fixtures skip,
with the reason, when the node is not installed (`npm install` provides both).

`postgres_url` is a fresh database on a private PostgreSQL cluster (tests/postgres.py) that the
session starts on first use. A machine without PostgreSQL fails those tests with what to install;
set PQORACLE_SKIP_POSTGRES=1 to skip them instead (scripts/test.sh unsets it: CI runs them).
`store_url` runs a test once on a SQLite file and once on such a database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from oracle.chain import Chain, connect
from tests.chains import (
    LocalNode,
    anvil_unavailable,
    ganache_unavailable,
    run_anvil,
    run_ganache,
)
from tests.postgres import (
    SKIP_ENV,
    PostgresCluster,
    PostgresUnavailable,
    run_postgres,
    unavailable_reason,
)

# Brownie's suite needs .venv-brownie (web3 7): tests/contracts/test_brownie.py runs `brownie test`.
collect_ignore = ["brownie"]


@pytest.fixture
def embedded_chain() -> Chain:
    """A fresh in-process eth-tester chain, signing with its first pre-funded account."""
    return connect()


@pytest.fixture
def anvil() -> Iterator[LocalNode]:
    """A fresh Anvil (automine) on 127.0.0.1 with a funded key; stopped after the test."""
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        yield node


@pytest.fixture
def ganache() -> Iterator[LocalNode]:
    """A fresh Ganache (Shanghai, instamine) on 127.0.0.1 with a funded key; stopped after."""
    reason = ganache_unavailable()
    if reason:
        pytest.skip(reason)
    with run_ganache() as node:
        yield node


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster on 127.0.0.1 for the whole session; deleted at its end."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: PostgreSQL tests skipped")
    reason = unavailable_reason()
    if reason:
        pytest.fail(reason, pytrace=False)
    try:
        with run_postgres() as cluster:
            yield cluster
    except PostgresUnavailable as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A `postgresql://` URL of a new empty database, dropped after the test."""
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_url"))
