"""`pqoracle token issue` and `pqoracle serve` as a real process, over HTTP and over TLS."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import jwt
import pytest
import uvicorn
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from benchmarks.api import listening_sockets
from oracle.api.workers import Supervisor, WorkerStartError, reuse_port_socket
from oracle.cli import main
from oracle.crypto import SigningKey
from oracle.errors import ConfigError
from tests.chains import ROOT, free_port

#: Seconds the server may take to answer its first request.
STARTUP = 30.0


def _public_key(token_key: Path) -> object:
    private = serialization.load_pem_private_key(token_key.read_bytes(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    return private.public_key()


def test_token_issue_prints_a_token_with_the_scopes_and_the_ttl(token_key: Path) -> None:
    env = {"PQORACLE_API_JWT_PRIVATE_KEY_FILE": str(token_key)}
    result = CliRunner().invoke(
        main, ["token", "issue", "--scope", "verify", "--scope", "admin", "--ttl", "120"], env=env
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    claims = jwt.decode(
        token, _public_key(token_key), algorithms=["EdDSA"], options={"verify_aud": False}
    )
    assert claims["scope"] == "admin verify"
    assert claims["exp"] - claims["iat"] == 120
    assert str(token_key) not in result.output


def test_token_issue_refuses_a_ttl_above_the_maximum_in_one_line(token_key: Path) -> None:
    env = {
        "PQORACLE_API_JWT_PRIVATE_KEY_FILE": str(token_key),
        "PQORACLE_API_JWT_MAX_TTL": "60",
    }
    args = ["token", "issue", "--scope", "verify", "--ttl", "61"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2
    assert "--ttl is at most 60 seconds" in result.output


def _self_signed(tmp_path: Path) -> tuple[Path, Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "server.crt", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, cert_path


@contextmanager
def _server(
    tmp_path: Path,
    token_key: Path,
    *extra: str,
    scheme: str = "http",
    env_extra: dict[str, str] | None = None,
) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PQORACLE_API_JWT_PRIVATE_KEY_FILE": str(token_key),
        "PQORACLE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        **(env_extra or {}),
    }
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "oracle.cli", "serve", "--port", str(port), *extra],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()


def _get(
    url: str, *, token: str | None = None, context: ssl.SSLContext | None = None
) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _wait_up(url: str, context: ssl.SSLContext | None = None) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        try:
            if _get(url + "/healthz", context=context)[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server at {url} did not answer within {STARTUP:g} s")


def _issue(token_key: Path, *scopes: str) -> str:
    env = {"PQORACLE_API_JWT_PRIVATE_KEY_FILE": str(token_key)}
    args = [arg for scope in scopes for arg in ("--scope", scope)]
    result = CliRunner().invoke(main, ["token", "issue", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.mark.integration
def test_serve_answers_over_http_and_checks_tokens(tmp_path: Path, token_key: Path) -> None:
    with _server(tmp_path, token_key) as url:
        _wait_up(url)
        status, health = _get(url + "/healthz")
        assert (status, health["status"]) == (200, "ok")
        status, body = _get(url + "/v1/events")
        assert status == 401
        assert set(body["error"]) == {"code", "reason"}  # type: ignore[arg-type]
        assert _get(url + "/v1/events", token=_issue(token_key, "verify"))[0] == 403
        status, events = _get(url + "/v1/events", token=_issue(token_key, "admin"))
        assert status == 200
        assert "events" in events


@pytest.mark.integration
def test_serve_answers_over_tls_with_the_given_certificate(tmp_path: Path, token_key: Path) -> None:
    cert, key, trusted = _self_signed(tmp_path)
    context = ssl.create_default_context(cafile=str(trusted))
    with _server(
        tmp_path, token_key, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https"
    ) as url:
        _wait_up(url, context)
        status, health = _get(url + "/healthz", context=context)
        assert (status, health["status"]) == (200, "ok")
        # A client that does not trust the certificate is refused by the handshake.
        with pytest.raises(urllib.error.URLError):
            _get(url + "/healthz", context=ssl.create_default_context())


def test_serve_refuses_a_certificate_without_its_key_in_one_line(tmp_path: Path) -> None:
    cert, _, _ = _self_signed(tmp_path)
    result = CliRunner().invoke(main, ["serve", "--tls-cert", str(cert)])
    assert result.exit_code == 2
    assert "--tls-cert and --tls-key go together" in result.output


def _count(metrics: str, name: str, labels: str) -> float:
    prefix = f"{name}{{{labels}}} "
    found = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(found[0].removeprefix(prefix)) if found else 0.0


def _verify_body() -> bytes:
    key = SigningKey.generate("ML-DSA-44")
    message = b"across workers"
    return json.dumps(
        {
            "algorithm": "ML-DSA-44",
            "public_key": "0x" + key.public_key.hex(),
            "message": "0x" + message.hex(),
            "signature": "0x" + key.sign(message).hex(),
        }
    ).encode()


@pytest.mark.integration
@pytest.mark.slow
def test_serve_with_two_workers_reports_the_total_of_both_in_metrics(
    tmp_path: Path, token_key: Path
) -> None:
    # The serve command makes its private metrics directory under TMPDIR: here, where the test
    # can see which workers wrote values (one file per process) and that it is removed.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    token = _issue(token_key, "verify")
    body = _verify_body()

    def verify(url: str) -> int:
        request = urllib.request.Request(url + "/v1/verify", data=body, method="POST")
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {"valid": True}
            return int(response.status)

    with _server(tmp_path, token_key, "--workers", "2", env_extra={"TMPDIR": str(scratch)}) as url:
        _wait_up(url)
        port = int(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + STARTUP
        while listening_sockets(port) < 2:
            assert time.monotonic() < deadline, "the second worker never listened"
            time.sleep(0.1)
        (metrics_dir,) = scratch.glob("pqoracle-metrics-*")
        # Fresh connections, 8 at a time: each worker listens on a socket of its own and the
        # kernel spreads connections over them, so both answer (all 48 on one: odds 2**-47),
        # each counting what it answered.
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _get(url + "/healthz")[0], range(40)))
            verified = list(pool.map(lambda _: verify(url), range(8)))
        assert statuses == [200] * 40
        assert verified == [200] * 8
        # One file of counters per worker that counted something.
        assert len(list(metrics_dir.glob("counter_*.db"))) == 2
        # One scrape; it counts itself only after it has answered.
        with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
            text = response.read().decode()
        requests = "pqoracle_api_requests_total"
        # The one answered request of _wait_up counts too.
        counted = _count(text, requests, 'method="GET",route="/healthz",status="200"')
        assert counted == 40 + 1
        route = 'method="POST",route="/v1/verify",status="200"'
        assert _count(text, requests, route) == 8
        assert _count(text, "pqoracle_api_verifications_total", 'result="valid"') == 8
        assert _count(text, "pqoracle_api_auth_total", 'result="accepted"') == 8
        assert _count(text, "pqoracle_api_request_seconds_count", 'route="/v1/verify"') == 8
    log = (tmp_path / "serve.log").read_text()
    assert log.count("Started server process") == 2
    assert not metrics_dir.exists()


def test_serve_refuses_zero_workers(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output


def test_a_worker_that_fails_to_start_stops_the_supervisor() -> None:
    # log_config=None: this test process's logging stays as pytest set it.
    config = uvicorn.Config("tests.api.no_such_module:app", factory=True, log_config=None)
    started = time.monotonic()
    # uvicorn's start-up failure code: the import string names no module.
    with pytest.raises(WorkerStartError, match="exited with code 3 while starting"):
        Supervisor(config, 2, "127.0.0.1", 0).run()
    assert time.monotonic() - started < STARTUP


def test_a_port_held_without_sharing_is_refused_in_one_line() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            reuse_port_socket("127.0.0.1", port)
