"""The one ASGI middleware: every answer is counted and timed by route, refusals included."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oracle.api.auth import LocalIssuer
from oracle.api.limits import body_limit
from tests.api.conftest import bearer, issue


def _sample(text: str, name: str, labels: str) -> float:
    prefix = f"{name}{{{labels}}} "
    (line,) = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(line.removeprefix(prefix))


def test_answers_are_counted_by_route_template_and_status(
    client: TestClient, issuer: LocalIssuer
) -> None:
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/nowhere").status_code == 404
    oversized = b"x" * (body_limit("/v1/verify") + 1)
    headers = bearer(issue(issuer, "verify"))
    refused = client.post("/v1/verify", content=oversized, headers=headers)
    assert refused.status_code == 413
    text = client.get("/metrics").text
    requests = "pqoracle_api_requests_total"
    assert _sample(text, requests, 'method="GET",route="/healthz",status="200"') == 3
    assert _sample(text, requests, 'method="GET",route="unmatched",status="404"') == 1
    # Refused from its header, before any route saw it.
    assert _sample(text, requests, 'method="POST",route="unmatched",status="413"') == 1
    assert _sample(text, "pqoracle_api_request_seconds_count", 'route="/healthz"') == 3
