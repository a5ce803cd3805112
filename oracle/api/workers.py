"""Several uvicorn worker processes on one port, each listening on a socket of its own.

uvicorn's own `--workers` hands every worker one shared listening socket; a worker that wakes to
a queue of new connections accepts them all, so a burst of keep-alive connections (a proxy's
pool, a load generator) can land on one worker while the others idle, and the service then uses
one core. Here each worker binds its own socket with SO_REUSEPORT, and the kernel spreads new
connections over the workers by their addresses. Linux only: elsewhere SO_REUSEPORT does not
balance (macOS gives every connection to one socket). The kernel lets only processes of the
same user join the port.

Each worker is a fresh (spawned) process that builds the app with `create_app_from_env`, from
the environment the caller set. The supervisor restarts a worker that dies after it started,
stops them all on SIGTERM or SIGINT, and gives up when a worker fails at start-up.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from typing import TYPE_CHECKING, Final

from oracle.errors import ConfigError, OracleError

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess
    from types import FrameType

    import uvicorn

logger = logging.getLogger("uvicorn.error")

#: Import string of the factory every worker calls.
APP_FACTORY: Final = "oracle.api:create_app_from_env"
#: A worker that exits sooner than this after its start failed to start: no restart loop.
STARTUP_GRACE_S: Final = 10.0
#: Seconds the workers get to finish their requests once asked to stop.
STOP_TIMEOUT_S: Final = 30.0
#: Seconds between two looks at the workers.
POLL_S: Final = 0.2


class WorkerStartError(OracleError):
    """A worker process exited while starting (its own log lines say why)."""


def can_balance() -> bool:
    """Whether this platform spreads connections over SO_REUSEPORT sockets (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` with SO_REUSEPORT (not listening yet).

    Raises:
        ConfigError: the address cannot be bound (in use by another user's socket, or invalid).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _worker(config: uvicorn.Config, host: str, port: int) -> None:
    """One worker process: its own socket on the shared port, then uvicorn until told to stop."""
    import uvicorn

    config.configure_logging()
    server = uvicorn.Server(config)
    server.run(sockets=[reuse_port_socket(host, port)])
    if not server.started:
        sys.exit(3)


class Supervisor:
    """Starts `count` workers on `host:port` and keeps them running until a stop signal."""

    def __init__(self, config: uvicorn.Config, count: int, host: str, port: int) -> None:
        self._config = config
        self._count = count
        self._host = host
        self._port = port
        self._context = multiprocessing.get_context("spawn")
        self._stopping = False

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT; then stop every worker (killed after STOP_TIMEOUT_S).

        Raises:
            ConfigError: the address cannot be bound.
            WorkerStartError: a worker exited while starting.
        """
        # Bound (never listening) for as long as the workers run: it fixes the port when 0 was
        # asked for, and refuses at once an address another user holds.
        holder = reuse_port_socket(self._host, self._port)
        port = int(holder.getsockname()[1])
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        workers: list[tuple[SpawnProcess, float]] = []
        try:
            logger.info("Started parent process with %d workers on port %d", self._count, port)
            workers = [self._start(port) for _ in range(self._count)]
            while not self._stopping:
                time.sleep(POLL_S)
                for index, (process, started) in enumerate(workers):
                    if self._stopping or process.is_alive():
                        continue
                    if time.monotonic() - started < STARTUP_GRACE_S:
                        raise WorkerStartError(
                            f"a worker exited with code {process.exitcode} while starting"
                        )
                    logger.warning(
                        "Worker %s exited (%s); starting another", process.pid, process.exitcode
                    )
                    workers[index] = self._start(port)
        finally:
            self._stop_all([process for process, _ in workers])
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            holder.close()

    def _start(self, port: int) -> tuple[SpawnProcess, float]:
        process = self._context.Process(
            target=_worker, args=(self._config, self._host, port), daemon=False
        )
        process.start()
        return process, time.monotonic()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self, processes: list[SpawnProcess]) -> None:
        # SIGTERM, which uvicorn answers by finishing its requests; a second one does no harm
        # when the whole process group was signalled already.
        for process in processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)
        logger.info("Stopped parent process")
