"""Connections to a chain: the embedded eth-tester chain or a JSON-RPC node such as Anvil."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, NamedTuple
from urllib.parse import urlsplit

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import BlockNotFound, TimeExhausted, Web3RPCError
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import RPCEndpoint, Wei

from oracle.chain.fees import FeePolicy
from oracle.chain.revert import ErrorDecoder
from oracle.chain.signer import LocalSigner, Signer
from oracle.chain.transactions import (
    NonceTracker,
    SentTransaction,
    node_request_error,
    rpc_error,
    transact,
)
from oracle.errors import (
    ChainConnectionError,
    ChainError,
    ConfigError,
    InputError,
    NodeRequestError,
    ReadOnlyChainError,
    TransactionRejectedError,
    TransactionTimeoutError,
)
from oracle.urls import display_endpoint

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress
    from pydantic import SecretStr
    from web3 import EthereumTesterProvider
    from web3.types import RPCResponse

logger = logging.getLogger(__name__)

#: How `Chain.endpoint` names the in-process eth-tester chain.
EMBEDDED: Final = "embedded"
#: Ether (in wei) `create_funded_account` gives a new account unless told otherwise.
DEFAULT_FUNDING: Final = 10 * 10**18

_TRANSFER_DECODER: Final = ErrorDecoder("transfer", [])
#: Most JSON-RPC calls sent in one HTTP request (hosted nodes cap batches, often at 100).
MAX_BATCH: Final = 100


def _describe_failure(exc: BaseException) -> str:
    # Only the kind of failure: requests' own messages repeat the full URL, API key included.
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return f"HTTP {status}"
    name = type(exc).__name__
    if "Timeout" in name:
        return "no answer in time"
    if "Connection" in name:
        return "connection refused or host unreachable"
    return name


#: Loggers that write the endpoint URL or the request path at DEBUG, which may hold an API key.
_URL_LOGGERS: Final = (
    "web3.providers.HTTPProvider",
    "web3._utils.http_session_manager.HTTPSessionManager",
    "urllib3.connectionpool",
)


def _redacted(arg: object) -> object:
    if isinstance(arg, str):
        if "://" in arg:
            return display_endpoint(arg)
        if arg.startswith("/"):
            return "/..."
    return arg


class _RedactUrls(logging.Filter):
    """Rewrites URL arguments of log records to `scheme://host:port` and hides request paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact and keep the record."""
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        return True


def _redact_web3_url_logs() -> None:
    for name in _URL_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, _RedactUrls) for f in target.filters):
            target.addFilter(_RedactUrls())


def _session_for(rpc_url: str) -> requests.Session:
    """A requests session for the node with the environment's settings (proxies, a CA bundle,
    .netrc credentials) read once, here: a session that trusts the environment reads and
    matches every variable of it again on each request (a daemon cycle's hundreds of them)."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(rpc_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    credentials = requests.utils.get_netrc_auth(rpc_url)
    if credentials:
        session.auth = credentials
    session.trust_env = False
    return session


class _GuardedHTTPProvider(HTTPProvider):
    """HTTPProvider whose transport failures become `ChainConnectionError` without the URL."""

    def __init__(self, rpc_url: str, *, timeout: float) -> None:
        _redact_web3_url_logs()
        super().__init__(
            rpc_url,
            request_kwargs={"timeout": timeout},
            session=_session_for(rpc_url),
            # Bounded: an unreachable node fails in about a second, not after web3's default.
            exception_retry_configuration=ExceptionRetryConfiguration(
                errors=(OSError,), retries=2, backoff_factor=0.1
            ),
            # web3's validation middleware asks the chain id around every call and transaction
            # (two of every three requests the daemon made); a node's chain id never changes.
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
        )
        self._display = display_endpoint(rpc_url)

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Send one JSON-RPC request.

        Raises:
            ChainConnectionError: the node cannot be reached or did not answer in time.
        """
        try:
            return super().make_request(method, params)
        except OSError as exc:  # requests' exceptions are OSErrors
            raise ChainConnectionError(
                f"cannot reach the node at {self._display} ({method}): {_describe_failure(exc)}"
            ) from None

    def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        """Send JSON-RPC requests in one HTTP request (a JSON array).

        Raises:
            ChainConnectionError: the node cannot be reached or did not answer in time.
        """
        try:
            return super().make_batch_request(batch_requests)
        except OSError as exc:
            method = batch_requests[0][0] if batch_requests else "batch"
            raise ChainConnectionError(
                f"cannot reach the node at {self._display} ({method} batch): "
                f"{_describe_failure(exc)}"
            ) from None


class _Flag:
    """A mutable yes/no a frozen dataclass can hold."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = False


class BlockHead(NamedTuple):
    """A block as a cycle reads the chain's tip: number, hash and timestamp (chain time)."""

    number: int
    hash: bytes
    timestamp: int


def _block_head(raw: dict[str, Any]) -> BlockHead:
    """The `BlockHead` of a block as the node's JSON gives it (hex strings)."""
    return BlockHead(
        int(raw["number"], 16), bytes.fromhex(raw["hash"][2:]), int(raw["timestamp"], 16)
    )


@dataclass(frozen=True, eq=False)
class Chain:
    """A connection to one chain and the signer of this connection's transactions."""

    w3: Web3 = field(repr=False)
    chain_id: int
    #: "embedded", or the node's `scheme://host:port` (never its path, which may hold a key).
    endpoint: str
    #: Signs this connection's transactions; None for a read-only connection.
    account: Signer | None = field(repr=False)
    #: Seconds between receipt polls.
    poll_latency: float = 0.1
    #: Seconds `transact` waits for a receipt before raising `TransactionTimeoutError`.
    receipt_timeout: float = 120.0
    nonces: NonceTracker = field(default_factory=NonceTracker, repr=False)
    #: How this connection's transactions are priced (the operator's fee settings).
    fees: FeePolicy = field(default_factory=FeePolicy, repr=False)
    #: Set once the node refuses a JSON-RPC batch: `rpc_batch` then sends one call at a time.
    _single_calls: _Flag = field(default_factory=lambda: _Flag(), repr=False)

    def __repr__(self) -> str:
        who = self.account.address if self.account is not None else "read-only"
        return f"Chain(chain_id={self.chain_id}, endpoint={self.endpoint!r}, account={who})"

    @property
    def is_embedded(self) -> bool:
        """Whether this is the in-process eth-tester chain."""
        return self.endpoint == EMBEDDED

    @property
    def where(self) -> str:
        """ "the embedded chain" or "the node at scheme://host:port", for messages."""
        return "the embedded chain" if self.is_embedded else f"the node at {self.endpoint}"

    @property
    def signer(self) -> Signer:
        """The signer of this connection's transactions.

        Raises:
            ReadOnlyChainError: the connection was made without a private key.
        """
        if self.account is None:
            raise ReadOnlyChainError(
                f"the connection to {self.where} has no private key; it can only read"
            )
        return self.account

    @property
    def address(self) -> ChecksumAddress:
        """Address of the signing account.

        Raises:
            ReadOnlyChainError: the connection was made without a private key.
        """
        return self.signer.address

    def with_account(self, account: Signer | LocalAccount) -> Chain:
        """The same chain and node, signed for by `account` (with its own nonce counter)."""
        signer = LocalSigner(account) if isinstance(account, LocalAccount) else account
        return replace(self, account=signer, nonces=NonceTracker())

    def block_number(self) -> int:
        """Number of the latest block.

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        if self.batches:
            return int(self._rpc("eth_blockNumber", []), 16)
        return int(self.w3.eth.block_number)

    def _rpc(self, method: str, params: Sequence[Any]) -> Any:
        # One call, raw: web3's middleware and result formatters cost more CPU than the call.
        return self.rpc_batch([(method, params)])[0]

    def head(self) -> tuple[int, bytes]:
        """Number and hash of the latest block, read together (a reorg to the same height
        changes the hash only).

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        latest = self.latest()
        return latest.number, latest.hash

    def latest(self) -> BlockHead:
        """Number, hash and timestamp of the latest block, read together.

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        if self.batches:
            # The node's JSON as it is: web3 formats every field of the block (most of an idle
            # daemon cycle's time).
            return _block_head(self._rpc("eth_getBlockByNumber", ["latest", False]))
        block = self.w3.eth.get_block("latest")
        return BlockHead(int(block["number"]), bytes(block["hash"]), int(block["timestamp"]))

    def latest_and_hash(self, number: int) -> tuple[BlockHead, bytes | None]:
        """`latest()` and `block_hash(number)`, in one batch where the node takes batches.

        Raises:
            NodeRequestError: the node answered with an error.
            ChainConnectionError: the node cannot be reached.
        """
        if not self.batches:
            return self.latest(), self.block_hash(number)
        tip, block = self.rpc_batch(
            [
                ("eth_getBlockByNumber", ["latest", False]),
                ("eth_getBlockByNumber", [hex(number), False]),
            ]
        )
        return _block_head(tip), None if block is None else bytes.fromhex(block["hash"][2:])

    def block_hash(self, number: int) -> bytes | None:
        """Hash of block `number`, or None when the chain has no such block (yet).

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        return self.block_hashes([number])[number]

    @property
    def batches(self) -> bool:
        """Whether `rpc_batch` works: a JSON-RPC node over HTTP (the embedded chain has none)."""
        return isinstance(self.w3.provider, _GuardedHTTPProvider)

    def rpc_batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """The raw JSON results of `calls` (method, params), sent `MAX_BATCH` to an HTTP request
        (one by one to a node that refuses batches) and bypassing web3's formatting: hex strings
        and plain dicts, in the order asked.

        Raises:
            ChainError: the connection is not to a JSON-RPC node over HTTP (see `batches`).
            NodeRequestError: the node refused the batch or answered one call with an error.
            ChainConnectionError: the node cannot be reached.
        """
        results: list[Any] = []
        for (method, _), answer in zip(calls, self.rpc_answers(calls), strict=True):
            if "error" in answer or "result" not in answer:
                # Read like a single call's error answer (a capped log query included).
                raise node_request_error(self, method, rpc_error(answer))
            results.append(answer["result"])
        return results

    def rpc_answers(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
        """The node's JSON-RPC answers to `calls` as `rpc_batch` sends them, each as it came
        (a `result` or an `error` member), so that one refused call leaves the others' answers
        usable.

        Raises:
            ChainError: the connection is not to a JSON-RPC node over HTTP (see `batches`).
            NodeRequestError: the node refused the batch as a whole.
            ChainConnectionError: the node cannot be reached.
        """
        provider = self.w3.provider
        if not isinstance(provider, _GuardedHTTPProvider):
            raise ChainError(f"{self.where} takes no JSON-RPC batches")
        results: list[dict[str, Any]] = []
        for start in range(0, len(calls), MAX_BATCH):
            chunk = [
                (RPCEndpoint(method), list(params))
                for method, params in calls[start : start + MAX_BATCH]
            ]
            answers: Any = None
            if len(chunk) > 1 and not self._single_calls.value:
                answers = provider.make_batch_request(chunk)
                if not isinstance(answers, list):
                    # Some hosted nodes refuse batches with one error answer: ask one by one.
                    logger.info("%s refuses JSON-RPC batches; sending calls one by one", self.where)
                    self._single_calls.value = True
                    answers = None
            if answers is None:
                answers = [provider.make_request(method, params) for method, params in chunk]
            if len(answers) != len(chunk):
                raise NodeRequestError(
                    f"{self.where} answered a batch of {len(chunk)} {chunk[0][0]} calls with "
                    f"{_batch_error(answers)}"
                )
            results.extend(dict(answer) for answer in answers)
        return results

    def block_hashes(self, numbers: Iterable[int]) -> dict[int, bytes | None]:
        """The hash of each block in `numbers` (None for a block the chain does not have), in
        one batch where the node takes batches.

        Raises:
            NodeRequestError: the node answered with an error.
            ChainConnectionError: the node cannot be reached.
        """
        blocks = self._blocks(numbers)
        return {n: None if b is None else bytes.fromhex(b["hash"][2:]) for n, b in blocks.items()}

    def block_timestamps(self, numbers: Iterable[int]) -> dict[int, int]:
        """The timestamp of each block in `numbers` (blocks the chain lacks are left out).

        Raises:
            NodeRequestError: the node answered with an error.
            ChainConnectionError: the node cannot be reached.
        """
        blocks = self._blocks(numbers)
        return {n: int(b["timestamp"], 16) for n, b in blocks.items() if b is not None}

    def _blocks(self, numbers: Iterable[int]) -> dict[int, dict[str, Any] | None]:
        wanted = sorted(set(numbers))
        if not self.batches:
            found: dict[int, dict[str, Any] | None] = {}
            for number in wanted:
                try:
                    block = self.w3.eth.get_block(number)
                except BlockNotFound:
                    found[number] = None
                    continue
                found[number] = {
                    "hash": "0x" + bytes(block["hash"]).hex(),
                    "timestamp": hex(int(block["timestamp"])),
                }
            return found
        answers = self.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        return dict(zip(wanted, answers, strict=True))

    def block_timestamp(self, number: int | str = "latest") -> int:
        """Timestamp of block `number` (or "latest"), in chain time.

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        if self.batches:
            raw = self._rpc("eth_getBlockByNumber", [_block_tag(number), False])
            if raw is None:
                raise BlockNotFound(f"block {number} not found")
            return int(raw["timestamp"], 16)
        return int(self.w3.eth.get_block(number)["timestamp"])  # type: ignore[arg-type]

    def transaction_count(self, address: str, block: int | str = "latest") -> int:
        """Transactions `address` has sent as of `block` (a number, "latest" or "pending").

        Raises:
            InputError: `address` is not an address.
            ChainConnectionError: the node cannot be reached.
        """
        if self.batches:
            return int(
                self._rpc("eth_getTransactionCount", [_checksum(address), _block_tag(block)]), 16
            )
        return int(self.w3.eth.get_transaction_count(_checksum(address), block))  # type: ignore[arg-type]

    def account_counts(self, address: str, block: int) -> tuple[int, int, int]:
        """`address`'s transaction count at `block` and with pending transactions, and the
        head's number: one JSON-RPC batch on a node over HTTP (a settling daemon reads all
        three before its receipts).

        Raises:
            InputError: `address` is not an address.
            ChainConnectionError: the node cannot be reached.
            NodeRequestError: the node answered with an error.
        """
        checked = _checksum(address)
        if not self.batches:
            return (
                self.transaction_count(checked, block),
                self.transaction_count(checked, "pending"),
                self.block_number(),
            )
        spent, known, head = self.rpc_batch(
            [
                ("eth_getTransactionCount", [checked, _block_tag(block)]),
                ("eth_getTransactionCount", [checked, "pending"]),
                ("eth_blockNumber", []),
            ]
        )
        return int(spent, 16), int(known, 16), int(head, 16)

    def block_gas_limit(self) -> int:
        """Gas limit of the latest block.

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        return int(self.w3.eth.get_block("latest")["gasLimit"])

    def balance(self, address: str) -> int:
        """Balance of `address` in wei.

        Raises:
            InputError: `address` is not an address.
            ChainConnectionError: the node cannot be reached.
        """
        return int(self.w3.eth.get_balance(_checksum(address)))


def _block_tag(block: int | str) -> str:
    return hex(block) if isinstance(block, int) else block


def _batch_error(answer: object) -> str:
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return str(error.get("message"))
    return "no result"


def _checksum(address: str) -> ChecksumAddress:
    if not isinstance(address, str) or not is_address(address):
        raise InputError(f"not an address: {address!r}")
    return to_checksum_address(address)


def _first_funded_key(provider: EthereumTesterProvider) -> bytes:
    """Private key of the embedded chain's first pre-funded account, from eth-tester's backend."""
    tester: Any = provider.ethereum_tester
    return bytes(tester.backend.account_keys[0].to_bytes())


def connect(
    rpc_url: str | None = None,
    *,
    private_key: SecretStr | str | None = None,
    signer: Signer | None = None,
    poll_latency: float = 0.1,
    request_timeout: float = 10.0,
    receipt_timeout: float = 120.0,
    fees: FeePolicy | None = None,
) -> Chain:
    """Connect to the node at `rpc_url` (http/https), or start an embedded chain when it is None.

    Transactions are signed by `signer`, or by a `LocalSigner` for `private_key` (give one of
    them). The embedded chain (eth-tester on py-evm) signs with its first pre-funded account
    unless one is given. Against a node, neither means a read-only connection. `fees` prices
    the transactions (the default policy when None: node estimates, no cap).

    Raises:
        ConfigError: the URL is not http(s), a timeout is not positive, the key is malformed, or
            both a key and a signer are given.
        ChainConnectionError: the node cannot be reached.
    """
    if poll_latency <= 0 or request_timeout <= 0 or receipt_timeout <= 0:
        raise ConfigError("poll_latency, request_timeout and receipt_timeout must be positive")
    if private_key is not None and signer is not None:
        raise ConfigError("give a private key or a signer, not both")
    account = LocalSigner.from_key(private_key) if private_key is not None else signer
    if rpc_url is None:
        # eth-tester and py-evm take most of a second to import: only the embedded chain needs them.
        from web3 import EthereumTesterProvider

        provider = EthereumTesterProvider()
        if account is None:
            account = LocalSigner.from_key(_first_funded_key(provider))
        w3 = Web3(provider)
        endpoint = EMBEDDED
    else:
        scheme = urlsplit(rpc_url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ConfigError(
                f"unsupported RPC URL scheme {scheme or '(none)'!r}: use http:// or https://"
            )
        w3 = Web3(_GuardedHTTPProvider(rpc_url, timeout=request_timeout))
        endpoint = display_endpoint(rpc_url)
    chain_id = int(w3.eth.chain_id)
    logger.info("connected to chain %s at %s", chain_id, endpoint)
    return Chain(
        w3=w3,
        chain_id=chain_id,
        endpoint=endpoint,
        account=account,
        poll_latency=poll_latency,
        receipt_timeout=receipt_timeout,
        fees=fees or FeePolicy(),
    )


def mine_blocks(chain: Chain, count: int = 1) -> int:
    """Mine `count` empty blocks on a development chain (embedded, Anvil, Ganache); return the head.

    Raises:
        InputError: `count` is not in 1..1000.
        ChainError: the node has no mining method (a production node).
        ChainConnectionError: the node cannot be reached.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise InputError(f"count must be an integer in 1..1000, got {count!r}")
    if chain.is_embedded:
        tester: Any = getattr(chain.w3.provider, "ethereum_tester", None)
        tester.mine_blocks(count)
    else:
        for _ in range(count):
            response = chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
            if "error" in response:
                raise ChainError(f"{chain.where} cannot mine on demand")
    return chain.block_number()


def fund(chain: Chain, address: str, wei: int) -> SentTransaction:
    """Send `wei` from the connection's account to `address`.

    Raises:
        InputError: not an address, or a negative amount.
        TransactionRejectedError: the sender cannot afford it.
        ChainConnectionError: the node cannot be reached.
    """
    if not isinstance(wei, int) or wei < 0:
        raise InputError(f"amount must be a non-negative number of wei, got {wei!r}")
    return transact(chain, to=_checksum(address), data=b"", value=wei, decoder=_TRANSFER_DECODER)


def create_funded_account(chain: Chain, *, wei: int = DEFAULT_FUNDING) -> LocalAccount:
    """A fresh random account funded with `wei` by the connection's account (tests, demos).

    Raises:
        TransactionRejectedError: the connection's account cannot afford it.
        ChainConnectionError: the node cannot be reached.
    """
    account: LocalAccount = Account.create()
    fund(chain, account.address, wei)
    return account


def fund_from_node_account(chain: Chain, address: str, wei: int = DEFAULT_FUNDING) -> None:
    """Fund `address` from the node's first unlocked account (Anvil, Ganache development nodes).

    The only `eth_sendTransaction` in the package: development nodes hold their pre-funded keys,
    so a demo can run against them without the user handling a private key.

    Raises:
        ConfigError: the node holds no unlocked account (a production node).
        TransactionRejectedError: the node refused the transfer.
        TransactionTimeoutError: the transfer was not mined in time.
        ChainConnectionError: the node cannot be reached.
    """
    accounts = list(chain.w3.eth.accounts)
    if not accounts:
        raise ConfigError(
            f"{chain.where} holds no unlocked account to fund from; give a funded account "
            "(--keystore, --private-key-file, PQORACLE_PRIVATE_KEY)"
        )
    try:
        tx_hash = chain.w3.eth.send_transaction(
            {"from": accounts[0], "to": _checksum(address), "value": Wei(wei)}
        )
        receipt = chain.w3.eth.wait_for_transaction_receipt(
            tx_hash, timeout=chain.receipt_timeout, poll_latency=chain.poll_latency
        )
    except ChainConnectionError:
        raise
    except TimeExhausted as exc:
        raise TransactionTimeoutError(
            f"funding transfer was not mined within {chain.receipt_timeout:g} s",
            tx_hash=bytes(tx_hash),
        ) from exc
    except (Web3RPCError, ValueError) as exc:
        raise TransactionRejectedError(f"{chain.where} refused the funding transfer") from exc
    if receipt["status"] != 1:
        raise TransactionRejectedError(f"{chain.where} reverted the funding transfer")
