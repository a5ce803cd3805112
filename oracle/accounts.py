"""The operator's local key as an eth-account account: a hex secret or an encrypted keystore.

Keystores are Ethereum's v3 JSON format, as eth-account writes them. No web3 here: `pqoracle
account new` and `account address` use this module without paying for a chain connection.
Neither a password nor a key ever reaches a message, a repr or an exception's chain: every
failure is raised outside the `except` block that saw it, so not even `__context__` points at
the third-party error (whose text may quote the key).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import SecretBytes

from oracle.errors import ConfigError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from pydantic import SecretStr

    from oracle.config import Settings

#: Asks the operator for a keystore's password; given a one-line prompt naming the file.
PasswordPrompt = Callable[[str], str]

#: Largest keystore file read: a v3 keystore is about 500 bytes.
MAX_KEYSTORE_BYTES: Final = 64 * 1024
#: Largest password file read.
MAX_PASSWORD_BYTES: Final = 4096


def read_password_file(path: Path) -> SecretBytes:
    """The password a file holds, its trailing newline dropped.

    Raises:
        ConfigError: the file cannot be read or is larger than `MAX_PASSWORD_BYTES`.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PASSWORD_BYTES + 1)
    except OSError as err:
        reason = err.strerror or type(err).__name__
    else:
        if len(data) > MAX_PASSWORD_BYTES:
            raise ConfigError(f"password file {path} is larger than {MAX_PASSWORD_BYTES} bytes")
        return SecretBytes(data.rstrip(b"\r\n"))
    raise ConfigError(f"cannot read the password file {path}: {reason}")


def keystore_password(
    keystore: Path, password_file: Path | None, prompt: PasswordPrompt | None
) -> SecretBytes:
    """The password of `keystore`: from `password_file`, else asked through `prompt`.

    Raises:
        ConfigError: no password file and no way to ask (no terminal), or an unreadable file.
    """
    if password_file is not None:
        return read_password_file(password_file)
    if prompt is None:
        raise ConfigError(
            f"no password for the keystore {keystore}: give --password-file (or "
            "PQORACLE_KEYSTORE_PASSWORD_FILE); there is no terminal to ask on"
        )
    return SecretBytes(prompt(f"Password for {keystore.name}").encode("utf-8"))


def _load_json(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEYSTORE_BYTES + 1)
    except OSError as err:
        reason = err.strerror or type(err).__name__
    else:
        if len(data) > MAX_KEYSTORE_BYTES:
            raise ConfigError(f"{path} is larger than a keystore ({MAX_KEYSTORE_BYTES} bytes)")
        failed = False
        try:
            document = json.loads(data)
        except ValueError:
            failed = True
        if failed or not isinstance(document, dict):
            raise ConfigError(f"{path} is not a JSON keystore")
        return document
    raise ConfigError(f"cannot read the keystore {path}: {reason}")


def decrypt_keystore(path: Path, password: SecretBytes) -> LocalAccount:
    """The account an encrypted v3 keystore holds.

    Raises:
        ConfigError: the file cannot be read, is not a v3 keystore, the password is wrong, or the
            address the file declares is not the key's.
    """
    from eth_account import Account

    document = _load_json(path)
    if document.get("version") != 3 or not isinstance(document.get("crypto"), dict):
        raise ConfigError(f"{path} is not a version 3 keystore")
    account: LocalAccount | None = None
    mac_mismatch = False
    try:
        # eth-account takes bytes as well as text; its annotation names text only.
        secret = Account.decrypt(document, password.get_secret_value())  # type: ignore[arg-type]
        account = Account.from_key(secret)
    except Exception as err:
        # eth-keyfile's message for a wrong password; every other failure is a malformed file.
        mac_mismatch = "MAC mismatch" in str(err)
    if account is None:
        # Raised here, outside the except block: no traceback chains to eth-keyfile's frames.
        if mac_mismatch:
            raise ConfigError(f"wrong password for the keystore {path}")
        raise ConfigError(f"{path} is not a readable v3 keystore (unsupported or damaged)")
    declared = document.get("address")
    if isinstance(declared, str) and declared.lower().removeprefix("0x") != (
        account.address.lower().removeprefix("0x")
    ):
        raise ConfigError(f"{path} declares address {declared} but holds another key")
    return account


def account_from_key(private_key: SecretStr | str | bytes) -> LocalAccount:
    """The account of a hex (or raw 32-byte) secp256k1 private key.

    Raises:
        ConfigError: not a valid 32-byte secp256k1 key (the message never holds the key).
    """
    from eth_account import Account

    raw = private_key
    if not isinstance(raw, str | bytes):
        raw = raw.get_secret_value()
    account: LocalAccount | None = None
    # Raised below, outside the block: no exception chain can carry the key's text.
    with contextlib.suppress(Exception):
        account = Account.from_key(raw)
    if account is None:
        raise ConfigError("the private key is not a valid 32-byte secp256k1 key")
    return account


def local_account(
    settings: Settings, *, password_prompt: PasswordPrompt | None = None
) -> LocalAccount | None:
    """The account of the settings' keystore or private key; None when neither is set.

    `password_prompt` asks for the keystore's password when no password file is set.

    Raises:
        ConfigError: an unreadable or malformed key, keystore or password file, or a wrong
            password.
    """
    if settings.keystore_file is not None:
        password = keystore_password(
            settings.keystore_file, settings.keystore_password_file, password_prompt
        )
        return decrypt_keystore(settings.keystore_file, password)
    if settings.private_key is not None:
        return account_from_key(settings.private_key)
    return None
