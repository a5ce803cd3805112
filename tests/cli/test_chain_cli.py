"""The chain-facing commands (new-account, deploy, grant-role, revoke-role, register-key, request,
status, cancel, withdraw, oracles, run, demo) through click's runner on real nodes, their exit
codes, and one `pqoracle` process.

Exit codes under test (oracle/cli/__init__.py): 0 ok, 1 check failed, 2 bad input (a `ValueError`
among the package's errors) with a one-line reason, 3 runtime failure (any other package error:
node unreachable, contract revert, no contract at an address).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from oracle.chain import (
    RequestCancelled,
    Role,
    VerificationRequested,
    Verifier,
    create_funded_account,
    request_id,
)
from oracle.cli import main
from tests.chains import ROOT, LocalNode, run_anvil, run_ganache

DEMO_REQUEST_FIELDS = {
    "request_id",
    "algorithm",
    "case",
    "expected",
    "status",
    "valid_votes",
    "invalid_votes",
}
#: A well-formed request id no request has.
UNKNOWN_ID = "0x" + "11" * 32
#: Any well-formed oracle address, for commands that fail before they use it.
_ORACLE = "0x" + "22" * 20


@pytest.fixture(autouse=True)
def _isolated_settings_and_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Settings read PQORACLE_* from the environment: the caller's must not leak into these tests.
    for name in list(os.environ):
        if name.startswith("PQORACLE_"):
            monkeypatch.delenv(name)
    # `run` points the package's logger at the runner's stderr, which is closed afterwards.
    logger = logging.getLogger("oracle")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def _variants(private_key: str) -> list[str]:
    bare = private_key.lower().removeprefix("0x")
    return [bare, bare.upper()]


@dataclass
class Cli:
    """Invokes `pqoracle` in process and checks that no secret ever reaches its output."""

    secrets: list[str] = field(default_factory=list)
    runner: CliRunner = field(default_factory=CliRunner)

    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        result = self.runner.invoke(main, list(args), env=env, catch_exceptions=True)
        shown = result.output + result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            shown += repr(result.exception) + str(result.exception)
        for secret in self.secrets:
            for variant in _variants(secret):
                assert variant not in shown, f"a private key was printed by {args[0]}"
        return result

    def ok(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        """Invoke and require exit code 0."""
        result = self(*args, env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    def json(self, *args: str, env: Mapping[str, str] | None = None) -> Any:
        """Invoke with --json and return the one JSON object printed."""
        return json.loads(self.ok(*args, "--json", env=env).stdout)


def _fails(result: Result, code: int, *fragments: str) -> str:
    """Assert the exit code and a one-line reason holding `fragments`; return that line."""
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def _key_file(path: Path, private_key: str) -> Path:
    path.write_text(private_key + "\n")
    path.chmod(0o600)
    return path


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Deployed:
    """A verifier deployed through the CLI, with an oracle account and option lists to reuse."""

    cli: Cli
    node: LocalNode
    verifier: str
    oracle_address: str
    admin_key: Path
    oracle_key: Path

    @property
    def as_admin(self) -> list[str]:
        return [
            "--rpc-url",
            self.node.rpc_url,
            "--private-key-file",
            str(self.admin_key),
            "--verifier",
            self.verifier,
        ]

    @property
    def verifier_handle(self) -> Verifier:
        """The deployed verifier, read through the node's funded key."""
        return Verifier(self.node.connect(), self.verifier)

    @property
    def as_oracle(self) -> list[str]:
        return [
            "--rpc-url",
            self.node.rpc_url,
            "--private-key-file",
            str(self.oracle_key),
            "--verifier",
            self.verifier,
        ]


@pytest.fixture
def deployed(anvil: LocalNode, tmp_path: Path) -> Deployed:
    """`pqoracle deploy --oracle` on a fresh Anvil, paid by the node's funded key."""
    oracle = create_funded_account(anvil.connect())
    oracle_key = "0x" + bytes(oracle.key).hex()
    cli = Cli(secrets=[anvil.private_key, oracle_key])
    admin_key = _key_file(tmp_path / "admin.key", anvil.private_key)
    report = cli.json(
        "deploy",
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(admin_key),
        "--oracle",
        oracle.address,
    )
    return Deployed(
        cli=cli,
        node=anvil,
        verifier=report["verifier"],
        oracle_address=oracle.address,
        admin_key=admin_key,
        oracle_key=_key_file(tmp_path / "oracle.key", oracle_key),
    )


# --- new-account (Anvil) -----------------------------------------------------------------------


@pytest.mark.integration
def test_new_account_writes_an_owner_only_key_funded_from_the_nodes_unlocked_account(
    tmp_path: Path,
) -> None:
    out = tmp_path / "dapp.key"
    with run_anvil(accounts=1) as node:
        result = Cli(secrets=[node.private_key]).ok(
            "new-account", "--rpc-url", node.rpc_url, "-o", str(out)
        )
        address = result.stdout.strip()
        balance = node.connect().balance(address)
    key = out.read_text().strip()
    assert key.removeprefix("0x") not in result.output
    assert Account.from_key(key).address == address
    assert out.stat().st_mode & 0o777 == 0o600
    assert balance == 10 * 10**18


