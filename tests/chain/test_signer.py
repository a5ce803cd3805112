"""Transactions are signed only through a `Signer`: a local key, a keystore, or a plugged-in one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from pydantic import SecretBytes

from oracle.chain import (
    Chain,
    LocalSigner,
    Signer,
    UnsignedTransaction,
    connect,
    fund,
    load_signer,
)
from oracle.chain.signer import sign_checked
from oracle.config import Settings, load_settings
from oracle.errors import ConfigError, ReadOnlyChainError, SignerError
from tests.chain.remote_signer import KEY_FILE_ENV, REFUSED_NONCE, ProcessSigner

FACTORY = "tests.chain.remote_signer:from_settings"


def _key_file(tmp_path: Path) -> tuple[Path, Any]:
    account = Account.create()
    path = tmp_path / "remote.key"
    path.write_text("0x" + bytes(account.key).hex())
    return path, account


@pytest.fixture
def process_signer(tmp_path: Path) -> Iterator[ProcessSigner]:
    path, _ = _key_file(tmp_path)
    signer = ProcessSigner(path)
    yield signer
    signer.close()


def _transaction(**changes: Any) -> UnsignedTransaction:
    tx: dict[str, Any] = {
        "chainId": 1337,
        "nonce": 4,
        "gas": 21_000,
        "value": 5,
        "data": b"",
        "to": "0x" + "11" * 20,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    tx.update(changes)
    return tx  # type: ignore[return-value]


def test_a_signer_in_another_process_sends_a_real_transaction_on_the_embedded_chain(
    embedded_chain: Chain, process_signer: ProcessSigner
) -> None:
    assert isinstance(process_signer, Signer)
    assert not isinstance(process_signer, LocalSigner)
    fund(embedded_chain, process_signer.address, 10**18)
    remote = embedded_chain.with_account(process_signer)
    recipient = Account.create().address
    sent = fund(remote, recipient, 12345)
    assert embedded_chain.balance(recipient) == 12345
    assert process_signer.signed == 1
    mined = embedded_chain.w3.eth.get_transaction(sent.tx_hash)
    assert mined["from"] == process_signer.address


def test_the_signer_setting_plugs_a_factory_in_that_signs_real_transactions(
    embedded_chain: Chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, account = _key_file(tmp_path)
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    signer = load_signer(load_settings(signer=FACTORY))
    assert isinstance(signer, ProcessSigner)
    try:
        assert signer.address == account.address
        fund(embedded_chain, account.address, 10**18)
        chain = embedded_chain.with_account(signer)
        sent = fund(chain, Account.create().address, 1)
        assert chain.w3.eth.get_transaction(sent.tx_hash)["from"] == account.address
        assert signer.signed == 1
    finally:
        signer.close()


def test_a_signer_that_signs_another_nonce_is_refused_before_anything_is_sent(
    process_signer: ProcessSigner,
) -> None:
    class Shifty:
        address = process_signer.address

        def sign_transaction(self, transaction: UnsignedTransaction) -> bytes:
            return process_signer.sign_transaction({**transaction, "nonce": 99})

    with pytest.raises(SignerError, match="another nonce"):
        sign_checked(Shifty(), _transaction())


def test_a_signer_that_signs_with_another_key_is_refused() -> None:
    other = LocalSigner(Account.create())

    class Impostor:
        address = Account.create().address

        def sign_transaction(self, transaction: UnsignedTransaction) -> bytes:
            return other.sign_transaction(transaction)

    with pytest.raises(SignerError, match=f"a signature by {other.address}"):
        sign_checked(Impostor(), _transaction())


def test_a_signer_that_returns_garbage_is_refused() -> None:
    class Garbage:
        address = Account.create().address

        def sign_transaction(self, transaction: UnsignedTransaction) -> bytes:
            return b"\x02not a transaction"

    with pytest.raises(SignerError, match="not a signed transaction"):
        sign_checked(Garbage(), _transaction())


def test_a_failing_signer_is_reported_by_type_without_its_message() -> None:
    class Leaky:
        address = Account.create().address

        def sign_transaction(self, transaction: UnsignedTransaction) -> bytes:
            raise RuntimeError("token=hunter2 rejected")

    with pytest.raises(SignerError) as caught:
        sign_checked(Leaky(), _transaction())
    assert "RuntimeError" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert caught.value.__context__ is None


def test_a_signers_own_signer_error_passes_through_with_its_message(
    process_signer: ProcessSigner,
) -> None:
    with pytest.raises(SignerError, match=r"^the signing process refused: nonce 666$"):
        sign_checked(process_signer, _transaction(nonce=REFUSED_NONCE))
    # The signer still works afterwards.
    raw, _ = sign_checked(process_signer, _transaction())
    assert Account.recover_transaction(raw) == process_signer.address


def test_local_signing_checks_out_for_legacy_and_dynamic_fee_transactions() -> None:
    signer = LocalSigner(Account.create())
    dynamic = _transaction()
    legacy = _transaction(gasPrice=10**9)
    del legacy["maxFeePerGas"], legacy["maxPriorityFeePerGas"]
    creation = _transaction(data=b"\x60\x00")
    del creation["to"]
    for tx in (dynamic, legacy, creation):
        raw, tx_hash = sign_checked(signer, tx)
        assert Account.recover_transaction(raw) == signer.address
        assert len(tx_hash) == 32


def test_the_repr_of_a_local_signer_shows_the_address_and_never_the_key() -> None:
    account = Account.create()
    signer = LocalSigner(account)
    assert repr(signer) == f"LocalSigner({account.address})"
    assert bytes(account.key).hex() not in repr(connect(signer=signer))


def test_a_chain_without_a_signer_cannot_sign() -> None:
    chain = connect()
    read_only = Chain(chain.w3, chain.chain_id, chain.endpoint, None)
    with pytest.raises(ReadOnlyChainError):
        read_only.signer  # noqa: B018


def test_a_key_and_a_signer_together_are_refused() -> None:
    with pytest.raises(ConfigError, match="not both"):
        connect(private_key="0x" + "11" * 32, signer=LocalSigner(Account.create()))


def test_load_signer_builds_a_local_signer_from_a_key_or_a_keystore(tmp_path: Path) -> None:
    account = Account.create()
    hex_key = "0x" + bytes(account.key).hex()
    from_key = load_signer(load_settings(private_key=hex_key))
    assert isinstance(from_key, LocalSigner)
    assert from_key.address == account.address
    keystore = tmp_path / "ks.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, "pw", iterations=2)))
    password = tmp_path / "pw"
    password.write_text("pw\n")
    settings = load_settings(keystore_file=keystore, keystore_password_file=password)
    assert load_signer(settings).address == account.address  # type: ignore[union-attr]
    prompted = load_signer(load_settings(keystore_file=keystore), password_prompt=lambda _: "pw")
    assert prompted.address == account.address  # type: ignore[union-attr]
    assert load_signer(Settings()) is None
    assert LocalSigner.from_keystore(keystore, SecretBytes(b"pw")).address == account.address


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon_here", "not of the form"),
        ("tests.chain.no_such_module:make", "cannot import tests.chain.no_such_module"),
        ("tests.chain.remote_signer:missing", "has no callable missing"),
        ("tests.chain.remote_signer:KEY_FILE_ENV", "has no callable KEY_FILE_ENV"),
        ("builtins:str", "returned a str, not a Signer"),
        ("builtins:dict", "returned a dict, not a Signer"),
    ],
)
def test_a_signer_factory_that_cannot_make_a_signer_is_a_config_error(
    spec: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_signer(load_settings(signer=spec))
    assert "\n" not in str(caught.value)


def test_a_factory_that_fails_is_reported_by_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    with pytest.raises(ConfigError, match=f"{KEY_FILE_ENV} is not set"):
        load_signer(load_settings(signer=FACTORY))
    with pytest.raises(ConfigError, match=r"failed: TypeError"):
        load_signer(load_settings(signer="builtins:len"))


@pytest.mark.parametrize(
    "sources",
    [
        {"private_key": "0x" + "11" * 32, "keystore_file": "ks.json"},
        {"private_key": "0x" + "11" * 32, "signer": FACTORY},
        {"keystore_file": "ks.json", "signer": FACTORY},
    ],
)
def test_two_key_sources_are_a_one_line_config_error(sources: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**sources)
    text = str(caught.value)
    assert text.startswith("two operator key sources")
    assert "\n" not in text
    assert "11" * 32 not in text


def test_a_password_file_without_a_keystore_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="keystore_password_file is set without keystore_file"):
        load_settings(keystore_password_file="pw")


def test_eth_keys_signs_with_libsecp256k1_through_coincurve() -> None:
    # coincurve is a core dependency: without it every transaction costs ~3 ms more to sign.
    from eth_keys.backends import get_backend

    assert type(get_backend()).__name__ == "CoinCurveECCBackend"
