"""`pqoracle run` reports a store it cannot use in one line, before it contacts any node."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from oracle.cli import main

VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_a_postgres_url_without_its_driver_is_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes the import fail as if psycopg were not installed.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--rpc-url",
            "http://127.0.0.1:9",
            "--verifier",
            VERIFIER,
            "--database-url",
            "postgresql://oracle:hunter2@127.0.0.1:5432/oracle",
        ],
    )
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "pip install 'pq-signature-oracle[postgres]'" in lines[0]
    assert "hunter2" not in result.output


def test_the_events_command_names_the_missing_driver_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = CliRunner().invoke(
        main, ["events", "--database-url", "postgresql://oracle:hunter2@127.0.0.1/oracle"]
    )
    assert result.exit_code == 2
    assert "[postgres]" in result.output
    assert "hunter2" not in result.output
