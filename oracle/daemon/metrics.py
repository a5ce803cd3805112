"""The daemon's Prometheus metrics (a registry of its own) and its `/metrics` + `/healthz` server.

The daemon calls a handful of hooks from where things happen (a verdict stored, a vote
broadcast, a reorg followed, a node failure caught) and hands each completed cycle's report here,
which sets the gauges. The server runs in a thread beside the loop; it reads only what the last
completed cycle left, so a scrape never talks to the node or the store.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from web3.exceptions import Web3RPCError

from oracle.errors import (
    ConfigError,
    NodeRequestError,
    NonceConflictError,
    TransactionRejectedError,
)
from oracle.store import RequestState

if TYPE_CHECKING:
    from collections.abc import Mapping
    from wsgiref.types import StartResponse, WSGIEnvironment

    from oracle.daemon.service import CycleReport

__all__ = ["RPC_ERROR_KINDS", "DaemonMetrics", "Health", "MetricsServer", "error_kind"]

logger = logging.getLogger(__name__)

#: Values of the `kind` label of `pqoracle_daemon_rpc_errors_total` (see `error_kind`).
RPC_ERROR_KINDS: Final = (
    "connection",
    "timeout",
    "rpc_error",
    "result_cap",
    "nonce_conflict",
    "tx_rejected",
    "chain",
)
#: States of `pqoracle_daemon_pending_transactions`: recorded and never handed to a node,
#: handed to a node and not in a block, in a block not yet `confirmations` deep.
TRANSACTION_STATES: Final = ("signed", "sent", "mined")
#: Chain seconds from a request's block to the block holding this oracle's vote on it.
LATENCY_BUCKETS: Final = (1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


def error_kind(err: BaseException) -> str:
    """The `kind` label for a node failure (one of `RPC_ERROR_KINDS`)."""
    if isinstance(err, NonceConflictError):
        return "nonce_conflict"
    if isinstance(err, TransactionRejectedError):
        return "tx_rejected"
    if isinstance(err, NodeRequestError):
        return "result_cap" if err.result_cap else "rpc_error"
    if isinstance(err, Web3RPCError):
        return "rpc_error"
    if isinstance(err, TimeoutError):
        return "timeout"
    if isinstance(err, ConnectionError):
        return "connection"
    return "chain"


@dataclass(frozen=True, slots=True)
class Health:
    """What `/healthz` answers: healthy or not, why, and the numbers behind it."""

    healthy: bool
    #: "ok", "starting" (no cycle completed yet), "behind" or "stalled".
    status: str
    head: int | None = None
    ingested: int | None = None
    #: Blocks behind the confirmed head (the head minus `confirmations`).
    lag_blocks: int | None = None
    seconds_since_cycle: float | None = None

    def to_json(self) -> dict[str, object]:
        """The answer's JSON body."""
        return {
            "status": self.status,
            "head": self.head,
            "ingested": self.ingested,
            "lag_blocks": self.lag_blocks,
            "seconds_since_cycle": (
                None if self.seconds_since_cycle is None else round(self.seconds_since_cycle, 3)
            ),
        }


@dataclass(frozen=True, slots=True)
class _LastCycle:
    at: float
    head: int
    ingested: int
    confirmations: int


