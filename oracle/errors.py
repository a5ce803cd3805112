"""Exception hierarchy: one root, one base per domain, builtin-compatible where callers expect."""

from __future__ import annotations


class OracleError(Exception):
    """Root of every exception this package raises on purpose."""


class ConfigError(OracleError, ValueError):
    """A setting is missing, malformed or inconsistent."""


class InputError(OracleError, ValueError):
    """External input (hex, sizes, names, files) is malformed."""


# --- crypto ---------------------------------------------------------------------------------------


class CryptoError(OracleError):
    """Base for the post-quantum crypto layer."""


class UnknownAlgorithmError(CryptoError, ValueError):
    """The algorithm name or identifier is not one this package supports."""


class InvalidKeyError(CryptoError, ValueError):
    """A public or private key is malformed (wrong length, bad encoding, wrong algorithm)."""


class ContextTooLongError(CryptoError, ValueError):
    """A FIPS 204 context string is longer than 255 bytes."""


class BackendUnavailableError(CryptoError, RuntimeError):
    """The requested crypto backend is not installed or cannot be loaded here."""


class BackendCapabilityError(CryptoError):
    """The selected backend cannot perform this operation (e.g. it has no seed interface)."""


class DecryptionError(CryptoError):
    """An envelope or encrypted body failed to authenticate or decode."""


class NotARecipientError(DecryptionError):
    """The envelope holds no wrapped key for this private key."""


class EnvelopeSignatureError(DecryptionError):
    """An envelope's sender signature does not verify."""


class SenderMismatchError(EnvelopeSignatureError):
    """A sender was required but the envelope is unsigned or signed by another key."""


class EnvelopeFormatError(CryptoError, ValueError):
    """An encrypted envelope is malformed (magic, lengths, encoding, trailing bytes)."""


class UnsupportedEnvelopeVersionError(EnvelopeFormatError):
    """The envelope's format version is not one this package reads."""


class UnsupportedEnvelopeSuiteError(EnvelopeFormatError):
    """The envelope's cipher suite is not one this package implements."""


class EnvelopeLimitError(EnvelopeFormatError):
    """An envelope exceeds a size limit (recipients, plaintext, total size)."""


class InvalidCiphertextError(CryptoError, ValueError):
    """A KEM ciphertext is malformed (wrong length for the parameter set)."""


# --- MAML documents -------------------------------------------------------------------------------


class MamlError(OracleError, ValueError):
    """Base for `.maml.md` document errors."""


# --- chain ----------------------------------------------------------------------------------------


class ChainError(OracleError):
    """Base for errors talking to a node or a contract."""


class ChainConnectionError(ChainError, ConnectionError):
    """The node cannot be reached or did not answer in time (the message never holds secrets)."""


class ReadOnlyChainError(ChainError):
    """A transaction was asked of a connection that has no signing key."""


class SignerError(ChainError):
    """The transaction signer failed, or returned another transaction than the one asked for."""


class ArtifactError(ChainError):
    """A committed contract artifact is missing or malformed."""


class ContractNotFoundError(ChainError, LookupError):
    """No contract code at the given address on this chain."""


class TransactionRejectedError(ChainError):
    """The node refused a signed transaction (funds, fees, nonce) after the bounded retries."""


class NonceConflictError(TransactionRejectedError):
    """The node refused a transaction's nonce: it is used already, or there is a gap before it."""


class FeeCapError(ChainError):
    """Replacing a transaction would pass the operator's fee cap; it waits at the fees it has."""


class TransactionTimeoutError(ChainError, TimeoutError):
    """A sent transaction was not mined within the timeout; it may still be mined later."""

    def __init__(self, message: str, *, tx_hash: bytes) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class NodeRequestError(ChainError):
    """The node answered a JSON-RPC request with an error (rate limit, result cap, server error).

    `result_cap` is set when the node refused because the answer would be too large (a log
    query over too many blocks or results): asking for less succeeds.
    """

    def __init__(self, message: str, *, code: int | None = None, result_cap: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.result_cap = result_cap


class ChainResetError(ChainError, ValueError):
    """The node no longer has blocks the store already read (reset, or another chain)."""


class ContractRevertError(ChainError):
    """A contract call or transaction reverted; carries the decoded custom error.

    `error_name` is the Solidity error's name ("Error" and "Panic" for the built-in ones) or None
    when the revert data matches no known error; `error_args` maps parameter names to values.
    """

    def __init__(
        self,
        contract: str,
        error_name: str | None,
        error_args: dict[str, object] | None = None,
        *,
        data: bytes = b"",
        tx_hash: bytes | None = None,
        reason: str | None = None,
    ) -> None:
        self.contract = contract
        self.error_name = error_name
        self.error_args: dict[str, object] = dict(error_args or {})
        self.data = data
        self.tx_hash = tx_hash
        self.reason = reason
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.error_name is not None:
            shown = ", ".join(f"{k}={_show_value(v)}" for k, v in self.error_args.items())
            what = f"{self.error_name}({shown})"
        elif self.data:
            what = f"unknown error 0x{self.data[:4].hex()} ({len(self.data)} bytes of revert data)"
        elif self.reason:
            what = self.reason
        else:
            what = "no reason given"
        where = f" in transaction 0x{self.tx_hash.hex()}" if self.tx_hash else ""
        return f"{self.contract} reverted{where}: {what}"


def _show_value(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        return value if value.startswith("0x") else repr(value)
    return str(value)


# --- store ----------------------------------------------------------------------------------------


class StoreError(OracleError):
    """Base for persistence errors."""


class StoreMismatchError(StoreError, ValueError):
    """The store belongs to another deployment (chain id or contract address)."""


class StoreConflictError(StoreError):
    """Another worker or process changed the row first (a lost race): skip it, do not stop."""


# --- HTTP service ---------------------------------------------------------------------------------


class AuthError(OracleError):
    """Base for refused requests to the HTTP service (the message is safe to send back)."""


class TokenRefusedError(AuthError, ValueError):
    """A bearer token is missing, malformed, expired, or not signed by a trusted key (HTTP 401)."""


class ScopeError(AuthError, PermissionError):
    """A valid token lacks the scope a route needs (HTTP 403)."""


# --- audit ----------------------------------------------------------------------------------------


class AuditError(OracleError):
    """Base for `pqoracle audit` errors: running Slither, reading its output, writing the report."""


class SlitherNotFoundError(AuditError, ValueError):
    """The Slither environment or its `solc` is missing (run scripts/setup-slither.sh)."""


class SlitherOutputError(AuditError, ValueError):
    """Slither's JSON output is malformed or not the shape this package reads."""


class SlitherFailedError(AuditError, RuntimeError):
    """Slither ran but failed (compilation error, crash, timeout) or reported an error."""


class AuditSourceError(AuditError, ValueError):
    """The contracts to audit are missing or outside the project, or git cannot describe them."""


# --- screening ------------------------------------------------------------------------------------


class ScreeningError(OracleError, ValueError):
    """The prompt-injection screen refused free text; the message gives the matched reason."""

    def __init__(self, message: str, *, rule_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.rule_ids = rule_ids


class ScreeningRulesError(OracleError, RuntimeError):
    """The packaged screening rule file is missing or malformed."""


class ClassifierHeadError(ScreeningRulesError):
    """The packaged prompt-injection classifier head is missing or malformed."""
