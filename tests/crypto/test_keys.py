from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from oracle.crypto import ALGORITHMS, PublicKey, SigningKey, load_public_key, verify
from oracle.errors import BackendCapabilityError, ContextTooLongError, InvalidKeyError

SEED = bytes(range(32))


@pytest.mark.parametrize("algorithm", [a.name for a in ALGORITHMS])
def test_signature_from_a_generated_key_verifies_only_for_its_message_and_context(
    algorithm: str,
) -> None:
    key = SigningKey.generate(algorithm)
    signature = key.sign(b"transfer 10", b"app-v1")
    assert verify(algorithm, key.public_key, b"transfer 10", signature, b"app-v1")
    assert not verify(algorithm, key.public_key, b"transfer 11", signature, b"app-v1")
    assert not verify(algorithm, key.public_key, b"transfer 10", signature, b"app-v2")
    assert not verify(algorithm, key.public_key, b"transfer 10", signature)


def test_signing_is_hedged_so_two_signatures_of_one_message_differ() -> None:
    key = SigningKey.from_seed("ML-DSA-44", SEED)
    assert key.sign(b"m") != key.sign(b"m")


def test_a_seed_always_gives_the_same_key_and_matches_cryptography() -> None:
    ours = SigningKey.from_seed("ML-DSA-65", SEED)
    theirs = mldsa.MLDSA65PrivateKey.from_seed_bytes(SEED).public_key().public_bytes_raw()
    assert ours.public_key == theirs == SigningKey.from_seed(2, SEED).public_key


@pytest.mark.parametrize("length", [0, 31, 33])
def test_seed_of_the_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(InvalidKeyError, match=f"32 bytes, got {length}"):
        SigningKey.from_seed("ML-DSA-44", b"\x00" * length)


def test_signing_refuses_a_context_over_255_bytes() -> None:
    with pytest.raises(ContextTooLongError):
        SigningKey.from_seed("ML-DSA-44", SEED).sign(b"m", b"x" * 256)


def test_private_key_survives_a_pem_round_trip_with_and_without_password() -> None:
    key = SigningKey.from_seed("ML-DSA-87", SEED)
    plain = key.to_pem()
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert SigningKey.from_pem(plain).public_key == key.public_key
    locked = key.to_pem(password=b"correct horse")
    assert b"ENCRYPTED" in locked
    assert SigningKey.from_pem(locked, password=b"correct horse").public_key == key.public_key
    with pytest.raises(InvalidKeyError):
        SigningKey.from_pem(locked, password=b"wrong")
    with pytest.raises(InvalidKeyError):
        SigningKey.from_pem(locked)


def test_pem_of_another_key_type_is_refused_with_its_name() -> None:
    other = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidKeyError, match="expected an ML-DSA private key"):
        SigningKey.from_pem(other)
    with pytest.raises(InvalidKeyError):
        SigningKey.from_pem(b"not a key")


def test_public_key_pem_round_trip_keeps_algorithm_and_key_id() -> None:
    key = SigningKey.from_seed("ML-DSA-65", SEED)
    loaded = load_public_key(key.public.to_pem())
    assert loaded == key.public
    assert loaded.algorithm.name == "ML-DSA-65"
    assert loaded.key_id == key.key_id
    der = mldsa.MLDSA65PublicKey.from_public_bytes(key.public_key).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert load_public_key(der) == loaded


def test_public_key_of_another_type_or_garbage_is_refused() -> None:
    other = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(InvalidKeyError):
        load_public_key(other)
    with pytest.raises(InvalidKeyError):
        load_public_key(b"\x30\x03garbage")


def test_public_key_of_the_wrong_length_cannot_be_constructed() -> None:
    with pytest.raises(InvalidKeyError):
        PublicKey.from_bytes("ML-DSA-44", b"\x00" * 10)


def test_repr_of_a_signing_key_never_shows_the_seed() -> None:
    key = SigningKey.from_seed("ML-DSA-44", SEED)
    assert SEED.hex() not in repr(key)
    assert "key_id=0x" in repr(key)


def test_expanded_keys_sign_on_pqcrypto_and_verify_on_cryptography() -> None:
    key = SigningKey.generate("ML-DSA-44", backend="pqcrypto")
    assert not key.has_seed
    signature = key.sign(b"cross-check", b"ctx")
    assert verify(
        "ML-DSA-44", key.public_key, b"cross-check", signature, b"ctx", backend="cryptography"
    )
    with pytest.raises(BackendCapabilityError, match="expanded form"):
        key.to_pem()


def test_seed_keys_sign_on_cryptography_and_verify_on_pqcrypto() -> None:
    key = SigningKey.from_seed("ML-DSA-87", SEED)
    signature = key.sign(b"cross-check")
    assert verify("ML-DSA-87", key.public_key, b"cross-check", signature, backend="pqcrypto")


def test_pqcrypto_cannot_derive_a_key_from_a_seed() -> None:
    with pytest.raises(BackendCapabilityError, match="seed"):
        SigningKey.from_seed("ML-DSA-44", SEED, backend="pqcrypto")
