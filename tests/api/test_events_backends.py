"""`GET /v1/events` over the store on each backend (a SQLite file and a PostgreSQL database):
the security events that refused tokens recorded, filtered by time, type and count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oracle.api.auth import LocalIssuer
from oracle.config import Settings
from tests.api.conftest import bearer, issue


@pytest.fixture
def settings(store_url: str, token_key: Path) -> Settings:
    """The API's settings with its store at `store_url` (each backend in turn)."""
    return Settings(database_url=store_url, api_jwt_private_key_file=token_key)


def test_events_recorded_by_refused_tokens_are_listed_and_filtered(
    client: TestClient, issuer: LocalIssuer
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    refused = (
        {},
        bearer("not-a-jwt"),
        bearer(issue(issuer, "verify", ttl=-120)),
    )
    for headers in refused:
        assert client.get("/v1/events", headers=headers).status_code == 401
    admin = bearer(issue(issuer, "admin"))
    answer = client.get("/v1/events", headers=admin)
    assert answer.status_code == 200
    events = answer.json()["events"]
    assert [e["type"] for e in events] == ["auth_refused"] * 3
    assert [e["severity"] for e in events] == ["warning"] * 3
    assert all(e["time"].endswith("Z") for e in events)
    assert "expired" in events[2]["detail"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)

    def listed(**params: str) -> list[int]:
        found = client.get("/v1/events", headers=admin, params=params)
        assert found.status_code == 200
        return [e["id"] for e in found.json()["events"]]

    assert listed(type="auth_refused", limit="2") == ids[:2]
    assert listed(type="reorg") == []
    nepal = timezone(timedelta(hours=5, minutes=45))
    assert listed(since=before.astimezone(nepal).isoformat()) == ids
    later = datetime.now(UTC) + timedelta(minutes=10)
    assert listed(since=later.astimezone(nepal).isoformat()) == []
    assert listed(since=later.replace(tzinfo=None).isoformat()) == []
