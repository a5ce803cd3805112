"""tests/contracts/mldsa_reference.py, the reference the Solidity ML-DSA libraries are tested
against, verifies ML-DSA-44 exactly as `cryptography` does: a full Verify built from its pieces
(decoding, ExpandA, SampleInBall, the NTT, UseHint, w1Encode) is only right if each piece is."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import mldsa

from tests.contracts import mldsa_reference as ref


@pytest.mark.parametrize("context_length", [0, 1, 255])
def test_the_reference_accepts_signatures_made_by_cryptography(context_length: int) -> None:
    key = mldsa.MLDSA44PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    message, context = os.urandom(33), os.urandom(context_length)
    signature = key.sign(message, context)
    assert ref.verify(public, message, signature, context)


def test_the_reference_rejects_what_cryptography_rejects() -> None:
    key = mldsa.MLDSA44PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    signature = key.sign(b"message", b"ctx")
    assert not ref.verify(public, b"messagf", signature, b"ctx")
    assert not ref.verify(public, b"message", signature, b"cty")
    for bit in (0, 8 * 32 + 5, 8 * 2000, 8 * 2400 + 1):
        mutated = bytearray(signature)
        mutated[bit // 8] ^= 1 << (bit % 8)
        expected = True
        try:
            mldsa.MLDSA44PublicKey.from_public_bytes(public).verify(
                bytes(mutated), b"message", b"ctx"
            )
        except InvalidSignature:
            expected = False
        assert ref.verify(public, b"message", bytes(mutated), b"ctx") is expected
