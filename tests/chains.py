"""Local chain processes for tests: Anvil and Ganache on 127.0.0.1, started and stopped cleanly.

Each node runs in its own process group on a free port, with a freshly generated, funded key (no
well-known development keys). Stopping sends SIGTERM to the whole group, then SIGKILL after a
bounded wait, so no node outlives its test. Every wait is bounded in time and in attempts.

    with run_anvil() as node:            # or run_ganache()
        chain = node.connect()           # oracle.chain.Chain signing with the funded key

The `anvil` and `ganache` fixtures in tests/conftest.py wrap these for one test each.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from oracle.chain import (
    Chain,
    Role,
    Verifier,
    connect,
    create_funded_account,
    deploy_verifier,
)
from oracle.errors import ContractRevertError

ROOT = Path(__file__).resolve().parent.parent
#: The native Anvil binary (node_modules/.bin/anvil is a Node wrapper that would spawn a second
#: process; starting the binary directly keeps one process to stop).
ANVIL_BINARY = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
GANACHE_CLI = ROOT / "node_modules" / "ganache" / "dist" / "node" / "cli.js"
#: Balance given to the node's funded test key: 1,000,000 ether.
FUNDED_WEI = 10**24

_START_ATTEMPTS = 3
_STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class LocalNode:
    """A running local node and a funded key on it."""

    kind: str
    rpc_url: str
    #: Hex private key of an account funded with `FUNDED_WEI` (generated for this node only).
    private_key: str
    address: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def rpc(self, method: str, params: Sequence[Any] = (), *, timeout: float = 10.0) -> Any:
        """Call a JSON-RPC method (e.g. `anvil_mine`) and return its result; raise on an error."""
        return rpc_call(self.rpc_url, method, params, timeout=timeout)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the node's output, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def connect(self, **options: Any) -> Chain:
        """An `oracle.chain` connection signing with the funded key (receipt polls every 10 ms)."""
        options.setdefault("poll_latency", 0.01)
        return connect(self.rpc_url, private_key=self.private_key, **options)


def rpc_call(url: str, method: str, params: Sequence[Any] = (), *, timeout: float = 10.0) -> Any:
    """One JSON-RPC call over HTTP with the standard library; raises RuntimeError on an error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method} failed: {answer['error']}")
    return answer["result"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def anvil_unavailable() -> str | None:
    """Why Anvil cannot run here, or None when it can."""
    if not ANVIL_BINARY.is_file() or not os.access(ANVIL_BINARY, os.X_OK):
        return f"Anvil binary missing at {ANVIL_BINARY.relative_to(ROOT)}: run `npm install`"
    return None


def ganache_unavailable() -> str | None:
    """Why Ganache cannot run here, or None when it can."""
    if not GANACHE_CLI.is_file():
        return f"Ganache missing at {GANACHE_CLI.relative_to(ROOT)}: run `npm install`"
    if not _which("node"):
        return "node is not on PATH"
    return None


def _which(program: str) -> str | None:
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(directory) / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the node's process group, then SIGKILL it if it has not exited in time."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=_STOP_TIMEOUT)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll eth_chainId until it answers; False if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.05) + 1):
        if process.poll() is not None:
            return False
        try:
            rpc_call(url, "eth_chainId", timeout=1.0)
            return True
        except (OSError, urllib.error.URLError, ValueError, RuntimeError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return False


@contextmanager
def _run(
    kind: str,
    command_for_port: Callable[[int], list[str]],
    fund_method: str,
    startup_timeout: float,
) -> Iterator[LocalNode]:
    account = Account.create()
    last_log = ""
    for _ in range(_START_ATTEMPTS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the node's lifetime
            prefix=f"{kind}-", suffix=".log", delete=False
        )
        log_path = Path(log_file.name)
        process = subprocess.Popen(
            command_for_port(port),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()
        node = LocalNode(
            kind=kind,
            rpc_url=url,
            private_key="0x" + bytes(account.key).hex(),
            address=account.address,
            process=process,
            log_path=log_path,
        )
        try:
            if not _wait_ready(url, process, startup_timeout):
                last_log = node.log_tail()
                continue  # most likely the port was taken in between: try another
            node.rpc(fund_method, [account.address, hex(FUNDED_WEI)])
            yield node
            return
        finally:
            _stop(process)
            log_path.unlink(missing_ok=True)
    raise RuntimeError(f"{kind} did not start after {_START_ATTEMPTS} attempts:\n{last_log}")


@contextmanager
def run_anvil(
    *,
    hardfork: str | None = None,
    block_time: float | None = None,
    no_mining: bool = False,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 20.0,
) -> Iterator[LocalNode]:
    """Run the native Anvil on a free port (automine unless `block_time` or `no_mining`)."""
    reason = anvil_unavailable()
    if reason:
        raise RuntimeError(reason)

    def command(port: int) -> list[str]:
        args = [str(ANVIL_BINARY), "--host", "127.0.0.1", "--port", str(port), "--accounts", "0"]
        if hardfork:
            args += ["--hardfork", hardfork]
        if block_time is not None:
            args += ["--block-time", str(block_time)]
        if no_mining:
            args.append("--no-mining")
        return [*args, *extra_args]

    with _run("anvil", command, "anvil_setBalance", startup_timeout) as node:
        yield node


@contextmanager
def run_ganache(
    *, hardfork: str = "shanghai", extra_args: Sequence[str] = (), startup_timeout: float = 60.0
) -> Iterator[LocalNode]:
    """Run Ganache 7 (Shanghai at most) on a free port, mining each transaction at once."""
    reason = ganache_unavailable()
    if reason:
        raise RuntimeError(reason)

    def command(port: int) -> list[str]:
        return [
            "node",
            str(GANACHE_CLI),
            "--chain.hardfork",
            hardfork,
            "--server.host",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--wallet.totalAccounts",
            "0",
            "--logging.quiet",
            *extra_args,
        ]

    with _run("ganache", command, "evm_setAccountBalance", startup_timeout) as node:
        yield node


@dataclass(frozen=True)
class Deployment:
    """A fresh SignatureVerifier and one handle per actor, each signing as that actor."""

    chain: Chain
    #: Deployer and DEFAULT_ADMIN holder.
    admin: Verifier
    #: Holds ORACLE_ROLE.
    oracle: Verifier
    #: Holds PAUSER_ROLE.
    pauser: Verifier
    #: Holds no role.
    outsider: Verifier


def deploy_with_roles(chain: Chain, *, admin_delay: int = 0) -> Deployment:
    """Deploy a verifier (admin: `chain`'s account) and fund an oracle, a pauser, an outsider."""
    admin = deploy_verifier(chain, admin_delay=admin_delay)
    oracle, pauser, outsider = (
        admin.using(chain.with_account(create_funded_account(chain))) for _ in range(3)
    )
    admin.grant_role(Role.ORACLE, oracle.chain.address)
    admin.grant_role(Role.PAUSER, pauser.chain.address)
    return Deployment(chain, admin, oracle, pauser, outsider)


@contextmanager
def reverts(
    error_name: str, **error_args: object
) -> Iterator[pytest.ExceptionInfo[ContractRevertError]]:
    """Expect a `ContractRevertError` naming `error_name` with exactly `error_args`."""
    with pytest.raises(ContractRevertError) as caught:
        yield caught
    error = caught.value
    assert error.error_name == error_name, str(error)
    assert error.error_args == error_args, str(error)
