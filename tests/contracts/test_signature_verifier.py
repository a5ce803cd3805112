"""SignatureVerifier on the embedded chain: every custom error and every event, by name and value.

Signatures only need the right size here: the contract checks sizes and commitments, the oracle
checks signatures. One test runs a real ML-DSA signature through the whole request/verdict cycle.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_hash.auto import keccak
from web3.logs import DISCARD

from oracle.chain import (
    KeyRegistered,
    Role,
    SentTransaction,
    Status,
    VerificationFulfilled,
    VerificationRequested,
    Verifier,
    commitment,
    deploy_verifier,
    key_id,
    load_artifact,
    mine_blocks,
    transact,
)
from oracle.crypto import ALGORITHMS, ML_DSA_65, SigningKey, verify
from oracle.types import KeyId, RequestId
from tests.chains import Deployment, deploy_with_roles, reverts

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_MESSAGE = 16384
MAX_CONTEXT = 255
ALGORITHM_IDS = [a.id for a in ALGORITHMS]


def _algorithm(algorithm_id: int) -> Any:
    return next(a for a in ALGORITHMS if a.id == algorithm_id)


def _public_key(algorithm_id: int) -> bytes:
    return os.urandom(_algorithm(algorithm_id).public_key_size)


def _signature(algorithm_id: int) -> bytes:
    return os.urandom(_algorithm(algorithm_id).signature_size)


def _register(verifier: Verifier, algorithm_id: int = 1) -> KeyId:
    return verifier.register_key(algorithm_id, _public_key(algorithm_id))


def _open_request(
    verifier: Verifier, algorithm_id: int = 1, message: bytes = b"transfer 10 to bob"
) -> VerificationRequested:
    kid = _register(verifier, algorithm_id)
    event, _ = verifier.request_verification_tx(kid, message, b"ctx", _signature(algorithm_id))
    return event


def _oz_events(verifier: Verifier, sent: SentTransaction, name: str) -> list[dict[str, Any]]:
    """Decode the logs of an OpenZeppelin event (not one of the verifier's own) from a receipt."""
    contract = verifier.chain.w3.eth.contract(address=verifier.address, abi=verifier.artifact.abi)
    event = contract.events[name]()
    decoded = event.process_receipt({"logs": list(sent.logs)}, errors=DISCARD)
    return [dict(item["args"]) for item in decoded]


def _raw(verifier: Verifier, function: str, *args: Any) -> SentTransaction:
    """Send a call the Verifier wrapper does not offer, signed as the verifier's account."""
    contract = verifier.chain.w3.eth.contract(address=verifier.address, abi=verifier.artifact.abi)
    data = bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])
    return transact(verifier.chain, to=verifier.address, data=data, decoder=verifier.errors)


def _timestamp(verifier: Verifier, block_number: int) -> int:
    return int(verifier.chain.w3.eth.get_block(block_number)["timestamp"])


# --- deployment -----------------------------------------------------------------------------------


def test_deployment_reports_its_version_and_makes_the_deployer_sole_admin(
    deployment: Deployment,
) -> None:
    admin = deployment.admin
    assert admin.type_and_version() == "SignatureVerifier 1.0.0"
    assert admin.default_admin() == deployment.chain.address
    assert admin.has_role(Role.DEFAULT_ADMIN, deployment.chain.address)
    assert not admin.has_role(Role.ORACLE, deployment.chain.address)
    assert not admin.has_role(Role.PAUSER, deployment.chain.address)
    assert admin.default_admin_delay() == 0
    assert admin.request_count() == 0
    assert not admin.paused()


def test_deployed_code_is_the_committed_runtime_bytecode(deployment: Deployment) -> None:
    code = deployment.chain.w3.eth.get_code(deployment.admin.address)
    assert bytes(code) == load_artifact("SignatureVerifier").deployed_bytecode


def test_constructor_reverts_when_the_initial_admin_is_the_zero_address(
    deployment: Deployment,
) -> None:
    with reverts("AccessControlInvalidDefaultAdmin", defaultAdmin=ZERO_ADDRESS):
        deploy_verifier(deployment.chain, admin=ZERO_ADDRESS)


