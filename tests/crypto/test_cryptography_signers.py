"""The cryptography backend expands a seed once per key, for as long as the key lives."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from oracle.crypto import Algorithm, SigningKey, verify
from oracle.crypto.backends import PrivateKeyMaterial
from oracle.crypto.backends import cryptography as backend_module

SEED = bytes(range(32))  # test-only seed


def test_a_key_expands_its_seed_once_however_often_it_signs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = SigningKey.from_seed("ML-DSA-65", SEED, backend="cryptography")
    expansions: list[str] = []
    real = backend_module.CryptographyBackend._private

    def counting(
        self: backend_module.CryptographyBackend, algorithm: Algorithm, seed: bytes
    ) -> Any:
        expansions.append(algorithm.name)
        return real(self, algorithm, seed)

    monkeypatch.setattr(backend_module.CryptographyBackend, "_private", counting)
    signatures = [key.sign(b"message", b"ctx") for _ in range(3)]
    assert expansions == ["ML-DSA-65"]
    assert all(verify("ML-DSA-65", key.public_key, b"message", sig, b"ctx") for sig in signatures)


def test_one_seed_signs_under_each_parameter_set_with_that_set() -> None:
    small = SigningKey.from_seed("ML-DSA-44", SEED, backend="cryptography")
    large = SigningKey.from_seed("ML-DSA-87", SEED, backend="cryptography")
    for key in (small, large, small, large):
        signature = key.sign(b"m")
        assert len(signature) == key.algorithm.signature_size
        assert verify(key.algorithm, key.public_key, b"m", signature)


def test_an_expanded_key_is_dropped_with_its_signing_key() -> None:
    seed = bytes(31) + b"\x07"  # used by no other test: no other key holds this material
    key = SigningKey.from_seed("ML-DSA-65", seed, backend="cryptography")
    key.sign(b"m")
    material = PrivateKeyMaterial("seed", seed)
    assert material in backend_module._SIGNERS
    del key
    gc.collect()
    assert material not in backend_module._SIGNERS