@pytest.mark.integration
def test_new_account_with_a_key_file_pays_from_that_account(
    anvil: LocalNode, tmp_path: Path
) -> None:
    payer = _key_file(tmp_path / "payer.key", anvil.private_key)
    out = tmp_path / "oracle.key"
    report = Cli(secrets=[anvil.private_key]).json(
        "new-account",
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(payer),
        "-o",
        str(out),
        "--ether",
        "2",
    )
    assert report["funded_by"] == anvil.address
    assert report["wei"] == 2 * 10**18
    assert report["private_key_file"] == str(out)
    assert Account.from_key(out.read_text().strip()).address == report["address"]
    assert anvil.connect().balance(report["address"]) == 2 * 10**18


@pytest.mark.integration
def test_new_account_without_an_unlocked_account_or_a_key_exits_2_and_keeps_no_key_file(
    anvil: LocalNode, tmp_path: Path
) -> None:
    out = tmp_path / "dapp.key"
    result = Cli(secrets=[anvil.private_key])(
        "new-account", "--rpc-url", anvil.rpc_url, "-o", str(out)
    )
    _fails(result, 2, "holds no unlocked account", "--private-key-file")
    assert not out.exists()


@pytest.mark.integration
def test_new_account_never_overwrites_a_key_file(anvil: LocalNode, tmp_path: Path) -> None:
    out = _key_file(tmp_path / "admin.key", anvil.private_key)
    result = Cli(secrets=[anvil.private_key])(
        "new-account", "--rpc-url", anvil.rpc_url, "-o", str(out)
    )
    _fails(result, 2, "exists", "refusing to overwrite")
    assert out.read_text().strip() == anvil.private_key


# --- deploy and roles (Anvil) -------------------------------------------------------------------


@pytest.mark.integration
def test_deploy_prints_the_verifier_address_and_puts_the_oracle_in_the_set(
    deployed: Deployed,
) -> None:
    verifier = deployed.verifier_handle
    assert verifier.type_and_version() == "SignatureVerifier 2.1.0"
    assert verifier.oracles() == (deployed.oracle_address,)
    assert verifier.threshold() == 1
    assert verifier.default_admin() == deployed.node.address