def test_supports_interface_reports_the_verifier_and_access_control_interfaces(
    deployment: Deployment,
) -> None:
    selectors = load_artifact("ISignatureVerifier")
    ids = 0
    for entry in selectors.abi:
        if entry["type"] == "function":
            signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
            ids ^= int.from_bytes(_keccak(signature)[:4], "big")
    contract = deployment.chain.w3.eth.contract(
        address=deployment.admin.address, abi=deployment.admin.artifact.abi
    )
    assert contract.functions.supportsInterface(ids.to_bytes(4, "big")).call()
    assert contract.functions.supportsInterface(bytes.fromhex("7965db0b")).call()  # IAccessControl
    assert not contract.functions.supportsInterface(bytes.fromhex("ffffffff")).call()


def _keccak(text: str) -> bytes:
    return keccak(text.encode())


# --- registerKey ----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm_id", ALGORITHM_IDS)
def test_register_key_stores_algorithm_and_registrant_and_emits_key_registered(
    deployment: Deployment, algorithm_id: int
) -> None:
    signer = SigningKey.generate(algorithm_id)
    requester = deployment.outsider
    event, sent = requester.register_key_tx(algorithm_id, signer.public_key)

    assert event == KeyRegistered(
        key_id=signer.key_id,
        algorithm_id=algorithm_id,
        registrant=requester.chain.address,
        public_key=signer.public_key,
        block_number=sent.block_number,
        block_hash=sent.block_hash,
        tx_hash=sent.tx_hash,
        log_index=0,
    )
    assert event.key_id == key_id(algorithm_id, signer.public_key)
    record = requester.key_of(event.key_id)
    assert record.algorithm_id == algorithm_id
    assert record.registrant == requester.chain.address
    assert record.registered_at == sent.block_number
    assert requester.key_algorithm(event.key_id) == algorithm_id
    assert requester.is_key_registered(event.key_id)


def test_an_unregistered_key_reads_as_algorithm_zero(deployment: Deployment) -> None:
    unknown = os.urandom(32)
    assert not deployment.admin.is_key_registered(unknown)
    assert deployment.admin.key_algorithm(unknown) == 0
    assert deployment.admin.key_of(unknown).registrant == ZERO_ADDRESS


def test_register_key_reverts_when_the_key_is_already_registered(deployment: Deployment) -> None:
    public_key = _public_key(2)
    kid = deployment.admin.register_key(2, public_key)
    with reverts("VerifierKeyAlreadyRegistered", keyId=kid):
        deployment.outsider.register_key(2, public_key)


@pytest.mark.parametrize("algorithm_id", [0, 4, 255])
def test_register_key_reverts_for_an_unsupported_algorithm(
    deployment: Deployment, algorithm_id: int
) -> None:
    with reverts("SanitizerUnsupportedAlgorithm", algorithm=algorithm_id):
        deployment.admin.register_key(algorithm_id, _public_key(1))


@pytest.mark.parametrize("algorithm_id", ALGORITHM_IDS)
def test_register_key_reverts_for_every_wrong_public_key_length(
    deployment: Deployment, algorithm_id: int
) -> None:
    expected = _algorithm(algorithm_id).public_key_size
    others = [a.public_key_size for a in ALGORITHMS if a.id != algorithm_id]
    for length in [0, 1, expected - 1, expected + 1, *others]:
        with reverts(
            "SanitizerInvalidPublicKeyLength",
            algorithm=algorithm_id,
            expected=expected,
            actual=length,
        ):
            deployment.admin.register_key(algorithm_id, os.urandom(length))


def test_register_key_reverts_while_paused(deployment: Deployment) -> None:
    deployment.pauser.pause()
    with reverts("EnforcedPause"):
        deployment.admin.register_key(1, _public_key(1))


