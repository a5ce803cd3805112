"""`pqoracle keys rotate|history`: rotation of the service's own keys (api_signing_keys_dir).

Exit codes: 0 done, 2 bad input (one-line reason on stderr).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from oracle.errors import InputError

_DIR = click.option(
    "--keys-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The service's key directory (env PQORACLE_API_SIGNING_KEYS_DIR).",
)


def _directory(keys_dir: Path | None) -> Path:
    from oracle.config import load_settings

    directory = keys_dir or load_settings().api_signing_keys_dir
    if directory is None:
        raise InputError("give --keys-dir (or PQORACLE_API_SIGNING_KEYS_DIR)")
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory")
    return directory


@click.group(name="keys")
def keys_group() -> None:
    """The service's own ML-DSA and ML-KEM keys: rotation and their published history."""


@keys_group.command()
@click.argument("names", nargs=-1)
@click.option("--due", is_flag=True, help="Rotate every key older than key_rotation_days.")
@_DIR
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def rotate(names: tuple[str, ...], due: bool, keys_dir: Path | None, as_json: bool) -> None:
    """Replace keys by new ones of the same kind; the old ones are kept in retired/ and the
    history (ML-KEM keys still open envelopes for key_grace_days)."""
    from oracle.config import load_settings
    from oracle.keyring import due as due_names
    from oracle.keyring import rotate as rotate_key

    settings = load_settings()
    directory = _directory(keys_dir)
    if due == bool(names):
        raise InputError("name the keys to rotate, or give --due (not both)")
    if due:
        if settings.key_rotation_days is None:
            raise InputError("--due needs a schedule: set PQORACLE_KEY_ROTATION_DAYS")
        names = tuple(due_names(directory, timedelta(days=settings.key_rotation_days)))
    grace = timedelta(days=settings.key_grace_days)
    rotated: list[dict[str, Any]] = []
    for name in names:
        old, new = rotate_key(directory, name, grace=grace)
        rotated.append({"name": name, "retired": old.as_json(), "current": new.as_json()})
    if as_json:
        click.echo(json.dumps({"rotated": rotated}))
        return
    if not rotated:
        click.echo("no key is due")
    for item in rotated:
        click.echo(
            f"{item['name']}: {item['retired']['key_id']} retired, "
            f"{item['current']['key_id']} current"
        )


@keys_group.command()
@_DIR
def history(keys_dir: Path | None) -> None:
    """Print the key history (public parts only) as JSON: publish it beside signed documents."""
    from oracle.keyring import Keyring

    entries = Keyring(_directory(keys_dir)).history()
    click.echo(json.dumps({"keys": [entry.as_json() for entry in entries]}, indent=2))
