"""Connecting: the embedded chain, RPC URLs, keys, and the failures a caller must understand."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr

from oracle.chain import (
    Chain,
    connect,
    create_funded_account,
    deploy_verifier,
    display_endpoint,
    fund,
    mine_blocks,
)
from oracle.chain.connection import _session_for
from oracle.errors import (
    ChainConnectionError,
    ConfigError,
    InputError,
    ReadOnlyChainError,
)
from tests.chains import free_port
from tests.imports import EMBEDDED_CHAIN, modules_after


def test_the_embedded_chain_signs_with_eth_testers_first_funded_account() -> None:
    chain = connect()
    assert chain.is_embedded
    assert chain.where == "the embedded chain"
    assert chain.address == chain.w3.eth.accounts[0]
    assert chain.balance(chain.address) > 10**18
    assert chain.chain_id == chain.w3.eth.chain_id


def test_each_embedded_connection_is_a_separate_chain() -> None:
    first, second = connect(), connect()
    fund(first, Account.create().address, 1)
    assert first.block_number() == 1
    assert second.block_number() == 0


def test_the_embedded_chain_uses_a_given_key_as_secret_or_text() -> None:
    account = Account.create()
    hex_key = "0x" + bytes(account.key).hex()
    assert connect(private_key=hex_key).address == account.address
    assert connect(private_key=SecretStr(hex_key)).address == account.address


@pytest.mark.parametrize("bad_key", ["0x1234", "not hex at all", "0x" + "00" * 32, "ff" * 33])
def test_a_malformed_key_is_a_config_error_that_never_echoes_it(bad_key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        connect(private_key=bad_key)
    assert bad_key not in str(caught.value)
    assert caught.value.__cause__ is None
    # Not even as the hidden context: a traceback printer that shows it could print the key.
    assert caught.value.__context__ is None


def test_the_repr_of_a_chain_shows_the_address_and_never_the_key() -> None:
    account = Account.create()
    chain = connect(private_key="0x" + bytes(account.key).hex())
    text = repr(chain)
    assert account.address in text
    assert bytes(account.key).hex() not in text


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8545", "127.0.0.1:8545", "ipc:///tmp/x"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ConfigError, match="use http:// or https://"):
        connect(url)


@pytest.mark.parametrize("option", ["poll_latency", "request_timeout", "receipt_timeout"])
def test_timeouts_must_be_positive(option: str) -> None:
    with pytest.raises(ConfigError, match="must be positive"):
        connect(**{option: 0})  # type: ignore[arg-type]


def test_an_unreachable_node_fails_fast_without_revealing_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()  # nothing listens there
    url = f"http://user:hunter2@127.0.0.1:{port}/v3/APIKEY123?token=TOKEN456"
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG), pytest.raises(ChainConnectionError) as caught:
        connect(url, request_timeout=2)
    assert time.monotonic() - started < 10
    assert "Making request HTTP" in caplog.text  # web3's debug lines were written, redacted
    for secret in ("hunter2", "APIKEY123", "TOKEN456"):
        assert secret not in caplog.text
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}" in message
    assert "connection refused" in message
    for secret in ("hunter2", "APIKEY123", "TOKEN456", "user:"):
        assert secret not in message
    assert caught.value.__cause__ is None
    assert isinstance(caught.value, ConnectionError)


class _ChainIdNode(BaseHTTPRequestHandler):
    """A JSON-RPC node that knows one answer: chain id 1337."""

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x539"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def chain_id_node() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChainIdNode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


_CONNECT = """
from oracle.chain import connect
chain = connect(sys.argv[1] if len(sys.argv) > 1 else None)
assert chain.is_embedded or chain.chain_id == 1337
"""


def test_connecting_to_a_node_imports_neither_eth_tester_nor_py_evm(chain_id_node: str) -> None:
    modules = modules_after(_CONNECT, chain_id_node)
    assert "web3" in modules
    assert not modules & EMBEDDED_CHAIN


def test_starting_the_embedded_chain_imports_eth_tester_and_py_evm() -> None:
    assert modules_after(_CONNECT) >= EMBEDDED_CHAIN


def test_display_endpoint_keeps_only_scheme_host_and_port() -> None:
    assert display_endpoint("https://u:p@rpc.example.org/v3/key?x=1") == "https://rpc.example.org"
    assert display_endpoint("http://127.0.0.1:8545/") == "http://127.0.0.1:8545"


def test_a_connection_without_a_key_reads_but_refuses_to_send(embedded_chain: Chain) -> None:
    verifier = deploy_verifier(embedded_chain, oracles=[embedded_chain.address])
    reader = dataclasses.replace(embedded_chain, account=None)
    read_only = verifier.using(reader)
    assert read_only.type_and_version() == "SignatureVerifier 2.1.0"
    assert repr(reader).endswith("account=read-only)")
    with pytest.raises(ReadOnlyChainError, match="has no private key"):
        read_only.register_key(1, bytes(1312))
    with pytest.raises(ReadOnlyChainError):
        _ = reader.address


def test_create_funded_account_sends_the_amount_from_the_connection_account(
    embedded_chain: Chain,
) -> None:
    before = embedded_chain.balance(embedded_chain.address)
    account = create_funded_account(embedded_chain, wei=5 * 10**18)
    assert embedded_chain.balance(account.address) == 5 * 10**18
    assert embedded_chain.balance(embedded_chain.address) < before - 5 * 10**18  # plus gas
    other = embedded_chain.with_account(account)
    assert other.address == account.address
    assert other.nonces is not embedded_chain.nonces
    fund(other, embedded_chain.address, 10**18)
    assert embedded_chain.balance(account.address) < 4 * 10**18


def test_fund_and_balance_check_their_arguments(embedded_chain: Chain) -> None:
    with pytest.raises(InputError, match="non-negative"):
        fund(embedded_chain, embedded_chain.address, -1)
    with pytest.raises(InputError, match="not an address"):
        fund(embedded_chain, "0x1234", 1)
    with pytest.raises(InputError, match="not an address"):
        embedded_chain.balance("bob")


def test_mine_blocks_advances_the_head(embedded_chain: Chain) -> None:
    assert mine_blocks(embedded_chain, 3) == 3
    assert embedded_chain.block_number() == 3
    for bad in (0, 1001, True):
        with pytest.raises(InputError):
            mine_blocks(embedded_chain, bad)


def test_the_node_session_takes_proxies_ca_bundle_and_netrc_from_the_environment_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine node.example login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    session = _session_for("http://node.example:8545/key")
    assert session.proxies == {"http": "http://proxy.example:3128"}
    assert session.verify == str(tmp_path / "ca.pem")
    assert session.auth == ("alice", "s3cret")
    # Read once: the session no longer consults the environment on each request.
    assert session.trust_env is False
    monkeypatch.setenv("NO_PROXY", "node.example")
    assert _session_for("http://node.example:8545/key").proxies == {}