# --- requestVerification --------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm_id", ALGORITHM_IDS)
def test_request_verification_stores_the_commitment_and_emits_the_payload(
    deployment: Deployment, algorithm_id: int
) -> None:
    kid = _register(deployment.admin, algorithm_id)
    requester = deployment.outsider
    message, context, signature = b"pay 1 ETH", b"app/v1", _signature(algorithm_id)
    event, sent = requester.request_verification_tx(kid, message, context, signature)

    expected_commitment = commitment(kid, message, context, signature)
    assert event == VerificationRequested(
        request_id=RequestId(1),
        key_id=kid,
        requester=requester.chain.address,
        commitment=expected_commitment,
        message=message,
        context=context,
        signature=signature,
        block_number=sent.block_number,
        block_hash=sent.block_hash,
        tx_hash=sent.tx_hash,
        log_index=0,
    )
    assert event.recompute_commitment() == expected_commitment
    record = requester.request_of(1)
    assert (record.key_id, record.commitment, record.requester) == (
        kid,
        expected_commitment,
        requester.chain.address,
    )
    assert (record.requested_at, record.status) == (sent.block_number, Status.PENDING)
    assert requester.status_of(1) is Status.PENDING


def test_request_ids_count_up_from_one(deployment: Deployment) -> None:
    kid = _register(deployment.admin)
    ids = [
        deployment.outsider.request_verification(kid, bytes([n]), b"", _signature(1))
        for n in range(3)
    ]
    assert ids == [1, 2, 3]
    assert deployment.admin.request_count() == 3


def test_a_request_that_was_never_opened_reads_as_status_none(deployment: Deployment) -> None:
    assert deployment.admin.status_of(0) is Status.NONE
    assert deployment.admin.status_of(7) is Status.NONE
    record = deployment.admin.request_of(7)
    assert record.status is Status.NONE
    assert record.requester == ZERO_ADDRESS
    assert record.commitment == bytes(32)


def test_request_verification_reverts_for_an_unknown_key(deployment: Deployment) -> None:
    unknown = KeyId(os.urandom(32))
    with reverts("VerifierUnknownKey", keyId=unknown):
        deployment.outsider.request_verification(unknown, b"m", b"", _signature(1))


@pytest.mark.parametrize("algorithm_id", ALGORITHM_IDS)
def test_request_verification_reverts_for_every_wrong_signature_length(
    deployment: Deployment, algorithm_id: int
) -> None:
    kid = _register(deployment.admin, algorithm_id)
    expected = _algorithm(algorithm_id).signature_size
    others = [a.signature_size for a in ALGORITHMS if a.id != algorithm_id]
    for length in [0, 10, expected - 1, expected + 1, *others]:
        with reverts(
            "SanitizerInvalidSignatureLength",
            algorithm=algorithm_id,
            expected=expected,
            actual=length,
        ):
            deployment.outsider.request_verification(kid, b"m", b"", os.urandom(length))


def test_a_message_of_16384_bytes_is_accepted_and_16385_bytes_rejected(
    deployment: Deployment,
) -> None:
    kid = _register(deployment.admin)
    signature = _signature(1)
    rid = deployment.outsider.request_verification(kid, os.urandom(MAX_MESSAGE), b"", signature)
    assert deployment.admin.status_of(rid) is Status.PENDING
    with reverts("SanitizerMessageTooLong", length=MAX_MESSAGE + 1, max=MAX_MESSAGE):
        deployment.outsider.request_verification(kid, os.urandom(MAX_MESSAGE + 1), b"", signature)


def test_a_context_of_255_bytes_is_accepted_and_256_bytes_rejected(
    deployment: Deployment,
) -> None:
    kid = _register(deployment.admin)
    signature = _signature(1)
    rid = deployment.outsider.request_verification(kid, b"m", os.urandom(MAX_CONTEXT), signature)
    assert deployment.admin.status_of(rid) is Status.PENDING
    with reverts("SanitizerContextTooLong", length=MAX_CONTEXT + 1, max=MAX_CONTEXT):
        deployment.outsider.request_verification(kid, b"m", os.urandom(MAX_CONTEXT + 1), signature)


def test_an_empty_message_and_context_are_accepted(deployment: Deployment) -> None:
    kid = _register(deployment.admin)
    rid = deployment.outsider.request_verification(kid, b"", b"", _signature(1))
    assert deployment.admin.status_of(rid) is Status.PENDING


