"""A real Prometheus (Debian's 2.42) scrapes a running `pqoracle serve` and a daemon's metrics port
with the project's scrape config and alert rules, and sees the counters the calls moved."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from oracle.chain import connect
from oracle.crypto import SigningKey
from oracle.daemon import OracleDaemon
from oracle.daemon.metrics import DaemonMetrics, MetricsServer
from tests.api.test_serve import _issue, _server, _wait_up
from tests.chains import free_port
from tests.daemon.conftest import scenario_on
from tests.deploy.catalogue import PROMETHEUS

pytestmark = pytest.mark.integration

#: Seconds Prometheus may take to start, and to scrape and evaluate what a step expects.
STARTUP = 30.0
SETTLE = 30.0
KEY = SigningKey.generate("ML-DSA-44")


@pytest.fixture
def prometheus() -> str:
    found = shutil.which("prometheus")
    if found is None:
        pytest.skip("prometheus is missing: `apt-get install prometheus` (scripts/test.sh does)")
    return found


@contextmanager
def _running_prometheus(binary: str, tmp_path: Path, targets: dict[str, str]) -> Iterator[str]:
    """deploy/prometheus/prometheus.yml with these targets, one-second scrapes and evaluations,
    on a free port with its own storage; stopped (its process group) afterwards."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROMETHEUS / "alerts.yml")]
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _eventually(lambda: _ready(url), STARTUP, lambda: (tmp_path / "prometheus.log").read_text())
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _eventually(check: Callable[[], Any], timeout: float, why: Callable[[], object] = str) -> Any:
    """The first truthy answer of `check`, asked every quarter second for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"not within {timeout:g} s: {why()}")


def _api(url: str, path: str, **params: str) -> Any:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}{path}?{query}", timeout=5) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "success", answer
    return answer["data"]


def _values(url: str, promql: str, label: str) -> dict[str, float]:
    """An instant query's samples by the value of `label`."""
    return {
        sample["metric"].get(label, ""): float(sample["value"][1])
        for sample in _api(url, "/api/v1/query", query=promql)["result"]
    }


def _verify(service: str, token: str | None, *, valid: bool) -> int:
    signature = KEY.sign(b"hello" if valid else b"other", b"ctx")
    body = json.dumps(
        {
            "algorithm": "ML-DSA-44",
            "public_key": "0x" + KEY.public_key.hex(),
            "message": "0x" + b"hello".hex(),
            "context": "0x" + b"ctx".hex(),
            "signature": "0x" + signature.hex(),
        }
    ).encode()
    request = urllib.request.Request(service + "/v1/verify", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {"valid": valid}
            return int(response.status)
    except urllib.error.HTTPError as err:
        with err:
            return err.code


@contextmanager
def _daemon_metrics(tmp_path: Path) -> Iterator[str]:
    """A daemon that has voted on one valid and one invalid request (embedded chain), its
    metrics served on a free port for as long as the context lasts."""
    scenario = scenario_on(connect(), tmp_path)
    scenario.open(valid=True)
    scenario.open(valid=False)
    metrics = DaemonMetrics()
    store = scenario.store()
    daemon = OracleDaemon(scenario.oracle, store, scenario.settings(), metrics=metrics)
    report = daemon.run(until_settled=True, timeout=60)
    assert report is not None
    assert report.settled
    try:
        with MetricsServer(metrics, "127.0.0.1", 0, max_lag_blocks=0, max_cycle_age=3600) as server:
            yield f"127.0.0.1:{server.port}"
    finally:
        store.close()


def test_prometheus_scrapes_the_service_and_the_daemon_and_loads_the_alert_rules(
    prometheus: str, tmp_path: Path
) -> None:
    token_key = tmp_path / "token.pem"
    token_key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "api").mkdir()
    with (
        _server(tmp_path / "api", token_key) as service,
        _daemon_metrics(tmp_path) as daemon,
    ):
        _wait_up(service)
        token = _issue(token_key, "verify")
        api_target = service.removeprefix("http://")
        with _running_prometheus(
            prometheus, tmp_path, {"pqoracle-api": api_target, "pqoracle-daemon": daemon}
        ) as url:
            # A first call of each kind, scraped, so that the next ones show as a rate.
            assert _verify(service, token, valid=True) == 200
            assert _verify(service, token, valid=False) == 200
            assert _verify(service, None, valid=True) == 401
            verifications = 'pqoracle_api_verifications_total{job="pqoracle-api"}'
            _eventually(
                lambda: _values(url, verifications, "result") == {"valid": 1, "invalid": 1},
                SETTLE,
                lambda: _values(url, verifications, "result"),
            )
            for valid in (True, True, False):
                assert _verify(service, token, valid=valid) == 200
            assert _verify(service, "not-a-token", valid=True) == 401
            _eventually(
                lambda: _values(url, verifications, "result") == {"valid": 3, "invalid": 2},
                SETTLE,
                lambda: _values(url, verifications, "result"),
            )
            auth = 'pqoracle_api_auth_total{job="pqoracle-api"}'
            assert _values(url, auth, "result") == {"accepted": 5, "refused": 2}
            assert _values(url, "up", "job") == {"pqoracle-api": 1, "pqoracle-daemon": 1}

            verdicts = 'pqoracle_daemon_verdicts_total{job="pqoracle-daemon"}'
            assert _values(url, verdicts, "result") == {"valid": 1, "invalid": 1}
            assert _values(url, "pqoracle_daemon_votes_sent_total", "job") == {"pqoracle-daemon": 2}

            expected = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
            groups = _eventually(lambda: _evaluated(url, len(expected)), SETTLE)
            assert {g["name"]: len(g["rules"]) for g in groups} == {
                g["name"]: len(g["rules"]) for g in expected
            }
            # One invalid signature in three and one refused token in four: both ratios are
            # past their targets, so both alerts wait out their `for:` as pending.
            pending = {
                "PqoracleSignatureVerificationSuccessLow",
                "PqoracleAuthenticationSuccessLow",
            }
            _eventually(lambda: _alerts(url, "pending") == pending, SETTLE, lambda: _alerts(url))
            assert _alerts(url) == pending


def _evaluated(url: str, groups: int) -> list[dict[str, Any]] | None:
    """The loaded rule groups once every rule has been evaluated without an error."""
    found: list[dict[str, Any]] = _api(url, "/api/v1/rules")["groups"]
    rules = [rule for group in found for rule in group["rules"]]
    if len(found) != groups or any(rule["health"] != "ok" for rule in rules):
        return None
    return found


def _alerts(url: str, state: str | None = None) -> set[str]:
    """Names of the active alerts (in `state`, if given)."""
    alerts = _api(url, "/api/v1/alerts")["alerts"]
    return {a["labels"]["alertname"] for a in alerts if state is None or a["state"] == state}
