"""Fixtures for the contract tests: SignatureVerifier 2 with its actors, on the embedded chain and
on Anvil (the same tests on both).

Deploying and funding the actors takes nine transactions; the deployment is made once per module
and chain, and every test runs on a snapshot of it (eth-tester's, or Anvil's `evm_snapshot`),
reverted afterwards, so tests stay isolated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oracle.chain import connect
from tests.chains import anvil_unavailable, run_anvil
from tests.contracts.v2 import Deployment, deploy

#: The chains every test of a module using `deployment` runs on.
CHAINS = ["embedded", pytest.param("anvil", marks=pytest.mark.integration)]


@pytest.fixture(scope="module", params=CHAINS)
def _module_deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    if request.param == "embedded":
        yield deploy(connect(), oracles=3, threshold=1)
        return
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        yield deploy(node.connect(), oracles=3, threshold=1)


@pytest.fixture
def deployment(_module_deployment: Deployment) -> Iterator[Deployment]:
    """A verifier with an admin, three oracles (threshold 1), a pauser, a requester, an outsider."""
    chain = _module_deployment.chain
    if chain.is_embedded:
        tester: Any = chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        snapshot = tester.take_snapshot()
    else:
        snapshot = chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield _module_deployment
    finally:
        if chain.is_embedded:
            tester.revert_to_snapshot(snapshot)
        else:
            chain.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        # The reverted chain forgot the test's transactions: nonces must be read afresh.
        _module_deployment.chain.nonces.reset()
        for actor in _module_deployment.actors():
            actor.chain.nonces.reset()
