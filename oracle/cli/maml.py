"""`pqoracle maml ...`: create, sign, co-sign, verify, extend, encrypt, decrypt and lint documents.

Every command reads a file or standard input (`-`) and writes a file or standard output (`-`).
Exit codes: 0 valid/ok, 1 invalid signature, failed decryption or lint errors, 2 bad input.
"""

from __future__ import annotations

import contextlib
import json
from typing import Literal

import click

from oracle import maml
from oracle.cli._io import read_password, read_source, write_output
from oracle.cli.keys import load_signing_key
from oracle.crypto import PublicKey, load_public_key
from oracle.crypto.kem import KemPrivateKey, KemPublicKey
from oracle.errors import InputError

_SOURCE = click.argument("source", default="-")
_OUT = click.option(
    "--out", "-o", default="-", show_default=True, help="Output file ('-': stdout)."
)


def _read_document(source: str, *, lenient: bool = False) -> bytes:
    """The document bytes; a file name is checked (`.maml.markdown` needs --lenient)."""
    if source != "-":
        # Any name is accepted here (`lint` reports unusual ones); only the legacy one is refused.
        with contextlib.suppress(maml.MamlFileNameError):
            for note in maml.check_filename(source, lenient=lenient):
                if note.code != maml.MamlFileNameError.code:
                    click.echo(f"warning: {note.message}", err=True)
    return read_source(source)


def _fail(message: str) -> None:
    """Exit 1 with a one-line reason on stderr (a check failed; the input was fine)."""
    click.echo(" ".join(message.split()), err=True)
    raise click.exceptions.Exit(1)


@click.group(name="maml")
def maml_group() -> None:
    """Signed `.maml.md` documents (ML-DSA signatures, ML-KEM-768 encryption); docs/maml.md."""


@maml_group.command()
@click.option("--type", "doc_type", required=True, help="Document type, e.g. workflow.")
@click.option("--origin", required=True, help="Origin URI, e.g. agent://alice.")
@click.option("--intent", required=True, help="Text of the '## Intent' section.")
@click.option("--context", "context_text", required=True, help="Text of the '## Context' section.")
@click.option("--content", help="Text of an optional '## Content' section.")
@click.option("--id", "doc_id", help="urn:uuid:... (default: a random UUID).")
@click.option("--created-at", help="RFC 3339 time (default: now, UTC).")
@_OUT
def new(
    doc_type: str,
    origin: str,
    intent: str,
    context_text: str,
    content: str | None,
    doc_id: str | None,
    created_at: str | None,
    out: str,
) -> None:
    """Write a new unsigned document with the required fields and sections."""
    text = maml.new_document(
        doc_type=doc_type,
        origin=origin,
        intent=intent,
        context=context_text,
        content=content,
        doc_id=doc_id,
        created_at=created_at,
    )
    write_output(out, text)


_KEY = click.option("--key", "-k", "key_file", required=True, help="ML-DSA private key PEM.")
_PASSWORD = click.option("--password-file", help="File holding the key's password.")


@maml_group.command()
@_SOURCE
@_KEY
@_PASSWORD
@_OUT
def sign(source: str, key_file: str, password_file: str | None, out: str) -> None:
    """Add the first signature (use cosign to add more)."""
    key = load_signing_key(key_file, password_file)
    write_output(out, maml.sign(_read_document(source), key))


@maml_group.command()
@_SOURCE
@_KEY
@_PASSWORD
@_OUT
def cosign(source: str, key_file: str, password_file: str | None, out: str) -> None:
    """Add a signature to a signed document; the earlier ones stay valid."""
    key = load_signing_key(key_file, password_file)
    write_output(out, maml.cosign(_read_document(source), key))


def _history_keys(path: str) -> list[PublicKey]:
    """The ML-DSA public keys of a key history file.

    Raises:
        InputError: unreadable, or not a key history.
    """
    try:
        document = json.loads(read_source(path))
        return [
            PublicKey.from_bytes(entry["algorithm"], bytes.fromhex(entry["public_key"][2:]))
            for entry in document["keys"]
            if entry["kind"] == "ml-dsa"
        ]
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path} is not a key history: {err}") from None