def test_request_verification_reverts_while_paused(deployment: Deployment) -> None:
    kid = _register(deployment.admin)
    deployment.pauser.pause()
    with reverts("EnforcedPause"):
        deployment.outsider.request_verification(kid, b"m", b"", _signature(1))


# --- fulfill --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("valid", "status"), [(True, Status.VALID), (False, Status.INVALID)])
def test_fulfill_records_the_verdict_and_emits_verification_fulfilled(
    deployment: Deployment, valid: bool, status: Status
) -> None:
    request = _open_request(deployment.outsider)
    sent = deployment.oracle.fulfill(request.request_id, valid, request.recompute_commitment())

    assert deployment.oracle.events_in(sent) == [
        VerificationFulfilled(
            request_id=request.request_id,
            valid=valid,
            oracle=deployment.oracle.chain.address,
            block_number=sent.block_number,
            block_hash=sent.block_hash,
            tx_hash=sent.tx_hash,
            log_index=0,
        )
    ]
    assert deployment.admin.status_of(request.request_id) is status
    assert deployment.admin.request_of(request.request_id).status is status
    assert status.is_final


def test_fulfill_reverts_when_caller_lacks_oracle_role(deployment: Deployment) -> None:
    request = _open_request(deployment.outsider)
    for caller in (deployment.outsider, deployment.admin, deployment.pauser):
        with reverts(
            "AccessControlUnauthorizedAccount",
            account=caller.chain.address,
            neededRole=Role.ORACLE.value,
        ):
            caller.fulfill(request.request_id, True, request.commitment)
    assert deployment.admin.status_of(request.request_id) is Status.PENDING


@pytest.mark.parametrize("request_id", [0, 2, 2**256 - 1])
def test_fulfill_reverts_for_an_unknown_request(deployment: Deployment, request_id: int) -> None:
    _open_request(deployment.outsider)
    with reverts("VerifierUnknownRequest", requestId=request_id):
        deployment.oracle.fulfill(request_id, True, bytes(32))


@pytest.mark.parametrize("first_verdict", [True, False])
def test_fulfill_reverts_when_the_request_is_already_final(
    deployment: Deployment, first_verdict: bool
) -> None:
    request = _open_request(deployment.outsider)
    deployment.oracle.fulfill(request.request_id, first_verdict, request.commitment)
    for verdict in (True, False):
        with reverts("VerifierRequestAlreadyFinal", requestId=request.request_id):
            deployment.oracle.fulfill(request.request_id, verdict, request.commitment)
    expected = Status.VALID if first_verdict else Status.INVALID
    assert deployment.admin.status_of(request.request_id) is expected


def test_fulfill_reverts_when_the_commitment_does_not_match(deployment: Deployment) -> None:
    request = _open_request(deployment.outsider)
    # What an oracle computes when a dishonest RPC node altered one byte of the message.
    forged = commitment(request.key_id, b"transfer 99 to eve", request.context, request.signature)
    with reverts(
        "VerifierCommitmentMismatch",
        requestId=request.request_id,
        expected=request.commitment,
        given=forged,
    ):
        deployment.oracle.fulfill(request.request_id, True, forged)
    assert deployment.admin.status_of(request.request_id) is Status.PENDING


def test_fulfill_rejects_the_commitment_of_another_request(deployment: Deployment) -> None:
    first = _open_request(deployment.outsider, message=b"first")
    second = _open_request(deployment.outsider, message=b"second")
    with reverts(
        "VerifierCommitmentMismatch",
        requestId=first.request_id,
        expected=first.commitment,
        given=second.commitment,
    ):
        deployment.oracle.fulfill(first.request_id, True, second.commitment)


def test_fulfill_reverts_while_paused(deployment: Deployment) -> None:
    request = _open_request(deployment.outsider)
    deployment.pauser.pause()
    with reverts("EnforcedPause"):
        deployment.oracle.fulfill(request.request_id, True, request.commitment)
    deployment.pauser.unpause()
    deployment.oracle.fulfill(request.request_id, True, request.commitment)
    assert deployment.admin.status_of(request.request_id) is Status.VALID


