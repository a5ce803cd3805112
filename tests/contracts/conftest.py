"""Fixtures for the contract tests: SignatureVerifier 2 with its actors on the embedded chain.

Deploying and funding the actors takes nine transactions; the deployment is made once per module
and every test runs on an eth-tester snapshot of it, reverted afterwards, so tests stay isolated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oracle.chain import connect
from tests.contracts.v2 import Deployment, deploy


@pytest.fixture(scope="module")
def _module_deployment() -> Deployment:
    return deploy(connect(), oracles=3, threshold=1)


@pytest.fixture
def deployment(_module_deployment: Deployment) -> Iterator[Deployment]:
    """A verifier with an admin, three oracles (threshold 1), a pauser, a requester, an outsider."""
    tester: Any = _module_deployment.chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    snapshot = tester.take_snapshot()
    try:
        yield _module_deployment
    finally:
        tester.revert_to_snapshot(snapshot)
        # The reverted chain forgot the test's transactions: nonces must be read afresh.
        _module_deployment.chain.nonces.reset()
        for actor in _module_deployment.actors():
            actor.chain.nonces.reset()
