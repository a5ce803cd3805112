"""What a transaction pays for gas: EIP-1559 fee estimation, replacement bumps, the operator's cap.

A new transaction offers `maxFeePerGas` = the pending block's base fee (the last entry of
`eth_feeHistory`) times `base_fee_multiplier`, plus `maxPriorityFeePerGas` (the operator's
`priority_fee_per_gas`, or the node's `eth_maxPriorityFeePerGas`). A node without EIP-1559 (a
pre-London chain: its blocks carry no base fee) gets a legacy `gasPrice` from `eth_gasPrice`.

A transaction that is not mined is replaced with the same nonce and higher fees. Nodes accept a
replacement only when it raises both fee fields by at least 10% (geth's and Anvil's default); a
bump here raises each by at least 12.5% (one full block of base fee increase), and to the
current estimate when that is higher. Nothing ever offers more than `max_fee_per_gas_cap`: a new
transaction is priced at the cap at most, and a bump that would pass it is refused with
`FeeCapError` (the transaction then waits at the fees it has).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

from web3.exceptions import Web3Exception

from oracle.errors import ChainConnectionError, ConfigError, FeeCapError, NodeRequestError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from oracle.chain.connection import Chain
    from oracle.config import Settings

__all__ = [
    "DEFAULT_BASE_FEE_MULTIPLIER",
    "DEFAULT_PRIORITY_FEE",
    "FeePolicy",
    "Fees",
    "bump_fees",
    "estimate_fees",
    "fee_calls",
    "fees_from_answers",
    "minimum_bump",
    "next_base_fee",
]

#: Priority fee used when neither the operator nor the node names one (1 gwei).
DEFAULT_PRIORITY_FEE: Final = 1_000_000_000
#: Twice the base fee survives six full blocks of base fee increases (12.5% each).
DEFAULT_BASE_FEE_MULTIPLIER: Final = 2.0
#: A replacement raises each fee field by at least this fraction: nodes require 10%, and 1/8
#: keeps a margin over nodes that round or compare with `>`.
BUMP: Final = Fraction(1, 8)


def minimum_bump(value: int) -> int:
    """The least fee a replacement of a transaction offering `value` may offer (12.5% more,
    rounded up, and at least one wei more)."""
    return value + max(1, math.ceil(value * BUMP))


@dataclass(frozen=True, slots=True)
class Fees:
    """A transaction's price: EIP-1559 fields, or a legacy `gas_price` (exactly one kind)."""

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    @property
    def legacy(self) -> bool:
        """Whether this is a legacy `gasPrice`."""
        return self.gas_price is not None

    @property
    def limit(self) -> int:
        """The most wei per gas the transaction may pay (`maxFeePerGas` or `gasPrice`)."""
        value = self.gas_price if self.gas_price is not None else self.max_fee_per_gas
        assert value is not None  # one kind is always set
        return value

    def fields(self) -> dict[str, int]:
        """The transaction fields these fees set."""
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        assert self.max_fee_per_gas is not None
        assert self.max_priority_fee_per_gas is not None
        return {
            "maxFeePerGas": self.max_fee_per_gas,
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas,
        }

    @classmethod
    def of(cls, transaction: Mapping[str, Any]) -> Fees:
        """The fees a transaction's fields carry.

        Raises:
            ValueError: neither EIP-1559 fields nor a `gasPrice`.
        """
        if transaction.get("maxFeePerGas") is not None:
            return cls(
                max_fee_per_gas=int(transaction["maxFeePerGas"]),
                max_priority_fee_per_gas=int(transaction["maxPriorityFeePerGas"]),
            )
        if transaction.get("gasPrice") is not None:
            return cls(gas_price=int(transaction["gasPrice"]))
        raise ValueError("the transaction carries no fee fields")

    def __str__(self) -> str:
        if self.gas_price is not None:
            return f"gasPrice {self.gas_price} wei"
        return (
            f"maxFeePerGas {self.max_fee_per_gas} wei, "
            f"maxPriorityFeePerGas {self.max_priority_fee_per_gas} wei"
        )


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """How a connection prices its transactions (the operator's fee settings)."""

    #: Priority fee (tip) in wei; None asks the node (`eth_maxPriorityFeePerGas`).
    priority_fee_per_gas: int | None = None
    #: `maxFeePerGas` is the pending block's base fee times this, plus the priority fee.
    base_fee_multiplier: float = DEFAULT_BASE_FEE_MULTIPLIER
    #: Most wei per gas any transaction may offer (`maxFeePerGas`, or `gasPrice`); None: no cap.
    max_fee_per_gas_cap: int | None = None

    def __post_init__(self) -> None:
        """Check the values.

        Raises:
            ConfigError: a negative priority fee, a multiplier below 1, or a cap below 1 wei.
        """
        if self.priority_fee_per_gas is not None and self.priority_fee_per_gas < 0:
            raise ConfigError("priority_fee_per_gas must not be negative")
        if not 1 <= self.base_fee_multiplier <= 100:
            raise ConfigError("base_fee_multiplier must be between 1 and 100")
        if self.max_fee_per_gas_cap is not None and self.max_fee_per_gas_cap < 1:
            raise ConfigError("max_fee_per_gas_cap must be at least 1 wei")

    @classmethod
    def from_settings(cls, settings: Settings) -> FeePolicy:
        """The policy the settings name."""
        return cls(
            priority_fee_per_gas=settings.priority_fee_per_gas,
            base_fee_multiplier=settings.base_fee_multiplier,
            max_fee_per_gas_cap=settings.max_fee_per_gas_cap,
        )

    def capped(self, fees: Fees) -> Fees:
        """`fees` lowered to the cap where they pass it (the tip never above the fee cap)."""
        cap = self.max_fee_per_gas_cap
        if cap is None or fees.limit <= cap:
            return fees
        if fees.gas_price is not None:
            return Fees(gas_price=cap)
        assert fees.max_priority_fee_per_gas is not None
        tip = min(fees.max_priority_fee_per_gas, cap)
        return Fees(max_fee_per_gas=cap, max_priority_fee_per_gas=tip)


