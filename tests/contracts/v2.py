"""A small test-local driver for SignatureVerifier 2 over web3 contract objects.

The tests and the gas benchmark drive the contract through this module rather than through the
package's `Verifier` wrapper, so they check the contract's ABI as the Solidity interface defines
it: every transaction goes through `oracle.chain.transactions.transact` (dry run, decoded
reverts), every event is decoded from the receipt by name.

    deployment = deploy(chain, oracles=3, threshold=2)
    opened = deployment.requester.request(key_id, message, context, signature, fee=10)
    deployment.oracles[0].vote(opened.ballot(True))
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

from eth_abi.abi import encode as abi_encode
from eth_hash.auto import keccak
from hexbytes import HexBytes
from web3.logs import DISCARD
from web3.types import TxParams, Wei

from oracle.chain.artifacts import Artifact, load_artifact
from oracle.chain.connection import create_funded_account
from oracle.chain.deploy import deploy_artifact
from oracle.chain.encoding import commitment
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import SentTransaction, transact
from oracle.crypto import ALGORITHMS, Algorithm
from oracle.errors import OracleError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eth_typing import ABI, ChecksumAddress
    from web3.contract import Contract

    from oracle.chain.connection import Chain

CONTRACT: Final = "SignatureVerifier"
ZERO_ADDRESS: Final = "0x0000000000000000000000000000000000000000"
PAUSER_ROLE: Final = keccak(b"PAUSER_ROLE")
DEFAULT_ADMIN_ROLE: Final = bytes(32)

# Status and SkipReason, as the interface numbers them.
NONE, PENDING, VALID, INVALID, CANCELLED, EXPIRED, POSTED = range(7)
UNKNOWN_REQUEST, TERMS_MISMATCH, NOT_PENDING, SKIP_EXPIRED, ALREADY_VOTED = range(5)


@dataclass(frozen=True)
class Config:
    """`ISignatureVerifier.Config`."""

    min_fee: int = 0
    default_timeout: int = 3_600
    min_timeout: int = 60
    max_timeout: int = 86_400
    max_callback_gas_limit: int = 500_000

    def abi(self) -> tuple[int, int, int, int, int]:
        """As the ABI encodes the struct."""
        return (
            self.min_fee,
            self.default_timeout,
            self.min_timeout,
            self.max_timeout,
            self.max_callback_gas_limit,
        )


@dataclass(frozen=True)
class Terms:
    """`ISignatureVerifier.RequestTerms`: what votes and cancellations restate."""

    commitment: bytes
    requester: str
    fee: int = 0
    callback_gas_limit: int = 0

    def abi(self) -> tuple[bytes, str, int, int]:
        """As the ABI encodes the struct."""
        return (self.commitment, self.requester, self.fee, self.callback_gas_limit)


@dataclass(frozen=True)
class Opened:
    """A request as `requestVerification` opened it."""

    request_id: bytes
    key_id: bytes
    terms: Terms
    deadline: int
    nonce: int
    message: bytes
    context: bytes
    signature: bytes
    sent: SentTransaction = field(repr=False, compare=False)

    def ballot(self, valid: bool, terms: Terms | None = None) -> tuple[Any, ...]:
        """A `Vote` for this request (with other terms when given)."""
        return (self.request_id, valid, (terms or self.terms).abi())


@dataclass(frozen=True)
class Evidence:
    """`ISignatureVerifier.Evidence`: what a challenger supplies."""

    algorithm_id: int
    public_key: bytes
    message: bytes
    context: bytes
    signature: bytes

    def abi(self) -> tuple[int, bytes, bytes, bytes, bytes]:
        """As the ABI encodes the struct."""
        return (self.algorithm_id, self.public_key, self.message, self.context, self.signature)


def algorithm_of(algorithm_id: int) -> Algorithm:
    """The parameter set with identifier `algorithm_id`."""
    return next(a for a in ALGORITHMS if a.id == algorithm_id)


def request_id_of(chain_id: int, verifier: str, requester: str, nonce: int) -> bytes:
    """keccak256(abi.encode(chainid, verifier, requester, nonce)), as the contract derives ids."""
    encoded = abi_encode(
        ["uint256", "address", "address", "uint256"], [chain_id, verifier, requester, nonce]
    )
    return keccak(encoded)


def all_abis() -> ABI:
    """Every event and error the verifier and the test contracts can emit or revert with."""
    entries: list[Any] = []
    for name in (
        CONTRACT,
        "RecordingConsumer",
        "RevertingConsumer",
        "ReentrantConsumer",
        "RejectingReceiver",
    ):
        entries += [e for e in load_artifact(name).abi if e.get("type") in ("event", "error")]
    return entries


class Handle:
    """The verifier at `address`, signing as `chain`'s account."""

    def __init__(self, chain: Chain, address: str, artifact: Artifact | None = None) -> None:
        self.chain = chain
        self.artifact = artifact or load_artifact(CONTRACT)
        self.address: ChecksumAddress = chain.w3.to_checksum_address(address)
        self.contract: Contract = chain.w3.eth.contract(address=self.address, abi=self.artifact.abi)
        self.decoder = ErrorDecoder(self.artifact.name, all_abis())

    @property
    def account(self) -> ChecksumAddress:
        """The signing account."""
        return self.chain.address

    def using(self, chain: Chain) -> Handle:
        """The same contract, signing as `chain`'s account."""
        return Handle(chain, self.address, self.artifact)

    def data(self, function: str, *args: Any) -> bytes:
        """ABI-encoded call data."""
        return bytes(HexBytes(self.contract.encode_abi(function, args=list(args))))

    def send(
        self, function: str, *args: Any, value: int = 0, gas: int | None = None
    ) -> SentTransaction:
        """A transaction calling `function`; raises `ContractRevertError` on a revert."""
        return transact(
            self.chain,
            to=self.address,
            data=self.data(function, *args),
            value=value,
            decoder=self.decoder,
            gas=gas,
        )

    def call(self, function: str, *args: Any, value: int = 0, gas: int | None = None) -> Any:
        """`function`'s return value as an `eth_call` from the signing account."""
        params: TxParams = {"from": self.account, "value": Wei(value)}
        if gas is not None:
            params["gas"] = gas
        try:
            return self.contract.functions[function](*args).call(params)
        except Exception as exc:
            decoded = self.decoder.from_exception(exc)
            if decoded is not None:
                raise decoded from exc
            raise

    def events(
        self, sent: SentTransaction, name: str | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """(name, args) of every log in `sent` this ABI knows, in order; only `name` when given."""
        return decode_logs(self.chain, sent, self.artifact.abi, name)

    # --- entry points ---------------------------------------------------------------------------

    def register_key(self, algorithm_id: int, public_key: bytes) -> tuple[bytes, SentTransaction]:
        """Register a key; returns its id (as an eth_call returns it) and the transaction."""
        key_id = bytes(self.call("registerKey", algorithm_id, public_key))
        return key_id, self.send("registerKey", algorithm_id, public_key)

    def request(
        self,
        key_id: bytes,
        message: bytes,
        context: bytes,
        signature: bytes,
        *,
        fee: int = 0,
        callback_gas_limit: int = 0,
        timeout: int = 0,
        gas: int | None = None,
    ) -> Opened:
        """Open a request and return it as its `VerificationRequested` event describes it."""
        sent = self.send(
            "requestVerification",
            key_id,
            message,
            context,
            signature,
            callback_gas_limit,
            timeout,
            value=fee,
            gas=gas,
        )
        return self.opened(sent)

    def opened(self, sent: SentTransaction) -> Opened:
        """The request `sent` opened, from its event."""
        ((_, event),) = self.events(sent, "VerificationRequested")
        return Opened(
            request_id=bytes(event["requestId"]),
            key_id=bytes(event["keyId"]),
            terms=Terms(
                bytes(event["commitment"]),
                event["requester"],
                event["fee"],
                event["callbackGasLimit"],
            ),
            deadline=event["deadline"],
            nonce=event["nonce"],
            message=bytes(event["message"]),
            context=bytes(event["context"]),
            signature=bytes(event["signature"]),
            sent=sent,
        )

    def vote(self, ballot: tuple[Any, ...], *, gas: int | None = None) -> SentTransaction:
        """Cast one vote."""
        return self.send("vote", ballot, gas=gas)

    def vote_batch(self, ballots: Sequence[tuple[Any, ...]]) -> SentTransaction:
        """Cast many votes in one transaction."""
        return self.send("voteBatch", list(ballots))

    def cancel(self, opened: Opened, terms: Terms | None = None) -> SentTransaction:
        """Cancel a request (restating its terms, or `terms`)."""
        return self.send("cancel", opened.request_id, (terms or opened.terms).abi())

    def status(self, request_id: bytes) -> tuple[int, int, int, int]:
        """statusOf: (status, validVotes, invalidVotes, deadline)."""
        result = self.call("statusOf", request_id)
        return (int(result[0]), int(result[1]), int(result[2]), int(result[3]))

    def announce_and_apply(self, oracles: Sequence[str], threshold: int) -> SentTransaction:
        """Announce a change and apply it (needs a deployment with delay 0)."""
        self.send("announceOracleSetChange", list(oracles), threshold)
        return self.send("applyOracleSetChange")

    # --- on-chain verifier, optimistic mode --------------------------------------------------

    def set_onchain_verifier(
        self, algorithm_id: int, verifier: str, gas_limit: int, *, with_context: bool = False
    ) -> SentTransaction:
        """setOnchainVerifier (as the admin): the EIP-8355 form, or the form for contexts."""
        return self.send("setOnchainVerifier", algorithm_id, with_context, verifier, gas_limit)

    def set_optimistic(
        self, *, enabled: bool = True, bond: int = 10**18, window: int = 3_600
    ) -> SentTransaction:
        """setOptimisticConfig (as the admin)."""
        return self.send("setOptimisticConfig", (enabled, bond, window))

    def deposit_bond(self, amount: int) -> SentTransaction:
        """depositBond with `amount` wei."""
        return self.send("depositBond", value=amount)

    def bond(self, account: str) -> tuple[int, bool]:
        """bondOf: (free bond, barred)."""
        available, barred = self.call("bondOf", account)
        return int(available), bool(barred)

    def post(self, ballot: tuple[Any, ...]) -> SentTransaction:
        """Post a verdict (optimistic mode)."""
        return self.send("post", ballot)

    def finalize(self, opened: Opened, terms: Terms | None = None) -> SentTransaction:
        """Finalise a posted verdict (restating its terms, or `terms`)."""
        return self.send("finalize", opened.request_id, (terms or opened.terms).abi())

    def challenge(
        self,
        opened: Opened,
        evidence: Evidence,
        terms: Terms | None = None,
        *,
        gas: int | None = None,
    ) -> SentTransaction:
        """Challenge a posted verdict with `evidence` (`gas` skips the dry run and estimate)."""
        return self.send(
            "challenge", opened.request_id, (terms or opened.terms).abi(), evidence.abi(), gas=gas
        )


def decode_logs(
    chain: Chain, sent: SentTransaction, abi: ABI, name: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(event name, args) of every log of `sent` that `abi` declares, in log order."""
    contract = chain.w3.eth.contract(abi=abi)
    found: list[tuple[int, str, dict[str, Any]]] = []
    for entry in abi:
        if entry.get("type") != "event" or (name is not None and entry.get("name") != name):
            continue
        event_name = str(entry.get("name"))
        decoded = contract.events[event_name]().process_receipt(
            {"logs": list(sent.logs)},
            errors=DISCARD,
        )
        found += [(int(item["logIndex"]), event_name, dict(item["args"])) for item in decoded]
    return [(event_name, args) for _, event_name, args in sorted(found, key=lambda f: f[0])]


@dataclass(frozen=True)
class Deployment:
    """A verifier and one handle per actor."""

    chain: Chain
    admin: Handle
    oracles: list[Handle]
    pauser: Handle
    requester: Handle
    outsider: Handle
    deployed: SentTransaction = field(repr=False)

    @property
    def address(self) -> ChecksumAddress:
        """The verifier's address."""
        return self.admin.address

    def actors(self) -> list[Handle]:
        """Every handle."""
        return [self.admin, *self.oracles, self.pauser, self.requester, self.outsider]

    def handle(self, chain: Chain) -> Handle:
        """The verifier signing as `chain`'s account."""
        return self.admin.using(chain)


def deploy_verifier(
    chain: Chain,
    oracle_addresses: Sequence[str],
    *,
    threshold: int = 1,
    oracle_set_delay: int = 0,
    config: Config | None = None,
    admin: str | None = None,
    admin_delay: int = 0,
) -> tuple[Handle, SentTransaction]:
    """Deploy SignatureVerifier 2; `chain`'s account pays (and is the admin unless `admin`)."""
    artifact = load_artifact(CONTRACT)
    data = artifact.constructor_data(
        admin_delay,
        admin if admin is not None else chain.address,
        list(oracle_addresses),
        threshold,
        oracle_set_delay,
        (config or Config()).abi(),
    )
    sent = transact(chain, to=None, data=data, decoder=ErrorDecoder(CONTRACT, artifact.abi))
    if sent.contract_address is None:
        raise OracleError("the deployment receipt names no contract")
    return Handle(chain, sent.contract_address, artifact), sent


def deploy(
    chain: Chain,
    *,
    oracles: int = 3,
    threshold: int = 1,
    oracle_set_delay: int = 0,
    config: Config | None = None,
    funding: int = 10 * 10**18,
) -> Deployment:
    """Fund `oracles` oracles, a pauser, a requester and an outsider; deploy; grant PAUSER_ROLE."""
    accounts = [create_funded_account(chain, wei=funding) for _ in range(oracles + 3)]
    chains = [chain.with_account(account) for account in accounts]
    admin, sent = deploy_verifier(
        chain,
        [c.address for c in chains[:oracles]],
        threshold=threshold,
        oracle_set_delay=oracle_set_delay,
        config=config,
    )
    handles = [admin.using(c) for c in chains]
    pauser, requester, outsider = handles[oracles:]
    admin.send("grantRole", PAUSER_ROLE, pauser.account)
    return Deployment(chain, admin, handles[:oracles], pauser, requester, outsider, sent)


def deploy_contract(chain: Chain, name: str, *args: Any) -> Contract:
    """Deploy test contract `name` (contracts/test/) and return it as a web3 contract."""
    address, _ = deploy_artifact(chain, name, *args)
    return chain.w3.eth.contract(address=address, abi=load_artifact(name).abi)


def forward(
    handle: Handle, through: Contract, function: str, *args: Any, value: int = 0
) -> SentTransaction:
    """Make test contract `through` call the verifier's `function` (it becomes msg.sender)."""
    inner = handle.data(function, *args)
    data = bytes(HexBytes(through.encode_abi("forward", args=[handle.address, inner])))
    return transact(
        handle.chain, to=through.address, data=data, value=value, decoder=handle.decoder
    )


def random_payload(algorithm_id: int = 1, message_size: int = 32) -> tuple[bytes, bytes, bytes]:
    """A random public key, message and signature of the right sizes (the contract checks sizes)."""
    algorithm = algorithm_of(algorithm_id)
    return (
        os.urandom(algorithm.public_key_size),
        os.urandom(message_size),
        os.urandom(algorithm.signature_size),
    )


def open_request(
    handle: Handle,
    *,
    algorithm_id: int = 1,
    message: bytes = b"transfer 10 to bob",
    context: bytes = b"ctx",
    fee: int = 0,
    callback_gas_limit: int = 0,
    timeout: int = 0,
) -> Opened:
    """Register a random key and open a request on it with a random signature of the right size."""
    public_key, _, signature = random_payload(algorithm_id)
    key_id, _ = handle.register_key(algorithm_id, public_key)
    opened = handle.request(
        key_id,
        message,
        context,
        signature,
        fee=fee,
        callback_gas_limit=callback_gas_limit,
        timeout=timeout,
    )
    assert opened.terms.commitment == commitment(key_id, message, context, signature)
    return opened


def with_terms(opened: Opened, **changes: Any) -> Terms:
    """`opened`'s terms with some fields changed."""
    return replace(opened.terms, **changes)


def now(chain: Chain) -> int:
    """Timestamp of the latest block."""
    return int(chain.w3.eth.get_block("latest")["timestamp"])


def stamp_next_block(chain: Chain, timestamp: int) -> None:
    """Make the next block the chain mines carry `timestamp`."""
    if chain.is_embedded:
        tester: Any = chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        # eth-tester mines one block a second before the time travelled to; the next block is
        # stamped with it.
        tester.time_travel(timestamp)
    else:
        chain.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]


def advance(chain: Chain, seconds: int) -> int:
    """Move the chain's clock `seconds` on and mine a block; returns the new block's timestamp."""
    target = now(chain) + seconds
    if chain.is_embedded:
        tester: Any = chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        # eth-tester stamps the block it mines after a time travel one second short of it.
        tester.time_travel(target + 1)
    else:
        chain.w3.provider.make_request("evm_setNextBlockTimestamp", [target])  # type: ignore[arg-type]
        chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return now(chain)
