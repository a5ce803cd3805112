"""Every transaction this package sends: dry call, gas and fees, local signing, raw send, receipt.

Transactions are always signed by the connection's `Signer` (a local key, or a KMS or HSM plugged
in by configuration; see `oracle.chain.signer`) and sent with
`eth_sendRawTransaction`, never `eth_sendTransaction`, so the same code runs against the embedded
chain, Anvil, Ganache and a remote node holding no keys. Nodes such as Anvil answer before the
transaction is mined, so `transact` always waits for the receipt, within a bounded time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

from eth_utils.address import to_checksum_address
from eth_utils.exceptions import ValidationError as EthValidationError
from hexbytes import HexBytes
from web3._utils.error_formatters_utils import raise_contract_logic_error_on_revert
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
    Web3ValueError,
)

from oracle.chain.fees import Fees, bump_fees, estimate_fees, fee_calls, fees_from_answers
from oracle.chain.signer import sign_checked, unsigned_of
from oracle.errors import (
    ChainConnectionError,
    ChainError,
    ContractRevertError,
    InputError,
    NodeRequestError,
    NonceConflictError,
    TransactionRejectedError,
    TransactionTimeoutError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from eth_typing import ChecksumAddress
    from web3.types import LogReceipt, RPCResponse, TxParams, TxReceipt

    from oracle.chain.connection import Chain
    from oracle.chain.revert import ErrorDecoder
    from oracle.chain.signer import UnsignedTransaction

logger = logging.getLogger(__name__)

#: Gas headroom over the node's estimate: estimates are exact for the state they ran on, and the
#: state can move (another request, a warm slot turning cold) before the transaction is mined.
GAS_HEADROOM_PERCENT: Final = 20
#: Flat addition on top of the percentage, for small transactions whose 20% is a few hundred gas.
GAS_HEADROOM_FLAT: Final = 10_000
#: EIP-7825 (Osaka) caps a transaction's gas limit at 2**24; older forks accept it as well.
MAX_TRANSACTION_GAS: Final = 2**24
#: Sends attempted with a resynchronised nonce before giving up.
NONCE_ATTEMPTS: Final = 3

_NONCE_ERRORS: Final = (
    "nonce too low",
    "nonce too high",
    "invalid transaction nonce",
    "correct nonce",
    "replacement transaction underpriced",
)
_ALREADY_KNOWN: Final = ("already known", "already imported", "known transaction")


@dataclass(frozen=True, slots=True)
class SentTransaction:
    """A mined, successful transaction: where it landed and what it cost."""

    tx_hash: bytes
    block_number: int
    block_hash: bytes
    gas_used: int
    #: Wei paid per unit of gas (base fee + tip under EIP-1559).
    effective_gas_price: int
    #: Address of the contract the transaction created, if it created one.
    contract_address: ChecksumAddress | None = None
    logs: tuple[LogReceipt, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_receipt(cls, receipt: TxReceipt) -> SentTransaction:
        """Build from a web3 receipt."""
        return cls(
            tx_hash=bytes(receipt["transactionHash"]),
            block_number=int(receipt["blockNumber"]),
            block_hash=bytes(receipt["blockHash"]),
            gas_used=int(receipt["gasUsed"]),
            effective_gas_price=int(receipt.get("effectiveGasPrice", 0) or 0),
            contract_address=receipt.get("contractAddress"),
            logs=tuple(receipt["logs"]),
        )


class NonceTracker:
    """Hands out one account's nonces in order under a lock; resynchronises from the node.

    The node's pending count is read once and then counted locally, so a burst of transactions
    from several threads gets consecutive nonces without a round trip each. Any send failure drops
    the local count, and a nonce error triggers a resend with the node's count.
    """

    def __init__(self) -> None:
        """Start unsynchronised; the first send reads the node's count."""
        # Re-entrant: `reset` takes it too and is called both inside and outside a send.
        self.lock = threading.RLock()
        self._next: int | None = None

    def current(self, chain: Chain) -> int:
        """The nonce the next transaction gets (call with `lock` held)."""
        if self._next is None:
            self._next = int(chain.w3.eth.get_transaction_count(chain.address, "pending"))
        return self._next

    @property
    def unsynchronised(self) -> bool:
        """Whether the next `current` asks the node."""
        return self._next is None

    def offer(self, pending: int) -> None:
        """The node's pending count, read by a caller alongside other calls: taken while the
        tracker is unsynchronised, ignored once it counts on its own."""
        with self.lock:
            if self._next is None:
                self._next = pending

    def advance(self) -> None:
        """The current nonce was used by a transaction the node accepted."""
        if self._next is not None:
            self._next += 1

    def reset(self) -> None:
        """Forget the local count; the next send asks the node."""
        with self.lock:
            self._next = None


