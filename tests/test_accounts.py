"""Keystores and keys: every failure is one line that never holds the key or the password."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretBytes

from oracle.accounts import (
    MAX_PASSWORD_BYTES,
    account_from_key,
    decrypt_keystore,
    keystore_password,
    local_account,
    read_password_file,
)
from oracle.chain.attach import connect_node
from oracle.config import load_settings
from oracle.errors import ConfigError

PASSWORD = "tr0ub4dor&3-secret"
WRONG = "c0rrect-horse-secret"


@pytest.fixture
def account() -> LocalAccount:
    return Account.create()


def _keystore(tmp_path: Path, account: LocalAccount, password: str = PASSWORD) -> Path:
    path = tmp_path / "oracle.json"
    path.write_text(json.dumps(Account.encrypt(account.key, password, iterations=2)))
    return path


def _everything_said(
    caught: pytest.ExceptionInfo[BaseException], caplog: pytest.LogCaptureFixture
) -> str:
    """The exception's text, its whole formatted traceback (chains included) and every log line."""
    text = "".join(traceback.format_exception(caught.value))
    return text + "\n" + "\n".join(r.getMessage() for r in caplog.records)


def test_a_keystore_decrypts_to_its_account(tmp_path: Path, account: LocalAccount) -> None:
    path = _keystore(tmp_path, account)
    found = decrypt_keystore(path, SecretBytes(PASSWORD.encode()))
    assert found.address == account.address


@pytest.mark.parametrize("case", ["wrong password", "malformed", "missing", "not json", "v1"])
def test_keystore_failures_never_show_the_key_or_the_password(
    case: str, tmp_path: Path, account: LocalAccount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = _keystore(tmp_path, account)
    password = tmp_path / "password"
    password.write_text(WRONG if case == "wrong password" else PASSWORD)
    if case == "malformed":
        document = json.loads(path.read_text())
        document["crypto"]["ciphertext"] = "zz" + document["crypto"]["ciphertext"][2:]
        path.write_text(json.dumps(document))
    elif case == "missing":
        path.unlink()
    elif case == "not json":
        path.write_text(PASSWORD + " " + bytes(account.key).hex())
    elif case == "v1":
        path.write_text(json.dumps({"version": 1, "crypto": {}}))
    settings = load_settings(keystore_file=path, keystore_password_file=password)
    with pytest.raises(ConfigError) as caught:
        connect_node(settings, needs_node=False)
    said = _everything_said(caught, caplog)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    for secret in (PASSWORD, WRONG, bytes(account.key).hex()):
        assert secret not in said
    expected = {
        "wrong password": "wrong password for the keystore",
        "malformed": "not a readable v3 keystore",
        "missing": "cannot read the keystore",
        "not json": "is not a JSON keystore",
        "v1": "is not a version 3 keystore",
    }[case]
    assert expected in message


def test_a_keystore_that_declares_another_address_is_refused(
    tmp_path: Path, account: LocalAccount
) -> None:
    path = _keystore(tmp_path, account)
    document = json.loads(path.read_text())
    document["address"] = "11" * 20
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="declares address 1111"):
        decrypt_keystore(path, SecretBytes(PASSWORD.encode()))


def test_a_password_file_loses_its_trailing_newline_only(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_bytes(b" spaced pass \r\n")
    assert read_password_file(path).get_secret_value() == b" spaced pass "
    path.write_bytes(b"x" * (MAX_PASSWORD_BYTES + 1))
    with pytest.raises(ConfigError, match="larger than"):
        read_password_file(path)
    with pytest.raises(ConfigError, match="cannot read the password file"):
        read_password_file(tmp_path / "missing")


def test_without_a_password_file_the_prompt_is_asked_or_the_error_names_the_setting(
    tmp_path: Path,
) -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return PASSWORD

    keystore = tmp_path / "oracle.json"
    assert keystore_password(keystore, None, prompt).get_secret_value() == PASSWORD.encode()
    assert asked == ["Password for oracle.json"]
    with pytest.raises(ConfigError, match="PQORACLE_KEYSTORE_PASSWORD_FILE"):
        keystore_password(keystore, None, None)


def test_the_password_never_shows_in_the_settings_repr(
    tmp_path: Path, account: LocalAccount
) -> None:
    path = _keystore(tmp_path, account)
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    settings = load_settings(keystore_file=path, keystore_password_file=password)
    found = local_account(settings)
    assert found is not None
    assert PASSWORD not in repr(settings) + repr(found)


def test_a_malformed_hex_key_leaves_no_exception_chain() -> None:
    with pytest.raises(ConfigError) as caught:
        account_from_key("0x" + "zz" * 32)
    assert caught.value.__context__ is None
    assert "zz" * 32 not in "".join(traceback.format_exception(caught.value))
