"""Test contracts of the ML-DSA libraries (contracts/test/*Harness.sol), deployed once per module
on Anvil, where heavy EVM code runs ~60x faster than on the embedded chain, or on the embedded chain
for a handful of cases.

    with harness_on("anvil", "KeccakHarness") as contract:
        contract.functions.shake(168, b"", 32).call()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from oracle.chain import Chain, connect, deploy_artifact, load_artifact
from tests.chains import anvil_unavailable, run_anvil

#: eth_call gas for the heavy view functions (the per-transaction cap of EIP-7825).
CALL_GAS = 16_777_216


def deploy_harness(chain: Chain, name: str) -> Any:
    """Deploy test contract `name` (no constructor arguments); return its web3 contract."""
    address, _ = deploy_artifact(chain, name)
    return chain.w3.eth.contract(address=address, abi=load_artifact(name).abi)


@contextmanager
def harness_on(where: str, name: str) -> Iterator[Any]:
    """Test contract `name` deployed on a fresh Anvil ("anvil") or embedded chain ("embedded")."""
    if where == "embedded":
        yield deploy_harness(connect(), name)
        return
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        yield deploy_harness(node.connect(), name)
