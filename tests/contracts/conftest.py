"""Fixtures for the contract tests: a verifier with its actors on the embedded chain.

Deploying and funding the actors takes six transactions; the deployment is made once per module
and every test runs on an eth-tester snapshot of it, reverted afterwards, so tests stay isolated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oracle.chain import connect
from tests.chains import Deployment, deploy_with_roles


@pytest.fixture(scope="module")
def _module_deployment() -> Deployment:
    return deploy_with_roles(connect())


@pytest.fixture
def deployment(_module_deployment: Deployment) -> Iterator[Deployment]:
    """A SignatureVerifier with an admin, an oracle, a pauser and an outsider, as deployed."""
    tester: Any = _module_deployment.chain.w3.provider.ethereum_tester
    snapshot = tester.take_snapshot()
    try:
        yield _module_deployment
    finally:
        tester.revert_to_snapshot(snapshot)
        # The reverted chain forgot the test's transactions: nonces must be read afresh.
        for actor in (
            _module_deployment.admin,
            _module_deployment.oracle,
            _module_deployment.pauser,
            _module_deployment.outsider,
        ):
            actor.chain.nonces.reset()
