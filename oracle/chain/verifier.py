"""The SignatureVerifier contract from Python: transactions, views and logs of one deployment."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, cast

from eth_hash.auto import keccak
from eth_utils.abi import collapse_if_tuple, event_abi_to_log_topic, function_abi_to_4byte_selector
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import Web3RPCError

from oracle.chain import _args, abi
from oracle.chain.artifacts import Artifact, load_artifact
from oracle.chain.encoding import key_id
from oracle.chain.events import (
    EVENT_NAMES,
    KeyRegistered,
    VerificationRequested,
    VerifierEvent,
    event_from_log,
)
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import (
    MAX_TRANSACTION_GAS,
    Receipt,
    SentTransaction,
    SignedTransaction,
    broadcast,
    lookup_receipt,
    lookup_receipts,
    node_request_error,
    refused_call,
    sign,
    sign_replacement,
    transact,
    wait,
)
from oracle.domain import (
    Evidence,
    OptimisticConfig,
    OracleSetChange,
    Post,
    Request,
    RequestStatus,
    RequestTerms,
    Status,
    VerifierConfig,
    Vote,
)
from oracle.errors import (
    ChainConnectionError,
    ChainError,
    ContractNotFoundError,
    ContractRevertError,
    InputError,
    NodeRequestError,
)
from oracle.types import KeyId, RequestId

if TYPE_CHECKING:
    from eth_typing import ABIEvent, ABIFunction, ChecksumAddress
    from web3.contract import Contract
    from web3.types import FilterParams, LogReceipt

    from oracle.chain.connection import Chain

CONTRACT_NAME: Final = "SignatureVerifier"
#: Gas a `voteBatch` transaction plans for at most: under the per-transaction cap of 2**24
#: (EIP-7825), with room for the transaction's own cost.
VOTE_BATCH_GAS: Final = 15_000_000
#: Gas planned per vote besides its callback (a finalising vote measured ~11k on Anvil; the rest
#: is margin for a first vote's storage and a dispute's event).
VOTE_GAS: Final = 40_000
#: Requests per `statusesOf` call: the contract's `MAX_STATUS_BATCH`.
STATUS_BATCH: Final = 256

#: Gas a challenge needs beside its on-chain verifier's limit (with the 1/64 EIP-150 keeps back)
#: and its callback: calldata of the largest payload, hashing, storage, events and the oracle set
#: change (the contract's bond formula counts the same 400,000).
CHALLENGE_OVERHEAD_GAS: Final = 400_000

_E = TypeVar("_E", bound=VerifierEvent)


def vote_batches(ballots: Sequence[Vote], size: int) -> list[list[Vote]]:
    """`ballots` in order, cut into `voteBatch`es of at most `size` votes whose planned gas (each
    vote's `VOTE_GAS` plus the 64/63 of its callback gas limit a call must forward) stays within
    `VOTE_BATCH_GAS`; a ballot over that budget on its own goes alone.

    Raises:
        InputError: `size` is not a positive integer.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"a vote batch size must be a positive integer, got {size!r}")
    batches: list[list[Vote]] = []
    current: list[Vote] = []
    planned = 0
    for ballot in ballots:
        gas = VOTE_GAS + ballot.terms.callback_gas_limit * 64 // 63
        if current and (len(current) == size or planned + gas > VOTE_BATCH_GAS):
            batches.append(current)
            current, planned = [], 0
        current.append(ballot)
        planned += gas
    if current:
        batches.append(current)
    return batches


