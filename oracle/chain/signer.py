"""Who signs this package's transactions: the `Signer` protocol, a local key, and the plug point.

Every transaction goes through a `Signer`: an object with an `address` that turns an unsigned
transaction into its signed raw bytes. `LocalSigner` holds an eth-account key in this process
(from a hex secret or an encrypted keystore). A key held elsewhere (a KMS, an HSM, a signing
service) plugs in by configuration, without touching the daemon: the setting `signer`
(`PQORACLE_SIGNER`) names a factory as `package.module:function`; it is called with the
`Settings` and returns a `Signer`:

    # mycompany/kms_signer.py
    def from_settings(settings: Settings) -> Signer:
        return KmsSigner(key_id=os.environ["KMS_KEY_ID"])  # .address, .sign_transaction(tx)

    PQORACLE_SIGNER=mycompany.kms_signer:from_settings pqoracle run ...

Whatever a signer returns is checked before anything is recorded or sent: the raw bytes must
decode to exactly the transaction asked for, signed by the signer's address, so a signer that
signs another nonce, another payload or with another key fails here, not on the chain.
"""

from __future__ import annotations

import importlib
from typing import (
    TYPE_CHECKING,
    Any,
    NotRequired,
    Protocol,
    TypedDict,
    cast,
    runtime_checkable,
)

from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import is_checksum_address, to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from oracle.accounts import PasswordPrompt, account_from_key, decrypt_keystore, local_account
from oracle.errors import ConfigError, InputError, OracleError, SignerError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from eth_account.signers.local import LocalAccount
    from eth_typing import ChecksumAddress
    from pydantic import SecretBytes, SecretStr

    from oracle.config import Settings

__all__ = [
    "LocalSigner",
    "PasswordPrompt",
    "Signer",
    "UnsignedTransaction",
    "load_signer",
    "sign_checked",
    "unsigned_of",
]


class UnsignedTransaction(TypedDict):
    """The fields a signer signs: EIP-1559 fees, or `gasPrice` on a node without a base fee."""

    chainId: int
    nonce: int
    gas: int
    value: int
    data: bytes
    #: Absent for a contract creation.
    to: NotRequired[ChecksumAddress]
    maxFeePerGas: NotRequired[int]
    maxPriorityFeePerGas: NotRequired[int]
    gasPrice: NotRequired[int]


@runtime_checkable
class Signer(Protocol):
    """Signs the transactions of one account; the key may live anywhere.

    `sign_transaction` returns the signed transaction's raw bytes (what `eth_sendRawTransaction`
    takes); the hash is theirs by definition (keccak of the bytes), so it is not asked for. It may
    block (a network round trip to a KMS) and is called with the account's nonce lock held, one
    transaction at a time. A signer that fails raises `SignerError` with a message fit for an
    operator's log (no secrets); any other exception is reported by its type alone.
    """

    @property
    def address(self) -> ChecksumAddress:
        """The checksummed address whose transactions this signer signs."""
        ...

    def sign_transaction(self, transaction: UnsignedTransaction) -> bytes:
        """The signed raw transaction.

        Raises:
            SignerError: the signer cannot sign it (unreachable, refused).
        """
        ...


class LocalSigner:
    """A key held in this process by eth-account (secp256k1 through coincurve when installed)."""

    __slots__ = ("_account",)

    def __init__(self, account: LocalAccount) -> None:
        """Sign with `account`."""
        self._account = account

    @classmethod
    def from_key(cls, private_key: SecretStr | str | bytes) -> LocalSigner:
        """A signer for a hex (or raw 32-byte) secp256k1 private key.

        Raises:
            ConfigError: not a valid 32-byte secp256k1 key (the message never holds the key).
        """
        return cls(account_from_key(private_key))

    @classmethod
    def from_keystore(cls, path: Path, password: SecretBytes) -> LocalSigner:
        """A signer for the key an encrypted v3 JSON keystore holds.

        Raises:
            ConfigError: unreadable or malformed keystore, or a wrong password.
        """
        return cls(decrypt_keystore(path, password))

    @property
    def address(self) -> ChecksumAddress:
        """The account's checksummed address."""
        return self._account.address

    @property
    def account(self) -> LocalAccount:
        """The eth-account account itself (it holds the key: never log it)."""
        return self._account

    def sign_transaction(self, transaction: UnsignedTransaction) -> bytes:
        """The signed raw transaction."""
        fields: dict[str, Any] = dict(transaction)
        return bytes(self._account.sign_transaction(fields).raw_transaction)

    def __repr__(self) -> str:
        return f"LocalSigner({self.address})"


def _decoded_fields(raw: bytes) -> dict[str, Any]:
    """The fields a signed transaction carries, typed (EIP-2718) or legacy (EIP-155)."""
    if raw and raw[0] <= 0x7F:
        fields: dict[str, Any] = dict(TypedTransaction.from_bytes(HexBytes(raw)).as_dict())
        fields.pop("accessList", None)
    else:
        import rlp
        from eth_utils.encoding import big_endian_to_int

        nonce, gas_price, gas, to, value, data, v, _r, _s = rlp.decode(raw)
        number = big_endian_to_int(v)
        fields = {
            "nonce": big_endian_to_int(nonce),
            "gasPrice": big_endian_to_int(gas_price),
            "gas": big_endian_to_int(gas),
            "to": to,
            "value": big_endian_to_int(value),
            "data": data,
            # EIP-155: v = 2 * chainId + 35 or 36; a signature without a chain id has none.
            "chainId": (number - 35) // 2 if number >= 35 else None,
        }
    fields["to"] = bytes(fields.get("to") or b"")
    fields["data"] = bytes(fields.get("data") or b"")
    return fields


