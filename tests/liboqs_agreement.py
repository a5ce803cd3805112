"""liboqs against the project: the same inputs to every implementation, and their verdicts compared.

Shared by tests/crypto/test_liboqs_js.py (which asserts every comparison agrees) and
benchmarks/agreement.py (which prints the table). liboqs is the WebAssembly build driven by
`tests.liboqs_js`; "the project" is every installed backend of `oracle.crypto` for ML-DSA, and
`oracle.crypto.kem` (cryptography's OpenSSL) with `oracle.crypto.envelope` for ML-KEM-768.
kyber-py (tests/crypto/mlkem_reference.py) gives a third opinion where a decapsulation takes an
expanded dk, the only private key form liboqs has.

An outcome is what an implementation answers: for ML-DSA True (verifies) or False (does not, or
the input is refused: liboqs refuses public keys of the wrong length and empty or overlong
signatures, the project refuses the keys with InvalidKeyError and returns False for the
signatures); for ML-KEM the shared secret in hex, or "refused". A comparison agrees when every
implementation gives the same outcome and, where the case has one, the expected outcome.

What liboqs cannot be asked, because its wrapper exports only OQS_SIG_keypair/sign/verify and
OQS_KEM_keypair/encaps/decaps, is listed in CANNOT_CHECK.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from oracle.crypto import ALGORITHMS, SigningKey, backend_status, get_algorithm, get_backend, verify
from oracle.crypto.envelope import (
    KEK_INFO_LABEL,
    Envelope,
    open_envelope,
    seal,
)
from oracle.crypto.kem import ML_KEM_768, KemPrivateKey, KemPublicKey
from oracle.errors import InvalidCiphertextError, InvalidKeyError
from tests.crypto import mlkem_reference as reference
from tests.liboqs_js import LiboqsJs, LiboqsRefused
from tests.vectors import load_cases

__all__ = [
    "CANNOT_CHECK",
    "LIBOQS",
    "Comparison",
    "SignatureCase",
    "Tally",
    "compare_signature",
    "envelope_round_trips",
    "flip_bit",
    "installed_backends",
    "kem_round_trips",
    "kem_vector_comparisons",
    "mldsa_random_comparisons",
    "mldsa_vector_cases",
    "mldsa_vector_comparisons",
    "run_all",
]

#: The name liboqs (its WebAssembly build) has in every table.
LIBOQS: Final = "liboqs"
#: The project's ML-KEM (oracle.crypto.kem on cryptography) and the test-only reference.
PROJECT_KEM: Final = "project"
REFERENCE_KEM: Final = "kyber-py"
REFUSED: Final = "refused"
#: Seed of the random choices (messages, which bit to flip); keys and signatures stay random.
SEED: Final = 204
VECTOR_CHECK: Final = "ML-DSA vectors (pure, empty context)"
EXPANDED_KEY_CHECK: Final = "ML-DSA keyGen expanded sk, signed by liboqs"
#: The prefix the key wrap binds: magic, version, suite, sender id, count (docs/envelope.md).
ENVELOPE_PREFIX_SIZE: Final = 9

#: Cases of the shared vectors and properties liboqs cannot check here, and why.
CANNOT_CHECK: Final[dict[str, str]] = {
    "ML-DSA contexts": (
        "OQS_SIG_sign/verify take no context string (FIPS 204 ctx is empty); the wrapper does not "
        "export OQS_SIG_sign_with_ctx_str/verify_with_ctx_str, so every sigVer/sigGen case with "
        "a non-empty context is left to the project's backends"
    ),
    "ML-DSA seeds and deterministic signing": (
        "no OQS_SIG_keypair_from_seed or caller randomness: liboqs cannot derive a key from a "
        "keyGen seed, and signs hedged with its own randomness, so sigGen signatures cannot be "
        "reproduced byte for byte (its signatures are checked by verification instead)"
    ),
    "ML-DSA pre-hash, internal and external-mu": (
        "HashML-DSA and ML-DSA.Sign_internal/external mu are not exported; those cases are only "
        "checked not to verify as pure empty-context signatures"
    ),
    "ML-DSA keys made by cryptography": (
        "liboqs signs with expanded private keys only (every keyGen case's sk, pqcrypto's keys, "
        "and pqcrypto signs with liboqs's); cryptography holds seed keys, and neither liboqs nor "
        "the project turns a seed into the expanded key or back, so liboqs never signs with one"
    ),
    "ML-KEM seeds and chosen randomness": (
        "no OQS_KEM_keypair_derand/encaps_derand: keyGen seeds and encapDecap m values cannot be "
        "given to liboqs, so a project key (seed d||z) reaches liboqs as the expanded dk "
        "kyber-py derives, and encapsulation is compared by decapsulating, not by bytes"
    ),
    "ML-KEM expanded decapsulation keys in the project": (
        "OQS_KEM_decaps runs the FIPS 203 section 7.3 check on an expanded dk (it refuses the "
        "'modified H' and corrupted-ek cases; compared with kyber-py's check), but the project "
        "takes no expanded dk, so it is not part of that comparison"
    ),
    "ML-KEM-1024": "the envelope suite is ML-KEM-768 only; 1024 is not compared here",
}


@dataclass(frozen=True, slots=True)
class Comparison:
    """One input given to every implementation: their outcomes and the expected one, if known."""

    check: str
    case: str
    outcomes: dict[str, object]
    expected: object = None

    @property
    def agrees(self) -> bool:
        """Every implementation gave the same outcome, and the expected one when there is one."""
        values = list(self.outcomes.values())
        same = all(value == values[0] for value in values)
        return same and (self.expected is None or values[0] == self.expected)

    def describe(self) -> str:
        """One line for a failure message: the case and each implementation's outcome."""
        shown = ", ".join(f"{name}={_short(value)}" for name, value in self.outcomes.items())
        return f"{self.check} {self.case}: {shown} (expected {_short(self.expected)})"


