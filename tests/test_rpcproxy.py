"""The lying node (tests/rpcproxy.py) in front of a real Anvil: each rule, read back through
`oracle.chain`, lies exactly as intended and nothing more."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import decode
from eth_hash.auto import keccak

from oracle.chain import (
    KeyRegistered,
    Status,
    VerificationFinalized,
    VerificationRequested,
    Verifier,
    commitment,
    connect,
    mine_blocks,
)
from oracle.chain.events import OracleSetChanged
from oracle.crypto import SigningKey
from oracle.domain import Vote
from oracle.errors import ChainConnectionError, NodeRequestError
from tests.chains import LocalNode
from tests.daemon.conftest import Scenario, scenario_on
from tests.rpcproxy import RpcProxy

integration = pytest.mark.integration

TOPIC = {
    "KeyRegistered": "0x" + keccak(b"KeyRegistered(bytes32,uint8,address,bytes)").hex(),
    "VerificationRequested": "0x"
    + keccak(
        b"VerificationRequested(bytes32,bytes32,address,bytes32,uint96,uint32,uint40,uint256,"
        b"bytes,bytes,bytes)"
    ).hex(),
    "VerificationFinalized": "0x"
    + keccak(b"VerificationFinalized(bytes32,bool,bytes32,uint8,uint8)").hex(),
}
#: ABI types of `VerificationRequested`'s data: commitment, fee, callbackGasLimit, deadline,
#: nonce, message, context, signature.
REQUESTED_DATA = ["bytes32", "uint96", "uint32", "uint40", "uint256", "bytes", "bytes", "bytes"]


@dataclass
class Lying:
    """A verifier on Anvil, seen directly (`scenario`) and through the proxy (`through`)."""

    node: LocalNode
    proxy: RpcProxy
    scenario: Scenario

    def through(self, who: Verifier, **options: Any) -> Verifier:
        """`who`'s verifier, signing as `who`, over a connection to the proxy."""
        options.setdefault("poll_latency", 0.01)
        chain = connect(self.proxy.url, **options).with_account(who.chain.signer)
        return who.using(chain)

    def head(self) -> int:
        return self.scenario.chain.block_number()


@pytest.fixture
def lying(anvil: LocalNode, tmp_path: Path) -> Iterator[Lying]:
    scenario = scenario_on(anvil.connect(), tmp_path)
    with RpcProxy(anvil.rpc_url) as proxy:
        yield Lying(anvil, proxy, scenario)


def _post(url: str, body: object) -> tuple[int, Any, dict[str, str]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), dict(err.headers)


# --- faithful forwarding -----------------------------------------------------------------------


@integration
def test_a_proxy_without_rules_answers_as_the_node_and_counts_each_method(lying: Lying) -> None:
    request_id = lying.scenario.open()
    reader = lying.through(lying.scenario.admin)
    head = lying.head()

    assert reader.events(0, head) == lying.scenario.admin.events(0, head)
    assert reader.status_of(request_id).status is Status.PENDING
    assert lying.proxy.calls["eth_getLogs"] == 1
    assert lying.proxy.calls["eth_call"] >= 1
    assert lying.proxy.url.startswith("http://127.0.0.1:")


@integration
def test_a_stopped_proxy_refuses_connections(anvil: LocalNode) -> None:
    with RpcProxy(anvil.rpc_url) as proxy:
        url = proxy.url
    with pytest.raises(ChainConnectionError):
        connect(url, request_timeout=1)


def test_the_proxy_forwards_only_to_this_machine() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        RpcProxy("http://example.com:8545")


def test_rules_are_checked_when_given() -> None:
    proxy = RpcProxy("http://127.0.0.1:1")
    with pytest.raises(ValueError, match="unknown failure kind"):
        proxy.fail("eth_getLogs", times=1, kind="teapot")
    with pytest.raises(ValueError, match="delay"):
        proxy.fail("eth_getLogs", times=1, kind="timeout")
    with pytest.raises(ValueError, match="times"):
        proxy.fail("eth_getLogs", times=0, kind="server")
    with pytest.raises(ValueError, match="32 bytes"):
        proxy.swap_key(b"short", b"key")
    with pytest.raises(ValueError, match="32 bytes"):
        proxy.invent_finalized(b"\x01", True, 5)
    with pytest.raises(ValueError, match="32 bytes"):
        proxy.alter_request(b"\x01" * 31, b"message")
    with pytest.raises(RuntimeError, match="not running"):
        _ = proxy.url


