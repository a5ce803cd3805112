from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from oracle.api import create_app
from oracle.api.auth import LocalIssuer
from oracle.config import Settings
from oracle.store import Store


@pytest.fixture
def token_key(tmp_path: Path) -> Path:
    path = tmp_path / "token.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture
def settings(tmp_path: Path, token_key: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        api_jwt_private_key_file=token_key,
        api_batch_limit=4,
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings.database_url)
    yield opened
    opened.close()


@pytest.fixture
def issuer(settings: Settings) -> LocalIssuer:
    return LocalIssuer.from_settings(settings)


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(source: LocalIssuer, *scopes: str, ttl: int = 600, **changes: object) -> str:
    args: dict[str, object] = {
        "issuer": "pqoracle",
        "audience": "pqoracle-api",
        "subject": "tester",
        "scopes": scopes,
        "ttl": ttl,
    }
    args.update(changes)
    return source.issue(**args)  # type: ignore[arg-type]
