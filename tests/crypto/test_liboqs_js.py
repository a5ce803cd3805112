"""liboqs itself (its official WebAssembly build, @oqs/liboqs-js) against every installed backend.

The liboqs C library is in no registry these machines reach, so the liboqs backend cannot run in
CI; the npm package is the same C code compiled to WebAssembly, driven by one Node process for
the whole session (tests/liboqs_js.py). Every comparison gives the same input to liboqs and to
the project and requires the same outcome from each, and the expected one where the case has it
(tests/liboqs_agreement.py). `python benchmarks/agreement.py` prints them as a table.

liboqs's wrapper has no context strings, seeds or caller randomness: the cases needing them stay
with the project's backends (CANNOT_CHECK in tests/liboqs_agreement.py and
docs/liboqs-agreement.md say which and why; the tests at the end show the limits are real).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from oracle.crypto import ALGORITHMS, SigningKey, verify
from oracle.crypto.kem import ML_KEM_768, KemPrivateKey
from tests.liboqs_agreement import (
    EXPANDED_KEY_CHECK,
    LIBOQS,
    SEED,
    Comparison,
    SignatureCase,
    compare_signature,
    envelope_round_trips,
    installed_backends,
    kem_round_trips,
    kem_vector_comparisons,
    mldsa_expanded_key_cases,
    mldsa_random_comparisons,
    mldsa_vector_cases,
)
from tests.liboqs_js import (
    PINNED_VERSION,
    ROOT,
    LiboqsJs,
    LiboqsRefused,
    liboqs_js_unavailable,
    run_liboqs_js,
)

#: Fresh signatures per parameter set (half made by liboqs, half by the project), each with
#: three one-bit mutants: 960 verifications on every implementation.
SIGNATURES = 80
#: Rounds of each ML-KEM-768 check (raw both ways with mutants, envelopes both ways).
KEM_ROUNDS = 20


@pytest.fixture(scope="session")
def liboqs() -> Iterator[LiboqsJs]:
    """One liboqs-js server for the session; skipped with the reason without node or the package."""
    reason = liboqs_js_unavailable()
    if reason:
        pytest.skip(reason)
    with run_liboqs_js() as server:
        yield server


@pytest.fixture(scope="module")
def backends() -> list[str]:
    return installed_backends()


def _disagreements(comparisons: list[Comparison]) -> str:
    wrong = [comparison.describe() for comparison in comparisons if not comparison.agrees]
    return f"{len(wrong)} of {len(comparisons)} disagree:\n" + "\n".join(wrong[:20])


def test_the_server_runs_the_pinned_package(liboqs: LiboqsJs) -> None:
    manifest: dict[str, Any] = json.loads((ROOT / "package.json").read_text("utf-8"))
    assert manifest["devDependencies"]["@oqs/liboqs-js"] == PINNED_VERSION
    assert liboqs.version == PINNED_VERSION


def test_cryptography_and_pqcrypto_are_among_the_compared_backends(backends: list[str]) -> None:
    # The test extras install pqcrypto; liboqs-python joins only where the C library exists.
    assert {"cryptography", "pqcrypto"} <= set(backends)


# --- (a) the shared vectors --------------------------------------------------------------------


def _vector_params() -> list[Any]:
    return [pytest.param(case, id=case.id) for case in mldsa_vector_cases()]


def test_the_vector_cases_cover_each_parameter_set_and_both_sources() -> None:
    cases = mldsa_vector_cases()
    assert {case.algorithm for case in cases} == {a.name for a in ALGORITHMS}
    assert {case.id.split(":", 1)[0] for case in cases} == {"acvp", "wycheproof"}
    assert sum(case.expected for case in cases) > 50
    assert sum(not case.expected for case in cases) > 250


@pytest.mark.parametrize("case", _vector_params())
def test_liboqs_and_every_backend_give_the_vector_verdict(
    liboqs: LiboqsJs, backends: list[str], case: SignatureCase
) -> None:
    comparison = compare_signature("vector", case, liboqs, backends)
    assert comparison.agrees, comparison.describe()


def test_liboqs_signs_with_every_expanded_keygen_key(liboqs: LiboqsJs, backends: list[str]) -> None:
    rng = random.Random(SEED)
    comparisons = [
        compare_signature(EXPANDED_KEY_CHECK, case, liboqs, backends)
        for case in mldsa_expanded_key_cases(liboqs, rng)
    ]
    assert len(comparisons) >= 3 * 15
    assert all(comparison.agrees for comparison in comparisons), _disagreements(comparisons)


# --- (b) random signatures both ways, with one-bit mutants --------------------------------------


@pytest.mark.parametrize("algorithm", [a.name for a in ALGORITHMS])
def test_random_signatures_both_ways_and_their_mutants_agree(
    liboqs: LiboqsJs, backends: list[str], algorithm: str
) -> None:
    rng = random.Random(f"{SEED}-{algorithm}")
    comparisons = list(mldsa_random_comparisons(liboqs, algorithm, SIGNATURES, backends, rng))
    assert len(comparisons) == 4 * SIGNATURES
    assert all(set(c.outcomes) == {LIBOQS, *backends} for c in comparisons)
    assert all(comparison.agrees for comparison in comparisons), _disagreements(comparisons)
    origins = {c.case.split(" ", 2)[2] for c in comparisons if c.expected is True}
    assert {
        "liboqs",
        "project (cryptography)",
        "project (pqcrypto)",
        "liboqs signs with a pqcrypto key",
        "pqcrypto signs with a liboqs key",
    } <= origins
    mutated = [c for c in comparisons if c.expected is False]
    assert len(mutated) == 3 * SIGNATURES
    for part in ("message bit", "signature bit", "key bit"):
        assert sum(part in c.case for c in mutated) == SIGNATURES


# --- (c) ML-KEM-768, raw and through the envelope ------------------------------------------------


def test_ml_kem_768_both_ways_with_the_same_implicit_rejection(liboqs: LiboqsJs) -> None:
    comparisons = list(kem_round_trips(liboqs, KEM_ROUNDS, random.Random(SEED)))
    assert all(comparison.agrees for comparison in comparisons), _disagreements(comparisons)
    checks = {comparison.check for comparison in comparisons}
    assert {
        "ML-KEM-768 liboqs encapsulates, project decapsulates",
        "ML-KEM-768 project encapsulates, liboqs decapsulates",
        "ML-KEM-768 implicit rejection, project key",
        "ML-KEM-768 implicit rejection, liboqs key",
        "ML-KEM-768 mutated ciphertext gives another secret",
    } <= checks
    rejections = [c for c in comparisons if c.check.startswith("ML-KEM-768 implicit rejection")]
    assert len(rejections) == 2 * KEM_ROUNDS
    # A secret, not a refusal: a well-formed modified ciphertext is never an error.
    assert all(len(str(value)) == 64 for c in rejections for value in c.outcomes.values())


def test_envelopes_open_both_ways_between_liboqs_and_the_project(liboqs: LiboqsJs) -> None:
    comparisons = list(envelope_round_trips(liboqs, KEM_ROUNDS, random.Random(SEED)))
    assert len(comparisons) == 2 * KEM_ROUNDS
    assert all(comparison.agrees for comparison in comparisons), _disagreements(comparisons)


def test_liboqs_decapsulates_the_vectors_and_checks_keys_like_the_project(
    liboqs: LiboqsJs,
) -> None:
    comparisons = list(kem_vector_comparisons(liboqs))
    assert all(comparison.agrees for comparison in comparisons), _disagreements(comparisons)
    decapsulations = [c for c in comparisons if c.check == "ML-KEM-768 decapsulation vectors"]
    private_keys = [c for c in comparisons if c.check == "ML-KEM-768 decapsulation key accepted"]
    keys = [c for c in comparisons if c.check == "ML-KEM-768 encapsulation key accepted"]
    assert len(decapsulations) >= 20
    # "modified H", a corrupted embedded ek, and dks one byte short or long.
    assert sum(c.expected is False for c in private_keys) >= 6
    assert sum(c.expected is True for c in private_keys) >= 20
    assert sum(c.expected is True for c in keys) >= 50
    assert sum(c.expected is False for c in keys) >= 50


# --- what liboqs's wrapper cannot be asked, shown ------------------------------------------------


def test_liboqs_verifies_only_the_empty_context(liboqs: LiboqsJs) -> None:
    key = SigningKey.generate("ML-DSA-44")
    with_context = key.sign(b"message", b"ctx")
    assert verify("ML-DSA-44", key.public_key, b"message", with_context, b"ctx")
    assert liboqs.sig_verify("ML-DSA-44", key.public_key, b"message", with_context) is False
    assert liboqs.sig_verify("ML-DSA-44", key.public_key, b"message", key.sign(b"message"))


def test_liboqs_signs_hedged_so_signatures_cannot_be_reproduced(liboqs: LiboqsJs) -> None:
    public_key, secret_key = liboqs.sig_keypair("ML-DSA-65")
    first = liboqs.sig_sign("ML-DSA-65", secret_key, b"same message")
    second = liboqs.sig_sign("ML-DSA-65", secret_key, b"same message")
    assert first != second
    assert liboqs.sig_verify("ML-DSA-65", public_key, b"same message", second)


def test_liboqs_keys_are_expanded_and_kem_keys_have_no_seed(liboqs: LiboqsJs) -> None:
    for algorithm in ALGORITHMS:
        public_key, secret_key = liboqs.sig_keypair(algorithm.name)
        assert len(public_key) == algorithm.public_key_size
        assert len(secret_key) == algorithm.private_key_size
    ek, dk = liboqs.kem_keypair(ML_KEM_768.name)
    assert len(ek) == ML_KEM_768.public_key_size
    assert len(dk) == 2400
    # The project holds ML-KEM keys as the 64-byte seed: an expanded dk is not a key it takes.
    assert len(KemPrivateKey.generate().seed) == 64


def test_the_wrapper_refuses_wrong_lengths_with_its_validation_error(liboqs: LiboqsJs) -> None:
    public_key, _ = liboqs.sig_keypair("ML-DSA-44")
    with pytest.raises(LiboqsRefused, match="public key") as refused:
        liboqs.sig_verify("ML-DSA-44", public_key[:-1], b"m", b"\x00" * 2420)
    assert refused.value.kind == "LibOQSValidationError"
    with pytest.raises(LiboqsRefused, match="signature length"):
        liboqs.sig_verify("ML-DSA-44", public_key, b"m", b"\x00" * 2421)
    with pytest.raises(LiboqsRefused, match="ciphertext"):
        liboqs.kem_decaps(b"\x00" * 2400, b"\x00" * 1087)


def test_a_disagreement_or_a_wrong_common_verdict_is_reported() -> None:
    assert Comparison("c", "x", {"a": True, "b": True}, True).agrees
    assert not Comparison("c", "x", {"a": True, "b": False}, True).agrees
    assert not Comparison("c", "x", {"a": True, "b": True}, False).agrees
    assert Comparison("c", "x", {"a": "00", "b": "00"}).agrees
    assert "a=True, b=False" in Comparison("c", "x", {"a": True, "b": False}, True).describe()