def _revert_or_raise(chain: Chain, exc: Exception, decoder: ErrorDecoder) -> ContractRevertError:
    decoded = decoder.from_exception(exc)
    if decoded is not None:
        return decoded
    if isinstance(exc, Web3RPCError | ValueError | EthValidationError):
        raise TransactionRejectedError(
            f"{chain.where} refused to simulate the transaction: {_message_of(exc)}"
        ) from exc
    raise exc


def _base_transaction(chain: Chain, to: str | None, data: bytes, value: int) -> TxParams:
    tx: dict[str, Any] = {"from": chain.address, "data": HexBytes(data), "value": value}
    if to is not None:
        tx["to"] = to
    return cast("TxParams", tx)


def dry_run(
    chain: Chain, *, to: str | None, data: bytes, value: int = 0, decoder: ErrorDecoder
) -> int:
    """Simulate the transaction and return its gas limit with headroom; nothing is spent.

    Raises:
        ContractRevertError: the transaction would revert (decoded against `decoder`'s ABI).
        TransactionRejectedError: the node refuses to simulate it (e.g. insufficient funds).
        ChainConnectionError: the node cannot be reached.
    """
    tx = _base_transaction(chain, to, data, value)
    try:
        # A contract creation has no callee to eth_call; its estimate runs the constructor.
        if to is not None:
            chain.w3.eth.call(tx)
        estimate = int(chain.w3.eth.estimate_gas(tx))
    except ChainConnectionError:
        raise
    except Exception as exc:
        raise _revert_or_raise(chain, exc, decoder) from exc
    return _with_headroom(estimate, chain.block_gas_limit())


def _with_headroom(estimate: int, block_gas_limit: int) -> int:
    """The gas limit for a node's `estimate`: the headroom added, within the per-transaction
    cap and the block's limit, and never below the estimate itself."""
    padded = estimate + estimate * GAS_HEADROOM_PERCENT // 100 + GAS_HEADROOM_FLAT
    return max(estimate, min(padded, MAX_TRANSACTION_GAS, block_gas_limit))


