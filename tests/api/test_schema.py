"""Schemathesis against the service's own OpenAPI schema: generated requests (valid and not) to
every operation, with a token that carries every scope and a verifier on Anvil behind the chain
routes; no 5xx, every answer's status code, content type and body as documented."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import schemathesis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from oracle.api import create_app
from oracle.api.auth import LocalIssuer
from oracle.config import Settings
from oracle.crypto import SigningKey
from oracle.crypto.kem import KemPrivateKey
from tests.chains import anvil_unavailable, deploy_with_roles, run_anvil

ALL_SCOPES = ("verify", "sign", "maml", "envelope", "requests", "admin")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    with ExitStack() as stack:
        yield from _service(stack, tmp_path_factory)


def _service(
    stack: ExitStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[object, str]]:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    root: Path = tmp_path_factory.mktemp("schema")
    token_key = root / "token.pem"
    token_key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    keys = root / "keys"
    keys.mkdir()
    (keys / "release.pem").write_bytes(SigningKey.generate("ML-DSA-44").to_pem())
    (keys / "inbox.pem").write_bytes(KemPrivateKey.generate().to_pem())
    node = stack.enter_context(run_anvil())
    verifier = deploy_with_roles(node.connect(poll_latency=0.01)).admin
    configured = Settings(
        rpc_url=node.rpc_url,
        verifier_address=verifier.address,
        private_key=SecretStr(node.private_key),
        database_url=f"sqlite:///{root / 'store.db'}",
        api_jwt_private_key_file=token_key,
        api_signing_keys_dir=keys,
        # Generated load must meet the routes, not the limiter.
        api_rate_per_minute=10_000_000,
        api_rate_burst=1_000_000,
    )
    token = LocalIssuer.from_settings(configured).issue(
        issuer=configured.api_jwt_issuer,
        audience=configured.api_jwt_audience,
        subject="schemathesis",
        scopes=ALL_SCOPES,
        ttl=3600,
    )
    app = create_app(configured)
    yield app, token
    app.state.store.close()


def _schema(app: object) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _labels() -> list[str]:
    """Every operation of the schema (built once at collection from a key-less app)."""
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(Settings(database_url=f"sqlite:///{scratch}/labels.db"))
        try:
            return sorted(result.ok().label for result in _schema(app).get_all_operations())
        finally:
            app.state.store.close()


@pytest.mark.integration
@pytest.mark.parametrize("label", _labels())
def test_no_route_answers_5xx_or_off_its_documented_shape(
    label: str, service: tuple[object, str]
) -> None:
    app, token = service
    operation = _schema(app).find_operation_by_label(label)
    assert operation is not None
    headers = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
