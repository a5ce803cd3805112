"""Shared fixtures: the embedded chain and local Anvil/Ganache nodes (see tests/chains.py).

Tests that use `anvil` or `ganache` should carry `pytest.mark.integration`; both fixtures skip,
with the reason, when the node is not installed (`npm install` provides both).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oracle.chain import Chain, connect
from tests.chains import (
    LocalNode,
    anvil_unavailable,
    ganache_unavailable,
    run_anvil,
    run_ganache,
)

# Brownie's suite needs .venv-brownie (web3 7): tests/contracts/test_brownie.py runs `brownie test`.
collect_ignore = ["brownie"]


@pytest.fixture
def embedded_chain() -> Chain:
    """A fresh in-process eth-tester chain, signing with its first pre-funded account."""
    return connect()


@pytest.fixture
def anvil() -> Iterator[LocalNode]:
    """A fresh Anvil (automine) on 127.0.0.1 with a funded key; stopped after the test."""
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        yield node


@pytest.fixture
def ganache() -> Iterator[LocalNode]:
    """A fresh Ganache (Shanghai, instamine) on 127.0.0.1 with a funded key; stopped after."""
    reason = ganache_unavailable()
    if reason:
        pytest.skip(reason)
    with run_ganache() as node:
        yield node
