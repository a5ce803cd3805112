"""SignatureVerifier 2 on the embedded chain and on Anvil: every function, event and custom
error, by value.

Signatures only need the right size here: the contract checks sizes, terms and votes, the oracles
check signatures. One test runs a real ML-DSA signature through request, verification and vote.
The deployment (tests/contracts/conftest.py) has three oracles at threshold 1 and no set-change
delay, so a test reshapes the set with `announce_and_apply`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from oracle.chain import commitment, load_artifact
from oracle.chain.connection import create_funded_account
from oracle.chain.transactions import transact
from oracle.crypto import ALGORITHMS, ML_DSA_65, SigningKey, verify
from oracle.errors import ContractRevertError
from tests.chains import reverts
from tests.contracts.v2 import (
    ALREADY_VOTED,
    CANCELLED,
    EXPIRED,
    INVALID,
    NONE,
    NOT_PENDING,
    PAUSER_ROLE,
    PENDING,
    SKIP_EXPIRED,
    TERMS_MISMATCH,
    UNKNOWN_REQUEST,
    VALID,
    ZERO_ADDRESS,
    Config,
    Deployment,
    Handle,
    Opened,
    Terms,
    advance,
    algorithm_of,
    deploy_contract,
    deploy_verifier,
    forward,
    now,
    open_request,
    random_payload,
    request_id_of,
    stamp_next_block,
    with_terms,
)

ALGORITHM_IDS = [a.id for a in ALGORITHMS]
MAX_MESSAGE = 16384
MAX_CONTEXT = 255
DEFAULT = Config()


def _names(handle: Handle, sent: Any) -> list[str]:
    return [name for name, _ in handle.events(sent)]


def _only(handle: Handle, sent: Any, name: str) -> dict[str, Any]:
    (event,) = [args for event_name, args in handle.events(sent) if event_name == name]
    return event


def _fresh_addresses(count: int) -> list[str]:
    return [Account.create().address for _ in range(count)]


def _balance(deployment: Deployment) -> int:
    return deployment.chain.balance(deployment.address)


# --- deployment -----------------------------------------------------------------------------------


def test_deployment_reports_its_version_set_config_and_admin(deployment: Deployment) -> None:
    admin = deployment.admin
    assert admin.call("typeAndVersion") == "SignatureVerifier 2.1.0"
    assert admin.call("defaultAdmin") == deployment.chain.address
    assert admin.call("oracles") == [o.account for o in deployment.oracles]
    assert admin.call("threshold") == 1
    assert admin.call("oracleSetDelay") == 0
    assert admin.call("config") == DEFAULT.abi()
    assert admin.call("MAX_ORACLES") == 32
    assert admin.call("MAX_ORACLE_SLOTS") == 48
    assert admin.call("pendingOracleSetChange") == ([], 0, 0)
    assert all(admin.call("isOracle", o.account) for o in deployment.oracles)
    assert not admin.call("isOracle", deployment.outsider.account)
    assert admin.call("hasRole", PAUSER_ROLE, deployment.pauser.account)
    assert not admin.call("paused")


def test_the_constructor_emits_config_set_and_oracle_set_changed(deployment: Deployment) -> None:
    events = deployment.admin.events(deployment.deployed)
    assert [name for name, _ in events] == ["RoleGranted", "ConfigSet", "OracleSetChanged"]
    assert events[1][1] == {
        "minFee": 0,
        "defaultTimeout": 3600,
        "minTimeout": 60,
        "maxTimeout": 86400,
        "maxCallbackGasLimit": 500_000,
    }
    assert events[2][1] == {"oracles": [o.account for o in deployment.oracles], "threshold": 1}


def test_deployed_code_is_the_committed_runtime_bytecode(deployment: Deployment) -> None:
    code = deployment.chain.w3.eth.get_code(deployment.address)
    assert bytes(code) == load_artifact("SignatureVerifier").deployed_bytecode


def test_the_constructor_checks_admin_set_and_timeouts(deployment: Deployment) -> None:
    chain, one = deployment.chain, [deployment.oracles[0].account]
    with reverts("AccessControlInvalidDefaultAdmin", defaultAdmin=ZERO_ADDRESS):
        deploy_verifier(chain, one, admin=ZERO_ADDRESS)
    with reverts("VerifierInvalidOracle", oracle=ZERO_ADDRESS):
        deploy_verifier(chain, [ZERO_ADDRESS])
    with reverts("VerifierInvalidOracle", oracle=one[0]):
        deploy_verifier(chain, one + one, threshold=1)
    with reverts("VerifierTooManyOracles", oracles=33, maximum=32):
        deploy_verifier(chain, _fresh_addresses(33))
    with reverts("VerifierInvalidThreshold", threshold=0, oracles=1):
        deploy_verifier(chain, one, threshold=0)
    with reverts("VerifierInvalidThreshold", threshold=2, oracles=1):
        deploy_verifier(chain, one, threshold=2)
    with reverts("VerifierInvalidThreshold", threshold=1, oracles=0):
        deploy_verifier(chain, [], threshold=1)
    with reverts("VerifierInvalidTimeouts", minTimeout=0, defaultTimeout=10, maxTimeout=20):
        deploy_verifier(
            chain, one, config=Config(min_timeout=0, default_timeout=10, max_timeout=20)
        )


def test_supports_interface_reports_the_verifier_and_access_control_interfaces(
    deployment: Deployment,
) -> None:
    ids = 0
    for entry in load_artifact("ISignatureVerifier").abi:
        if entry["type"] == "function":
            types = ",".join(_abi_type(i) for i in entry["inputs"])
            ids ^= int.from_bytes(keccak(f"{entry['name']}({types})".encode())[:4], "big")
    admin = deployment.admin
    assert admin.call("supportsInterface", ids.to_bytes(4, "big"))
    assert admin.call("supportsInterface", bytes.fromhex("7965db0b"))  # IAccessControl
    assert not admin.call("supportsInterface", bytes.fromhex("ffffffff"))


def _abi_type(item: Any) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])


# --- registerKey ----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm_id", ALGORITHM_IDS)
def test_register_key_stores_the_record_and_emits_key_registered(
    deployment: Deployment, algorithm_id: int
) -> None:
    signer = SigningKey.generate(algorithm_id)
    requester = deployment.requester
    key_id, sent = requester.register_key(algorithm_id, signer.public_key)
    assert key_id == signer.key_id == keccak(bytes([algorithm_id]) + signer.public_key)
    assert requester.events(sent) == [
        (
            "KeyRegistered",
            {
                "keyId": key_id,
                "algorithm": algorithm_id,
                "registrant": requester.account,
                "publicKey": signer.public_key,
            },
        )
    ]
    assert requester.call("keyOf", key_id) == (algorithm_id, requester.account, sent.block_number)
    assert requester.call("keyAlgorithm", key_id) == algorithm_id
    assert requester.call("isKeyRegistered", key_id)


def test_registering_a_registered_key_returns_its_id_without_an_event(
    deployment: Deployment,
) -> None:
    public_key, _, _ = random_payload(2)
    key_id, first = deployment.admin.register_key(2, public_key)
    again, sent = deployment.outsider.register_key(2, public_key)
    assert again == key_id
    assert deployment.admin.events(sent) == []
    # The first registrant's record stays.
    assert deployment.admin.call("keyOf", key_id)[1:] == (
        deployment.chain.address,
        first.block_number,
    )


def test_an_unregistered_key_reads_as_algorithm_zero(deployment: Deployment) -> None:
    unknown = os.urandom(32)
    assert not deployment.admin.call("isKeyRegistered", unknown)
    assert deployment.admin.call("keyAlgorithm", unknown) == 0
    assert deployment.admin.call("keyOf", unknown) == (0, ZERO_ADDRESS, 0)


@pytest.mark.parametrize("algorithm_id", [0, 4, 255])
def test_register_key_reverts_for_an_unsupported_algorithm(
    deployment: Deployment, algorithm_id: int
) -> None:
    with reverts("SanitizerUnsupportedAlgorithm", algorithm=algorithm_id):
        deployment.admin.register_key(algorithm_id, os.urandom(1312))


@pytest.mark.parametrize("algorithm_id", ALGORITHM_IDS)
def test_register_key_reverts_for_a_wrong_public_key_length(
    deployment: Deployment, algorithm_id: int
) -> None:
    expected = algorithm_of(algorithm_id).public_key_size
    for length in (0, expected - 1, expected + 1):
        with reverts(
            "SanitizerInvalidPublicKeyLength",
            algorithm=algorithm_id,
            expected=expected,
            actual=length,
        ):
            deployment.admin.register_key(algorithm_id, os.urandom(length))


def test_register_key_reverts_while_paused(deployment: Deployment) -> None:
    deployment.pauser.send("pause")
    with reverts("EnforcedPause"):
        deployment.admin.register_key(1, os.urandom(1312))


# --- requestVerification --------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm_id", ALGORITHM_IDS)
def test_request_verification_stores_one_word_and_emits_everything_an_oracle_needs(
    deployment: Deployment, algorithm_id: int
) -> None:
    requester = deployment.requester
    public_key, _, signature = random_payload(algorithm_id)
    key_id, _ = requester.register_key(algorithm_id, public_key)
    message, context = b"pay 1 ETH", b"app/v1"
    sent = requester.send("requestVerification", key_id, message, context, signature, 0, 0, value=7)
    expected_id = request_id_of(deployment.chain.chain_id, deployment.address, requester.account, 0)
    deadline = now(deployment.chain) + DEFAULT.default_timeout
    expected_commitment = commitment(key_id, message, context, signature)
    assert requester.events(sent) == [
        (
            "VerificationRequested",
            {
                "requestId": expected_id,
                "keyId": key_id,
                "requester": requester.account,
                "commitment": expected_commitment,
                "fee": 7,
                "callbackGasLimit": 0,
                "deadline": deadline,
                "nonce": 0,
                "message": message,
                "context": context,
                "signature": signature,
            },
        )
    ]
    assert requester.call("requestIdOf", requester.account, 0) == expected_id
    assert requester.call("requestCountOf", requester.account) == 1
    assert requester.status(expected_id) == (PENDING, 0, 0, deadline)
    terms = Terms(expected_commitment, requester.account, 7, 0)
    assert requester.call("isCommitted", expected_id, terms.abi())
    assert not requester.call(
        "isCommitted", expected_id, Terms(expected_commitment, requester.account, 8).abi()
    )
    assert _balance(deployment) == 7


def test_request_ids_are_bound_to_requester_nonce_chain_and_verifier(
    deployment: Deployment,
) -> None:
    first = open_request(deployment.requester)
    second = open_request(deployment.requester)
    other = open_request(deployment.outsider)
    chain_id, address = deployment.chain.chain_id, deployment.address
    assert (first.nonce, second.nonce, other.nonce) == (0, 1, 0)
    assert first.request_id == request_id_of(chain_id, address, deployment.requester.account, 0)
    assert second.request_id == request_id_of(chain_id, address, deployment.requester.account, 1)
    assert other.request_id == request_id_of(chain_id, address, deployment.outsider.account, 0)
    assert first.request_id != request_id_of(chain_id + 1, address, deployment.requester.account, 0)
    assert deployment.admin.call("requestCountOf", deployment.requester.account) == 2


def test_a_request_that_was_never_opened_reads_as_none(deployment: Deployment) -> None:
    unknown = os.urandom(32)
    assert deployment.admin.status(unknown) == (NONE, 0, 0, 0)
    assert not deployment.admin.call("isCommitted", unknown, Terms(bytes(32), ZERO_ADDRESS).abi())


def test_a_given_timeout_sets_the_deadline_and_bounds_are_enforced(deployment: Deployment) -> None:
    opened = open_request(deployment.requester, timeout=60)
    assert opened.deadline == now(deployment.chain) + 60
    opened = open_request(deployment.requester, timeout=86_400)
    assert opened.deadline == now(deployment.chain) + 86_400
    for timeout in (59, 86_401):
        with reverts("VerifierTimeoutOutOfRange", timeout=timeout, minimum=60, maximum=86_400):
            open_request(deployment.requester, timeout=timeout)


def test_request_verification_checks_key_sizes_fee_and_callback_gas(
    deployment: Deployment,
) -> None:
    requester = deployment.requester
    public_key, message, signature = random_payload(1)
    key_id, _ = requester.register_key(1, public_key)
    unknown = os.urandom(32)
    with reverts("VerifierUnknownKey", keyId=unknown):
        requester.request(unknown, message, b"", signature)
    with reverts("SanitizerInvalidSignatureLength", algorithm=1, expected=2420, actual=2419):
        requester.request(key_id, message, b"", signature[:-1])
    with reverts("SanitizerMessageTooLong", length=MAX_MESSAGE + 1, max=MAX_MESSAGE):
        requester.request(key_id, os.urandom(MAX_MESSAGE + 1), b"", signature)
    with reverts("SanitizerContextTooLong", length=MAX_CONTEXT + 1, max=MAX_CONTEXT):
        requester.request(key_id, message, os.urandom(MAX_CONTEXT + 1), signature)
    with reverts("VerifierCallbackGasTooHigh", callbackGasLimit=500_001, maximum=500_000):
        requester.request(key_id, message, b"", signature, callback_gas_limit=500_001)
    deployment.admin.send("setConfig", Config(min_fee=100).abi())
    with reverts("VerifierFeeTooLow", fee=99, minimum=100):
        requester.request(key_id, message, b"", signature, fee=99)
    # The largest payload is accepted.
    largest = requester.request(
        key_id, os.urandom(MAX_MESSAGE), os.urandom(MAX_CONTEXT), signature, fee=100
    )
    assert requester.status(largest.request_id)[0] == PENDING


def test_request_verification_reverts_while_paused(deployment: Deployment) -> None:
    public_key, message, signature = random_payload(1)
    key_id, _ = deployment.requester.register_key(1, public_key)
    deployment.pauser.send("pause")
    with reverts("EnforcedPause"):
        deployment.requester.request(key_id, message, b"", signature)
    with reverts("EnforcedPause"):
        deployment.requester.send(
            "requestVerificationWithKey", 1, public_key, message, b"", signature, 0, 0
        )


def test_request_verification_with_key_registers_a_new_key_and_requests(
    deployment: Deployment,
) -> None:
    requester = deployment.requester
    public_key, message, signature = random_payload(3)
    args = (3, public_key, message, b"", signature, 0, 0)
    request_id, key_id = requester.call("requestVerificationWithKey", *args)
    sent = requester.send("requestVerificationWithKey", *args)
    assert _names(requester, sent) == ["KeyRegistered", "VerificationRequested"]
    assert key_id == keccak(bytes([3]) + public_key)
    assert requester.opened(sent).request_id == request_id
    assert requester.opened(sent).key_id == key_id
    # With the key registered, only the request is new.
    again = requester.send("requestVerificationWithKey", *args)
    assert _names(requester, again) == ["VerificationRequested"]
    with reverts("SanitizerInvalidPublicKeyLength", algorithm=3, expected=2592, actual=10):
        requester.send("requestVerificationWithKey", 3, bytes(10), message, b"", signature, 0, 0)


# --- vote -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("valid", "status"), [(True, VALID), (False, INVALID)])
def test_one_vote_at_threshold_one_finalises_the_request(
    deployment: Deployment, valid: bool, status: int
) -> None:
    opened = open_request(deployment.requester)
    oracle = deployment.oracles[0]
    sent = oracle.vote(opened.ballot(valid))
    assert oracle.events(sent) == [
        (
            "VerificationFinalized",
            {
                "requestId": opened.request_id,
                "valid": valid,
                "commitment": opened.terms.commitment,
                "validVotes": int(valid),
                "invalidVotes": int(not valid),
            },
        )
    ]
    assert oracle.status(opened.request_id) == (status, int(valid), int(not valid), opened.deadline)


def test_at_threshold_two_a_vote_is_cast_a_contradiction_disputed_and_agreement_final(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    deployment.admin.announce_and_apply([a.account, b.account, c.account], 2)
    opened = open_request(deployment.requester)
    rid = opened.request_id

    first = a.vote(opened.ballot(True))
    assert a.events(first) == [("VoteCast", {"requestId": rid, "oracle": a.account, "valid": True})]
    assert a.status(rid)[:3] == (PENDING, 1, 0)

    second = b.vote(opened.ballot(False))
    assert b.events(second) == [
        (
            "VerificationDisputed",
            {
                "requestId": rid,
                "oracle": b.account,
                "valid": False,
                "validVotes": 1,
                "invalidVotes": 1,
            },
        ),
        ("VoteCast", {"requestId": rid, "oracle": b.account, "valid": False}),
    ]

    third = c.vote(opened.ballot(True))
    assert c.events(third) == [
        (
            "VerificationDisputed",
            {
                "requestId": rid,
                "oracle": c.account,
                "valid": True,
                "validVotes": 2,
                "invalidVotes": 1,
            },
        ),
        (
            "VerificationFinalized",
            {
                "requestId": rid,
                "valid": True,
                "commitment": opened.terms.commitment,
                "validVotes": 2,
                "invalidVotes": 1,
            },
        ),
    ]
    assert a.status(rid)[:3] == (VALID, 2, 1)


def test_vote_reverts_for_an_outsider_before_looking_at_the_pause(deployment: Deployment) -> None:
    opened = open_request(deployment.requester)
    deployment.pauser.send("pause")
    with reverts("VerifierNotOracle", account=deployment.outsider.account):
        deployment.outsider.vote(opened.ballot(True))
    with reverts("EnforcedPause"):
        deployment.oracles[0].vote(opened.ballot(True))
    with reverts("VerifierNotOracle", account=deployment.outsider.account):
        deployment.outsider.vote_batch([opened.ballot(True)])
    with reverts("EnforcedPause"):
        deployment.oracles[0].vote_batch([opened.ballot(True)])
    deployment.pauser.send("unpause")
    deployment.oracles[0].vote(opened.ballot(True))


def test_vote_reverts_for_an_unknown_request_and_restated_terms_that_differ(
    deployment: Deployment,
) -> None:
    oracle = deployment.oracles[0]
    opened = open_request(deployment.requester, fee=5)
    unknown = os.urandom(32)
    with reverts("VerifierUnknownRequest", requestId=unknown):
        oracle.vote((unknown, True, opened.terms.abi()))
    for changed in (
        with_terms(opened, commitment=os.urandom(32)),
        with_terms(opened, requester=deployment.outsider.account),
        with_terms(opened, fee=6),
        with_terms(opened, callback_gas_limit=1),
    ):
        with reverts("VerifierTermsMismatch", requestId=opened.request_id):
            oracle.vote(opened.ballot(True, changed))
    # Another request's terms do not fit either.
    other = open_request(deployment.requester)
    with reverts("VerifierTermsMismatch", requestId=opened.request_id):
        oracle.vote(opened.ballot(True, other.terms))


def test_vote_reverts_once_the_request_is_final_expired_or_already_voted(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    deployment.admin.announce_and_apply([a.account, b.account, c.account], 2)
    opened = open_request(deployment.requester, timeout=60)
    a.vote(opened.ballot(True))
    with reverts("VerifierAlreadyVoted", requestId=opened.request_id, oracle=a.account):
        a.vote(opened.ballot(False))
    b.vote(opened.ballot(True))
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        c.vote(opened.ballot(True))

    late = open_request(deployment.requester, timeout=60)
    advance(deployment.chain, 61)
    with reverts("VerifierRequestExpired", requestId=late.request_id, deadline=late.deadline):
        a.vote(late.ballot(True))
    assert a.status(late.request_id) == (EXPIRED, 0, 0, late.deadline)


def test_a_vote_exactly_at_the_deadline_still_counts(deployment: Deployment) -> None:
    opened = open_request(deployment.requester, timeout=60)
    # The next block, the vote's, is stamped with the deadline itself.
    stamp_next_block(deployment.chain, opened.deadline)
    sent = deployment.oracles[0].vote(opened.ballot(True))
    assert deployment.chain.w3.eth.get_block(sent.block_number)["timestamp"] == opened.deadline
    assert deployment.admin.status(opened.request_id)[0] == VALID


def test_a_real_ml_dsa_signature_goes_through_request_verification_and_vote(
    deployment: Deployment,
) -> None:
    signer = SigningKey.generate(ML_DSA_65)
    requester = deployment.requester
    key_id, _ = requester.register_key(ML_DSA_65.id, signer.public_key)
    message, context = b"release escrow 42", b"escrow/v1"
    good = requester.request(key_id, message, context, signer.sign(message, context))
    bad = requester.request(key_id, b"release escrow 43", context, good.signature)
    for opened in (good, bad):
        # The oracle decides from the events alone, then restates the terms it read.
        valid = verify(
            ML_DSA_65, signer.public_key, opened.message, opened.signature, opened.context
        )
        assert (
            commitment(key_id, opened.message, opened.context, opened.signature)
            == opened.terms.commitment
        )
        deployment.oracles[0].vote(opened.ballot(valid))
    assert requester.status(good.request_id)[0] == VALID
    assert requester.status(bad.request_id)[0] == INVALID


# --- voteBatch ------------------------------------------------------------------------------------


def test_vote_batch_counts_good_entries_and_skips_the_rest_with_reasons(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    deployment.admin.announce_and_apply([a.account, b.account, c.account], 2)
    pending = open_request(deployment.requester)
    voted = open_request(deployment.requester)
    final = open_request(deployment.requester)
    expiring = open_request(deployment.requester, timeout=60)
    a.vote(voted.ballot(True))
    a.vote(final.ballot(True))
    b.vote(final.ballot(True))
    advance(deployment.chain, 30)
    fresh = open_request(deployment.requester)
    advance(deployment.chain, 31)
    unknown = os.urandom(32)
    ballots = [
        pending.ballot(True),
        (unknown, True, pending.terms.abi()),
        fresh.ballot(False, with_terms(fresh, fee=1)),
        final.ballot(True),
        expiring.ballot(True),
        voted.ballot(False),
        fresh.ballot(False),
        fresh.ballot(False),
    ]
    assert a.call("voteBatch", ballots) == 2
    sent = a.vote_batch(ballots)
    me = a.account
    assert a.events(sent) == [
        ("VoteCast", {"requestId": pending.request_id, "oracle": me, "valid": True}),
        ("VoteSkipped", {"requestId": unknown, "oracle": me, "reason": UNKNOWN_REQUEST}),
        ("VoteSkipped", {"requestId": fresh.request_id, "oracle": me, "reason": TERMS_MISMATCH}),
        ("VoteSkipped", {"requestId": final.request_id, "oracle": me, "reason": NOT_PENDING}),
        ("VoteSkipped", {"requestId": expiring.request_id, "oracle": me, "reason": SKIP_EXPIRED}),
        ("VoteSkipped", {"requestId": voted.request_id, "oracle": me, "reason": ALREADY_VOTED}),
        ("VoteCast", {"requestId": fresh.request_id, "oracle": me, "valid": False}),
        ("VoteSkipped", {"requestId": fresh.request_id, "oracle": me, "reason": ALREADY_VOTED}),
    ]
    # The second oracle's batch finalises both.
    sent = b.vote_batch([pending.ballot(True), fresh.ballot(False)])
    assert _names(b, sent) == ["VerificationFinalized", "VerificationFinalized"]
    assert a.status(pending.request_id)[0] == VALID
    assert a.status(fresh.request_id)[0] == INVALID


def test_an_empty_batch_counts_nothing(deployment: Deployment) -> None:
    assert deployment.oracles[0].call("voteBatch", []) == 0
    assert deployment.oracles[0].events(deployment.oracles[0].vote_batch([])) == []


# --- fees -----------------------------------------------------------------------------------------


def test_the_fee_is_split_among_the_winning_side_with_the_remainder_to_the_finaliser(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    deployment.admin.announce_and_apply([a.account, b.account, c.account], 2)
    opened = open_request(deployment.requester, fee=101)
    a.vote(opened.ballot(True))
    b.vote(opened.ballot(False))
    assert _balance(deployment) == 101
    c.vote(opened.ballot(True))
    assert [a.call("earnedOf", o.account) for o in (a, b, c)] == [50, 0, 51]
    assert _balance(deployment) == 101

    to = Account.create().address
    assert a.call("withdraw", to) == 50
    sent = a.send("withdraw", to)
    assert a.events(sent) == [("FeesWithdrawn", {"oracle": a.account, "to": to, "amount": 50})]
    assert deployment.chain.balance(to) == 50
    assert a.call("earnedOf", a.account) == 0
    assert _balance(deployment) == 51
    with reverts("VerifierNothingToWithdraw", account=a.account):
        a.send("withdraw", to)
    with reverts("VerifierNothingToWithdraw", account=b.account):
        b.send("withdraw", to)


def test_withdraw_and_cancel_work_while_paused(deployment: Deployment) -> None:
    opened = open_request(deployment.requester, fee=3, timeout=60)
    paid = open_request(deployment.requester, fee=4)
    deployment.oracles[1].vote(paid.ballot(True))
    deployment.pauser.send("pause")
    advance(deployment.chain, 61)
    deployment.requester.cancel(opened)
    deployment.oracles[1].send("withdraw", deployment.oracles[1].account)
    assert _balance(deployment) == 0


def test_withdraw_reverts_when_the_recipient_refuses_ether(deployment: Deployment) -> None:
    opened = open_request(deployment.requester, fee=9)
    oracle = deployment.oracles[0]
    oracle.vote(opened.ballot(True))
    receiver = deploy_contract(deployment.chain, "RejectingReceiver")
    with reverts("VerifierTransferFailed", to=receiver.address, amount=9):
        oracle.send("withdraw", receiver.address)
    assert oracle.call("earnedOf", oracle.account) == 9


# --- cancel ---------------------------------------------------------------------------------------


def test_cancel_after_the_deadline_refunds_the_fee(deployment: Deployment) -> None:
    requester = deployment.requester
    opened = open_request(requester, fee=10**15, timeout=60)
    with reverts(
        "VerifierRequestNotExpired", requestId=opened.request_id, deadline=opened.deadline
    ):
        requester.cancel(opened)
    advance(deployment.chain, 61)
    before = deployment.chain.balance(requester.account)
    sent = requester.cancel(opened)
    assert requester.events(sent) == [
        (
            "RequestCancelled",
            {"requestId": opened.request_id, "requester": requester.account, "refund": 10**15},
        )
    ]
    cost = sent.gas_used * sent.effective_gas_price
    assert deployment.chain.balance(requester.account) == before + 10**15 - cost
    assert requester.status(opened.request_id) == (CANCELLED, 0, 0, opened.deadline)
    assert _balance(deployment) == 0
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        requester.cancel(opened)
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        deployment.oracles[0].vote(opened.ballot(True))


def test_cancel_checks_requester_request_terms_and_status(deployment: Deployment) -> None:
    requester = deployment.requester
    opened = open_request(requester, timeout=60)
    final = open_request(requester, timeout=60)
    deployment.oracles[0].vote(final.ballot(False))
    advance(deployment.chain, 61)
    with reverts(
        "VerifierNotRequester", requestId=opened.request_id, account=deployment.outsider.account
    ):
        deployment.outsider.cancel(opened)
    unknown = os.urandom(32)
    with reverts("VerifierUnknownRequest", requestId=unknown):
        requester.send("cancel", unknown, opened.terms.abi())
    with reverts("VerifierTermsMismatch", requestId=opened.request_id):
        requester.cancel(opened, with_terms(opened, fee=1))
    with reverts("VerifierRequestNotPending", requestId=final.request_id):
        requester.cancel(final)
    sent = requester.cancel(opened)
    assert _only(requester, sent, "RequestCancelled")["refund"] == 0


def test_cancel_reverts_when_the_requester_refuses_its_refund(deployment: Deployment) -> None:
    receiver = deploy_contract(deployment.chain, "RejectingReceiver")
    admin = deployment.admin
    public_key, message, signature = random_payload(1)
    key_id, _ = admin.register_key(1, public_key)
    sent = forward(
        admin, receiver, "requestVerification", key_id, message, b"", signature, 0, 60, value=5
    )
    opened = admin.opened(sent)
    advance(deployment.chain, 61)
    with reverts("VerifierTransferFailed", to=receiver.address, amount=5):
        forward(admin, receiver, "cancel", opened.request_id, opened.terms.abi())
    assert admin.status(opened.request_id)[0] == EXPIRED
    assert _balance(deployment) == 5


# --- consumer callbacks ---------------------------------------------------------------------------


def _consumer_request(
    deployment: Deployment, consumer: Any, gas_limit: int, *, fee: int = 0
) -> Opened:
    admin = deployment.admin
    public_key, message, signature = random_payload(1)
    key_id, _ = admin.register_key(1, public_key)
    sent = forward(
        admin,
        consumer,
        "requestVerification",
        key_id,
        message,
        b"",
        signature,
        gas_limit,
        0,
        value=fee,
    )
    return admin.opened(sent)


def test_the_consumer_is_called_back_with_exactly_its_gas_after_the_verdict(
    deployment: Deployment,
) -> None:
    consumer = deploy_contract(deployment.chain, "RecordingConsumer")
    opened = _consumer_request(deployment, consumer, 100_000)
    assert opened.terms == Terms(opened.terms.commitment, consumer.address, 0, 100_000)
    oracle = deployment.oracles[0]
    sent = oracle.vote(opened.ballot(False))
    assert oracle.events(sent)[-1] == (
        "CallbackDelivered",
        {"requestId": opened.request_id, "consumer": consumer.address, "success": True},
    )
    assert _names(oracle, sent) == ["VerificationFinalized", "CallbackDelivered"]
    assert consumer.functions.calls().call() == 1
    assert consumer.functions.lastRequestId().call() == opened.request_id
    assert consumer.functions.lastValid().call() is False
    assert consumer.functions.lastCaller().call() == deployment.address
    # Exactly the limit: less only the consumer's own dispatch before `gasleft()`, however much
    # gas the oracle's transaction carried.
    assert 100_000 - 1_000 < consumer.functions.gasAtEntry().call() < 100_000


def test_a_reverting_or_gas_burning_consumer_cannot_undo_the_verdict(
    deployment: Deployment,
) -> None:
    oracle = deployment.oracles[0]
    for name in ("RevertingConsumer", "GasBurningConsumer"):
        consumer = deploy_contract(deployment.chain, name)
        opened = _consumer_request(deployment, consumer, 200_000)
        sent = oracle.vote(opened.ballot(True))
        assert oracle.events(sent)[-1][1]["success"] is False
        assert oracle.status(opened.request_id)[0] == VALID
        if name == "GasBurningConsumer":
            assert sent.gas_used > 200_000


def test_a_consumer_without_code_is_a_failed_callback_not_a_revert(deployment: Deployment) -> None:
    opened = open_request(deployment.requester, callback_gas_limit=50_000)
    sent = deployment.oracles[0].vote(opened.ballot(True))
    assert deployment.admin.events(sent)[-1] == (
        "CallbackDelivered",
        {
            "requestId": opened.request_id,
            "consumer": deployment.requester.account,
            "success": False,
        },
    )


def test_return_data_of_the_consumer_is_never_copied(deployment: Deployment) -> None:
    oracle = deployment.oracles[0]
    gas = []
    for size in (0, 64_000):
        consumer = deploy_contract(deployment.chain, "ReturnBombConsumer", size)
        opened = _consumer_request(deployment, consumer, 400_000)
        sent = oracle.vote(opened.ballot(True))
        assert oracle.events(sent)[-1][1]["success"] is True
        gas.append(sent.gas_used)
    # 64,000 bytes cost the consumer 2,000 words of memory (about 13,800 gas); copying them
    # back would cost the verifier as much again.
    assert gas[1] - gas[0] < 16_000


def test_a_finalising_vote_without_enough_gas_for_the_callback_reverts(
    deployment: Deployment,
) -> None:
    consumer = deploy_contract(deployment.chain, "RecordingConsumer")
    limit = 400_000
    opened = _consumer_request(deployment, consumer, limit)
    oracle = deployment.oracles[0]
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the node's own exception, decoded below
        oracle.contract.functions.vote(opened.ballot(True)).call(
            {"from": oracle.account, "gas": limit + 40_000}
        )
    error = oracle.decoder.from_exception(caught.value)
    assert error is not None
    assert error.error_name == "VerifierInsufficientGasForCallback"
    assert error.error_args["callbackGasLimit"] == limit
    assert 0 < int(error.error_args["available"]) < limit * 64 // 63 + 5_000  # type: ignore[call-overload]
    # A mined vote with too little gas reverts whole: the request stays open.
    with pytest.raises(ContractRevertError):
        oracle.vote(opened.ballot(True), gas=limit + 40_000)
    assert oracle.status(opened.request_id)[0] == PENDING
    oracle.vote(opened.ballot(True), gas=limit * 64 // 63 + 60_000)
    assert consumer.functions.calls().call() == 1


def _reentrant_oracle(deployment: Deployment) -> Any:
    consumer = deploy_contract(deployment.chain, "ReentrantConsumer")
    members = [o.account for o in deployment.oracles] + [consumer.address]
    deployment.admin.announce_and_apply(members, 1)
    return consumer


def _arm(deployment: Deployment, consumer: Any, function: str, *args: Any) -> None:
    data = deployment.admin.data(function, *args)
    arm = consumer.encode_abi("arm", args=[deployment.address, data])
    transact(
        deployment.chain,
        to=consumer.address,
        data=bytes.fromhex(arm[2:]),
        decoder=deployment.admin.decoder,
    )


def _reentry(deployment: Deployment, consumer: Any) -> tuple[bool, ContractRevertError | bytes]:
    assert consumer.functions.reentered().call()
    result = bytes(consumer.functions.reentryResult().call())
    if consumer.functions.reentrySucceeded().call():
        return True, result
    return False, deployment.admin.decoder.error(result)


def test_a_consumer_re_entering_vote_or_cancel_finds_the_request_final(
    deployment: Deployment,
) -> None:
    consumer = _reentrant_oracle(deployment)
    oracle = deployment.oracles[0]
    for function in ("vote", "cancel"):
        opened = _consumer_request(deployment, consumer, 300_000)
        if function == "vote":
            _arm(deployment, consumer, "vote", opened.ballot(False))
        else:
            _arm(deployment, consumer, "cancel", opened.request_id, opened.terms.abi())
        sent = oracle.vote(opened.ballot(True))
        assert oracle.events(sent)[-1][1]["success"] is True
        ok, error = _reentry(deployment, consumer)
        assert not ok
        assert isinstance(error, ContractRevertError)
        assert (error.error_name, error.error_args) == (
            "VerifierRequestNotPending",
            {"requestId": opened.request_id},
        )
        assert oracle.status(opened.request_id)[:3] == (VALID, 1, 0)


def test_a_consumer_re_entering_vote_batch_is_skipped_and_may_vote_elsewhere(
    deployment: Deployment,
) -> None:
    consumer = _reentrant_oracle(deployment)
    a, b, _ = deployment.oracles
    members = [a.account, b.account, consumer.address]
    deployment.admin.announce_and_apply(members, 2)
    other = open_request(deployment.requester)
    opened = _consumer_request(deployment, consumer, 300_000)
    _arm(deployment, consumer, "voteBatch", [opened.ballot(False), other.ballot(True)])
    a.vote(opened.ballot(True))
    sent = b.vote(opened.ballot(True))
    names = _names(b, sent)
    assert names == ["VerificationFinalized", "VoteSkipped", "VoteCast", "CallbackDelivered"]
    assert b.events(sent)[1][1] == {
        "requestId": opened.request_id,
        "oracle": consumer.address,
        "reason": NOT_PENDING,
    }
    ok, result = _reentry(deployment, consumer)
    assert ok
    assert isinstance(result, bytes)
    assert int.from_bytes(result, "big") == 1
    assert b.status(opened.request_id)[:3] == (VALID, 2, 0)
    assert b.status(other.request_id)[:3] == (PENDING, 1, 0)


def test_a_consumer_re_entering_withdraw_gets_exactly_its_earnings(deployment: Deployment) -> None:
    consumer = _reentrant_oracle(deployment)
    admin = deployment.admin
    earned = open_request(deployment.requester, fee=40)
    forward(admin, consumer, "vote", earned.ballot(True))
    assert admin.call("earnedOf", consumer.address) == 40
    opened = _consumer_request(deployment, consumer, 300_000, fee=6)
    _arm(deployment, consumer, "withdraw", consumer.address)
    deployment.oracles[0].vote(opened.ballot(True))
    ok, result = _reentry(deployment, consumer)
    assert ok
    assert isinstance(result, bytes)
    assert int.from_bytes(result, "big") == 40
    assert deployment.chain.balance(consumer.address) == 40
    assert admin.call("earnedOf", deployment.oracles[0].account) == 6
    assert _balance(deployment) == 6


# --- oracle set changes ---------------------------------------------------------------------------


def test_an_announced_change_takes_effect_only_after_the_delay(deployment: Deployment) -> None:
    chain = deployment.chain
    oracle = deployment.oracles[0]
    verifier, _ = deploy_verifier(chain, [oracle.account], oracle_set_delay=100)
    admin = verifier
    newcomer = create_funded_account(chain)
    with reverts("VerifierNoOracleSetChange"):
        admin.send("applyOracleSetChange")
    sent = admin.send("announceOracleSetChange", [oracle.account, newcomer.address], 2)
    effective = now(chain) + 100
    assert admin.events(sent) == [
        (
            "OracleSetChangeAnnounced",
            {
                "oracles": [oracle.account, newcomer.address],
                "threshold": 2,
                "effectiveAt": effective,
            },
        )
    ]
    assert admin.call("pendingOracleSetChange") == (
        [oracle.account, newcomer.address],
        2,
        effective,
    )
    with reverts("VerifierOracleSetChangeNotDue", effectiveAt=effective):
        admin.using(deployment.outsider.chain).send("applyOracleSetChange")
    advance(chain, 100)
    sent = admin.using(deployment.outsider.chain).send("applyOracleSetChange")
    assert admin.events(sent) == [
        ("OracleSetChanged", {"oracles": [oracle.account, newcomer.address], "threshold": 2})
    ]
    assert admin.call("oracles") == [oracle.account, newcomer.address]
    assert admin.call("threshold") == 2
    assert admin.call("isOracle", newcomer.address)
    assert admin.call("pendingOracleSetChange") == ([], 0, 0)
    with reverts("VerifierNoOracleSetChange"):
        admin.send("applyOracleSetChange")


def test_the_admin_may_cancel_an_announced_change(deployment: Deployment) -> None:
    admin = deployment.admin
    with reverts("VerifierNoOracleSetChange"):
        admin.send("cancelOracleSetChange")
    admin.send("announceOracleSetChange", [deployment.outsider.account], 1)
    sent = admin.send("cancelOracleSetChange")
    assert admin.events(sent) == [("OracleSetChangeCancelled", {})]
    with reverts("VerifierNoOracleSetChange"):
        admin.send("applyOracleSetChange")
    assert admin.call("oracles") == [o.account for o in deployment.oracles]


def test_only_the_admin_announces_cancels_or_configures(deployment: Deployment) -> None:
    outsider = deployment.outsider
    for function, args in (
        ("announceOracleSetChange", ([outsider.account], 1)),
        ("cancelOracleSetChange", ()),
        ("setConfig", (DEFAULT.abi(),)),
    ):
        with reverts(
            "AccessControlUnauthorizedAccount", account=outsider.account, neededRole=bytes(32)
        ):
            outsider.send(function, *args)


def test_announce_checks_the_set_and_threshold(deployment: Deployment) -> None:
    admin = deployment.admin
    one = deployment.oracles[0].account
    with reverts("VerifierInvalidOracle", oracle=ZERO_ADDRESS):
        admin.send("announceOracleSetChange", [one, ZERO_ADDRESS], 1)
    with reverts("VerifierInvalidOracle", oracle=one):
        admin.send("announceOracleSetChange", [one, deployment.outsider.account, one], 1)
    with reverts("VerifierTooManyOracles", oracles=33, maximum=32):
        admin.send("announceOracleSetChange", _fresh_addresses(33), 1)
    with reverts("VerifierInvalidThreshold", threshold=3, oracles=2):
        admin.send("announceOracleSetChange", [one, deployment.outsider.account], 3)
    with reverts("VerifierInvalidThreshold", threshold=0, oracles=1):
        admin.send("announceOracleSetChange", [one], 0)


def test_a_removed_oracle_stops_voting_and_its_earlier_vote_stops_counting(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    d = deployment.outsider
    deployment.admin.announce_and_apply([a.account, b.account, c.account], 2)
    opened = open_request(deployment.requester)
    a.vote(opened.ballot(True))
    assert a.status(opened.request_id)[:3] == (PENDING, 1, 0)
    deployment.admin.announce_and_apply([b.account, c.account, d.account], 2)
    assert a.status(opened.request_id)[:3] == (PENDING, 0, 0)
    with reverts("VerifierNotOracle", account=a.account):
        a.vote(opened.ballot(True))
    sent = b.vote(opened.ballot(True))
    assert _names(b, sent) == ["VoteCast"]
    sent = d.vote(opened.ballot(True))
    assert _only(d, sent, "VerificationFinalized")["validVotes"] == 2


def test_an_oracle_added_again_gets_a_fresh_slot_and_its_old_vote_stays_dead(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    members = [a.account, b.account, c.account]
    deployment.admin.announce_and_apply(members, 2)
    opened = open_request(deployment.requester)
    a.vote(opened.ballot(True))
    deployment.admin.announce_and_apply([b.account, c.account], 2)
    deployment.admin.announce_and_apply(members, 2)
    assert a.status(opened.request_id)[:3] == (PENDING, 0, 0)
    # A votes again under its new slot: one vote, counted once.
    sent = a.vote(opened.ballot(True))
    assert _names(a, sent) == ["VoteCast"]
    assert a.status(opened.request_id)[:3] == (PENDING, 1, 0)
    with reverts("VerifierAlreadyVoted", requestId=opened.request_id, oracle=a.account):
        a.vote(opened.ballot(True))


def test_lowering_the_threshold_lets_the_next_vote_finalise(deployment: Deployment) -> None:
    a, b, c = deployment.oracles
    members = [a.account, b.account, c.account]
    deployment.admin.announce_and_apply(members, 3)
    opened = open_request(deployment.requester)
    a.vote(opened.ballot(True))
    b.vote(opened.ballot(True))
    deployment.admin.announce_and_apply(members, 1)
    assert a.status(opened.request_id)[:3] == (PENDING, 2, 0)
    sent = c.vote(opened.ballot(True))
    assert _only(c, sent, "VerificationFinalized")["validVotes"] == 3


def test_slots_run_out_while_released_ones_cool_down_then_come_back(deployment: Deployment) -> None:
    admin = deployment.admin
    admin.announce_and_apply(_fresh_addresses(32), 1)  # 3 + 32 slots used
    fourteen = _fresh_addresses(14)
    admin.send("announceOracleSetChange", fourteen, 1)
    with reverts("VerifierOracleSlotsExhausted", maximum=48):
        admin.send("applyOracleSetChange")
    # The largest maxTimeout ever configured (86,400 s) and one second later, every slot is back.
    advance(deployment.chain, 86_401)
    admin.send("applyOracleSetChange")
    assert admin.call("oracles") == fourteen


def test_a_reused_slot_never_counts_its_new_holder_on_closed_or_expired_requests(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    d = deployment.outsider
    admin = deployment.admin
    admin.announce_and_apply([a.account, b.account, c.account], 2)
    final = open_request(deployment.requester)
    cancelled = open_request(deployment.requester, timeout=60)
    expired = open_request(deployment.requester, timeout=60)
    a.vote(final.ballot(False))
    a.vote(cancelled.ballot(True))
    c.vote(cancelled.ballot(False))
    a.vote(expired.ballot(True))
    b.vote(expired.ballot(False))

    # A leaves: its votes stop counting, and its slot (0) cools down.
    admin.announce_and_apply([b.account, c.account], 2)
    b.vote(final.ballot(True))
    sent = c.vote(final.ballot(True))
    assert _only(c, sent, "VerificationFinalized")["invalidVotes"] == 0
    advance(deployment.chain, 61)
    requester = deployment.requester
    requester.cancel(cancelled)
    before = [admin.status(o.request_id) for o in (final, cancelled, expired)]
    assert before == [
        (VALID, 2, 0, final.deadline),
        (CANCELLED, 0, 1, cancelled.deadline),
        (EXPIRED, 0, 1, expired.deadline),
    ]

    # Past the cool-down (the largest maxTimeout, 86,400 s, and one second), D takes slot 0,
    # where A's votes still sit in the three requests' words.
    advance(deployment.chain, 86_401)
    admin.announce_and_apply([b.account, c.account, d.account], 2)
    assert [admin.status(o.request_id) for o in (final, cancelled, expired)] == before

    # D's own votes count as usual, on an open request and once it has expired.
    late = open_request(requester, timeout=60)
    d.vote(late.ballot(True))
    assert admin.status(late.request_id)[:3] == (PENDING, 1, 0)
    advance(deployment.chain, 61)
    assert admin.status(late.request_id)[:3] == (EXPIRED, 1, 0)


def test_a_set_change_while_paused_keeps_the_new_members_paused(deployment: Deployment) -> None:
    opened = open_request(deployment.requester)
    deployment.pauser.send("pause")
    deployment.admin.announce_and_apply([deployment.outsider.account], 1)
    with reverts("EnforcedPause"):
        deployment.outsider.vote(opened.ballot(True))
    deployment.pauser.send("unpause")
    deployment.outsider.vote(opened.ballot(True))


# --- config, pause --------------------------------------------------------------------------------


def test_set_config_emits_config_set_and_keeps_open_deadlines(deployment: Deployment) -> None:
    opened = open_request(deployment.requester)
    new = Config(
        min_fee=5, default_timeout=100, min_timeout=10, max_timeout=1_000, max_callback_gas_limit=7
    )
    sent = deployment.admin.send("setConfig", new.abi())
    assert deployment.admin.events(sent) == [
        (
            "ConfigSet",
            {
                "minFee": 5,
                "defaultTimeout": 100,
                "minTimeout": 10,
                "maxTimeout": 1_000,
                "maxCallbackGasLimit": 7,
            },
        )
    ]
    assert deployment.admin.call("config") == new.abi()
    assert deployment.admin.status(opened.request_id)[3] == opened.deadline
    later = open_request(deployment.requester, fee=5)
    assert later.deadline == now(deployment.chain) + 100


@pytest.mark.parametrize(("low", "default", "high"), [(0, 10, 20), (11, 10, 20), (10, 21, 20)])
def test_set_config_reverts_for_disordered_timeouts(
    deployment: Deployment, low: int, default: int, high: int
) -> None:
    config = Config(min_timeout=low, default_timeout=default, max_timeout=high)
    with reverts(
        "VerifierInvalidTimeouts", minTimeout=low, defaultTimeout=default, maxTimeout=high
    ):
        deployment.admin.send("setConfig", config.abi())


def test_pause_and_unpause_emit_and_need_the_pauser_role(deployment: Deployment) -> None:
    pauser, outsider = deployment.pauser, deployment.outsider
    for function in ("pause", "unpause"):
        with reverts(
            "AccessControlUnauthorizedAccount", account=outsider.account, neededRole=PAUSER_ROLE
        ):
            outsider.send(function)
    with reverts("ExpectedPause"):
        pauser.send("unpause")
    sent = pauser.send("pause")
    assert pauser.events(sent) == [("Paused", {"account": pauser.account})]
    assert pauser.call("paused")
    with reverts("EnforcedPause"):
        pauser.send("pause")
    sent = pauser.send("unpause")
    assert pauser.events(sent) == [("Unpaused", {"account": pauser.account})]
    assert not pauser.call("paused")


def test_the_pauser_role_is_granted_and_revoked_by_the_admin(deployment: Deployment) -> None:
    admin, outsider = deployment.admin, deployment.outsider
    sent = admin.send("grantRole", PAUSER_ROLE, outsider.account)
    assert admin.events(sent) == [
        ("RoleGranted", {"role": PAUSER_ROLE, "account": outsider.account, "sender": admin.account})
    ]
    outsider.send("pause")
    admin.send("revokeRole", PAUSER_ROLE, outsider.account)
    with reverts(
        "AccessControlUnauthorizedAccount", account=outsider.account, neededRole=PAUSER_ROLE
    ):
        outsider.send("unpause")


def test_the_admin_role_moves_in_two_steps(deployment: Deployment) -> None:
    admin, outsider = deployment.admin, deployment.outsider
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        admin.send("grantRole", bytes(32), outsider.account)
    admin.send("beginDefaultAdminTransfer", outsider.account)
    advance(deployment.chain, 1)
    outsider.send("acceptDefaultAdminTransfer")
    assert admin.call("defaultAdmin") == outsider.account
    outsider.send("announceOracleSetChange", [outsider.account], 1)


# --- conservation over a mixed sequence -----------------------------------------------------------


def test_fees_are_conserved_across_requests_votes_cancels_and_withdrawals(
    deployment: Deployment,
) -> None:
    a, b, c = deployment.oracles
    deployment.admin.announce_and_apply([a.account, b.account, c.account], 2)
    paid = 0
    requests = [open_request(deployment.requester, fee=fee, timeout=60) for fee in (7, 11, 13)]
    paid += 7 + 11 + 13
    a.vote(requests[0].ballot(True))
    b.vote(requests[0].ballot(True))
    c.vote(requests[1].ballot(False))
    a.vote(requests[1].ballot(False))
    advance(deployment.chain, 61)
    deployment.requester.cancel(requests[2])
    refunded = 13
    withdrawn = 0
    for oracle in (a, b):
        amount = oracle.call("earnedOf", oracle.account)
        oracle.send("withdraw", oracle.account)
        withdrawn += amount
    held = _balance(deployment)
    assert paid == withdrawn + refunded + held
    assert held == sum(a.call("earnedOf", o.account) for o in (a, b, c))