@dataclass(frozen=True, slots=True)
class SignatureCase:
    """A pure ML-DSA signature to verify with the empty context, and the right verdict."""

    id: str
    algorithm: str
    public_key: bytes
    message: bytes
    signature: bytes
    expected: bool


@dataclass
class Tally:
    """Cases and disagreements per check, and how many outcomes each implementation gave."""

    cases: dict[str, int] = field(default_factory=dict)
    disagreements: dict[str, list[Comparison]] = field(default_factory=dict)
    answered: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, comparison: Comparison) -> None:
        """Count one comparison."""
        check = comparison.check
        self.cases[check] = self.cases.get(check, 0) + 1
        per_implementation = self.answered.setdefault(check, {})
        for name in comparison.outcomes:
            per_implementation[name] = per_implementation.get(name, 0) + 1
        if not comparison.agrees:
            self.disagreements.setdefault(check, []).append(comparison)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 20 else f"{text[:16]}…"


def installed_backends() -> list[str]:
    """The project's ML-DSA backends that load here (liboqs only with its C library)."""
    return [status.name for status in backend_status() if status.available]


def flip_bit(data: bytes, bit: int) -> bytes:
    """`data` with bit `bit` (0 = least significant bit of the first byte) inverted."""
    mutated = bytearray(data)
    mutated[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutated)


# --- ML-DSA ---------------------------------------------------------------------------------------


def _liboqs_verdict(liboqs: LiboqsJs, case: SignatureCase) -> bool:
    try:
        return liboqs.sig_verify(case.algorithm, case.public_key, case.message, case.signature)
    except LiboqsRefused:
        return False


def _project_verdict(backend: str, case: SignatureCase) -> bool:
    try:
        return verify(
            case.algorithm, case.public_key, case.message, case.signature, b"", backend=backend
        )
    except InvalidKeyError:
        return False


def compare_signature(
    check: str, case: SignatureCase, liboqs: LiboqsJs, backends: Sequence[str]
) -> Comparison:
    """liboqs's and every backend's verdict on `case`."""
    outcomes: dict[str, object] = {LIBOQS: _liboqs_verdict(liboqs, case)}
    for backend in backends:
        outcomes[backend] = _project_verdict(backend, case)
    return Comparison(check, case.id, outcomes, case.expected)


def _hex(value: str | None) -> bytes:
    return bytes.fromhex(value) if value else b""


