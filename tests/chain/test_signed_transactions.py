"""Sign now, send later: the pieces the daemon uses to never send a vote twice."""

from __future__ import annotations

import pytest

from oracle.chain import Chain, Status, VerificationFinalized, commitment
from oracle.crypto import SigningKey
from oracle.domain import Request, Vote
from oracle.errors import NonceConflictError
from tests.chains import Deployment, deploy_with_roles, reverts


@pytest.fixture
def deployment(embedded_chain: Chain) -> Deployment:
    return deploy_with_roles(embedded_chain)


def _open_request(deployment: Deployment) -> Request:
    key = SigningKey.generate("ML-DSA-44")
    key_id = deployment.admin.register_key(1, key.public_key)
    signature = key.sign(b"hello")
    request, _ = deployment.admin.request_verification_tx(key_id, b"hello", b"", signature)
    assert request.commitment == commitment(key_id, b"hello", b"", signature)
    return request


def _ballot(request: Request, valid: bool) -> Vote:
    return Vote(request.request_id, valid, request.terms)


def test_a_signed_vote_changes_nothing_until_it_is_broadcast(deployment: Deployment) -> None:
    request = _open_request(deployment)
    signed = deployment.oracle.sign_vote_batch([_ballot(request, True)])
    assert signed.sender == deployment.oracle.chain.address
    assert deployment.oracle.lookup_receipt(signed.tx_hash) is None
    assert deployment.admin.status_of(request.request_id).status is Status.PENDING
    assert deployment.oracle.broadcast(signed) == signed.tx_hash
    receipt = deployment.oracle.lookup_receipt(signed.tx_hash)
    assert receipt is not None
    assert deployment.admin.status_of(request.request_id).status is Status.VALID


def test_broadcasting_the_same_bytes_again_never_votes_twice(deployment: Deployment) -> None:
    request = _open_request(deployment)
    signed = deployment.oracle.sign_vote_batch([_ballot(request, False)])
    deployment.oracle.broadcast(signed)
    # Mined already: the node refuses the used nonce; it cannot run a second time.
    with pytest.raises(NonceConflictError):
        deployment.oracle.broadcast(signed)
    head = deployment.chain.block_number()
    finalized = deployment.admin.events_of(VerificationFinalized, 0, head)
    assert [(e.request_id, e.valid) for e in finalized] == [(request.request_id, False)]


def test_signing_a_vote_batch_dry_runs_it_first(deployment: Deployment) -> None:
    request = _open_request(deployment)
    with reverts("VerifierNotOracle", account=deployment.outsider.chain.address):
        deployment.outsider.sign_vote_batch([_ballot(request, True)])


def test_a_signed_transaction_whose_nonce_was_taken_is_refused(deployment: Deployment) -> None:
    first, second = _open_request(deployment), _open_request(deployment)
    stale = deployment.oracle.sign_vote_batch([_ballot(first, True)])
    deployment.oracle.chain.nonces.reset()
    # Another transaction takes the same nonce before the stale one is broadcast.
    deployment.oracle.vote(_ballot(second, True))
    with pytest.raises(NonceConflictError, match=f"nonce {stale.nonce}"):
        deployment.oracle.broadcast(stale)
    assert deployment.admin.status_of(first.request_id).status is Status.PENDING
