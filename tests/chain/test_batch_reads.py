"""Reads batched into one JSON-RPC request answer exactly what one call per read answers, on a
node (Anvil) and on the embedded chain (which takes no batches and reads one by one)."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from hexbytes import HexBytes

from oracle.chain import (
    Chain,
    VerificationRequested,
    Verifier,
    connect,
    deploy_verifier,
    fund,
)
from oracle.chain.abi import decode as abi_words
from oracle.chain.connection import MAX_BATCH
from oracle.chain.events import event_from_log
from oracle.chain.fees import Fees, estimate_fees
from oracle.chain.signer import unsigned_of
from oracle.chain.transactions import dry_run, lookup_receipt, sign, wait
from oracle.chain.verifier import (
    STATUS_BATCH,
    VOTE_BATCH_GAS,
    VOTE_GAS,
    vote_batches,
)
from oracle.domain import RequestTerms, Status, Vote
from oracle.errors import (
    ChainError,
    ContractRevertError,
    InputError,
    NodeRequestError,
    TransactionRejectedError,
)
from oracle.types import Commitment, RequestId
from tests.chains import LocalNode


@pytest.fixture(params=["anvil", "embedded"])
def chain(request: pytest.FixtureRequest, embedded_chain: Chain) -> Iterator[Chain]:
    if request.param == "embedded":
        yield embedded_chain
        return
    node: LocalNode = request.getfixturevalue("anvil")
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
        for e in verifier.events_of(VerificationRequested, 0, block)
    }
    wrong = dataclasses.replace(terms[opened[0]], fee=1)
    asked = [(r, terms[r]) for r in opened] + [(opened[0], wrong), (unknown, terms[opened[1]])]
    assert verifier.are_committed(asked, block=block) == [True, True, True, False, False]
    assert verifier.states_of(asked, block=block) == [
        (verifier.status_of(r, block=block), verifier.is_committed(r, t, block=block))
        for r, t in asked
    ]
    assert verifier.states_of([]) == []
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
    assert chain.head() == (head, chain.block_hash(head))
    stamps = chain.block_timestamps(numbers)
    assert stamps == {0: chain.block_timestamp(0), head: chain.block_timestamp(head)}
    # The tip with another block, in one batch.
    tip = chain.latest()
    assert (tip.number, tip.hash) == (head, chain.block_hash(head))
    assert chain.latest_and_hash(0) == (tip, chain.block_hash(0))
    assert chain.latest_and_hash(head + 5) == (tip, None)


@pytest.mark.integration
def test_logs_a_node_sends_decode_as_web3_decodes_them(anvil: LocalNode) -> None:
    chain = anvil.connect(poll_latency=0.01)
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
    # Anvil's logs carry their block's timestamp; a malformed one is left out, not refused.
    stamps = chain.block_timestamps({e.block_number for e in raw})
    assert [e.block_timestamp for e in raw] == [stamps[e.block_number] for e in raw]
    answer = chain.rpc_batch([("eth_getLogs", [{"address": verifier.address, "fromBlock": "0x0"}])])
    first = next(log for log in answer[0] if verifier._decode(log) is not None)
    malformed = verifier._decode({**first, "blockTimestamp": "0xnot-hex"})
    assert malformed == verifier._decode(first)
    assert malformed is not None
    assert malformed.block_timestamp is None


@pytest.mark.integration
def test_a_batch_larger_than_one_request_is_split_and_an_error_answer_raises(
    anvil: LocalNode,
) -> None:
    chain = anvil.connect(poll_latency=0.01)
    answers = chain.rpc_batch([("eth_blockNumber", [])] * (MAX_BATCH + 3))
    assert len(answers) == MAX_BATCH + 3
    with pytest.raises(NodeRequestError, match="eth_noSuchMethod"):
        chain.rpc_batch([("eth_blockNumber", []), ("eth_noSuchMethod", [])])


def test_the_embedded_chain_takes_no_batches(embedded_chain: Chain) -> None:
    assert not embedded_chain.batches
    with pytest.raises(ChainError, match="takes no JSON-RPC batches"):
        embedded_chain.rpc_batch([("eth_blockNumber", [])])


@pytest.mark.integration
def test_a_receipt_read_raw_from_a_node_matches_web3s_and_decodes_the_same_events(
    anvil: LocalNode,
) -> None:
    chain = anvil.connect(poll_latency=0.01)
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    key = verifier.register_key(1, os.urandom(1312))
    _, sent = verifier.request_verification_tx(key, b"m", b"", os.urandom(2420))
    raw = lookup_receipt(chain, sent.tx_hash)
    assert raw is not None
    assert isinstance(raw.logs[0]["data"], str)
    formatted = chain.w3.eth.get_transaction_receipt(HexBytes(sent.tx_hash))
    assert (raw.block_number, raw.block_hash, raw.gas_used, raw.succeeded) == (
        formatted["blockNumber"],
        bytes(formatted["blockHash"]),
        formatted["gasUsed"],
        True,
    )
    assert verifier.events_in(raw) == verifier.events_in(sent)
    assert lookup_receipt(chain, b"\x05" * 32) is None


@pytest.mark.parametrize(
    ("types", "values"),
    [
        (["uint8", "uint8", "uint8", "uint40"], (3, 255, 0, 2**40 - 1)),
        (["bool"], (True,)),
        (["bool", "uint256"], (False, 2**256 - 1)),
        (["bytes32"], (b"\x01" * 32,)),
        (["uint8", "bytes"], (7, b"abc")),
        (["bytes32", "address", "uint96"], (b"\x02" * 32, "0x" + "ab" * 20, 2**96 - 1)),
    ],
)
def test_words_decode_as_eth_abi_decodes_them(types: list[str], values: tuple[object, ...]) -> None:
    data = abi_encode(types, values)
    assert abi_words(types, data) == abi_decode(types, data) == values


def test_a_word_out_of_its_types_range_is_refused_as_eth_abi_refuses_it() -> None:
    for types, word in ((["uint8"], 256), (["bool"], 2), (["address"], 2**160)):
        with pytest.raises(DecodingError):
            abi_words(types, word.to_bytes(32, "big"))
    with pytest.raises(DecodingError):
        abi_words(["uint8", "uint8"], bytes(32))


def _ballot(n: int, callback_gas: int = 0) -> Vote:
    terms = RequestTerms(Commitment(bytes(32)), "0x" + "11" * 20, 0, callback_gas)
    return Vote(RequestId(n.to_bytes(32, "big")), True, terms)


def test_vote_batches_cut_by_count_and_by_planned_callback_gas() -> None:
    plain = [_ballot(n) for n in range(7)]
    assert [len(b) for b in vote_batches(plain, 3)] == [3, 3, 1]
    assert [v for b in vote_batches(plain, 3) for v in b] == plain
    # Each callback plans 64/63 of its limit: five of 3.5M gas cannot share 15M.
    heavy = [_ballot(n, 3_500_000) for n in range(5)]
    batches = vote_batches(heavy, 200)
    assert [len(b) for b in batches] == [4, 1]
    for batch in batches:
        planned = sum(VOTE_GAS + b.terms.callback_gas_limit * 64 // 63 for b in batch)
        assert planned <= VOTE_BATCH_GAS
    # A ballot over the budget alone still goes, alone.
    assert [len(b) for b in vote_batches([_ballot(1), _ballot(2, 20_000_000)], 200)] == [1, 1]
    assert vote_batches([], 5) == []
    with pytest.raises(InputError, match="positive integer"):
        vote_batches(plain, 0)


@pytest.mark.integration
def test_single_reads_answer_alike_on_a_node_and_on_the_embedded_chain(chain: Chain) -> None:
    fund(chain, "0x" + "22" * 20, 1)
    head = chain.block_number()
    assert chain.head()[0] == head
    assert chain.block_hash(head) == chain.block_hashes([head])[head]
    assert chain.block_hash(head + 10) is None
    assert chain.block_timestamp(head) == chain.block_timestamp("latest") > 0
    assert chain.transaction_count(chain.address, "latest") == chain.transaction_count(
        chain.address, head
    )
    assert chain.transaction_count(chain.address, "pending") >= 1


class _ForwardingNode(ThreadingHTTPServer):
    """A node on 127.0.0.1 that hands each JSON-RPC request body to `reply` (which forwards it
    to `upstream`, as is or changed); served while used as a context manager."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server = cast("_ForwardingNode", self.server)
                reply = server.reply(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: object) -> None:
                return

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reply(self, body: bytes) -> bytes:
        """The answer to one request body: the upstream's."""
        forwarded = urllib.request.Request(
            self.upstream, body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(forwarded, timeout=10) as answer:
            return bytes(answer.read())

    def __enter__(self) -> _ForwardingNode:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.shutdown()
        self.server_close()


class _NoBatches(_ForwardingNode):
    """A node that answers single JSON-RPC calls (forwarded to `upstream`) and refuses every
    batch with one error answer, as some hosted providers do."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.batches = 0

    def reply(self, body: bytes) -> bytes:
        if json.loads(body).__class__ is not list:
            return super().reply(body)
        self.batches += 1
        return json.dumps(
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no"}}
        ).encode()


@pytest.mark.integration
def test_a_node_that_refuses_batches_is_asked_one_call_at_a_time(anvil: LocalNode) -> None:
    with _NoBatches(anvil.rpc_url) as server:
        direct = anvil.connect(poll_latency=0.01)
        verifier = deploy_verifier(direct, oracles=[direct.address], threshold=1)
        opened = _opened(verifier, 2)
        chain = connect(server.url)
        through = Verifier(chain, verifier.address)
        assert chain.block_hashes([0, 1]) == {0: direct.block_hash(0), 1: direct.block_hash(1)}
        assert server.batches == 1
        # Asked once: every later read goes call by call.
        assert chain.block_timestamps([0, 1]) == direct.block_timestamps([0, 1])
        assert through.statuses_of(opened) == [verifier.status_of(r) for r in opened]
        assert server.batches == 1


class _BeforeStatusesOf(_ForwardingNode):
    """A node in front of a verifier deployed before `statusesOf`: every call of it reaches the
    real contract under a selector no function has, so the EVM answers as that deployment would
    (a revert without data). Everything else is forwarded unchanged."""

    def __init__(self, upstream: str, selector: bytes) -> None:
        super().__init__(upstream)
        self.selector = "0x" + selector.hex()
        self.rewritten = 0

    def reply(self, body: bytes) -> bytes:
        calls = json.loads(body)
        for call in calls if isinstance(calls, list) else [calls]:
            if call.get("method") != "eth_call":
                continue
            data = call["params"][0].get("data") or call["params"][0].get("input", "")
            if data.startswith(self.selector):
                call["params"][0]["data"] = "0xdeadbeef" + data[10:]
                call["params"][0].pop("input", None)
                self.rewritten += 1
        return super().reply(json.dumps(calls).encode())


@pytest.mark.integration
def test_a_verifier_deployed_before_statuses_of_is_read_one_request_at_a_time(
    anvil: LocalNode,
) -> None:
    direct = anvil.connect(poll_latency=0.01)
    verifier = deploy_verifier(direct, oracles=[direct.address], threshold=1)
    opened = _opened(verifier, 3)
    terms = {
        e.request_id: e.to_request().terms
        for e in verifier.events_of(VerificationRequested, 0, direct.block_number())
    }
    asked = [(r, terms[r]) for r in opened] + [(opened[0], terms[opened[1]])]
    expected = verifier.states_of(asked)
    assert expected == [(verifier.status_of(r), verifier.is_committed(r, t)) for r, t in asked]
    with _BeforeStatusesOf(anvil.rpc_url, verifier._view("statusesOf").selector) as server:
        old = Verifier(connect(server.url), verifier.address)
        assert old.states_of(asked) == expected
        assert server.rewritten == 1
        # Found out once: later reads go straight to `statusOf` and `isCommitted`.
        assert old.statuses_of(opened) == [status for status, _ in expected[:3]]
        assert old.are_committed(asked) == [True, True, True, False]
        assert server.rewritten == 1


@pytest.mark.integration
def test_statuses_of_is_asked_in_chunks_of_its_bound(chain: Chain) -> None:
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    opened = _opened(verifier, 2)
    ids = [*opened, *(os.urandom(32) for _ in range(STATUS_BATCH))]
    statuses = verifier.statuses_of(ids)
    assert len(statuses) == STATUS_BATCH + 2
    assert statuses[:2] == [verifier.status_of(r) for r in opened]
    assert {s.status for s in statuses[2:]} == {Status.NONE}


@pytest.mark.integration
def test_receipts_read_together_match_single_reads(chain: Chain) -> None:
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    key = verifier.register_key(1, os.urandom(1312))
    sent = [
        verifier.request_verification_tx(key, b"m%d" % n, b"", os.urandom(2420))[1]
        for n in range(3)
    ]
    unknown = b"\x07" * 32
    hashes = [s.tx_hash for s in sent] + [unknown]
    receipts = verifier.lookup_receipts(hashes)
    assert receipts == {h: verifier.lookup_receipt(h) for h in hashes}
    assert receipts[unknown] is None
    assert [getattr(receipts[s.tx_hash], "block_number", None) for s in sent] == [
        s.block_number for s in sent
    ]
    assert verifier.lookup_receipts([]) == {}


@pytest.mark.integration
def test_signing_asks_the_node_everything_in_one_batch_and_signs_what_single_calls_give(
    anvil: LocalNode,
) -> None:
    chain = anvil.connect(poll_latency=0.01)
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    data = verifier.encode("registerKey", 1, os.urandom(1312))
    batches: list[list[str]] = []
    real = Chain.rpc_answers

    def spied(self: Chain, calls: Any) -> list[Any]:
        batches.append([method for method, _ in calls])
        return real(self, calls)

    chain.nonces.reset()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Chain, "rpc_answers", spied)
        signed = sign(chain, to=verifier.address, data=data, decoder=verifier.errors)
    assert batches == [
        [
            "eth_call",
            "eth_estimateGas",
            "eth_getBlockByNumber",
            "eth_feeHistory",
            "eth_maxPriorityFeePerGas",
            "eth_getTransactionCount",
        ]
    ]
    # The same gas, fees and nonce as the calls one at a time.
    offered = unsigned_of(signed.raw, sender=chain.address)
    assert offered["gas"] == dry_run(chain, to=verifier.address, data=data, decoder=verifier.errors)
    assert Fees.of(offered) == estimate_fees(chain)
    assert offered["nonce"] == chain.transaction_count(chain.address, "pending")
    # Synchronised now: the next signature counts on and does not ask for the nonce.
    batches.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Chain, "rpc_answers", spied)
        following = sign(chain, to=verifier.address, data=data, decoder=verifier.errors, gas=90_000)
    assert batches == [["eth_feeHistory", "eth_maxPriorityFeePerGas"]]
    assert following.nonce == signed.nonce + 1
    verifier.broadcast(signed)
    receipt = wait(chain, signed.tx_hash, decoder=verifier.errors)
    assert receipt.gas_used > 0


@pytest.mark.integration
def test_a_batched_dry_run_refuses_as_the_single_calls_refuse(chain: Chain) -> None:
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    reverting = verifier.encode("registerKey", 1, os.urandom(5))
    with pytest.raises(ContractRevertError) as single:
        dry_run(chain, to=verifier.address, data=reverting, decoder=verifier.errors)
    with pytest.raises(ContractRevertError) as batched:
        sign(chain, to=verifier.address, data=reverting, decoder=verifier.errors)
    assert batched.value.error_name == single.value.error_name == "SanitizerInvalidPublicKeyLength"
    assert batched.value.args == single.value.args
    # More than the account holds: the node's refusal, not a revert.
    with pytest.raises(TransactionRejectedError, match=r"(?i)insufficient funds|enough balance"):
        sign(chain, to=verifier.address, data=b"", value=10**30, decoder=verifier.errors)
    # Nothing was signed, so no nonce was used up.
    assert chain.transaction_count(chain.address, "pending") == chain.transaction_count(
        chain.address
    )


@pytest.mark.integration
def test_a_view_that_reverts_raises_the_same_decoded_error_on_a_node_and_embedded(
    chain: Chain,
) -> None:
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    too_many = [bytes([n % 256]) * 32 for n in range(257)]
    with pytest.raises(ContractRevertError) as refused:
        verifier._call("statusesOf", too_many, [])
    assert refused.value.error_name == "VerifierStatusBatchTooLarge"
    assert list(refused.value.error_args.values()) == [257, 256]


@pytest.mark.integration
def test_a_view_read_at_a_block_the_node_lacks_is_the_nodes_error(anvil: LocalNode) -> None:
    chain = anvil.connect(poll_latency=0.01)
    verifier = deploy_verifier(chain, oracles=[chain.address], threshold=1)
    with pytest.raises(NodeRequestError, match="eth_call"):
        verifier.status_of(b"\x01" * 32, block=chain.block_number() + 1000)
