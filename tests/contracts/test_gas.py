"""Gas budgets of the verifier's entry points (embedded chain, Prague rules), as a regression guard.

Measured when written, with payloads of non-zero bytes: deploy 1,607,073; registerKey 82,338 /
100,320 / 125,920 (ML-DSA-44/65/87); the first requestVerification (32-byte message, empty context)
182,673 / 204,674 / 237,081 and every later one about 17,100 less (the request counter's slot is
no longer zero); fulfill 36,129. The budgets leave about 5% for compiler and fork changes; going
over one means a change made every request or verdict dearer, which should be a decision.
"""

from __future__ import annotations

import pytest

from oracle.chain import Chain, deploy_verifier
from oracle.crypto import ALGORITHMS, Algorithm
from tests.chains import Deployment

REGISTER_BUDGET = {1: 86_500, 2: 105_500, 3: 132_000}
FIRST_REQUEST_BUDGET = {1: 192_000, 2: 215_000, 3: 249_000}
LATER_REQUEST_BUDGET = {1: 174_000, 2: 197_000, 3: 231_000}
FULFIL_BUDGET = 38_000
DEPLOY_BUDGET = 1_690_000


def test_deployment_stays_within_its_gas_budget(embedded_chain: Chain) -> None:
    verifier = deploy_verifier(embedded_chain)
    receipt = embedded_chain.w3.eth.get_transaction_receipt(
        embedded_chain.w3.eth.get_block(embedded_chain.block_number())["transactions"][0]
    )
    assert receipt["contractAddress"] == verifier.address
    assert receipt["gasUsed"] <= DEPLOY_BUDGET


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_register_request_and_fulfil_stay_within_their_gas_budgets(
    deployment: Deployment, algorithm: Algorithm
) -> None:
    params = algorithm
    # Non-zero bytes: calldata pricing depends on the number of zero bytes.
    event, registered = deployment.outsider.register_key_tx(
        params.id, b"\xab" * params.public_key_size
    )
    requests = [
        deployment.outsider.request_verification_tx(
            event.key_id, b"\xcd" * 32, b"", bytes([n]) * params.signature_size
        )
        for n in (0xE1, 0xE2)
    ]
    (first, first_sent), (_, later_sent) = requests
    fulfilled = deployment.oracle.fulfill(first.request_id, True, first.commitment)
    assert registered.gas_used <= REGISTER_BUDGET[params.id]
    assert first_sent.gas_used <= FIRST_REQUEST_BUDGET[params.id]
    assert later_sent.gas_used <= LATER_REQUEST_BUDGET[params.id]
    assert fulfilled.gas_used <= FULFIL_BUDGET
