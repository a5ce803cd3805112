from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from oracle.crypto import ALGORITHMS, MAX_CONTEXT_LENGTH, get_algorithm, key_id, verify
from oracle.errors import (
    ContextTooLongError,
    CryptoError,
    InputError,
    InvalidKeyError,
    UnknownAlgorithmError,
)

FIPS_204_SIZES = {
    "ML-DSA-44": (1, 1312, 2420, 2560),
    "ML-DSA-65": (2, 1952, 3309, 4032),
    "ML-DSA-87": (3, 2592, 4627, 4896),
}


@pytest.mark.parametrize("name", sorted(FIPS_204_SIZES))
def test_registry_holds_fips_204_sizes_and_contract_ids(name: str) -> None:
    algorithm = get_algorithm(name)
    assert (
        algorithm.id,
        algorithm.public_key_size,
        algorithm.signature_size,
        algorithm.private_key_size,
    ) == FIPS_204_SIZES[name]


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("ML-DSA-65", "ML-DSA-65"),
        ("ml-dsa-65", "ML-DSA-65"),
        ("mldsa65", "ML-DSA-65"),
        ("ML_DSA_87", "ML-DSA-87"),
        (1, "ML-DSA-44"),
        ("2.16.840.1.101.3.4.3.19", "ML-DSA-87"),
    ],
)
def test_algorithm_is_found_by_any_common_spelling_id_or_oid(
    spelling: str | int, expected: str
) -> None:
    assert get_algorithm(spelling).name == expected


@pytest.mark.parametrize(
    ("round3", "successor"),
    [
        ("Dilithium2", "ML-DSA-44"),
        ("dilithium3", "ML-DSA-65"),
        ("CRYSTALS-Dilithium5", "ML-DSA-87"),
    ],
)
def test_round3_dilithium_names_are_refused_with_an_explanation(
    round3: str, successor: str
) -> None:
    with pytest.raises(UnknownAlgorithmError, match="round-3") as raised:
        get_algorithm(round3)
    assert successor in str(raised.value)
    assert "not interchangeable" in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_unknown_algorithm_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownAlgorithmError, match="Did you mean 'ML-DSA-65'"):
        get_algorithm("ML-DSA-66")


@pytest.mark.parametrize("bad", [0, 4, -1, True, None, 2.0, "RSA"])
def test_unknown_ids_and_types_are_refused(bad: object) -> None:
    with pytest.raises(UnknownAlgorithmError):
        get_algorithm(bad)  # type: ignore[arg-type]


def test_key_id_is_keccak_of_the_contract_algorithm_id_and_the_key() -> None:
    for algorithm in ALGORITHMS:
        public_key = bytes(range(256)) * (algorithm.public_key_size // 256) + bytes(
            algorithm.public_key_size % 256
        )
        assert key_id(algorithm.name, public_key) == keccak(bytes([algorithm.id]) + public_key)


def test_key_id_refuses_a_key_of_the_wrong_length() -> None:
    with pytest.raises(InvalidKeyError, match="1312 bytes, got 1311"):
        key_id("ML-DSA-44", b"\x01" * 1311)


def test_verify_returns_false_for_a_signature_of_the_wrong_length() -> None:
    assert verify("ML-DSA-44", b"\x00" * 1312, b"m", b"\x00" * 2419) is False
    assert verify("ML-DSA-44", b"\x00" * 1312, b"m", b"") is False


def test_verify_raises_a_value_error_for_a_malformed_public_key() -> None:
    with pytest.raises(InvalidKeyError) as raised:
        verify("ML-DSA-65", b"\x00" * 1312, b"m", b"\x00" * 3309)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, CryptoError)


def test_verify_raises_for_a_context_over_255_bytes_and_accepts_255() -> None:
    public_key = b"\x00" * 1312
    assert verify("ML-DSA-44", public_key, b"m", b"\x00" * 2420, b"c" * MAX_CONTEXT_LENGTH) is False
    with pytest.raises(ContextTooLongError, match="256 bytes"):
        verify("ML-DSA-44", public_key, b"m", b"\x00" * 2420, b"c" * 256)


def test_verify_raises_for_an_unknown_algorithm() -> None:
    with pytest.raises(UnknownAlgorithmError):
        verify("Dilithium2", b"\x00" * 1312, b"m", b"\x00" * 2420)


def test_verify_refuses_text_where_bytes_are_needed() -> None:
    with pytest.raises(InputError, match="message must be bytes"):
        verify("ML-DSA-44", b"\x00" * 1312, "m", b"\x00" * 2420)  # type: ignore[arg-type]