@pytest.mark.integration
def test_deploy_without_json_prints_aligned_name_value_lines(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    key = _key_file(tmp_path / "admin.key", anvil.private_key)
    oracle = Account.create().address
    result = cli.ok(
        "deploy", "--rpc-url", anvil.rpc_url, "--private-key-file", str(key), "--oracle", oracle
    )
    fields = dict(line.split(None, 1) for line in result.stdout.strip().splitlines())
    assert set(fields) == {"verifier", "chain_id", "block", "admin", "oracles", "threshold"}
    assert fields["admin"] == anvil.address
    assert fields["oracles"] == oracle
    assert fields["threshold"] == "1"
    Verifier(anvil.connect(), fields["verifier"])  # raises if no contract is there


@pytest.mark.integration
def test_deploy_with_several_oracles_and_a_threshold_puts_that_set_in_force(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    key = _key_file(tmp_path / "admin.key", anvil.private_key)
    members = [Account.create().address for _ in range(3)]
    oracle_options = [arg for member in members for arg in ("--oracle", member)]
    report = cli.json(
        "deploy",
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(key),
        *oracle_options,
        "--threshold",
        "2",
        "--oracle-set-delay",
        "600",
    )
    assert report["oracles"] == ",".join(members)
    assert report["threshold"] == 2
    verifier = Verifier(anvil.connect(), report["verifier"])
    assert verifier.oracles() == tuple(members)
    assert verifier.threshold() == 2
    assert verifier.oracle_set_delay() == 600


@pytest.mark.integration
def test_deploy_refuses_a_threshold_above_its_oracles_or_no_oracle_before_any_transaction(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    key = _key_file(tmp_path / "admin.key", anvil.private_key)
    chain = anvil.connect()
    nonce = chain.transaction_count(anvil.address)
    members = [Account.create().address for _ in range(2)]
    options = ["--rpc-url", anvil.rpc_url, "--private-key-file", str(key)]
    too_high = cli(
        "deploy", *options, "--oracle", members[0], "--oracle", members[1], "--threshold", "3"
    )
    _fails(too_high, 2, "--threshold 3 needs at least as many --oracle, got 2")
    _fails(cli("deploy", *options), 2, "needs at least one --oracle")
    _fails(cli("deploy", *options, "--oracle", "0x1234"), 2, "oracle is not a 20-byte")
    assert chain.transaction_count(anvil.address) == nonce


@pytest.mark.integration
def test_grant_role_prints_the_role_the_account_and_the_block(deployed: Deployed) -> None:
    someone = Account.create().address
    verifier = deployed.verifier_handle
    granted = deployed.cli.ok("grant-role", *deployed.as_admin, "pauser", someone)
    assert granted.stdout.startswith(f"granted PAUSER to {someone} in block ")
    assert verifier.has_role(Role.PAUSER, someone)


@pytest.mark.integration
def test_revoke_role_prints_the_role_the_account_and_the_block(deployed: Deployed) -> None:
    someone = Account.create().address
    verifier = deployed.verifier_handle
    deployed.cli.ok("grant-role", *deployed.as_admin, "pauser", someone)
    revoked = deployed.cli.ok("revoke-role", *deployed.as_admin, "PAUSER_ROLE", someone)
    assert not verifier.has_role(Role.PAUSER, someone)
    assert revoked.stdout.startswith(f"revoked PAUSER from {someone} in block ")


@pytest.mark.integration
def test_grant_role_by_an_account_without_the_admin_role_exits_3_with_the_decoded_error(
    deployed: Deployed,
) -> None:
    as_oracle = deployed.cli("grant-role", *deployed.as_oracle, "pauser", Account.create().address)
    _fails(as_oracle, 3, "AccessControlUnauthorizedAccount", deployed.oracle_address)


@pytest.mark.integration
def test_an_unknown_role_name_exits_2_with_a_hint(deployed: Deployed) -> None:
    result = deployed.cli("grant-role", *deployed.as_admin, "pauzer", Account.create().address)
    _fails(result, 2, "unknown role", "Did you mean 'PAUSER'?")


@pytest.mark.integration
def test_the_oracle_role_of_version_1_exits_2_pointing_to_the_oracle_set(
    deployed: Deployed,
) -> None:
    result = deployed.cli("grant-role", *deployed.as_admin, "oracle", Account.create().address)
    _fails(result, 2, "oracles are a set with a threshold", "pqoracle oracles announce")


# --- the dApp and oracle flow (Anvil) -------------------------------------------------------------


def _signed(cli: Cli, tmp_path: Path, message: str = "m", algorithm: str = "ML-DSA-44") -> str:
    """Generate a key pair under tmp_path; return the signature of `message` as 0x hex."""
    signer = tmp_path / "k.pem"
    if not signer.exists():
        cli.ok("keygen", "-a", algorithm, "-o", str(signer))
    return str(cli.ok("sign", "-k", str(signer), "--message", message).stdout.strip())


def _open(deployed: Deployed, tmp_path: Path, *options: str) -> dict[str, Any]:
    """Register a fresh key and open one request signed under it, with extra `options`."""
    signature = _signed(deployed.cli, tmp_path)
    public = str(tmp_path / "k.pem.pub")
    deployed.cli.ok("register-key", *deployed.as_admin, "-p", public)
    opened: dict[str, Any] = deployed.cli.json(
        "request", *deployed.as_admin, "-p", public, "--message", "m", "-s", signature, *options
    )
    return opened


def _run_oracle(deployed: Deployed, tmp_path: Path) -> None:
    store = tmp_path / "oracle.db"
    ran = deployed.cli(
        "run",
        *deployed.as_oracle,
        "--database-url",
        f"sqlite:///{store}",
        "--max-cycles",
        "3",
        env={"PQORACLE_POLL_INTERVAL": "0.05"},
    )
    assert ran.exit_code == 0, (ran.output, ran.exception)
    assert store.is_file()


@pytest.mark.integration
def test_a_signed_request_becomes_valid_and_a_tampered_one_invalid_once_the_oracle_votes(
    deployed: Deployed, tmp_path: Path
) -> None:
    cli = deployed.cli
    signer = tmp_path / "signer.pem"
    generated = cli.json("keygen", "-a", "ML-DSA-44", "-o", str(signer))
    public = f"{signer}.pub"

    registered = cli.json("register-key", *deployed.as_admin, "-p", public)
    assert registered["key_id"] == generated["key_id"]
    assert registered["algorithm"] == "ML-DSA-44"
    assert registered["gas_used"] > 21_000
    again = cli.json("register-key", *deployed.as_admin, "-p", public)
    assert again == {"key_id": generated["key_id"], "registered": "already"}

    message, context = "pay 5 PQT to bob", "app-v1"
    signature = cli.ok(
        "sign", "-k", str(signer), "--message", message, "--context", context
    ).stdout.strip()
    opened = cli.json(
        "request",
        *deployed.as_admin,
        "-p",
        public,
        "--message",
        message,
        "--context",
        context,
        "--signature-hex",
        signature,
    )
    tampered = cli.json(
        "request",
        *deployed.as_admin,
        "--key-id",
        generated["key_id"],
        "--message",
        message.replace("5", "500"),
        "--context",
        context,
        "--signature-hex",
        signature,
    )
    good, bad = str(opened["request_id"]), str(tampered["request_id"])
    # Ids are bound to the chain, the verifier, the requester and its own count of requests.
    chain_id = deployed.node.connect().chain_id
    for nonce, opened_id in enumerate((good, bad)):
        expected = request_id(chain_id, deployed.verifier, deployed.node.address, nonce)
        assert opened_id == "0x" + expected.hex()

    pending = cli.json("status", *deployed.as_admin, good, bad)
    assert {k: v["status"] for k, v in pending.items()} == {good: "pending", bad: "pending"}
    assert pending[good]["deadline"] == opened["deadline"]

    _run_oracle(deployed, tmp_path)

    final = cli.json("status", *deployed.as_admin, good, bad, "--wait", "30")
    assert final == {
        good: {
            "status": "valid",
            "valid_votes": 1,
            "invalid_votes": 0,
            "deadline": opened["deadline"],
        },
        bad: {
            "status": "invalid",
            "valid_votes": 0,
            "invalid_votes": 1,
            "deadline": tampered["deadline"],
        },
    }
    # Text output: one "id  status" line per request.
    text = cli.ok("status", *deployed.as_admin, good, bad).stdout.splitlines()
    assert text == [f"{good}  valid", f"{bad}  invalid"]


@pytest.mark.integration
def test_status_wait_on_a_request_no_oracle_answers_exits_1_after_the_wait(
    deployed: Deployed, tmp_path: Path
) -> None:
    opened = _open(deployed, tmp_path)
    result = deployed.cli("status", *deployed.as_admin, opened["request_id"], "--wait", "0.3")
    assert result.exit_code == 1
    assert f"{opened['request_id']}  pending" in result.stdout
    assert "still not final after 0.3 s" in result.output


@pytest.mark.integration
def test_status_of_a_request_id_never_issued_is_none(deployed: Deployed) -> None:
    assert deployed.cli.json("status", *deployed.as_admin, UNKNOWN_ID) == {
        UNKNOWN_ID: {"status": "none", "valid_votes": 0, "invalid_votes": 0, "deadline": 0}
    }


@pytest.mark.integration
def test_status_of_a_version_1_number_or_a_short_id_exits_2(deployed: Deployed) -> None:
    numbered = deployed.cli("status", *deployed.as_admin, "1")
    _fails(numbered, 2, "request ids are 0x hex of 32 bytes", "got 1")
    short = deployed.cli("status", *deployed.as_admin, "0x" + "ab" * 20)
    _fails(short, 2, "request id must be 32 bytes, got 20")


@pytest.mark.integration
def test_a_signature_of_the_wrong_length_is_refused_by_the_contract_in_one_line(
    deployed: Deployed, tmp_path: Path
) -> None:
    cli = deployed.cli
    signer = tmp_path / "k.pem"
    cli.ok("keygen", "-a", "ML-DSA-65", "-o", str(signer))
    cli.ok("register-key", *deployed.as_admin, "-p", f"{signer}.pub")
    result = cli(
        "request",
        *deployed.as_admin,
        "-p",
        f"{signer}.pub",
        "--message",
        "m",
        "-s",
        "0x" + "ab" * 10,
    )
    # Refused before any transaction: the key's parameter set fixes the signature length.
    _fails(result, 2, "an ML-DSA-65 signature is 3309 bytes, got 10")


@pytest.mark.integration
def test_request_under_a_key_id_nobody_registered_exits_2(deployed: Deployed) -> None:
    key_id = "0x" + "11" * 32
    result = deployed.cli(
        "request", *deployed.as_admin, "--key-id", key_id, "--message", "m", "-s", "0x00"
    )
    _fails(result, 2, f"key {key_id} is not registered")


@pytest.mark.integration
def test_request_by_key_id_checks_the_signature_length_of_the_registered_key(
    deployed: Deployed, tmp_path: Path
) -> None:
    signer = tmp_path / "k.pem"
    deployed.cli.ok("keygen", "-a", "ML-DSA-87", "-o", str(signer))
    key_id = deployed.cli.json("register-key", *deployed.as_admin, "-p", f"{signer}.pub")["key_id"]
    result = deployed.cli(
        "request",
        *deployed.as_admin,
        "--key-id",
        key_id,
        "--message",
        "m",
        "-s",
        "0x" + "00" * 2420,
    )
    _fails(result, 2, "an ML-DSA-87 signature is 4627 bytes, got 2420")


@pytest.mark.integration
def test_request_with_a_fee_a_timeout_and_a_callback_gas_limit_escrows_the_fee(
    deployed: Deployed, tmp_path: Path
) -> None:
    opened = _open(
        deployed, tmp_path, "--fee", "1000", "--timeout", "120", "--callback-gas", "50000"
    )
    chain = deployed.node.connect()
    block = chain.w3.eth.get_block(opened["block"])
    assert opened["deadline"] == block["timestamp"] + 120
    assert chain.balance(deployed.verifier) == 1000
    [event] = deployed.verifier_handle.events_of(
        VerificationRequested, opened["block"], opened["block"]
    )
    assert "0x" + event.request_id.hex() == opened["request_id"]
    assert (event.fee, event.callback_gas_limit, event.deadline) == (
        1000,
        50_000,
        block["timestamp"] + 120,
    )
    assert "0x" + event.commitment.hex() == opened["commitment"]


@pytest.mark.integration
def test_request_refuses_in_one_line_what_the_verifiers_config_would_refuse_before_sending(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    key = _key_file(tmp_path / "admin.key", anvil.private_key)
    report = cli.json(
        "deploy",
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(key),
        "--oracle",
        Account.create().address,
        "--min-fee",
        "1000",
        "--max-callback-gas",
        "100000",
    )
    options = ["--rpc-url", anvil.rpc_url, "--private-key-file", str(key)]
    options += ["--verifier", report["verifier"]]
    signature = _signed(cli, tmp_path)
    cli.ok("register-key", *options, "-p", str(tmp_path / "k.pem.pub"))
    chain = anvil.connect()
    nonce = chain.transaction_count(anvil.address)
    request = ["request", *options, "-p", str(tmp_path / "k.pem.pub"), "--message", "m"]
    request += ["-s", signature]
    for extra, reason in [
        (["--fee", "999"], "asks a fee of at least 1000 wei, got 999"),
        ([], "asks a fee of at least 1000 wei, got 0"),
        (
            ["--fee", "1000", "--timeout", "59"],
            "timeout 59 s is outside the verifier's bounds [60,",
        ),
        (["--fee", "1000", "--timeout", str(8 * 86_400)], "outside the verifier's bounds"),
        (["--fee", "1000", "--callback-gas", "100001"], "is above the verifier's cap 100000"),
    ]:
        _fails(cli(*request, *extra), 2, reason)
    assert chain.transaction_count(anvil.address) == nonce
    opened = cli.json(*request, "--fee", "1000", "--callback-gas", "100000")
    assert opened["request_id"].startswith("0x")


@pytest.mark.integration
def test_cancel_after_the_deadline_refunds_the_fee_and_before_it_exits_3(
    deployed: Deployed, tmp_path: Path
) -> None:
    opened = _open(deployed, tmp_path, "--fee", "5000", "--timeout", "60")
    rid = opened["request_id"]
    chain = deployed.node.connect()
    early = deployed.cli("cancel", *deployed.as_admin, rid)
    _fails(early, 3, "VerifierRequestNotExpired", "requestId=" + rid)
    assert chain.balance(deployed.verifier) == 5000

    deployed.node.rpc("evm_increaseTime", [61])
    deployed.node.rpc("evm_mine")
    assert deployed.cli.json("status", *deployed.as_admin, rid)[rid]["status"] == "expired"
    cancelled = deployed.cli.ok("cancel", *deployed.as_admin, rid)
    assert cancelled.stdout.startswith(f"cancelled {rid}, 5000 wei refunded, block ")
    assert chain.balance(deployed.verifier) == 0
    head = chain.block_number()
    [event] = deployed.verifier_handle.events_of(RequestCancelled, head, head)
    assert (event.requester, event.refund) == (deployed.node.address, 5000)
    assert deployed.cli.json("status", *deployed.as_admin, rid)[rid]["status"] == "cancelled"
    again = deployed.cli("cancel", *deployed.as_admin, rid)
    _fails(again, 3, "VerifierRequestNotPending")


@pytest.mark.integration
def test_cancel_of_a_request_never_opened_exits_2(deployed: Deployed) -> None:
    result = deployed.cli("cancel", *deployed.as_admin, UNKNOWN_ID)
    _fails(result, 2, f"no request {UNKNOWN_ID} was opened on {deployed.verifier}")


@pytest.mark.integration
def test_withdraw_pays_the_fee_of_a_request_the_oracles_vote_finalised(
    deployed: Deployed, tmp_path: Path
) -> None:
    opened = _open(deployed, tmp_path, "--fee", "7000")
    _run_oracle(deployed, tmp_path)
    rid = opened["request_id"]
    final = deployed.cli.json("status", *deployed.as_admin, rid, "--wait", "30")
    assert final[rid]["status"] == "valid"
    verifier = deployed.verifier_handle
    assert verifier.earned_of(deployed.oracle_address) == 7000

    payee = Account.create().address
    withdrew = deployed.cli.ok("withdraw", *deployed.as_oracle, "--to", payee)
    assert withdrew.stdout.startswith(f"withdrew 7000 wei to {payee} in block ")
    assert deployed.node.connect().balance(payee) == 7000
    assert verifier.earned_of(deployed.oracle_address) == 0
    _fails(deployed.cli("withdraw", *deployed.as_oracle), 3, "VerifierNothingToWithdraw")


# --- oracle set changes (Anvil) -------------------------------------------------------------------


@pytest.mark.integration
def test_oracles_show_announce_apply_with_no_delay(deployed: Deployed) -> None:
    cli = deployed.cli
    assert cli.json("oracles", "show", *deployed.as_admin) == {
        "oracles": deployed.oracle_address,
        "threshold": 1,
        "announced": "-",
        "announced_threshold": "-",
        "effective_at": "-",
    }
    members = [deployed.oracle_address, Account.create().address]
    announced = cli.ok(
        "oracles",
        "announce",
        *deployed.as_admin,
        "--oracle",
        members[0],
        "--oracle",
        members[1],
        "--threshold",
        "2",
    )
    assert announced.stdout.startswith("announced 2 oracles, threshold 2, in force from ")
    shown = cli.json("oracles", "show", *deployed.as_admin)
    assert (shown["oracles"], shown["announced"]) == (deployed.oracle_address, ",".join(members))
    assert shown["announced_threshold"] == 2
    assert isinstance(shown["effective_at"], int)

    # Anyone may apply a due change: here the oracle does.
    applied = cli.ok("oracles", "apply", *deployed.as_oracle)
    assert applied.stdout.startswith("oracle set in force from block ")
    text = cli.ok("oracles", "show", *deployed.as_admin).stdout
    fields = dict(line.split(None, 1) for line in text.strip().splitlines())
    assert fields["oracles"] == ",".join(members)
    assert (fields["threshold"], fields["announced"]) == ("2", "-")
    assert deployed.verifier_handle.threshold() == 2


@pytest.mark.integration
def test_oracles_cancel_withdraws_the_announced_change(deployed: Deployed) -> None:
    cli = deployed.cli
    newcomer = Account.create().address
    cli.ok("oracles", "announce", *deployed.as_admin, "--oracle", newcomer, "--threshold", "1")
    cancelled = cli.ok("oracles", "cancel", *deployed.as_admin)
    assert cancelled.stdout.startswith("announced change withdrawn in block ")
    assert cli.json("oracles", "show", *deployed.as_admin)["announced"] == "-"
    _fails(cli("oracles", "cancel", *deployed.as_admin), 3, "VerifierNoOracleSetChange")
    _fails(cli("oracles", "apply", *deployed.as_admin), 3, "VerifierNoOracleSetChange")
    assert deployed.verifier_handle.oracles() == (deployed.oracle_address,)


@pytest.mark.integration
def test_oracles_apply_before_the_delay_exits_3_and_succeeds_once_it_has_passed(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    key = _key_file(tmp_path / "admin.key", anvil.private_key)
    first = Account.create().address
    report = cli.json(
        "deploy",
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(key),
        "--oracle",
        first,
        "--oracle-set-delay",
        "3600",
    )
    options = ["--rpc-url", anvil.rpc_url, "--private-key-file", str(key)]
    options += ["--verifier", report["verifier"]]
    newcomer = Account.create().address
    cli.ok("oracles", "announce", *options, "--oracle", newcomer, "--threshold", "1")
    effective_at = cli.json("oracles", "show", *options)["effective_at"]
    # Not due yet: the same command succeeds later, so this is a runtime failure, not bad input.
    early = cli("oracles", "apply", *options)
    _fails(early, 3, f"VerifierOracleSetChangeNotDue(effectiveAt={effective_at})")
    verifier = Verifier(anvil.connect(), report["verifier"])
    assert verifier.oracles() == (first,)

    anvil.rpc("evm_increaseTime", [3600])
    anvil.rpc("evm_mine")
    cli.ok("oracles", "apply", *options)
    assert verifier.oracles() == (newcomer,)


@pytest.mark.integration
def test_oracles_announce_refuses_a_bad_set_in_one_line(deployed: Deployed) -> None:
    cli = deployed.cli
    chain = deployed.node.connect()
    nonce = chain.transaction_count(deployed.node.address)
    newcomer = Account.create().address
    too_high = cli(
        "oracles", "announce", *deployed.as_admin, "--oracle", newcomer, "--threshold", "2"
    )
    _fails(too_high, 2, "--threshold 2 needs at least as many --oracle, got 1")
    _fails(
        cli("oracles", "announce", *deployed.as_admin, "--threshold", "1"),
        2,
        "at least one --oracle",
    )
    assert chain.transaction_count(deployed.node.address) == nonce
    by_oracle = cli(
        "oracles", "announce", *deployed.as_oracle, "--oracle", newcomer, "--threshold", "1"
    )
    _fails(by_oracle, 3, "AccessControlUnauthorizedAccount", deployed.oracle_address)


# --- options and environment ----------------------------------------------------------------------


def test_a_malformed_verifier_address_exits_2_even_when_the_node_is_down() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = Cli()("status", "--rpc-url", url, "--verifier", "0x1234", UNKNOWN_ID)
    _fails(result, 2, "verifier address is not a 20-byte hex address")


@pytest.mark.integration
def test_an_environment_stands_in_for_the_options(deployed: Deployed) -> None:
    env = {
        "PQORACLE_RPC_URL": deployed.node.rpc_url,
        "PQORACLE_VERIFIER_ADDRESS": deployed.verifier,
        "PQORACLE_PRIVATE_KEY": deployed.node.private_key,
    }
    someone = Account.create().address
    granted = deployed.cli.ok("grant-role", "pauser", someone, env=env)
    assert granted.stdout.startswith(f"granted PAUSER to {someone}")
    assert deployed.cli.json("status", UNKNOWN_ID, env=env)[UNKNOWN_ID]["status"] == "none"
    assert deployed.cli.json("oracles", "show", env=env)["oracles"] == deployed.oracle_address


def test_the_faulty_oracle_flag_of_run_is_hidden_from_its_help() -> None:
    shown = Cli().ok("run", "--help").stdout
    assert "--dry-run" in shown
    assert "--invert-verdicts" not in shown


# --- exit codes -----------------------------------------------------------------------------------


def test_deploy_without_an_rpc_url_exits_2_with_a_one_line_reason(tmp_path: Path) -> None:
    key = "0x" + bytes(Account.create().key).hex()
    cli = Cli(secrets=[key])
    key_file = _key_file(tmp_path / "k", key)
    result = cli(
        "deploy", "--private-key-file", str(key_file), "--oracle", Account.create().address
    )
    _fails(result, 2, "this command needs a node: give --rpc-url")


@pytest.mark.integration
def test_a_malformed_verifier_address_exits_2(deployed: Deployed) -> None:
    for address in ("0x1234", "not-an-address", deployed.verifier.lower()[:-1] + "g"):
        result = deployed.cli(
            "status", "--rpc-url", deployed.node.rpc_url, "--verifier", address, UNKNOWN_ID
        )
        _fails(result, 2, "verifier address is not a 20-byte hex address")
    body = deployed.verifier[2:]
    letters = [i for i, char in enumerate(body) if char.isalpha()]
    assert len(letters) >= 2, "a checksum needs letters of both cases to be checked"
    flip = letters[0]
    wrong_checksum = "0x" + body[:flip] + body[flip].swapcase() + body[flip + 1 :]
    result = deployed.cli(
        "status", "--rpc-url", deployed.node.rpc_url, "--verifier", wrong_checksum, UNKNOWN_ID
    )
    _fails(result, 2, "wrong EIP-55 checksum")


@pytest.mark.integration
def test_a_verifier_address_with_no_contract_exits_2_naming_the_address(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    key = _key_file(tmp_path / "k", anvil.private_key)
    # Almost always a wrong address or a wrong node: bad input, not a runtime failure.
    for command in (
        ["status", UNKNOWN_ID],
        ["grant-role", "pauser", anvil.address],
        ["cancel", UNKNOWN_ID],
        ["withdraw"],
        ["oracles", "show"],
    ):
        result = cli(
            *command,
            "--rpc-url",
            anvil.rpc_url,
            "--private-key-file",
            str(key),
            "--verifier",
            anvil.address,
        )
        _fails(result, 2, f"no contract at {anvil.address}", "check --verifier and --rpc-url")


def test_an_unreachable_node_exits_3_and_never_shows_the_key_or_the_url_path(
    tmp_path: Path,
) -> None:
    key = "0x" + bytes(Account.create().key).hex()
    cli = Cli(secrets=[key])
    key_file = _key_file(tmp_path / "k", key)
    url = f"http://127.0.0.1:{_closed_port()}/v3/path-api-token"
    verifier = Account.create().address
    for args in (
        ["deploy", "--oracle", verifier],
        ["status", "--verifier", verifier, UNKNOWN_ID],
        ["grant-role", "--verifier", verifier, "pauser", verifier],
        ["cancel", "--verifier", verifier, UNKNOWN_ID],
        ["withdraw", "--verifier", verifier],
        ["oracles", "apply", "--verifier", verifier],
        ["run", "--verifier", verifier, "--once", "--database-url", "sqlite://"],
    ):
        result = cli(*args, "--rpc-url", url, "--private-key-file", str(key_file))
        line = _fails(result, 3, "cannot reach the node at http://127.0.0.1:")
        assert "path-api-token" not in result.output, line


def test_a_malformed_private_key_file_exits_2_without_echoing_its_content(tmp_path: Path) -> None:
    content = "0x" + "zz" * 32
    cli = Cli(secrets=["zz" * 32])
    key_file = tmp_path / "k"
    key_file.write_text(content)
    url = f"http://127.0.0.1:{_closed_port()}"
    result = cli(
        "deploy", "--rpc-url", url, "--private-key-file", str(key_file), "--oracle", _ORACLE
    )
    _fails(result, 2, "private key is not a valid")
    assert "zz" not in result.output


# --- demo ---------------------------------------------------------------------------------------


def _assert_demo_report(report: dict[str, Any], chain: str) -> None:
    assert report["chain"] == chain
    requests = report["requests"]
    # Five cases for each of the three parameter sets.
    assert len(requests) == 15, report
    for entry in requests:
        assert set(entry) == DEMO_REQUEST_FIELDS
        assert entry["status"] == entry["expected"], entry
        # The quorum decided: two agreeing votes; the faulty oracle's, if counted, against.
        agreeing, against = (
            (entry["valid_votes"], entry["invalid_votes"])
            if entry["expected"] == "valid"
            else (entry["invalid_votes"], entry["valid_votes"])
        )
        assert (agreeing, against) in {(2, 0), (2, 1)}, entry
    assert {r["algorithm"] for r in requests} == {"ML-DSA-44", "ML-DSA-65", "ML-DSA-87"}
    assert sorted(r["expected"] for r in requests).count("valid") == 3
    ids = [r["request_id"] for r in requests]
    assert len(set(ids)) == 15
    assert all(len(i) == 66 and i.startswith("0x") for i in ids)
    assert len(report["oracles"]) == len(set(report["oracles"])) == 3
    assert report["threshold"] == 2
    assert report["faulty_oracle"] in report["oracles"]
    # The faulty oracle votes first: every request it voted on records a dispute.
    assert report["disputes_recorded"] > 0


def test_demo_on_the_embedded_chain_finalises_every_request_as_expected() -> None:
    report = Cli().json("demo")
    _assert_demo_report(report, "embedded")


def test_demo_prints_a_table_naming_the_quorum_and_the_faulty_oracle() -> None:
    shown = Cli().ok("demo").stdout
    assert "oracles   3, threshold 2; 0x" in shown
    assert "votes wrong on purpose" in shown
    assert "15/15 requests final as expected" in shown
    assert "disputed votes recorded as security events" in shown
    assert "MISMATCH" not in shown


@pytest.mark.integration
def test_demo_on_anvil_without_a_key_funds_itself_from_the_nodes_unlocked_account() -> None:
    with run_anvil(accounts=1) as node:
        report = Cli(secrets=[node.private_key]).json("demo", "--rpc-url", node.rpc_url)
    _assert_demo_report(report, node.rpc_url)


@pytest.mark.integration
def test_demo_on_ganache_without_a_key_funds_itself_from_the_nodes_unlocked_account() -> None:
    with run_ganache(accounts=1) as node:
        report = Cli(secrets=[node.private_key]).json("demo", "--rpc-url", node.rpc_url)
    _assert_demo_report(report, node.rpc_url)


@pytest.mark.integration
def test_demo_on_a_node_without_unlocked_accounts_or_a_key_exits_2_saying_how_to_pay(
    anvil: LocalNode,
) -> None:
    result = Cli(secrets=[anvil.private_key])("demo", "--rpc-url", anvil.rpc_url)
    _fails(result, 2, "holds no unlocked account", "--private-key-file")


@pytest.mark.integration
def test_demo_on_ganache_with_a_key_file_pays_with_that_key(
    ganache: LocalNode, tmp_path: Path
) -> None:
    key = _key_file(tmp_path / "k", ganache.private_key)
    report = Cli(secrets=[ganache.private_key]).json(
        "demo", "--rpc-url", ganache.rpc_url, "--private-key-file", str(key)
    )
    _assert_demo_report(report, ganache.rpc_url)


def test_the_pqoracle_console_script_runs_the_demo_and_exits_0() -> None:
    exe = shutil.which("pqoracle")
    command = [exe] if exe else [sys.executable, "-m", "oracle.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQORACLE_")}
    # The console script of an editable install elsewhere would import that checkout's package.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run(
        [*command, "demo", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_demo_report(json.loads(done.stdout), "embedded")


@pytest.mark.integration
def test_a_request_under_a_public_key_the_verifier_does_not_know_registers_it_inline(
    deployed: Deployed, tmp_path: Path
) -> None:
    cli = deployed.cli
    signer = tmp_path / "inline.pem"
    generated = cli.json("keygen", "-a", "ML-DSA-87", "-o", str(signer))
    signature = cli.ok("sign", "-k", str(signer), "--message", "inline").stdout.strip()
    opened = cli.json(
        "request", *deployed.as_admin, "-p", f"{signer}.pub", "--message", "inline", "-s", signature
    )
    events = deployed.verifier_handle.events(opened["block"], opened["block"])
    kinds = [type(event).__name__ for event in events]
    assert kinds == ["KeyRegistered", "VerificationRequested"]
    assert deployed.verifier_handle.is_key_registered(bytes.fromhex(generated["key_id"][2:]))
