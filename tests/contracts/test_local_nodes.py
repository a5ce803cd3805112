"""The committed artifacts deploy and behave on Anvil and Ganache as on the embedded chain.

The quorum flow runs on both nodes; callbacks, deadlines and the limits only a node can reach
(a fee above 2**96 wei, a clock past 2**48 seconds) run on Anvil.
"""

from __future__ import annotations

import pytest

from oracle.chain import commitment, mine_blocks
from oracle.crypto import ML_DSA_44, SigningKey, verify
from tests.chains import LocalNode, reverts
from tests.contracts.v2 import (
    EXPIRED,
    INVALID,
    PENDING,
    VALID,
    Config,
    advance,
    deploy,
    deploy_contract,
    forward,
    open_request,
    random_payload,
    with_terms,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("node_name", ["anvil", "ganache"])
def test_a_quorum_of_two_finalises_a_real_signature_with_a_dispute_and_pays_the_fee(
    request: pytest.FixtureRequest, node_name: str
) -> None:
    node: LocalNode = request.getfixturevalue(node_name)
    chain = node.connect(poll_latency=0.01)
    deployment = deploy(chain, oracles=3, threshold=2)
    assert deployment.admin.call("typeAndVersion") == "SignatureVerifier 2.1.0"
    a, b, c = deployment.oracles
    requester = deployment.requester

    signer = SigningKey.generate(ML_DSA_44)
    key_id, _ = requester.register_key(ML_DSA_44.id, signer.public_key)
    message, context = b"release escrow 42", b"escrow/v1"
    opened = requester.request(key_id, message, context, signer.sign(message, context), fee=1_001)
    valid = verify(ML_DSA_44, signer.public_key, opened.message, opened.signature, opened.context)
    assert valid
    assert opened.terms.commitment == commitment(key_id, message, context, opened.signature)

    with reverts("VerifierTermsMismatch", requestId=opened.request_id):
        a.vote(opened.ballot(valid, with_terms(opened, commitment=bytes(32))))
    with reverts("VerifierNotOracle", account=requester.account):
        requester.vote(opened.ballot(valid))
    assert [n for n, _ in a.events(a.vote(opened.ballot(valid)))] == ["VoteCast"]
    disputed = b.vote(opened.ballot(not valid))
    assert [n for n, _ in b.events(disputed)] == ["VerificationDisputed", "VoteCast"]
    final = c.vote(opened.ballot(valid))
    assert [n for n, _ in c.events(final)] == ["VerificationDisputed", "VerificationFinalized"]
    assert c.status(opened.request_id)[:3] == (VALID, 2, 1)
    with reverts("VerifierRequestNotPending", requestId=opened.request_id):
        b.vote(opened.ballot(valid))

    assert [a.call("earnedOf", o.account) for o in (a, b, c)] == [500, 0, 501]
    c.send("withdraw", c.account)
    assert chain.balance(deployment.address) == 500


def test_callbacks_and_their_gas_guard_on_anvil(anvil: LocalNode) -> None:
    chain = anvil.connect(poll_latency=0.01)
    deployment = deploy(chain, oracles=1)
    oracle, admin = deployment.oracles[0], deployment.admin
    for name, succeeds in (("RecordingConsumer", True), ("GasBurningConsumer", False)):
        consumer = deploy_contract(chain, name)
        public_key, message, signature = random_payload(1)
        key_id, _ = admin.register_key(1, public_key)
        sent = forward(
            admin, consumer, "requestVerification", key_id, message, b"", signature, 300_000, 0
        )
        opened = admin.opened(sent)
        if succeeds:
            # Anvil reports the revert as ContractCustomError: decoded the same way.
            with pytest.raises(Exception) as caught:  # noqa: PT011 - decoded below
                oracle.contract.functions.vote(opened.ballot(True)).call(
                    {"from": oracle.account, "gas": 330_000}
                )
            error = oracle.decoder.from_exception(caught.value)
            assert error is not None
            assert error.error_name == "VerifierInsufficientGasForCallback"
        delivered = oracle.events(oracle.vote(opened.ballot(False)))[-1]
        assert delivered == (
            "CallbackDelivered",
            {"requestId": opened.request_id, "consumer": consumer.address, "success": succeeds},
        )
        assert oracle.status(opened.request_id)[0] == INVALID


def test_deadlines_follow_the_node_clock_and_cancel_refunds(anvil: LocalNode) -> None:
    chain = anvil.connect(poll_latency=0.01)
    deployment = deploy(chain, oracles=1)
    opened = open_request(deployment.requester, fee=77, timeout=60)
    assert deployment.admin.status(opened.request_id)[0] == PENDING
    advance(chain, 61)
    assert deployment.admin.status(opened.request_id)[0] == EXPIRED
    with reverts("VerifierRequestExpired", requestId=opened.request_id, deadline=opened.deadline):
        deployment.oracles[0].vote(opened.ballot(True))
    deployment.requester.cancel(opened)
    assert chain.balance(deployment.address) == 0


def test_a_fee_above_2_96_wei_reverts(anvil: LocalNode) -> None:
    chain = anvil.connect(poll_latency=0.01)
    deployment = deploy(chain, oracles=1, config=Config())
    anvil.rpc("anvil_setBalance", [deployment.requester.account, hex(2**97)])
    with reverts("VerifierFeeTooHigh", fee=2**96):
        open_request(deployment.requester, fee=2**96)


def test_scheduling_past_the_uint48_timestamp_range_reverts_with_safecast(
    anvil: LocalNode,
) -> None:
    # OpenZeppelin keeps schedules as uint48 timestamps; its SafeCast error needs a clock past
    # 2**48 seconds, which Anvil can simulate (eth-tester caps timestamps far lower).
    chain = anvil.connect(poll_latency=0.01)
    deployment = deploy(chain, oracles=1)
    anvil.rpc("evm_setNextBlockTimestamp", [2**48])
    mine_blocks(chain)
    with reverts("SafeCastOverflowedUintDowncast", bits=48, value=2**48):
        deployment.admin.send("beginDefaultAdminTransfer", deployment.outsider.account)
