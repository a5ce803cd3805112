"""Transaction handling against real nodes: timeouts, concurrency, legacy fees, a vanished node."""

from __future__ import annotations

import os
import threading

import pytest
from eth_account import Account

from oracle.chain import deploy_verifier, fund, transact, wait
from oracle.chain.revert import ErrorDecoder
from oracle.domain import RequestTerms, Vote
from oracle.errors import ChainConnectionError, TransactionTimeoutError
from tests.chains import LocalNode, reverts, run_anvil

pytestmark = pytest.mark.integration


def test_a_transaction_not_mined_in_time_times_out_and_can_be_awaited_later() -> None:
    with run_anvil(no_mining=True) as node:
        chain = node.connect(receipt_timeout=0.3)
        recipient = Account.create().address
        with pytest.raises(TransactionTimeoutError, match=r"was not mined within 0\.3 s") as caught:
            fund(chain, recipient, 10**18)
        node.rpc("evm_mine")
        sent = wait(chain, caught.value.tx_hash, decoder=ErrorDecoder("transfer", []))
        assert sent.tx_hash == caught.value.tx_hash
        assert chain.balance(recipient) == 10**18


def test_concurrent_senders_on_one_connection_get_consecutive_nonces(anvil: LocalNode) -> None:
    chain = anvil.connect()
    verifier = deploy_verifier(chain, oracles=[chain.address])
    keys: list[bytes] = []
    failures: list[BaseException] = []

    def register(count: int) -> None:
        try:
            for _ in range(count):
                keys.append(verifier.register_key(1, os.urandom(1312)))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=register, args=(5,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert not any(thread.is_alive() for thread in threads)
    assert len(set(keys)) == 20
    assert all(verifier.is_key_registered(k) for k in keys)
    assert chain.w3.eth.get_transaction_count(chain.address) == 21  # deploy + 20


def test_a_chain_without_a_base_fee_gets_legacy_gas_prices() -> None:
    with run_anvil(hardfork="berlin") as node:
        chain = node.connect()
        sent = fund(chain, Account.create().address, 1)
        tx = chain.w3.eth.get_transaction(sent.tx_hash)
        assert tx["type"] == 0
        assert tx["gasPrice"] > 0


def test_a_mined_revert_on_anvil_is_decoded_by_replaying_it(anvil: LocalNode) -> None:
    chain = anvil.connect()
    verifier = deploy_verifier(chain, oracles=[Account.create().address])
    ballot = Vote(bytes(32), True, RequestTerms(bytes(32), chain.address))
    data = verifier.encode("vote", ballot.as_abi())
    with reverts("VerifierNotOracle", account=chain.address) as caught:
        transact(chain, to=verifier.address, data=data, decoder=verifier.errors, gas=80_000)
    assert caught.value.tx_hash is not None


def test_a_node_that_goes_away_raises_a_connection_error() -> None:
    with run_anvil() as node:
        chain = node.connect(request_timeout=2)
        verifier = deploy_verifier(chain, oracles=[chain.address])
    with pytest.raises(ChainConnectionError, match=r"cannot reach the node at http://127\.0\.0\.1"):
        verifier.status_of(bytes(32))
    with pytest.raises(ChainConnectionError):
        verifier.register_key(1, bytes(1312))
