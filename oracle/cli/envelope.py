"""`pqoracle envelope keygen|encrypt|decrypt`: ML-KEM-768 + AES-256-GCM envelopes on files.

Exit codes: 0 success, 1 the envelope failed to authenticate (wrong key, modified data, wrong or
missing sender signature), 2 bad input (one-line reason on stderr).
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from oracle.cli._io import emit, read_password, read_source, write_output, write_private
from oracle.cli.keys import load_signing_key
from oracle.crypto import ALGORITHMS, PublicKey, load_public_key
from oracle.crypto.envelope import MAGIC, Envelope, open_envelope, seal
from oracle.crypto.kem import ML_KEM_768, KemPrivateKey, KemPublicKey
from oracle.errors import InputError, InvalidKeyError
from oracle.inputs import parse_hex

_HEX_TEXT = re.compile(rb"\s*(0x)?[0-9a-fA-F]+\s*")


def load_recipient(path: str) -> KemPublicKey:
    """An ML-KEM-768 public key from a PEM/DER file, raw 1184 bytes, or 0x hex text.

    Raises:
        InputError: unreadable file.
        InvalidKeyError: none of those forms, or not a valid ML-KEM-768 key.
    """
    data = read_source(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        key = KemPublicKey.from_pem(data)
    elif len(data) == ML_KEM_768.public_key_size:
        key = KemPublicKey.from_bytes(data, ML_KEM_768)
    elif _HEX_TEXT.fullmatch(data):
        raw = parse_hex(data.decode("ascii").strip(), what=f"recipient key {path}")
        key = KemPublicKey.from_bytes(raw, ML_KEM_768)
    else:
        key = KemPublicKey.from_pem(data)  # DER SubjectPublicKeyInfo
    if key.algorithm != ML_KEM_768:
        raise InvalidKeyError(f"{path} is an {key.algorithm.name} key; envelopes use ML-KEM-768")
    return key


def load_sender(path: str) -> PublicKey:
    """An ML-DSA public key from a PEM/DER file or its raw bytes (the length names the set).

    Raises:
        InputError: unreadable file.
        InvalidKeyError: not an ML-DSA public key.
    """
    data = read_source(path)
    for algorithm in ALGORITHMS:
        if len(data) == algorithm.public_key_size and not data.startswith(b"-----BEGIN"):
            return PublicKey(algorithm, data)
    return load_public_key(data)


def _parse_envelope(data: bytes, form: str) -> Envelope:
    if form == "auto":
        form = "binary" if data.startswith(MAGIC) else "json"
    return Envelope.from_bytes(data) if form == "binary" else Envelope.from_json(data)


@click.group(name="envelope")
def envelope() -> None:
    """Encrypt to ML-KEM-768 public keys (AES-256-GCM), optionally signed with ML-DSA."""


@envelope.command()
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Private key PEM to create (mode 0600); the public key goes to <out>.pub.",
)
@click.option("--password-file", help="Encrypt the private key with the password in this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def keygen(out: Path, password_file: str | None, as_json: bool) -> None:
    """Generate an ML-KEM-768 key pair and write it as PEM files."""
    key = KemPrivateKey.generate(ML_KEM_768)
    public_path = out.with_name(out.name + ".pub")
    if public_path.exists():
        raise InputError(f"{public_path} exists; refusing to overwrite")
    write_private(out, key.to_pem(password=read_password(password_file)))
    try:
        public_path.write_bytes(key.public_key.to_pem())
    except OSError as err:
        raise InputError(f"cannot write {public_path}: {err.strerror}") from err
    result = {
        "algorithm": ML_KEM_768.name,
        "key_id": key.key_id.hex(),
        "private_key_file": str(out),
        "public_key_file": str(public_path),
    }
    emit(result, as_json)


@envelope.command()
@click.argument("source", default="-")
@click.option(
    "--recipient",
    "-r",
    "recipients",
    multiple=True,
    required=True,
    help="Recipient ML-KEM-768 public key: PEM, raw or 0x hex file (repeatable).",
)
@click.option("--aad-file", help="Associated data to bind (e.g. a document's front matter).")
@click.option("--sign-with", help="Sender ML-DSA private key PEM: sign the envelope.")
@click.option("--sign-password-file", help="File holding the --sign-with key's password.")
@click.option(
    "--format",
    "form",
    type=click.Choice(["binary", "json"]),
    default="binary",
    show_default=True,
)
@click.option("--out", "-o", default="-", show_default=True, help="Output file ('-': stdout).")
def encrypt(
    source: str,
    recipients: tuple[str, ...],
    aad_file: str | None,
    sign_with: str | None,
    sign_password_file: str | None,
    form: str,
    out: str,
) -> None:
    """Encrypt SOURCE ('-': stdin) to every --recipient."""
    keys = [load_recipient(path) for path in recipients]
    sender = load_signing_key(sign_with, sign_password_file) if sign_with else None
    aad = read_source(aad_file) if aad_file else b""
    sealed = seal(read_source(source), keys, aad=aad, sender=sender)
    write_output(out, sealed.to_bytes() if form == "binary" else sealed.to_json().encode())


@envelope.command()
@click.argument("source", default="-")
@click.option("--key", "-k", "key_file", required=True, help="Recipient ML-KEM private key PEM.")
@click.option("--password-file", help="File holding the --key password.")
@click.option("--aad-file", help="The associated data given at encryption.")
@click.option(
    "--expect-sender",
    help="Require a valid signature by this ML-DSA public key (PEM or raw file).",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["auto", "binary", "json"]),
    default="auto",
    show_default=True,
    help="Envelope encoding; auto tells them apart by the PQE1 magic.",
)
@click.option("--out", "-o", default="-", show_default=True, help="Output file ('-': stdout).")
def decrypt(
    source: str,
    key_file: str,
    password_file: str | None,
    aad_file: str | None,
    expect_sender: str | None,
    form: str,
    out: str,
) -> None:
    """Decrypt the envelope in SOURCE ('-': stdin); exit 1 if it does not authenticate."""
    key = KemPrivateKey.from_pem(read_source(key_file), password=read_password(password_file))
    expected = load_sender(expect_sender) if expect_sender else None
    aad = read_source(aad_file) if aad_file else b""
    sealed = _parse_envelope(read_source(source), form)
    # Nothing is written unless the whole envelope authenticated.
    write_output(out, open_envelope(sealed, key, aad=aad, expected_sender=expected))
