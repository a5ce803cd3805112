"""The committed artifacts deploy and behave on Anvil and Ganache as on the embedded chain."""

from __future__ import annotations

import pytest

from oracle.chain import Role, Status, commitment, mine_blocks
from oracle.crypto import ML_DSA_44, SigningKey, verify
from tests.chains import LocalNode, deploy_with_roles, reverts

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("node_name", ["anvil", "ganache"])
def test_the_artifacts_deploy_and_serve_requests_with_decoded_errors(
    request: pytest.FixtureRequest, node_name: str
) -> None:
    node: LocalNode = request.getfixturevalue(node_name)
    chain = node.connect()
    deployment = deploy_with_roles(chain)
    assert deployment.admin.type_and_version() == "SignatureVerifier 1.0.0"
    start = chain.block_number() + 1

    signer = SigningKey.generate(ML_DSA_44)
    kid = deployment.outsider.register_key(ML_DSA_44.id, signer.public_key)
    assert kid == signer.key_id
    message, context = b"release escrow 42", b"escrow/v1"
    rid = deployment.outsider.request_verification(
        kid, message, context, signer.sign(message, context)
    )

    (requested,) = deployment.oracle.verification_requested_events(start, chain.block_number())
    assert requested.request_id == rid
    valid = verify(ML_DSA_44, signer.public_key, requested.message, requested.signature, context)
    assert valid
    forged = commitment(kid, b"release escrow 43", context, requested.signature)
    with reverts(
        "VerifierCommitmentMismatch", requestId=rid, expected=requested.commitment, given=forged
    ):
        deployment.oracle.fulfill(rid, valid, forged)
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=deployment.outsider.chain.address,
        neededRole=Role.ORACLE.value,
    ):
        deployment.outsider.fulfill(rid, valid, requested.commitment)
    deployment.oracle.fulfill(rid, valid, requested.recompute_commitment())
    assert deployment.outsider.status_of(rid) is Status.VALID

    with reverts("SanitizerInvalidSignatureLength", algorithm=1, expected=2420, actual=10):
        deployment.outsider.request_verification(kid, message, context, bytes(10))
    with reverts("VerifierRequestAlreadyFinal", requestId=rid):
        deployment.oracle.fulfill(rid, valid, requested.commitment)
    kinds = [type(e).__name__ for e in deployment.admin.events(start, chain.block_number())]
    assert kinds == ["KeyRegistered", "VerificationRequested", "VerificationFulfilled"]


@pytest.mark.parametrize("node_name", ["anvil", "ganache"])
def test_the_admin_role_moves_in_two_steps_on_a_node(
    request: pytest.FixtureRequest, node_name: str
) -> None:
    node: LocalNode = request.getfixturevalue(node_name)
    chain = node.connect()
    deployment = deploy_with_roles(chain)
    deployment.admin.begin_admin_transfer(deployment.outsider.chain.address)
    # The acceptance needs a block whose timestamp is past the schedule (delay 0: one second on).
    node.rpc("evm_increaseTime", [1])
    mine_blocks(chain)
    deployment.outsider.accept_admin_transfer()
    assert deployment.admin.default_admin() == deployment.outsider.chain.address


def test_scheduling_past_the_uint48_timestamp_range_reverts_with_safecast(
    anvil: LocalNode,
) -> None:
    # OpenZeppelin keeps schedules as uint48 timestamps; its SafeCast error needs a clock past
    # 2**48 seconds, which Anvil can simulate (eth-tester caps timestamps far lower).
    chain = anvil.connect()
    deployment = deploy_with_roles(chain)
    anvil.rpc("evm_setNextBlockTimestamp", [2**48])
    mine_blocks(chain)
    with reverts("SafeCastOverflowedUintDowncast", bits=48, value=2**48):
        deployment.admin.begin_admin_transfer(deployment.outsider.chain.address)
