"""scripts/deploy.py fills the constructor from the ABI, by input name."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.deploy import constructor_args, constructor_values


def _constructor(*inputs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"type": "constructor", "inputs": [{"type": t, "name": n} for t, n in inputs]}]


def test_arguments_follow_the_abi_order() -> None:
    abi = _constructor(("uint8", "b"), ("address", "a"))
    assert constructor_args(abi, {"a": "0xA", "b": 2, "c": True}) == [2, "0xA"]


def test_an_input_without_a_value_is_named(admin: Any) -> None:
    abi = _constructor(("address", "initialAdmin"), ("uint8", "threshold"))
    with pytest.raises(ValueError, match=r"takes uint8 threshold, which scripts/deploy\.py"):
        constructor_args(abi, constructor_values(admin))


def test_the_deployer_is_the_default_admin(verifier: Any, admin: Any) -> None:
    assert verifier.defaultAdmin() == admin
