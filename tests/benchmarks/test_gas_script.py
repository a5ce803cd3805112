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
    "floor_ratio",
    "target",
    "passed",
}
PER_ALGORITHM = [
    ("registerKey", "new key"),
    ("requestVerification", "first"),
    ("requestVerification", "later"),
    ("requestVerification", "maximal"),
    ("vote", "quorum 1"),
    ("voteBatch", "1"),
    ("voteBatch", "10"),
    ("voteBatch", "50"),
    ("vote", "quorum 3"),
    ("callback", "overhead"),
    ("cancel", "refund"),
    ("withdraw", "earnings"),
]


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
        expected += [(operation, case, algorithm.name) for operation, case in PER_ALGORITHM]
    assert cases == expected


def test_the_issue_targets_are_judged_and_met(report: dict[str, Any]) -> None:
    judged = {
        (r["operation"], r["case"], r["algorithm"]): r["passed"]
        for r in report["rows"]
        if r["target"] is not None
    }
    expected = {("requestVerification", "later", "ML-DSA-44")}
    for algorithm in ALGORITHMS:
        expected |= {
            ("vote", "quorum 1", algorithm.name),
            ("voteBatch", "50", algorithm.name),
            ("vote", "quorum 3", algorithm.name),
            ("callback", "overhead", algorithm.name),
        }
    assert set(judged) == expected
    assert all(judged.values())
    assert report["targets_met"] is True


def test_the_figures_are_ordered_as_the_contract_implies(report: dict[str, Any]) -> None:
    transfer = report["baseline"]["gas_used"]
    previous_register = previous_request = 0
    for algorithm in (a.name for a in ALGORITHMS):
        register = _gas(report, "registerKey", "new key", algorithm)
        first = _gas(report, "requestVerification", "first", algorithm)
        later = _gas(report, "requestVerification", "later", algorithm)
        maximal = _gas(report, "requestVerification", "maximal", algorithm)
        vote = _gas(report, "vote", "quorum 1", algorithm)
        assert transfer < vote < register < later <= first < maximal
        # A vote restates the terms, never the payload: its gas does not depend on the set.
        assert vote < 34_000
        # Batching spreads the transaction's 21,000 over the votes.
        per_vote = [_gas(report, "voteBatch", size, algorithm) for size in ("1", "10", "50")]
        assert per_vote[0] > per_vote[1] > per_vote[2]
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
        if row["floor_gas"]:
            assert row["floor_ratio"] == pytest.approx(
                row["gas_used"] / row["floor_gas"], abs=0.001
            )
        if row["operation"] in ("voteBatch", "callback") or row["case"] == "quorum 3":
            continue  # per-vote shares, sums and differences, not one transaction's gas
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
    assert sum(" voteBatch " in line for line in lines) == 3 * len(ALGORITHMS)
    # Before Prague there is no calldata floor to pay.
    assert "(floor)" not in done.stdout


def test_a_given_development_node_pays_from_its_unlocked_account() -> None:
    _skip_without_anvil()
    with run_anvil(accounts=1) as node:
        report = _run("--rpc-url", node.rpc_url)
        assert report["node"]["started_here"] is False
        assert report["node"]["endpoint"] == node.rpc_url
        assert _gas(report, "vote", "quorum 1", "ML-DSA-44") < 50_000
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
