"""The Verifier wrapper's own behaviour: argument checks, roles by name, log windows."""

from __future__ import annotations

import dataclasses
import os

import pytest
from eth_account import Account

from oracle.chain import (
    MAX_LOG_WINDOW,
    Chain,
    KeyRegistered,
    Role,
    Status,
    VerificationFinalized,
    VerificationRequested,
    Verifier,
    deploy_verifier,
    mine_blocks,
    request_id,
)
from oracle.domain import Request, RequestTerms, Vote
from oracle.errors import ContractNotFoundError, InputError
from oracle.types import Commitment, RequestId
from tests.chains import reverts

TERMS = RequestTerms(Commitment(bytes(32)), "0x" + "00" * 20)


@pytest.fixture
def verifier(embedded_chain: Chain) -> Verifier:
    """A verifier whose signing account is its admin and its only oracle (threshold 1)."""
    return deploy_verifier(embedded_chain, oracles=[embedded_chain.address])


def _open(verifier: Verifier) -> Request:
    kid = verifier.register_key(1, os.urandom(1312))
    request, _ = verifier.request_verification_tx(kid, b"m", b"", os.urandom(2420))
    return request


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("PAUSER", Role.PAUSER),
        ("pauser", Role.PAUSER),
        ("PAUSER_ROLE", Role.PAUSER),
        (" pauser ", Role.PAUSER),
        ("default-admin", Role.DEFAULT_ADMIN),
        ("DEFAULT_ADMIN_ROLE", Role.DEFAULT_ADMIN),
        (Role.PAUSER, Role.PAUSER),
    ],
)
def test_roles_are_parsed_from_their_names(name: str | Role, role: Role) -> None:
    assert Role.parse(name) is role


def test_an_unknown_role_suggests_the_closest_name() -> None:
    with pytest.raises(InputError, match="Did you mean 'PAUSER'"):
        Role.parse("pauzer")
    with pytest.raises(InputError, match="must be a Role or a name"):
        Role.parse(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["ORACLE", "oracle", "ORACLE_ROLE"])
def test_the_oracle_role_of_version_1_points_to_the_oracle_set(name: str) -> None:
    with pytest.raises(InputError, match="oracles are a set with a threshold, not a role"):
        Role.parse(name)


def test_role_identifiers_are_the_contracts(verifier: Verifier) -> None:
    contract = verifier.chain.w3.eth.contract(address=verifier.address, abi=verifier.artifact.abi)
    assert contract.functions.PAUSER_ROLE().call() == Role.PAUSER.value
    assert contract.functions.DEFAULT_ADMIN_ROLE().call() == Role.DEFAULT_ADMIN.value
    assert not hasattr(contract.functions, "ORACLE_ROLE")


def test_status_mirrors_the_solidity_enum() -> None:
    assert [s.name for s in Status] == [
        "NONE",
        "PENDING",
        "VALID",
        "INVALID",
        "CANCELLED",
        "EXPIRED",
        "POSTED",
    ]
    assert [s.is_final for s in Status] == [False, False, True, True, False, False, False]
    assert [s.is_closed for s in Status] == [False, False, True, True, True, True, False]
    assert Status.EXPIRED.label == "expired"


def test_attaching_to_an_address_without_code_fails(embedded_chain: Chain) -> None:
    with pytest.raises(ContractNotFoundError, match="no contract at"):
        Verifier(embedded_chain, Account.create().address)
    with pytest.raises(InputError, match="not an address"):
        Verifier(embedded_chain, "0xnope")


def test_deploy_takes_another_admin_and_a_delay(embedded_chain: Chain) -> None:
    other = Account.create().address
    oracles = [embedded_chain.address]
    verifier = deploy_verifier(embedded_chain, oracles=oracles, admin=other, admin_delay=86_400)
    assert verifier.default_admin() == other
    assert verifier.default_admin_delay() == 86_400
    with pytest.raises(InputError, match="admin delay"):
        deploy_verifier(embedded_chain, oracles=oracles, admin_delay=2**48)


def test_deploy_puts_the_oracle_set_its_threshold_and_its_delay_in_force(
    embedded_chain: Chain,
) -> None:
    members = [Account.create().address for _ in range(3)]
    verifier = deploy_verifier(embedded_chain, oracles=members, threshold=2, oracle_set_delay=3600)
    assert verifier.oracles() == tuple(members)
    assert verifier.threshold() == 2
    assert verifier.oracle_set_delay() == 3600
    assert all(verifier.is_oracle(m) for m in members)
    assert not verifier.is_oracle(embedded_chain.address)