class Role(Enum):
    """The verifier's roles and their `bytes32` identifiers (oracles are a set, not a role)."""

    DEFAULT_ADMIN = bytes(32)
    PAUSER = keccak(b"PAUSER_ROLE")

    @classmethod
    def parse(cls, role: Role | str) -> Role:
        """A role from itself or a name: "PAUSER", "pauser", "PAUSER_ROLE", "default-admin".

        Raises:
            InputError: no such role (with the closest name as a hint).
        """
        if isinstance(role, Role):
            return role
        if not isinstance(role, str):
            raise InputError(f"a role must be a Role or a name, got {type(role).__name__}")
        key = role.strip().upper().replace("-", "_").replace(" ", "_").removesuffix("_ROLE")
        if key in cls.__members__:
            return cls[key]
        if key == "ORACLE":
            raise InputError(
                "oracles are a set with a threshold, not a role: use `pqoracle oracles announce`"
            )
        hint = difflib.get_close_matches(key, list(cls.__members__), n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        known = ", ".join(cls.__members__)
        raise InputError(f"unknown role {role!r}; roles: {known}.{suggestion}")


class KeyRecord:
    """What the verifier stores of a key (`keyOf`); `algorithm_id == 0` means not registered."""

    __slots__ = ("algorithm_id", "key_id", "registered_at", "registrant")

    def __init__(
        self, key_id: KeyId, algorithm_id: int, registrant: ChecksumAddress, registered_at: int
    ) -> None:
        self.key_id = key_id
        self.algorithm_id = algorithm_id
        self.registrant = registrant
        self.registered_at = registered_at

    def __repr__(self) -> str:
        return (
            f"KeyRecord(0x{self.key_id.hex()}, algorithm={self.algorithm_id}, "
            f"registered_at={self.registered_at})"
        )


def _terms(value: object) -> RequestTerms:
    if not isinstance(value, RequestTerms):
        raise InputError(f"terms must be RequestTerms, got {type(value).__name__}")
    _args.bytes32(value.commitment, "commitment")
    _args.address(value.requester, "requester")
    _args.uint(value.fee, 96, "fee")
    _args.uint(value.callback_gas_limit, 32, "callback gas limit")
    return value


def _evidence(value: object) -> Evidence:
    if not isinstance(value, Evidence):
        raise InputError(f"evidence must be Evidence, got {type(value).__name__}")
    _args.uint(value.algorithm_id, 8, "algorithm id")
    for name in ("public_key", "message", "context", "signature"):
        _args.as_bytes(getattr(value, name), name.replace("_", " "))
    return value


def _post(value: Any) -> Post:
    poster, bond, valid, finalizes_at = value
    return Post(to_checksum_address(poster), int(bond), bool(valid), int(finalizes_at))


def _status(entry: Sequence[Any]) -> RequestStatus:
    """A `RequestStatus` from its ABI tuple (status, valid votes, invalid votes, deadline)."""
    status, valid_votes, invalid_votes, deadline = entry
    return RequestStatus(Status(status), int(valid_votes), int(invalid_votes), int(deadline))


def _vote(value: object) -> Vote:
    if not isinstance(value, Vote):
        raise InputError(f"a ballot must be a Vote, got {type(value).__name__}")
    _args.bytes32(value.request_id, "request id")
    if not isinstance(value.valid, bool):
        raise InputError(f"valid must be a bool, got {type(value.valid).__name__}")
    _terms(value.terms)
    return value


class _View(NamedTuple):
    """A function's selector and ABI types, resolved once per verifier."""

    selector: bytes
    inputs: list[str]
    outputs: list[str]


class _EventLayout(NamedTuple):
    """Where an event's arguments sit in a log: names and ABI types of the indexed ones (the
    topics after the first, all static types here) and of the rest (the data)."""

    name: str
    indexed: list[tuple[str, str]]
    data_names: list[str]
    data_types: list[str]


def _layout(event: ABIEvent) -> _EventLayout:
    inputs = event.get("inputs", [])
    return _EventLayout(
        event["name"],
        [(i["name"], collapse_if_tuple(dict(i))) for i in inputs if i.get("indexed")],
        [i["name"] for i in inputs if not i.get("indexed")],
        [collapse_if_tuple(dict(i)) for i in inputs if not i.get("indexed")],
    )


def _raw(value: Any) -> bytes:
    """Bytes of a log field as web3 formats it (bytes) or as a node sends it (a hex string)."""
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _number(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


class Verifier:
    """A deployed SignatureVerifier, used through one connection (its account signs)."""

    def __init__(self, chain: Chain, address: str, *, artifact: Artifact | None = None) -> None:
        """Attach to the verifier at `address`.

        Raises:
            InputError: `address` is not an address.
            ContractNotFoundError: there is no contract code at `address` on this chain.
            ChainConnectionError: the node cannot be reached.
        """
        self.chain = chain
        self.address: ChecksumAddress = _args.address(address, "verifier address")
        self.artifact = artifact or load_artifact(CONTRACT_NAME)
        self.errors = ErrorDecoder(CONTRACT_NAME, self.artifact.abi)
        if not chain.w3.eth.get_code(self.address):
            raise ContractNotFoundError(
                f"no contract at {self.address} on chain {chain.chain_id} ({chain.where})"
            )
        self._contract: Contract = chain.w3.eth.contract(
            address=self.address, abi=self.artifact.abi
        )
        self._views: dict[str, _View] = {}
        #: Whether the deployment has `statusesOf` (a verifier deployed before it has not: its
        #: requests are then read one `statusOf`/`isCommitted` call each).
        self._batch_view = True
        self._events: dict[bytes, str] = {}
        self._layouts: dict[bytes, _EventLayout] = {}
        for entry in self.artifact.abi:
            if entry.get("type") == "event" and entry.get("name") in EVENT_NAMES:
                event_abi = cast("ABIEvent", entry)
                topic = bytes(event_abi_to_log_topic(event_abi))
                self._events[topic] = event_abi["name"]
                self._layouts[topic] = _layout(event_abi)

    def __repr__(self) -> str:
        return f"Verifier({self.address}, chain={self.chain!r})"

    def using(self, chain: Chain) -> Verifier:
        """The same verifier, with transactions signed by `chain`'s account.

        Raises:
            ContractNotFoundError: `chain` is another chain without this contract.
        """
        return Verifier(chain, self.address, artifact=self.artifact)

    # --- transactions -----------------------------------------------------------------------

    def encode(self, function: str, *args: Any) -> bytes:
        """Calldata of `function(*args)`."""
        return bytes(HexBytes(self._contract.encode_abi(function, args=list(args))))

    def _transact(self, function: str, *args: Any, value: int = 0) -> SentTransaction:
        data = self.encode(function, *args)
        return transact(self.chain, to=self.address, data=data, value=value, decoder=self.errors)

    def wait(self, tx_hash: bytes) -> SentTransaction:
        """Wait for a transaction sent with `broadcast` and return its receipt.

        Raises:
            TransactionTimeoutError: not mined within the connection's receipt timeout.
            ContractRevertError: mined but reverted (decoded by replaying it).
            ChainConnectionError: the node cannot be reached.
        """
        return wait(self.chain, tx_hash, decoder=self.errors)

    def _only_event(self, sent: SentTransaction, kind: type[_E]) -> _E:
        found = [event for event in self.events_in(sent) if isinstance(event, kind)]
        if len(found) != 1:
            raise ChainError(
                f"transaction 0x{sent.tx_hash.hex()} logged {len(found)} {kind.__name__} events; "
                "the node's receipt is inconsistent"
            )
        return found[0]

    def register_key(self, algorithm_id: int, public_key: bytes) -> KeyId:
        """Register a public key (or find it registered) and return its key id.

        Raises:
            InputError: `algorithm_id` is not a uint8 or `public_key` is not bytes.
            ContractRevertError: e.g. SanitizerUnsupportedAlgorithm,
                SanitizerInvalidPublicKeyLength, EnforcedPause.
            TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
        """
        return self.register_key_tx(algorithm_id, public_key)[0]

    def register_key_tx(
        self, algorithm_id: int, public_key: bytes
    ) -> tuple[KeyId, SentTransaction, KeyRegistered | None]:
        """Register a public key; return its id, the transaction and the `KeyRegistered` event
        (None when the key was registered already)."""
        algorithm = _args.uint(algorithm_id, 8, "algorithm id")
        raw = _args.as_bytes(public_key, "public key")
        sent = self._transact("registerKey", algorithm, raw)
        found = [e for e in self.events_in(sent) if isinstance(e, KeyRegistered)]
        # The transaction succeeded, so the key has its algorithm's size: `key_id` cannot raise.
        key = key_id(algorithm, raw)
        return key, sent, found[0] if found else None

    def request_verification(
        self,
        key_id: KeyId | bytes,
        message: bytes,
        context: bytes,
        signature: bytes,
        *,
        fee: int = 0,
        callback_gas_limit: int = 0,
        timeout: int = 0,
    ) -> RequestId:
        """Open a request and return its id (see `request_verification_tx` for errors)."""
        request, _ = self.request_verification_tx(
            key_id,
            message,
            context,
            signature,
            fee=fee,
            callback_gas_limit=callback_gas_limit,
            timeout=timeout,
        )
        return request.request_id

    def request_verification_tx(
        self,
        key_id: KeyId | bytes,
        message: bytes,
        context: bytes,
        signature: bytes,
        *,
        fee: int = 0,
        callback_gas_limit: int = 0,
        timeout: int = 0,
    ) -> tuple[Request, SentTransaction]:
        """Open a verification request paying `fee` wei; return the request and the transaction.

        Raises:
            InputError: an argument out of its ABI range.
            ContractRevertError: e.g. VerifierUnknownKey, SanitizerInvalidSignatureLength,
                VerifierFeeTooLow, VerifierTimeoutOutOfRange, VerifierCallbackGasTooHigh,
                EnforcedPause.
            TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
        """
        sent = self._transact(
            "requestVerification",
            _args.bytes32(key_id, "key id"),
            _args.as_bytes(message, "message"),
            _args.as_bytes(context, "context"),
            _args.as_bytes(signature, "signature"),
            _args.uint(callback_gas_limit, 32, "callback gas limit"),
            _args.uint(timeout, 32, "timeout"),
            value=_args.uint(fee, 96, "fee"),
        )
        return self._only_event(sent, VerificationRequested).to_request(), sent

    def request_verification_with_key_tx(
        self,
        algorithm_id: int,
        public_key: bytes,
        message: bytes,
        context: bytes,
        signature: bytes,
        *,
        fee: int = 0,
        callback_gas_limit: int = 0,
        timeout: int = 0,
    ) -> tuple[Request, SentTransaction]:
        """Open a request carrying its public key inline (registered on the way if new).

        Raises:
            see `register_key` and `request_verification_tx`.
        """
        sent = self._transact(
            "requestVerificationWithKey",
            _args.uint(algorithm_id, 8, "algorithm id"),
            _args.as_bytes(public_key, "public key"),
            _args.as_bytes(message, "message"),
            _args.as_bytes(context, "context"),
            _args.as_bytes(signature, "signature"),
            _args.uint(callback_gas_limit, 32, "callback gas limit"),
            _args.uint(timeout, 32, "timeout"),
            value=_args.uint(fee, 96, "fee"),
        )
        return self._only_event(sent, VerificationRequested).to_request(), sent

    def _batch_data(self, ballots: Sequence[Vote]) -> bytes:
        checked = [_vote(ballot) for ballot in ballots]
        if not checked:
            raise InputError("a vote batch needs at least one vote")
        # Encoded with the function's cached ABI types (web3 resolves its ABI again each time).
        view = self._view("voteBatch")
        return view.selector + abi.encode(view.inputs, [[ballot.as_abi() for ballot in checked]])

    def sign_vote_batch(self, ballots: Sequence[Vote]) -> SignedTransaction:
        """Dry-run and sign a batch of votes without sending it, for callers that record it first.

        Raises:
            InputError: a malformed ballot or an empty batch.
            ContractRevertError: e.g. VerifierNotOracle, EnforcedPause (entries the contract
                would refuse are skipped by it, not reverted).
            TransactionRejectedError, ChainConnectionError: simulating.
        """
        data = self._batch_data(ballots)
        return sign(self.chain, to=self.address, data=data, decoder=self.errors)

    def vote_batch(self, ballots: Sequence[Vote]) -> SentTransaction:
        """Cast many votes in one transaction and wait for it (see `sign_vote_batch`)."""
        data = self._batch_data(ballots)
        return transact(self.chain, to=self.address, data=data, decoder=self.errors)

    def vote(self, ballot: Vote) -> SentTransaction:
        """Cast one vote and wait for it.

        Raises:
            ContractRevertError: VerifierNotOracle, VerifierUnknownRequest, VerifierTermsMismatch,
                VerifierRequestNotPending, VerifierRequestExpired, VerifierAlreadyVoted,
                VerifierInsufficientGasForCallback, EnforcedPause.
        """
        return self._transact("vote", _vote(ballot).as_abi())

    # --- optimistic mode -------------------------------------------------------------------

    def _sign(self, function: str, *args: Any, value: int = 0) -> SignedTransaction:
        data = self.encode(function, *args)
        return sign(self.chain, to=self.address, data=data, value=value, decoder=self.errors)

    def set_onchain_verifier(
        self, algorithm_id: int, verifier: str, gas_limit: int, *, with_context: bool = False
    ) -> SentTransaction:
        """Set the on-chain verifier of a parameter set (the signer is the admin): the EIP-8355
        one for empty contexts, or with `with_context` an `IMLDSAVerifier` for the others.

        Raises:
            ContractRevertError: AccessControlUnauthorizedAccount, SanitizerUnsupportedAlgorithm,
                VerifierInvalidOnchainVerifier.
        """
        return self._transact(
            "setOnchainVerifier",
            _args.uint(algorithm_id, 8, "algorithm id"),
            bool(with_context),
            _args.address(verifier, "on-chain verifier"),
            _args.uint(gas_limit, 32, "gas limit"),
        )

    def set_optimistic_config(self, config: OptimisticConfig) -> SentTransaction:
        """Choose the mode, the bond per post and the challenge window (the signer is the admin).

        Raises:
            ContractRevertError: AccessControlUnauthorizedAccount, VerifierInvalidOptimisticConfig.
        """
        if not isinstance(config, OptimisticConfig):
            raise InputError(f"config must be OptimisticConfig, got {type(config).__name__}")
        _args.uint(config.bond, 96, "bond")
        _args.uint(config.challenge_window, 32, "challenge window")
        return self._transact("setOptimisticConfig", config.as_abi())

    def deposit_bond(self, amount: int) -> SentTransaction:
        """Add `amount` wei to the signer's bond and wait for it.

        Raises:
            ContractRevertError: VerifierZeroDeposit.
        """
        return self._transact("depositBond", value=_args.uint(amount, 256, "amount"))

    def sign_deposit_bond(self, amount: int) -> SignedTransaction:
        """Dry-run and sign `depositBond` of `amount` wei without sending it (record it first)."""
        return self._sign("depositBond", value=_args.uint(amount, 256, "amount"))

    def withdraw_bond(self, amount: int, to: str | None = None) -> SentTransaction:
        """Take `amount` wei of the signer's free bond out to `to` (itself by default).

        Raises:
            ContractRevertError: VerifierInsufficientBond, VerifierTransferFailed.
        """
        target = _args.address(to, "recipient") if to is not None else self.chain.address
        return self._transact("withdrawBond", _args.uint(amount, 256, "amount"), target)

    def post(self, ballot: Vote) -> SentTransaction:
        """Post one verdict (optimistic mode) and wait for it.

        Raises:
            ContractRevertError: VerifierNotOracle, VerifierWrongMode, VerifierPosterBarred,
                VerifierInsufficientBond, VerifierUnknownRequest, VerifierTermsMismatch,
                VerifierRequestNotPending (posted already), VerifierRequestExpired, EnforcedPause.
        """
        return self._transact("post", _vote(ballot).as_abi())

    def sign_post(self, ballot: Vote) -> SignedTransaction:
        """Dry-run and sign a `post` without sending it, for callers that record it first
        (errors as `post`)."""
        return self._sign("post", _vote(ballot).as_abi())

    def finalize(self, request_id: RequestId | bytes, terms: RequestTerms) -> SentTransaction:
        """Make a posted verdict final once its window is over (anyone may) and wait for it.

        Raises:
            ContractRevertError: VerifierNotPosted, VerifierTermsMismatch,
                VerifierChallengeWindowOpen, VerifierInsufficientGasForCallback, EnforcedPause.
        """
        return self._transact(
            "finalize", _args.bytes32(request_id, "request id"), _terms(terms).as_abi()
        )

    def sign_finalize(
        self, request_id: RequestId | bytes, terms: RequestTerms
    ) -> SignedTransaction:
        """Dry-run and sign a `finalize` without sending it (errors as `finalize`)."""
        return self._sign(
            "finalize", _args.bytes32(request_id, "request id"), _terms(terms).as_abi()
        )

    def challenge_gas(self, terms: RequestTerms, evidence: Evidence) -> int:
        """The gas limit of a challenge: the on-chain verifier's limit with the 1/64 a call keeps
        back, its callback likewise, and `CHALLENGE_OVERHEAD_GAS`, within the per-transaction cap.

        Raises:
            InputError: malformed terms or evidence.
        """
        with_context = len(_evidence(evidence).context) > 0
        # No verifier (gas 0) leaves the overhead: the dry run then reverts with
        # VerifierOnchainUnavailable, the contract's own word for it.
        _, gas_limit = self.onchain_verifier_of(evidence.algorithm_id, with_context)
        planned = (
            gas_limit * 64 // 63
            + _terms(terms).callback_gas_limit * 64 // 63
            + CHALLENGE_OVERHEAD_GAS
        )
        return min(planned, MAX_TRANSACTION_GAS, self.chain.block_gas_limit())

    def _challenge_data(
        self, request_id: RequestId | bytes, terms: RequestTerms, evidence: Evidence
    ) -> bytes:
        return self.encode(
            "challenge",
            _args.bytes32(request_id, "request id"),
            _terms(terms).as_abi(),
            _evidence(evidence).as_abi(),
        )

    def sign_challenge(
        self, request_id: RequestId | bytes, terms: RequestTerms, evidence: Evidence
    ) -> SignedTransaction:
        """Dry-run (one call, with the challenge's own gas limit) and sign a `challenge` without
        sending it, for callers that record it first.

        No gas estimate: an estimate runs the on-chain verifier many times over (a binary
        search), millions of gas each; the limit is computed instead (`challenge_gas`).

        Raises:
            ContractRevertError: VerifierNotPosted, VerifierTermsMismatch,
                VerifierChallengeWindowClosed, VerifierEvidenceMismatch,
                VerifierOnchainUnavailable, VerifierInsufficientGasForOnchainVerify.
            TransactionRejectedError, ChainConnectionError: simulating or signing.
        """
        data = self._challenge_data(request_id, terms, evidence)
        gas = self.challenge_gas(terms, evidence)
        call: dict[str, Any] = {
            "from": self.chain.address,
            "to": self.address,
            "data": HexBytes(data),
            "gas": gas,
        }
        try:
            self.chain.w3.eth.call(cast("Any", call))
        except ChainConnectionError:
            raise
        except Exception as exc:
            decoded = self.errors.from_exception(exc)
            if decoded is None:
                raise
            raise decoded from exc
        return sign(self.chain, to=self.address, data=data, decoder=self.errors, gas=gas)

    def challenge(
        self, request_id: RequestId | bytes, terms: RequestTerms, evidence: Evidence
    ) -> SentTransaction:
        """Challenge a posted verdict, wait for it, and return the transaction (its
        `VerdictChallenged` event says whether it was overturned); errors as `sign_challenge`."""
        signed = self.sign_challenge(request_id, terms, evidence)
        self.broadcast(signed)
        return self.wait(signed.tx_hash)

    def sign_replacement(self, raw: bytes) -> SignedTransaction:
        """Re-sign a transaction from `sign_vote_batch` with the same nonce and votes and fees
        bumped by at least 12.5%, without sending it (see `transactions.sign_replacement`).

        Raises:
            FeeCapError: the bump would pass the connection's fee cap.
            InputError: `raw` is not a transaction of this connection's account and chain.
            SignerError, ChainConnectionError: signing, or estimating the fees.
        """
        return sign_replacement(self.chain, raw)

    def broadcast(self, signed: SignedTransaction) -> bytes:
        """Send a transaction from `sign_vote_batch` (again after a crash: the same bytes).

        Raises:
            NonceConflictError: its nonce went to another transaction.
            TransactionRejectedError, ChainConnectionError: sending.
        """
        return broadcast(self.chain, signed)

    def lookup_receipt(self, tx_hash: bytes) -> Receipt | None:
        """Where a transaction was mined and whether it succeeded; None while it is not mined.

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        return lookup_receipt(self.chain, tx_hash)

    def lookup_receipts(self, tx_hashes: Sequence[bytes]) -> dict[bytes, Receipt | None]:
        """`lookup_receipt` of each transaction, by hash, read together (one JSON-RPC batch on a
        node).

        Raises:
            ChainConnectionError: the node cannot be reached.
            NodeRequestError: the node answered with an error.
        """
        return lookup_receipts(self.chain, tx_hashes)

    def cancel(self, request_id: RequestId | bytes, terms: RequestTerms) -> SentTransaction:
        """Cancel a request past its deadline and get its fee back (the signer is its requester).

        Raises:
            ContractRevertError: VerifierNotRequester, VerifierUnknownRequest,
                VerifierTermsMismatch, VerifierRequestNotPending, VerifierRequestNotExpired.
        """
        return self._transact(
            "cancel", _args.bytes32(request_id, "request id"), _terms(terms).as_abi()
        )

    def withdraw(self, to: str | None = None) -> SentTransaction:
        """Send the signing oracle's earned fees to `to` (itself by default).

        Raises:
            ContractRevertError: VerifierNothingToWithdraw, VerifierTransferFailed.
        """
        target = _args.address(to, "recipient") if to is not None else self.chain.address
        return self._transact("withdraw", target)

    def announce_oracle_set_change(self, oracles: Sequence[str], threshold: int) -> SentTransaction:
        """Announce the oracle set and threshold in force after the deployment's delay.

        Raises:
            InputError: not addresses, or a threshold that is not a uint8.
            ContractRevertError: AccessControlUnauthorizedAccount, VerifierInvalidOracle,
                VerifierTooManyOracles, VerifierInvalidThreshold.
        """
        members = [_args.address(o, "oracle") for o in oracles]
        return self._transact(
            "announceOracleSetChange", members, _args.uint(threshold, 8, "threshold")
        )

    def cancel_oracle_set_change(self) -> SentTransaction:
        """Withdraw the announced oracle set change (the signer is the admin)."""
        return self._transact("cancelOracleSetChange")

    def apply_oracle_set_change(self) -> SentTransaction:
        """Put the announced oracle set change in force once it is due (anyone may).

        Raises:
            ContractRevertError: VerifierNoOracleSetChange, VerifierOracleSetChangeNotDue,
                VerifierOracleSlotsExhausted.
        """
        return self._transact("applyOracleSetChange")

    def set_config(self, config: VerifierConfig) -> SentTransaction:
        """Set fees, timeouts and the callback gas cap (the signer is the admin).

        Raises:
            ContractRevertError: AccessControlUnauthorizedAccount, VerifierInvalidTimeouts.
        """
        return self._transact("setConfig", config.as_abi())

    def grant_role(self, role: Role | str, account: str) -> SentTransaction:
        """Grant `role` to `account` (the signer needs DEFAULT_ADMIN).

        Raises:
            InputError: unknown role or not an address.
            ContractRevertError: AccessControlUnauthorizedAccount, or
                AccessControlEnforcedDefaultAdminRules for DEFAULT_ADMIN (use the admin transfer).
        """
        return self._transact(
            "grantRole", Role.parse(role).value, _args.address(account, "account")
        )

    def revoke_role(self, role: Role | str, account: str) -> SentTransaction:
        """Revoke `role` from `account` (the signer needs DEFAULT_ADMIN)."""
        return self._transact(
            "revokeRole", Role.parse(role).value, _args.address(account, "account")
        )

    def renounce_role(self, role: Role | str) -> SentTransaction:
        """Give up `role` held by the signing account."""
        return self._transact("renounceRole", Role.parse(role).value, self.chain.address)

    def pause(self) -> SentTransaction:
        """Stop registrations, requests and votes (the signer needs PAUSER)."""
        return self._transact("pause")

    def unpause(self) -> SentTransaction:
        """Resume after `pause` (the signer needs PAUSER)."""
        return self._transact("unpause")

    def begin_admin_transfer(self, new_admin: str) -> SentTransaction:
        """Step one of handing DEFAULT_ADMIN to `new_admin` (the signer is the admin)."""
        return self._transact("beginDefaultAdminTransfer", _args.address(new_admin, "new admin"))

    def accept_admin_transfer(self) -> SentTransaction:
        """Step two: the pending admin takes DEFAULT_ADMIN once the delay has passed."""
        return self._transact("acceptDefaultAdminTransfer")

    def cancel_admin_transfer(self) -> SentTransaction:
        """Withdraw a pending admin transfer (the signer is the admin)."""
        return self._transact("cancelDefaultAdminTransfer")

    # --- views --------------------------------------------------------------------------------

    def _view(self, function: str) -> _View:
        view = self._views.get(function)
        if view is None:
            matches = [
                entry
                for entry in self.artifact.abi
                if entry.get("type") == "function" and entry.get("name") == function
            ]
            if len(matches) != 1:
                raise ChainError(f"{CONTRACT_NAME} has {len(matches)} functions named {function}")
            entry = cast("ABIFunction", matches[0])
            view = _View(
                bytes(function_abi_to_4byte_selector(entry)),
                [collapse_if_tuple(dict(arg)) for arg in entry.get("inputs", [])],
                [collapse_if_tuple(dict(arg)) for arg in entry.get("outputs", [])],
            )
            self._views[function] = view
        return view

    def _call(self, function: str, *args: Any, block: int | None = None) -> Any:
        # Encoded and decoded here with the function's cached ABI types: web3's contract objects
        # resolve the ABI and hash every signature again on each call (most of the daemon's CPU).
        view = self._view(function)
        data = view.selector + abi.encode(view.inputs, args)
        if self.chain.batches:
            # The node's JSON as it is: web3's request and result formatting cost a daemon
            # cycle more than the call.
            tag = "latest" if block is None else hex(_args.block(block, "block"))
            call = {"to": self.address, "data": "0x" + data.hex()}
            [answer] = self.chain.rpc_answers([("eth_call", [call, tag])])
            if "error" in answer or "result" not in answer:
                raise refused_call(self.chain, answer, self.errors)
            raw = bytes.fromhex(answer["result"][2:])
        else:
            try:
                raw = self.chain.w3.eth.call(
                    {"to": self.address, "data": HexBytes(data)},
                    "latest" if block is None else _args.block(block, "block"),
                    ccip_read_enabled=False,
                )
            except ChainConnectionError:
                raise
            except Exception as exc:
                decoded = self.errors.from_exception(exc)
                if decoded is None:
                    raise
                raise decoded from exc
        values = abi.decode(view.outputs, bytes(raw))
        return values[0] if len(values) == 1 else values

    def _call_many(
        self, function: str, arguments: Sequence[tuple[Any, ...]], *, block: int | None = None
    ) -> list[Any]:
        """`_call(function, *args)` for each of `arguments`, in one JSON-RPC batch where the node
        takes batches (one request instead of one per call)."""
        if not self.chain.batches or len(arguments) < 2:
            return [self._call(function, *args, block=block) for args in arguments]
        view = self._view(function)
        tag = "latest" if block is None else hex(_args.block(block, "block"))
        calls = [
            (
                "eth_call",
                [
                    {
                        "to": self.address,
                        "data": "0x" + (view.selector + abi.encode(view.inputs, args)).hex(),
                    },
                    tag,
                ],
            )
            for args in arguments
        ]
        try:
            answers = self.chain.rpc_batch(calls)
        except NodeRequestError:
            # An error answer (a revert, a missing block) is decoded by the single calls.
            return [self._call(function, *args, block=block) for args in arguments]
        results = []
        for answer in answers:
            values = abi.decode(view.outputs, bytes.fromhex(answer[2:]))
            results.append(values[0] if len(values) == 1 else values)
        return results

    def type_and_version(self) -> str:
        """The contract's `typeAndVersion()`, e.g. "SignatureVerifier 2.1.0"."""
        return str(self._call("typeAndVersion"))

    def status_of(
        self, request_id: RequestId | bytes, *, block: int | None = None
    ) -> RequestStatus:
        """Status, current votes and deadline of a request, at `block` or the latest one.

        Raises:
            InputError: `request_id` is not 32 bytes.
        """
        return _status(self._call("statusOf", _args.bytes32(request_id, "request id"), block=block))

    def statuses_of(
        self, request_ids: Sequence[RequestId | bytes], *, block: int | None = None
    ) -> list[RequestStatus]:
        """`status_of` of each request, read together (one `statusesOf` call per
        `STATUS_BATCH` requests).

        Raises:
            InputError: a request id is not 32 bytes.
        """
        ids = [_args.bytes32(r, "request id") for r in request_ids]
        return [status for status, _ in self._states(ids, None, block)]

    def is_committed(
        self, request_id: RequestId | bytes, terms: RequestTerms, *, block: int | None = None
    ) -> bool:
        """Whether `terms` are those the contract holds for `request_id` (at `block`)."""
        return bool(
            self._call(
                "isCommitted",
                _args.bytes32(request_id, "request id"),
                _terms(terms).as_abi(),
                block=block,
            )
        )

    def are_committed(
        self,
        requests: Sequence[tuple[RequestId | bytes, RequestTerms]],
        *,
        block: int | None = None,
    ) -> list[bool]:
        """`is_committed` of each (request id, terms), read together (see `states_of`).

        Raises:
            InputError: a request id is not 32 bytes or terms are malformed.
        """
        return [held for _, held in self.states_of(requests, block=block)]

    def states_of(
        self,
        requests: Sequence[tuple[RequestId | bytes, RequestTerms]],
        *,
        block: int | None = None,
    ) -> list[tuple[RequestStatus, bool]]:
        """`status_of` and `is_committed` of each (request id, terms), read together: one
        `statusesOf` call per `STATUS_BATCH` requests, which a node runs once (a JSON-RPC batch
        of single calls still costs it one call each).

        Raises:
            InputError: a request id is not 32 bytes or terms are malformed.
        """
        ids = [_args.bytes32(request_id, "request id") for request_id, _ in requests]
        terms = [_terms(t).as_abi() for _, t in requests]
        return self._states(ids, terms, block)

    def _states(
        self, ids: list[bytes], terms: list[tuple[Any, ...]] | None, block: int | None
    ) -> list[tuple[RequestStatus, bool]]:
        """Statuses of `ids` and, with `terms`, whether each request holds its terms (False for
        every one without)."""
        found: list[tuple[RequestStatus, bool]] = []
        for start in range(0, len(ids), STATUS_BATCH):
            if not self._batch_view:
                return self._states_one_by_one(ids, terms, block)
            chunk = ids[start : start + STATUS_BATCH]
            chunk_terms = [] if terms is None else terms[start : start + STATUS_BATCH]
            try:
                statuses, committed = self._call("statusesOf", chunk, chunk_terms, block=block)
            except ContractRevertError as err:
                if err.error_name is not None or err.data:
                    raise
                # Reverted without a word: the deployment predates `statusesOf`.
                self._batch_view = False
                return self._states_one_by_one(ids, terms, block)
            if len(statuses) != len(chunk) or len(committed) != len(chunk_terms):
                raise NodeRequestError(
                    f"{self.chain.where} answered statusesOf for {len(chunk)} requests with "
                    f"{len(statuses)} statuses and {len(committed)} commitment checks"
                )
            held = committed if terms is not None else [False] * len(chunk)
            found.extend((_status(entry), bool(h)) for entry, h in zip(statuses, held, strict=True))
        return found

    def _states_one_by_one(
        self, ids: list[bytes], terms: list[tuple[Any, ...]] | None, block: int | None
    ) -> list[tuple[RequestStatus, bool]]:
        """`_states` from `statusOf` and `isCommitted` calls, one per request (in JSON-RPC
        batches where the node takes them): a verifier deployed before `statusesOf`."""
        answers = self._call_many("statusOf", [(i,) for i in ids], block=block)
        statuses = [_status(entry) for entry in answers]
        if terms is None:
            return [(status, False) for status in statuses]
        committed = self._call_many("isCommitted", list(zip(ids, terms, strict=True)), block=block)
        return [(status, bool(held)) for status, held in zip(statuses, committed, strict=True)]

    def request_id_of(self, requester: str, nonce: int) -> RequestId:
        """The id of `requester`'s `nonce`-th request on this verifier."""
        return RequestId(
            bytes(
                self._call(
                    "requestIdOf",
                    _args.address(requester, "requester"),
                    _args.uint(nonce, 256, "nonce"),
                )
            )
        )

    def request_count_of(self, requester: str, *, block: int | None = None) -> int:
        """How many requests `requester` has opened."""
        return int(self._call("requestCountOf", _args.address(requester, "requester"), block=block))

    def key_of(self, key_id: KeyId | bytes, *, block: int | None = None) -> KeyRecord:
        """Stored record of a key (algorithm 0 when not registered), at `block` or the latest.

        Raises:
            InputError: `key_id` is not 32 bytes.
        """
        kid = _args.bytes32(key_id, "key id")
        algorithm, registrant, registered_at = self._call("keyOf", kid, block=block)
        return KeyRecord(
            KeyId(kid), int(algorithm), to_checksum_address(registrant), int(registered_at)
        )

    def key_algorithm(self, key_id: KeyId | bytes) -> int:
        """Algorithm id of a registered key, 0 when it is not registered."""
        return int(self._call("keyAlgorithm", _args.bytes32(key_id, "key id")))

    def is_key_registered(self, key_id: KeyId | bytes) -> bool:
        """Whether a key id is registered."""
        return bool(self._call("isKeyRegistered", _args.bytes32(key_id, "key id")))

    def oracles(self, *, block: int | None = None) -> tuple[ChecksumAddress, ...]:
        """The current oracle set."""
        return tuple(to_checksum_address(a) for a in self._call("oracles", block=block))

    def threshold(self, *, block: int | None = None) -> int:
        """Votes that must agree for a request to become final."""
        return int(self._call("threshold", block=block))

    def is_oracle(self, account: str, *, block: int | None = None) -> bool:
        """Whether `account` is in the current oracle set."""
        return bool(self._call("isOracle", _args.address(account, "account"), block=block))

    def pending_oracle_set_change(self) -> OracleSetChange:
        """The announced oracle set change (`effective_at == 0` when none)."""
        oracles, threshold, effective_at = self._call("pendingOracleSetChange")
        return OracleSetChange(
            tuple(to_checksum_address(a) for a in oracles), int(threshold), int(effective_at)
        )

    def oracle_set_delay(self) -> int:
        """Seconds between announcing an oracle set change and its effect."""
        return int(self._call("oracleSetDelay"))

    def config(self) -> VerifierConfig:
        """The current fee, timeout and callback settings."""
        return VerifierConfig(*(int(v) for v in self._call("config")))

    def earned_of(self, oracle: str) -> int:
        """Fees `oracle` has earned and not withdrawn, in wei."""
        return int(self._call("earnedOf", _args.address(oracle, "oracle")))

    def optimistic_config(self, *, block: int | None = None) -> OptimisticConfig:
        """The mode, the bond each post locks and the challenge window."""
        enabled, bond, window = self._call("optimisticConfig", block=block)
        return OptimisticConfig(bool(enabled), int(bond), int(window))

    def post_of(self, request_id: RequestId | bytes, *, block: int | None = None) -> Post:
        """The verdict posted on a request and awaiting its window (poster zero when none).

        Raises:
            InputError: `request_id` is not 32 bytes.
        """
        return _post(self._call("postOf", _args.bytes32(request_id, "request id"), block=block))

    def posts_of(
        self, request_ids: Sequence[RequestId | bytes], *, block: int | None = None
    ) -> list[Post]:
        """`post_of` of each request, read together (one JSON-RPC batch on a node)."""
        arguments = [(_args.bytes32(r, "request id"),) for r in request_ids]
        return [_post(v) for v in self._call_many("postOf", arguments, block=block)]

    def bond_of(self, account: str, *, block: int | None = None) -> tuple[int, bool]:
        """`account`'s free bond in wei and whether it is barred from posting."""
        available, barred = self._call(
            "bondOf", _args.address(account, "account"), block=block
        )
        return int(available), bool(barred)

    def onchain_verifier_of(
        self, algorithm_id: int, with_context: bool = False
    ) -> tuple[ChecksumAddress, int]:
        """The on-chain verifier of a parameter set for empty contexts (or, with `with_context`,
        for the others) and the gas it is called with; the zero address when none."""
        verifier, gas_limit = self._call(
            "onchainVerifierOf", _args.uint(algorithm_id, 8, "algorithm id"), bool(with_context)
        )
        return to_checksum_address(verifier), int(gas_limit)

    def has_role(self, role: Role | str, account: str) -> bool:
        """Whether `account` holds `role`."""
        return bool(
            self._call("hasRole", Role.parse(role).value, _args.address(account, "account"))
        )

    def paused(self) -> bool:
        """Whether the verifier is paused."""
        return bool(self._call("paused"))

    def default_admin(self) -> ChecksumAddress:
        """The current DEFAULT_ADMIN holder (the zero address after it was renounced)."""
        return to_checksum_address(self._call("defaultAdmin"))

    def pending_default_admin(self) -> tuple[ChecksumAddress, int]:
        """The pending admin and the timestamp after which it may accept (zero when none)."""
        new_admin, schedule = self._call("pendingDefaultAdmin")
        return to_checksum_address(new_admin), int(schedule)

    def default_admin_delay(self) -> int:
        """Seconds an admin transfer must wait between its two steps."""
        return int(self._call("defaultAdminDelay"))

    # --- logs ---------------------------------------------------------------------------------

    def _decode(self, log: LogReceipt | dict[str, Any]) -> VerifierEvent | None:
        """The event a log records, from a web3 receipt or a node's raw answer (hex strings);
        None for another contract's log or an event this package does not read.

        Raises:
            ChainError: the log's topics or data do not fit the event's ABI (a lying node).
        """
        topics = log["topics"]
        if not topics or str(log["address"]).lower() != self.address.lower():
            return None
        layout = self._layouts.get(_raw(topics[0]))
        if layout is None:
            return None
        # Decoded with the event's cached ABI types: web3's contract events resolve the ABI
        # again for every log (most of the time spent reading logs).
        if len(topics) != len(layout.indexed) + 1:
            raise ChainError(f"a {layout.name} log has {len(topics)} topics")
        try:
            args = {
                name: abi.decode([kind], _raw(topic))[0]
                for (name, kind), topic in zip(layout.indexed, topics[1:], strict=True)
            }
            args.update(
                zip(
                    layout.data_names,
                    abi.decode(layout.data_types, _raw(log["data"])),
                    strict=True,
                )
            )
        except Exception as exc:  # eth-abi's decoding errors share no useful base class
            raise ChainError(f"a {layout.name} log does not fit the event's ABI: {exc}") from None
        return event_from_log(
            layout.name,
            {
                "args": args,
                "blockNumber": _number(log["blockNumber"]),
                "blockHash": _raw(log["blockHash"]),
                "transactionHash": _raw(log["transactionHash"]),
                "logIndex": _number(log["logIndex"]),
                "blockTimestamp": log.get("blockTimestamp"),
            },
        )

    def _query(
        self,
        from_block: int,
        to_block: int,
        names: tuple[str, ...],
        known_head: int | None = None,
    ) -> list[VerifierEvent]:
        start, end = _args.window(from_block, to_block)
        head = known_head if known_head is not None and end <= known_head else None
        if head is None:
            head = self.chain.block_number()
        if end > head:
            # Nodes differ here (Anvil answers up to its head, eth-tester fails): refuse, so a
            # caller never advances a cursor past blocks that were not there to be read.
            raise InputError(f"block window {start}..{end} reaches past the chain head {head}")
        # Hex strings, not bytes: the embedded chain's log filter compares topics as text.
        topics = ["0x" + t.hex() for t, n in self._events.items() if n in names]
        params: FilterParams = {
            "address": self.address,
            "fromBlock": start,
            "toBlock": end,
            "topics": [topics],
        }
        logs: Sequence[LogReceipt | dict[str, Any]]
        if self.chain.batches:
            # The node's own JSON, decoded below: web3's result formatters walk every log's
            # fields (as much time again as decoding them).
            raw = {**params, "fromBlock": hex(start), "toBlock": hex(end)}
            logs = self.chain.rpc_batch([("eth_getLogs", [raw])])[0]
        else:
            try:
                logs = self.chain.w3.eth.get_logs(params)
            except Web3RPCError as exc:
                raise node_request_error(self.chain, "eth_getLogs", exc) from exc
        events = []
        for log in logs:
            event = self._decode(log)
            if event is not None:
                events.append(event)
        events.sort(key=lambda e: (e.block_number, e.log_index))
        return events

    def events(
        self, from_block: int, to_block: int, *, known_head: int | None = None
    ) -> list[VerifierEvent]:
        """Every verifier event in blocks `from_block..to_block` (inclusive), in log order.

        With `known_head`, a block the caller has just seen on the chain (its hash read), a
        window ending at or below it is not checked against the node's head again.

        Raises:
            InputError: not block numbers, an empty window, one over `MAX_LOG_WINDOW` blocks, or
                one reaching past the chain head.
            NodeRequestError: the node answered with an error (`result_cap` when the window
                holds more logs than it serves in one answer).
            ChainConnectionError: the node cannot be reached.
        """
        return self._query(from_block, to_block, EVENT_NAMES, known_head)

    def events_of(self, kind: type[_E], from_block: int, to_block: int) -> list[_E]:
        """The events of one kind in a bounded block window (see `events`)."""
        found = self._query(from_block, to_block, (kind.__name__,))
        return [e for e in found if isinstance(e, kind)]

    def events_in(self, sent: SentTransaction | Receipt) -> list[VerifierEvent]:
        """The verifier events a transaction logged, in log order."""
        found = [event for log in sent.logs if (event := self._decode(log)) is not None]
        return sorted(found, key=lambda e: e.log_index)