def _node_error(exc: Exception) -> bool:
    """A JSON-RPC error or a malformed answer (the node lacks the method), not an outage."""
    return isinstance(exc, Web3Exception | ValueError | KeyError | TypeError) and not isinstance(
        exc, ChainConnectionError
    )


def next_base_fee(chain: Chain) -> int | None:
    """The base fee of the pending block; None on a node without EIP-1559.

    `eth_feeHistory` names it (the entry after the newest block); a node whose fee history is
    empty or missing (eth-tester) gives the latest block's base fee instead.

    Raises:
        ChainConnectionError: the node cannot be reached.
    """
    base_fees: list[Any] = []
    try:
        history = chain.w3.eth.fee_history(1, "latest", [])
        base_fees = list(history.get("baseFeePerGas") or [])
    except ChainConnectionError:
        raise
    except Exception as exc:
        if not _node_error(exc):
            raise
    if base_fees and int(base_fees[-1]) > 0:
        return int(base_fees[-1])
    # A zero base fee is either a pre-London chain (geth answers zeros) or a node set to 0.
    base_fee = chain.w3.eth.get_block("latest").get("baseFeePerGas")
    return None if base_fee is None else int(base_fee)


def _priority_fee(chain: Chain) -> int:
    policy = chain.fees
    if policy.priority_fee_per_gas is not None:
        return policy.priority_fee_per_gas
    try:
        return int(chain.w3.eth.max_priority_fee)
    except ChainConnectionError:
        raise
    except Exception as exc:
        if not _node_error(exc):
            raise
        return DEFAULT_PRIORITY_FEE


def fee_calls(chain: Chain) -> list[tuple[str, list[Any]]]:
    """The JSON-RPC calls whose answers price a new transaction (see `fees_from_answers`): a
    caller sending other calls to the node anyway puts these in the same batch."""
    calls: list[tuple[str, list[Any]]] = [("eth_feeHistory", ["0x1", "latest", []])]
    if chain.fees.priority_fee_per_gas is None:
        calls.append(("eth_maxPriorityFeePerGas", []))
    return calls