# --- rewritten logs ----------------------------------------------------------------------------


@integration
def test_swap_key_rewrites_key_registered_in_get_logs_and_in_receipts(lying: Lying) -> None:
    key, other = SigningKey.generate("ML-DSA-44"), SigningKey.generate("ML-DSA-44")
    lying.proxy.swap_key(key.key_id, other.public_key)
    dapp = lying.through(lying.scenario.dapp)

    _, sent, from_receipt = dapp.register_key_tx(key.algorithm.id, key.public_key)
    assert from_receipt is not None
    [from_logs] = dapp.events_of(KeyRegistered, sent.block_number, sent.block_number)
    [truth] = lying.scenario.admin.events_of(KeyRegistered, sent.block_number, sent.block_number)

    assert from_receipt.key_id == from_logs.key_id == truth.key_id == key.key_id
    assert from_receipt.public_key == from_logs.public_key == other.public_key
    assert truth.public_key == key.public_key
    assert lying.proxy.calls["eth_getTransactionReceipt"] >= 1


@integration
def test_swap_key_leaves_other_keys_alone(lying: Lying) -> None:
    _, key_id = lying.scenario.key("ML-DSA-65")
    lying.proxy.swap_key(b"\x01" * 32, b"not this one")
    head = lying.head()

    seen = lying.through(lying.scenario.admin).events_of(KeyRegistered, 0, head)

    assert seen == lying.scenario.admin.events_of(KeyRegistered, 0, head)
    assert [e.key_id for e in seen] == [key_id]


@integration
def test_alter_request_changes_only_that_requests_message(lying: Lying) -> None:
    altered, untouched = lying.scenario.open(), lying.scenario.open()
    lying.proxy.alter_request(altered, b"pay 900")
    head = lying.head()

    seen = {
        e.request_id: e
        for e in lying.through(lying.scenario.admin).events(0, head)
        if isinstance(e, VerificationRequested)
    }
    truth = {
        e.request_id: e for e in lying.scenario.admin.events_of(VerificationRequested, 0, head)
    }

    lie = seen[altered]
    assert lie.message == b"pay 900"
    assert lie.commitment == truth[altered].commitment
    assert commitment(lie.key_id, lie.message, lie.context, lie.signature) != lie.commitment
    # Every other field of the new layout survives the re-encoding.
    assert lie == dataclasses.replace(truth[altered], message=b"pay 900")
    assert seen[untouched] == truth[untouched]


@integration
def test_invent_finalized_adds_a_well_formed_log_where_the_filter_covers_it(lying: Lying) -> None:
    request_id = lying.scenario.open()
    head = lying.head()
    lying.proxy.invent_finalized(request_id, True, head)
    reader = lying.through(lying.scenario.admin)

    [fake] = reader.events_of(VerificationFinalized, 0, head)
    [requested] = reader.events_of(VerificationRequested, head, head)
    # The lie is as convincing as a log can be: the request's own commitment, a quorum of one.
    assert (fake.request_id, fake.valid, fake.commitment) == (
        request_id,
        True,
        requested.commitment,
    )
    assert (fake.valid_votes, fake.invalid_votes) == (1, 0)
    assert fake.block_number == head
    assert fake.log_index > requested.log_index
    assert fake.tx_hash != requested.tx_hash
    assert reader.events(0, head)[-1] == fake
    assert reader.events_of(VerificationFinalized, head, head) == [fake]  # the same hashes again
    assert isinstance(reader.events(0, head)[-1], VerificationFinalized)

    assert reader.events_of(VerificationFinalized, 0, head - 1) == []
    key_logs = reader.chain.w3.eth.get_logs(
        {
            "address": reader.address,
            "fromBlock": 0,
            "toBlock": head,
            "topics": [TOPIC["KeyRegistered"]],
        }
    )
    assert [bytes(log["topics"][0]).hex() for log in key_logs] == [TOPIC["KeyRegistered"][2:]]
    assert lying.scenario.admin.events_of(VerificationFinalized, 0, head) == []
    assert reader.status_of(request_id).status is Status.PENDING


