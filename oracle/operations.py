"""The operations the HTTP API, the MCP tools and the CLI share.

Each one checks its input, screens free text that will reach an agent, records the security
events it owes in the store, and returns plain values; a transport adds only its own encoding
(JSON bodies, tool results, exit codes) and its own metrics. Nothing here logs a payload, a key or
a whole signature: events carry ids and hashes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oracle import crypto, maml
from oracle.crypto.envelope import Envelope, open_envelope, seal
from oracle.crypto.kem import ML_KEM_768, KemPublicKey
from oracle.errors import (
    CryptoError,
    DecryptionError,
    EnvelopeSignatureError,
    InputError,
    MamlError,
    ScreeningError,
)
from oracle.inputs import parse_hex
from oracle.screening import screen, screen_maml
from oracle.security import record_event
from oracle.store.models import SecurityEventType

if TYPE_CHECKING:
    from collections.abc import Sequence

    from oracle.chain import Verifier
    from oracle.chain.events import KeyRegistered
    from oracle.crypto import Algorithm, PublicKey, SigningKey
    from oracle.crypto.kem import KemPrivateKey
    from oracle.domain import Key, RequestStatus
    from oracle.maml.signing import Requirement
    from oracle.screening.classifier import Classifier
    from oracle.store import Store
    from oracle.store.store import StoredRequest

__all__ = [
    "KeyRegistration",
    "RequestView",
    "check_signature",
    "checked_key",
    "decrypt_envelope",
    "encrypt_envelope",
    "find_key",
    "parse_public_key",
    "parse_recipient_key",
    "record_rejection",
    "register_key",
    "request_view",
    "screen_document",
    "screen_free_text",
    "sign_document",
    "status_as_json",
    "verify_document",
    "verify_signature",
]


# --- screening ------------------------------------------------------------------------------------


def _refuse(store: Store | None, where: str, reason: str, screens: str) -> ScreeningError:
    if store is not None:
        record_event(store, SecurityEventType.INPUT_SCREENED, f"{where}: {reason} ({screens})")
    return ScreeningError(f"input refused: {reason}")


def screen_document(
    store: Store | None,
    document: str | bytes,
    *,
    where: str,
    classifier: Classifier | None = None,
) -> None:
    """Refuse a `.maml.md` document whose sections or free-text fields the screen flags (the
    rules, then `classifier` when one is given).

    A document that does not parse strictly is left to the signer or verifier, which reports it.

    Raises:
        ScreeningError: flagged (an `input_screened` event is stored first).
    """
    try:
        result = screen_maml(document, classifier=classifier)
    except MamlError:
        return
    if result.flagged:
        raise _refuse(store, where, result.reason, result.screens)


def screen_free_text(
    store: Store | None,
    data: bytes | str,
    *,
    where: str,
    field: str,
    classifier: Classifier | None = None,
) -> None:
    """Refuse free text that the screen (the rules, then `classifier` when given) flags; bytes
    that are not UTF-8 text are not free text.

    Raises:
        ScreeningError: flagged (an `input_screened` event is stored first).
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
    else:
        text = data
    result = screen(text, classifier=classifier)
    if result.flagged:
        raise _refuse(store, where, f"{field}: {result.reason}", result.screens)


# --- signatures -----------------------------------------------------------------------------------


def parse_public_key(algorithm: str | int | Algorithm, text: str) -> tuple[Algorithm, bytes]:
    """A raw ML-DSA public key from `0x` hex or a SubjectPublicKeyInfo PEM of `algorithm`.

    Raises:
        UnknownAlgorithmError: not ML-DSA-44/65/87 (or 1/2/3).
        InvalidKeyError: a PEM that is not an ML-DSA key of that set.
        InputError: hex that does not parse.
    """
    wanted = crypto.get_algorithm(algorithm)
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        loaded = crypto.load_public_key(stripped.encode())
        if loaded.algorithm != wanted:
            raise InputError(f"the PEM key is {loaded.algorithm}, not {wanted.name}")
        return wanted, loaded.raw
    return wanted, parse_hex(stripped, what="public key")


def check_signature(
    algorithm: Algorithm,
    public_key: bytes,
    message: bytes,
    signature: bytes,
    context: bytes = b"",
) -> bool:
    """FIPS 204 verification alone (no store): the fast path of `verify_signature`.

    Raises:
        InvalidKeyError: the public key has the wrong length for `algorithm`.
        ContextTooLongError: `context` is over 255 bytes.
    """
    return crypto.verify(algorithm, public_key, message, signature, context)


def record_rejection(store: Store, algorithm: Algorithm, public_key: bytes, *, where: str) -> None:
    """The `signature_rejected` event owed for a signature that failed under `public_key`.

    Raises:
        StoreError: the database failed.
    """
    record_event(
        store,
        SecurityEventType.SIGNATURE_REJECTED,
        f"{where}: {algorithm.name} signature did not verify",
        key_id=crypto.key_id(algorithm, public_key),
    )


