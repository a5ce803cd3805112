"""`pqoracle keygen`, `sign` and `verify`: ML-DSA keys and signatures from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from oracle.cli._io import emit, payload, read_password, read_source, write_private
from oracle.crypto import ALGORITHMS, SigningKey, get_algorithm, load_public_key, verify
from oracle.errors import InputError
from oracle.inputs import parse_hex

_ALGORITHM_NAMES = [a.name for a in ALGORITHMS]


def load_signing_key(path: str, password_file: str | None) -> SigningKey:
    """Read a PEM private key, with its password from a file when one is given.

    Raises:
        InputError: unreadable file.
        InvalidKeyError: not an ML-DSA key, or wrong password.
    """
    return SigningKey.from_pem(read_source(path), password=read_password(password_file))


def message_options(func: click.decorators.FC) -> click.decorators.FC:
    """--message/--message-hex/--message-file and --context/--context-hex."""
    options = [
        click.option("--message", "message", help="Message as UTF-8 text."),
        click.option("--message-hex", help="Message as 0x hex."),
        click.option("--message-file", help="Message file ('-' for stdin)."),
        click.option("--context", help="FIPS 204 context string as UTF-8 text (max 255 bytes)."),
        click.option("--context-hex", help="Context string as 0x hex."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def message_input(message: str | None, message_hex: str | None, message_file: str | None) -> bytes:
    """The message from exactly one of its three options.

    Raises:
        InputError: none or several given, or bad hex.
    """
    if message is None and message_hex is None and message_file is None:
        raise InputError("no message: give --message, --message-hex or --message-file")
    return payload(message, message_hex, message_file, what="message")


def signature_input(signature_hex: str | None, signature_file: str | None) -> bytes:
    """The signature from exactly one of --signature-hex and --signature-file.

    Raises:
        InputError: none or both given, or bad hex.
    """
    if (signature_hex is None) == (signature_file is None):
        raise InputError("give the signature once: --signature-hex or --signature-file")
    return payload(None, signature_hex, signature_file, what="signature")


@click.command()
@click.option(
    "--algorithm",
    "-a",
    default="ML-DSA-65",
    show_default=True,
    help=f"One of {', '.join(_ALGORITHM_NAMES)}.",
)
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Private key PEM to create (mode 0600); the public key goes to <out>.pub.",
)
@click.option("--password-file", help="Encrypt the private key with the password in this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def keygen(algorithm: str, out: Path, password_file: str | None, as_json: bool) -> None:
    """Generate an ML-DSA key pair and write it as PEM files."""
    params = get_algorithm(algorithm)
    password = read_password(password_file)
    key = SigningKey.generate(params)
    public_path = out.with_name(out.name + ".pub")
    if public_path.exists():
        raise InputError(f"{public_path} exists; refusing to overwrite")
    write_private(out, key.to_pem(password=password))
    public_path.write_bytes(key.public.to_pem())
    result = {
        "algorithm": params.name,
        "key_id": "0x" + key.key_id.hex(),
        "private_key_file": str(out),
        "public_key_file": str(public_path),
        "public_key": "0x" + key.public_key.hex(),
    }
    emit(result, as_json)


@click.command()
@click.option("--key", "-k", "key_file", required=True, help="Private key PEM ('-' for stdin).")
@click.option("--password-file", help="File holding the key's password.")
@message_options
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the raw signature here instead of printing 0x hex.",
)
def sign(
    key_file: str,
    password_file: str | None,
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    context: str | None,
    context_hex: str | None,
    out: Path | None,
) -> None:
    """Sign a message (hedged ML-DSA, FIPS 204 context string)."""
    key = load_signing_key(key_file, password_file)
    data = message_input(message, message_hex, message_file)
    signature = key.sign(data, payload(context, context_hex, None, what="context"))
    if out is None:
        click.echo("0x" + signature.hex())
    else:
        out.write_bytes(signature)


@click.command(name="verify")
@click.option("--public-key", "-p", "public_key_file", help="Public key PEM file.")
@click.option("--public-key-hex", help="Raw public key as 0x hex (needs --algorithm).")
@click.option("--algorithm", "-a", help="Parameter set; checked against a PEM key if both given.")
@message_options
@click.option("--signature-hex", "-s", help="Signature as 0x hex.")
@click.option("--signature-file", help="Raw signature file ('-' for stdin).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; the exit code is the answer.")
def verify_command(
    public_key_file: str | None,
    public_key_hex: str | None,
    algorithm: str | None,
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    context: str | None,
    context_hex: str | None,
    signature_hex: str | None,
    signature_file: str | None,
    quiet: bool,
) -> None:
    """Verify an ML-DSA signature: exit 0 valid, 1 invalid, 2 bad input."""
    if (public_key_file is None) == (public_key_hex is None):
        raise InputError("give the public key once: --public-key FILE or --public-key-hex")
    if public_key_file is not None:
        public = load_public_key(read_source(public_key_file))
        if algorithm is not None and get_algorithm(algorithm) != public.algorithm:
            raise InputError(
                f"--algorithm {algorithm} does not match the {public.algorithm.name} key file"
            )
        params, raw_key = public.algorithm, public.raw
    else:
        if algorithm is None:
            raise InputError("--public-key-hex needs --algorithm")
        params = get_algorithm(algorithm)
        raw_key = parse_hex(public_key_hex or "", what="public key")
    signature = signature_input(signature_hex, signature_file)
    data = message_input(message, message_hex, message_file)
    valid = verify(
        params, raw_key, data, signature, payload(context, context_hex, None, what="context")
    )
    if not quiet:
        click.echo("valid" if valid else "invalid")
    if not valid:
        raise click.exceptions.Exit(1)