def test_fulfill_checks_the_role_before_the_pause(deployment: Deployment) -> None:
    request = _open_request(deployment.outsider)
    deployment.pauser.pause()
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=deployment.outsider.chain.address,
        neededRole=Role.ORACLE.value,
    ):
        deployment.outsider.fulfill(request.request_id, True, request.commitment)


def test_a_real_ml_dsa_signature_goes_through_request_and_verdict(deployment: Deployment) -> None:
    signer = SigningKey.generate(ML_DSA_65)
    kid = deployment.outsider.register_key(ML_DSA_65.id, signer.public_key)
    message, context = b"withdraw 5 ETH to 0xabc", b"vault/v1"
    good = signer.sign(message, context)
    bad = bytearray(good)
    bad[100] ^= 0x01
    verdicts = {}
    for name, signature in (("good", good), ("bad", bytes(bad))):
        request, _ = deployment.outsider.request_verification_tx(kid, message, context, signature)
        valid = verify(ML_DSA_65, signer.public_key, request.message, request.signature, context)
        deployment.oracle.fulfill(request.request_id, valid, request.recompute_commitment())
        verdicts[name] = deployment.admin.status_of(request.request_id)
    assert verdicts == {"good": Status.VALID, "bad": Status.INVALID}


# --- pause ----------------------------------------------------------------------------------------


def test_pause_and_unpause_emit_paused_and_unpaused_with_the_pauser(
    deployment: Deployment,
) -> None:
    pauser = deployment.pauser
    sent = pauser.pause()
    assert _oz_events(pauser, sent, "Paused") == [{"account": pauser.chain.address}]
    assert pauser.paused()
    sent = pauser.unpause()
    assert _oz_events(pauser, sent, "Unpaused") == [{"account": pauser.chain.address}]
    assert not pauser.paused()


def test_views_keep_working_while_paused(deployment: Deployment) -> None:
    request = _open_request(deployment.outsider)
    deployment.pauser.pause()
    assert deployment.outsider.status_of(request.request_id) is Status.PENDING
    assert deployment.outsider.is_key_registered(request.key_id)


@pytest.mark.parametrize("action", ["pause", "unpause"])
def test_pause_and_unpause_revert_when_caller_lacks_pauser_role(
    deployment: Deployment, action: str
) -> None:
    for caller in (deployment.outsider, deployment.admin, deployment.oracle):
        with reverts(
            "AccessControlUnauthorizedAccount",
            account=caller.chain.address,
            neededRole=Role.PAUSER.value,
        ):
            getattr(caller, action)()


def test_pause_reverts_when_already_paused_and_unpause_when_not_paused(
    deployment: Deployment,
) -> None:
    with reverts("ExpectedPause"):
        deployment.pauser.unpause()
    deployment.pauser.pause()
    with reverts("EnforcedPause"):
        deployment.pauser.pause()


# --- roles ----------------------------------------------------------------------------------------


def test_grant_and_revoke_role_emit_role_granted_and_role_revoked(deployment: Deployment) -> None:
    admin, newcomer = deployment.admin, deployment.outsider.chain.address
    sent = admin.grant_role(Role.ORACLE, newcomer)
    assert _oz_events(admin, sent, "RoleGranted") == [
        {"role": Role.ORACLE.value, "account": newcomer, "sender": admin.chain.address}
    ]
    assert admin.has_role("oracle", newcomer)
    sent = admin.revoke_role(Role.ORACLE, newcomer)
    assert _oz_events(admin, sent, "RoleRevoked") == [
        {"role": Role.ORACLE.value, "account": newcomer, "sender": admin.chain.address}
    ]
    assert not admin.has_role("oracle", newcomer)


def test_granting_a_role_that_is_already_held_emits_nothing(deployment: Deployment) -> None:
    sent = deployment.admin.grant_role(Role.ORACLE, deployment.oracle.chain.address)
    assert _oz_events(deployment.admin, sent, "RoleGranted") == []