def fees_from_answers(chain: Chain, answers: Sequence[Mapping[str, Any]]) -> Fees | None:
    """The fees `estimate_fees` gives, from the node's answers to `fee_calls` (raw JSON-RPC
    answers, in order); None when they answer nothing usable (an error answer, no base fee),
    and `estimate_fees` asks one call at a time."""
    found = _base_fee_and_tip(chain, answers)
    return None if found is None else chain.fees.capped(_priced(chain, *found))


def _base_fee_and_tip(chain: Chain, answers: Sequence[Mapping[str, Any]]) -> tuple[int, int] | None:
    asked = chain.fees.priority_fee_per_gas
    try:
        base_fee = int(answers[0]["result"]["baseFeePerGas"][-1], 16)
        tip = asked if asked is not None else int(answers[1]["result"], 16)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    # A zero base fee is a pre-London chain or a node set to 0: the calls one by one decide.
    return (base_fee, tip) if base_fee > 0 else None


def _read_together(chain: Chain) -> tuple[int, int] | None:
    """The pending block's base fee and the tip, from a node over HTTP in one JSON-RPC batch
    (a vote signed under load waits one round trip less); None where that answers nothing
    usable (no batches, an error answer, no base fee), and the calls are made one by one."""
    if not chain.batches:
        return None
    try:
        answers = chain.rpc_answers(fee_calls(chain))
    except NodeRequestError:
        return None
    return _base_fee_and_tip(chain, answers)


def _priced(chain: Chain, base_fee: int, tip: int) -> Fees:
    ceiling = math.ceil(base_fee * Fraction(str(chain.fees.base_fee_multiplier))) + tip
    return Fees(max_fee_per_gas=ceiling, max_priority_fee_per_gas=tip)


def _uncapped_estimate(chain: Chain) -> Fees:
    together = _read_together(chain)
    if together is not None:
        base_fee, tip = together
    else:
        found = next_base_fee(chain)
        if found is None:
            return Fees(gas_price=int(chain.w3.eth.gas_price))
        base_fee, tip = found, _priority_fee(chain)
    return _priced(chain, base_fee, tip)


def estimate_fees(chain: Chain) -> Fees:
    """The fees a new transaction of `chain` offers, at the connection's cap at most.

    Raises:
        ChainConnectionError: the node cannot be reached.
    """
    return chain.fees.capped(_uncapped_estimate(chain))


def bump_fees(chain: Chain, current: Fees) -> Fees:
    """The fees of a replacement for a transaction offering `current`: each field at least
    12.5% higher, and at the current estimate when that is higher; of the same kind (a legacy
    transaction is replaced by a legacy one).

    Raises:
        FeeCapError: the least acceptable bump would pass the connection's cap.
        ChainConnectionError: the node cannot be reached.
    """
    fresh = _uncapped_estimate(chain)
    policy = chain.fees
    cap = policy.max_fee_per_gas_cap
    if current.gas_price is not None:
        wanted = Fees(gas_price=max(minimum_bump(current.gas_price), fresh.limit))
        least = minimum_bump(current.gas_price)
    else:
        assert current.max_fee_per_gas is not None
        assert current.max_priority_fee_per_gas is not None
        least_tip = minimum_bump(current.max_priority_fee_per_gas)
        fresh_tip = fresh.max_priority_fee_per_gas or 0
        tip = max(least_tip, fresh_tip)
        # The base fee's share of the estimate, plus the tip actually offered.
        ceiling = max(minimum_bump(current.max_fee_per_gas), fresh.limit - fresh_tip + tip)
        wanted = Fees(max_fee_per_gas=ceiling, max_priority_fee_per_gas=tip)
        least = max(minimum_bump(current.max_fee_per_gas), least_tip)
    if cap is not None and least > cap:
        raise FeeCapError(
            f"a replacement must offer at least {least} wei per gas (12.5% over {current}), "
            f"more than the cap max_fee_per_gas_cap {cap} wei"
        )
    # Within the cap, each field stays at or above its least bump (`least` is below the cap).
    return policy.capped(wanted)
