"""Every refusal the OpenAPI schema documents for a route is one the route really gives.

The generic refusals (token, scope, rate, body length and size, validation, no token key) are
produced here for every operation; the route-specific ones (400 bad input, 404 unknown, 409 a
contract refusal, 503 no keys or no node) by the route tests that this module names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oracle.api import create_app
from oracle.api.auth import LocalIssuer
from oracle.api.limits import body_limit
from oracle.config import Settings
from oracle.store import Store
from tests.api.conftest import bearer, issue

ALL_SCOPES = ("verify", "sign", "maml", "envelope", "requests", "admin")
UNSCOPED = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"}
#: Malformed query or path values for the operations that take them.
BAD_PARAMETERS = {
    "GET /v1/events": "/v1/events?limit=0",
    "GET /v1/keys": "/v1/keys?limit=0",
    "GET /v1/keys/{key_id}": "/v1/keys/0x12",
    "GET /v1/requests/{request_id}": "/v1/requests/0x12",
}
#: Where the route tests produce each route-specific refusal.
COVERED_ELSEWHERE = {
    400: "test_routes.py, test_envelope_routes.py, test_chain_routes.py",
    404: "test_chain_routes.py",
    409: "test_chain_routes.py::test_requests_the_contract_or_the_checks_refuse_...",
    503: "test_routes.py (no service keys), test_chain_routes.py (no node)",
}


def _operations(app: object) -> list[tuple[str, str, set[int]]]:
    schema = app.openapi()  # type: ignore[attr-defined]
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if path in UNSCOPED:
                continue
            codes = {int(code) for code in operation["responses"]}
            found.append((method.upper(), path, codes))
    return found


@pytest.fixture
def limited(settings: Settings, store: Store) -> Iterator[TestClient]:
    strict = settings.model_copy(update={"api_rate_per_minute": 1, "api_rate_burst": 1})
    with TestClient(create_app(strict, store=store)) as client:
        yield client


def _call(
    client: TestClient, method: str, path: str, headers: dict[str, str], **kwargs: object
) -> int:
    concrete = path.replace("{key_id}", "0x" + "00" * 32).replace("{request_id}", "0x" + "00" * 32)
    return client.request(method, concrete, headers=headers, **kwargs).status_code  # type: ignore[arg-type]


def test_every_documented_refusal_is_real(
    client: TestClient,
    limited: TestClient,
    issuer: LocalIssuer,
    tmp_path: Path,
) -> None:
    full = bearer(issue(issuer, *ALL_SCOPES))
    none = bearer(issue(issuer))
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path}/k.db"))) as keyless:
        operations = _operations(client.app)
        assert len(operations) >= 14
        for method, path, documented in operations:
            produced: dict[int, bool] = {}
            produced[_call(client, method, path, {})] = True
            produced[_call(client, method, path, none)] = True
            produced[_call(keyless, method, path, full)] = True
            # The first call spends the one-token bucket; the second is refused.
            _call(limited, method, path, full)
            produced[_call(limited, method, path, full)] = True
            if method == "POST":
                produced[_call(client, method, path, full, json={"unexpected": 1})] = True
                chunked = iter([b"{}"])
                produced[_call(client, method, path, full, content=chunked)] = True
                oversized = b" " * (body_limit(path) + 1)
                produced[_call(client, method, path, full, content=oversized)] = True
            elif f"{method} {path}" in BAD_PARAMETERS:
                produced[_call(client, method, BAD_PARAMETERS[f"{method} {path}"], full)] = True
            label = f"{method} {path}"
            generic = documented - {200, 201} - set(COVERED_ELSEWHERE)
            assert generic <= set(produced), f"{label}: documented, never produced: {generic}"
            undocumented = set(produced) - documented
            assert not undocumented, f"{label}: produced, not documented: {undocumented}"


def test_every_schema_default_satisfies_its_own_field(client: TestClient) -> None:
    """A client that sends the documented default gets it accepted: no `""` for `0x` hex."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    checked = 0
    for name, schema in schemas.items():
        for field, spec in schema.get("properties", {}).items():
            if "default" in spec and "pattern" in spec:
                assert re.fullmatch(spec["pattern"].strip("^$"), spec["default"]), (name, field)
                checked += 1
    assert checked >= 5
