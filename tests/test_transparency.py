"""Signed transparency reports: figures from a daemon's real store (embedded chain), a Prometheus
HTTP API on 127.0.0.1, and the committed audit report; `pqoracle report`, `pqoracle maml verify`
and `GET /v1/reports/latest`."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from oracle import maml
from oracle.api import create_app
from oracle.chain import Chain
from oracle.cli import main
from oracle.config import Settings
from oracle.crypto import PublicKey, SigningKey
from oracle.daemon import OracleDaemon
from oracle.security import record_event
from oracle.store import Store
from oracle.store.models import SecurityEventType
from oracle.transparency import collect, render
from tests.daemon.conftest import scenario_on
from tests.imports import ROOT

#: What the fake Prometheus answers, by a fragment of the query.
ANSWERS = {
    'pqoracle_api_verifications_total{result="valid"}': 0.995,
    "pqoracle_api_envelope_seconds_bucket": 0.004,
    'pqoracle_api_auth_total{result="accepted"}': 0.97,
}


@pytest.fixture
def prometheus() -> Iterator[tuple[str, list[str]]]:
    """A Prometheus HTTP API on 127.0.0.1 answering instant queries from ANSWERS."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return

        def do_GET(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["query"][0]
            asked.append(query)
            value = next((v for fragment, v in ANSWERS.items() if fragment in query), None)
            result = [] if value is None else [{"metric": {}, "value": [0, str(value)]}]
            body = json.dumps(
                {"status": "success", "data": {"resultType": "vector", "result": result}}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def store_url(embedded_chain: Chain, tmp_path: Path) -> str:
    """A daemon's store after it verified two valid and one invalid ML-DSA-44 request."""
    scenario = scenario_on(embedded_chain, tmp_path)
    for valid in (True, True, False):
        scenario.open(valid=valid)
    store = scenario.store()
    OracleDaemon(scenario.oracle, store, scenario.settings()).run(until_settled=True, timeout=60)
    record_event(store, SecurityEventType.AUTH_REFUSED, "test: a refused token")
    store.close()
    return scenario.store_url


def _figures(text: str) -> dict[str, dict[str, object]]:
    front = maml.parse(text).front_matter
    return json.loads(json.dumps(front["report"]["figures"], default=dict))


def test_a_report_gives_each_figure_beside_its_target_and_verifies(
    store_url: str, prometheus: tuple[str, list[str]]
) -> None:
    url, asked = prometheus
    key = SigningKey.generate("ML-DSA-65")
    until = datetime.now(UTC) + timedelta(minutes=1)
    store = Store.open(store_url)
    try:
        found = collect(
            store, until - timedelta(days=1), until, prometheus_url=url, audit_dir=ROOT / "audit"
        )
    finally:
        store.close()
    figures = {figure.name: figure for figure in found.figures}
    assert found.verdicts == {"ML-DSA-44": {"valid": 2, "invalid": 1}}
    assert found.events == {"auth_refused": 1}
    assert (
        figures["signature_verification_success_ratio"].value,
        figures["signature_verification_success_ratio"].met,
    ) == (0.995, True)
    assert (figures["encryption_latency_p99"].value, figures["encryption_latency_p99"].met) == (
        0.004,
        True,
    )
    assert figures["authentication_success_ratio"].met is False  # 97% < 98%
    assert figures["oracle_disagreements"].value == 0
    assert figures["gas_spent"].value > 0
    assert figures["request_to_final_p50"].value is not None
    assert figures["audit_risk_score"].value == 0
    assert figures["audit_risk_score"].met is True
    assert "digest 0x" in (figures["audit_risk_score"].note or "")
    # One window: the whole period, as Prometheus range selectors.
    assert all("[86400s]" in query for query in asked)

    text = render(found, key)
    report = maml.verify(text, [PublicKey(key.algorithm, key.public_key)])
    assert report.valid
    stored = _figures(text)
    assert stored["authentication_success_ratio"]["met"] is False
    assert stored["signature_verification_success_ratio"]["target"] == "> 99%"
    assert "| authentication_success_ratio | 97.0000% | > 98% | **no** |" in text


def test_pqoracle_report_writes_a_signed_document_the_api_serves(
    store_url: str, tmp_path: Path
) -> None:
    key = SigningKey.generate("ML-DSA-44")
    (tmp_path / "op.pem").write_bytes(key.to_pem())
    (tmp_path / "op.pub.pem").write_bytes(PublicKey(key.algorithm, key.public_key).to_pem())
    runner = CliRunner()
    reports = tmp_path / "reports"
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    written = runner.invoke(
        main,
        [
            "report",
            "--database-url",
            store_url,
            "--key",
            str(tmp_path / "op.pem"),
            "--since",
            since,
            "--audit-dir",
            str(ROOT / "audit"),
            "--out-dir",
            str(reports),
        ],
    )
    assert written.exit_code == 0, written.output
    path = Path(written.output.strip())
    assert path.parent == reports
    checked = runner.invoke(main, ["maml", "verify", str(path), "-p", str(tmp_path / "op.pub.pem")])
    assert checked.exit_code == 0, checked.output
    figures = _figures(path.read_text())
    assert figures["signature_verification_success_ratio"]["value"] is None
    assert figures["signature_verification_success_ratio"]["note"] == "no --prometheus-url given"

    settings = Settings(database_url=store_url, reports_dir=reports)
    with TestClient(create_app(settings)) as client:
        latest = client.get("/v1/reports/latest")
        assert latest.status_code == 200
        assert latest.json() == {"name": path.name, "document": path.read_text()}
    with TestClient(create_app(Settings(database_url=store_url))) as client:
        assert client.get("/v1/reports/latest").status_code == 404


def test_bad_periods_and_a_missing_key_are_one_line_errors(store_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    no_key = runner.invoke(main, ["report", "--database-url", store_url])
    assert no_key.exit_code == 2
    assert "give --key" in no_key.output
    key = SigningKey.generate("ML-DSA-44")
    (tmp_path / "op.pem").write_bytes(key.to_pem())
    backwards = runner.invoke(
        main,
        [
            "report",
            "--database-url",
            store_url,
            "--key",
            str(tmp_path / "op.pem"),
            "--since",
            "2026-12-01T00:00:00Z",
            "--until",
            "2026-11-01T00:00:00Z",
        ],
    )
    assert backwards.exit_code == 2
    assert "--until must be after --since" in backwards.output
    garbled = runner.invoke(
        main, ["report", "--key", str(tmp_path / "op.pem"), "--since", "last tuesday"]
    )
    assert garbled.exit_code == 2
    assert "ISO 8601" in garbled.output