def _message_of(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """A transaction signed with a reserved nonce and not yet known to be sent.

    Callers that must never send a transaction twice record it (hash and raw bytes) before
    `broadcast`; after a crash they broadcast the very same bytes again, which a node either
    ignores as known or mines once.
    """

    tx_hash: bytes
    raw: bytes = field(repr=False)
    nonce: int
    sender: ChecksumAddress


def sign(
    chain: Chain,
    *,
    to: str | None,
    data: bytes,
    value: int = 0,
    decoder: ErrorDecoder,
    gas: int | None = None,
) -> SignedTransaction:
    """Dry-run, then sign with the next nonce, which is reserved; nothing is sent.

    Raises:
        ContractRevertError: the dry run reverts.
        TransactionRejectedError: the node refuses to simulate it.
        ChainConnectionError: the node cannot be reached.
        ReadOnlyChainError: the connection has no signing key.
        SignerError: the signer failed or returned another transaction than the one asked for.
    """
    signer = chain.signer
    tracker = chain.nonces
    prepared = (
        _prepare_in_one_batch(chain, to=to, data=data, value=value, decoder=decoder, gas=gas)
        if chain.batches
        else None
    )
    if prepared is not None:
        gas_limit, found_fees, pending = prepared
        if pending is not None:
            tracker.offer(pending)
    else:
        gas_limit = (
            gas
            if gas is not None
            else dry_run(chain, to=to, data=data, value=value, decoder=decoder)
        )
        found_fees = None
    fees = (found_fees if found_fees is not None else estimate_fees(chain)).fields()
    with tracker.lock:
        tx: dict[str, Any] = {
            "chainId": chain.chain_id,
            "nonce": tracker.current(chain),
            "gas": gas_limit,
            "value": value,
            "data": bytes(data),
            **fees,
        }
        if to is not None:
            tx["to"] = to_checksum_address(to)
        raw, tx_hash = sign_checked(signer, cast("UnsignedTransaction", tx))
        tracker.advance()
    return SignedTransaction(
        tx_hash=tx_hash, raw=raw, nonce=int(tx["nonce"]), sender=signer.address
    )


def _prepare_in_one_batch(
    chain: Chain,
    *,
    to: str | None,
    data: bytes,
    value: int,
    decoder: ErrorDecoder,
    gas: int | None,
) -> tuple[int, Fees | None, int | None]:
    """What `sign` asks the node, in one JSON-RPC batch instead of one round trip each: the dry
    run (`eth_call`, `eth_estimateGas` and the block gas limit, unless `gas` is given), the fees
    and, while the nonce tracker is unsynchronised, the account's pending count. Returns (gas
    limit, fees or None when their answers are unusable, pending count or None).

    Raises:
        ContractRevertError: the dry run reverts.
        TransactionRejectedError: the node refuses to simulate it.
        NodeRequestError: the node refused the batch as a whole.
        ChainConnectionError: the node cannot be reached.
    """
    tx: dict[str, Any] = {"from": chain.address, "data": "0x" + bytes(data).hex()}
    if value:
        tx["value"] = hex(value)
    if to is not None:
        tx["to"] = to_checksum_address(to)
    calls: list[tuple[str, list[Any]]] = []
    if gas is None:
        # A contract creation has no callee to eth_call; its estimate runs the constructor.
        if to is not None:
            calls.append(("eth_call", [tx, "latest"]))
        calls.append(("eth_estimateGas", [tx]))
        calls.append(("eth_getBlockByNumber", ["latest", False]))
    dry = len(calls)
    calls.extend(fee_calls(chain))
    wants_nonce = chain.nonces.unsynchronised
    if wants_nonce:
        calls.append(("eth_getTransactionCount", [chain.address, "pending"]))
    answers = chain.rpc_answers(calls)
    for answer in answers[: dry - 1 if gas is None else 0]:
        if "error" in answer or "result" not in answer:
            raise _refused_simulation(chain, answer, decoder)
    gas_limit = gas
    if gas_limit is None:
        estimate = int(answers[dry - 2]["result"], 16)
        block = answers[dry - 1].get("result") or {}
        block_limit = int(block.get("gasLimit", hex(MAX_TRANSACTION_GAS)), 16)
        gas_limit = _with_headroom(estimate, block_limit)
    fee_answers = answers[dry : len(answers) - 1 if wants_nonce else len(answers)]
    pending = None
    if wants_nonce and "result" in answers[-1]:
        pending = int(answers[-1]["result"], 16)
    return gas_limit, fees_from_answers(chain, fee_answers), pending


def _refused_simulation(
    chain: Chain, answer: dict[str, Any], decoder: ErrorDecoder
) -> ContractRevertError:
    """A dry run's error answer read as web3 reads a single call's: a revert decoded against
    `decoder`'s ABI, anything else the node's refusal (raised)."""
    revert = _revert_of(answer, decoder)
    if revert is not None:
        return revert
    return _revert_or_raise(chain, rpc_error(answer), decoder)


def refused_call(chain: Chain, answer: dict[str, Any], decoder: ErrorDecoder) -> ChainError:
    """An `eth_call`'s error answer as the error to raise: its revert decoded against
    `decoder`'s ABI, or the node's error (`NodeRequestError`: a missing block, a server error)."""
    revert = _revert_of(answer, decoder)
    if revert is not None:
        return revert
    return node_request_error(chain, "eth_call", rpc_error(answer))


def _revert_of(answer: dict[str, Any], decoder: ErrorDecoder) -> ContractRevertError | None:
    try:
        # web3's own reading of a revert answer (its error formatter for eth_call and
        # eth_estimateGas), so that a batched call decodes exactly as a single one.
        raise_contract_logic_error_on_revert(cast("RPCResponse", answer))
    except ContractLogicError as exc:
        return decoder.from_exception(exc)
    except Web3ValueError:
        return None
    return None


def fees_of(raw: bytes) -> Fees:
    """The fees a signed transaction offers.

    Raises:
        InputError: the bytes are not a signed transaction.
    """
    return Fees.of(unsigned_of(raw))


def _bumped(chain: Chain, raw: bytes, action: str) -> tuple[UnsignedTransaction, Fees]:
    """The transaction this connection's account signed as `raw`, on its chain, and the fees
    that replace it (see `bump_fees`).

    Raises:
        InputError: `raw` is not a transaction signed by this account on this chain.
        FeeCapError: the bump would pass the connection's fee cap.
    """
    original = unsigned_of(raw, sender=chain.signer.address)
    if original["chainId"] != chain.chain_id:
        raise InputError(
            f"the transaction to {action} is for chain {original['chainId']}, not {chain.chain_id}"
        )
    return original, bump_fees(chain, Fees.of(original))


def sign_replacement(chain: Chain, raw: bytes) -> SignedTransaction:
    """Sign a replacement for the signed transaction `raw`: the same nonce, recipient, value,
    gas and calldata, with fees bumped by `bump_fees`; nothing is sent and no nonce is reserved.

    No dry run: the calldata is the one the original's dry run accepted, and whichever of the
    two is mined spends the nonce.

    Raises:
        InputError: `raw` is not a transaction signed by this connection's account on its chain.
        FeeCapError: the bump would pass the connection's fee cap.
        ChainConnectionError: the node cannot be reached.
        ReadOnlyChainError: the connection has no signing key.
        SignerError: the signer failed or returned another transaction than the one asked for.
    """
    signer = chain.signer
    original, fees = _bumped(chain, raw, "replace")
    tx: dict[str, Any] = {
        key: value
        for key, value in original.items()
        if key not in ("maxFeePerGas", "maxPriorityFeePerGas", "gasPrice")
    }
    tx.update(fees.fields())
    replacement, tx_hash = sign_checked(signer, cast("UnsignedTransaction", tx))
    return SignedTransaction(
        tx_hash=tx_hash, raw=replacement, nonce=int(tx["nonce"]), sender=signer.address
    )


#: Gas of a plain transfer: what a cancellation needs.
TRANSFER_GAS: Final = 21_000


def sign_cancellation(chain: Chain, raw: bytes) -> SignedTransaction:
    """Sign a cancellation of the signed transaction `raw`: a 0-value transfer from the account
    to itself with the same nonce and fees bumped by `bump_fees`, so that whichever of the two
    is mined spends the nonce and `raw` never runs once the cancellation is mined; nothing is
    sent.

    Raises:
        InputError: `raw` is not a transaction signed by this connection's account on its chain.
        FeeCapError: the bump would pass the connection's fee cap.
        ChainConnectionError: the node cannot be reached.
        ReadOnlyChainError: the connection has no signing key.
        SignerError: the signer failed or returned another transaction than the one asked for.
    """
    signer = chain.signer
    original, fees = _bumped(chain, raw, "cancel")
    tx: dict[str, Any] = {
        "chainId": chain.chain_id,
        "nonce": original["nonce"],
        "gas": TRANSFER_GAS,
        "value": 0,
        "data": b"",
        "to": signer.address,
        **fees.fields(),
    }
    cancellation, tx_hash = sign_checked(signer, cast("UnsignedTransaction", tx))
    return SignedTransaction(
        tx_hash=tx_hash, raw=cancellation, nonce=int(tx["nonce"]), sender=signer.address
    )


def broadcast(chain: Chain, signed: SignedTransaction) -> bytes:
    """Send a signed transaction; a node that already has it counts as success.

    Raises:
        NonceConflictError: its nonce is used or out of order; it can never be mined as is.
        TransactionRejectedError: the node refuses it for another reason (funds, fees).
        ChainConnectionError: the node cannot be reached.
    """
    try:
        return bytes(chain.w3.eth.send_raw_transaction(signed.raw))
    except ChainConnectionError:
        chain.nonces.reset()
        raise
    except (Web3RPCError, ValueError, EthValidationError) as exc:
        text = _message_of(exc).lower()
        if any(marker in text for marker in _ALREADY_KNOWN):
            return signed.tx_hash
        chain.nonces.reset()
        if any(marker in text for marker in _NONCE_ERRORS):
            raise NonceConflictError(
                f"{chain.where} refused nonce {signed.nonce}: {_message_of(exc)}"
            ) from exc
        raise TransactionRejectedError(
            f"{chain.where} refused the transaction: {_message_of(exc)}"
        ) from exc


def send(
    chain: Chain,
    *,
    to: str | None,
    data: bytes,
    value: int = 0,
    decoder: ErrorDecoder,
    gas: int | None = None,
) -> bytes:
    """Dry-run, sign and send a transaction; return its hash as soon as the node accepts it.

    Raises:
        ContractRevertError: the dry run reverts (nothing is sent).
        TransactionRejectedError: the node refuses the transaction (funds, fees, nonce).
        ChainConnectionError: the node cannot be reached.
        ReadOnlyChainError: the connection has no signing key.
        SignerError: the signer failed or returned another transaction than the one asked for.
    """
    gas_limit = (
        gas if gas is not None else dry_run(chain, to=to, data=data, value=value, decoder=decoder)
    )
    # Held across sign and send so that concurrent senders reach the node in nonce order.
    with chain.nonces.lock:
        for attempt in range(1, NONCE_ATTEMPTS + 1):
            signed = sign(chain, to=to, data=data, value=value, decoder=decoder, gas=gas_limit)
            try:
                tx_hash = broadcast(chain, signed)
            except NonceConflictError as exc:
                if attempt == NONCE_ATTEMPTS:
                    raise
                logger.info("nonce %s rejected, resynchronising: %s", signed.nonce, exc)
                continue
            logger.debug("sent 0x%s nonce %s gas %s", tx_hash.hex(), signed.nonce, gas_limit)
            return tx_hash
    # Unreachable: the last attempt either returns or raises above.
    raise TransactionRejectedError(f"{chain.where} kept rejecting the nonce")


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where a transaction was mined and whether it succeeded, without decoding a revert."""

    tx_hash: bytes
    block_number: int
    block_hash: bytes
    gas_used: int
    succeeded: bool
    #: The receipt's logs, so a caller decodes them without asking the node again (as web3
    #: formats them, or the node's JSON: see `lookup_receipt`).
    logs: tuple[LogReceipt | dict[str, Any], ...] = field(default=(), repr=False, compare=False)


def lookup_receipt(chain: Chain, tx_hash: bytes) -> Receipt | None:
    """A transaction's receipt, or None while no block holds it. From a node over HTTP its logs
    are the node's own JSON (hex strings), which `Verifier.events_in` decodes like web3's.

    Raises:
        ChainConnectionError: the node cannot be reached.
        NodeRequestError: the node answered with an error.
    """
    return lookup_receipts(chain, [tx_hash])[bytes(tx_hash)]


def lookup_receipts(chain: Chain, tx_hashes: Sequence[bytes]) -> dict[bytes, Receipt | None]:
    """`lookup_receipt` of each transaction, by hash: one JSON-RPC batch on a node over HTTP.

    Raises:
        ChainConnectionError: the node cannot be reached.
        NodeRequestError: the node answered with an error.
    """
    hashes = [bytes(tx_hash) for tx_hash in tx_hashes]
    if chain.batches:
        # web3's receipt formatters walk every field of every log: a 100-vote receipt's 200
        # logs cost more than reading them.
        answers = chain.rpc_batch(
            [("eth_getTransactionReceipt", ["0x" + tx_hash.hex()]) for tx_hash in hashes]
        )
        return {tx_hash: _raw_receipt(raw) for tx_hash, raw in zip(hashes, answers, strict=True)}
    return {tx_hash: _formatted_receipt(chain, tx_hash) for tx_hash in hashes}


def _raw_receipt(raw: dict[str, Any] | None) -> Receipt | None:
    if raw is None or raw.get("blockNumber") is None:
        return None
    return Receipt(
        tx_hash=bytes.fromhex(raw["transactionHash"][2:]),
        block_number=int(raw["blockNumber"], 16),
        block_hash=bytes.fromhex(raw["blockHash"][2:]),
        gas_used=int(raw["gasUsed"], 16),
        succeeded=int(raw["status"], 16) == 1,
        logs=tuple(raw["logs"]),
    )


def _formatted_receipt(chain: Chain, tx_hash: bytes) -> Receipt | None:
    try:
        receipt = chain.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    except Web3RPCError as exc:
        raise node_request_error(chain, "eth_getTransactionReceipt", exc) from exc
    if receipt is None or receipt.get("blockNumber") is None:
        return None
    return Receipt(
        tx_hash=bytes(receipt["transactionHash"]),
        block_number=int(receipt["blockNumber"]),
        block_hash=bytes(receipt["blockHash"]),
        gas_used=int(receipt["gasUsed"]),
        succeeded=receipt["status"] == 1,
        logs=tuple(receipt["logs"]),
    )


#: Phrases with which nodes and providers refuse a log query that is too large to answer.
_RESULT_CAP: Final = (
    "more than",
    "too many",
    "limit exceeded",
    "response size",
    "block range",
    "range is too large",
    "exceed",
)
#: JSON-RPC error codes providers use for "ask for less" (EIP-1474 -32005: limit exceeded).
_RESULT_CAP_CODES: Final = (-32005, -32602)


def rpc_error(answer: Mapping[str, Any]) -> Web3RPCError:
    """A JSON-RPC error answer (a batch member) as the exception web3 raises for a single call."""
    error = answer.get("error")
    message = str(error.get("message")) if isinstance(error, dict) else "no result"
    return Web3RPCError(message, rpc_response=cast("RPCResponse", dict(answer)))


def node_request_error(chain: Chain, method: str, exc: Web3RPCError) -> NodeRequestError:
    """The node's JSON-RPC error answer as a `NodeRequestError` (never with the endpoint path)."""
    rpc = getattr(exc, "rpc_response", None)
    error = rpc.get("error") if isinstance(rpc, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    text = _message_of(exc)
    capped = code in _RESULT_CAP_CODES and any(p in text.lower() for p in _RESULT_CAP)
    capped = capped or (method == "eth_getLogs" and any(p in text.lower() for p in _RESULT_CAP))
    return NodeRequestError(
        f"{chain.where} answered {method} with an error"
        + (f" {code}" if isinstance(code, int) else "")
        + f": {text}",
        code=code if isinstance(code, int) else None,
        result_cap=capped,
    )


def receipt_of(chain: Chain, tx_hash: bytes, *, decoder: ErrorDecoder) -> SentTransaction | None:
    """The outcome of a transaction without waiting: None while it is not mined.

    Raises:
        ContractRevertError: it was mined and reverted (decoded by replaying it).
        ChainConnectionError: the node cannot be reached.
    """
    try:
        receipt = chain.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    if receipt is None or receipt.get("blockNumber") is None:
        return None
    if receipt["status"] != 1:
        raise _replay_failure(chain, receipt, decoder)
    return SentTransaction.from_receipt(receipt)


def wait(chain: Chain, tx_hash: bytes, *, decoder: ErrorDecoder) -> SentTransaction:
    """Wait (bounded by the connection's receipt timeout) until `tx_hash` is mined.

    Raises:
        TransactionTimeoutError: not mined in time (it may still be mined later).
        ContractRevertError: mined but reverted; decoded by replaying it when the node allows.
        ChainConnectionError: the node cannot be reached.
    """
    try:
        receipt = chain.w3.eth.wait_for_transaction_receipt(
            HexBytes(tx_hash), timeout=chain.receipt_timeout, poll_latency=chain.poll_latency
        )
    except TimeExhausted as exc:
        # If the node dropped it, the locally counted nonces after it would leave a gap that
        # blocks every later transaction: count from the node's view again.
        chain.nonces.reset()
        raise TransactionTimeoutError(
            f"transaction 0x{tx_hash.hex()} was not mined within {chain.receipt_timeout:g} s",
            tx_hash=tx_hash,
        ) from exc
    if receipt["status"] != 1:
        raise _replay_failure(chain, receipt, decoder)
    return SentTransaction.from_receipt(receipt)


def _replay_failure(chain: Chain, receipt: TxReceipt, decoder: ErrorDecoder) -> ContractRevertError:
    """Re-run a failed transaction on the state before its block to recover the revert data."""
    tx_hash = bytes(receipt["transactionHash"])
    sent = chain.w3.eth.get_transaction(HexBytes(tx_hash))
    replay: dict[str, Any] = {
        "from": sent["from"],
        "data": sent["input"],
        "value": sent["value"],
        "gas": sent["gas"],
    }
    if sent.get("to"):
        replay["to"] = sent["to"]
    try:
        chain.w3.eth.call(cast("TxParams", replay), block_identifier=receipt["blockNumber"] - 1)
    except ChainConnectionError:
        raise
    except Exception as exc:
        decoded = decoder.from_exception(exc, tx_hash=tx_hash)
        if decoded is not None:
            return decoded
    return decoder.error(
        b"", tx_hash=tx_hash, reason="the replay did not revert (out of gas or state changed)"
    )


def transact(
    chain: Chain,
    *,
    to: str | None,
    data: bytes,
    value: int = 0,
    decoder: ErrorDecoder,
    gas: int | None = None,
) -> SentTransaction:
    """`send` then `wait`: dry-run, sign, send and return the successful receipt.

    Raises:
        ContractRevertError: the dry run reverts, or the mined transaction reverted.
        TransactionRejectedError: the node refuses the transaction.
        TransactionTimeoutError: not mined within the receipt timeout.
        ChainConnectionError: the node cannot be reached.
        ReadOnlyChainError: the connection has no signing key.
        SignerError: the signer failed or returned another transaction than the one asked for.
    """
    tx_hash = send(chain, to=to, data=data, value=value, decoder=decoder, gas=gas)
    return wait(chain, tx_hash, decoder=decoder)