def test_every_role_is_administered_by_the_default_admin_and_never_re_parented(
    deployment: Deployment,
) -> None:
    # RoleAdminChanged is in the ABI (inherited) but no code path changes a role's admin.
    contract = deployment.chain.w3.eth.contract(
        address=deployment.admin.address, abi=deployment.admin.artifact.abi
    )
    for role in Role:
        assert contract.functions.getRoleAdmin(role.value).call() == Role.DEFAULT_ADMIN.value
    mutators = [
        e["name"]
        for e in deployment.admin.artifact.abi
        if e["type"] == "function" and e["stateMutability"] in ("nonpayable", "payable")
    ]
    assert not any("RoleAdmin" in name for name in mutators)
    head = deployment.chain.block_number()
    logs = deployment.chain.w3.eth.get_logs(
        {"address": deployment.admin.address, "fromBlock": 0, "toBlock": head}
    )
    assert logs  # the deployment and the grants logged RoleGranted
    topic = keccak(b"RoleAdminChanged(bytes32,bytes32,bytes32)")
    assert all(bytes(log["topics"][0]) != topic for log in logs)


def test_grant_role_reverts_when_caller_is_not_the_admin(deployment: Deployment) -> None:
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=deployment.oracle.chain.address,
        neededRole=Role.DEFAULT_ADMIN.value,
    ):
        deployment.oracle.grant_role(Role.ORACLE, deployment.outsider.chain.address)


@pytest.mark.parametrize("action", ["grant_role", "revoke_role"])
def test_the_default_admin_role_cannot_be_granted_or_revoked_directly(
    deployment: Deployment, action: str
) -> None:
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        getattr(deployment.admin, action)(Role.DEFAULT_ADMIN, deployment.outsider.chain.address)


def test_a_revoked_oracle_can_no_longer_fulfil(deployment: Deployment) -> None:
    request = _open_request(deployment.outsider)
    deployment.admin.revoke_role(Role.ORACLE, deployment.oracle.chain.address)
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=deployment.oracle.chain.address,
        neededRole=Role.ORACLE.value,
    ):
        deployment.oracle.fulfill(request.request_id, True, request.commitment)


def test_an_oracle_can_renounce_its_own_role(deployment: Deployment) -> None:
    sent = deployment.oracle.renounce_role(Role.ORACLE)
    oracle = deployment.oracle.chain.address
    assert _oz_events(deployment.oracle, sent, "RoleRevoked") == [
        {"role": Role.ORACLE.value, "account": oracle, "sender": oracle}
    ]
    assert not deployment.admin.has_role(Role.ORACLE, oracle)


def test_renounce_role_reverts_when_the_confirmation_is_another_account(
    deployment: Deployment,
) -> None:
    with reverts("AccessControlBadConfirmation"):
        _raw(deployment.oracle, "renounceRole", Role.ORACLE.value, deployment.admin.chain.address)


# --- default admin hand-over ----------------------------------------------------------------------


def test_the_admin_role_moves_in_two_steps_with_zero_delay(deployment: Deployment) -> None:
    old, new = deployment.admin, deployment.outsider
    sent = old.begin_admin_transfer(new.chain.address)
    schedule = _timestamp(old, sent.block_number)  # delay 0: acceptable from the next second
    assert _oz_events(old, sent, "DefaultAdminTransferScheduled") == [
        {"newAdmin": new.chain.address, "acceptSchedule": schedule}
    ]
    assert old.pending_default_admin() == (new.chain.address, schedule)
    assert old.default_admin() == old.chain.address  # nothing moves before the acceptance

    mine_blocks(deployment.chain)  # the acceptance's dry run needs a block past the schedule
    sent = new.accept_admin_transfer()
    admin_role = Role.DEFAULT_ADMIN.value
    assert _oz_events(new, sent, "RoleRevoked") == [
        {"role": admin_role, "account": old.chain.address, "sender": new.chain.address}
    ]
    assert _oz_events(new, sent, "RoleGranted") == [
        {"role": admin_role, "account": new.chain.address, "sender": new.chain.address}
    ]
    assert new.default_admin() == new.chain.address
    assert new.pending_default_admin() == (ZERO_ADDRESS, 0)

    new.grant_role(Role.PAUSER, new.chain.address)
    assert new.has_role(Role.PAUSER, new.chain.address)
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=old.chain.address,
        neededRole=Role.DEFAULT_ADMIN.value,
    ):
        old.grant_role(Role.PAUSER, old.chain.address)