def verify_signature(
    store: Store | None,
    algorithm: Algorithm,
    public_key: bytes,
    message: bytes,
    signature: bytes,
    context: bytes = b"",
    *,
    where: str,
) -> bool:
    """FIPS 204 verification; a signature that fails is a `signature_rejected` event.

    Raises:
        InvalidKeyError: the public key has the wrong length for `algorithm`.
        ContextTooLongError: `context` is over 255 bytes.
    """
    valid = check_signature(algorithm, public_key, message, signature, context)
    if not valid and store is not None:
        record_rejection(store, algorithm, public_key, where=where)
    return valid


def sign_document(
    store: Store | None,
    document: str,
    key: SigningKey,
    *,
    where: str,
    classifier: Classifier | None = None,
) -> str:
    """Screen, then sign a `.maml.md` document (nothing is signed when the screen refuses it).

    Raises:
        ScreeningError: the screen flagged the document.
        MamlError: the document does not parse or cannot take a signature.
    """
    screen_document(store, document, where=where, classifier=classifier)
    return maml.sign(document, key)


def verify_document(
    store: Store | None,
    document: str,
    keys: Sequence[PublicKey],
    *,
    require: Requirement = "all",
    lenient: bool = False,
    where: str,
    classifier: Classifier | None = None,
) -> maml.VerificationReport:
    """Screen, then verify a `.maml.md` document; a failed check is a `signature_rejected` event.

    Raises:
        ScreeningError: the screen flagged the document.
        MamlError: the document does not parse.
    """
    screen_document(store, document, where=where, classifier=classifier)
    report = maml.verify(document, keys, require=require, lenient=lenient)
    if not report.valid and store is not None:
        record_event(
            store,
            SecurityEventType.SIGNATURE_REJECTED,
            f"{where}: MAML document 0x{report.digest.hex()} did not verify",
        )
    return report


# --- envelopes ------------------------------------------------------------------------------------


def parse_recipient_key(text: str) -> KemPublicKey:
    """An envelope recipient's ML-KEM-768 public key from `0x` hex or a SubjectPublicKeyInfo PEM.

    Raises:
        InvalidKeyError: not an ML-KEM public key of the right length.
        InputError: hex that does not parse, or an ML-KEM key of another parameter set.
    """
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        key = KemPublicKey.from_pem(stripped.encode())
    else:
        key = KemPublicKey.from_bytes(parse_hex(stripped, what="recipient key"), ML_KEM_768)
    if key.algorithm != ML_KEM_768:
        raise InputError(f"a recipient is an {key.algorithm.name} key; envelopes use ML-KEM-768")
    return key


def encrypt_envelope(
    store: Store | None,
    plaintext: bytes,
    recipients: Sequence[KemPublicKey | bytes],
    *,
    aad: bytes = b"",
    sender: SigningKey | None = None,
    where: str,
    classifier: Classifier | None = None,
) -> Envelope:
    """Screen text plaintext (an agent reads it once opened), then seal it to the recipients.

    Raises:
        ScreeningError: the plaintext is text the screen flags.
        InputError, InvalidKeyError, EnvelopeLimitError: see `oracle.crypto.envelope.seal`.
    """
    screen_free_text(store, plaintext, where=where, field="plaintext", classifier=classifier)
    return seal(plaintext, recipients, aad=aad, sender=sender)


def decrypt_envelope(
    store: Store | None,
    envelope: Envelope,
    key: KemPrivateKey,
    *,
    aad: bytes = b"",
    expected_sender: bytes | PublicKey | None = None,
    where: str,
    classifier: Classifier | None = None,
) -> bytes:
    """Open an envelope; a sender signature that fails is a `signature_rejected` event, content
    that does not authenticate a `decryption_failed` one, and text plaintext is screened before
    it is returned.

    Raises:
        DecryptionError (and its subclasses): see `oracle.crypto.envelope.open_envelope`.
        ScreeningError: the plaintext is text the screen flags.
    """
    try:
        plaintext = open_envelope(envelope, key, aad=aad, expected_sender=expected_sender)
    except EnvelopeSignatureError as err:
        if store is not None:
            sender = envelope.sender
            record_event(
                store,
                SecurityEventType.SIGNATURE_REJECTED,
                f"{where}: envelope refused: {err}",
                key_id=sender.key_id if sender is not None else None,
            )
        raise
    except DecryptionError as err:
        if store is not None:
            record_event(
                store,
                SecurityEventType.DECRYPTION_FAILED,
                f"{where}: {err}",
                key_id=key.key_id,
            )
        raise
    screen_free_text(store, plaintext, where=where, field="plaintext", classifier=classifier)
    return plaintext