class DaemonMetrics:
    """The daemon's counters, gauges and latency histogram, `pqoracle_daemon_*`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests_seen = Counter(
            "pqoracle_daemon_requests_seen",
            "Verification requests read from confirmed logs for the first time.",
            registry=registry,
        )
        self.verdicts = Counter(
            "pqoracle_daemon_verdicts",
            "ML-DSA verdicts this oracle computed and stored, by result (valid, invalid).",
            ["result"],
            registry=registry,
        )
        self.latency = Histogram(
            "pqoracle_daemon_request_to_vote_seconds",
            "Chain seconds from the block of a request's log to the block that mined this "
            "oracle's counted vote on it (block timestamps at both ends).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.queue = Gauge(
            "pqoracle_daemon_queue_requests",
            "Requests in the store by pipeline state, after the last completed cycle.",
            ["state"],
            registry=registry,
        )
        self.pending_transactions = Gauge(
            "pqoracle_daemon_pending_transactions",
            "Vote transactions the chain may still change, by state (signed: never handed to "
            "a node; sent: not in a block; mined: not yet `confirmations` deep).",
            ["state"],
            registry=registry,
        )
        self.rpc_errors = Counter(
            "pqoracle_daemon_rpc_errors",
            "Node failures the daemon caught and recovered from, by kind.",
            ["kind"],
            registry=registry,
        )
        self.head_block = Gauge(
            "pqoracle_daemon_head_block",
            "The node's head at the last completed cycle.",
            registry=registry,
        )
        self.ingested_block = Gauge(
            "pqoracle_daemon_ingested_block",
            "The last block whose logs the daemon has read into its store.",
            registry=registry,
        )
        self.head_lag = Gauge(
            "pqoracle_daemon_head_lag_blocks",
            "The node's head minus the last block ingested (at least `confirmations` by design).",
            registry=registry,
        )
        self.confirmations = Gauge(
            "pqoracle_daemon_confirmations",
            "Blocks the daemon stays behind the head before it trusts a log (its setting).",
            registry=registry,
        )
        self.votes_sent = Counter(
            "pqoracle_daemon_votes_sent",
            "Votes broadcast for the first time, in vote transactions.",
            registry=registry,
        )
        self.disagreements = Counter(
            "pqoracle_daemon_disagreements",
            "Requests whose final verdict differs from this oracle's (verdict_disagreement "
            "security events).",
            registry=registry,
        )
        self.reorgs = Counter(
            "pqoracle_daemon_reorgs",
            "Reorgs deeper than `confirmations` the daemon rewound its store for.",
            registry=registry,
        )
        self.replacements = Counter(
            "pqoracle_daemon_replacements",
            "Vote transactions replaced with the same nonce and higher fees after staying "
            "unmined for `replace_after_blocks` blocks.",
            registry=registry,
        )
        self.fee_cap_reached = Counter(
            "pqoracle_daemon_fee_cap_reached",
            "Stuck vote transactions left waiting because a fee bump would pass "
            "`max_fee_per_gas_cap` (fee_cap_reached security events).",
            registry=registry,
        )
        self.posts_sent = Counter(
            "pqoracle_daemon_posts_sent",
            "Verdicts posted (optimistic mode), broadcast for the first time.",
            registry=registry,
        )
        self.posts_skipped = Counter(
            "pqoracle_daemon_posts_skipped",
            "Requests another oracle posted on first (optimistic mode: the first post wins).",
            registry=registry,
        )
        self.finalizations_sent = Counter(
            "pqoracle_daemon_finalizations_sent",
            "`finalize` transactions for this oracle's posts whose window was over.",
            registry=registry,
        )
        self.bond_deposits = Counter(
            "pqoracle_daemon_bond_deposits",
            "Bond deposits the daemon made to keep posting (`bond_deposit_posts`).",
            registry=registry,
        )
        self.challenges_sent = Counter(
            "pqoracle_daemon_challenges_sent",
            "Challenges of posted verdicts the watcher computed wrong, broadcast.",
            registry=registry,
        )
        self.challenges_won = Counter(
            "pqoracle_daemon_challenges_won",
            "Challenges that overturned the posted verdict (read from confirmed receipts).",
            registry=registry,
        )
        self.challenges_lost = Counter(
            "pqoracle_daemon_challenges_lost",
            "Challenges the on-chain verifier did not uphold: the posted verdict stood.",
            registry=registry,
        )
        self.challenge_rewards = Counter(
            "pqoracle_daemon_challenge_rewards_wei",
            "Wei of posters' bonds credited to the watcher by won challenges (withdraw them "
            "with `pqoracle withdraw`).",
            registry=registry,
        )
        self.cycles = Counter(
            "pqoracle_daemon_cycles",
            "Polling cycles completed.",
            registry=registry,
        )
        self.last_cycle = Gauge(
            "pqoracle_daemon_last_cycle_timestamp_seconds",
            "Unix time the last cycle completed.",
            registry=registry,
        )
        self.lead = Gauge(
            "pqoracle_daemon_lead",
            "1 while this replica holds its operator's lock (follows the chain and signs); 0 "
            "while another replica on the store does and this one only verifies.",
            registry=registry,
        )
        # Every labelled series exists from the start at 0, so that rates and `unless`
        # clauses in alert rules see a value before the first event.
        for result in ("valid", "invalid"):
            self.verdicts.labels(result=result)
        for kind in RPC_ERROR_KINDS:
            self.rpc_errors.labels(kind=kind)
        for state in RequestState:
            self.queue.labels(state=state.value)
        for label in TRANSACTION_STATES:
            self.pending_transactions.labels(state=label)
        self._last: _LastCycle | None = None

    # --- hooks ----------------------------------------------------------------------------------

    def verdict(self, valid: bool) -> None:
        """A verdict was stored."""
        self.verdicts.labels(result="valid" if valid else "invalid").inc()

    def rpc_error(self, err: BaseException) -> None:
        """A node failure was caught (the daemon retries)."""
        self.rpc_errors.labels(kind=error_kind(err)).inc()

    def observe_cycle(
        self,
        report: CycleReport,
        counts: Mapping[RequestState, int],
        unsettled: Mapping[str, int],
        confirmations: int,
    ) -> None:
        """Set the gauges from a completed cycle: chain position, queue, open transactions
        (`unsettled`: their count by state, see `Store.unsettled_counts`)."""
        self.head_block.set(report.head)
        self.ingested_block.set(report.ingested_to)
        self.head_lag.set(max(report.head - report.ingested_to, 0))
        self.confirmations.set(confirmations)
        for state, count in counts.items():
            self.queue.labels(state=state.value).set(count)
        for label in TRANSACTION_STATES:
            self.pending_transactions.labels(state=label).set(unsettled.get(label, 0))
        self.cycles.inc()
        self.last_cycle.set(time.time())
        self._last = _LastCycle(time.monotonic(), report.head, report.ingested_to, confirmations)

    # --- health ---------------------------------------------------------------------------------

    def health(self, *, max_lag_blocks: int, max_cycle_age: float) -> Health:
        """Healthy when the last cycle completed within `max_cycle_age` seconds and left the
        daemon at most `max_lag_blocks` behind the confirmed head."""
        last = self._last
        if last is None:
            return Health(False, "starting")
        age = time.monotonic() - last.at
        lag = max(last.head - last.confirmations - last.ingested, 0)
        status = "ok"
        if lag > max_lag_blocks:
            status = "behind"
        elif age > max_cycle_age:
            status = "stalled"
        return Health(status == "ok", status, last.head, last.ingested, lag, age)


class _QuietHandler(WSGIRequestHandler):
    """Scrapes every few seconds are not worth a stderr line each."""

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("metrics request: " + format, *args)


class MetricsServer:
    """`/metrics` (the daemon's registry) and `/healthz` on a threaded HTTP server."""

    def __init__(
        self,
        metrics: DaemonMetrics,
        host: str,
        port: int,
        *,
        max_lag_blocks: int,
        max_cycle_age: float,
    ) -> None:
        """Bind to `host`:`port` (0 picks a free port) and serve from a background thread.

        Raises:
            ConfigError: the address cannot be bound (in use, or not this machine's).
        """
        self.metrics = metrics
        self.max_lag_blocks = max_lag_blocks
        self.max_cycle_age = max_cycle_age
        self._exposition = make_wsgi_app(metrics.registry)
        try:
            self._server = make_server(
                host, port, self._app, ThreadingWSGIServer, handler_class=_QuietHandler
            )
        except OSError as err:
            raise ConfigError(
                f"cannot serve daemon metrics on {host}:{port}: {err.strerror or err}"
            ) from err
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="daemon-metrics", daemon=True
        )
        self._thread.start()
        logger.info("metrics listening", extra={"host": host, "port": self.port})

    def close(self) -> None:
        """Stop serving and release the port (waits at most a few seconds for the thread)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return list(self._exposition(environ, start_response))
        if path == "/healthz":
            health = self.metrics.health(
                max_lag_blocks=self.max_lag_blocks, max_cycle_age=self.max_cycle_age
            )
            body = json.dumps(health.to_json()).encode()
            status = "200 OK" if health.healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found: /metrics and /healthz are served here\n"]
