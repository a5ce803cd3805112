"""benchmarks/onchain.py as users run it: a subprocess starting its own Anvil."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import mldsa
from web3 import Web3

from oracle.chain import load_artifact
from tests.chains import ROOT, anvil_unavailable

pytestmark = pytest.mark.integration

SCRIPT = ROOT / "benchmarks" / "onchain.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _report(*args: str) -> dict[str, Any]:
    done = _run("--json", *args)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _anchor_of_our_own_verifier(path: Path) -> Path:
    # A real verifier as the anchor: the project's own, used with a key seen once, so the ratio is
    # the registered verify over the raw one.
    key = mldsa.MLDSA44PrivateKey.generate()
    pk = key.public_key().public_bytes_raw()
    contract = Web3().eth.contract(abi=load_artifact("MLDSA44Verifier").abi)
    calldata = contract.encode_abi("verify", [pk, key.sign(b"anchor"), b"anchor", b""])
    anchor = {
        "name": "raw-key MLDSA44Verifier",
        "commit": None,
        "deploy": ["0x" + load_artifact("MLDSA44Verifier").bytecode.hex()],
        "verify_to": 0,
        "verify_calldata": calldata,
        "key_setup": None,
    }
    path.write_text(json.dumps(anchor))
    return path


def test_gas_table_meets_the_goals_and_measures_an_anchor(tmp_path: Path) -> None:
    out = tmp_path / "onchain.json"
    anchor = _anchor_of_our_own_verifier(tmp_path / "anchor.json")
    report = _report("--samples", "2", "--out", str(out), "--anchor", str(anchor))
    assert json.loads(out.read_text()) == report
    assert report["goal_met"] is True
    assert report["registered_rows_under_cap"] is True
    cases = {
        (row["operation"], row["case"]): row
        for row in report["rows"]
        if row.get("parameter_set") in (None, "ML-DSA-44")
    }
    registered = cases[("verify", "registered key: EIP-8355 call")]["gas_used"]
    raw = cases[("verify", "key seen once: EIP-8355 call")]["gas_used"]
    assert registered < raw
    assert cases[("verify", "registered key: verify(pk, sig, msg, ctx)")]["samples"] == 2
    assert ("vote", "oracle path: the settling vote") in cases
    post = cases[("post", "optimistic post (locks a bond)")]["gas_used"]
    overturn = cases[("challenge", "registered key: overturns a lie")]["gas_used"]
    assert post < 100_000 < registered < overturn < 16_777_216
    assert ("finalize", "after the challenge window (frees the bond)") in cases
    anchor_gas = report["anchor"]["verify_gas"]
    assert 0.9 * raw < anchor_gas < 1.1 * raw
    assert report["ratio_to_anchor"] == round(report["registered_verify_gas"] / anchor_gas, 3)
    sets = report["parameter_sets"]
    assert set(sets) == {"ML-DSA-44", "ML-DSA-65", "ML-DSA-87"}
    assert sets["ML-DSA-44"]["registered_verify"] < sets["ML-DSA-65"]["registered_verify"]
    assert (
        sets["ML-DSA-65"]["registered_verify"] < sets["ML-DSA-87"]["registered_verify"] < 16_777_216
    )
    over = {r["parameter_set"] for r in report["rows"] if not r["under_cap"]}
    assert over == {"ML-DSA-65", "ML-DSA-87"}  # keys seen once only


def test_a_bad_anchor_file_is_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "anchor.json"
    bad.write_text('{"name": "x"}')
    done = _run("--anchor", str(bad))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "needs name, deploy and verify_calldata" in done.stderr
