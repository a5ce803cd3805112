"""Key ids and commitments computed off-chain exactly as the contract computes them."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

import oracle.crypto
from oracle.chain import commitment, key_id
from oracle.errors import InputError

KEY_ID = bytes(range(32))


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 32)


def test_commitment_is_keccak_of_the_abi_encoding_of_the_four_fields() -> None:
    message, context, signature = b"ab", b"", b"\x01" * 33
    # abi.encode(bytes32, bytes, bytes, bytes): the key id, three offsets, then each tail.
    head = KEY_ID + _word(4 * 32) + _word(6 * 32) + _word(7 * 32)
    tails = (
        _word(len(message))
        + _padded(message)
        + _word(len(context))
        + _word(len(signature))
        + _padded(signature)
    )
    assert commitment(KEY_ID, message, context, signature) == keccak(head + tails)


def test_commitment_binds_every_field_and_where_one_ends() -> None:
    base = commitment(KEY_ID, b"ab", b"c", b"sig")
    variants = [
        commitment(bytes(32), b"ab", b"c", b"sig"),
        commitment(KEY_ID, b"ab!", b"c", b"sig"),
        commitment(KEY_ID, b"ab", b"d", b"sig"),
        commitment(KEY_ID, b"ab", b"c", b"sih"),
        commitment(KEY_ID, b"a", b"bc", b"sig"),  # same bytes, another split
        commitment(KEY_ID, b"ab", b"", b"csig"),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)


def test_commitment_accepts_bytearray_and_memoryview() -> None:
    expected = commitment(KEY_ID, b"m", b"c", b"s")
    assert commitment(bytearray(KEY_ID), memoryview(b"m"), bytearray(b"c"), b"s") == expected


@pytest.mark.parametrize("bad_key_id", [b"", bytes(31), bytes(33)])
def test_commitment_rejects_a_key_id_that_is_not_32_bytes(bad_key_id: bytes) -> None:
    with pytest.raises(InputError, match="key id must be 32 bytes"):
        commitment(bad_key_id, b"m", b"", b"s")


def test_commitment_rejects_text_where_bytes_are_expected() -> None:
    with pytest.raises(InputError, match="message must be bytes, got str"):
        commitment(KEY_ID, "hello", b"", b"s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="signature must be bytes"):
        commitment(KEY_ID, b"m", b"", None)  # type: ignore[arg-type]


def test_key_id_is_the_crypto_package_function() -> None:
    # One definition of the key id: the chain package re-exports the crypto package's.
    assert key_id is oracle.crypto.key_id
    public_key = bytes(1312)
    assert key_id(1, public_key) == keccak(b"\x01" + public_key)
