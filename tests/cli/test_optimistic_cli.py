"""`pqoracle demo --optimistic` as a user runs it (a subprocess; its table and its JSON), on the
embedded chain and on Anvil, and `pqoracle bond show|deposit|withdraw` and `pqoracle watch` on a
verifier in optimistic mode."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from oracle.cli import main
from oracle.domain import Status
from oracle.store import PostState, Store
from tests.chains import ROOT, LocalNode, anvil_unavailable, run_anvil
from tests.daemon.optimistic import BOND, cycle_until, optimistic_on


def _pqoracle(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQORACLE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, "-m", "oracle.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _assert_optimistic_report(report: dict[str, Any]) -> None:
    rows = report["requests"]
    assert len(rows) == 5
    lies = [r for r in rows if r["posted_by"] == "liar"]
    truths = [r for r in rows if r["posted_by"] == "honest"]
    assert len(lies) == 2
    assert len(truths) == 3
    for row in lies:
        assert row["posted_verdict"] != row["true_verdict"]
        assert (row["challenged"], row["overturned"]) == (True, True)
        assert row["reward_wei"] == row["burned_wei"] == report["bond_wei"] // 2
    for row in truths:
        assert row["posted_verdict"] == row["true_verdict"]
        assert (row["challenged"], row["reward_wei"]) == (False, 0)
    assert all(r["final_verdict"] == r["true_verdict"] for r in rows)
    assert {r["true_verdict"] for r in rows} == {"valid", "invalid"}
    assert report["liar_barred"] is True
    assert report["liar_in_oracle_set"] is False
    assert report["watcher_earned_wei"] == report["bond_wei"]


def test_demo_optimistic_prints_who_posted_what_and_where_each_lying_bond_went() -> None:
    done = _pqoracle("demo", "--optimistic")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "chain     embedded (chain id 131277322940537)"
    assert re.match(
        r"verifier  0x[0-9a-fA-F]{40} \(optimistic mode: bond 0\.01 ETH per post, "
        r"challenge window 15 s\)$",
        lines[1],
    )
    header = lines.index(next(line for line in lines if line.startswith("request ")))
    assert lines[header].split() == [
        "request",
        "case",
        "true",
        "posted",
        "by",
        "posted",
        "challenged",
        "final",
        "bond",
        "moved",
    ]
    rows = lines[header + 1 : header + 6]
    lies = [row for row in rows if " liar " in row]
    assert len(lies) == 2
    for row in lies:
        assert "yes, won" in row
        assert row.endswith("0.005 ETH to watcher, 0.005 ETH burned")
    honest = [row for row in rows if " honest " in row]
    assert len(honest) == 3
    assert all(re.search(r"  no  +(valid|invalid)  +-$", row) for row in honest)
    assert "MISMATCH" not in done.stdout
    assert lines[-1].startswith("2/2 lies challenged and overturned in ")
    assert lines[-1].endswith(
        "the watcher earned 0.01 ETH; the liar is barred and out of the oracle set"
    )
    # The expected lies are in the table, not on stderr.
    assert "ERROR" not in done.stderr


def test_demo_optimistic_json_reports_every_lie_overturned() -> None:
    done = _pqoracle("demo", "--optimistic", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["chain"] == "embedded"
    assert report["challenge_window_seconds"] == 15
    _assert_optimistic_report(report)


@pytest.mark.integration
def test_demo_optimistic_on_anvil_funds_itself_from_the_nodes_unlocked_account() -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil(accounts=1) as node:
        done = _pqoracle("demo", "--optimistic", "--json", "--rpc-url", node.rpc_url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert node.private_key[2:] not in done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["chain"] == node.rpc_url
    _assert_optimistic_report(report)


@pytest.mark.integration
def test_bond_show_deposit_and_withdraw(anvil: LocalNode, tmp_path: Path) -> None:
    optimistic = optimistic_on(anvil.connect(), tmp_path)
    oracle = optimistic.honest
    key_file = tmp_path / "oracle.key"
    key_file.write_text("0x" + bytes(oracle.chain.signer.account.key).hex())  # type: ignore[attr-defined]
    key_file.chmod(0o600)
    common = ["--rpc-url", anvil.rpc_url, "--verifier", oracle.address]
    signer = ["--private-key-file", str(key_file)]
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    shown = json.loads(run("bond", "show", *common, *signer, "--json"))
    assert shown == {
        "account": oracle.chain.address,
        "optimistic": True,
        "bond_per_post_wei": BOND,
        "challenge_window_seconds": 600,
        "free_bond_wei": 10 * BOND,
        "posts_covered": 10,
        "barred": False,
    }
    assert run("bond", "deposit", str(BOND), *common, *signer).startswith(
        f"deposited {BOND} wei in block "
    )
    assert optimistic.admin.bond_of(oracle.chain.address) == (11 * BOND, False)
    to = optimistic.dapp.chain.address
    before = optimistic.chain.w3.eth.get_balance(to)
    out = run("bond", "withdraw", str(2 * BOND), *common, *signer, "--to", to)
    assert out.startswith(f"withdrew {2 * BOND} wei of bond to {to}")
    assert optimistic.admin.bond_of(oracle.chain.address) == (9 * BOND, False)
    assert optimistic.chain.w3.eth.get_balance(to) == before + 2 * BOND
    # Anyone's bond, without a key.
    other = json.loads(
        run("bond", "show", *common, "--account", optimistic.liar.chain.address, "--json")
    )
    assert other["free_bond_wei"] == 10 * BOND
    refused = runner.invoke(main, ["bond", "withdraw", str(100 * BOND), *common, *signer])
    assert refused.exit_code == 3
    assert "VerifierInsufficientBond" in refused.output


@pytest.mark.integration
def test_watch_dry_run_judges_without_sending_and_watch_challenges(
    anvil: LocalNode, tmp_path: Path
) -> None:
    optimistic = optimistic_on(anvil.connect(), tmp_path)
    lie = optimistic.open(valid=False)
    liar = optimistic.daemon(optimistic.liar, "liar", lying=True)
    cycle_until([liar], lambda: optimistic.admin.post_of(lie).exists)
    common = ["--rpc-url", anvil.rpc_url, "--verifier", optimistic.admin.address]
    runner = CliRunner()
    dry = tmp_path / "dry.db"
    result = runner.invoke(
        main,
        ["watch", *common, "--dry-run", "--once", "--database-url", f"sqlite:///{dry}"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert optimistic.status(lie) is Status.POSTED
    judged = Store.open(f"sqlite:///{dry}")
    assert judged.post_counts()[PostState.OPEN] == 1
    judged.close()
    key_file = tmp_path / "watcher.key"
    account = optimistic.watcher_account.chain
    key_file.write_text("0x" + bytes(account.signer.account.key).hex())  # type: ignore[attr-defined]
    key_file.chmod(0o600)
    result = runner.invoke(
        main,
        [
            "watch",
            *common,
            "--private-key-file",
            str(key_file),
            "--max-cycles",
            "3",
            "--database-url",
            optimistic.url("watch"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert optimistic.status(lie) is Status.INVALID
    assert optimistic.admin.earned_of(account.address) == BOND // 2
