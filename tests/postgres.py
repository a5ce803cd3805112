"""The tests' private PostgreSQL cluster: `oracle.devdb` (initdb into a temporary directory,
pg_ctl on 127.0.0.1, deleted at the end), plus the switch that skips the PostgreSQL tests.

    with run_postgres() as cluster:
        url = cluster.create_database()   # postgresql://oracle:<password>@127.0.0.1:<port>/test_1

The `postgres_cluster` and `postgres_url` fixtures in tests/conftest.py wrap this module.
"""

from __future__ import annotations

from typing import Final

from oracle import devdb
from oracle.devdb import PostgresCluster, PostgresUnavailable, find_bindir, run_postgres

__all__ = [
    "SKIP_ENV",
    "PostgresCluster",
    "PostgresUnavailable",
    "find_bindir",
    "run_postgres",
    "unavailable_reason",
]

#: Set to 1 to skip the PostgreSQL tests on a machine without PostgreSQL (never set in CI).
SKIP_ENV: Final = "PQORACLE_SKIP_POSTGRES"


def unavailable_reason() -> str | None:
    """Why no cluster can start here, with how to skip the tests instead, or None."""
    reason = devdb.unavailable_reason()
    if reason is None:
        return None
    return f"{reason}, or set {SKIP_ENV}=1 to skip the PostgreSQL tests"
