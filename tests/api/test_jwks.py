"""Tokens of an external identity provider, verified against its JWKS served on 127.0.0.1: RS256,
ES256 and EdDSA, rotation by `kid`, rate-limited refetches, and a provider that is down."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi.testclient import TestClient

from oracle.api import create_app
from oracle.api.auth import JwksKeySource
from oracle.config import Settings
from oracle.errors import ConfigError, TokenRefusedError
from oracle.store import Store
from tests.api.conftest import bearer

ISSUER, AUDIENCE = "https://idp.example", "pqoracle-api"


class Provider:
    """An identity provider: signing keys by `kid`, a JWKS document, tokens."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, Any]] = {}
        self.requests = 0

    def add(self, kid: str, algorithm: str) -> None:
        if algorithm == "RS256":
            private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            private = ed25519.Ed25519PrivateKey.generate()
        self.keys[kid] = (algorithm, private)

    def jwks(self) -> dict[str, object]:
        entries = []
        for kid, (algorithm, private) in self.keys.items():
            jwk = _public_jwk(algorithm, private)
            entries.append({**jwk, "kid": kid, "alg": algorithm, "use": "sig"})
        return {"keys": entries}

    def token(self, kid: str, *, scope: str = "admin", **claims: object) -> str:
        algorithm, private = self.keys[kid]
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "svc", "scope": scope, "iat": now}
        body.update({"nbf": now, "exp": now + 300, **claims})
        return jwt.encode(body, private, algorithm=algorithm, headers={"kid": kid})


def _public_jwk(algorithm: str, private: Any) -> dict[str, object]:
    algorithm_object = jwt.get_algorithm_by_name(algorithm)
    return json.loads(algorithm_object.to_jwk(private.public_key()))  # type: ignore[no-any-return]


@pytest.fixture
def provider() -> Iterator[tuple[Provider, str]]:
    idp = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            idp.requests += 1
            body = json.dumps(idp.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield idp, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def client(provider: tuple[Provider, str], tmp_path: Path) -> Iterator[TestClient]:
    _, url = provider
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        api_jwks_url=url,
        api_jwks_min_refetch=0,
        api_jwt_issuer=ISSUER,
        api_jwt_audience=AUDIENCE,
    )
    store = Store.open(settings.database_url)
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client
    store.close()


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_a_providers_token_of_each_algorithm_is_accepted(
    provider: tuple[Provider, str], client: TestClient, algorithm: str
) -> None:
    idp, _ = provider
    idp.add("k1", algorithm)
    response = client.get("/v1/events", headers=bearer(idp.token("k1")))
    assert response.status_code == 200, response.text


def test_a_rotated_key_is_fetched_on_its_first_token_and_the_retired_one_refused(
    provider: tuple[Provider, str], client: TestClient
) -> None:
    idp, _ = provider
    idp.add("old", "RS256")
    old_token = idp.token("old")
    assert client.get("/v1/events", headers=bearer(old_token)).status_code == 200
    idp.keys.clear()
    idp.add("new", "ES256")
    assert client.get("/v1/events", headers=bearer(idp.token("new"))).status_code == 200
    refused = client.get("/v1/events", headers=bearer(old_token))
    assert refused.status_code == 401
    assert refused.json()["error"]["reason"] == "unknown key id (kid)"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example"}, "the token is from another issuer"),
        ({"aud": "another-api"}, "the token is for another audience"),
        ({"exp": int(time.time()) - 3600}, "the token has expired"),
    ],
)
def test_a_providers_token_with_wrong_claims_is_refused_with_the_reason(
    provider: tuple[Provider, str], client: TestClient, claims: dict[str, object], reason: str
) -> None:
    idp, _ = provider
    idp.add("k1", "RS256")
    response = client.get("/v1/events", headers=bearer(idp.token("k1", **claims)))
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == reason


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(
    provider: tuple[Provider, str], client: TestClient
) -> None:
    idp, _ = provider
    idp.add("k1", "RS256")
    genuine = Provider()
    genuine.add("k1", "RS256")  # same kid, another key: a forger's
    response = client.get("/v1/events", headers=bearer(genuine.token("k1")))
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == "the token's signature does not verify"


def test_unknown_kids_refetch_at_most_once_per_interval(provider: tuple[Provider, str]) -> None:
    idp, url = provider
    idp.add("k1", "EdDSA")
    now = [1000.0]
    source = JwksKeySource(url, min_refetch=30, clock=lambda: now[0])
    assert source.key_for("k1").algorithm == "EdDSA"
    for made_up in ("x1", "x2", "x3"):
        with pytest.raises(TokenRefusedError, match="unknown key id"):
            source.key_for(made_up)
    # One fetch for k1; the made-up kids within 30 s fetched nothing more.
    assert source.fetches == 1
    assert idp.requests == 1
    now[0] += 31
    with pytest.raises(TokenRefusedError):
        source.key_for("x4")
    assert source.fetches == 2


def test_a_provider_that_is_down_keeps_the_keys_already_known(
    provider: tuple[Provider, str],
) -> None:
    idp, url = provider
    idp.add("k1", "ES256")
    source = JwksKeySource(url, min_refetch=0)
    assert source.key_for("k1").kid == "k1"
    down = JwksKeySource("http://127.0.0.1:9/jwks.json", min_refetch=0, timeout=1)
    with pytest.raises(TokenRefusedError, match="unknown key id"):
        down.key_for("k1")
    with pytest.raises(ConfigError, match="http"):
        JwksKeySource("file:///etc/passwd")
