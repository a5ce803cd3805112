"""SignatureVerifier's on-chain verifier (`verifyNow`, `requestVerificationNow`) and optimistic mode
(bonded posts, challenge window, challenges judged on chain), on Anvil and on the embedded chain.

The referee is the project's exact ML-DSA-44 verifier: `MLDSA44Precompile` (the EIP-8355 form,
for empty contexts) and `MLDSA44Verifier` (contexts), driven with real `cryptography` signatures.
A verification from scratch costs ~10M gas, which py-evm runs at ~3 Mgas/s: the embedded chain
gets the cheap cases and two verifications; Anvil gets every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pytest

from oracle.crypto import SigningKey
from oracle.errors import ContractRevertError
from tests.chains import reverts
from tests.contracts.v2 import (
    INVALID,
    PENDING,
    POSTED,
    VALID,
    ZERO_ADDRESS,
    Deployment,
    Evidence,
    Handle,
    Opened,
    advance,
    deploy_contract,
    forward,
    open_request,
    random_payload,
    with_terms,
)

ML_DSA_44: Final = 1
#: Gas each on-chain verifier is called with: a verification from scratch costs ~10.1M.
VERIFY_GAS: Final = 12_000_000
#: Gas of a transaction that runs a verification (skips the dry run, whose estimate would run the
#: verifier a dozen times on py-evm).
HEAVY_TX_GAS: Final = 16_000_000
BOND: Final = 10**18
WINDOW: Final = 3_600
FEE: Final = 1_000
CALLBACK_GAS: Final = 100_000
#: Where EIP-8355 puts VERIFY_MLDSA44.
PRECOMPILE_ADDRESS: Final = "0x0000000000000000000000000000000000000012"

#: Tests whose verifications are too slow for py-evm in numbers run on Anvil only.
anvil_only = pytest.mark.parametrize(
    "_module_deployment", [pytest.param("anvil", marks=pytest.mark.integration)], indirect=True
)


@dataclass(frozen=True)
class Referee:
    """The on-chain verifiers the deployment is configured with."""

    precompile: Any
    verifier: Any


@pytest.fixture(scope="module")
def referee(_module_deployment: Deployment) -> Referee:
    """MLDSA44Precompile (empty contexts) and MLDSA44Verifier (contexts), set for ML-DSA-44."""
    chain = _module_deployment.chain
    verifier = deploy_contract(chain, "MLDSA44Verifier")
    precompile = deploy_contract(chain, "MLDSA44Precompile", verifier.address)
    admin = _module_deployment.admin
    admin.set_onchain_verifier(ML_DSA_44, precompile.address, VERIFY_GAS)
    admin.set_onchain_verifier(ML_DSA_44, verifier.address, VERIFY_GAS, with_context=True)
    return Referee(precompile, verifier)


@dataclass(frozen=True)
class Signed:
    """A real ML-DSA-44 key, registered, and a message, context and signature under it."""

    signer: SigningKey
    key_id: bytes
    message: bytes
    context: bytes
    signature: bytes

    def evidence(self) -> Evidence:
        """What a challenger supplies for a request on this payload."""
        return Evidence(
            ML_DSA_44, self.signer.public_key, self.message, self.context, self.signature
        )

    def now_args(self) -> tuple[bytes, bytes, bytes, bytes, bytes]:
        """verifyNow's arguments."""
        return (
            self.key_id,
            self.signer.public_key,
            self.message,
            self.context,
            self.signature,
        )


def _signed(handle: Handle, *, valid: bool, context: bytes = b"") -> Signed:
    """Register a fresh key; sign the message (or, for an invalid payload, another one)."""
    signer = SigningKey.generate(ML_DSA_44)
    key_id, _ = handle.register_key(ML_DSA_44, signer.public_key)
    message = b"pay 10 to bob"
    signature = signer.sign(message if valid else b"pay 99 to eve", context)
    return Signed(signer, key_id, message, context, signature)


