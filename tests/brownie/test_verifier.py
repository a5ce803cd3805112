"""SignatureVerifier under Brownie: keys, pausing, the admin hand-over and its version string."""

from __future__ import annotations

import os
from typing import Any

import brownie
import pytest
from brownie import chain

ML_DSA_44 = 1
ML_DSA_44_PUBLIC_KEY_BYTES = 1312
# OpenZeppelin's AccessControl keeps the default admin role at zero.
DEFAULT_ADMIN_ROLE = "0x" + "00" * 32


@pytest.fixture
def public_key() -> bytes:
    return os.urandom(ML_DSA_44_PUBLIC_KEY_BYTES)


def _reverts(error: str, *args: Any) -> Any:
    """Expect a revert with the custom error `error(*args)`."""
    # Brownie reports it as "<Name>: <argument>, <argument>", addresses in lowercase hex and
    # fixed-size bytes as Python's bytes literal.
    shown = [str(bytes(arg)) if isinstance(arg, bytes) else str(arg).lower() for arg in args]
    return brownie.reverts(f"{error}: {', '.join(shown)}")


def test_registering_a_new_key_emits_key_registered(
    verifier: Any, outsider: Any, public_key: bytes
) -> None:
    tx = verifier.registerKey(ML_DSA_44, public_key, {"from": outsider})

    event = tx.events["KeyRegistered"]
    assert event["algorithm"] == ML_DSA_44
    assert event["registrant"] == outsider
    assert bytes(event["publicKey"]) == public_key
    key_id = event["keyId"]
    assert verifier.isKeyRegistered(key_id)
    assert verifier.keyAlgorithm(key_id) == ML_DSA_44
    record = verifier.keyOf(key_id).dict()
    assert record["algorithm"] == ML_DSA_44
    assert record["registrant"] == outsider


def test_an_unregistered_key_is_unknown(verifier: Any) -> None:
    key_id = "0x" + "ab" * 32
    assert not verifier.isKeyRegistered(key_id)
    assert verifier.keyAlgorithm(key_id) == 0


def test_the_pauser_pauses_and_a_paused_verifier_refuses_keys(
    verifier: Any, pauser: Any, outsider: Any, public_key: bytes
) -> None:
    tx = verifier.pause({"from": pauser})
    assert tx.events["Paused"]["account"] == pauser
    assert verifier.paused()

    with _reverts("EnforcedPause"):
        verifier.registerKey(ML_DSA_44, public_key, {"from": outsider})


def test_unpausing_lets_keys_in_again(
    verifier: Any, pauser: Any, outsider: Any, public_key: bytes
) -> None:
    verifier.pause({"from": pauser})
    tx = verifier.unpause({"from": pauser})
    assert tx.events["Unpaused"]["account"] == pauser
    assert not verifier.paused()

    verifier.registerKey(ML_DSA_44, public_key, {"from": outsider})


def test_pausing_without_the_pauser_role_reverts(verifier: Any, outsider: Any) -> None:
    with _reverts("AccessControlUnauthorizedAccount", outsider, verifier.PAUSER_ROLE()):
        verifier.pause({"from": outsider})
    assert not verifier.paused()


def test_the_default_admin_changes_hands_in_two_steps(
    verifier: Any, admin: Any, outsider: Any
) -> None:
    tx = verifier.beginDefaultAdminTransfer(outsider, {"from": admin})
    assert tx.events["DefaultAdminTransferScheduled"]["newAdmin"] == outsider
    assert verifier.pendingDefaultAdmin()[0] == outsider
    assert verifier.defaultAdmin() == admin  # nothing changes before the new admin accepts

    chain.sleep(verifier.defaultAdminDelay() + 1)
    verifier.acceptDefaultAdminTransfer({"from": outsider})

    assert verifier.defaultAdmin() == outsider
    assert verifier.hasRole(DEFAULT_ADMIN_ROLE, outsider)
    assert not verifier.hasRole(DEFAULT_ADMIN_ROLE, admin)


def test_only_the_pending_admin_accepts_the_hand_over(
    verifier: Any, admin: Any, pauser: Any, outsider: Any
) -> None:
    verifier.beginDefaultAdminTransfer(outsider, {"from": admin})
    chain.sleep(verifier.defaultAdminDelay() + 1)

    with _reverts("AccessControlInvalidDefaultAdmin", pauser):
        verifier.acceptDefaultAdminTransfer({"from": pauser})
    assert verifier.defaultAdmin() == admin


def test_the_default_admin_role_cannot_be_granted_directly(
    verifier: Any, admin: Any, outsider: Any
) -> None:
    with _reverts("AccessControlEnforcedDefaultAdminRules"):
        verifier.grantRole(DEFAULT_ADMIN_ROLE, outsider, {"from": admin})


def test_type_and_version_names_the_verifier(verifier: Any) -> None:
    assert verifier.typeAndVersion().startswith("SignatureVerifier ")
