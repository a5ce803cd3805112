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


# --- store ----------------------------------------------------------------------------------------


class StoreError(OracleError):
    """Base for persistence errors."""


class StoreMismatchError(StoreError, ValueError):
    """The store belongs to another deployment (chain id or contract address)."""