def _open(handle: Handle, signed: Signed, *, fee: int = 0) -> Opened:
    return handle.request(signed.key_id, signed.message, signed.context, signed.signature, fee=fee)


def _open_through(deployment: Deployment, consumer: Any, signed: Signed, fee: int = 0) -> Opened:
    """A request opened by test contract `consumer`, with a callback."""
    requester = deployment.requester
    sent = forward(
        requester,
        consumer,
        "requestVerification",
        signed.key_id,
        signed.message,
        signed.context,
        signed.signature,
        CALLBACK_GAS,
        0,
        value=fee,
    )
    return requester.opened(sent)


def _names(handle: Handle, sent: Any) -> list[str]:
    return [name for name, _ in handle.events(sent)]


def _only(handle: Handle, sent: Any, name: str) -> dict[str, Any]:
    (event,) = [args for event_name, args in handle.events(sent) if event_name == name]
    return event


def _optimistic(deployment: Deployment, posters: int = 1) -> list[Handle]:
    """Switch to optimistic mode and bond the first `posters` oracles with one bond each."""
    deployment.admin.set_optimistic(bond=BOND, window=WINDOW)
    for oracle in deployment.oracles[:posters]:
        oracle.deposit_bond(BOND)
    return deployment.oracles[:posters]


def _without_referee(deployment: Deployment) -> None:
    """Remove both ML-DSA-44 verifiers (the module's `referee` may have set them already)."""
    deployment.admin.set_onchain_verifier(ML_DSA_44, ZERO_ADDRESS, 0)
    deployment.admin.set_onchain_verifier(ML_DSA_44, ZERO_ADDRESS, 0, with_context=True)


def _consumer_calls(consumer: Any) -> tuple[int, bool]:
    return int(consumer.functions.calls().call()), bool(consumer.functions.lastValid().call())


# --- the on-chain verifier ------------------------------------------------------------------------


def test_set_onchain_verifier_stores_both_forms_and_checks_its_arguments(
    deployment: Deployment,
) -> None:
    admin = deployment.admin
    sent = admin.set_onchain_verifier(3, PRECOMPILE_ADDRESS, 50_000)
    assert admin.events(sent) == [
        (
            "OnchainVerifierSet",
            {
                "algorithm": 3,
                "withContext": False,
                "verifier": admin.contract.w3.to_checksum_address(PRECOMPILE_ADDRESS),
                "gasLimit": 50_000,
            },
        )
    ]
    assert tuple(admin.call("onchainVerifierOf", 3, False)) == (
        admin.contract.w3.to_checksum_address(PRECOMPILE_ADDRESS),
        50_000,
    )
    assert tuple(admin.call("onchainVerifierOf", 3, True)) == (ZERO_ADDRESS, 0)
    with reverts(
        "VerifierInvalidOnchainVerifier",
        algorithm=3,
        verifier=admin.contract.w3.to_checksum_address(PRECOMPILE_ADDRESS),
        gasLimit=15_000_001,
    ):
        admin.set_onchain_verifier(3, PRECOMPILE_ADDRESS, 15_000_001)
    with reverts(
        "VerifierInvalidOnchainVerifier",
        algorithm=3,
        verifier=admin.contract.w3.to_checksum_address(PRECOMPILE_ADDRESS),
        gasLimit=0,
    ):
        admin.set_onchain_verifier(3, PRECOMPILE_ADDRESS, 0)
    with reverts("SanitizerUnsupportedAlgorithm", algorithm=4):
        admin.set_onchain_verifier(4, PRECOMPILE_ADDRESS, 50_000)
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=deployment.outsider.account,
        neededRole=bytes(32),
    ):
        deployment.outsider.set_onchain_verifier(3, PRECOMPILE_ADDRESS, 50_000)
    # The zero address removes a verifier, whatever the gas.
    admin.set_onchain_verifier(3, ZERO_ADDRESS, 0)
    assert tuple(admin.call("onchainVerifierOf", 3, False)) == (ZERO_ADDRESS, 0)


