"""The on-chain verifier for ML-DSA-65 and -87 (MLDSA65Verifier, MLDSA87Verifier and their EIP-8355
entry points) against `cryptography` and every ML-DSA-65/87 vector case, on Anvil.

Their keys' expanded forms are registered over several transactions (two for ML-DSA-65, three for
-87), each under EIP-7825's cap; a key seen once is verified from scratch only by an `eth_call`
given more gas than a transaction may have (ML-DSA-65 ~16M, -87 ~27M), which the tests do too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import mldsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle.chain import Chain, deploy_artifact
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import transact
from tests.chains import anvil_unavailable, run_anvil
from tests.contracts.mldsa_harness import deploy_harness
from tests.contracts.test_mldsa_verify import _PREHASH, _hex, _valid
from tests.vectors import load_cases

pytestmark = pytest.mark.integration

TRANSACTION_GAS_CAP = 16_777_216
#: An eth_call's gas for a key seen once (ML-DSA-87 needs ~27M); the node's block limit is above it.
BIG_CALL_GAS = 60_000_000
ONE, ZERO = (1).to_bytes(32, "big"), bytes(32)
SETS = {
    65: (mldsa.MLDSA65PrivateKey, mldsa.MLDSA65PublicKey, 1952, 3309, 2),
    87: (mldsa.MLDSA87PrivateKey, mldsa.MLDSA87PublicKey, 2592, 4627, 3),
}


@dataclass
class Deployed:
    chain: Chain
    level: int
    verifier: Any
    precompile: str
    harness: Any

    def verify(self, pk: bytes, sig: bytes, message: bytes, context: bytes = b"") -> bool:
        call = self.verifier.functions.verify(pk, sig, message, context)
        return bool(call.call({"gas": BIG_CALL_GAS}))

    def eip8355(self, data: bytes) -> bytes:
        call = {"to": self.precompile, "data": data, "gas": BIG_CALL_GAS}
        return bytes(self.chain.w3.eth.call(call))  # type: ignore[arg-type]

    def register(self, pk: bytes) -> list[int]:
        """Every register transaction until the form is complete; their gas."""
        data = bytes.fromhex(self.verifier.encode_abi("register", [pk])[2:])
        decoder = ErrorDecoder(f"MLDSA{self.level}Verifier", self.verifier.abi)
        used = []
        for _ in range(4):
            to = self.verifier.address
            used.append(
                transact(
                    self.chain, to=to, data=data, decoder=decoder, gas=TRANSACTION_GAS_CAP
                ).gas_used
            )
            if self.verifier.functions.formOf(self.chain.w3.keccak(pk)).call() != "0x" + "00" * 20:
                return used
        raise AssertionError("the form was not complete after four register calls")


@pytest.fixture(scope="module")
def node() -> Iterator[Chain]:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil(extra_args=["--gas-limit", "100000000"]) as anvil:
        yield anvil.connect()


def _deploy(chain: Chain, level: int) -> Deployed:
    verifier = deploy_harness(chain, f"MLDSA{level}Verifier")
    precompile, _ = deploy_artifact(chain, f"MLDSA{level}Precompile", verifier.address)
    return Deployed(chain, level, verifier, precompile, deploy_harness(chain, "MLDSAHarness"))


@pytest.fixture(scope="module", params=[65, 87], ids=lambda level: f"ML-DSA-{level}")
def deployed(request: pytest.FixtureRequest, node: Chain) -> Deployed:
    return _deploy(node, request.param)


def _cases(filename: str, level: int) -> list[dict[str, Any]]:
    return [c for c in load_cases(filename) if c["parameter_set"] == f"ML-DSA-{level}"]


def test_every_pure_vector_case_agrees_with_registered_and_unregistered_keys(
    deployed: Deployed,
) -> None:
    level = deployed.level
    _, public_class, pk_length, _, transactions = SETS[level]
    cases = _cases("mldsa_sigver.json", level)
    assert len(cases) == {65: 125, 87: 155}[level]

    def library(case: dict[str, Any]) -> bool:
        try:
            public_class.from_public_bytes(_hex(case["pk"])).verify(
                _hex(case["signature"]), _hex(case["message"]), _hex(case["context"])
            )
        except Exception:
            return False
        return True

    def check(case: dict[str, Any]) -> None:
        pk, sig = _hex(case["pk"]), _hex(case["signature"])
        message, context = _hex(case["message"]), _hex(case["context"])
        assert deployed.verify(pk, sig, message, context) is _valid(case), case["id"]
        if not context:
            assert deployed.eip8355(pk + sig + message) == (ONE if _valid(case) else ZERO), case[
                "id"
            ]

    for case in cases:
        assert library(case) is _valid(case), case["id"]
        check(case)  # keys seen once: the whole expansion inside the call
    keys = {_hex(c["pk"]) for c in cases if len(_hex(c["pk"])) == pk_length}
    for pk in keys:
        used = deployed.register(pk)
        assert len(used) == transactions
        assert max(used) < TRANSACTION_GAS_CAP
    for case in cases:
        check(case)  # the same cases from the registered forms


def test_internal_external_mu_and_prehash_vector_cases_agree(deployed: Deployed) -> None:
    harness = deployed.harness.functions
    for case in _cases("mldsa_sigver_other.json", deployed.level):
        pk, sig = _hex(case["pk"]), _hex(case["signature"])
        if case["interface"] == "external-mu":
            call = harness.verifyExternalMu(deployed.level, pk, sig, _hex(case["mu"]))
        elif case["interface"] == "internal":
            call = harness.verifyInternal(deployed.level, pk, sig, _hex(case["message"]))
        else:
            arc, digest = _PREHASH[case["hash_alg"]]
            context = _hex(case["context"])
            oid = bytes.fromhex("06096086480165030402") + bytes([arc])
            message_prime = bytes([1, len(context)]) + context + oid + digest(_hex(case["message"]))
            call = harness.verifyInternal(deployed.level, pk, sig, message_prime)
        assert call.call({"gas": BIG_CALL_GAS}) is _valid(case), case["id"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.binary(min_size=32, max_size=32),
    message=st.binary(max_size=200),
    context=st.binary(max_size=255),
    target=st.sampled_from(["signature", "message", "context"]),
    position=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_random_signatures_and_single_bit_mutations_agree(
    deployed: Deployed,
    seed: bytes,
    message: bytes,
    context: bytes,
    target: str,
    position: int,
    bit: int,
) -> None:
    private_class = SETS[deployed.level][0]
    signer = private_class.from_seed_bytes(seed)
    pk = signer.public_key().public_bytes_raw()
    sig = signer.sign(message, context)
    assert deployed.verify(pk, sig, message, context) is True
    fields = {"signature": sig, "message": message, "context": context}
    original = fields[target]
    if not original:
        fields[target] = bytes([1 << bit])
    else:
        mutated = bytearray(original)
        mutated[position % len(mutated)] ^= 1 << bit
        fields[target] = bytes(mutated)
    assert deployed.verify(pk, fields["signature"], fields["message"], fields["context"]) is False


def test_registration_takes_several_transactions_and_verify_then_fits_one(
    deployed: Deployed,
) -> None:
    private_class, _, _, _, transactions = SETS[deployed.level]
    signer = private_class.from_seed_bytes(hashlib.sha256(b"sets").digest())
    pk = signer.public_key().public_bytes_raw()
    sig = signer.sign(b"registered", b"ctx")
    functions = deployed.verifier.functions
    keccak = deployed.chain.w3.keccak(pk)
    used = deployed.register(pk)
    chunks, rows = functions.formsOf(keccak).call()
    assert rows == {65: 6, 87: 8}[deployed.level]
    assert len(chunks) == len(used) == transactions
    form = b"".join(bytes(deployed.chain.w3.eth.get_code(chunk))[1:] for chunk in chunks)
    assert form == bytes(functions.expand(pk).call({"gas": BIG_CALL_GAS}))
    gas = functions.verify(pk, sig, b"registered", b"ctx").estimate_gas({"gas": BIG_CALL_GAS})
    print(f"ML-DSA-{deployed.level}: register {used} gas, registered verify {gas:,} gas")
    assert gas < TRANSACTION_GAS_CAP
    assert deployed.verify(pk, sig, b"registered", b"ctx") is True
    assert deployed.verify(pk, sig, b"registered", b"ctz") is False
    empty = signer.sign(b"", b"")
    assert deployed.eip8355(pk + empty) == ONE
    for length in (0, 100, len(pk) + len(empty) - 1):
        assert deployed.eip8355((pk + empty)[:length]) == ZERO
