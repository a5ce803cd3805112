"""File and standard-stream helpers shared by the command groups: read, write, report."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from oracle.errors import InputError
from oracle.inputs import parse_hex


def read_source(path: str) -> bytes:
    """The bytes of a file, or of standard input for "-".

    Raises:
        InputError: the file cannot be read.
    """
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from err


def read_password(path: str | None) -> bytes | None:
    """A key password from a file (its trailing newline dropped), or None without a file.

    Raises:
        InputError: the file cannot be read.
    """
    return read_source(path).rstrip(b"\r\n") if path else None


def payload(text: str | None, hex_text: str | None, file: str | None, *, what: str) -> bytes:
    """Exactly one of text (UTF-8), hex or a file; absent means empty only for a context.

    Raises:
        InputError: more than one form given, or bad hex.
    """
    given = [value for value in (text, hex_text, file) if value is not None]
    if len(given) > 1:
        raise InputError(f"give the {what} once: as text, as hex or as a file")
    if text is not None:
        return text.encode()
    if hex_text is not None:
        return parse_hex(hex_text, what=what)
    if file is not None:
        return read_source(file)
    return b""


def write_output(path: str, data: bytes | str) -> None:
    """Write bytes (or text, as UTF-8) to a file, or to standard output for "-".

    Raises:
        InputError: the file cannot be written.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if path == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(path).write_bytes(data)
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror}") from err


def write_private(path: Path, data: bytes) -> None:
    """Write a private key file readable by its owner only, refusing to overwrite one.

    Raises:
        InputError: the file exists or cannot be written.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as err:
        raise InputError(f"{path} exists; refusing to overwrite a key file") from err
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror}") from err
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def emit(result: Mapping[str, object], as_json: bool) -> None:
    """Print a result as one JSON object, or as aligned `name  value` lines."""
    if as_json:
        click.echo(json.dumps(result))
        return
    width = max(len(name) for name in result)
    for name, value in result.items():
        click.echo(f"{name:{width}}  {value}")
