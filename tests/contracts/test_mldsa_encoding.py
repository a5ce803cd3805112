"""contracts/mldsa/Encoding.sol, Sampling.sol and Rounding.sol: ML-DSA-44 key and signature
decoding with every FIPS 204 check answered as a flag (never a revert), w1Encode, SampleInBall,
RejNTTPoly (ExpandA's entries) and UseHint equal the reference's
(tests/contracts/mldsa_reference.py) on real keys and signatures, mutated ones and random inputs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import mldsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contracts import mldsa_reference as ref
from tests.contracts.mldsa_harness import CALL_GAS, harness_on

pytestmark = pytest.mark.integration

#: Measured when written: pkDecode 87,890, sigDecode 140,243, w1Encode 78,370, SampleInBall
#: 78,732 gas (one Keccak-f of it, 60,049; solc 0.8.37, optimizer 200 runs). The budgets are ~5%
#: above, so a change making them dearer is a decision. One was taken: the code serves the three
#: parameter sets, its bit widths and bounds read from memory (sigDecode 149,330, w1Encode 84,490:
#: 16,000 gas on a ~2.5M-gas verify, for one code path instead of three copies).
KEY_BUDGET = 92_500
SIGNATURE_BUDGET = 156_500
W1_BUDGET = 88_500
CHALLENGE_BUDGET = 82_500
#: UseHint on one polynomial 52,296 and one ExpandA entry (RejNTTPoly, five permutations)
#: 380,500 when written.
HINT_BUDGET = 55_000
ENTRY_BUDGET = 400_000

_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_HINT_OFFSET = 32 + 4 * 576


@pytest.fixture(scope="module")
def harness() -> Iterator[Any]:
    with harness_on("anvil", "MLDSAHarness") as contract:
        yield contract


@pytest.fixture(scope="module")
def signed() -> tuple[bytes, bytes]:
    """An ML-DSA-44 public key and a signature under it, made by `cryptography`."""
    key = mldsa.MLDSA44PrivateKey.generate()
    return key.public_key().public_bytes_raw(), key.sign(b"message", b"")


def _bitmaps(h: list[list[int]]) -> list[int]:
    return [sum(bit << j for j, bit in enumerate(poly)) for poly in h]


def _reference_ok(sig: bytes) -> bool:
    _, z, h = ref.sig_decode(sig)
    return h is not None and max(abs(x) for poly in z for x in poly) < ref.GAMMA1 - ref.BETA


def _check_signature(harness: Any, sig: bytes) -> bool:
    ok, c_tilde, z, h = harness.functions.decodeSignature(sig).call()
    assert ok is _reference_ok(sig)
    if ok:
        want_c, want_z, want_h = ref.sig_decode(sig)
        assert want_h is not None
        assert bytes(c_tilde) == want_c
        assert [list(p) for p in z] == [[x % ref.Q for x in poly] for poly in want_z]
        assert list(h) == _bitmaps(want_h)
    return bool(ok)


def test_public_keys_decode_as_pk_decode(harness: Any) -> None:
    for _ in range(5):
        pk = mldsa.MLDSA44PrivateKey.generate().public_key().public_bytes_raw()
        ok, rho, t1 = harness.functions.decodePublicKey(pk).call()
        want_rho, want_t1 = ref.pk_decode(pk)
        assert ok
        assert bytes(rho) == want_rho
        assert [list(p) for p in t1] == want_t1


@pytest.mark.parametrize("length", [0, 32, 1311, 1313, 2420])
def test_a_public_key_of_the_wrong_length_does_not_decode(harness: Any, length: int) -> None:
    ok, rho, _ = harness.functions.decodePublicKey(os.urandom(length)).call()
    assert not ok
    assert bytes(rho) == bytes(32)


def test_signatures_by_cryptography_decode_as_sig_decode(harness: Any) -> None:
    for context in (b"", b"ctx", bytes(255)):
        key = mldsa.MLDSA44PrivateKey.generate()
        assert _check_signature(harness, key.sign(os.urandom(20), context))


@pytest.mark.parametrize("length", [0, 32, 2419, 2421, 4627])
def test_a_signature_of_the_wrong_length_is_invalid_without_a_revert(
    harness: Any, length: int
) -> None:
    ok, _, _, _ = harness.functions.decodeSignature(os.urandom(length)).call()
    assert not ok


@_SETTINGS
@given(
    position=st.integers(min_value=_HINT_OFFSET, max_value=ref.SIGNATURE_SIZE - 1),
    value=st.integers(min_value=0, max_value=255),
)
def test_any_change_to_a_hint_byte_is_judged_as_hint_bit_unpack(
    harness: Any, signed: tuple[bytes, bytes], position: int, value: int
) -> None:
    sig = bytearray(signed[1])
    sig[position] = value
    _check_signature(harness, bytes(sig))


@_SETTINGS
@given(hint=st.binary(min_size=84, max_size=84))
def test_random_hints_are_judged_as_hint_bit_unpack(
    harness: Any, signed: tuple[bytes, bytes], hint: bytes
) -> None:
    _check_signature(harness, signed[1][:_HINT_OFFSET] + hint)


@_SETTINGS
@given(
    data=st.data(),
    polynomial=st.integers(min_value=0, max_value=3),
    index=st.integers(min_value=0, max_value=255),
)
def test_z_coefficients_at_and_around_the_norm_bound_are_judged_exactly(
    harness: Any, signed: tuple[bytes, bytes], data: st.DataObject, polynomial: int, index: int
) -> None:
    # v = gamma1 - z: the bound |z| < gamma1 - beta is 78 < v < 262066.
    value = data.draw(
        st.sampled_from([0, 77, 78, 79, 80, 131072, 262064, 262065, 262066, 262143])
        | st.integers(min_value=0, max_value=2**18 - 1)
    )
    sig = bytearray(signed[1])
    start = 32 + 576 * polynomial
    packed = ref.bit_unpack(bytes(sig[start : start + 576]), 18)
    packed[index] = value
    sig[start : start + 576] = ref.bit_pack(packed, 18)
    assert _check_signature(harness, bytes(sig)) is (78 < value < 262066)


@_SETTINGS
@given(c_tilde=st.binary(min_size=32, max_size=32))
def test_sample_in_ball_equals_algorithm_29(harness: Any, c_tilde: bytes) -> None:
    got = list(harness.functions.sampleInBall(c_tilde).call())
    assert got == [x % ref.Q for x in ref.sample_in_ball(c_tilde)]


@_SETTINGS
@given(
    c_tilde=st.binary(min_size=32, max_size=32),
    chunk=st.sampled_from([8, 9, 16, 17, 40, 135]),
)
def test_sample_in_ball_refills_its_buffer_as_needed(
    harness: Any, c_tilde: bytes, chunk: int
) -> None:
    # With a whole SHAKE256 block (136 bytes) the refill is practically never needed (39 draws,
    # each rejected with probability below 39/256); small chunks take that path on every call.
    got = list(harness.functions.sampleInBallChunked(c_tilde, chunk).call())
    assert got == [x % ref.Q for x in ref.sample_in_ball(c_tilde)]


@_SETTINGS
@given(
    w1=st.lists(
        st.lists(st.integers(min_value=0, max_value=43), min_size=256, max_size=256),
        min_size=4,
        max_size=4,
    )
)
def test_w1_encode_equals_algorithm_28(harness: Any, w1: list[list[int]]) -> None:
    assert bytes(harness.functions.encodeW1(w1).call()) == ref.w1_encode(w1)


_GAMMA2 = (ref.Q - 1) // 88
#: Coefficients where Decompose changes its mind: around multiples of 2 gamma2 and of gamma2, and
#: at the top, where r - r0 = q - 1 (Algorithm 36's special case).
_EDGES = sorted(
    {
        v % ref.Q
        for m in range(45)
        for base in (2 * _GAMMA2 * m, 2 * _GAMMA2 * m + _GAMMA2)
        for v in (base - 1, base, base + 1)
    }
    | {ref.Q - 1, ref.Q - 2, ref.Q - 1 - _GAMMA2, ref.Q - _GAMMA2}
)


@_SETTINGS
@given(
    data=st.data(),
    hints=st.integers(min_value=0, max_value=2**256 - 1),
)
def test_use_hint_equals_algorithm_40(harness: Any, data: st.DataObject, hints: int) -> None:
    coefficient = st.sampled_from(_EDGES) | st.integers(min_value=0, max_value=ref.Q - 1)
    r = data.draw(st.lists(coefficient, min_size=256, max_size=256))
    got = list(harness.functions.useHint(r, hints).call())
    assert got == [ref.use_hint((hints >> j) & 1, r[j]) for j in range(256)]


def test_use_hint_handles_every_edge_coefficient_with_and_without_a_hint(harness: Any) -> None:
    for start in range(0, len(_EDGES), 256):
        r = (_EDGES[start : start + 256] * 256)[:256]
        for hints in (0, 2**256 - 1):
            got = list(harness.functions.useHint(r, hints).call())
            assert got == [ref.use_hint((hints >> j) & 1, r[j]) for j in range(256)]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rho=st.binary(min_size=32, max_size=32),
    row=st.integers(min_value=0, max_value=3),
    column=st.integers(min_value=0, max_value=3),
)
def test_rej_ntt_poly_equals_algorithm_30(harness: Any, rho: bytes, row: int, column: int) -> None:
    got = list(harness.functions.rejNTTPoly(rho, row, column).call())
    assert got == ref.rej_ntt_poly(rho + bytes([column, row]))


def test_decoding_stays_within_its_gas_budgets(harness: Any, signed: tuple[bytes, bytes]) -> None:
    key, signature, w1, challenge = harness.functions.gas(*signed).call()
    print(
        f"ML-DSA-44: pkDecode {key} gas, sigDecode {signature} gas, w1Encode {w1} gas, "
        f"SampleInBall {challenge} gas"
    )
    assert key <= KEY_BUDGET
    assert signature <= SIGNATURE_BUDGET
    assert w1 <= W1_BUDGET
    assert challenge <= CHALLENGE_BUDGET


def test_use_hint_and_expand_a_entries_stay_within_their_gas_budgets(harness: Any) -> None:
    r = [(j * 2_654_435_761) % ref.Q for j in range(256)]
    hint, entry = harness.functions.samplingGas(r, 2**255 + 12345, bytes(range(32))).call()
    print(f"ML-DSA-44: UseHint {hint} gas per polynomial, ExpandA {entry} gas per entry")
    assert hint <= HINT_BUDGET
    assert entry <= ENTRY_BUDGET


def test_the_embedded_chain_decodes_as_the_reference_too(signed: tuple[bytes, bytes]) -> None:
    with harness_on("embedded", "MLDSAHarness") as contract:
        ok, c_tilde, _, h = contract.functions.decodeSignature(signed[1]).call({"gas": CALL_GAS})
        want_c, _, want_h = ref.sig_decode(signed[1])
        assert ok
        assert want_h is not None
        assert (bytes(c_tilde), list(h)) == (want_c, _bitmaps(want_h))
