"""Fixtures for the `.maml.md` tests: the committed vectors and their test-only keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from oracle.crypto import SigningKey
from oracle.crypto.kem import KemPrivateKey
from oracle.maml import _yaml
from tests.maml.maml_helpers import DATA


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    """tests/data/maml/vectors.json."""
    data: dict[str, Any] = json.loads((DATA / "vectors.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def signers(manifest: dict[str, Any]) -> dict[str, SigningKey]:
    """The TEST-ONLY signing keys of the vectors (public seeds), by name."""
    return {
        name: SigningKey.from_seed(entry["algorithm"], bytes.fromhex(entry["seed_hex"]))
        for name, entry in manifest["test_only_keys"]["signers"].items()
    }


@pytest.fixture(scope="session")
def recipient(manifest: dict[str, Any]) -> KemPrivateKey:
    """The TEST-ONLY ML-KEM-768 recipient key of the vectors."""
    seed = bytes.fromhex(manifest["test_only_keys"]["recipient"]["seed_hex"])
    return KemPrivateKey.from_seed(seed)


@pytest.fixture(scope="session")
def alice(signers: dict[str, SigningKey]) -> SigningKey:
    """ML-DSA-65 test key."""
    return signers["alice"]


@pytest.fixture(scope="session")
def bob(signers: dict[str, SigningKey]) -> SigningKey:
    """ML-DSA-44 test key."""
    return signers["bob"]


@pytest.fixture(scope="session")
def carol(signers: dict[str, SigningKey]) -> SigningKey:
    """ML-DSA-87 test key."""
    return signers["carol"]


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with libyaml's parser and emitter, then again with PyYAML's pure-Python ones
    (what a PyYAML built without libyaml uses): the profile's rules hold on both paths."""
    if request.param == "libyaml":
        if not _yaml.LIBYAML:
            pytest.skip("this PyYAML was built without libyaml")
        assert _yaml._EventLoader is yaml.CSafeLoader
    else:
        monkeypatch.setattr(_yaml, "_EventLoader", yaml.SafeLoader)
        monkeypatch.setattr(_yaml, "_Dumper", _yaml._PureDumper)
    name: str = request.param
    return name
