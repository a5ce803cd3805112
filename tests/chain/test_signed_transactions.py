"""Sign now, send later: the pieces the daemon uses to never send a verdict twice."""

from __future__ import annotations

import pytest

from oracle.chain import Chain, Status, commitment
from oracle.crypto import SigningKey
from oracle.errors import NonceConflictError
from tests.chains import Deployment, deploy_with_roles, reverts


@pytest.fixture
def deployment(embedded_chain: Chain) -> Deployment:
    return deploy_with_roles(embedded_chain)


def _open_request(deployment: Deployment) -> tuple[int, bytes]:
    key = SigningKey.generate("ML-DSA-44")
    key_id = deployment.admin.register_key(1, key.public_key)
    signature = key.sign(b"hello")
    request_id = deployment.admin.request_verification(key_id, b"hello", b"", signature)
    return request_id, commitment(key_id, b"hello", b"", signature)


def test_a_signed_fulfilment_changes_nothing_until_it_is_broadcast(deployment: Deployment) -> None:
    request_id, digest = _open_request(deployment)
    signed = deployment.oracle.sign_fulfill(request_id, True, digest)
    assert signed.sender == deployment.oracle.chain.address
    assert deployment.oracle.receipt(signed.tx_hash) is None
    assert deployment.admin.status_of(request_id) is Status.PENDING
    assert deployment.oracle.broadcast(signed) == signed.tx_hash
    sent = deployment.oracle.receipt(signed.tx_hash)
    assert sent is not None
    assert sent.tx_hash == signed.tx_hash
    assert deployment.admin.status_of(request_id) is Status.VALID


def test_broadcasting_the_same_bytes_again_never_fulfils_twice(deployment: Deployment) -> None:
    request_id, digest = _open_request(deployment)
    signed = deployment.oracle.sign_fulfill(request_id, False, digest)
    deployment.oracle.broadcast(signed)
    # Mined already: the node refuses the used nonce; it cannot run a second time.
    with pytest.raises(NonceConflictError):
        deployment.oracle.broadcast(signed)
    fulfilled = deployment.admin.verification_fulfilled_events(0, deployment.chain.block_number())
    assert [e.request_id for e in fulfilled] == [request_id]


def test_signing_a_fulfilment_dry_runs_it_first(deployment: Deployment) -> None:
    request_id, digest = _open_request(deployment)
    with reverts(
        "VerifierCommitmentMismatch", requestId=request_id, expected=digest, given=b"\x01" * 32
    ):
        deployment.oracle.sign_fulfill(request_id, True, b"\x01" * 32)


def test_a_signed_transaction_whose_nonce_was_taken_is_refused(deployment: Deployment) -> None:
    first, first_digest = _open_request(deployment)
    second, second_digest = _open_request(deployment)
    stale = deployment.oracle.sign_fulfill(first, True, first_digest)
    deployment.oracle.chain.nonces.reset()
    # Another transaction takes the same nonce before the stale one is broadcast.
    deployment.oracle.fulfill(second, True, second_digest)
    with pytest.raises(NonceConflictError, match=f"nonce {stale.nonce}"):
        deployment.oracle.broadcast(stale)
    assert deployment.admin.status_of(first) is Status.PENDING