def mldsa_vector_cases() -> list[SignatureCase]:
    """Every shared ML-DSA case liboqs can verify: pure, empty context.

    sigVer cases (ACVP and Wycheproof) with their verdict; pre-hash, internal and external-mu
    signatures with an empty context, which must not verify as pure signatures of the same bytes.
    """
    cases = [
        SignatureCase(
            case["id"],
            case["parameter_set"],
            _hex(case["pk"]),
            _hex(case["message"]),
            _hex(case["signature"]),
            bool(case["valid"]),
        )
        for case in load_cases("mldsa_sigver.json")
        if case["interface"] == "pure" and not case["context"]
    ]
    for case in load_cases("mldsa_sigver_other.json") + load_cases("mldsa_siggen_other.json"):
        if case["context"] or not case.get("pk") or not case.get("signature"):
            continue
        signed = _hex(case["message"]) if case.get("message") else _hex(case["mu"])
        cases.append(
            SignatureCase(
                f"{case['id']} ({case['interface']} as pure)",
                case["parameter_set"],
                _hex(case["pk"]),
                signed,
                _hex(case["signature"]),
                False,
            )
        )
    return cases


def mldsa_expanded_key_cases(liboqs: LiboqsJs, rng: random.Random) -> Iterator[SignatureCase]:
    """liboqs signs with each keyGen case's expanded sk; the signature must verify under its pk."""
    for case in load_cases("mldsa_keygen.json"):
        if not case["valid"] or not case.get("sk"):
            continue
        message = rng.randbytes(rng.randint(1, 128))
        signature = liboqs.sig_sign(case["parameter_set"], _hex(case["sk"]), message)
        yield SignatureCase(
            f"{case['id']} (liboqs signs with the expanded sk)",
            case["parameter_set"],
            _hex(case["pk"]),
            message,
            signature,
            True,
        )


def _mutants(case: SignatureCase, rng: random.Random) -> list[SignatureCase]:
    """The case with one bit flipped in the message, in the signature, and in the public key."""
    return [
        SignatureCase(
            f"{case.id} message bit {(bit := rng.randrange(len(case.message) * 8))}",
            case.algorithm,
            case.public_key,
            flip_bit(case.message, bit),
            case.signature,
            False,
        ),
        SignatureCase(
            f"{case.id} signature bit {(bit := rng.randrange(len(case.signature) * 8))}",
            case.algorithm,
            case.public_key,
            case.message,
            flip_bit(case.signature, bit),
            False,
        ),
        SignatureCase(
            f"{case.id} key bit {(bit := rng.randrange(len(case.public_key) * 8))}",
            case.algorithm,
            flip_bit(case.public_key, bit),
            case.message,
            case.signature,
            False,
        ),
    ]


