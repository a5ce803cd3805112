"""benchmarks/gas.py as users run it: a subprocess starting its own Anvil, or on a given node."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import pytest

from oracle.crypto import ALGORITHMS
from tests.chains import ROOT, anvil_unavailable, run_anvil

pytestmark = pytest.mark.integration

SCRIPT = ROOT / "benchmarks" / "gas.py"
ROW_FIELDS = {
    "operation",
    "algorithm",
    "case",
    "description",
    "gas_used",
    "x_transfer",
    "calldata_bytes",
    "calldata_gas",
    "floor_gas",
}


def _skip_without_anvil() -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)


def _run(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _gas(report: dict[str, Any], operation: str, case: str, algorithm: str | None) -> int:
    (row,) = [
        r
        for r in report["rows"]
        if (r["operation"], r["case"], r["algorithm"]) == (operation, case, algorithm)
    ]
    return int(row["gas_used"])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    _skip_without_anvil()
    out = tmp_path_factory.mktemp("gas") / "gas.json"
    printed = _run("--out", str(out))
    assert json.loads(out.read_text()) == printed
    return printed


def test_the_json_names_the_node_the_baseline_and_one_row_per_measurement(
    report: dict[str, Any],
) -> None:
    assert report["benchmark"] == "gas"
    assert report["node"]["client"].startswith("anvil/")
    assert report["node"]["started_here"] is True
    assert report["node"]["hardfork"]
    assert report["baseline"] == {"operation": "transfer", "gas_used": 21_000}
    for row in report["rows"]:
        assert set(row) == ROW_FIELDS
    cases = [(r["operation"], r["case"], r["algorithm"]) for r in report["rows"]]
    expected = [("transfer", "baseline", None), ("deploy", "verifier", None)]
    for algorithm in ALGORITHMS:
        expected += [
            ("registerKey", "new key", algorithm.name),
            ("requestVerification", "first", algorithm.name),
            ("requestVerification", "later", algorithm.name),
            ("requestVerification", "maximal", algorithm.name),
            ("fulfill", "valid", algorithm.name),
            ("fulfill", "invalid", algorithm.name),
        ]
    assert cases == expected


def test_the_figures_are_ordered_as_the_contract_implies(report: dict[str, Any]) -> None:
    transfer = report["baseline"]["gas_used"]
    previous_register = previous_request = 0
    for algorithm in (a.name for a in ALGORITHMS):
        register = _gas(report, "registerKey", "new key", algorithm)
        first = _gas(report, "requestVerification", "first", algorithm)
        later = _gas(report, "requestVerification", "later", algorithm)
        maximal = _gas(report, "requestVerification", "maximal", algorithm)
        valid = _gas(report, "fulfill", "valid", algorithm)
        invalid = _gas(report, "fulfill", "invalid", algorithm)
        assert transfer < valid < register < later < first < maximal
        assert transfer < invalid < register
        # Writing the request counter from zero is a new storage slot: about 17,100 gas more.
        assert 15_000 < first - later < 20_000
        # A verdict touches no payload: its gas does not depend on the parameter set.
        assert valid < 50_000
        assert abs(valid - invalid) < 100
        # Larger keys and signatures cost more calldata, event data and hashing.
        assert register > previous_register
        assert later > previous_request
        previous_register, previous_request = register, later


def test_ratios_and_calldata_costs_follow_from_the_gas_and_the_input(
    report: dict[str, Any],
) -> None:
    transfer = report["baseline"]["gas_used"]
    for row in report["rows"]:
        assert row["x_transfer"] == pytest.approx(row["gas_used"] / transfer, abs=0.01)
        nbytes = row["calldata_bytes"]
        assert 4 * nbytes <= row["calldata_gas"] <= 16 * nbytes
        # Anvil's default hardfork is Prague or later: no transaction pays under the floor.
        assert row["gas_used"] >= row["floor_gas"]
    for algorithm in ALGORITHMS:
        (register,) = [
            r
            for r in report["rows"]
            if r["operation"] == "registerKey" and r["algorithm"] == algorithm.name
        ]
        # The key travels in calldata: the input is the key plus selector and ABI words.
        assert (
            algorithm.public_key_size < register["calldata_bytes"] < algorithm.public_key_size + 200
        )
        (maximal,) = [
            r
            for r in report["rows"]
            if r["operation"] == "requestVerification"
            and r["case"] == "maximal"
            and r["algorithm"] == algorithm.name
        ]
        assert maximal["calldata_bytes"] > 16_384 + 255 + algorithm.signature_size


def test_the_anvil_the_script_started_is_stopped_when_it_ends(report: dict[str, Any]) -> None:
    port = urlsplit(report["node"]["endpoint"]).port
    assert port is not None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_without_json_a_table_is_printed() -> None:
    _skip_without_anvil()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--hardfork", "shanghai"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert "hardfork Shanghai" in lines[0]
    assert lines[2].split()[:5] == ["algorithm", "operation", "case", "gas", "x_transfer"]
    assert sum(" fulfill " in line for line in lines) == 2 * len(ALGORITHMS)
    # Before Prague there is no calldata floor to pay.
    assert "(floor)" not in done.stdout


def test_a_given_development_node_pays_from_its_unlocked_account() -> None:
    _skip_without_anvil()
    with run_anvil(accounts=1) as node:
        report = _run("--rpc-url", node.rpc_url)
        assert report["node"]["started_here"] is False
        assert report["node"]["endpoint"] == node.rpc_url
        assert _gas(report, "fulfill", "valid", "ML-DSA-44") < 50_000
        # The node is still up: the script stops only what it started.
        assert node.process.poll() is None
        assert node.rpc("eth_chainId")


def test_an_unreachable_node_fails_with_exit_code_3_and_one_line() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rpc-url", f"http://127.0.0.1:{port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "cannot reach the node" in done.stderr