def test_accepting_the_admin_role_reverts_for_anyone_but_the_pending_admin(
    deployment: Deployment,
) -> None:
    deployment.admin.begin_admin_transfer(deployment.outsider.chain.address)
    with reverts("AccessControlInvalidDefaultAdmin", defaultAdmin=deployment.oracle.chain.address):
        deployment.oracle.accept_admin_transfer()


def test_accepting_the_admin_role_before_the_delay_reverts(embedded_chain: Any) -> None:
    deployment = deploy_with_roles(embedded_chain, admin_delay=3600)
    sent = deployment.admin.begin_admin_transfer(deployment.outsider.chain.address)
    schedule = _timestamp(deployment.admin, sent.block_number) + 3600
    with reverts("AccessControlEnforcedDefaultAdminDelay", schedule=schedule):
        deployment.outsider.accept_admin_transfer()


def test_a_cancelled_admin_transfer_emits_canceled_and_cannot_be_accepted(
    deployment: Deployment,
) -> None:
    deployment.admin.begin_admin_transfer(deployment.outsider.chain.address)
    sent = deployment.admin.cancel_admin_transfer()
    assert _oz_events(deployment.admin, sent, "DefaultAdminTransferCanceled") == [{}]
    with reverts(
        "AccessControlInvalidDefaultAdmin", defaultAdmin=deployment.outsider.chain.address
    ):
        deployment.outsider.accept_admin_transfer()


def test_renouncing_the_admin_role_without_a_scheduled_transfer_reverts(
    deployment: Deployment,
) -> None:
    with reverts("AccessControlEnforcedDefaultAdminDelay", schedule=0):
        deployment.admin.renounce_role(Role.DEFAULT_ADMIN)


def test_changing_the_admin_delay_emits_scheduled_and_rolling_back_emits_canceled(
    deployment: Deployment,
) -> None:
    admin = deployment.admin
    sent = _raw(admin, "changeDefaultAdminDelay", 7200)
    (scheduled,) = _oz_events(admin, sent, "DefaultAdminDelayChangeScheduled")
    # Raising the delay from 0 waits min(newDelay, 5 days) before it takes effect.
    assert scheduled == {
        "newDelay": 7200,
        "effectSchedule": _timestamp(admin, sent.block_number) + 7200,
    }
    sent = _raw(admin, "rollbackDefaultAdminDelay")
    assert _oz_events(admin, sent, "DefaultAdminDelayChangeCanceled") == [{}]
    assert admin.default_admin_delay() == 0


# --- log readers ----------------------------------------------------------------------------------


def test_event_readers_return_each_kind_in_log_order_within_a_window(
    deployment: Deployment,
) -> None:
    start = deployment.chain.block_number() + 1
    first = _open_request(deployment.outsider, message=b"one")
    second = _open_request(deployment.outsider, message=b"two")
    deployment.oracle.fulfill(first.request_id, True, first.commitment)
    end = deployment.chain.block_number()
    verifier = deployment.admin

    keys = verifier.key_registered_events(start, end)
    requests = verifier.verification_requested_events(start, end)
    verdicts = verifier.verification_fulfilled_events(start, end)
    assert [k.key_id for k in keys] == [first.key_id, second.key_id]
    assert requests == [first, second]
    assert [(v.request_id, v.valid) for v in verdicts] == [(first.request_id, True)]
    everything = verifier.events(start, end)
    assert [type(e).__name__ for e in everything] == [
        "KeyRegistered",
        "VerificationRequested",
        "KeyRegistered",
        "VerificationRequested",
        "VerificationFulfilled",
    ]
    assert verifier.events(start, start) == [keys[0]]
