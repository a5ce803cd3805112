"""Fees: EIP-1559 estimates from the node, legacy gasPrice on a chain without a base fee,
replacement bumps of at least 12.5% on each field, and the operator's cap. The node answers are
a fake node's (exact numbers) and a real Anvil's, both EIP-1559 and pre-London (Berlin)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from oracle.chain import Chain, ErrorDecoder, FeePolicy, Fees, LocalSigner, broadcast, sign
from oracle.chain.fees import (
    bump_fees,
    estimate_fees,
    fees_from_answers,
    minimum_bump,
    next_base_fee,
)
from oracle.chain.signer import unsigned_of
from oracle.chain.transactions import fees_of, sign_replacement
from oracle.config import Settings
from oracle.errors import ConfigError, FeeCapError, InputError
from tests.chains import anvil_unavailable, run_anvil

GWEI = 10**9
_TRANSFER = ErrorDecoder("transfer", [])
_KEY = "0x" + "4c" * 32


class FakeNode(BaseProvider):
    """Answers the fee methods with set numbers; `base_fee` None is a pre-London node."""

    def __init__(
        self,
        *,
        base_fee: int | None,
        history: list[int] | None = None,
        tip: int | None = 2 * GWEI,
        gas_price: int = 3 * GWEI,
    ) -> None:
        super().__init__()
        self.base_fee = base_fee
        #: baseFeePerGas of eth_feeHistory; None: the node lacks the method.
        self.history = history
        self.tip = tip
        self.gas_price = gas_price
        self.calls: list[str] = []

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.calls.append(method)
        if method == "eth_feeHistory" and self.history is not None:
            result: object = {
                "oldestBlock": "0x9",
                "baseFeePerGas": [hex(fee) for fee in self.history],
                "gasUsedRatio": [0.5],
                "reward": [],
            }
        elif method == "eth_getBlockByNumber":
            result = _block(self.base_fee)
        elif method == "eth_maxPriorityFeePerGas" and self.tip is not None:
            result = hex(self.tip)
        elif method == "eth_gasPrice":
            result = hex(self.gas_price)
        elif method == "eth_chainId":
            result = "0x7a69"
        else:
            return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "no method"}}
        return {"jsonrpc": "2.0", "id": 1, "result": result}


def _block(base_fee: int | None) -> dict[str, object]:
    block: dict[str, object] = {
        "number": "0xa",
        "hash": "0x" + "ab" * 32,
        "parentHash": "0x" + "cd" * 32,
        "timestamp": "0x6553f100",
        "gasLimit": "0x1c9c380",
        "gasUsed": "0x0",
        "transactions": [],
    }
    if base_fee is not None:
        block["baseFeePerGas"] = hex(base_fee)
    return block


def _chain(node: FakeNode, policy: FeePolicy | None = None) -> Chain:
    return Chain(
        w3=Web3(node),
        chain_id=31337,
        endpoint="http://127.0.0.1:1",
        account=LocalSigner.from_key(_KEY),
        fees=policy or FeePolicy(),
    )


def _signed(chain: Chain, fees: Fees, nonce: int = 4) -> bytes:
    tx: dict[str, Any] = {
        "chainId": chain.chain_id,
        "nonce": nonce,
        "gas": 60_000,
        "value": 0,
        "data": b"\x12\x34votes",
        "to": Account.create().address,
        **fees.fields(),
    }
    return bytes(Account.sign_transaction(tx, _KEY).raw_transaction)


# --- estimates ---------------------------------------------------------------------------------


def test_the_fee_cap_is_the_pending_base_fee_times_the_multiplier_plus_the_tip() -> None:
    node = FakeNode(base_fee=10 * GWEI, history=[10 * GWEI, 12 * GWEI])
    assert estimate_fees(_chain(node)) == Fees(
        max_fee_per_gas=2 * 12 * GWEI + 2 * GWEI, max_priority_fee_per_gas=2 * GWEI
    )
    # The pending block's base fee comes from the fee history: no block is read.
    assert "eth_getBlockByNumber" not in node.calls
    policy = FeePolicy(priority_fee_per_gas=GWEI // 10, base_fee_multiplier=1.25)
    assert estimate_fees(_chain(node, policy)) == Fees(
        max_fee_per_gas=15 * GWEI + GWEI // 10, max_priority_fee_per_gas=GWEI // 10
    )


def test_a_node_without_fee_history_or_tip_uses_the_latest_base_fee_and_a_default_tip() -> None:
    node = FakeNode(base_fee=7 * GWEI, history=None, tip=None)
    # web3 tries the fee history for a tip itself, and says so, before the default applies.
    with pytest.warns(UserWarning, match="eth_maxPriorityFeePerGas"):
        fees = estimate_fees(_chain(node))
    assert fees == Fees(max_fee_per_gas=14 * GWEI + GWEI, max_priority_fee_per_gas=GWEI)


def test_a_node_without_a_base_fee_gets_a_legacy_gas_price() -> None:
    # A pre-London node: zeros in the fee history (as geth answers), no base fee in blocks.
    node = FakeNode(base_fee=None, history=[0, 0], gas_price=3 * GWEI)
    chain = _chain(node)
    fees = estimate_fees(chain)
    assert fees == Fees(gas_price=3 * GWEI)
    assert fees.legacy
    assert fees.fields() == {"gasPrice": 3 * GWEI}
    assert str(fees) == f"gasPrice {3 * GWEI} wei"
    assert "eth_maxPriorityFeePerGas" not in node.calls


def test_a_new_transaction_is_priced_at_the_cap_at_most() -> None:
    node = FakeNode(base_fee=50 * GWEI, history=[50 * GWEI, 60 * GWEI])
    capped = estimate_fees(_chain(node, FeePolicy(max_fee_per_gas_cap=30 * GWEI)))
    assert capped == Fees(max_fee_per_gas=30 * GWEI, max_priority_fee_per_gas=2 * GWEI)
    tiny_cap = estimate_fees(_chain(node, FeePolicy(max_fee_per_gas_cap=GWEI)))
    assert tiny_cap == Fees(max_fee_per_gas=GWEI, max_priority_fee_per_gas=GWEI)
    legacy = FakeNode(base_fee=None, history=None, gas_price=9 * GWEI)
    assert estimate_fees(_chain(legacy, FeePolicy(max_fee_per_gas_cap=5 * GWEI))) == Fees(
        gas_price=5 * GWEI
    )


def test_the_policy_comes_from_the_settings_and_refuses_nonsense() -> None:
    settings = Settings(priority_fee_per_gas=5, base_fee_multiplier=1.5, max_fee_per_gas_cap=10**11)  # type: ignore[call-arg]
    assert FeePolicy.from_settings(settings) == FeePolicy(5, 1.5, 10**11)
    assert FeePolicy.from_settings(Settings()).max_fee_per_gas_cap == 1000 * GWEI  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="base_fee_multiplier"):
        FeePolicy(base_fee_multiplier=0.5)
    with pytest.raises(ConfigError, match="priority_fee_per_gas"):
        FeePolicy(priority_fee_per_gas=-1)
    with pytest.raises(ConfigError, match="max_fee_per_gas_cap"):
        FeePolicy(max_fee_per_gas_cap=0)


# --- bumps -------------------------------------------------------------------------------------


def test_the_least_bump_is_an_eighth_rounded_up_and_at_least_one_wei() -> None:
    assert minimum_bump(0) == 1
    assert minimum_bump(1) == 2
    assert minimum_bump(8) == 9
    assert minimum_bump(100) == 113
    assert minimum_bump(GWEI) == 1_125_000_000
    for value in (1, 7, 999, 10**18 + 3):
        # Nodes require 10% on each field; geth compares with integer arithmetic.
        assert minimum_bump(value) * 100 >= value * 110


def test_a_bump_raises_both_fields_by_at_least_an_eighth() -> None:
    # The market has not moved: the bump is the least one on each field.
    node = FakeNode(base_fee=GWEI, history=[GWEI, GWEI], tip=GWEI // 10)
    current = Fees(max_fee_per_gas=4 * GWEI, max_priority_fee_per_gas=GWEI)
    bumped = bump_fees(_chain(node), current)
    assert bumped == Fees(max_fee_per_gas=4_500_000_000, max_priority_fee_per_gas=1_125_000_000)


def test_a_bump_follows_the_market_when_it_moved_more_than_an_eighth() -> None:
    node = FakeNode(base_fee=20 * GWEI, history=[20 * GWEI, 22 * GWEI], tip=3 * GWEI)
    current = Fees(max_fee_per_gas=4 * GWEI, max_priority_fee_per_gas=GWEI)
    bumped = bump_fees(_chain(node), current)
    assert bumped == Fees(max_fee_per_gas=44 * GWEI + 3 * GWEI, max_priority_fee_per_gas=3 * GWEI)


def test_a_bump_stops_at_the_cap_and_is_refused_beyond_it() -> None:
    node = FakeNode(base_fee=20 * GWEI, history=[20 * GWEI, 22 * GWEI], tip=3 * GWEI)
    current = Fees(max_fee_per_gas=4 * GWEI, max_priority_fee_per_gas=GWEI)
    at_cap = bump_fees(_chain(node, FeePolicy(max_fee_per_gas_cap=5 * GWEI)), current)
    assert at_cap == Fees(max_fee_per_gas=5 * GWEI, max_priority_fee_per_gas=3 * GWEI)
    with pytest.raises(FeeCapError, match=r"at least 5625000000 wei .* cap max_fee_per_gas_cap"):
        bump_fees(_chain(node, FeePolicy(max_fee_per_gas_cap=5 * GWEI)), at_cap)
    # The tip's least bump counts as well: a tip already at the cap cannot be bumped within it.
    with pytest.raises(FeeCapError):
        bump_fees(
            _chain(node, FeePolicy(max_fee_per_gas_cap=5 * GWEI)),
            Fees(max_fee_per_gas=4 * GWEI, max_priority_fee_per_gas=5 * GWEI),
        )


def test_a_legacy_transaction_is_replaced_by_a_legacy_one_within_the_cap() -> None:
    node = FakeNode(base_fee=None, history=None, gas_price=GWEI)
    chain = _chain(node, FeePolicy(max_fee_per_gas_cap=3 * GWEI))
    raw = _signed(chain, Fees(gas_price=2 * GWEI))
    replacement = sign_replacement(chain, raw)
    assert fees_of(replacement.raw) == Fees(gas_price=2_250_000_000)
    assert replacement.raw[0] >= 0xC0  # an RLP list: a legacy (EIP-155) transaction
    before, after = unsigned_of(raw), unsigned_of(replacement.raw)
    assert {k: v for k, v in after.items() if k != "gasPrice"} == {
        k: v for k, v in before.items() if k != "gasPrice"
    }
    with pytest.raises(FeeCapError):
        sign_replacement(chain, _signed(chain, Fees(gas_price=2_700_000_000)))


def test_a_replacement_keeps_nonce_recipient_gas_and_calldata() -> None:
    node = FakeNode(base_fee=GWEI, history=[GWEI, GWEI], tip=GWEI)
    chain = _chain(node)
    raw = _signed(chain, Fees(max_fee_per_gas=3 * GWEI, max_priority_fee_per_gas=GWEI), nonce=9)
    replacement = sign_replacement(chain, raw)
    assert replacement.nonce == 9
    assert replacement.sender == chain.address
    assert replacement.raw[0] == 2  # EIP-1559
    before, after = unsigned_of(raw), unsigned_of(replacement.raw)
    fee_fields = ("maxFeePerGas", "maxPriorityFeePerGas")
    assert {k: v for k, v in after.items() if k not in fee_fields} == {
        k: v for k, v in before.items() if k not in fee_fields
    }
    assert fees_of(replacement.raw) == Fees(
        max_fee_per_gas=3_375_000_000, max_priority_fee_per_gas=1_125_000_000
    )


def test_only_this_accounts_transactions_on_this_chain_are_replaced() -> None:
    node = FakeNode(base_fee=GWEI, history=[GWEI, GWEI])
    chain = _chain(node)
    fees = Fees(max_fee_per_gas=3 * GWEI, max_priority_fee_per_gas=GWEI)
    other = Account.create()
    foreign = bytes(
        Account.sign_transaction(
            {
                "chainId": 31337,
                "nonce": 0,
                "gas": 21_000,
                "value": 0,
                "data": b"",
                "to": other.address,
                **fees.fields(),
            },
            other.key,
        ).raw_transaction
    )
    with pytest.raises(InputError, match=f"signed by {other.address}"):
        sign_replacement(chain, foreign)
    elsewhere = dataclasses.replace(chain, chain_id=1)
    with pytest.raises(InputError, match="for chain 31337, not 1"):
        sign_replacement(elsewhere, _signed(chain, fees))
    with pytest.raises(InputError, match="not a signed transaction"):
        sign_replacement(chain, b"\x02garbage")


# --- on real nodes -----------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("hardfork", ["berlin", None], ids=["legacy", "eip1559"])
def test_a_pending_transaction_is_replaced_on_anvil_and_only_the_replacement_is_mined(
    hardfork: str | None,
) -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil(hardfork=hardfork, no_mining=True) as node:
        chain = node.connect(poll_latency=0.02)
        first = sign(chain, to=Account.create().address, data=b"", value=1, decoder=_TRANSFER)
        broadcast(chain, first)
        assert fees_of(first.raw).legacy is (hardfork == "berlin")
        replacement = sign_replacement(chain, first.raw)
        assert broadcast(chain, replacement) == replacement.tx_hash
        chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        mined = [bytes(h) for h in chain.w3.eth.get_block("latest")["transactions"]]
        assert mined == [replacement.tx_hash]
        assert chain.transaction_count(chain.address) == 1


@pytest.mark.integration
@pytest.mark.parametrize("tip", [None, 3 * GWEI], ids=["node-tip", "operator-tip"])
def test_on_a_node_the_base_fee_and_the_tip_are_read_in_one_request(
    tip: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        chain = dataclasses.replace(node.connect(), fees=FeePolicy(priority_fee_per_gas=tip))
        asked: list[list[str]] = []
        real = Chain.rpc_answers

        def spied(self: Chain, calls: Any) -> list[Any]:
            asked.append([method for method, _ in calls])
            return real(self, calls)

        monkeypatch.setattr(Chain, "rpc_answers", spied)
        fees = estimate_fees(chain)
        monkeypatch.undo()
        wanted = (
            ["eth_feeHistory"]
            if tip is not None
            else ["eth_feeHistory", "eth_maxPriorityFeePerGas"]
        )
        assert asked == [wanted]
        # The same figures as the calls one by one.
        base_fee = next_base_fee(chain)
        assert base_fee is not None
        offered = tip if tip is not None else int(chain.w3.eth.max_priority_fee)
        assert fees == Fees(
            max_fee_per_gas=2 * base_fee + offered, max_priority_fee_per_gas=offered
        )


def test_a_node_whose_batched_fee_answer_is_unusable_is_asked_one_call_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node = FakeNode(base_fee=None, history=[10 * GWEI, 12 * GWEI])
    chain = _chain(node)
    monkeypatch.setattr(Chain, "batches", property(lambda self: True))
    monkeypatch.setattr(
        Chain,
        "rpc_answers",
        lambda self, calls: [{"result": {"baseFeePerGas": []}}, {"result": "0x1"}],
    )
    assert estimate_fees(chain) == Fees(
        max_fee_per_gas=2 * 12 * GWEI + 2 * GWEI, max_priority_fee_per_gas=2 * GWEI
    )
    assert node.calls.count("eth_feeHistory") == 1
    assert node.calls.count("eth_maxPriorityFeePerGas") == 1


def test_fees_read_in_another_batch_price_as_the_estimate_and_unusable_answers_fall_back() -> None:
    chain = _chain(FakeNode(base_fee=None), FeePolicy(max_fee_per_gas_cap=30 * GWEI))
    history = {"result": {"baseFeePerGas": [hex(9 * GWEI), hex(10 * GWEI)]}}
    tip = {"result": hex(2 * GWEI)}
    assert fees_from_answers(chain, [history, tip]) == Fees(
        max_fee_per_gas=22 * GWEI, max_priority_fee_per_gas=2 * GWEI
    )
    dear = {"result": {"baseFeePerGas": [hex(20 * GWEI)]}}
    assert fees_from_answers(chain, [dear, tip]) == Fees(
        max_fee_per_gas=30 * GWEI, max_priority_fee_per_gas=2 * GWEI
    )
    refused = {"error": {"code": -32601, "message": "method not found"}}
    zero = {"result": {"baseFeePerGas": ["0x0"]}}
    for answers in ([refused, tip], [history, refused], [zero, tip], [history]):
        assert fees_from_answers(chain, answers) is None
