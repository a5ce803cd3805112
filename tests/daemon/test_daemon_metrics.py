"""The daemon's metrics and health, scraped over HTTP from its own server as Prometheus would.

On the embedded chain: counters move as requests are verified and voted on, gauges follow the
queue and the chain, `/healthz` turns 503 when the daemon is behind. On Anvil (through the
faulty-node proxy): node failures, reorgs and disagreements are counted, each once per stored
security event or logged failure; and `pqoracle run --metrics-port` serves the same as a process.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from oracle.chain import Chain, mine_blocks
from oracle.daemon import OracleDaemon
from oracle.daemon.metrics import RPC_ERROR_KINDS, DaemonMetrics, MetricsServer, error_kind
from oracle.domain import Vote
from oracle.errors import (
    ChainConnectionError,
    ChainError,
    ConfigError,
    NodeRequestError,
    NonceConflictError,
    TransactionRejectedError,
    TransactionTimeoutError,
)
from oracle.security import SecurityEventType
from oracle.store import RequestState
from tests.chains import ROOT, LocalNode, free_port
from tests.daemon.conftest import Scenario, scenario_on
from tests.daemon.test_daemon_faults import Faulty, _run_until, _state
from tests.rpcproxy import RpcProxy
from tests.scrape import get_json, scrape


def _served(metrics: DaemonMetrics, **limits: float) -> MetricsServer:
    return MetricsServer(
        metrics,
        "127.0.0.1",
        0,
        max_lag_blocks=int(limits.get("max_lag_blocks", 0)),
        max_cycle_age=limits.get("max_cycle_age", 60.0),
    )


def _daemon(scenario: Scenario, metrics: DaemonMetrics, **settings: object) -> OracleDaemon:
    return OracleDaemon(
        scenario.oracle, scenario.store(), scenario.settings(**settings), metrics=metrics
    )


def test_the_metrics_port_counts_requests_verdicts_and_votes_as_they_are_verified(
    scenario: Scenario,
) -> None:
    metrics = DaemonMetrics()
    daemon = _daemon(scenario, metrics)
    with _served(metrics) as server:
        base = f"http://127.0.0.1:{server.port}"
        before = scrape(base + "/metrics")
        assert before.value("pqoracle_daemon_requests_seen_total") == 0
        assert before.value("pqoracle_daemon_verdicts_total", result="invalid") == 0
        assert get_json(base + "/healthz") == (503, {**_nulls(), "status": "starting"})

        for valid in (True, True, False):
            scenario.open(valid=valid)
        report = daemon.run(until_settled=True, timeout=60)
        assert report is not None
        assert report.settled
        after = scrape(base + "/metrics")
        assert after.value("pqoracle_daemon_requests_seen_total") == 3
        assert after.value("pqoracle_daemon_verdicts_total", result="valid") == 2
        assert after.value("pqoracle_daemon_verdicts_total", result="invalid") == 1
        assert after.value("pqoracle_daemon_votes_sent_total") == 3
        assert after.value("pqoracle_daemon_request_to_vote_seconds_count") == 3
        assert after.value("pqoracle_daemon_queue_requests", state="final") == 3
        assert after.value("pqoracle_daemon_queue_requests", state="pending") == 0
        for state in ("signed", "sent", "mined"):
            assert after.value("pqoracle_daemon_pending_transactions", state=state) == 0
        head = scenario.chain.block_number()
        assert after.value("pqoracle_daemon_head_block") == head
        assert after.value("pqoracle_daemon_ingested_block") == head
        assert after.value("pqoracle_daemon_head_lag_blocks") == 0
        assert after.value("pqoracle_daemon_disagreements_total") == 0
        assert after.value("pqoracle_daemon_reorgs_total") == 0
        assert after.value("pqoracle_daemon_rpc_errors_total", kind="connection") == 0
        cycles = after.value("pqoracle_daemon_cycles_total")
        assert cycles is not None
        assert cycles >= 1
        last = after.value("pqoracle_daemon_last_cycle_timestamp_seconds")
        assert last is not None
        assert abs(last - time.time()) < 60
        status, health = get_json(base + "/healthz")
        assert (status, health["status"], health["lag_blocks"]) == (200, "ok", 0)

        # One more request moves the counters on from where they were.
        scenario.open(valid=False)
        daemon.run(until_settled=True, timeout=60)
        again = scrape(base + "/metrics")
        assert again.value("pqoracle_daemon_requests_seen_total") == 4
        assert again.value("pqoracle_daemon_verdicts_total", result="invalid") == 2
        assert again.value("pqoracle_daemon_votes_sent_total") == 4
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "/other", timeout=5)
        assert missing.value.code == 404
        missing.value.close()


def test_pending_transactions_are_counted_by_state_until_their_block_is_confirmed(
    scenario: Scenario,
) -> None:
    metrics = DaemonMetrics()
    daemon = _daemon(scenario, metrics, confirmations=1)

    def pending() -> dict[str, float | None]:
        return {
            state: metrics.registry.get_sample_value(
                "pqoracle_daemon_pending_transactions", {"state": state}
            )
            for state in ("signed", "sent", "mined")
        }

    for valid in (True, False):
        scenario.open(valid=valid)
    mine_blocks(scenario.chain, 1)  # the requests' blocks are confirmed
    daemon.run_once()  # votes: one transaction, signed and sent
    assert pending() == {"signed": 0, "sent": 1, "mined": 0}
    daemon.run_once()  # settles: the vote's block is the head, not yet confirmed
    assert pending() == {"signed": 0, "sent": 0, "mined": 1}
    mine_blocks(scenario.chain, 1)  # ... and now it is
    assert daemon.run(until_settled=True, timeout=60) is not None
    assert pending() == {"signed": 0, "sent": 0, "mined": 0}


def _nulls() -> dict[str, object]:
    return dict.fromkeys(("head", "ingested", "lag_blocks", "seconds_since_cycle"))


def test_healthz_answers_503_while_the_daemon_is_more_blocks_behind_than_allowed(
    scenario: Scenario,
) -> None:
    for _ in range(3):
        scenario.open()
    metrics = DaemonMetrics()
    # One block a cycle: the daemon trails the head by several blocks after its first cycle.
    daemon = _daemon(scenario, metrics, log_window=1, max_windows_per_cycle=1)
    daemon.run_once()
    head = scenario.chain.block_number()
    with _served(metrics, max_lag_blocks=1) as server:
        base = f"http://127.0.0.1:{server.port}"
        samples = scrape(base + "/metrics")
        ingested = samples.value("pqoracle_daemon_ingested_block")
        assert ingested is not None
        assert samples.value("pqoracle_daemon_head_lag_blocks") == head - ingested > 1
        status, health = get_json(base + "/healthz")
        assert (status, health["status"], health["lag_blocks"]) == (503, "behind", head - ingested)
    with _served(metrics, max_lag_blocks=10_000) as lenient:
        status, health = get_json(f"http://127.0.0.1:{lenient.port}/healthz")
        assert (status, health["status"]) == (200, "ok")


def test_healthz_answers_503_when_no_cycle_completed_within_the_allowed_age(
    scenario: Scenario,
) -> None:
    metrics = DaemonMetrics()
    _daemon(scenario, metrics).run_once()
    time.sleep(0.05)
    assert metrics.health(max_lag_blocks=10, max_cycle_age=0.01).status == "stalled"
    assert metrics.health(max_lag_blocks=10, max_cycle_age=60).healthy


def test_healthz_counts_the_lag_from_the_confirmed_head(scenario: Scenario) -> None:
    scenario.open()
    metrics = DaemonMetrics()
    _daemon(scenario, metrics, confirmations=3).run_once()
    health = metrics.health(max_lag_blocks=0, max_cycle_age=60)
    assert (health.healthy, health.lag_blocks) == (True, 0)
    # The head lag itself counts from the head: the confirmations at least.
    assert metrics.registry.get_sample_value("pqoracle_daemon_head_lag_blocks") == 3


def test_the_metrics_server_refuses_a_port_in_use_in_one_line() -> None:
    with _served(DaemonMetrics()) as first, pytest.raises(ConfigError) as refused:
        MetricsServer(DaemonMetrics(), "127.0.0.1", first.port, max_lag_blocks=0, max_cycle_age=1)
    assert f"cannot serve daemon metrics on 127.0.0.1:{first.port}" in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ChainConnectionError("down"), "connection"),
        (TransactionTimeoutError("slow", tx_hash=b"\x01"), "timeout"),
        (NodeRequestError("boom", code=-32000), "rpc_error"),
        (NodeRequestError("too many", code=-32005, result_cap=True), "result_cap"),
        (NonceConflictError("nonce too low"), "nonce_conflict"),
        (TransactionRejectedError("underpriced"), "tx_rejected"),
        (ChainError("a reorg is under way"), "chain"),
    ],
)
def test_each_node_failure_has_a_kind_label(error: BaseException, kind: str) -> None:
    assert error_kind(error) == kind
    assert kind in RPC_ERROR_KINDS


def _total(metrics: DaemonMetrics, counter: str) -> float | None:
    return metrics.registry.get_sample_value(f"pqoracle_daemon_{counter}_total")


# --- on Anvil, through the faulty-node proxy -----------------------------------------------------


@pytest.fixture
def proxied(anvil: LocalNode, tmp_path: Path) -> Iterator[Faulty]:
    """A deployment with two oracles (either decides alone) that the daemon reads through the
    proxy."""
    with RpcProxy(anvil.rpc_url) as proxy:
        chain = anvil.connect(poll_latency=0.01)
        yield Faulty(anvil, proxy, scenario_on(chain, tmp_path, oracles=2, threshold=1))


@pytest.mark.integration
def test_node_failures_are_counted_by_kind_once_per_failed_cycle(
    proxied: Faulty, caplog: pytest.LogCaptureFixture
) -> None:
    faulty = proxied
    scenario = faulty.scenario
    for _ in range(2):
        scenario.open()
    metrics = DaemonMetrics()
    daemon = OracleDaemon(
        faulty.oracle_through_proxy(), scenario.store(), scenario.settings(), metrics=metrics
    )
    faulty.proxy.fail("eth_call", times=3, kind="server")
    with caplog.at_level(logging.WARNING, logger="oracle.daemon"):
        daemon.run(until_settled=True, timeout=90)
    failed = [r for r in caplog.records if r.getMessage() == "node request failed, retrying"]
    assert failed
    counted = {
        kind: metrics.registry.get_sample_value("pqoracle_daemon_rpc_errors_total", {"kind": kind})
        for kind in RPC_ERROR_KINDS
    }
    assert counted["rpc_error"] >= 1
    assert sum(counted.values()) == len(failed)


@pytest.mark.integration
def test_a_reorg_and_a_disagreement_are_counted_once_per_security_event(
    proxied: Faulty,
) -> None:
    faulty = proxied
    scenario = faulty.scenario
    metrics = DaemonMetrics()
    daemon = OracleDaemon(
        faulty.oracle_through_proxy(),
        scenario.store(),
        scenario.settings(confirmations=1),
        metrics=metrics,
    )
    # The other oracle of the set posts the opposite verdict first, and alone decides.
    disputed = scenario.open(valid=True)
    scenario.oracles[1].vote(Vote(disputed, False, scenario.terms(disputed)))
    _run_until(daemon, scenario, lambda: _state(daemon, disputed) is RequestState.FINAL)
    assert _total(metrics, "disagreements") == 1

    # Blocks the daemon read are replaced by a longer branch: one rewind.
    snapshot = faulty.node.rpc("evm_snapshot")
    gone = scenario.open(valid=True)
    mine_blocks(scenario.chain, 2)
    daemon.run(max_cycles=2)
    assert _state(daemon, gone) is not None
    height = scenario.chain.block_number()
    faulty.node.rpc("evm_revert", [snapshot])
    for actor in (scenario.oracle, scenario.dapp, scenario.admin):
        actor.chain.nonces.reset()
    mine_blocks(scenario.chain, height - scenario.chain.block_number() + 2)
    daemon.run(max_cycles=3)
    reorgs = daemon.store.security_events(event_type=SecurityEventType.REORG)
    disagreements = daemon.store.security_events(event_type=SecurityEventType.VERDICT_DISAGREEMENT)
    assert len(reorgs) == 1
    assert _total(metrics, "reorgs") == len(reorgs)
    assert _total(metrics, "disagreements") == len(disagreements) == 1


@pytest.mark.integration
def test_pqoracle_run_serves_metrics_and_healthz_on_its_metrics_port(
    anvil: LocalNode, tmp_path: Path
) -> None:
    scenario = scenario_on(anvil.connect(poll_latency=0.02), tmp_path)
    key_file = tmp_path / "oracle.key"
    key_file.write_text("0x" + bytes(scenario.oracle.chain.signer.account.key).hex())
    key_file.chmod(0o600)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PQORACLE_POLL_INTERVAL": "0.05",
        "PQORACLE_DAEMON_MAX_LAG_BLOCKS": "5",
    }
    log = tmp_path / "daemon.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oracle.cli",
                "run",
                "--rpc-url",
                anvil.rpc_url,
                "--verifier",
                scenario.oracle.address,
                "--private-key-file",
                str(key_file),
                "--database-url",
                scenario.store_url,
                "--metrics-port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        scenario.open(valid=True)
        scenario.open(valid=False)
        deadline = time.monotonic() + 60
        samples = None
        status, health = 0, {}
        while time.monotonic() < deadline:
            try:
                samples = scrape(base + "/metrics")
                status, health = get_json(base + "/healthz")
            except OSError:
                samples = None
            sent = None if samples is None else samples.value("pqoracle_daemon_votes_sent_total")
            # The health follows completed cycles: the one that sent the votes may still run.
            if sent == 2 and status == 200:
                break
            time.sleep(0.1)
        assert samples is not None, log.read_text()[-2000:]
        assert samples.value("pqoracle_daemon_requests_seen_total") == 2
        assert samples.value("pqoracle_daemon_verdicts_total", result="valid") == 1
        assert samples.value("pqoracle_daemon_verdicts_total", result="invalid") == 1
        assert samples.value("pqoracle_daemon_votes_sent_total") == 2, log.read_text()[-2000:]
        assert (status, health["status"]) == (200, "ok")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            assert process.wait(20) == 0, log.read_text()[-2000:]
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            raise
    # The port is released with the process.
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/healthz", timeout=2)


@pytest.mark.integration
@pytest.mark.parametrize("node", ["anvil", "embedded"])
def test_vote_latency_takes_request_times_from_the_logs_and_asks_the_node_only_without_them(
    node: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = (
        request.getfixturevalue("anvil").connect(poll_latency=0.01)
        if node == "anvil"
        else request.getfixturevalue("embedded_chain")
    )
    scenario = scenario_on(chain, tmp_path)
    asked: list[int] = []
    real = Chain.block_timestamps

    def spied(self: Chain, numbers: Iterable[int]) -> dict[int, int]:
        numbers = list(numbers)
        asked.extend(numbers)
        return real(self, numbers)

    monkeypatch.setattr(Chain, "block_timestamps", spied)
    for valid in (True, False, True):
        scenario.open(valid=valid)
    metrics = DaemonMetrics()
    report = _daemon(scenario, metrics).run(until_settled=True, timeout=60)
    assert report is not None
    assert report.settled
    request_blocks = {r.block_number for r in scenario.requests.values()}
    votes = scenario.store().all_submissions()
    vote_blocks = {s.block_number for s in votes}
    stamp = {n: real(chain, [n])[n] for n in request_blocks | vote_blocks}
    (vote_block,) = vote_blocks
    expected = sum(stamp[vote_block] - stamp[r.block_number] for r in scenario.requests.values())
    assert metrics.registry.get_sample_value("pqoracle_daemon_request_to_vote_seconds_count") == 3
    assert metrics.registry.get_sample_value(
        "pqoracle_daemon_request_to_vote_seconds_sum"
    ) == pytest.approx(expected)
    if node == "anvil":
        # Anvil's logs carry their block's timestamp, the vote receipt's logs too: nothing is
        # asked.
        assert asked == []
    else:
        # eth-tester's logs do not: the requests' blocks are asked too.
        assert set(asked) == request_blocks | vote_blocks
