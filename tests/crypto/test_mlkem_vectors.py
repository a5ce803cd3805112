"""The ML-KEM (FIPS 203) cases of the NIST ACVP and Wycheproof vectors, through `oracle.crypto.kem`.

`cryptography` loads ML-KEM private keys from the 64-byte seed d ‖ z only and encapsulates with
its own randomness, so it can check: key generation from a seed (the encapsulation key), the
encapsulation key check (length and reduction mod q), and decapsulation with a seed-derived key
(including implicit rejection and wrong ciphertext or seed lengths). Cases that need a given
encapsulation randomness `m` or an expanded decapsulation key are skipped with that reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from oracle.crypto.kem import (
    KEM_SEED_LENGTH,
    KemPrivateKey,
    KemPublicKey,
    get_kem_algorithm,
)
from oracle.errors import InvalidCiphertextError, InvalidKeyError
from tests.vectors import load_cases

Case = dict[str, Any]

NO_GIVEN_M = (
    "cryptography has no deterministic encapsulation with a given m: the expected ciphertext "
    "and shared key cannot be reproduced (the encapsulation key check runs in "
    "test_encapsulation_key_is_accepted_exactly_when_valid)"
)
NEEDS_EXPANDED_DK = (
    "needs an expanded dk: cryptography loads ML-KEM private keys from the 64-byte seed only"
)


def _params(filename: str, *, function: str | None = None, valid: bool | None = None) -> list[Any]:
    return [
        pytest.param(case, id=case["id"])
        for case in load_cases(filename)
        if (function is None or case.get("function") == function)
        and (valid is None or case["valid"] is valid)
    ]


def _hex(value: str | None) -> bytes:
    return bytes.fromhex(value) if value else b""


@pytest.mark.parametrize("case", _params("mlkem_keygen.json"))
def test_keygen_from_seed_gives_the_expected_encapsulation_key(case: Case) -> None:
    algorithm = get_kem_algorithm(case["parameter_set"])
    seed = _hex(case["seed"])
    if not case["valid"]:
        with pytest.raises(InvalidKeyError):
            KemPrivateKey.from_seed(seed, algorithm)
        return
    key = KemPrivateKey.from_seed(seed, algorithm)
    # The expanded dk of the case is not compared: cryptography does not expose it.
    assert key.public_key.raw == _hex(case["ek"])
    assert key.public_key.algorithm == algorithm


@pytest.mark.parametrize("case", _params("mlkem_encaps.json"))
def test_encapsulation_key_is_accepted_exactly_when_valid(case: Case) -> None:
    # "encapsulate" cases with valid=false are bad keys (wrong length, not reduced mod q);
    # "ek-check" cases are the FIPS 203 §7.2 check itself. Both reduce to: accept or reject ek.
    algorithm = get_kem_algorithm(case["parameter_set"])
    ek = _hex(case["ek"])
    if not case["valid"]:
        with pytest.raises(InvalidKeyError):
            KemPublicKey.from_bytes(ek, algorithm)
        return
    public = KemPublicKey.from_bytes(ek, algorithm)
    shared, ciphertext = public.encapsulate()
    assert len(shared) == 32
    assert len(ciphertext) == algorithm.ciphertext_size


@pytest.mark.parametrize("case", _params("mlkem_encaps.json", function="encapsulate", valid=True))
def test_encapsulation_with_given_randomness_gives_expected_ciphertext(case: Case) -> None:
    # Invalid "encapsulate" cases have no c or K: their key rejection is checked above.
    pytest.skip(NO_GIVEN_M)


@pytest.mark.parametrize("case", _params("mlkem_decaps.json", function="decapsulate"))
def test_decapsulation_gives_the_expected_shared_key(case: Case) -> None:
    if case["seed"] is None:
        pytest.skip(NEEDS_EXPANDED_DK)
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
            return
        key = KemPrivateKey.from_seed(seed, algorithm)
        with pytest.raises(InvalidCiphertextError):
            key.decapsulate(ciphertext)
        return
    key = KemPrivateKey.from_seed(seed, algorithm)
    if case["ek"]:
        assert key.public_key.raw == _hex(case["ek"])
    # Modified ciphertexts (ACVP "modified ciphertext", Wycheproof MalleableCiphertext) decapsulate
    # to the implicit-rejection key, which is what K holds for them.
    assert key.decapsulate(ciphertext) == _hex(case["K"])


@pytest.mark.parametrize("case", _params("mlkem_decaps.json", function="dk-check"))
def test_decapsulation_key_check(case: Case) -> None:
    assert case["seed"] is None  # the check is defined on the expanded form only
    pytest.skip(NEEDS_EXPANDED_DK + " (FIPS 203 §7.3 decapsulation key check)")


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
