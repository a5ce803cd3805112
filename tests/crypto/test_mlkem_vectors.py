"""The ML-KEM (FIPS 203) cases of the NIST ACVP and Wycheproof vectors (tests/data/vectors).

Two implementations run them. The project's `oracle.crypto.kem` (on `cryptography`) loads private
keys from the 64-byte seed d ‖ z only and encapsulates with its own randomness; it covers:
ML-KEM.KeyGen from a seed (the ek), the §7.2 encapsulation key check, and ML-KEM.Decaps with a
seed key (implicit rejection, wrong ciphertext or seed lengths included).

kyber-py (tests/crypto/mlkem_reference.py, test-only) covers what `cryptography` does not expose
and repeats the rest: ML-KEM.KeyGen_internal (the expanded dk, byte for byte),
ML-KEM.Encaps_internal with the given m (c and K, byte for byte), ML-KEM.Decaps with an expanded
dk, and the §7.3 decapsulation key check (length and H(ek) hash check, written out with kyber-py's
H). A dk that passes the check must decapsulate what was encapsulated to its ek.

The two implementations are also run against each other on every key generation case: a
ciphertext kyber-py makes from a given m decapsulates with the project's key to the same K, and
one the project makes decapsulates with kyber-py's expanded dk.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from oracle.crypto.kem import (
    KEM_SEED_LENGTH,
    KemPrivateKey,
    KemPublicKey,
    get_kem_algorithm,
)
from oracle.errors import InvalidCiphertextError, InvalidKeyError
from tests.crypto import mlkem_reference as reference
from tests.vectors import load_cases

Case = dict[str, Any]


def _params(
    filename: str,
    *,
    function: str | None = None,
    valid: bool | None = None,
    key_form: str | None = None,
) -> list[Any]:
    return [
        pytest.param(case, id=case["id"])
        for case in load_cases(filename)
        if (function is None or case.get("function") == function)
        and (valid is None or case["valid"] is valid)
        and (key_form is None or (case["seed"] is None) is (key_form == "dk"))
    ]


def _hex(value: str | None) -> bytes:
    return bytes.fromhex(value) if value else b""


def _test_randomness(case: Case) -> bytes:
    """A fixed 32-byte m per case, for encapsulations the vectors do not give."""
    return hashlib.sha3_256(case["id"].encode()).digest()


# --- key generation ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params("mlkem_keygen.json"))
def test_keygen_from_seed_gives_the_expected_encapsulation_key(case: Case) -> None:
    algorithm = get_kem_algorithm(case["parameter_set"])
    seed = _hex(case["seed"])
    if not case["valid"]:
        with pytest.raises(InvalidKeyError):
            KemPrivateKey.from_seed(seed, algorithm)
        return
    key = KemPrivateKey.from_seed(seed, algorithm)
    # cryptography does not expose the expanded dk: the reference checks it below.
    assert key.public_key.raw == _hex(case["ek"])
    assert key.public_key.algorithm == algorithm


@pytest.mark.parametrize("case", _params("mlkem_keygen.json"))
def test_reference_keygen_internal_gives_the_expected_expanded_keys(case: Case) -> None:
    seed = _hex(case["seed"])
    if not case["valid"]:
        with pytest.raises(ValueError, match="64 bytes"):
            reference.keygen_internal(case["parameter_set"], seed)
        return
    ek, dk = reference.keygen_internal(case["parameter_set"], seed)
    assert ek == _hex(case["ek"])
    assert dk == _hex(case["dk"])


@pytest.mark.parametrize("case", _params("mlkem_keygen.json", valid=True))
def test_project_and_reference_decapsulate_each_others_ciphertexts(case: Case) -> None:
    parameter_set = case["parameter_set"]
    key = KemPrivateKey.from_seed(_hex(case["seed"]), parameter_set)
    dk = _hex(case["dk"])
    # The reference encapsulates with a given m; the project's key must recover its K.
    shared, ciphertext = reference.encaps_internal(
        parameter_set, key.public_key.raw, _test_randomness(case)
    )
    assert key.decapsulate(ciphertext) == shared
    # The project encapsulates with fresh randomness; the reference's expanded dk must agree.
    shared, ciphertext = key.public_key.encapsulate()
    assert reference.decaps(parameter_set, dk, ciphertext) == shared


# --- encapsulation -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params("mlkem_encaps.json"))
def test_encapsulation_key_is_accepted_exactly_when_valid(case: Case) -> None:
    # "encapsulate" cases with valid=false are bad keys (wrong length, not reduced mod q);
    # "ek-check" cases are the FIPS 203 §7.2 check itself. Both reduce to: accept or reject ek.
    algorithm = get_kem_algorithm(case["parameter_set"])
    ek = _hex(case["ek"])
    m = _test_randomness(case)
    if not case["valid"]:
        with pytest.raises(InvalidKeyError):
            KemPublicKey.from_bytes(ek, algorithm)
        with pytest.raises(ValueError, match="Validation of encapsulation key failed"):
            reference.encaps_internal(case["parameter_set"], ek, m)
        return
    public = KemPublicKey.from_bytes(ek, algorithm)
    shared, ciphertext = public.encapsulate()
    assert len(shared) == 32
    assert len(ciphertext) == algorithm.ciphertext_size
    shared, ciphertext = reference.encaps_internal(case["parameter_set"], ek, m)
    assert len(ciphertext) == algorithm.ciphertext_size


@pytest.mark.parametrize("case", _params("mlkem_encaps.json", function="encapsulate", valid=True))
def test_encapsulation_with_given_randomness_gives_expected_ciphertext(case: Case) -> None:
    # Invalid "encapsulate" cases have no c or K: their key rejection is checked above.
    shared, ciphertext = reference.encaps_internal(
        case["parameter_set"], _hex(case["ek"]), _hex(case["m"])
    )
    assert ciphertext == _hex(case["c"])
    assert shared == _hex(case["K"])


# --- decapsulation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", _params("mlkem_decaps.json", function="decapsulate", key_form="seed")
)
def test_decapsulation_with_a_seed_key_gives_the_expected_shared_key(case: Case) -> None:
    algorithm = get_kem_algorithm(case["parameter_set"])
    seed = _hex(case["seed"])
    ciphertext = _hex(case["c"])
    if not case["valid"]:
        # Refused inputs here: a seed of the wrong length or a ciphertext of the wrong length.
        bad_seed = len(seed) != KEM_SEED_LENGTH
        bad_ciphertext = len(ciphertext) != algorithm.ciphertext_size
        assert bad_seed or bad_ciphertext, case["comment"]
        if bad_seed:
            with pytest.raises(InvalidKeyError):
                KemPrivateKey.from_seed(seed, algorithm)
            with pytest.raises(ValueError, match="64 bytes"):
                reference.keygen_internal(case["parameter_set"], seed)
            return
        key = KemPrivateKey.from_seed(seed, algorithm)
        with pytest.raises(InvalidCiphertextError):
            key.decapsulate(ciphertext)
        _, dk = reference.keygen_internal(case["parameter_set"], seed)
        with pytest.raises(ValueError, match="ciphertext type check failed"):
            reference.decaps(case["parameter_set"], dk, ciphertext)
        return
    key = KemPrivateKey.from_seed(seed, algorithm)
    if case["ek"]:
        assert key.public_key.raw == _hex(case["ek"])
    # Modified ciphertexts (ACVP "modified ciphertext", Wycheproof MalleableCiphertext) decapsulate
    # to the implicit-rejection key, which is what K holds for them.
    assert key.decapsulate(ciphertext) == _hex(case["K"])
    _, dk = reference.keygen_internal(case["parameter_set"], seed)
    assert reference.decaps(case["parameter_set"], dk, ciphertext) == _hex(case["K"])


@pytest.mark.parametrize(
    "case", _params("mlkem_decaps.json", function="decapsulate", key_form="dk")
)
def test_decapsulation_with_an_expanded_key_gives_the_expected_shared_key(case: Case) -> None:
    # cryptography cannot load an expanded dk: the reference alone runs these.
    parameter_set = case["parameter_set"]
    algorithm = get_kem_algorithm(parameter_set)
    dk, ciphertext = _hex(case["dk"]), _hex(case["c"])
    dk_passes = reference.decapsulation_key_check(parameter_set, dk)
    if not case["valid"]:
        # Refused inputs here: a dk failing the §7.3 check, or a ciphertext of the wrong length.
        assert not dk_passes or len(ciphertext) != algorithm.ciphertext_size, case["comment"]
        with pytest.raises(ValueError, match="Validation of decapsulation key or ciphertext"):
            reference.decaps(parameter_set, dk, ciphertext)
        return
    assert dk_passes
    if case["ek"]:
        assert reference.embedded_encapsulation_key(parameter_set, dk) == _hex(case["ek"])
    assert reference.decaps(parameter_set, dk, ciphertext) == _hex(case["K"])


@pytest.mark.parametrize("case", _params("mlkem_decaps.json", function="dk-check"))
def test_decapsulation_key_check(case: Case) -> None:
    # FIPS 203 §7.3: dk has the right length and holds H(ek) of the ek it embeds.
    assert case["seed"] is None  # the check is defined on the expanded form only
    parameter_set = case["parameter_set"]
    dk = _hex(case["dk"])
    assert reference.decapsulation_key_check(parameter_set, dk) is case["valid"]
    # Cross-check through the reference's own decapsulation, which makes the same check first.
    ek = reference.embedded_encapsulation_key(parameter_set, dk)
    shared, ciphertext = reference.encaps_internal(parameter_set, ek, _test_randomness(case))
    if not case["valid"]:
        with pytest.raises(ValueError, match="hash check failed"):
            reference.decaps(parameter_set, dk, ciphertext)
        return
    assert ek == _hex(case["ek"])
    assert reference.decaps(parameter_set, dk, ciphertext) == shared


def test_the_decapsulation_key_check_catches_each_kind_of_corruption() -> None:
    # The vectors corrupt only H(ek); the check must also catch a changed ek and a wrong length.
    _, dk = reference.keygen_internal("ML-KEM-768", bytes(range(64)))
    assert reference.decapsulation_key_check("ML-KEM-768", dk)
    flipped_ek = bytearray(dk)
    flipped_ek[384 * 3] ^= 1
    flipped_hash = bytearray(dk)
    flipped_hash[768 * 3 + 32] ^= 1
    for bad in (bytes(flipped_ek), bytes(flipped_hash), dk[:-1], dk + b"\x00"):
        assert not reference.decapsulation_key_check("ML-KEM-768", bad)
    # z (the last 32 bytes) is not covered by the hash: changing it is not detectable here.
    assert reference.decapsulation_key_check("ML-KEM-768", dk[:-1] + b"\x00")
    assert not reference.decapsulation_key_check("ML-KEM-1024", dk)


def test_every_vector_function_is_covered() -> None:
    # A new kind of case in the vector files must get a test here, not be silently ignored.
    seen = {
        (filename, case.get("function"))
        for filename in ("mlkem_keygen.json", "mlkem_encaps.json", "mlkem_decaps.json")
        for case in load_cases(filename)
    }
    assert seen == {
        ("mlkem_keygen.json", None),
        ("mlkem_encaps.json", "encapsulate"),
        ("mlkem_encaps.json", "ek-check"),
        ("mlkem_decaps.json", "decapsulate"),
        ("mlkem_decaps.json", "dk-check"),
    }