def test_verify_now_answers_valid_for_a_real_signature(
    deployment: Deployment, referee: Referee
) -> None:
    signed = _signed(deployment.requester, valid=True)
    assert deployment.outsider.call("verifyNow", *signed.now_args(), gas=HEAVY_TX_GAS) is True


@anvil_only
@pytest.mark.parametrize("context", [b"", b"app/v1"])
def test_verify_now_answers_invalid_for_a_signature_over_another_message(
    deployment: Deployment, referee: Referee, context: bytes
) -> None:
    signed = _signed(deployment.requester, valid=False, context=context)
    assert deployment.outsider.call("verifyNow", *signed.now_args()) is False


@anvil_only
def test_verify_now_with_a_context_uses_the_context_form(
    deployment: Deployment, referee: Referee
) -> None:
    signed = _signed(deployment.requester, valid=True, context=b"app/v1")
    assert deployment.outsider.call("verifyNow", *signed.now_args()) is True
    # Without the context form, a context cannot be verified: never sent to the EIP-8355 one.
    deployment.admin.set_onchain_verifier(ML_DSA_44, ZERO_ADDRESS, 0, with_context=True)
    with reverts("VerifierOnchainUnavailable", algorithm=ML_DSA_44, withContext=True):
        deployment.outsider.call("verifyNow", *signed.now_args())


def test_verify_now_refuses_an_unknown_key_and_key_bytes_that_do_not_hash_to_it(
    deployment: Deployment, referee: Referee
) -> None:
    signed = _signed(deployment.requester, valid=True)
    unknown = bytes(31) + b"\x01"
    with reverts("VerifierUnknownKey", keyId=unknown):
        deployment.outsider.call("verifyNow", unknown, *signed.now_args()[1:])
    other = SigningKey.generate(ML_DSA_44).public_key
    with reverts("VerifierKeyMismatch", keyId=signed.key_id):
        deployment.outsider.call(
            "verifyNow",
            signed.key_id,
            other,
            signed.message,
            signed.context,
            signed.signature,
        )
    with reverts(
        "SanitizerInvalidSignatureLength", algorithm=ML_DSA_44, expected=2420, actual=2419
    ):
        deployment.outsider.call(
            "verifyNow",
            signed.key_id,
            signed.signer.public_key,
            signed.message,
            signed.context,
            signed.signature[:-1],
        )


def test_verify_now_is_unavailable_without_a_verifier_or_at_an_address_without_code(
    deployment: Deployment,
) -> None:
    _without_referee(deployment)
    signed = _signed(deployment.requester, valid=True)
    with reverts("VerifierOnchainUnavailable", algorithm=ML_DSA_44, withContext=False):
        deployment.outsider.call("verifyNow", *signed.now_args())
    # No code at the address (no precompile on this chain): success with no data, not a verdict.
    deployment.admin.set_onchain_verifier(ML_DSA_44, PRECOMPILE_ADDRESS, 50_000)
    with reverts("VerifierOnchainUnavailable", algorithm=ML_DSA_44, withContext=False):
        deployment.outsider.call("verifyNow", *signed.now_args())
    # A contract that answers something else (a consumer's fallback-less call fails).
    consumer = deploy_contract(deployment.chain, "RecordingConsumer")
    deployment.admin.set_onchain_verifier(ML_DSA_44, consumer.address, 50_000)
    with reverts("VerifierOnchainUnavailable", algorithm=ML_DSA_44, withContext=False):
        deployment.outsider.call("verifyNow", *signed.now_args())


def test_verify_now_reverts_when_the_verifier_cannot_get_its_whole_gas_limit(
    deployment: Deployment, referee: Referee
) -> None:
    signed = _signed(deployment.requester, valid=True)
    with pytest.raises(ContractRevertError) as caught:
        deployment.outsider.call("verifyNow", *signed.now_args(), gas=VERIFY_GAS)
    assert caught.value.error_name == "VerifierInsufficientGasForOnchainVerify"
    assert caught.value.error_args["gasLimit"] == VERIFY_GAS
    # What was left before the call: too little for 64/63 of the limit.
    assert caught.value.error_args["available"] * 63 // 64 < VERIFY_GAS


