"""The daemon votes through whichever `Signer` it is given: a key held by another process (the
plug point a KMS or an HSM uses), or a keystore, in-process and as `pqoracle run` on Anvil."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from oracle.chain import fund
from oracle.domain import Status
from tests.chain.remote_signer import KEY_FILE_ENV, ProcessSigner
from tests.chains import ROOT, LocalNode
from tests.daemon.conftest import Scenario, scenario_on
from tests.daemon.test_daemon import _assert_each_fulfilled_once_as_expected, _daemon


def _transactions_of(scenario: Scenario, oracle: str) -> int:
    # The oracle's account sends nothing but votes: its nonce counts its vote transactions.
    return scenario.chain.transaction_count(oracle)


def test_the_daemon_votes_through_a_signer_whose_key_lives_in_another_process(
    scenario: Scenario, tmp_path: Path
) -> None:
    key_file = tmp_path / "remote.key"
    account = Account.create()
    key_file.write_text("0x" + bytes(account.key).hex())
    signer = ProcessSigner(key_file)
    try:
        fund(scenario.chain, signer.address, 10**18)
        scenario.admin.announce_oracle_set_change([signer.address], 1)
        scenario.admin.apply_oracle_set_change()
        scenario.oracle = scenario.admin.using(scenario.chain.with_account(signer))
        scenario.open(valid=True)
        scenario.open(valid=False)
        report = _daemon(scenario).run(until_settled=True, timeout=60)
        assert report is not None
        assert report.settled
        _assert_each_fulfilled_once_as_expected(scenario)
        assert signer.signed >= 1
        assert _transactions_of(scenario, signer.address) == signer.signed
    finally:
        signer.close()


def _run_daemon(
    scenario: Scenario, node: LocalNode, args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PQORACLE_")},
        "PYTHONPATH": pythonpath,
        "PQORACLE_POLL_INTERVAL": "0.05",
        **env,
    }
    return subprocess.run(
        [
            sys.executable, "-m", "oracle.cli", "run",
            "--rpc-url", node.rpc_url,
            "--verifier", scenario.oracle.address,
            "--database-url", scenario.store_url,
            "--max-cycles", "60",
            *args,
        ],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )  # fmt: skip


@pytest.mark.integration
@pytest.mark.parametrize("route", ["keystore", "signer factory"])
def test_pqoracle_run_on_anvil_votes_with_a_keystore_or_a_plugged_in_signer(
    route: str, anvil: LocalNode, tmp_path: Path
) -> None:
    scenario = scenario_on(anvil.connect(poll_latency=0.02), tmp_path)
    valid, invalid = scenario.open(valid=True), scenario.open(valid=False)
    key = bytes(scenario.oracle.chain.signer.account.key)
    if route == "keystore":
        keystore = tmp_path / "oracle.json"
        keystore.write_text(json.dumps(Account.encrypt(key, "pass phrase", iterations=2)))
        password = tmp_path / "password"
        password.write_text("pass phrase\n")
        args, env = ["--keystore", str(keystore), "--password-file", str(password)], {}
    else:
        key_file = tmp_path / "remote.key"
        key_file.write_text("0x" + key.hex())
        args = []
        env = {
            "PQORACLE_SIGNER": "tests.chain.remote_signer:from_settings",
            KEY_FILE_ENV: str(key_file),
        }
    done = _run_daemon(scenario, anvil, args, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert scenario.status(valid) == Status.VALID, done.stderr[-3000:]
    assert scenario.status(invalid) == Status.INVALID
    assert _transactions_of(scenario, scenario.oracle.chain.address) >= 1
    # Neither the key nor the password is in anything the daemon wrote.
    assert key.hex() not in done.stderr + done.stdout
    assert "pass phrase" not in done.stderr + done.stdout
