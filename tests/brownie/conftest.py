"""Fixtures for the Brownie suite: one SignatureVerifier per module, each test isolated.

Runs under Brownie's pytest plugin (`brownie test tests/brownie`, in .venv-brownie); the main
suite leaves this directory out. The tests stay on behaviour every version of the verifier keeps:
the key registry, pausing, the default admin hand-over and `typeAndVersion`.
"""

from __future__ import annotations

from typing import Any

import pytest
from brownie import accounts

from scripts.deploy import deploy_verifier


@pytest.fixture(scope="module")
def admin() -> Any:
    return accounts[0]


@pytest.fixture(scope="module")
def pauser() -> Any:
    return accounts[1]


@pytest.fixture(scope="module")
def outsider() -> Any:
    return accounts[2]


@pytest.fixture(scope="module")
def verifier(admin: Any, pauser: Any) -> Any:
    """The verifier as scripts/deploy.py deploys it, with `pauser` holding PAUSER_ROLE."""
    verifier = deploy_verifier(admin)
    verifier.grantRole(verifier.PAUSER_ROLE(), pauser, {"from": admin})
    return verifier


@pytest.fixture(autouse=True)
def _isolation(fn_isolation: None) -> None:
    """Every test starts from the module's deployment (an EVM snapshot, reverted afterwards)."""
