"""Sending: dry run before gas is spent, headroom, fees, nonces, receipts and mined reverts."""

from __future__ import annotations

import logging
import os

import pytest
from eth_account import Account

from oracle.chain import (
    Chain,
    Role,
    SentTransaction,
    Verifier,
    deploy_verifier,
    dry_run,
    send,
    transact,
    wait,
)
from oracle.chain.transactions import GAS_HEADROOM_FLAT, GAS_HEADROOM_PERCENT
from oracle.domain import RequestTerms, Vote
from oracle.errors import TransactionRejectedError
from oracle.types import Commitment, RequestId
from tests.chains import reverts


@pytest.fixture
def verifier(embedded_chain: Chain) -> Verifier:
    # The signing account is the admin but no oracle: its votes revert.
    return deploy_verifier(embedded_chain, oracles=[Account.create().address])


ZERO_ADDRESS = "0x" + "00" * 20


def _call_data(verifier: Verifier, function: str, *args: object) -> bytes:
    contract = verifier.chain.w3.eth.contract(address=verifier.address, abi=verifier.artifact.abi)
    return bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])


def test_a_transaction_returns_where_it_was_mined_and_what_it_cost(verifier: Verifier) -> None:
    sent = verifier.grant_role(Role.PAUSER, verifier.chain.address)
    chain = verifier.chain
    block = chain.w3.eth.get_block(sent.block_number)
    assert isinstance(sent, SentTransaction)
    assert sent.block_number == chain.block_number()
    assert sent.block_hash == bytes(block["hash"])
    assert sent.tx_hash in [bytes(h) for h in block["transactions"]]
    assert 30_000 < sent.gas_used < 100_000
    assert sent.effective_gas_price > 0
    assert sent.contract_address is None


def test_transactions_are_eip1559_with_a_fee_cap_above_the_base_fee(verifier: Verifier) -> None:
    sent = verifier.grant_role(Role.PAUSER, verifier.chain.address)
    tx = verifier.chain.w3.eth.get_transaction(sent.tx_hash)
    base_fee = verifier.chain.w3.eth.get_block(sent.block_number)["baseFeePerGas"]
    assert tx["type"] == 2
    assert tx["maxFeePerGas"] >= 2 * base_fee
    assert tx["maxPriorityFeePerGas"] > 0


def test_the_gas_limit_is_the_estimate_with_headroom(verifier: Verifier) -> None:
    chain = verifier.chain
    data = _call_data(verifier, "registerKey", 1, os.urandom(1312))
    estimate = chain.w3.eth.estimate_gas(
        {"from": chain.address, "to": verifier.address, "data": data}
    )
    limit = dry_run(chain, to=verifier.address, data=data, decoder=verifier.errors)
    assert limit == estimate + estimate * GAS_HEADROOM_PERCENT // 100 + GAS_HEADROOM_FLAT
    sent = transact(chain, to=verifier.address, data=data, decoder=verifier.errors)
    assert chain.w3.eth.get_transaction(sent.tx_hash)["gas"] == limit
    assert sent.gas_used <= estimate


def test_a_reverting_transaction_is_stopped_before_any_gas_is_spent(verifier: Verifier) -> None:
    chain = verifier.chain
    head, balance = chain.block_number(), chain.balance(chain.address)
    nonce = chain.w3.eth.get_transaction_count(chain.address)
    with reverts("SanitizerUnsupportedAlgorithm", algorithm=9):
        verifier.register_key(9, bytes(1312))
    assert chain.block_number() == head
    assert chain.balance(chain.address) == balance
    assert chain.w3.eth.get_transaction_count(chain.address) == nonce


def test_a_mined_revert_is_decoded_by_replaying_it(verifier: Verifier) -> None:
    # With an explicit gas limit there is no dry run: the transaction is mined and fails.
    ballot = Vote(RequestId(bytes(32)), True, RequestTerms(Commitment(bytes(32)), ZERO_ADDRESS))
    data = _call_data(verifier, "vote", ballot.as_abi())
    with reverts("VerifierNotOracle", account=verifier.chain.address) as caught:
        transact(
            verifier.chain, to=verifier.address, data=data, decoder=verifier.errors, gas=80_000
        )
    tx_hash = caught.value.tx_hash
    assert tx_hash is not None
    assert verifier.chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 0
    assert f"in transaction 0x{tx_hash.hex()}" in str(caught.value)


def test_send_returns_the_hash_and_wait_the_receipt(verifier: Verifier) -> None:
    data = _call_data(verifier, "grantRole", Role.PAUSER.value, verifier.chain.address)
    tx_hash = send(verifier.chain, to=verifier.address, data=data, decoder=verifier.errors)
    sent = wait(verifier.chain, tx_hash, decoder=verifier.errors)
    assert sent.tx_hash == tx_hash
    assert verifier.has_role(Role.PAUSER, verifier.chain.address)


def test_a_stale_nonce_is_resynchronised_and_the_transaction_goes_through(
    verifier: Verifier, caplog: pytest.LogCaptureFixture
) -> None:
    # Two connections share one account: each counts nonces locally, so one goes stale.
    first = verifier.chain
    second = first.with_account(first.signer)
    other = Account.create().address
    verifier.grant_role(Role.PAUSER, first.address)  # `first` now counts the next nonce locally
    verifier.using(second).grant_role(Role.PAUSER, other)  # used that nonce
    with caplog.at_level(logging.INFO, logger="oracle.chain.transactions"):
        verifier.revoke_role(Role.PAUSER, first.address)  # `first` is stale: resync, resend
    assert "nonce 2 rejected, resynchronising" in caplog.text
    assert not verifier.has_role(Role.PAUSER, first.address)
    assert verifier.has_role(Role.PAUSER, other)
    assert first.w3.eth.get_transaction_count(first.address) == 4  # deploy + three


def test_the_node_refusing_a_transaction_is_a_rejection(embedded_chain: Chain) -> None:
    verifier = deploy_verifier(embedded_chain, oracles=[embedded_chain.address])
    broke = verifier.using(embedded_chain.with_account(Account.create()))
    with pytest.raises(TransactionRejectedError, match="cannot afford"):
        broke.register_key(1, bytes(1312))
