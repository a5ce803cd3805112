"""Body-size limits per route (413, 411 without a length) and a rate limit per client (429 with
Retry-After, a security event)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oracle.api import create_app
from oracle.api.auth import LocalIssuer
from oracle.api.limits import RateLimiter, body_limit, retry_after
from oracle.config import Settings
from oracle.store import Store
from oracle.store.models import SecurityEventType
from tests.api.conftest import bearer, issue
from tests.api.test_routes import _item


@pytest.fixture
def limited(tmp_path: Path, token_key: Path) -> Iterator[tuple[TestClient, LocalIssuer, Store]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        api_jwt_private_key_file=token_key,
        api_rate_per_minute=1,
        api_rate_burst=2,
    )
    store = Store.open(settings.database_url)
    with TestClient(create_app(settings, store=store)) as client:
        yield client, LocalIssuer.from_settings(settings), store
    store.close()


def test_a_body_over_the_routes_limit_is_413_before_it_is_read(
    limited: tuple[TestClient, LocalIssuer, Store],
) -> None:
    client, issuer, _ = limited
    oversized = {"document": "x" * (body_limit("/v1/maml/verify") + 1), "public_keys": []}
    answer = client.post("/v1/maml/verify", json=oversized, headers=bearer(issue(issuer, "maml")))
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "body_too_large"


def test_a_body_without_a_length_is_411(limited: tuple[TestClient, LocalIssuer, Store]) -> None:
    client, issuer, _ = limited
    chunks = iter([b'{"algorithm": "ML-DSA-44"}'])
    answer = client.post(
        "/v1/verify",
        content=chunks,
        headers=bearer(issue(issuer, "verify")) | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 411
    assert answer.json()["error"]["code"] == "length_required"


def test_a_client_over_its_rate_is_429_with_retry_after_and_recorded(
    limited: tuple[TestClient, LocalIssuer, Store],
) -> None:
    client, issuer, store = limited
    headers = bearer(issue(issuer, "verify"))
    for _ in range(2):
        assert client.post("/v1/verify", json=_item(), headers=headers).status_code == 200
    answer = client.post("/v1/verify", json=_item(), headers=headers)
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "rate_limited"
    assert int(answer.headers["Retry-After"]) >= 1
    [event] = store.security_events(event_type=SecurityEventType.RATE_LIMITED)
    assert event.detail == "/v1/verify: client 'tester' over its rate limit"
    # Another client has its own bucket.
    other = bearer(issue(issuer, "verify", subject="another-client"))
    assert client.post("/v1/verify", json=_item(), headers=other).status_code == 200


def test_the_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0])
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.acquire("a") == 0
    assert retry_after(0.2) == "1"
    assert retry_after(2.5) == "3"


def test_a_request_unanswered_in_time_is_503_timeout_and_counted(
    settings: Settings, store: Store
) -> None:
    import asyncio

    app = create_app(settings.model_copy(update={"api_request_timeout": 0.2}), store=store)

    async def slow() -> dict[str, str]:
        await asyncio.sleep(5)
        return {"late": "yes"}

    app.add_api_route("/slow", slow)
    with TestClient(app) as client:
        answer = client.get("/slow")
        assert answer.status_code == 503
        assert answer.json()["error"] == {
            "code": "timeout",
            "reason": "no answer within 0.2 s; try again",
        }
        assert client.get("/healthz").status_code == 200
        assert 'route="/slow",status="503"' in client.get("/metrics").text
