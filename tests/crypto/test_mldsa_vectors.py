"""Every ML-DSA case of the NIST ACVP and Wycheproof vectors (tests/data/vectors), on every backend.

A backend whose library is missing here (liboqs without its C library) is skipped with the
reason; every other case runs. The pure interface is checked in full. Hedged signatures
cannot be compared byte for byte (no backend takes a caller's `rnd`), so signing cases check
that the expected signature verifies under the key derived from the seed, and that a new
signature over the same message and context verifies too; a backend that signs
deterministically (fast-mldsa) must also reproduce each deterministic case's signature
exactly. Pre-hash, internal and external-mu cases cannot run on a pure-only API; their valid
signatures must not verify as pure signatures over the same bytes (domain separation).

Where a backend documents that it cannot do what a case asks, the case asserts that documented
refusal (`BackendCapabilityError`) instead of the verdict: pqcrypto 1.0.0 refuses contexts of
254 and 255 bytes, and has no seed interface, so it refuses key generation from a seed.
"""

from __future__ import annotations

from typing import Any

import pytest

from oracle.crypto import SigningKey, get_algorithm, verify
from oracle.crypto.backends import (
    BACKENDS,
    Backend,
    PrivateKeyMaterial,
    backend_status,
    get_backend,
)
from oracle.errors import (
    BackendCapabilityError,
    ContextTooLongError,
    InvalidKeyError,
    OracleError,
)
from tests.vectors import load_cases

Case = dict[str, Any]


def _backend_params() -> list[Any]:
    params = []
    for status in backend_status():
        marks = () if status.available else pytest.mark.skip(reason=f"{status.reason}")
        params.append(pytest.param(status.name, marks=marks, id=status.name))
    return params


@pytest.fixture(params=_backend_params())
def backend(request: pytest.FixtureRequest) -> Backend:
    return get_backend(request.param)


def _cases(filename: str) -> list[Any]:
    cases = load_cases(filename)
    return [pytest.param(case, id=case["id"]) for case in cases]


def _hex(value: str | None) -> bytes:
    return bytes.fromhex(value) if value else b""


def _beyond_backend_context(backend: Backend, context: bytes) -> bool:
    """Whether `context` is legal in FIPS 204 but longer than this backend handles.

    Such a backend (pqcrypto 1.0.0: 254 and 255 bytes) must refuse the case with
    `BackendCapabilityError` rather than give a wrong verdict; the tests assert that refusal.
    """
    return backend.max_context_length < len(context) <= 255


def _reference_public_key(case: Case) -> bytes:
    """The case's public key, or (ACVP gives none) the one the default backend derives."""
    if case.get("pk"):
        return _hex(case["pk"])
    return SigningKey.from_seed(case["parameter_set"], _hex(case["seed"])).public_key


def test_every_backend_is_named_with_its_status() -> None:
    statuses = {status.name: status for status in backend_status()}
    assert set(statuses) == set(BACKENDS)
    assert statuses["cryptography"].available
    for status in statuses.values():
        assert status.available or status.reason


@pytest.mark.parametrize("case", _cases("mldsa_sigver.json"))
def test_sigver_case(backend: Backend, case: Case) -> None:
    args = (
        case["parameter_set"],
        _hex(case["pk"]),
        _hex(case["message"]),
        _hex(case["signature"]),
        _hex(case["context"]),
    )
    if _beyond_backend_context(backend, _hex(case["context"])):
        with pytest.raises(BackendCapabilityError, match="contexts up to"):
            verify(*args, backend=backend)
    elif case["valid"]:
        assert verify(*args, backend=backend) is True
    elif "IncorrectPublicKeyLength" in case["flags"]:
        with pytest.raises(InvalidKeyError):
            verify(*args, backend=backend)
    elif "InvalidContext" in case["flags"]:
        with pytest.raises(ContextTooLongError):
            verify(*args, backend=backend)
    else:
        assert verify(*args, backend=backend) is False


