"""Reads batched into one JSON-RPC request answer exactly what one call per read answers, on a
node (Anvil) and on the embedded chain (which takes no batches and reads one by one)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import pytest

from oracle.chain import Chain, Verifier, deploy_verifier
from oracle.chain.connection import MAX_BATCH
from oracle.chain.events import event_from_log
from oracle.errors import ChainError, NodeRequestError
from tests.chains import anvil_unavailable, run_anvil


@pytest.fixture(params=["anvil", "embedded"])
def chain(request: pytest.FixtureRequest, embedded_chain: Chain) -> Iterator[Chain]:
    if request.param == "embedded":
        yield embedded_chain
        return
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        yield node.connect(poll_latency=0.01)


def _opened(verifier: Verifier, count: int) -> list[bytes]:
    key = verifier.register_key(1, os.urandom(1312))
    return [
        verifier.request_verification_tx(key, b"m%d" % n, b"", os.urandom(2420))[0].request_id
        for n in range(count)
    ]


@pytest.mark.integration
def test_statuses_and_commitments_read_together_match_single_reads(chain: Chain) -> None:
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    opened = _opened(verifier, 3)
    unknown = b"\x01" * 32
    block = chain.block_number()
    ids = [*opened, unknown]
    assert verifier.statuses_of(ids, block=block) == [
        verifier.status_of(r, block=block) for r in ids
    ]
    assert verifier.statuses_of([]) == []
    terms = {
        e.request_id: e.to_request().terms
        for e in verifier.events(0, block)
        if hasattr(e, "to_request")
    }
    wrong = dataclasses.replace(terms[opened[0]], fee=1)
    asked = [(r, terms[r]) for r in opened] + [(opened[0], wrong), (unknown, terms[opened[1]])]
    assert verifier.are_committed(asked, block=block) == [True, True, True, False, False]
    assert [verifier.is_committed(r, t, block=block) for r, t in asked] == [
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.integration
def test_block_hashes_and_timestamps_read_together_match_single_reads(chain: Chain) -> None:
    head = chain.block_number()
    numbers = [0, head, head + 5]
    hashes = chain.block_hashes(numbers)
    assert hashes == {0: chain.block_hash(0), head: chain.block_hash(head), head + 5: None}
    stamps = chain.block_timestamps(numbers)
    assert stamps == {0: chain.block_timestamp(0), head: chain.block_timestamp(head)}


@pytest.mark.integration
def test_logs_a_node_sends_decode_as_web3_decodes_them() -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        chain = node.connect(poll_latency=0.01)
        verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
        _opened(verifier, 2)
        head = chain.block_number()
        assert chain.batches
        raw = verifier.events(0, head)
        # The same logs through web3's formatted `get_logs` and its contract event decoder.
        contract = chain.w3.eth.contract(address=verifier.address, abi=verifier.artifact.abi)
        logs = chain.w3.eth.get_logs({"address": verifier.address, "fromBlock": 0, "toBlock": head})
        by_web3 = []
        for log in logs:
            name = verifier._events.get(bytes(log["topics"][0]))
            if name is not None:
                decoded = contract.get_event_by_name(name)().process_log(log)
                by_web3.append(event_from_log(name, decoded))
        assert {"KeyRegistered", "VerificationRequested"} <= {type(e).__name__ for e in raw}
        assert raw == by_web3
        # web3's formatted logs (as receipts carry them) decode the same way too.
        assert [verifier._decode(log) for log in logs if verifier._decode(log)] == raw


@pytest.mark.integration
def test_a_batch_larger_than_one_request_is_split_and_an_error_answer_raises() -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        chain = node.connect(poll_latency=0.01)
        answers = chain.rpc_batch([("eth_blockNumber", [])] * (MAX_BATCH + 3))
        assert len(answers) == MAX_BATCH + 3
        with pytest.raises(NodeRequestError, match="eth_noSuchMethod"):
            chain.rpc_batch([("eth_blockNumber", []), ("eth_noSuchMethod", [])])


def test_the_embedded_chain_takes_no_batches(embedded_chain: Chain) -> None:
    assert not embedded_chain.batches
    with pytest.raises(ChainError, match="takes no JSON-RPC batches"):
        embedded_chain.rpc_batch([("eth_blockNumber", [])])