def random_signature_cases(
    liboqs: LiboqsJs,
    algorithm: str,
    signatures: int,
    backends: Sequence[str],
    rng: random.Random,
) -> Iterator[SignatureCase]:
    """`signatures` fresh signatures made each way, each followed by its three one-bit mutants.

    Rounds go in fours: liboqs makes a key pair and signs; the project signs (each installed
    backend in turn: cryptography with a seed key, pqcrypto with an expanded one); liboqs signs
    with an expanded key pqcrypto made; pqcrypto signs with an expanded key liboqs made. Without
    pqcrypto the last two are plain liboqs and project rounds.
    """
    params = get_algorithm(algorithm)
    crossing = "pqcrypto" in backends
    for index in range(signatures):
        message = rng.randbytes(rng.randint(1, 256))
        round_kind = index % 4 if crossing else index % 2
        if round_kind == 0:
            public_key, expanded = liboqs.sig_keypair(params.name)
            signature = liboqs.sig_sign(params.name, expanded, message)
            origin = "liboqs"
        elif round_kind == 1:
            backend = backends[(index // 4) % len(backends)]
            key = SigningKey.generate(params, backend=backend)
            public_key, signature = key.public_key, key.sign(message)
            origin = f"project ({backend})"
        elif round_kind == 2:
            pair = get_backend("pqcrypto").generate(params)
            public_key = pair.public_key
            signature = liboqs.sig_sign(params.name, pair.private_key.data, message)
            origin = "liboqs signs with a pqcrypto key"
        else:
            public_key, expanded = liboqs.sig_keypair(params.name)
            key = SigningKey.from_expanded(params, expanded, public_key, backend="pqcrypto")
            signature = key.sign(message)
            origin = "pqcrypto signs with a liboqs key"
        case = SignatureCase(
            f"{params.name} #{index} {origin}", params.name, public_key, message, signature, True
        )
        yield case
        yield from _mutants(case, rng)


# --- ML-KEM-768 -----------------------------------------------------------------------------------


def _project_decaps(key: KemPrivateKey, ciphertext: bytes) -> str:
    try:
        return key.decapsulate(ciphertext).hex()
    except InvalidCiphertextError:
        return REFUSED


def _liboqs_decaps(liboqs: LiboqsJs, dk: bytes, ciphertext: bytes) -> str:
    try:
        return liboqs.kem_decaps(dk, ciphertext).hex()
    except LiboqsRefused:
        return REFUSED


def _reference_decaps(dk: bytes, ciphertext: bytes) -> str:
    try:
        return reference.decaps(ML_KEM_768.name, dk, ciphertext).hex()
    except ValueError:
        return REFUSED


def kem_round_trips(liboqs: LiboqsJs, rounds: int, rng: random.Random) -> Iterator[Comparison]:
    """Raw ML-KEM-768 both ways, and single-bit mutations of each ciphertext.

    liboqs encapsulates to a project key (held as its seed; liboqs gets the expanded dk kyber-py
    derives from it), the project decapsulates; then every mutant must give the same implicit
    rejection secret in the project, liboqs and kyber-py. The project encapsulates to a liboqs
    key, liboqs decapsulates; its mutants are compared between liboqs and kyber-py (the project
    cannot load an expanded dk).
    """
    for index in range(rounds):
        key = KemPrivateKey.generate(ML_KEM_768)
        ek, dk = reference.keygen_internal(ML_KEM_768.name, key.seed)
        yield Comparison(
            "ML-KEM-768 expanded dk of a project key",
            f"#{index}",
            {PROJECT_KEM: key.public_key.raw.hex(), REFERENCE_KEM: ek.hex()},
        )
        shared, ciphertext = liboqs.kem_encaps(key.public_key.raw)
        yield Comparison(
            "ML-KEM-768 liboqs encapsulates, project decapsulates",
            f"#{index}",
            {
                LIBOQS: shared.hex(),
                PROJECT_KEM: _project_decaps(key, ciphertext),
                f"{LIBOQS} (dk)": _liboqs_decaps(liboqs, dk, ciphertext),
            },
        )
        bit = rng.randrange(len(ciphertext) * 8)
        mutated = flip_bit(ciphertext, bit)
        rejection = Comparison(
            "ML-KEM-768 implicit rejection, project key",
            f"#{index} ciphertext bit {bit}",
            {
                PROJECT_KEM: _project_decaps(key, mutated),
                LIBOQS: _liboqs_decaps(liboqs, dk, mutated),
                REFERENCE_KEM: _reference_decaps(dk, mutated),
            },
        )
        yield rejection
        yield Comparison(
            "ML-KEM-768 mutated ciphertext gives another secret",
            f"#{index} ciphertext bit {bit}",
            {name: value != shared.hex() for name, value in rejection.outcomes.items()},
            True,
        )

        liboqs_ek, liboqs_dk = liboqs.kem_keypair(ML_KEM_768.name)
        shared, ciphertext = KemPublicKey.from_bytes(liboqs_ek).encapsulate()
        yield Comparison(
            "ML-KEM-768 project encapsulates, liboqs decapsulates",
            f"#{index}",
            {PROJECT_KEM: shared.hex(), LIBOQS: _liboqs_decaps(liboqs, liboqs_dk, ciphertext)},
        )
        bit = rng.randrange(len(ciphertext) * 8)
        mutated = flip_bit(ciphertext, bit)
        yield Comparison(
            "ML-KEM-768 implicit rejection, liboqs key",
            f"#{index} ciphertext bit {bit}",
            {
                LIBOQS: _liboqs_decaps(liboqs, liboqs_dk, mutated),
                REFERENCE_KEM: _reference_decaps(liboqs_dk, mutated),
            },
        )


@dataclass(frozen=True, slots=True)
class _LiboqsEncapsulatingKey(KemPublicKey):
    """A project public key whose encapsulation liboqs performs (the envelope code is unchanged).

    Every (shared secret, ciphertext) liboqs returned is appended to `made`.
    """

    liboqs: LiboqsJs | None = field(default=None, compare=False, repr=False)
    made: list[tuple[bytes, bytes]] = field(default_factory=list, compare=False, repr=False)

    def encapsulate(self) -> tuple[bytes, bytes]:
        """liboqs's OQS_KEM_encaps to this key."""
        assert self.liboqs is not None
        result = self.liboqs.kem_encaps(self.raw)
        self.made.append(result)
        return result


def open_with_shared_secret(
    envelope: Envelope, index: int, shared_secret: bytes, aad: bytes
) -> bytes:
    """The plaintext of `envelope`, from recipient `index`'s KEM shared secret (docs/envelope.md).

    Raises:
        cryptography.exceptions.InvalidTag: the secret, the entry or the envelope is wrong.
    """
    entry = envelope.recipients[index]
    info = KEK_INFO_LABEL + bytes([envelope.version, envelope.suite]) + entry.key_id
    kek = HKDF(hashes.SHA256(), 32, None, info + entry.kem_ciphertext).derive(shared_secret)
    header = envelope.header
    content_key = AESGCM(kek).decrypt(
        entry.wrap_nonce, entry.wrapped_key, header[:ENVELOPE_PREFIX_SIZE]
    )
    content_aad = header + hashlib.sha256(aad).digest()
    return AESGCM(content_key).decrypt(envelope.nonce, envelope.ciphertext, content_aad)


def envelope_round_trips(liboqs: LiboqsJs, rounds: int, rng: random.Random) -> Iterator[Comparison]:
    """ML-KEM-768 through the project's envelopes, both ways.

    liboqs does the encapsulation inside `seal` for a project key, and `open_envelope` with the
    project's private key must return the plaintext; the project seals to a liboqs key, liboqs
    decapsulates the entry's KEM ciphertext, and that secret must open the envelope by the
    documented key schedule. The outcome is the plaintext recovered (hex).
    """
    for index in range(rounds):
        plaintext, aad = rng.randbytes(rng.randint(0, 512)), rng.randbytes(rng.randint(0, 32))
        key = KemPrivateKey.generate(ML_KEM_768)
        recipient = _LiboqsEncapsulatingKey(ML_KEM_768, key.public_key.raw, liboqs=liboqs)
        envelope = Envelope.from_bytes(seal(plaintext, [recipient], aad=aad).to_bytes())
        assert len(recipient.made) == 1
        shared, _ = recipient.made[0]
        yield Comparison(
            "envelope: liboqs encapsulates, project opens",
            f"#{index}",
            {
                PROJECT_KEM: open_envelope(envelope, key, aad=aad).hex(),
                LIBOQS: open_with_shared_secret(envelope, 0, shared, aad).hex(),
            },
            plaintext.hex(),
        )

        liboqs_ek, liboqs_dk = liboqs.kem_keypair(ML_KEM_768.name)
        other = KemPrivateKey.generate(ML_KEM_768)
        envelope = seal(plaintext, [other.public_key, liboqs_ek], aad=aad)
        secret = liboqs.kem_decaps(liboqs_dk, envelope.recipients[1].kem_ciphertext)
        yield Comparison(
            "envelope: project seals, liboqs decapsulates",
            f"#{index}",
            {
                LIBOQS: open_with_shared_secret(envelope, 1, secret, aad).hex(),
                PROJECT_KEM: open_envelope(envelope, other, aad=aad).hex(),
            },
            plaintext.hex(),
        )


def kem_vector_comparisons(liboqs: LiboqsJs) -> Iterator[Comparison]:
    """ML-KEM-768 cases liboqs can run: decapsulation with an expanded dk, encapsulation key checks.

    Decapsulation: every case with a 2400-byte dk and its K (valid and modified ciphertexts);
    the project decapsulates too when the case gives the seed. Decapsulation keys: liboqs must
    refuse exactly the expanded dks that fail kyber-py's FIPS 203 section 7.3 check (wrong
    length, H(ek) or the embedded ek modified). Encapsulation keys: liboqs must encapsulate to
    exactly the keys the project accepts (wrong lengths, coefficients not reduced mod q).
    """
    for case in load_cases("mlkem_decaps.json"):
        if case["parameter_set"] != ML_KEM_768.name:
            continue
        dk, ciphertext = _hex(case.get("dk")), _hex(case.get("c"))
        if dk and len(ciphertext) in (0, ML_KEM_768.ciphertext_size):
            # Only the key can make these cases invalid; a key-check case brings no ciphertext.
            probe = ciphertext or bytes(ML_KEM_768.ciphertext_size)
            yield Comparison(
                "ML-KEM-768 decapsulation key accepted",
                case["id"],
                {
                    LIBOQS: _liboqs_decaps(liboqs, dk, probe) != REFUSED,
                    REFERENCE_KEM: reference.decapsulation_key_check(ML_KEM_768.name, dk),
                },
                bool(case["valid"]),
            )
        if not case.get("K"):
            continue
        dk, ciphertext = _hex(case.get("dk")), _hex(case["c"])
        outcomes: dict[str, object] = {}
        if len(dk) == 2400:
            outcomes[LIBOQS] = _liboqs_decaps(liboqs, dk, ciphertext)
            outcomes[REFERENCE_KEM] = _reference_decaps(dk, ciphertext)
        if case.get("seed"):
            outcomes[PROJECT_KEM] = _project_decaps(
                KemPrivateKey.from_seed(_hex(case["seed"])), ciphertext
            )
        if LIBOQS in outcomes:
            yield Comparison("ML-KEM-768 decapsulation vectors", case["id"], outcomes, case["K"])
    for case in load_cases("mlkem_encaps.json"):
        if case["parameter_set"] != ML_KEM_768.name:
            continue
        ek = _hex(case["ek"])
        yield Comparison(
            "ML-KEM-768 encapsulation key accepted",
            case["id"],
            {LIBOQS: _liboqs_accepts(liboqs, ek), PROJECT_KEM: _project_accepts(ek)},
            bool(case["valid"]),
        )


def _liboqs_accepts(liboqs: LiboqsJs, ek: bytes) -> bool:
    try:
        liboqs.kem_encaps(ek)
    except LiboqsRefused:
        return False
    return True


def _project_accepts(ek: bytes) -> bool:
    try:
        KemPublicKey.from_bytes(ek)
    except InvalidKeyError:
        return False
    return True


# --- everything -----------------------------------------------------------------------------------


def mldsa_vector_comparisons(
    liboqs: LiboqsJs, backends: Sequence[str], rng: random.Random
) -> Iterator[Comparison]:
    """Every vector case of `mldsa_vector_cases` and `mldsa_expanded_key_cases`, compared."""
    for case in mldsa_vector_cases():
        yield compare_signature(VECTOR_CHECK, case, liboqs, backends)
    for case in mldsa_expanded_key_cases(liboqs, rng):
        yield compare_signature(EXPANDED_KEY_CHECK, case, liboqs, backends)


def mldsa_random_comparisons(
    liboqs: LiboqsJs, algorithm: str, signatures: int, backends: Sequence[str], rng: random.Random
) -> Iterator[Comparison]:
    """Every case of `random_signature_cases`, compared."""
    check = f"{algorithm} random signatures and 1-bit mutants"
    for case in random_signature_cases(liboqs, algorithm, signatures, backends, rng):
        yield compare_signature(check, case, liboqs, backends)


def run_all(liboqs: LiboqsJs, *, signatures: int = 80, kem_rounds: int = 20) -> Tally:
    """Every comparison once; `signatures` per ML-DSA parameter set, `kem_rounds` per KEM check."""
    backends = installed_backends()
    rng = random.Random(SEED)
    tally = Tally()
    for comparison in mldsa_vector_comparisons(liboqs, backends, rng):
        tally.add(comparison)
    for algorithm in ALGORITHMS:
        for comparison in mldsa_random_comparisons(
            liboqs, algorithm.name, signatures, backends, rng
        ):
            tally.add(comparison)
    for group in (kem_round_trips, envelope_round_trips):
        for comparison in group(liboqs, kem_rounds, rng):
            tally.add(comparison)
    for comparison in kem_vector_comparisons(liboqs):
        tally.add(comparison)
    return tally
