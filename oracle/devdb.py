"""A private PostgreSQL cluster on 127.0.0.1 for tests and benchmarks, never for production:
`initdb` into a temporary directory, served by `pg_ctl` on a free port with its own unix socket
directory, stopped and deleted at the end.

    with run_postgres() as cluster:
        url = cluster.create_database()   # postgresql://oracle:<password>@127.0.0.1:<port>/test_1
        ...
        cluster.drop_database(url)

Run as root, the server runs as the `postgres` system user (PostgreSQL refuses root), which then
owns the temporary directory. Every wait is bounded; a cluster that does not start raises
`PostgresUnavailable` with the end of the server's log. The tests' `postgres_cluster` and
`postgres_url` fixtures (tests/conftest.py, through tests/postgres.py) and benchmarks/chaos.py
use it.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from oracle.chain.devnode import free_port
from oracle.errors import StoreError

#: Where Debian (and the PGDG packages) install the server binaries, one directory per version.
DEBIAN_BINDIRS: Final = "/usr/lib/postgresql"
STARTUP_TIMEOUT: Final = 30
COMMAND_TIMEOUT: Final = 60.0
USER: Final = "oracle"
#: A throwaway cluster needs no durability: the tests run faster without fsync.
SERVER_SETTINGS: Final = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=100",
    # A zone far from UTC, with an odd offset: a timestamp read or compared as wall-clock time
    # instead of as an instant shows up at once.
    "timezone=Asia/Kathmandu",
)


class PostgresUnavailable(StoreError, RuntimeError):
    """The PostgreSQL binaries are missing, or the cluster did not start or stop."""


def find_bindir() -> Path | None:
    """The directory holding `initdb`, `pg_ctl` and `postgres` (the newest version), or None."""
    candidates = sorted(
        (path for path in Path(DEBIAN_BINDIRS).glob("*/bin") if path.name == "bin"),
        key=lambda path: _version_key(path.parent.name),
        reverse=True,
    )
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def unavailable_reason() -> str | None:
    """Why no cluster can start here (binaries or driver missing), or None when one can."""
    if find_bindir() is None:
        return (
            f"the PostgreSQL server binaries (initdb, pg_ctl) are not installed under "
            f"{DEBIAN_BINDIRS}/*/bin nor on PATH: apt-get install postgresql "
            "(scripts/test.sh does)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install -e '.[postgres]' -c constraints.txt"
    return None


@dataclass
class PostgresCluster:
    """A running cluster: a superuser `oracle` with a random password, reachable over TCP."""

    root: Path
    port: int
    password: str
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        """A `postgresql://` URL of `database` on this cluster, with the password."""
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database (test_1, test_2, ...); returns its URL."""
        name = f"test_{next(self._counter)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of `url`, ending any connection still open on it."""
        name = url.rsplit("/", 1)[1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as connection:
            connection.execute(statement.encode())


def _as_server_user(argv: Sequence[str]) -> list[str]:
    # PostgreSQL refuses to run as root: root hands the server to the `postgres` system user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return list(argv)


def _run(argv: Sequence[str], cwd: Path, timeout: float = COMMAND_TIMEOUT) -> str:
    try:
        done = subprocess.run(
            _as_server_user(argv),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        name = Path(argv[0]).name
        raise PostgresUnavailable(f"{name} did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise PostgresUnavailable(
            f"{Path(argv[0]).name} failed (exit {done.returncode}): " + " | ".join(output)
        )
    return done.stdout


def _log_tail(log: Path, lines: int = 8) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@contextmanager
def run_postgres() -> Iterator[PostgresCluster]:
    """Initialise, start and finally stop and delete a private cluster on 127.0.0.1.

    Raises:
        PostgresUnavailable: the binaries are missing, or the cluster failed to start.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(unavailable_reason() or "no PostgreSQL binaries")
    root = Path(tempfile.mkdtemp(prefix="pqoracle-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    password = secrets.token_hex(16)
    started = False
    try:
        sockets.mkdir()
        (root / "pwfile").write_text(password + "\n")
        if os.geteuid() == 0:
            for path in (root, sockets, root / "pwfile"):
                shutil.chown(path, "postgres", "postgres")
        os.chmod(root, 0o700)
        _run(
            [
                str(bindir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                USER,
                "--pwfile",
                str(root / "pwfile"),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=root,
        )
        port = free_port()
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={port}",
            f"-c unix_socket_directories={sockets}",
            *(f"-c {setting}" for setting in SERVER_SETTINGS),
        ]
        try:
            _run(
                [
                    str(bindir / "pg_ctl"),
                    "start",
                    "--pgdata",
                    str(data),
                    "--log",
                    str(log),
                    "--wait",
                    "--timeout",
                    str(STARTUP_TIMEOUT),
                    "--options",
                    " ".join(options),
                ],
                cwd=root,
                timeout=STARTUP_TIMEOUT + 10,
            )
        except PostgresUnavailable as err:
            raise PostgresUnavailable(
                f"PostgreSQL did not start on 127.0.0.1:{port}: {err}; log: {_log_tail(log)}"
            ) from None
        started = True
        yield PostgresCluster(root=root, port=port, password=password)
    finally:
        try:
            if started:
                _stop(bindir, data, root)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _stop(bindir: Path, data: Path, root: Path) -> None:
    stop = [str(bindir / "pg_ctl"), "stop", "--pgdata", str(data), "--wait", "--timeout", "30"]
    try:
        _run([*stop, "--mode", "fast"], cwd=root, timeout=40)
    except PostgresUnavailable:
        # Still up after a fast shutdown's wait: end it without the checkpoint.
        _run([*stop, "--mode", "immediate"], cwd=root, timeout=40)
