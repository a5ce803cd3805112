"""`pqoracle account new|address|balance`: the operator's account without handling raw hex.

`new` and `address` import no web3 (unless a `signer` factory needs it): they read and write
keystores through `oracle.accounts` alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from oracle.accounts import local_account, read_password_file
from oracle.cli._io import emit, write_private
from oracle.cli.chain import _chain_options, _connect, _key_options, _settings, password_prompt
from oracle.errors import ConfigError, InputError
from oracle.inputs import parse_address

if TYPE_CHECKING:
    from pydantic import SecretBytes

    from oracle.config import Settings

_NO_ACCOUNT: Final = (
    "no operator account: give --keystore (with --password-file) or --private-key-file, or set "
    "PQORACLE_KEYSTORE_FILE, PQORACLE_PRIVATE_KEY or PQORACLE_SIGNER"
)
WEI_PER_ETHER: Final = 10**18


def ether(wei: int) -> str:
    """`wei` in ether as an exact decimal ("1.5", "0.000000000000000001", "10")."""
    whole, fraction = divmod(wei, WEI_PER_ETHER)
    return f"{whole}.{fraction:018d}".rstrip("0") if fraction else str(whole)


def _new_password(password_file: Path | None) -> SecretBytes:
    from pydantic import SecretBytes

    if password_file is not None:
        password = read_password_file(password_file)
        if not password.get_secret_value():
            raise InputError(f"the password file {password_file} is empty")
        return password
    prompt = password_prompt()
    if prompt is None:
        raise InputError("give --password-file: there is no terminal to ask for a password on")
    text = click.prompt(
        "New keystore password", hide_input=True, confirmation_prompt=True, err=True
    )
    return SecretBytes(str(text).encode("utf-8"))


@click.group(name="account")
def account_group() -> None:
    """The operator's Ethereum account: a new encrypted keystore, its address, its balance."""


@account_group.command(name="new")
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keystore file to create (encrypted JSON, mode 0600, never overwritten).",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the new keystore's password; asked twice on the terminal when absent.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def account_new(out: Path, password_file: Path | None, as_json: bool) -> None:
    """Create an account in a new encrypted keystore (scrypt, eth-account v3); print its address.

    The key never leaves the keystore in clear: fund the address, then give the keystore to any
    chain command (--keystore with --password-file).
    """
    from eth_account import Account

    # Checked first so that nobody types a password twice for a file that cannot be written;
    # write_private refuses an existing file again, atomically.
    if out.exists():
        raise InputError(f"{out} exists; refusing to overwrite a key file")
    password = _new_password(password_file)
    account = Account.create()
    document = Account.encrypt(account.key, password.get_secret_value())  # type: ignore[arg-type]
    write_private(out, (json.dumps(document) + "\n").encode("ascii"))
    if as_json:
        click.echo(json.dumps({"address": account.address, "keystore": str(out)}))
    else:
        click.echo(account.address)


def _operator_address(settings: Settings) -> str:
    if settings.signer is not None:
        # A factory's signer may need anything, web3 included: only this route imports it.
        from oracle.chain.signer import load_signer

        signer = load_signer(settings)
        if signer is not None:
            return signer.address
    account = local_account(settings, password_prompt=password_prompt())
    if account is None:
        raise ConfigError(_NO_ACCOUNT)
    return account.address


@account_group.command(name="address")
@_key_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def account_address(private_key_file: Path | None, as_json: bool) -> None:
    """Print the operator account's address (decrypting a keystore proves its password)."""
    address = _operator_address(_settings(None, private_key_file))
    if as_json:
        click.echo(json.dumps({"address": address}))
    else:
        click.echo(address)


@account_group.command(name="balance")
@_chain_options
@click.argument("address", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def account_balance(
    rpc_url: str | None, private_key_file: Path | None, address: str | None, as_json: bool
) -> None:
    """Print the balance of ADDRESS, or of the operator account, in wei and in ether."""
    who = parse_address(address, what="address") if address else None
    settings = _settings(rpc_url, private_key_file)
    if who is None and not settings.key_sources():
        raise ConfigError(_NO_ACCOUNT + ", or name an ADDRESS")
    chain = _connect(settings)
    who = who or chain.address
    wei = chain.balance(who)
    emit({"address": who, "wei": wei, "ether": ether(wei)}, as_json)