@anvil_only
def test_the_precompile_path_answers_through_code_installed_at_0x12(
    deployment: Deployment, referee: Referee
) -> None:
    chain = deployment.chain
    code = chain.w3.eth.get_code(referee.precompile.address)
    chain.w3.provider.make_request("anvil_setCode", [PRECOMPILE_ADDRESS, "0x" + code.hex()])  # type: ignore[arg-type]
    deployment.admin.set_onchain_verifier(ML_DSA_44, PRECOMPILE_ADDRESS, VERIFY_GAS)
    valid = _signed(deployment.requester, valid=True)
    invalid = _signed(deployment.requester, valid=False)
    assert deployment.outsider.call("verifyNow", *valid.now_args()) is True
    assert deployment.outsider.call("verifyNow", *invalid.now_args()) is False


@anvil_only
@pytest.mark.parametrize("valid", [True, False])
def test_request_verification_now_opens_and_settles_a_request_with_the_callback(
    deployment: Deployment, referee: Referee, valid: bool
) -> None:
    consumer = deploy_contract(deployment.chain, "RecordingConsumer")
    signed = _signed(deployment.requester, valid=valid)
    requester = deployment.requester
    sent = forward(requester, consumer, "requestVerificationNow", *signed.now_args(), CALLBACK_GAS)
    assert _names(requester, sent) == [
        "VerificationRequested",
        "VerificationFinalized",
        "CallbackDelivered",
    ]
    opened = requester.opened(sent)
    assert opened.terms.requester == consumer.address
    assert opened.terms.fee == 0
    final = _only(requester, sent, "VerificationFinalized")
    assert final == {
        "requestId": opened.request_id,
        "valid": valid,
        "commitment": opened.terms.commitment,
        "validVotes": 0,
        "invalidVotes": 0,
    }
    assert requester.status(opened.request_id)[:3] == (VALID if valid else INVALID, 0, 0)
    assert _consumer_calls(consumer) == (1, valid)
    assert consumer.functions.lastRequestId().call() == opened.request_id


def test_request_verification_now_is_refused_while_paused_and_without_a_verifier(
    deployment: Deployment,
) -> None:
    _without_referee(deployment)
    signed = _signed(deployment.requester, valid=True)
    with reverts("VerifierOnchainUnavailable", algorithm=ML_DSA_44, withContext=False):
        deployment.requester.send("requestVerificationNow", *signed.now_args(), 0)
    deployment.pauser.send("pause")
    with reverts("EnforcedPause"):
        deployment.requester.send("requestVerificationNow", *signed.now_args(), 0)


# --- optimistic mode: configuration and bonds -----------------------------------------------------


def test_set_optimistic_config_switches_mode_and_checks_bond_and_window(
    deployment: Deployment,
) -> None:
    admin = deployment.admin
    assert tuple(admin.call("optimisticConfig")) == (False, 0, 0)
    sent = admin.set_optimistic(bond=BOND, window=WINDOW)
    assert admin.events(sent) == [
        ("OptimisticConfigSet", {"enabled": True, "bond": BOND, "challengeWindow": WINDOW})
    ]
    assert tuple(admin.call("optimisticConfig")) == (True, BOND, WINDOW)
    with reverts("VerifierInvalidOptimisticConfig", bond=0, challengeWindow=WINDOW):
        admin.set_optimistic(bond=0, window=WINDOW)
    with reverts("VerifierInvalidOptimisticConfig", bond=BOND, challengeWindow=0):
        admin.set_optimistic(bond=BOND, window=0)
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=deployment.outsider.account,
        neededRole=bytes(32),
    ):
        deployment.outsider.set_optimistic()
    admin.set_optimistic(enabled=False, bond=0, window=0)
    assert tuple(admin.call("optimisticConfig")) == (False, 0, 0)


