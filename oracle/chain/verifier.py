"""The SignatureVerifier contract from Python: deploy, register keys, request, fulfil, read."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from eth_hash.auto import keccak
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import is_address, to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import Web3RPCError

from oracle.chain.artifacts import Artifact, load_artifact
from oracle.chain.events import (
    KeyRegistered,
    VerificationFulfilled,
    VerificationRequested,
    VerifierEvent,
    event_from_log,
)
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import (
    Receipt,
    SentTransaction,
    SignedTransaction,
    broadcast,
    lookup_receipt,
    node_request_error,
    receipt_of,
    send,
    sign,
    transact,
    wait,
)
from oracle.crypto import MAX_CONTEXT_LENGTH, get_algorithm
from oracle.errors import (
    ChainConnectionError,
    ChainError,
    ContractNotFoundError,
    InputError,
    UnknownAlgorithmError,
)
from oracle.types import Commitment, KeyId, RequestId

if TYPE_CHECKING:
    from eth_typing import ABIEvent, ChecksumAddress
    from web3.contract import Contract
    from web3.types import FilterParams, LogReceipt

    from oracle.chain.connection import Chain

CONTRACT_NAME: Final = "SignatureVerifier"
#: Largest block range one log query may span. The embedded chain's eth_getLogs grows roughly
#: quadratically with the range, and public nodes cap it too: callers page through windows.
MAX_LOG_WINDOW: Final = 100_000
_EVENT_NAMES: Final = ("KeyRegistered", "VerificationRequested", "VerificationFulfilled")
#: `InputSanitizer.MAX_MESSAGE_LENGTH`: the longest message a request may carry.
MAX_MESSAGE_LENGTH: Final = 16_384

_E = TypeVar("_E", bound=VerifierEvent)


class Status(IntEnum):
    """Mirror of `ISignatureVerifier.Status`."""

    NONE = 0
    PENDING = 1
    VALID = 2
    INVALID = 3

    @property
    def is_final(self) -> bool:
        """Whether a verdict has been recorded."""
        return self in (Status.VALID, Status.INVALID)


class Role(Enum):
    """The verifier's roles and their `bytes32` identifiers."""

    DEFAULT_ADMIN = bytes(32)
    ORACLE = keccak(b"ORACLE_ROLE")
    PAUSER = keccak(b"PAUSER_ROLE")

    @classmethod
    def parse(cls, role: Role | str) -> Role:
        """A role from itself or a name: "ORACLE", "oracle", "ORACLE_ROLE", "default-admin".

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
        hint = difflib.get_close_matches(key, list(cls.__members__), n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        known = ", ".join(cls.__members__)
        raise InputError(f"unknown role {role!r}; roles: {known}.{suggestion}")


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the verifier stores of a key (`keyOf`); `algorithm_id == 0` means not registered."""

    key_id: KeyId
    algorithm_id: int
    registrant: ChecksumAddress
    registered_at: int


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What the verifier stores of a request (`requestOf`); status NONE means never opened."""

    request_id: RequestId
    key_id: KeyId
    commitment: Commitment
    requester: ChecksumAddress
    requested_at: int
    status: Status


def _uint(value: object, bits: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise InputError(f"{what} must be an integer in [0, 2**{bits}), got {value!r}")
    return value


def _bytes(value: object, what: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InputError(f"{what} must be bytes, got {type(value).__name__}")


def _bytes32(value: object, what: str) -> bytes:
    raw = _bytes(value, what)
    if len(raw) != 32:
        raise InputError(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


def _address(value: object, what: str) -> ChecksumAddress:
    if not isinstance(value, str) or not is_address(value):
        raise InputError(f"{what} is not an address: {value!r}")
    return to_checksum_address(value)


def _block(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{what} must be a block number, got {value!r}")
    return value


def _window(from_value: object, to_value: object) -> tuple[int, int]:
    from_block, to_block = _block(from_value, "from_block"), _block(to_value, "to_block")
    if to_block < from_block:
        raise InputError(f"empty block window: from {from_block} to {to_block}")
    if to_block - from_block + 1 > MAX_LOG_WINDOW:
        raise InputError(
            f"block window {from_block}..{to_block} spans more than {MAX_LOG_WINDOW} blocks; "
            "query it in smaller windows"
        )
    return from_block, to_block


def check_request(algorithm_id: int, message: bytes, context: bytes, signature: bytes) -> None:
    """Refuse locally what `requestVerification` would revert on for a key of `algorithm_id`.

    Raises:
        InputError: unknown algorithm id, a signature of the wrong length, a message over
            `MAX_MESSAGE_LENGTH` or a context over 255 bytes (the contract's Sanitizer errors).
    """
    try:
        algorithm = get_algorithm(algorithm_id)
    except UnknownAlgorithmError as err:
        raise InputError(str(err)) from err
    if len(signature) != algorithm.signature_size:
        raise InputError(
            f"an {algorithm.name} signature is {algorithm.signature_size} bytes, "
            f"got {len(signature)}"
        )
    if len(message) > MAX_MESSAGE_LENGTH:
        raise InputError(
            f"message is {len(message)} bytes; the verifier takes at most {MAX_MESSAGE_LENGTH}"
        )
    if len(context) > MAX_CONTEXT_LENGTH:
        raise InputError(
            f"context is {len(context)} bytes; FIPS 204 allows at most {MAX_CONTEXT_LENGTH}"
        )


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
        self.address: ChecksumAddress = _address(address, "verifier address")
        self.artifact = artifact or load_artifact(CONTRACT_NAME)
        self.errors = ErrorDecoder(CONTRACT_NAME, self.artifact.abi)
        if not chain.w3.eth.get_code(self.address):
            raise ContractNotFoundError(
                f"no contract at {self.address} on chain {chain.chain_id} ({chain.where})"
            )
        self._contract: Contract = chain.w3.eth.contract(
            address=self.address, abi=self.artifact.abi
        )
        self._events: dict[bytes, str] = {}
        for entry in self.artifact.abi:
            if entry.get("type") == "event" and entry.get("name") in _EVENT_NAMES:
                event_abi = cast("ABIEvent", entry)
                self._events[bytes(event_abi_to_log_topic(event_abi))] = event_abi["name"]

    def __repr__(self) -> str:
        return f"Verifier({self.address}, chain={self.chain!r})"

    def using(self, chain: Chain) -> Verifier:
        """The same verifier, with transactions signed by `chain`'s account.

        Raises:
            ContractNotFoundError: `chain` is another chain without this contract.
        """
        return Verifier(chain, self.address, artifact=self.artifact)

    # --- transactions -----------------------------------------------------------------------

    def _encode(self, function: str, *args: Any) -> bytes:
        return bytes(HexBytes(self._contract.encode_abi(function, args=list(args))))

    def _transact(self, function: str, *args: Any) -> SentTransaction:
        data = self._encode(function, *args)
        return transact(self.chain, to=self.address, data=data, decoder=self.errors)

    def wait(self, tx_hash: bytes) -> SentTransaction:
        """Wait for a transaction sent with a `submit_*` method and return its receipt.

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

    def register_key_tx(
        self, algorithm_id: int, public_key: bytes
    ) -> tuple[KeyRegistered, SentTransaction]:
        """Register a public key; return its `KeyRegistered` event and the transaction.

        Raises:
            InputError: `algorithm_id` is not a uint8 or `public_key` is not bytes.
            ContractRevertError: e.g. SanitizerUnsupportedAlgorithm,
                SanitizerInvalidPublicKeyLength, VerifierKeyAlreadyRegistered, EnforcedPause.
            TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
        """
        sent = self._transact(
            "registerKey", _uint(algorithm_id, 8, "algorithm id"), _bytes(public_key, "public key")
        )
        return self._only_event(sent, KeyRegistered), sent

    def register_key(self, algorithm_id: int, public_key: bytes) -> KeyId:
        """Register a public key and return its key id (see `register_key_tx` for errors)."""
        return self.register_key_tx(algorithm_id, public_key)[0].key_id

    def request_verification_tx(
        self, key_id: KeyId | bytes, message: bytes, context: bytes, signature: bytes
    ) -> tuple[VerificationRequested, SentTransaction]:
        """Open a verification request; return its `VerificationRequested` event and transaction.

        Raises:
            InputError: `key_id` is not 32 bytes or another argument is not bytes.
            ContractRevertError: e.g. VerifierUnknownKey, SanitizerInvalidSignatureLength,
                SanitizerMessageTooLong, SanitizerContextTooLong, EnforcedPause.
            TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
        """
        sent = self._transact(
            "requestVerification",
            _bytes32(key_id, "key id"),
            _bytes(message, "message"),
            _bytes(context, "context"),
            _bytes(signature, "signature"),
        )
        return self._only_event(sent, VerificationRequested), sent

    def request_verification(
        self, key_id: KeyId | bytes, message: bytes, context: bytes, signature: bytes
    ) -> RequestId:
        """Open a request and return its id (see `request_verification_tx` for errors)."""
        return self.request_verification_tx(key_id, message, context, signature)[0].request_id

    def _fulfill_data(
        self, request_id: RequestId | int, valid: bool, commitment: Commitment | bytes
    ) -> bytes:
        if not isinstance(valid, bool):
            raise InputError(f"valid must be a bool, got {type(valid).__name__}")
        return self._encode(
            "fulfill",
            _uint(request_id, 256, "request id"),
            valid,
            _bytes32(commitment, "commitment"),
        )

    def sign_fulfill(
        self, request_id: RequestId | int, valid: bool, commitment: Commitment | bytes
    ) -> SignedTransaction:
        """Dry-run and sign a verdict without sending it, for callers that record it first.

        Raises:
            InputError, ContractRevertError: see `submit_fulfill`.
            TransactionRejectedError, ChainConnectionError: simulating.
        """
        data = self._fulfill_data(request_id, valid, commitment)
        return sign(self.chain, to=self.address, data=data, decoder=self.errors)

    def broadcast(self, signed: SignedTransaction) -> bytes:
        """Send a transaction from `sign_fulfill` (again after a crash: the same bytes).

        Raises:
            NonceConflictError: its nonce went to another transaction.
            TransactionRejectedError, ChainConnectionError: sending.
        """
        return broadcast(self.chain, signed)

    def receipt(self, tx_hash: bytes) -> SentTransaction | None:
        """A transaction's receipt if it is mined, None otherwise.

        Raises:
            ContractRevertError: it was mined and reverted.
            ChainConnectionError: the node cannot be reached.
        """
        return receipt_of(self.chain, tx_hash, decoder=self.errors)

    def lookup_receipt(self, tx_hash: bytes) -> Receipt | None:
        """Where a transaction was mined and whether it succeeded; None while it is not mined.

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        return lookup_receipt(self.chain, tx_hash)

    def submit_fulfill(
        self, request_id: RequestId | int, valid: bool, commitment: Commitment | bytes
    ) -> bytes:
        """Dry-run, sign and send a verdict; return the transaction hash without waiting.

        Raises:
            InputError: `request_id` is not a uint256, `valid` not a bool, or `commitment` is not
                32 bytes.
            ContractRevertError: the dry run reverts, e.g. AccessControlUnauthorizedAccount,
                EnforcedPause, VerifierUnknownRequest, VerifierRequestAlreadyFinal,
                VerifierCommitmentMismatch; nothing is sent then.
            TransactionRejectedError, ChainConnectionError: sending.
        """
        data = self._fulfill_data(request_id, valid, commitment)
        return send(self.chain, to=self.address, data=data, decoder=self.errors)

    def fulfill(
        self, request_id: RequestId | int, valid: bool, commitment: Commitment | bytes
    ) -> SentTransaction:
        """Post the verdict on a request (the account needs ORACLE) and wait for the receipt.

        Raises:
            InputError, ContractRevertError, TransactionRejectedError: see `submit_fulfill`.
            TransactionTimeoutError: not mined within the receipt timeout.
            ChainConnectionError: the node cannot be reached.
        """
        return self.wait(self.submit_fulfill(request_id, valid, commitment))

    def grant_role(self, role: Role | str, account: str) -> SentTransaction:
        """Grant `role` to `account` (the signer needs DEFAULT_ADMIN).

        Raises:
            InputError: unknown role or not an address.
            ContractRevertError: AccessControlUnauthorizedAccount, or
                AccessControlEnforcedDefaultAdminRules for DEFAULT_ADMIN (use the admin transfer).
        """
        return self._transact("grantRole", Role.parse(role).value, _address(account, "account"))

    def revoke_role(self, role: Role | str, account: str) -> SentTransaction:
        """Revoke `role` from `account` (the signer needs DEFAULT_ADMIN).

        Raises:
            InputError: unknown role or not an address.
            ContractRevertError: AccessControlUnauthorizedAccount or
                AccessControlEnforcedDefaultAdminRules.
        """
        return self._transact("revokeRole", Role.parse(role).value, _address(account, "account"))

    def renounce_role(self, role: Role | str) -> SentTransaction:
        """Give up `role` held by the signing account.

        Raises:
            InputError: unknown role.
            ContractRevertError: e.g. AccessControlEnforcedDefaultAdminDelay for DEFAULT_ADMIN.
        """
        return self._transact("renounceRole", Role.parse(role).value, self.chain.address)

    def pause(self) -> SentTransaction:
        """Stop registrations, requests and fulfilments (the signer needs PAUSER).

        Raises:
            ContractRevertError: AccessControlUnauthorizedAccount or EnforcedPause.
        """
        return self._transact("pause")

    def unpause(self) -> SentTransaction:
        """Resume after `pause` (the signer needs PAUSER).

        Raises:
            ContractRevertError: AccessControlUnauthorizedAccount or ExpectedPause.
        """
        return self._transact("unpause")

    def begin_admin_transfer(self, new_admin: str) -> SentTransaction:
        """Step one of handing DEFAULT_ADMIN to `new_admin` (the signer is the admin).

        Raises:
            InputError: not an address.
            ContractRevertError: AccessControlUnauthorizedAccount.
        """
        return self._transact("beginDefaultAdminTransfer", _address(new_admin, "new admin"))

    def accept_admin_transfer(self) -> SentTransaction:
        """Step two: the pending admin takes DEFAULT_ADMIN once the delay has passed.

        The dry run executes on the latest block, whose timestamp must already be past the
        schedule: with a zero delay, accept once a block after the one that began the transfer.

        Raises:
            ContractRevertError: AccessControlInvalidDefaultAdmin (the signer is not the pending
                admin) or AccessControlEnforcedDefaultAdminDelay (too early).
        """
        return self._transact("acceptDefaultAdminTransfer")

    def cancel_admin_transfer(self) -> SentTransaction:
        """Withdraw a pending admin transfer (the signer is the admin).

        Raises:
            ContractRevertError: AccessControlUnauthorizedAccount.
        """
        return self._transact("cancelDefaultAdminTransfer")

    # --- views --------------------------------------------------------------------------------

    def _call(self, function: str, *args: Any, block: int | None = None) -> Any:
        try:
            bound = self._contract.get_function_by_name(function)(*args)
            if block is None:
                return bound.call()
            return bound.call(block_identifier=_block(block, "block"))
        except ChainConnectionError:
            raise
        except Exception as exc:
            decoded = self.errors.from_exception(exc)
            if decoded is None:
                raise
            raise decoded from exc

    def type_and_version(self) -> str:
        """The contract's `typeAndVersion()`, e.g. "SignatureVerifier 1.0.0"."""
        return str(self._call("typeAndVersion"))

    def status_of(self, request_id: RequestId | int, *, block: int | None = None) -> Status:
        """Status of a request (NONE for an id never issued), at `block` or the latest one.

        Raises:
            InputError: `request_id` is not a uint256.
        """
        return Status(self._call("statusOf", _uint(request_id, 256, "request id"), block=block))

    def request_of(self, request_id: RequestId | int, *, block: int | None = None) -> RequestRecord:
        """Stored record of a request (all zero, status NONE, for an id never issued), at
        `block` or the latest one.

        Raises:
            InputError: `request_id` is not a uint256.
        """
        rid = _uint(request_id, 256, "request id")
        key_id, commitment, requester, requested_at, status = self._call(
            "requestOf", rid, block=block
        )
        return RequestRecord(
            request_id=RequestId(rid),
            key_id=KeyId(bytes(key_id)),
            commitment=Commitment(bytes(commitment)),
            requester=to_checksum_address(requester),
            requested_at=int(requested_at),
            status=Status(status),
        )

    def request_count(self, *, block: int | None = None) -> int:
        """Number of requests opened (the latest request id), at `block` or the latest one."""
        return int(self._call("requestCount", block=block))

    def key_of(self, key_id: KeyId | bytes, *, block: int | None = None) -> KeyRecord:
        """Stored record of a key (algorithm 0 when not registered), at `block` or the latest.

        Raises:
            InputError: `key_id` is not 32 bytes.
        """
        kid = _bytes32(key_id, "key id")
        algorithm, registrant, registered_at = self._call("keyOf", kid, block=block)
        return KeyRecord(
            key_id=KeyId(kid),
            algorithm_id=int(algorithm),
            registrant=to_checksum_address(registrant),
            registered_at=int(registered_at),
        )

    def key_algorithm(self, key_id: KeyId | bytes) -> int:
        """Algorithm id of a registered key, 0 when it is not registered.

        Raises:
            InputError: `key_id` is not 32 bytes.
        """
        return int(self._call("keyAlgorithm", _bytes32(key_id, "key id")))

    def is_key_registered(self, key_id: KeyId | bytes) -> bool:
        """Whether a key id is registered.

        Raises:
            InputError: `key_id` is not 32 bytes.
        """
        return bool(self._call("isKeyRegistered", _bytes32(key_id, "key id")))

    def has_role(self, role: Role | str, account: str) -> bool:
        """Whether `account` holds `role`.

        Raises:
            InputError: unknown role or not an address.
        """
        return bool(self._call("hasRole", Role.parse(role).value, _address(account, "account")))

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

    def _decode(self, log: LogReceipt) -> VerifierEvent | None:
        topics = log["topics"]
        if not topics or log["address"] != self.address:
            return None
        name = self._events.get(bytes(topics[0]))
        if name is None:
            return None
        decoded = self._contract.get_event_by_name(name)().process_log(log)
        return event_from_log(name, decoded)

    def _query(self, from_block: int, to_block: int, names: tuple[str, ...]) -> list[VerifierEvent]:
        start, end = _window(from_block, to_block)
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

    def events(self, from_block: int, to_block: int) -> list[VerifierEvent]:
        """Every verifier event in blocks `from_block..to_block` (inclusive), in log order.

        Raises:
            InputError: not block numbers, an empty window, one over `MAX_LOG_WINDOW` blocks, or
                one reaching past the chain head.
            NodeRequestError: the node answered with an error (`result_cap` when the window
                holds more logs than it serves in one answer).
            ChainConnectionError: the node cannot be reached.
        """
        return self._query(from_block, to_block, _EVENT_NAMES)

    def key_registered_events(self, from_block: int, to_block: int) -> list[KeyRegistered]:
        """`KeyRegistered` events in a bounded block window (see `events`)."""
        found = self._query(from_block, to_block, ("KeyRegistered",))
        return [e for e in found if isinstance(e, KeyRegistered)]

    def verification_requested_events(
        self, from_block: int, to_block: int
    ) -> list[VerificationRequested]:
        """`VerificationRequested` events in a bounded block window (see `events`)."""
        found = self._query(from_block, to_block, ("VerificationRequested",))
        return [e for e in found if isinstance(e, VerificationRequested)]

    def verification_fulfilled_events(
        self, from_block: int, to_block: int
    ) -> list[VerificationFulfilled]:
        """`VerificationFulfilled` events in a bounded block window (see `events`)."""
        found = self._query(from_block, to_block, ("VerificationFulfilled",))
        return [e for e in found if isinstance(e, VerificationFulfilled)]

    def events_in(self, sent: SentTransaction) -> list[VerifierEvent]:
        """The verifier events a transaction logged, in log order."""
        found = [event for log in sent.logs if (event := self._decode(log)) is not None]
        return sorted(found, key=lambda e: e.log_index)


def deploy_verifier(chain: Chain, *, admin: str | None = None, admin_delay: int = 0) -> Verifier:
    """Deploy a SignatureVerifier from the committed artifact, administered by `admin`.

    `admin` defaults to the deploying account; `admin_delay` is the seconds between the two steps
    of a later admin transfer.

    Raises:
        InputError: `admin` is not an address or `admin_delay` is not a uint48.
        ContractRevertError: AccessControlInvalidDefaultAdmin for the zero address.
        TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
    """
    artifact = load_artifact(CONTRACT_NAME)
    initial_admin = _address(admin, "admin") if admin is not None else chain.address
    data = artifact.constructor_data(_uint(admin_delay, 48, "admin delay"), initial_admin)
    sent = transact(chain, to=None, data=data, decoder=ErrorDecoder(CONTRACT_NAME, artifact.abi))
    if sent.contract_address is None:
        raise ContractNotFoundError(
            f"deployment 0x{sent.tx_hash.hex()} has no contract address in its receipt"
        )
    return Verifier(chain, sent.contract_address, artifact=artifact)