@integration
def test_an_invented_invalid_verdict_counts_one_vote_against(lying: Lying) -> None:
    request_id = lying.scenario.open()
    head = lying.head()
    lying.proxy.invent_finalized(request_id, False, head)

    [fake] = lying.through(lying.scenario.admin).events_of(VerificationFinalized, 0, head)
    assert (fake.request_id, fake.valid, fake.valid_votes, fake.invalid_votes) == (
        request_id,
        False,
        0,
        1,
    )


@integration
def test_drop_logs_removes_matching_logs_until_the_rules_are_reset(lying: Lying) -> None:
    lying.scenario.open()
    lying.proxy.drop_logs(lambda log: log["topics"][0] == TOPIC["VerificationRequested"])
    reader = lying.through(lying.scenario.admin)
    head = lying.head()

    assert reader.events_of(VerificationRequested, 0, head) == []
    # The deployment's oracle set and the key stay; only the request is gone.
    assert [type(e) for e in reader.events(0, head)] == [OracleSetChanged, KeyRegistered]

    lying.proxy.reset_rules()
    assert len(reader.events_of(VerificationRequested, 0, head)) == 1


# --- dropped transactions ----------------------------------------------------------------------


@integration
def test_a_dropped_transaction_gets_its_hash_but_is_never_mined(lying: Lying) -> None:
    request_id = lying.scenario.open()
    oracle = lying.through(lying.scenario.oracle)
    signed = oracle.sign_vote_batch([Vote(request_id, True, lying.scenario.terms(request_id))])
    lying.proxy.drop_transactions(1)

    assert oracle.broadcast(signed) == signed.tx_hash == keccak(signed.raw)
    mine_blocks(lying.scenario.chain, 3)
    assert lying.node.rpc("eth_getTransactionByHash", ["0x" + signed.tx_hash.hex()]) is None
    assert lying.scenario.admin.lookup_receipt(signed.tx_hash) is None
    assert lying.scenario.status(request_id) is Status.PENDING

    assert oracle.broadcast(signed) == signed.tx_hash  # the same bytes, forwarded this time
    lying.scenario.admin.wait(signed.tx_hash)
    assert lying.scenario.status(request_id) is Status.VALID
    assert lying.proxy.raw_sends == [signed.tx_hash, signed.tx_hash]
    assert lying.proxy.calls["eth_sendRawTransaction"] == 2


# --- failures ----------------------------------------------------------------------------------


@integration
def test_http_429_surfaces_as_a_connection_error_naming_it(lying: Lying) -> None:
    reader = lying.through(lying.scenario.admin)
    head = lying.head()
    lying.proxy.fail("eth_getLogs", times=2, kind="429")

    # web3 retries a failed eth_getLogs once (oracle.chain.connection): both attempts fail.
    with pytest.raises(ChainConnectionError, match="HTTP 429"):
        reader.events(0, head)
    assert lying.proxy.calls["eth_getLogs"] == 2
    assert reader.events(0, head) == lying.scenario.admin.events(0, head)


@integration
def test_one_429_is_absorbed_by_the_clients_retry(lying: Lying) -> None:
    reader = lying.through(lying.scenario.admin)
    head = lying.head()
    lying.proxy.fail("eth_getLogs", times=1, kind="429")

    assert reader.events(0, head) == lying.scenario.admin.events(0, head)
    assert lying.proxy.calls["eth_getLogs"] == 2