def unsigned_of(raw: bytes, *, sender: str | None = None) -> UnsignedTransaction:
    """The fields of the signed transaction `raw` (EIP-1559 or legacy), as a signer takes them.

    Raises:
        InputError: the bytes are not a signed transaction with a chain id, or (with `sender`)
            not signed by `sender`.
    """
    try:
        fields = _decoded_fields(raw)
        signed_by = Account.recover_transaction(raw)
    except Exception:
        raise InputError("bytes that are not a signed transaction") from None
    if sender is not None and signed_by != sender:
        raise InputError(f"a transaction signed by {signed_by}, not by {sender}")
    if fields.get("chainId") is None:
        raise InputError("a transaction signed without a chain id (EIP-155)")
    unsigned: dict[str, Any] = {
        name: fields[name] for name in ("chainId", "nonce", "gas", "value", "data")
    }
    if fields["to"]:
        unsigned["to"] = to_checksum_address(fields["to"])
    for name in ("maxFeePerGas", "maxPriorityFeePerGas", "gasPrice"):
        if fields.get(name) is not None:
            unsigned[name] = int(fields[name])
    return cast("UnsignedTransaction", unsigned)


def _expected_fields(transaction: UnsignedTransaction) -> dict[str, Any]:
    expected: dict[str, Any] = dict(transaction)
    to = transaction.get("to")
    expected["to"] = bytes.fromhex(to[2:]) if to else b""
    expected["data"] = bytes(transaction["data"])
    return expected


def _mismatch(transaction: UnsignedTransaction, raw: bytes, address: str) -> str | None:
    """What differs between the transaction asked for and the one `raw` holds, or None."""
    try:
        fields = _decoded_fields(raw)
        sender = Account.recover_transaction(raw)
    except Exception:
        return "bytes that are not a signed transaction"
    for name, wanted in _expected_fields(transaction).items():
        if fields.get(name) != wanted:
            return f"another {name} than the one asked for"
    if sender != address:
        return f"a signature by {sender}, not by {address}"
    return None


def sign_checked(signer: Signer, transaction: UnsignedTransaction) -> tuple[bytes, bytes]:
    """Have `signer` sign `transaction`; return the raw bytes and the transaction hash.

    Raises:
        SignerError: the signer failed, or returned something other than this transaction
            signed by its own address.
    """
    failure: str | None = None
    try:
        raw = bytes(signer.sign_transaction(transaction))
    except OracleError:
        raise
    except Exception as err:
        # Only the type: a signer's own message may quote what it holds (keys, credentials).
        failure = type(err).__name__
    if failure is not None:
        raise SignerError(f"the signer {signer!r} failed: {failure}")
    mismatch = _mismatch(transaction, raw, signer.address)
    if mismatch is not None:
        raise SignerError(f"the signer {signer!r} returned {mismatch}; nothing was sent")
    return raw, bytes(keccak(raw))


def _factory(spec: str) -> Callable[[Settings], object]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"setting signer: {spec!r} is not of the form package.module:factory")
    problem: str | None = None
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        problem = f"cannot import {module_name} ({type(err).__name__}: {err})"
    if problem is not None:
        raise ConfigError(f"setting signer: {problem}")
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ConfigError(f"setting signer: {module_name} has no callable {attribute}")
    return factory  # type: ignore[no-any-return]


def _from_factory(spec: str, settings: Settings) -> Signer:
    factory = _factory(spec)
    failure: str | None = None
    try:
        made = factory(settings)
    except OracleError:
        raise
    except Exception as err:
        failure = type(err).__name__
    if failure is not None:
        raise ConfigError(f"setting signer: {spec} failed: {failure}")
    if not isinstance(made, Signer):
        raise ConfigError(
            f"setting signer: {spec} returned a {type(made).__name__}, not a Signer "
            "(an address property and sign_transaction)"
        )
    if not isinstance(made.address, str) or not is_checksum_address(made.address):
        raise ConfigError(f"setting signer: {spec} returned a signer without a checksummed address")
    return made


def load_signer(
    settings: Settings, *, password_prompt: PasswordPrompt | None = None
) -> Signer | None:
    """The signer the settings name: a factory, a keystore or a private key; None for none.

    `password_prompt` asks for a keystore's password when no password file is set (the CLI on a
    terminal); without it such a keystore is a configuration error.

    Raises:
        ConfigError: an unreadable or malformed key, keystore or password file, a wrong
            password, or a factory that cannot be imported or returns no `Signer`.
    """
    if settings.signer is not None:
        return _from_factory(settings.signer, settings)
    account = local_account(settings, password_prompt=password_prompt)
    return None if account is None else LocalSigner(account)
