"""Deploys SignatureVerifier with the deploying account as its default admin and prints its address.

    brownie run scripts/deploy.py                  # development network: Brownie's first account
    brownie run scripts/deploy.py main <account>   # an account `brownie accounts` knows

The constructor's inputs are read from the compiled ABI and filled by name from
`constructor_values`: a constructor that gains, loses or renames an input needs one edit there.
tests/brownie/conftest.py deploys through `deploy_verifier` too.
"""

from __future__ import annotations

from typing import Any

from brownie import SignatureVerifier, accounts, network


def constructor_values(admin: Any) -> dict[str, Any]:
    """Every constructor input this script knows, by its name in the ABI."""
    return {
        # Seconds between the two steps of a default admin hand-over (as `pqoracle deploy`).
        "initialAdminDelay": 0,
        "initialAdmin": admin.address,
        # The deploying account is the one oracle, deciding alone (as a development default).
        "initialOracles": [admin.address],
        "initialThreshold": 1,
        # Seconds between announcing an oracle set change and its effect.
        "oracleSetDelay_": 0,
        # Config: min fee, default/min/max timeout, callback gas cap (VerifierConfig's defaults).
        "initialConfig": (0, 3600, 60, 7 * 24 * 3600, 500_000),
    }


def constructor_args(abi: list[dict[str, Any]], values: dict[str, Any]) -> list[Any]:
    """The constructor's arguments in ABI order.

    Raises ValueError naming every input `values` has no entry for.
    """
    constructors = [item for item in abi if item["type"] == "constructor"]
    inputs = constructors[0]["inputs"] if constructors else []
    missing = [f"{item['type']} {item['name']}" for item in inputs if item["name"] not in values]
    if missing:
        raise ValueError(
            f"the constructor takes {', '.join(missing)}, which scripts/deploy.py does not know: "
            "add them to constructor_values"
        )
    return [values[item["name"]] for item in inputs]


def deploy_verifier(admin: Any) -> Any:
    """Deploy SignatureVerifier from `admin`, which becomes its default admin."""
    args = constructor_args(SignatureVerifier.abi, constructor_values(admin))
    return SignatureVerifier.deploy(*args, {"from": admin})


def main(account: str | None = None) -> Any:
    if account is None and not accounts:
        raise SystemExit(
            f"{network.show_active()} has no unlocked accounts: "
            "brownie run scripts/deploy.py main <account>"
        )
    admin = accounts.load(account) if account else accounts[0]
    verifier = deploy_verifier(admin)
    print(f"SignatureVerifier deployed at {verifier.address} on {network.show_active()}")
    return verifier