# --- keys on chain --------------------------------------------------------------------------------


def checked_key(store: Store | None, event: KeyRegistered) -> Key | None:
    """The logged key if it hashes to its key id; otherwise a `key_mismatch` event and None."""
    try:
        matches = crypto.key_id(event.algorithm_id, event.public_key) == event.key_id
    except CryptoError:
        matches = False
    if matches:
        return event.to_key()
    if store is not None:
        record_event(
            store,
            SecurityEventType.KEY_MISMATCH,
            f"a KeyRegistered log in block {event.block_number} carries a key that does not "
            "hash to its key id; it is ignored",
            key_id=event.key_id,
            tx_hash=event.tx_hash,
            block_number=event.block_number,
        )
    return None


def find_key(
    store: Store | None, verifier: Verifier | None, key_id: bytes, *, block: int | None = None
) -> Key | None:
    """A registered key by id: from the store, else from its `KeyRegistered` log (found through
    `keyOf` at `block`), kept only if its bytes hash to the id, and then stored.

    Raises:
        ChainError: the node failed.
        StoreError: the database failed.
    """
    if store is not None:
        known = store.key(key_id)
        if known is not None:
            return known
    if verifier is None:
        return None
    from oracle.chain.events import KeyRegistered

    record = verifier.key_of(key_id, block=block)
    if record.algorithm_id == 0:
        return None
    mined = record.registered_at
    for event in verifier.events_of(KeyRegistered, mined, mined):
        if event.key_id != key_id:
            continue
        key = checked_key(store, event)
        if key is not None:
            if store is not None:
                store.add_key(key)
            return key
    return None


@dataclass(frozen=True, slots=True)
class KeyRegistration:
    """The outcome of `register_key`: the id, and the transaction unless it was known already."""

    key_id: bytes
    algorithm: Algorithm
    already: bool
    tx_hash: bytes | None = None
    block_number: int | None = None
    gas_used: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON form the CLI and the API print."""
        found: dict[str, Any] = {
            "key_id": "0x" + self.key_id.hex(),
            "algorithm": self.algorithm.name,
            "registered": "already" if self.already else "now",
        }
        if self.tx_hash is not None:
            found.update(
                block=self.block_number, tx_hash="0x" + self.tx_hash.hex(), gas_used=self.gas_used
            )
        return found


def register_key(verifier: Verifier, public: PublicKey) -> KeyRegistration:
    """Register an ML-DSA public key unless the verifier knows it already.

    Raises:
        ChainError: the node failed or the transaction reverted.
    """
    if verifier.is_key_registered(public.key_id):
        return KeyRegistration(public.key_id, public.algorithm, already=True)
    key_id, sent, _ = verifier.register_key_tx(public.algorithm.id, public.raw)
    return KeyRegistration(
        key_id, public.algorithm, False, sent.tx_hash, sent.block_number, sent.gas_used
    )


# --- requests -------------------------------------------------------------------------------------


def status_as_json(status: RequestStatus) -> dict[str, Any]:
    """The JSON form of `statusOf`."""
    return {
        "status": status.status.label,
        "valid_votes": status.valid_votes,
        "invalid_votes": status.invalid_votes,
        "deadline": status.deadline,
    }


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request as this oracle's store and the contract see it (either may not know it)."""

    request_id: bytes
    stored: StoredRequest | None
    on_chain: RequestStatus | None

    @property
    def known(self) -> bool:
        """Whether the store or the contract holds the request."""
        chain_knows = self.on_chain is not None and self.on_chain.status.value != 0
        return self.stored is not None or chain_knows

    def as_json(self) -> dict[str, Any]:
        """The JSON form the API, the MCP tool and the CLI print."""
        found: dict[str, Any] = {"request_id": "0x" + self.request_id.hex()}
        if self.stored is not None:
            request = self.stored.request
            found["store"] = {
                "state": self.stored.state.value,
                "verdict": self.stored.verdict,
                "final_status": (
                    None if self.stored.final_status is None else self.stored.final_status.label
                ),
                "final_block": self.stored.final_block,
                "note": self.stored.note,
                "key_id": "0x" + request.key_id.hex(),
                "requester": request.requester,
                "block": request.block_number,
            }
        else:
            found["store"] = None
        found["chain"] = None if self.on_chain is None else status_as_json(self.on_chain)
        return found


def request_view(store: Store | None, verifier: Verifier | None, request_id: bytes) -> RequestView:
    """What the store and (when a verifier is given) the contract hold for `request_id`.

    Raises:
        ChainError: the node failed.
        StoreError: the database failed.
    """
    stored = store.request(request_id) if store is not None else None
    on_chain = verifier.status_of(request_id) if verifier is not None else None
    return RequestView(request_id, stored, on_chain)