@maml_group.command()
@_SOURCE
@click.option(
    "--public-key",
    "-p",
    "public_keys",
    multiple=True,
    help="Signer's public key PEM (repeat for each).",
)
@click.option(
    "--history",
    "history_file",
    help="A service's key history (`pqoracle keys history`): trust each ML-DSA key in it.",
)
@click.option(
    "--require",
    type=click.Choice(["all", "any"]),
    help="all: every signature valid and every key signed; any: one valid signature "
    "[default: all; any with --history].",
)
@click.option("--lenient", is_flag=True, help="Read legacy shapes (listed as warnings).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; the exit code is the answer.")
def verify(
    source: str,
    public_keys: tuple[str, ...],
    history_file: str | None,
    require: Literal["all", "any"] | None,
    lenient: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Verify signatures and history: exit 0 valid, 1 invalid, 2 bad input."""
    keys = [load_public_key(read_source(path)) for path in public_keys]
    if history_file is not None:
        keys.extend(_history_keys(history_file))
    if not keys:
        raise InputError("give --public-key (repeat for each) or --history")
    rule: Literal["all", "any"] = require or ("any" if history_file else "all")
    report = maml.verify(
        _read_document(source, lenient=lenient), keys, require=rule, lenient=lenient
    )
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    elif not quiet:
        for sig in report.signatures:
            click.echo(
                f"signature {sig.index} (line {sig.line}) {sig.alg} {sig.key_id_hex}: {sig.status}"
            )
        for entry in report.history:
            click.echo(
                f"history {entry.index} (line {entry.line}) {entry.timestamp} {entry.actor}: "
                f"{entry.status}"
            )
        for key_id in report.missing_keys:
            click.echo(f"no valid signature by 0x{bytes(key_id).hex()}")
        for warning in report.warnings:
            click.echo(f"warning: {warning}")
        click.echo("valid" if report.valid else "invalid")
    if not report.valid:
        raise click.exceptions.Exit(1)


@maml_group.command(name="append-history")
@_SOURCE
@_KEY
@_PASSWORD
@click.option("--text", "entry_text", required=True, help="What happened (no '|').")
@click.option("--actor", help="Who (default: key:<key_id>).")
@click.option("--timestamp", help="RFC 3339 time (default: now, UTC).")
@_OUT
def append_history(
    source: str,
    key_file: str,
    password_file: str | None,
    entry_text: str,
    actor: str | None,
    timestamp: str | None,
    out: str,
) -> None:
    """Append a signed entry to '## History' (created if absent)."""
    key = load_signing_key(key_file, password_file)
    text = maml.append_history(
        _read_document(source), entry_text, key, actor=actor, timestamp=timestamp
    )
    write_output(out, text)


@maml_group.command()
@_SOURCE
@click.option(
    "--recipient",
    "-r",
    "recipients",
    multiple=True,
    required=True,
    help="Recipient ML-KEM-768 public key PEM (repeat for each).",
)
@click.option("--sign-with", help="Sender ML-DSA private key PEM: sign the envelope.")
@click.option("--sign-password-file", help="File holding the --sign-with key's password.")
@_OUT
def encrypt(
    source: str,
    recipients: tuple[str, ...],
    sign_with: str | None,
    sign_password_file: str | None,
    out: str,
) -> None:
    """Encrypt the body to ML-KEM-768 recipients; the front matter stays readable."""
    keys = [KemPublicKey.from_pem(read_source(path)) for path in recipients]
    sender = load_signing_key(sign_with, sign_password_file) if sign_with else None
    write_output(out, maml.encrypt(_read_document(source), keys, sender=sender))


@maml_group.command()
@_SOURCE
@click.option("--key", "-k", "key_file", required=True, help="Recipient ML-KEM private key PEM.")
@_PASSWORD
@click.option(
    "--expected-sender", help="Require the envelope signed by this ML-DSA public key PEM."
)
@_OUT
def decrypt(
    source: str,
    key_file: str,
    password_file: str | None,
    expected_sender: str | None,
    out: str,
) -> None:
    """Decrypt the body: exit 1 when it does not authenticate for this key."""
    key = KemPrivateKey.from_pem(read_source(key_file), password=read_password(password_file))
    sender = load_public_key(read_source(expected_sender)) if expected_sender else None
    try:
        text = maml.decrypt(_read_document(source), key, expected_sender=sender)
    except maml.MamlDecryptionError as err:
        _fail(f"cannot decrypt: {err}")
        return
    write_output(out, text)


@maml_group.command()
@_SOURCE
def digest(source: str) -> None:
    """Print the document digest (0x hex): the message its ML-DSA signatures sign."""
    click.echo("0x" + maml.document_digest(_read_document(source)).hex())


@maml_group.command()
@_SOURCE
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def lint(source: str, as_json: bool) -> None:
    """Report every finding: exit 1 when there is an error, 0 otherwise."""
    findings = maml.lint(read_source(source), filename=None if source == "-" else source)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "line": f.line,
                        "column": f.column,
                        "code": f.code,
                        "severity": f.severity,
                        "message": f.message,
                    }
                    for f in findings
                ],
                indent=2,
            )
        )
    else:
        name = "<stdin>" if source == "-" else source
        for finding in findings:
            click.echo(f"{name}:{finding}")
    if any(f.severity == "error" for f in findings):
        raise click.exceptions.Exit(1)
