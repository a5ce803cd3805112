"""`pqoracle events`: stored security events, filtered by time and type, as text or JSON."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from oracle.cli import main
from oracle.cli.events import parse_since
from oracle.errors import InputError
from oracle.security import SecurityEventType, Severity, record_event
from oracle.store import Store

VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'oracle.db'}"
    store = Store.open(url)
    store.bind(31337, VERIFIER)
    record_event(store, SecurityEventType.REORG, "blocks 8..11 were replaced", block_number=7)
    record_event(
        store,
        SecurityEventType.KEY_MISMATCH,
        "a KeyRegistered log carries a key that does not hash to its key id",
        key_id=b"\x01" * 32,
        tx_hash=b"\x02" * 32,
    )
    store.close()
    return url


def test_events_lists_every_stored_event_oldest_first(store_url: str) -> None:
    result = CliRunner().invoke(main, ["events", "--database-url", store_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert "reorg" in lines[0]
    assert "block=7" in lines[0]
    assert "key_mismatch" in lines[1]
    assert "critical" in lines[1]
    assert "key_id=0x" + "01" * 32 in lines[1]


def test_events_filters_by_type_and_prints_json(store_url: str) -> None:
    result = CliRunner().invoke(
        main, ["events", "--database-url", store_url, "--type", "key-mismatch", "--json"]
    )
    assert result.exit_code == 0, result.output
    [event] = json.loads(result.output)["events"]
    assert event["type"] == "key_mismatch"
    assert event["tx_hash"] == "0x" + "02" * 32
    assert event["request_id"] is None
    assert datetime.fromisoformat(event["time"]).tzinfo is not None


def test_events_since_a_time_after_them_lists_none(store_url: str) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    result = CliRunner().invoke(
        main, ["events", "--database-url", store_url, "--since", later, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"events": []}
    recent = CliRunner().invoke(
        main, ["events", "--database-url", store_url, "--since", "1h", "--json"]
    )
    assert len(json.loads(recent.output)["events"]) == 2


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--type", "nonsense"], "unknown event type 'nonsense'"),
        (["--since", "yesterday"], "neither an ISO-8601 time"),
    ],
)
def test_events_refuses_bad_input_in_one_line_with_exit_2(
    store_url: str, args: list[str], reason: str
) -> None:
    result = CliRunner().invoke(main, ["events", "--database-url", store_url, *args])
    assert result.exit_code == 2
    assert reason in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_events_on_a_missing_store_file_is_bad_input(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere.db'}"
    result = CliRunner().invoke(main, ["events", "--database-url", url])
    assert result.exit_code == 2
    assert "no store at" in result.output
    assert not (tmp_path / "nowhere.db").exists()


def test_parse_since_reads_durations_and_iso_times() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert parse_since("30m", now=now) == now - timedelta(minutes=30)
    assert parse_since("7d", now=now) == now - timedelta(days=7)
    assert parse_since("2026-11-30T08:00:00") == datetime(2026, 11, 30, 8, tzinfo=UTC)
    with pytest.raises(InputError):
        parse_since("-5m")


def test_record_event_logs_one_line_with_ids_and_no_payload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'oracle.db'}")
    with caplog.at_level(logging.INFO, logger="oracle.security"):
        stored = record_event(
            store,
            SecurityEventType.VERDICT_DISAGREEMENT,
            "the contract's final verdict differs",
            request_id=b"\x04" * 32,
        )
    assert stored.severity is Severity.CRITICAL
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.event == "verdict_disagreement"  # type: ignore[attr-defined]
    assert record.request_id == b"\x04" * 32  # type: ignore[attr-defined]
