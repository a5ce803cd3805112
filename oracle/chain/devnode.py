"""Local development nodes (Anvil, Ganache) on 127.0.0.1: started, funded and stopped cleanly.

For tests and benchmarks, never for production. Each node runs in its own process group on a free
port, with a freshly generated, funded key (no well-known development keys). Stopping sends
SIGTERM to the whole group, then SIGKILL after a bounded wait, so no node outlives its caller.
Every wait is bounded in time and in attempts.

    with start_anvil(anvil_binary(project_root)) as node:
        chain = node.connect()           # a Chain signing with the funded key
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from eth_account import Account

from oracle.chain.connection import Chain, connect
from oracle.errors import ChainConnectionError, ChainError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

#: Where `npm install` puts the native Anvil binary, relative to the project root
#: (node_modules/.bin/anvil is a Node wrapper that would spawn a second process to stop).
ANVIL_BINARY: Final = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
#: Where `npm install` puts Ganache's command line, relative to the project root.
GANACHE_CLI: Final = Path("node_modules/ganache/dist/node/cli.js")
#: Balance given to a node's funded key: 1,000,000 ether.
FUNDED_WEI: Final = 10**24

_START_ATTEMPTS: Final = 3
_STOP_TIMEOUT: Final = 5.0
_READY_POLL: Final = 0.05


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

    def __repr__(self) -> str:
        # The key stays out of reprs, and so out of tracebacks and test reports.
        return f"LocalNode({self.kind} at {self.rpc_url}, account={self.address})"

    def rpc(self, method: str, params: Sequence[Any] = (), *, timeout: float = 10.0) -> Any:
        """Call a JSON-RPC method (e.g. `anvil_mine`) and return its result.

        Raises:
            ChainError: the node answered with an error.
            ChainConnectionError: the node cannot be reached.
        """
        return rpc_call(self.rpc_url, method, params, timeout=timeout)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the node's output, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def connect(self, **options: Any) -> Chain:
        """A connection signing with the funded key (receipt polls every 10 ms unless told).

        Raises:
            ChainConnectionError: the node cannot be reached.
        """
        options.setdefault("poll_latency", 0.01)
        return connect(self.rpc_url, private_key=self.private_key, **options)


def rpc_call(url: str, method: str, params: Sequence[Any] = (), *, timeout: float = 10.0) -> Any:
    """One JSON-RPC call over HTTP with the standard library; return its result.

    Raises:
        ChainError: the node answered with an error.
        ChainConnectionError: the node cannot be reached or did not answer in time.
    """
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(  # noqa: S310 - the scheme is the caller's local node
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise ChainConnectionError(f"{method}: no answer from the local node ({exc})") from exc
    if "error" in answer:
        raise ChainError(f"{method} failed: {answer['error']}")
    return answer["result"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (callers retry on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def anvil_binary(project_root: Path) -> Path:
    """The native Anvil binary that `npm install` placed under `project_root`."""
    return project_root / ANVIL_BINARY


def ganache_cli(project_root: Path) -> Path:
    """Ganache's command-line script that `npm install` placed under `project_root`."""
    return project_root / GANACHE_CLI


def anvil_unavailable(binary: Path) -> str | None:
    """Why Anvil cannot run from `binary`, or None when it can."""
    if not binary.is_file() or not os.access(binary, os.X_OK):
        return f"Anvil binary missing at {binary}: run `npm install`"
    return None


def ganache_unavailable(cli: Path) -> str | None:
    """Why Ganache cannot run from `cli`, or None when it can."""
    if not cli.is_file():
        return f"Ganache missing at {cli}: run `npm install`"
    if shutil.which("node") is None:
        return "node is not on PATH"
    return None


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = _STOP_TIMEOUT) -> None:
    """SIGTERM a process's group, then SIGKILL it if it has not exited within `timeout` s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=timeout)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll eth_chainId until it answers; False if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / _READY_POLL) + 1):
        if process.poll() is not None:
            return False
        try:
            rpc_call(url, "eth_chainId", timeout=1.0)
            return True
        except ChainError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(_READY_POLL)
    return False


@contextmanager
def start_node(
    kind: str,
    command_for_port: Callable[[int], list[str]],
    fund_method: str,
    *,
    cwd: Path | None = None,
    startup_timeout: float = 20.0,
) -> Iterator[LocalNode]:
    """Run `command_for_port(port)` on a free port until it answers, fund a fresh key, yield it.

    `fund_method` is the node's set-balance RPC (`anvil_setBalance`, `evm_setAccountBalance`).
    The node's output goes to a temporary log file, deleted with the node.

    Raises:
        ChainError: the node did not start after a few ports were tried (its last log lines
            are in the message), or it refused to fund the key.
    """
    account = Account.create()
    last_log = ""
    for _ in range(_START_ATTEMPTS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the node's lifetime
            prefix=f"{kind}-", suffix=".log", delete=False
        )
        log_path = Path(log_file.name)
        try:
            process = subprocess.Popen(
                command_for_port(port),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
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
            stop_process_group(process)
            log_path.unlink(missing_ok=True)
    raise ChainError(f"{kind} did not start after {_START_ATTEMPTS} attempts:\n{last_log}")


@contextmanager
def start_anvil(
    binary: Path,
    *,
    accounts: int = 0,
    hardfork: str | None = None,
    block_time: float | None = None,
    no_mining: bool = False,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 20.0,
) -> Iterator[LocalNode]:
    """Run the native Anvil at `binary` on a free port (automine unless `block_time`/`no_mining`).

    `accounts` is the number of unlocked development accounts the node holds (none by default:
    the funded key is the way to pay).

    Raises:
        ConfigError: the binary is missing or `accounts` is negative.
        ChainError: Anvil did not start.
    """
    reason = anvil_unavailable(binary)
    if reason:
        raise ConfigError(reason)
    if accounts < 0:
        raise ConfigError(f"accounts must not be negative, got {accounts}")

    def command(port: int) -> list[str]:
        args = [str(binary), "--host", "127.0.0.1", "--port", str(port)]
        args += ["--accounts", str(accounts)]
        if hardfork:
            args += ["--hardfork", hardfork]
        if block_time is not None:
            args += ["--block-time", str(block_time)]
        if no_mining:
            args.append("--no-mining")
        return [*args, *extra_args]

    with start_node(
        "anvil", command, "anvil_setBalance", cwd=binary.parent, startup_timeout=startup_timeout
    ) as node:
        yield node


@contextmanager
def start_ganache(
    cli: Path,
    *,
    accounts: int = 0,
    hardfork: str = "shanghai",
    extra_args: Sequence[str] = (),
    startup_timeout: float = 60.0,
) -> Iterator[LocalNode]:
    """Run Ganache 7 (Shanghai at most) from `cli` on a free port, mining each transaction at once.

    Raises:
        ConfigError: Ganache or node is missing, or `accounts` is negative.
        ChainError: Ganache did not start.
    """
    reason = ganache_unavailable(cli)
    if reason:
        raise ConfigError(reason)
    if accounts < 0:
        raise ConfigError(f"accounts must not be negative, got {accounts}")

    def command(port: int) -> list[str]:
        return [
            "node",
            str(cli),
            "--chain.hardfork",
            hardfork,
            "--server.host",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--wallet.totalAccounts",
            str(accounts),
            "--logging.quiet",
            *extra_args,
        ]

    with start_node(
        "ganache",
        command,
        "evm_setAccountBalance",
        cwd=cli.parent,
        startup_timeout=startup_timeout,
    ) as node:
        yield node
