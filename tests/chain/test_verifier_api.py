"""The Verifier wrapper's own behaviour: argument checks, roles by name, log windows."""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from oracle.chain import (
    MAX_LOG_WINDOW,
    Chain,
    KeyRegistered,
    Role,
    Status,
    Verifier,
    deploy_verifier,
    mine_blocks,
)
from oracle.errors import ContractNotFoundError, InputError


@pytest.fixture
def verifier(embedded_chain: Chain) -> Verifier:
    return deploy_verifier(embedded_chain)


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("ORACLE", Role.ORACLE),
        ("oracle", Role.ORACLE),
        ("ORACLE_ROLE", Role.ORACLE),
        (" pauser ", Role.PAUSER),
        ("default-admin", Role.DEFAULT_ADMIN),
        ("DEFAULT_ADMIN_ROLE", Role.DEFAULT_ADMIN),
        (Role.PAUSER, Role.PAUSER),
    ],
)
def test_roles_are_parsed_from_their_names(name: str | Role, role: Role) -> None:
    assert Role.parse(name) is role


def test_an_unknown_role_suggests_the_closest_name() -> None:
    with pytest.raises(InputError, match="Did you mean 'ORACLE'"):
        Role.parse("orcale")
    with pytest.raises(InputError, match="must be a Role or a name"):
        Role.parse(3)  # type: ignore[arg-type]


def test_role_identifiers_are_the_contracts(verifier: Verifier) -> None:
    contract = verifier.chain.w3.eth.contract(address=verifier.address, abi=verifier.artifact.abi)
    assert contract.functions.ORACLE_ROLE().call() == Role.ORACLE.value
    assert contract.functions.PAUSER_ROLE().call() == Role.PAUSER.value
    assert contract.functions.DEFAULT_ADMIN_ROLE().call() == Role.DEFAULT_ADMIN.value


def test_status_mirrors_the_solidity_enum() -> None:
    assert [s.name for s in Status] == ["NONE", "PENDING", "VALID", "INVALID"]
    assert [s.is_final for s in Status] == [False, False, True, True]


def test_attaching_to_an_address_without_code_fails(embedded_chain: Chain) -> None:
    with pytest.raises(ContractNotFoundError, match="no contract at"):
        Verifier(embedded_chain, Account.create().address)
    with pytest.raises(InputError, match="not an address"):
        Verifier(embedded_chain, "0xnope")


def test_deploy_takes_another_admin_and_a_delay(embedded_chain: Chain) -> None:
    other = Account.create().address
    verifier = deploy_verifier(embedded_chain, admin=other, admin_delay=86_400)
    assert verifier.default_admin() == other
    assert verifier.default_admin_delay() == 86_400
    with pytest.raises(InputError, match="admin delay"):
        deploy_verifier(embedded_chain, admin_delay=2**48)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v: v.register_key(256, bytes(1312)), "algorithm id"),
        (lambda v: v.register_key(-1, bytes(1312)), "algorithm id"),
        (lambda v: v.register_key(True, bytes(1312)), "algorithm id"),
        (lambda v: v.register_key(1, "00" * 1312), "public key must be bytes"),
        (lambda v: v.request_verification(bytes(31), b"", b"", b""), "key id must be 32 bytes"),
        (lambda v: v.request_verification(bytes(32), "m", b"", b""), "message must be bytes"),
        (lambda v: v.fulfill(-1, True, bytes(32)), "request id"),
        (lambda v: v.fulfill(2**256, True, bytes(32)), "request id"),
        (lambda v: v.fulfill(1, 1, bytes(32)), "valid must be a bool"),
        (lambda v: v.fulfill(1, True, bytes(16)), "commitment must be 32 bytes"),
        (lambda v: v.status_of("1"), "request id"),
        (lambda v: v.key_of(b"short"), "key id must be 32 bytes"),
        (lambda v: v.grant_role("ORACLE", "bob"), "not an address"),
    ],
)
def test_arguments_are_checked_before_anything_is_sent(
    verifier: Verifier, call: object, message: str
) -> None:
    head = verifier.chain.block_number()
    with pytest.raises(InputError, match=message):
        call(verifier)  # type: ignore[operator]
    assert verifier.chain.block_number() == head


def test_events_in_a_transaction_are_the_verifiers_own(verifier: Verifier) -> None:
    event, sent = verifier.register_key_tx(1, os.urandom(1312))
    assert verifier.events_in(sent) == [event]
    assert isinstance(event, KeyRegistered)
    granted = verifier.grant_role(Role.ORACLE, verifier.chain.address)  # only OZ's RoleGranted
    assert verifier.events_in(granted) == []


def test_log_windows_must_be_bounded_and_within_the_chain(verifier: Verifier) -> None:
    head = mine_blocks(verifier.chain, 2)
    assert verifier.events(head, head) == []
    for start, end, message in [
        (5, 4, "empty block window"),
        (-1, 3, "from_block must be a block number"),
        (0, "latest", "to_block must be a block number"),
        (0, MAX_LOG_WINDOW, "spans more than"),
        (0, head + 1, "reaches past the chain head"),
    ]:
        with pytest.raises(InputError, match=message):
            verifier.events(start, end)  # type: ignore[arg-type]


def test_each_reader_returns_only_its_event_kind(verifier: Verifier) -> None:
    kid = verifier.register_key(1, os.urandom(1312))
    rid = verifier.request_verification(kid, b"m", b"", os.urandom(2420))
    verifier.grant_role(Role.ORACLE, verifier.chain.address)
    verifier.fulfill(rid, False, verifier.request_of(rid).commitment)
    head = verifier.chain.block_number()
    assert [e.key_id for e in verifier.key_registered_events(0, head)] == [kid]
    assert [e.request_id for e in verifier.verification_requested_events(0, head)] == [rid]
    fulfilled = verifier.verification_fulfilled_events(0, head)
    assert [(e.request_id, e.valid) for e in fulfilled] == [(rid, False)]
    assert fulfilled[0].block_number == head


def test_a_verdict_can_be_submitted_first_and_its_receipt_awaited_later(
    verifier: Verifier,
) -> None:
    kid = verifier.register_key(1, os.urandom(1312))
    rid = verifier.request_verification(kid, b"m", b"", os.urandom(2420))
    verifier.grant_role(Role.ORACLE, verifier.chain.address)
    tx_hash = verifier.submit_fulfill(rid, True, verifier.request_of(rid).commitment)
    sent = verifier.wait(tx_hash)
    assert sent.tx_hash == tx_hash
    assert [type(e).__name__ for e in verifier.events_in(sent)] == ["VerificationFulfilled"]
    assert verifier.status_of(rid) is Status.VALID