def test_bonds_are_deposited_and_withdrawn_with_events(deployment: Deployment) -> None:
    oracle = deployment.oracles[0]
    sent = oracle.deposit_bond(BOND)
    assert oracle.events(sent) == [("BondDeposited", {"account": oracle.account, "amount": BOND})]
    assert oracle.bond(oracle.account) == (BOND, False)
    with reverts("VerifierZeroDeposit"):
        oracle.deposit_bond(0)
    with reverts(
        "VerifierInsufficientBond", account=oracle.account, available=BOND, required=BOND + 1
    ):
        oracle.send("withdrawBond", BOND + 1, deployment.outsider.account)
    before = deployment.chain.balance(deployment.outsider.account)
    sent = oracle.send("withdrawBond", BOND // 4, deployment.outsider.account)
    assert oracle.events(sent) == [
        (
            "BondWithdrawn",
            {"account": oracle.account, "to": deployment.outsider.account, "amount": BOND // 4},
        )
    ]
    assert deployment.chain.balance(deployment.outsider.account) == before + BOND // 4
    assert oracle.bond(oracle.account) == (BOND - BOND // 4, False)


def test_each_mode_refuses_the_other_modes_verdicts(deployment: Deployment) -> None:
    opened = open_request(deployment.requester)
    oracle = deployment.oracles[0]
    oracle.deposit_bond(BOND)
    with reverts("VerifierWrongMode", optimistic=False):
        oracle.post(opened.ballot(True))
    deployment.admin.set_optimistic(bond=BOND, window=WINDOW)
    with reverts("VerifierWrongMode", optimistic=True):
        oracle.vote(opened.ballot(True))
    with reverts("VerifierWrongMode", optimistic=True):
        oracle.vote_batch([opened.ballot(True)])
    # An oracle added while in optimistic mode gets the mode in its member word too.
    newcomer = deployment.outsider
    deployment.admin.announce_and_apply(
        [*(o.account for o in deployment.oracles), newcomer.account], 1
    )
    with reverts("VerifierWrongMode", optimistic=True):
        newcomer.vote(opened.ballot(True))
    deployment.admin.set_optimistic(enabled=False, bond=0, window=0)
    oracle.vote(opened.ballot(True))
    assert deployment.requester.status(opened.request_id)[0] == VALID


# --- optimistic mode: posts and finalisation ------------------------------------------------------


def test_a_post_becomes_final_after_the_window_and_only_then_calls_back_and_pays(
    deployment: Deployment,
) -> None:
    (poster,) = _optimistic(deployment)
    consumer = deploy_contract(deployment.chain, "RecordingConsumer")
    public_key, message, signature = random_payload()
    key_id, _ = deployment.requester.register_key(ML_DSA_44, public_key)
    signed = Signed(SigningKey.generate(ML_DSA_44), key_id, message, b"", signature)
    opened = _open_through(deployment, consumer, signed, fee=FEE)

    sent = poster.post(opened.ballot(True))
    posted = _only(poster, sent, "VerdictPosted")
    finalizes_at = posted["finalizesAt"]
    assert posted == {
        "requestId": opened.request_id,
        "poster": poster.account,
        "valid": True,
        "bond": BOND,
        "finalizesAt": finalizes_at,
    }
    assert _names(poster, sent) == ["VerdictPosted"]
    assert tuple(poster.call("postOf", opened.request_id)) == (
        poster.account,
        BOND,
        True,
        finalizes_at,
    )
    assert poster.status(opened.request_id) == (POSTED, 1, 0, opened.deadline)
    assert poster.bond(poster.account) == (0, False)
    assert _consumer_calls(consumer) == (0, False)

    with reverts(
        "VerifierChallengeWindowOpen", requestId=opened.request_id, finalizesAt=finalizes_at
    ):
        deployment.outsider.finalize(opened)
    advance(deployment.chain, WINDOW - 2)
    with reverts(
        "VerifierChallengeWindowOpen", requestId=opened.request_id, finalizesAt=finalizes_at
    ):
        deployment.outsider.finalize(opened)
    assert _consumer_calls(consumer) == (0, False)
    advance(deployment.chain, 2)
    with reverts("VerifierTermsMismatch", requestId=opened.request_id):
        deployment.outsider.finalize(opened, with_terms(opened, fee=FEE + 1))

    sent = deployment.outsider.finalize(opened)
    assert _names(poster, sent) == ["VerificationFinalized", "CallbackDelivered"]
    assert _only(poster, sent, "VerificationFinalized") == {
        "requestId": opened.request_id,
        "valid": True,
        "commitment": opened.terms.commitment,
        "validVotes": 1,
        "invalidVotes": 0,
    }
    assert _consumer_calls(consumer) == (1, True)
    assert poster.status(opened.request_id)[:3] == (VALID, 1, 0)
    assert poster.bond(poster.account) == (BOND, False)
    assert poster.call("earnedOf", poster.account) == FEE
    assert tuple(poster.call("postOf", opened.request_id)) == (ZERO_ADDRESS, 0, False, 0)
    with reverts("VerifierNotPosted", requestId=opened.request_id):
        deployment.outsider.finalize(opened)


def test_a_post_is_refused_twice_and_without_bond_membership_terms_or_time(
    deployment: Deployment,
) -> None:
    first, second = _optimistic(deployment, posters=2)
    opened = open_request(deployment.requester, timeout=120)
    with reverts("VerifierNotOracle", account=deployment.outsider.account):
        deployment.outsider.post(opened.ballot(True))
    unbonded = deployment.oracles[2]
    with reverts("VerifierInsufficientBond", account=unbonded.account, available=0, required=BOND):
        unbonded.post(opened.ballot(True))
    with reverts("VerifierTermsMismatch", requestId=opened.request_id):
        first.post(opened.ballot(True, with_terms(opened, fee=1)))
    unknown = bytes(32)
    with reverts("VerifierUnknownRequest", requestId=unknown):
        first.post((unknown, True, opened.terms.abi()))
    first.post(opened.ballot(False))
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        second.post(opened.ballot(True))
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        first.post(opened.ballot(False))
    # A posted request is no longer cancellable, even past its deadline.
    late = open_request(deployment.requester, timeout=120)
    advance(deployment.chain, 121)
    with reverts("VerifierRequestExpired", requestId=late.request_id, deadline=late.deadline):
        second.post(late.ballot(True))
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        deployment.requester.cancel(opened)
    deployment.pauser.send("pause")
    with reverts("EnforcedPause"):
        second.post(late.ballot(True))


def test_finalize_waits_while_paused_and_works_after_a_switch_back_to_quorum_mode(
    deployment: Deployment,
) -> None:
    (poster,) = _optimistic(deployment)
    opened = open_request(deployment.requester)
    poster.post(opened.ballot(False))
    # Switching back to quorum mode leaves the post, its bond and its window alone.
    deployment.admin.set_optimistic(enabled=False, bond=0, window=0)
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        poster.vote(opened.ballot(True))
    advance(deployment.chain, WINDOW)
    deployment.pauser.send("pause")
    with reverts("EnforcedPause"):
        deployment.outsider.finalize(opened)
    deployment.pauser.send("unpause")
    deployment.outsider.finalize(opened)
    assert poster.status(opened.request_id)[:3] == (INVALID, 0, 1)
    assert poster.bond(poster.account) == (BOND, False)


# --- optimistic mode: challenges ------------------------------------------------------------------


def test_a_challenge_overturns_a_false_verdict_and_pays_half_the_bond_to_the_challenger(
    deployment: Deployment, referee: Referee
) -> None:
    poster, honest = _optimistic(deployment, posters=2)
    consumer = deploy_contract(deployment.chain, "RecordingConsumer")
    signed = _signed(deployment.requester, valid=True)
    opened = _open_through(deployment, consumer, signed, fee=FEE)
    poster.post(opened.ballot(False))
    assert _consumer_calls(consumer) == (0, False)
    balance = deployment.chain.balance(deployment.address)

    challenger = deployment.outsider
    sent = challenger.challenge(opened, signed.evidence(), gas=HEAVY_TX_GAS)
    assert _names(challenger, sent) == [
        "OracleSetChanged",
        "VerdictChallenged",
        "VerificationFinalized",
        "CallbackDelivered",
    ]
    assert _only(challenger, sent, "VerdictChallenged") == {
        "requestId": opened.request_id,
        "challenger": challenger.account,
        "poster": poster.account,
        "overturned": True,
        "valid": True,
        "reward": BOND // 2,
        "burned": BOND // 2,
    }
    assert _only(challenger, sent, "VerificationFinalized") == {
        "requestId": opened.request_id,
        "valid": True,
        "commitment": opened.terms.commitment,
        "validVotes": 0,
        "invalidVotes": 1,
    }
    assert challenger.status(opened.request_id)[:3] == (VALID, 0, 1)
    assert _consumer_calls(consumer) == (1, True)
    # Half the bond and the fee to the challenger; the poster's bond is gone, the other half stays
    # in the contract, owed to nobody.
    assert challenger.call("earnedOf", challenger.account) == BOND // 2 + FEE
    assert challenger.call("earnedOf", poster.account) == 0
    assert poster.bond(poster.account) == (0, True)
    assert deployment.chain.balance(deployment.address) == balance
    # The poster left the oracle set at once; the others stay.
    assert not challenger.call("isOracle", poster.account)
    assert list(challenger.call("oracles")) == [
        o.account for o in deployment.oracles if o is not poster
    ]
    # The callback fired once: nothing settles the request again.
    with reverts("VerifierNotPosted", requestId=opened.request_id):
        challenger.challenge(opened, signed.evidence(), gas=HEAVY_TX_GAS)
    with reverts("VerifierNotPosted", requestId=opened.request_id):
        challenger.finalize(opened)
    assert _consumer_calls(consumer) == (1, True)
    # Barred for ever: even added back to the set, it cannot post.
    deployment.admin.announce_and_apply([o.account for o in deployment.oracles], 1)
    poster.deposit_bond(BOND)
    other = open_request(deployment.requester)
    with reverts("VerifierPosterBarred", account=poster.account):
        poster.post(other.ballot(True))
    honest.post(other.ballot(True))


@anvil_only
def test_a_challenge_overturns_a_valid_verdict_on_a_forged_signature_with_a_context(
    deployment: Deployment, referee: Referee
) -> None:
    (poster,) = _optimistic(deployment)
    signed = _signed(deployment.requester, valid=False, context=b"app/v1")
    opened = _open(deployment.requester, signed)
    poster.post(opened.ballot(True))
    sent = deployment.outsider.challenge(opened, signed.evidence())
    assert _only(deployment.outsider, sent, "VerdictChallenged")["overturned"] is True
    assert deployment.outsider.status(opened.request_id)[:3] == (INVALID, 1, 0)
    # The last oracle of its set: the set is now empty and nobody can post or vote.
    assert list(deployment.outsider.call("oracles")) == [
        o.account for o in deployment.oracles if o is not poster
    ]


@anvil_only
def test_a_failed_challenge_confirms_the_verdict_at_once_and_pays_the_challenger_nothing(
    deployment: Deployment, referee: Referee
) -> None:
    (poster,) = _optimistic(deployment)
    consumer = deploy_contract(deployment.chain, "RecordingConsumer")
    signed = _signed(deployment.requester, valid=True)
    opened = _open_through(deployment, consumer, signed, fee=FEE)
    poster.post(opened.ballot(True))
    challenger = deployment.outsider
    # While paused, confirming (finalising as posted) waits, as `finalize` does.
    deployment.pauser.send("pause")
    with reverts("EnforcedPause"):
        challenger.challenge(opened, signed.evidence())
    deployment.pauser.send("unpause")
    assert (
        challenger.call("challenge", opened.request_id, opened.terms.abi(), signed.evidence().abi())
        is False
    )
    sent = challenger.challenge(opened, signed.evidence())
    assert _names(challenger, sent) == [
        "VerdictChallenged",
        "VerificationFinalized",
        "CallbackDelivered",
    ]
    assert _only(challenger, sent, "VerdictChallenged") == {
        "requestId": opened.request_id,
        "challenger": challenger.account,
        "poster": poster.account,
        "overturned": False,
        "valid": True,
        "reward": 0,
        "burned": 0,
    }
    assert challenger.status(opened.request_id)[:3] == (VALID, 1, 0)
    assert _consumer_calls(consumer) == (1, True)
    assert challenger.call("earnedOf", challenger.account) == 0
    assert challenger.call("earnedOf", poster.account) == FEE
    assert poster.bond(poster.account) == (BOND, False)
    assert challenger.call("isOracle", poster.account)


def test_a_challenge_is_refused_after_the_window_with_wrong_evidence_or_without_a_post(
    deployment: Deployment, referee: Referee
) -> None:
    (poster,) = _optimistic(deployment)
    signed = _signed(deployment.requester, valid=True)
    opened = _open(deployment.requester, signed)
    challenger = deployment.outsider
    with reverts("VerifierNotPosted", requestId=opened.request_id):
        challenger.challenge(opened, signed.evidence())
    sent = poster.post(opened.ballot(False))
    finalizes_at = _only(poster, sent, "VerdictPosted")["finalizesAt"]
    with reverts("VerifierTermsMismatch", requestId=opened.request_id):
        challenger.challenge(opened, signed.evidence(), with_terms(opened, callback_gas_limit=1))
    wrong = Evidence(ML_DSA_44, signed.signer.public_key, b"other", b"", signed.signature)
    with reverts("VerifierEvidenceMismatch", requestId=opened.request_id):
        challenger.challenge(opened, wrong)
    other_key = Evidence(
        ML_DSA_44, SigningKey.generate(1).public_key, signed.message, b"", signed.signature
    )
    with reverts("VerifierEvidenceMismatch", requestId=opened.request_id):
        challenger.challenge(opened, other_key)
    advance(deployment.chain, WINDOW)
    with reverts(
        "VerifierChallengeWindowClosed", requestId=opened.request_id, finalizesAt=finalizes_at
    ):
        challenger.challenge(opened, signed.evidence())
    # The wrong verdict stands: nobody challenged it in time.
    challenger.finalize(opened)
    assert challenger.status(opened.request_id)[:3] == (INVALID, 0, 1)


def test_a_challenge_without_an_available_verifier_reverts_and_changes_nothing(
    deployment: Deployment,
) -> None:
    _without_referee(deployment)
    (poster,) = _optimistic(deployment)
    signed = _signed(deployment.requester, valid=True)
    opened = _open(deployment.requester, signed)
    poster.post(opened.ballot(False))
    with reverts("VerifierOnchainUnavailable", algorithm=ML_DSA_44, withContext=False):
        deployment.outsider.challenge(opened, signed.evidence())
    assert deployment.outsider.status(opened.request_id)[0] == POSTED
    assert deployment.outsider.call("isOracle", poster.account)


def test_quorum_requests_keep_working_beside_the_optimistic_functions(
    deployment: Deployment,
) -> None:
    opened = open_request(deployment.requester)
    assert deployment.requester.status(opened.request_id)[0] == PENDING
    deployment.oracles[0].vote(opened.ballot(True))
    assert deployment.requester.status(opened.request_id)[:3] == (VALID, 1, 0)
    with reverts("VerifierNotPosted", requestId=opened.request_id):
        deployment.outsider.finalize(opened)
