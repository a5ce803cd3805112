"""The MCP tools: thin shells over `oracle.operations`, answering in the HTTP API's JSON forms.

Each public method of `OracleTools` is one tool; its typed parameters (with descriptions) become
the tool's input schema and its return model the output schema. Bytes travel as `0x` hex, as in
the HTTP API, and the results are the API's response models, so an agent and an HTTP client read
the same JSON. Screening, security events and the checks themselves live in `oracle.operations`;
failures are `OracleError`s, which `oracle.mcp.server` turns into tool errors. No SDK import here.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import Field

from oracle import crypto, operations
from oracle.api.models import (
    EnvelopeDecryptResponse,
    EnvelopeEncryptResponse,
    Hex,
    MamlSignResponse,
    MamlVerifyResponse,
    RequestViewOut,
    VerifyResponse,
)
from oracle.api.routes import MAX_API_PLAINTEXT
from oracle.crypto.envelope import Envelope
from oracle.errors import ConfigError, InputError
from oracle.inputs import parse_hex

if TYPE_CHECKING:
    from oracle.chain import Verifier
    from oracle.config import Settings
    from oracle.crypto import SigningKey
    from oracle.keyring import Keyring
    from oracle.screening.classifier import Classifier
    from oracle.store import Store

__all__ = ["TOOL_NAMES", "OracleTools"]

#: The tools `OracleTools` offers, in the order a client lists them.
TOOL_NAMES: Final = (
    "verify_signature",
    "sign_maml",
    "verify_maml",
    "encrypt_envelope",
    "decrypt_envelope",
    "request_status",
)
#: Largest document a tool takes (the HTTP API's limit too).
MAX_DOCUMENT = 1_048_576

AlgorithmName = Annotated[
    str | int,
    Field(description="ML-DSA-44, ML-DSA-65 or ML-DSA-87, or the contract's id 1, 2 or 3."),
]
PublicKeyText = Annotated[
    str,
    Field(
        max_length=8192,
        description="The signer's ML-DSA public key: raw bytes as 0x hex, or a "
        "SubjectPublicKeyInfo PEM.",
    ),
]
Message = Annotated[Hex, Field(description="The signed message, as 0x hex.")]
Signature = Annotated[Hex, Field(description="The ML-DSA signature, as 0x hex.")]
#: Said in the schema of an optional bytes parameter (its Python default is b"").
_EMPTY_HEX: Final = {"default": "0x"}

SignatureContext = Annotated[
    Hex,
    Field(
        description="FIPS 204 context string, as 0x hex (at most 255 bytes).",
        json_schema_extra=_EMPTY_HEX,
    ),
]
Document = Annotated[
    str, Field(max_length=MAX_DOCUMENT, description="The `.maml.md` document's whole text.")
]
TrustedKeys = Annotated[
    list[Annotated[str, Field(max_length=8192)]],
    Field(
        min_length=1,
        max_length=64,
        description="Public keys trusted to sign the document, as SubjectPublicKeyInfo PEMs.",
    ),
]
Requirement = Annotated[
    Literal["all", "any"],
    Field(description="Whether every signature must verify (`all`) or one is enough (`any`)."),
]
Lenient = Annotated[
    bool,
    Field(description="Accept legacy documents the strict parser refuses (with warnings)."),
]
KeyName = Annotated[
    str, Field(max_length=64, description="Name of an ML-DSA signing key this server holds.")
]
KemKeyName = Annotated[
    str, Field(max_length=64, description="Name of an ML-KEM envelope key this server holds.")
]
Recipients = Annotated[
    list[Annotated[str, Field(max_length=8192)]],
    Field(
        min_length=1,
        max_length=64,
        description="Recipients' ML-KEM-768 public keys: 0x hex (1184 bytes) or "
        "SubjectPublicKeyInfo PEM.",
    ),
]
Plaintext = Annotated[
    Hex, Field(description=f"The plaintext to seal, as 0x hex (at most {MAX_API_PLAINTEXT} bytes).")
]
AssociatedData = Annotated[
    Hex,
    Field(
        description="Associated data, as 0x hex: authenticated, not stored in the envelope.",
        json_schema_extra=_EMPTY_HEX,
    ),
]
SenderKeyName = Annotated[
    str | None,
    Field(max_length=64, description="Name of a server ML-DSA key to sign the envelope with."),
]
EnvelopeJson = Annotated[
    dict[str, Any], Field(description="The envelope's JSON form, as `encrypt_envelope` returns it.")
]
ExpectedSender = Annotated[
    str | None,
    Field(
        max_length=8192,
        description="A trusted sender's ML-DSA public key as PEM: an envelope not signed by it "
        "is refused.",
    ),
]
RequestIdText = Annotated[
    str,
    Field(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="The request id, 0x + 32 bytes (as `pqoracle request` prints it).",
    ),
]


def _where(tool: str) -> str:
    return f"mcp:{tool}"


class OracleTools:
    """The tools of one server: over its store, the service's keys, and the verifier the
    settings name (attached on first use)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        keyring: Keyring | None,
        classifier: Classifier | None = None,
    ) -> None:
        """Serve over `store`, signing and opening envelopes with `keyring` (None: no keys), and
        screening with the rules and `classifier` (when given) as the HTTP routes do."""
        self._settings = settings
        self._store = store
        self._keyring = keyring
        self._classifier = classifier
        self._verifier: Verifier | None = None
        # Tools run in worker threads: one lock makes the first attach to the node happen once.
        self._chain_lock = threading.Lock()

    @property
    def chain_configured(self) -> bool:
        """Whether the settings name a node and a verifier (`request_status` then asks it)."""
        return self._settings.rpc_url is not None and self._settings.verifier_address is not None

    def _keys(self) -> Keyring:
        if self._keyring is None:
            raise ConfigError(
                "this server holds no keys: set PQORACLE_API_SIGNING_KEYS_DIR "
                "(or --signing-keys-dir) to a directory of PEM keys"
            )
        return self._keyring

    def _signing_key(self, name: str) -> SigningKey:
        return self._keys().get(name)

    def _chain(self) -> Verifier | None:
        if not self.chain_configured:
            return None
        with self._chain_lock:
            if self._verifier is None:
                from oracle.chain.attach import open_verifier

                self._verifier = open_verifier(self._settings, what="request_status")
            return self._verifier

    def verify_signature(
        self,
        algorithm: AlgorithmName,
        public_key: PublicKeyText,
        message: Message,
        signature: Signature,
        context: SignatureContext = b"",
    ) -> VerifyResponse:
        """Check one ML-DSA signature (FIPS 204, any parameter set) over a message.

        Answers `valid: false` for a signature that does not verify (and records a
        `signature_rejected` security event); malformed keys, sizes and hex are tool errors.

        Raises:
            InputError, UnknownAlgorithmError, InvalidKeyError, ContextTooLongError: bad input.
            StoreError: the store failed.
        """
        chosen, raw = operations.parse_public_key(algorithm, public_key)
        valid = operations.verify_signature(
            self._store,
            chosen,
            raw,
            message,
            signature,
            context,
            where=_where("verify_signature"),
        )
        return VerifyResponse(valid=valid)

    def sign_maml(self, document: Document, key: KeyName) -> MamlSignResponse:
        """Sign a `.maml.md` document with one of this server's ML-DSA keys, by name.

        The document's sections and free-text fields are screened for prompt injection first:
        a flagged document is refused (tool error naming the reason) and nothing is signed.

        Raises:
            ConfigError: the server holds no keys.
            InputError: no key of that name.
            ScreeningError: the screen refused the document.
            MamlError: the document does not parse or cannot take a signature.
        """
        signer = self._signing_key(key)
        signed = operations.sign_document(
            self._store, document, signer, where=_where("sign_maml"), classifier=self._classifier
        )
        return MamlSignResponse.model_validate(
            {"document": signed, "key_id": "0x" + signer.key_id.hex()}
        )

    def verify_maml(
        self,
        document: Document,
        public_keys: TrustedKeys,
        require: Requirement = "all",
        lenient: Lenient = False,
    ) -> MamlVerifyResponse:
        """Verify a `.maml.md` document's signatures and history against trusted public keys.

        The document is screened for prompt injection first (a flagged one is a tool error);
        a document that fails verification answers `valid: false` with the report.

        Raises:
            InvalidKeyError: a trusted key is not an ML-DSA public key PEM.
            ScreeningError: the screen refused the document.
            MamlError: the document does not parse.
        """
        keys = [crypto.load_public_key(pem.strip().encode()) for pem in public_keys]
        report = operations.verify_document(
            self._store,
            document,
            keys,
            require=require,
            lenient=lenient,
            where=_where("verify_maml"),
            classifier=self._classifier,
        )
        return MamlVerifyResponse.model_validate(report.as_json())

    def encrypt_envelope(
        self,
        recipients: Recipients,
        plaintext: Plaintext,
        aad: AssociatedData = b"",
        sign_with: SenderKeyName = None,
    ) -> EnvelopeEncryptResponse:
        """Seal a plaintext to ML-KEM-768 public keys (AES-256-GCM content), signed by one of
        this server's ML-DSA keys when `sign_with` names one.

        Text plaintext is screened for prompt injection first (an agent reads it once opened):
        flagged text is refused with a tool error.

        Raises:
            InputError, InvalidKeyError: a malformed recipient, or no key named `sign_with`.
            EnvelopeLimitError: too many recipients.
            ScreeningError: the screen refused the plaintext.
        """
        if len(plaintext) > MAX_API_PLAINTEXT:
            raise InputError(f"plaintext over {MAX_API_PLAINTEXT} bytes")
        keys = [operations.parse_recipient_key(text) for text in recipients]
        sender = None if sign_with is None else self._signing_key(sign_with)
        envelope = operations.encrypt_envelope(
            self._store,
            plaintext,
            keys,
            aad=aad,
            sender=sender,
            where=_where("encrypt_envelope"),
            classifier=self._classifier,
        )
        return EnvelopeEncryptResponse.model_validate(
            {
                "envelope": json.loads(envelope.to_json()),
                "recipient_key_ids": ["0x" + key_id.hex() for key_id in envelope.recipient_key_ids],
                "sender_key_id": None if sender is None else "0x" + sender.key_id.hex(),
            }
        )

    def decrypt_envelope(
        self,
        envelope: EnvelopeJson,
        key: KemKeyName,
        aad: AssociatedData = b"",
        expected_sender: ExpectedSender = None,
    ) -> EnvelopeDecryptResponse:
        """Open an envelope sealed to one of this server's ML-KEM keys, by name.

        Its sender signature, if any, is checked (and required from `expected_sender` when
        given); text plaintext is screened for prompt injection before it is returned.

        Raises:
            ConfigError: the server holds no keys.
            InputError: no ML-KEM key of that name.
            EnvelopeFormatError: not an envelope's JSON form.
            DecryptionError: not a recipient, tampered content, or a refused sender signature.
            ScreeningError: the screen refused the plaintext.
        """
        keyring = self._keys()
        keyring.kem(key)  # an unknown name is refused before the envelope is read
        sealed = Envelope.from_json(json.dumps(envelope))
        kem_key = keyring.kem_for(key, sealed.recipient_key_ids)
        expected = (
            None
            if expected_sender is None
            else crypto.load_public_key(expected_sender.strip().encode())
        )
        plaintext = operations.decrypt_envelope(
            self._store,
            sealed,
            kem_key,
            aad=aad,
            expected_sender=expected,
            where=_where("decrypt_envelope"),
            classifier=self._classifier,
        )
        sender = sealed.sender
        return EnvelopeDecryptResponse.model_validate(
            {
                "plaintext": "0x" + plaintext.hex(),
                "sender_key_id": None if sender is None else "0x" + sender.key_id.hex(),
            }
        )

    def request_status(self, request_id: RequestIdText) -> RequestViewOut:
        """A verification request as this oracle's store and (when a node and verifier are
        configured) the SignatureVerifier contract see it: status, votes, deadline, verdict.

        An id that neither knows is a tool error.

        Raises:
            InputError: not 32 bytes of hex, or an id neither the store nor the contract knows.
            ConfigError, ChainConnectionError, ChainError: the node or the contract failed.
            StoreError: the store failed.
        """
        raw = parse_hex(request_id, what="request id", length=32)
        view = operations.request_view(self._store, self._chain(), raw)
        if not view.known:
            where = (
                "the store or the contract"
                if self.chain_configured
                else "this oracle's store (no node or verifier is configured: "
                "PQORACLE_RPC_URL, PQORACLE_VERIFIER_ADDRESS)"
            )
            raise InputError(f"no request has id 0x{raw.hex()} in {where}")
        return RequestViewOut.model_validate(view.as_json())