@pytest.mark.parametrize("case", _cases("mldsa_siggen.json"))
def test_siggen_case(backend: Backend, case: Case) -> None:
    algorithm = get_algorithm(case["parameter_set"])
    seed, message, context = _hex(case["seed"]), _hex(case["message"]), _hex(case["context"])
    if _beyond_backend_context(backend, context):
        expected = _hex(case["signature"])
        with pytest.raises(BackendCapabilityError, match="contexts up to"):
            verify(
                algorithm, _reference_public_key(case), message, expected, context, backend=backend
            )
        with pytest.raises(BackendCapabilityError, match="contexts up to"):
            SigningKey.generate(algorithm, backend=backend).sign(message, context)
        return
    if not case["valid"]:
        # Either the seed has the wrong length or the context is 256 bytes: both must be refused.
        if len(seed) != 32:
            with pytest.raises(InvalidKeyError):
                SigningKey.from_seed(algorithm, seed, backend=backend)
            return
        key = (
            SigningKey.from_seed(algorithm, seed, backend=backend)
            if backend.supports_seed
            else SigningKey.generate(algorithm, backend=backend)
        )
        with pytest.raises(ContextTooLongError):
            key.sign(message, context)
        return
    if backend.supports_seed:
        key = SigningKey.from_seed(algorithm, seed, backend=backend)
        if case.get("pk"):
            assert key.public_key == _hex(case["pk"])
        public_key = key.public_key
    else:
        public_key = _reference_public_key(case)
        key = SigningKey.generate(algorithm, backend=backend)
    expected = _hex(case["signature"])
    assert verify(algorithm, public_key, message, expected, context, backend=backend)
    if case["deterministic"] and backend.supports_deterministic:
        # FIPS 204's deterministic variant has one answer: compare it byte for byte.
        material = PrivateKeyMaterial("seed", seed)
        assert backend.sign_deterministic(algorithm, material, message, context) == expected
    fresh = key.sign(message, context)
    assert len(fresh) == algorithm.signature_size
    assert verify(algorithm, key.public_key, message, fresh, context, backend=backend)
    assert not verify(algorithm, key.public_key, message + b"\x00", fresh, context, backend=backend)


@pytest.mark.parametrize("case", _cases("mldsa_keygen.json"))
def test_keygen_case(backend: Backend, case: Case) -> None:
    seed = _hex(case["seed"])
    if not case["valid"]:
        # The seed length is checked before any backend is asked, so every backend refuses it.
        with pytest.raises(InvalidKeyError):
            SigningKey.from_seed(case["parameter_set"], seed, backend=backend)
        return
    if not backend.supports_seed:
        # pqcrypto: no seed interface. It must refuse, not derive some other key.
        with pytest.raises(BackendCapabilityError, match="cannot derive a key pair from a seed"):
            SigningKey.from_seed(case["parameter_set"], seed, backend=backend)
        return
    key = SigningKey.from_seed(case["parameter_set"], seed, backend=backend)
    assert key.public_key == _hex(case["pk"])


def _other_cases() -> list[Any]:
    return _cases("mldsa_sigver_other.json") + _cases("mldsa_siggen_other.json")


@pytest.mark.parametrize("case", _other_cases())
def test_non_pure_signature_does_not_verify_as_pure(backend: Backend, case: Case) -> None:
    signed_bytes = _hex(case["message"]) if case.get("message") else _hex(case["mu"])
    context = _hex(case["context"])
    public_key = _reference_public_key(case)
    signature = _hex(case["signature"])
    assert signature, "every case in these files carries a signature"
    args = (case["parameter_set"], public_key, signed_bytes, signature, context)
    if _beyond_backend_context(backend, context):
        with pytest.raises(BackendCapabilityError, match="contexts up to"):
            verify(*args, backend=backend)
        return
    assert verify(*args, backend=backend) is False


def test_vectors_cover_all_three_parameter_sets() -> None:
    sets = {case["parameter_set"] for case in load_cases("mldsa_sigver.json")}
    assert sets == {"ML-DSA-44", "ML-DSA-65", "ML-DSA-87"}


def test_backend_verifies_up_to_its_context_limit_and_refuses_beyond(backend: Backend) -> None:
    key = SigningKey.generate("ML-DSA-44")
    limit = backend.max_context_length
    within = b"c" * limit
    signature = key.sign(b"m", within)
    assert verify("ML-DSA-44", key.public_key, b"m", signature, within, backend=backend) is True
    # Past a backend's own limit (below 255) the backend refuses; past 255 FIPS 204 forbids the
    # context and verify refuses it before any backend is asked.
    refusal = ContextTooLongError if limit == 255 else BackendCapabilityError
    beyond = b"c" * (limit + 1)
    with pytest.raises(refusal):
        verify("ML-DSA-44", key.public_key, b"m", signature, beyond, backend=backend)


def test_malformed_input_raises_only_package_errors(backend: Backend) -> None:
    for bad_key in (b"", b"\x00" * 1311, b"\x00" * 1313):
        with pytest.raises(OracleError):
            verify("ML-DSA-44", bad_key, b"m", b"\x00" * 2420, backend=backend)
