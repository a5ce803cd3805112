"""The private PostgreSQL cluster (oracle/devdb.py, through tests/postgres.py): found, private,
and gone after."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from oracle import devdb
from tests.postgres import PostgresCluster, find_bindir, run_postgres, unavailable_reason


def _fake_bindir(root: Path, version: str, names: tuple[str, ...]) -> Path:
    bindir = root / version / "bin"
    bindir.mkdir(parents=True)
    for name in names:
        (bindir / name).write_text("")
    return bindir


def test_the_newest_complete_server_installation_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devdb, "DEBIAN_BINDIRS", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    _fake_bindir(tmp_path, "9.6", ("initdb", "pg_ctl", "postgres"))
    newest_complete = _fake_bindir(tmp_path, "13", ("initdb", "pg_ctl", "postgres"))
    _fake_bindir(tmp_path, "16", ("initdb", "pg_ctl"))
    assert find_bindir() == newest_complete


def test_without_the_server_binaries_the_reason_says_what_to_install_or_how_to_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devdb, "DEBIAN_BINDIRS", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_bindir() is None
    reason = unavailable_reason()
    assert reason is not None
    assert "apt-get install postgresql" in reason
    assert "PQORACLE_SKIP_POSTGRES=1" in reason


@pytest.mark.integration
def test_the_cluster_listens_on_loopback_only_with_a_private_socket_directory(
    postgres_cluster: PostgresCluster, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url, connect_timeout=10) as connection:
        settings = dict(
            connection.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'unix_socket_directories', 'port')"
            ).fetchall()
        )
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "port": str(postgres_cluster.port),
        "unix_socket_directories": str(postgres_cluster.root / "sockets"),
    }
    # The socket directory lies inside a directory only the server's user may enter.
    assert postgres_cluster.root.stat().st_mode & 0o077 == 0


@pytest.mark.integration
def test_a_dropped_database_is_gone(postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.create_database()
    with psycopg.connect(url, connect_timeout=10):
        pass
    postgres_cluster.drop_database(url)
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(url, connect_timeout=10)


@pytest.mark.integration
def test_a_cluster_is_stopped_and_deleted_when_its_block_ends(
    postgres_cluster: PostgresCluster,
) -> None:
    # postgres_cluster only makes this test skip or fail as the others do without PostgreSQL.
    with run_postgres() as cluster:
        root, port = cluster.root, cluster.port
        assert (root / "data" / "PG_VERSION").is_file()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    assert not root.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