def test_deploy_refuses_an_empty_set_and_the_contract_a_threshold_above_it(
    embedded_chain: Chain,
) -> None:
    head = embedded_chain.block_number()
    with pytest.raises(InputError, match="at least one oracle"):
        deploy_verifier(embedded_chain, oracles=[])
    members = [Account.create().address for _ in range(2)]
    with reverts("VerifierInvalidThreshold", threshold=3, oracles=2):
        deploy_verifier(embedded_chain, oracles=members, threshold=3)
    with pytest.raises(InputError, match="oracle is not an address"):
        deploy_verifier(embedded_chain, oracles=["bob"])
    assert embedded_chain.block_number() == head


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v: v.register_key(256, bytes(1312)), "algorithm id"),
        (lambda v: v.register_key(-1, bytes(1312)), "algorithm id"),
        (lambda v: v.register_key(True, bytes(1312)), "algorithm id"),
        (lambda v: v.register_key(1, "00" * 1312), "public key must be bytes"),
        (lambda v: v.request_verification(bytes(31), b"", b"", b""), "key id must be 32 bytes"),
        (lambda v: v.request_verification(bytes(32), "m", b"", b""), "message must be bytes"),
        (lambda v: v.request_verification(bytes(32), b"", b"", b"", fee=2**96), "fee"),
        (lambda v: v.request_verification(bytes(32), b"", b"", b"", fee=-1), "fee"),
        (lambda v: v.request_verification(bytes(32), b"", b"", b"", timeout=2**32), "timeout"),
        (
            lambda v: v.request_verification(bytes(32), b"", b"", b"", callback_gas_limit=-1),
            "callback gas limit",
        ),
        (lambda v: v.vote(Vote(RequestId(bytes(31)), True, TERMS)), "request id must be 32"),
        (lambda v: v.vote(Vote(RequestId(bytes(32)), 1, TERMS)), "valid must be a bool"),
        (
            lambda v: v.vote(
                Vote(RequestId(bytes(32)), True, dataclasses.replace(TERMS, commitment=bytes(16)))
            ),
            "commitment must be 32 bytes",
        ),
        (
            lambda v: v.vote(
                Vote(RequestId(bytes(32)), True, dataclasses.replace(TERMS, fee=2**96))
            ),
            "fee",
        ),
        (lambda v: v.vote((bytes(32), True)), "a ballot must be a Vote"),
        (lambda v: v.vote_batch([]), "at least one vote"),
        (lambda v: v.cancel(bytes(32), "terms"), "terms must be RequestTerms"),
        (lambda v: v.withdraw("bob"), "not an address"),
        (lambda v: v.announce_oracle_set_change(["bob"], 1), "not an address"),
        (lambda v: v.announce_oracle_set_change([v.chain.address], 256), "threshold"),
        (lambda v: v.status_of("1"), "request id"),
        (lambda v: v.status_of(1), "request id"),
        (lambda v: v.status_of(bytes(8)), "request id must be 32 bytes"),
        (lambda v: v.key_of(b"short"), "key id must be 32 bytes"),
        (lambda v: v.grant_role("PAUSER", "bob"), "not an address"),
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
    _, sent, event = verifier.register_key_tx(1, os.urandom(1312))
    assert verifier.events_in(sent) == [event]
    assert isinstance(event, KeyRegistered)
    granted = verifier.grant_role(Role.PAUSER, verifier.chain.address)  # only OZ's RoleGranted
    assert verifier.events_in(granted) == []


def test_registering_a_key_twice_returns_its_id_without_an_event(verifier: Verifier) -> None:
    public_key = os.urandom(1312)
    first, _, event = verifier.register_key_tx(1, public_key)
    again, sent, none = verifier.register_key_tx(1, public_key)
    assert event is not None
    assert (again, none) == (first, None)
    assert verifier.events_in(sent) == []


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
    request = _open(verifier)
    verifier.vote(Vote(request.request_id, False, request.terms))
    head = verifier.chain.block_number()
    assert [e.key_id for e in verifier.events_of(KeyRegistered, 0, head)] == [request.key_id]
    requested = verifier.events_of(VerificationRequested, 0, head)
    assert [e.request_id for e in requested] == [request.request_id]
    finalized = verifier.events_of(VerificationFinalized, 0, head)
    assert [(e.request_id, e.valid) for e in finalized] == [(request.request_id, False)]
    assert finalized[0].block_number == head
    assert finalized[0].commitment == request.commitment


def test_request_ids_are_bound_to_the_chain_the_verifier_the_requester_and_its_count(
    verifier: Verifier,
) -> None:
    first, second = _open(verifier), _open(verifier)
    requester = verifier.chain.address
    assert (first.nonce, second.nonce) == (0, 1)
    assert verifier.request_count_of(requester) == 2
    for opened in (first, second):
        expected = request_id(verifier.chain.chain_id, verifier.address, requester, opened.nonce)
        assert opened.request_id == expected
        assert verifier.request_id_of(requester, opened.nonce) == expected


def test_a_single_vote_on_other_terms_reverts_naming_the_request(verifier: Verifier) -> None:
    request = _open(verifier)
    other = dataclasses.replace(request.terms, fee=1)
    assert verifier.is_committed(request.request_id, request.terms)
    assert not verifier.is_committed(request.request_id, other)
    with reverts("VerifierTermsMismatch", requestId=request.request_id):
        verifier.vote(Vote(request.request_id, True, other))


def test_a_vote_can_be_submitted_first_and_its_receipt_awaited_later(
    verifier: Verifier,
) -> None:
    request = _open(verifier)
    signed = verifier.sign_vote_batch([Vote(request.request_id, True, request.terms)])
    tx_hash = verifier.broadcast(signed)
    sent = verifier.wait(tx_hash)
    assert sent.tx_hash == tx_hash
    assert [type(e).__name__ for e in verifier.events_in(sent)] == ["VerificationFinalized"]
    status = verifier.status_of(request.request_id)
    assert (status.status, status.valid_votes, status.invalid_votes) == (Status.VALID, 1, 0)
    assert status.deadline == request.deadline
