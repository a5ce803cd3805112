"""`pqoracle account new|address|balance`, and --keystore on every command that signs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from eth_account import Account

from oracle.chain import fund
from oracle.cli import main
from oracle.cli.account import ether
from tests.chains import LocalNode
from tests.imports import CHAIN, modules_after

PASSWORD = "orange-staple-secret"

_RUN_CLI = """
from oracle.cli import main
code = main(sys.argv[1:], prog_name="pqoracle", standalone_mode=False)
if code:
    raise SystemExit(f"pqoracle exited {code}")
"""


def _invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def _password_file(tmp_path: Path, text: str = PASSWORD) -> Path:
    path = tmp_path / "password"
    path.write_text(text + "\n")
    return path


def _fast_keystore(tmp_path: Path) -> tuple[Path, str]:
    """A keystore with a cheap scrypt (tests only), and its account's address."""
    account = Account.create()
    path = tmp_path / "fast.json"
    path.write_text(json.dumps(Account.encrypt(account.key, PASSWORD, iterations=2)))
    return path, account.address


def test_account_new_writes_a_private_keystore_and_prints_its_address(tmp_path: Path) -> None:
    out = tmp_path / "oracle.json"
    password = _password_file(tmp_path)
    code, output = _invoke("account", "new", "--out", str(out), "--password-file", str(password))
    assert code == 0, output
    address = output.strip()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    document = json.loads(out.read_text())
    assert document["version"] == 3
    assert document["crypto"]["kdf"] == "scrypt"
    assert Account.from_key(Account.decrypt(document, PASSWORD)).address == address
    assert PASSWORD not in out.read_text()

    code, output = _invoke(
        "account", "address", "--keystore", str(out), "--password-file", str(password), "--json"
    )
    assert code == 0, output
    assert json.loads(output) == {"address": address}


def test_account_new_never_overwrites_a_file(tmp_path: Path) -> None:
    out = tmp_path / "oracle.json"
    out.write_text("precious")
    code, output = _invoke(
        "account", "new", "--out", str(out), "--password-file", str(_password_file(tmp_path))
    )
    assert code == 2
    assert output.strip() == f"Error: {out} exists; refusing to overwrite a key file"
    assert out.read_text() == "precious"


def test_account_new_asks_twice_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("oracle.cli.chain._stdin_is_terminal", lambda: True)
    out = tmp_path / "oracle.json"
    # A mismatched confirmation is asked again; the second pair agrees.
    answers = f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    code, output = _invoke("account", "new", "--out", str(out), "--json", input=answers)
    assert code == 0, output
    address = json.loads(output.strip().splitlines()[-1])["address"]
    assert "do not match" in output
    assert PASSWORD not in output  # hidden input
    # And the address command asks once.
    code, output = _invoke("account", "address", "--keystore", str(out), input=PASSWORD + "\n")
    assert code == 0, output
    assert output.strip().splitlines()[-1] == address


def test_without_a_terminal_a_password_file_is_required_in_one_line(tmp_path: Path) -> None:
    keystore, _ = _fast_keystore(tmp_path)
    code, output = _invoke("account", "new", "--out", str(tmp_path / "new.json"))
    assert (code, output.count("\n")) == (2, 1)
    assert "give --password-file" in output
    code, output = _invoke("account", "address", "--keystore", str(keystore))
    assert (code, output.count("\n")) == (2, 1)
    assert "--password-file" in output
    empty = _password_file(tmp_path, "")
    code, output = _invoke(
        "account", "new", "--out", str(tmp_path / "n.json"), "--password-file", str(empty)
    )
    assert code == 2
    assert "is empty" in output


@pytest.mark.parametrize(
    "case", ["wrong password", "missing keystore", "damaged keystore", "two sources"]
)
def test_account_address_errors_are_one_line_without_secrets(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keystore, _ = _fast_keystore(tmp_path)
    password = _password_file(tmp_path, "not-" + PASSWORD if case == "wrong password" else PASSWORD)
    if case == "missing keystore":
        keystore.unlink()
    elif case == "damaged keystore":
        document = json.loads(keystore.read_text())
        document["crypto"]["kdfparams"]["n"] = "many"
        keystore.write_text(json.dumps(document))
    hex_key = "0x" + "42" * 32
    if case == "two sources":
        monkeypatch.setenv("PQORACLE_PRIVATE_KEY", hex_key)
    code, output = _invoke(
        "account", "address", "--keystore", str(keystore), "--password-file", str(password)
    )
    assert code == 2, output
    assert output.count("\n") == 1
    assert PASSWORD not in output
    assert "42" * 32 not in output


def test_account_address_reads_a_private_key_file_too(tmp_path: Path) -> None:
    account = Account.create()
    key_file = tmp_path / "oracle.key"
    key_file.write_text("0x" + bytes(account.key).hex())
    code, output = _invoke("account", "address", "--private-key-file", str(key_file))
    assert (code, output.strip()) == (0, account.address)
    code, output = _invoke("account", "address")
    assert code == 2
    assert output.startswith("Error: no operator account")


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[prefix + name] = command
    return found


def test_every_command_taking_a_private_key_file_takes_a_keystore_and_its_password() -> None:
    signing = {}
    for name, command in _commands(main).items():
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--private-key-file" in options:
            signing[name] = {"--keystore", "--password-file"} <= options
    assert "run" in signing
    assert "deploy" in signing
    assert "account balance" in signing
    assert all(signing.values()), [name for name, ok in signing.items() if not ok]


def test_account_new_and_address_import_no_web3_and_no_embedded_chain(tmp_path: Path) -> None:
    keystore, _ = _fast_keystore(tmp_path)
    password = _password_file(tmp_path)
    forbidden = CHAIN - {"eth_account", "py_ecc"}  # eth-account reads keystores (py_ecc with it)
    for args in (
        ("account", "new", "--out", str(tmp_path / "new.json"), "--password-file", str(password)),
        ("account", "address", "--keystore", str(keystore), "--password-file", str(password)),
    ):
        assert modules_after(_RUN_CLI, *args, cwd=tmp_path) & forbidden == set(), args
    assert forbidden >= {"web3", "eth_tester", "eth"}


def test_ether_is_an_exact_decimal() -> None:
    assert ether(0) == "0"
    assert ether(10**18) == "1"
    assert ether(15 * 10**17) == "1.5"
    assert ether(1) == "0.000000000000000001"
    assert ether(123 * 10**18 + 4) == "123.000000000000000004"


@pytest.mark.integration
def test_account_balance_in_wei_and_ether_on_anvil(anvil: LocalNode, tmp_path: Path) -> None:
    keystore, address = _fast_keystore(tmp_path)
    password = _password_file(tmp_path)
    chain = anvil.connect()
    fund(chain, address, 15 * 10**17)
    code, output = _invoke(
        "account", "balance", "--rpc-url", anvil.rpc_url,
        "--keystore", str(keystore), "--password-file", str(password), "--json",
    )  # fmt: skip
    assert code == 0, output
    assert json.loads(output) == {"address": address, "wei": 15 * 10**17, "ether": "1.5"}
    code, output = _invoke("account", "balance", "--rpc-url", anvil.rpc_url, anvil.address)
    assert code == 0, output
    lines = dict(line.split(None, 1) for line in output.strip().splitlines())
    assert lines["address"] == anvil.address
    assert int(lines["wei"]) == chain.balance(anvil.address)
    code, output = _invoke("account", "balance", "--rpc-url", anvil.rpc_url)
    assert code == 2
    assert "or name an ADDRESS" in output