@integration
def test_429_carries_retry_after_and_503_is_a_connection_error(lying: Lying) -> None:
    lying.proxy.fail("eth_chainId", times=1, kind="429")
    status, _, headers = _post(
        lying.proxy.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    )
    assert status == 429
    assert headers["Retry-After"] == "1"

    reader = lying.through(lying.scenario.admin)
    lying.proxy.fail("eth_blockNumber", times=2, kind="503")
    with pytest.raises(ChainConnectionError, match="HTTP 503"):
        reader.chain.block_number()


@integration
def test_cap_answers_a_json_rpc_error_only_for_ranges_over_max_range(lying: Lying) -> None:
    mine_blocks(lying.scenario.chain, 20)
    reader = lying.through(lying.scenario.admin)
    head = lying.head()
    lying.proxy.fail("eth_getLogs", times=1, kind="cap", max_range=10)

    assert reader.events(head - 9, head) == []  # 10 blocks: within the cap, rule still armed
    with pytest.raises(NodeRequestError, match="more than 10000 results") as caught:
        reader.events(0, head)
    assert (caught.value.code, caught.value.result_cap) == (-32005, True)
    assert reader.events(0, head) == lying.scenario.admin.events(0, head)


@integration
def test_server_answers_internal_error_the_given_number_of_times(lying: Lying) -> None:
    reader = lying.through(lying.scenario.admin)
    lying.proxy.fail("eth_blockNumber", times=2, kind="server")

    for _ in range(2):
        with pytest.raises(NodeRequestError, match="internal error"):
            reader.chain.block_number()
    assert reader.chain.block_number() == lying.head()


@integration
def test_timeout_outlasts_the_clients_patience_then_answers(lying: Lying) -> None:
    reader = lying.through(lying.scenario.admin, request_timeout=0.3)
    lying.proxy.fail("eth_blockNumber", times=2, kind="timeout", delay=1.0)

    started = time.monotonic()
    with pytest.raises(ChainConnectionError, match="no answer in time"):
        reader.chain.block_number()
    assert time.monotonic() - started < 5
    assert reader.chain.block_number() == lying.head()


# --- batches -----------------------------------------------------------------------------------


@integration
def test_a_batch_is_answered_as_a_batch_with_each_rule_applied(lying: Lying) -> None:
    key, key_id = lying.scenario.key("ML-DSA-44")
    lying.proxy.swap_key(key_id, b"\xaa" * 1312)
    lying.proxy.fail("eth_chainId", times=1, kind="server")
    logs_filter = {
        "address": lying.scenario.admin.address,
        "fromBlock": "0x0",
        "toBlock": "latest",
        "topics": [TOPIC["KeyRegistered"]],
    }
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_getLogs", "params": [logs_filter]},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_blockNumber", "params": []},
    ]

    status, answers, _ = _post(lying.proxy.url, batch)

    assert status == 200
    by_id = {answer["id"]: answer for answer in answers}
    assert sorted(by_id) == [1, 2, 3]
    assert by_id[1]["error"] == {"code": -32603, "message": "internal error"}
    [log] = by_id[2]["result"]
    assert decode(["bytes"], bytes.fromhex(log["data"][2:])) == (b"\xaa" * 1312,)
    assert int(by_id[3]["result"], 16) == lying.head()
    assert key.key_id == key_id

    lying.proxy.fail("eth_blockNumber", times=1, kind="429")
    status, _, _ = _post(lying.proxy.url, batch)
    assert status == 429  # one rate-limited call fails the whole batch


@integration
def test_web3_batch_requests_pass_through_the_rules(lying: Lying) -> None:
    request_id = lying.scenario.open()
    lying.proxy.alter_request(request_id, b"batched lie")
    reader = lying.through(lying.scenario.admin)
    head = lying.head()
    w3 = reader.chain.w3
    log_filter: Any = {
        "address": reader.address,
        "fromBlock": 0,
        "toBlock": head,
        "topics": [TOPIC["VerificationRequested"]],
    }

    with w3.batch_requests() as batch:
        batch.add(w3.eth.get_block_number())
        batch.add(w3.eth.get_logs(log_filter))
        number, logs = batch.execute()

    assert number == head
    [log] = logs
    message = decode(REQUESTED_DATA, bytes(log["data"]))[5]
    assert message == b"batched lie"
