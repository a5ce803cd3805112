from __future__ import annotations

from pathlib import Path

import pytest

from oracle.crypto import SigningKey, get_algorithm

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "audit"
VULNERABLE = DATA / "vulnerable"


@pytest.fixture(scope="session")
def operator_key() -> SigningKey:
    return SigningKey.generate(get_algorithm("ML-DSA-65"))


@pytest.fixture
def operator_files(tmp_path: Path, operator_key: SigningKey) -> tuple[Path, Path]:
    """The operator's private key PEM and public key PEM, written outside the repository."""
    private = tmp_path / "operator.pem"
    public = tmp_path / "operator.pem.pub"
    private.write_bytes(operator_key.to_pem())
    public.write_bytes(operator_key.public.to_pem())
    return private, public


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()
