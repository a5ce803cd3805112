"""The oracle end to end on Anvil: requests opened by a load generator in its own process, the
daemon (`pqoracle run`, its own process) verifying and voting, and the verdicts as the chain
finalises them; next to Anvil's own ceiling measured in the same run.

    python benchmarks/e2e.py [--json] [--out FILE] [--requests N] [--flood-runs K]
                             [--latency-requests N] [--rate R] [--block-time S]
                             [--skip-flood] [--skip-latency] [--replicas N] [--postgres]

Two runs, each on a fresh Anvil and a fresh verifier (one oracle, threshold 1):

- **flood**: Anvil mines every transaction at once (automine) and the generator sends `--requests`
  pre-signed `requestVerification` transactions as fast as Anvil takes them. Reports requests
  opened/s, verdicts/s (requests finalised per second over the same span), their ratio (goal
  >= 0.95), and Anvil's ceiling: plain pre-signed transfers/s from one client, measured first.
  One run's ratio moves with the moment the last request lands in the daemon's cycle:
  `--flood-runs K` repeats the run K times and reports the median.
- **latency**: one block a second (`--block-time`), `--rate` requests a second. Reports the p95
  request-to-verdict latency against its goal, 2 blocks + 1 s.

With `--replicas N` the daemon is N `pqoracle run` processes of one operator on one store, which
must then be PostgreSQL: `--postgres` runs the store on a private cluster (tests/postgres.py:
`initdb` + `pg_ctl` on 127.0.0.1, fsync off), a fresh database per run.

Both report p50/p95/p99 latency (from the generator's send to the moment the node pushes the
verdict's `VerificationFinalized` log over a `logs` subscription), the daemon's CPU milliseconds
per verdict (its process's user + system time over the run; goal <= 3 ms) and Anvil's, JSON-RPC
calls per verdict (counted by a proxy between the daemon and Anvil, by method) and gas per
verdict (from the daemon's store).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

# This checkout's package and artifacts, not whichever `oracle` is installed elsewhere.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from eth_utils.abi import event_abi_to_log_topic  # noqa: E402
from web3.exceptions import TransactionNotFound  # noqa: E402

from oracle.chain import (  # noqa: E402
    Chain,
    VerificationFinalized,
    create_funded_account,
    deploy_verifier,
)
from oracle.chain.devnode import anvil_binary, start_anvil  # noqa: E402
from oracle.chain.encoding import request_id  # noqa: E402
from oracle.crypto import SigningKey  # noqa: E402
from oracle.store import Store  # noqa: E402

ALGORITHM = "ML-DSA-44"
CONTEXT = b"e2e"
#: Gas each pre-signed request is given (a 32-byte ML-DSA-44 request uses ~122k).
REQUEST_GAS = 400_000
CPU_GOAL_MS = 3.0
RATIO_GOAL = 0.95
#: Longest any run may wait for its last verdict, in seconds.
DEADLINE = 300.0
TICKS = os.sysconf("SC_CLK_TCK")
#: Where `CountingProxy` counts HTTP requests (a JSON-RPC batch is one, carrying many calls).
HTTP_REQUESTS = "(http requests)"


# --- a JSON-RPC proxy that counts the daemon's calls ---------------------------------------------


class CountingProxy:
    """Forwards JSON-RPC over HTTP to `upstream` and counts calls by method (batches too).

    While `down` is set the node is gone for the proxy's clients: every call, on a new connection
    or a kept-alive one, has its connection closed unanswered (benchmarks/chaos.py's outage).
    """

    def __init__(self, upstream: str) -> None:
        self.calls: Counter[str] = Counter()
        self.down = threading.Event()
        self._lock = threading.Lock()
        target = urlsplit(upstream)
        host, port = target.hostname or "127.0.0.1", target.port or 80
        local = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                return

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in two writes: without this, Nagle's algorithm and
                # the client's delayed ACK hold every answer ~40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                if proxy.down.is_set():
                    self.close_connection = True
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                proxy.count(body)
                connection = getattr(local, "connection", None)
                if connection is None:
                    connection = local.connection = http.client.HTTPConnection(
                        host, port, timeout=30
                    )
                try:
                    connection.request("POST", "/", body, {"Content-Type": "application/json"})
                    answer = connection.getresponse()
                    data = answer.read()
                except OSError:
                    local.connection = None
                    self.send_error(502)
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def count(self, body: bytes) -> None:
        try:
            parsed = json.loads(body)
        except ValueError:
            return
        items = parsed if isinstance(parsed, list) else [parsed]
        with self._lock:
            # HTTP requests, under a name no JSON-RPC method has: a batch is one of them.
            self.calls[HTTP_REQUESTS] += 1
            for item in items:
                if isinstance(item, dict):
                    self.calls[str(item.get("method"))] += 1

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.calls)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- the load generator (its own process) --------------------------------------------------------


def signed_requests(spec: dict[str, Any], w3: Any) -> tuple[list[bytes], list[bytes]]:
    """`spec["count"]` pre-signed `requestVerification` transactions from the spec's requester
    (nonces from 0; every fifth one must come out invalid) and their request ids."""
    from oracle.chain import Verifier, connect

    account = Account.from_key(spec["requester_key"])
    signer = SigningKey.from_pem(Path(spec["signing_key_file"]).read_bytes())
    verifier = Verifier(connect(spec["rpc_url"]), spec["verifier"])
    gas_price = int(w3.eth.gas_price * 2)
    raws: list[bytes] = []
    ids: list[bytes] = []
    for nonce in range(spec["count"]):
        message = nonce.to_bytes(32, "big")
        signature = signer.sign(message, CONTEXT)
        if nonce % 5 == 4:
            message = message[:-1] + b"\xff"  # every fifth request must come out invalid
        data = verifier.encode(
            "requestVerification",
            bytes.fromhex(spec["key_id"][2:]),
            message,
            CONTEXT,
            signature,
            0,
            0,
        )
        tx = {
            "to": spec["verifier"],
            "data": data,
            "gas": REQUEST_GAS,
            "gasPrice": gas_price,
            "nonce": nonce,
            "chainId": spec["chain_id"],
            "value": 0,
        }
        raws.append(bytes(account.sign_transaction(tx).raw_transaction))
        ids.append(request_id(spec["chain_id"], spec["verifier"], account.address, nonce))
    return raws, ids


def generate(args: argparse.Namespace) -> None:
    """Open `args.count` requests from `args.key_file`'s account and write, one JSON line each,
    the request id and the moment its transaction was handed to the node."""
    from web3 import Web3

    spec = json.loads(Path(args.spec).read_text())
    w3 = Web3(Web3.HTTPProvider(spec["rpc_url"], request_kwargs={"timeout": 30}))
    raws, ids = signed_requests(spec, w3)
    rate = float(spec["rate"])
    started = time.time()
    with Path(spec["out"]).open("w") as out:
        for index, (raw, rid) in enumerate(zip(raws, ids, strict=True)):
            if rate > 0:
                pause = started + index / rate - time.time()
                if pause > 0:
                    time.sleep(pause)
            sent = time.time()
            w3.eth.send_raw_transaction(raw)
            out.write(json.dumps({"id": "0x" + rid.hex(), "sent": sent}) + "\n")
            out.flush()
    last = Web3.keccak(raws[-1])
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            receipt = w3.eth.get_transaction_receipt(last)
        except Exception:
            receipt = None
        if receipt is not None:
            break
        time.sleep(0.01)
    Path(spec["out"] + ".done").write_text(json.dumps({"first": started, "mined": time.time()}))


# --- measurements --------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def plain_transfers_per_second(chain: Chain, count: int) -> float:
    """Anvil's ceiling: `count` pre-signed plain transfers from one fresh account, sent raw."""
    sender = create_funded_account(chain)
    gas_price = int(chain.w3.eth.gas_price * 2)
    raws = [
        bytes(
            sender.sign_transaction(
                {
                    "to": sender.address,
                    "value": 0,
                    "gas": 21_000,
                    "gasPrice": gas_price,
                    "nonce": nonce,
                    "chainId": chain.chain_id,
                }
            ).raw_transaction
        )
        for nonce in range(count)
    ]
    started = time.perf_counter()
    for raw in raws:
        chain.w3.eth.send_raw_transaction(raw)
    last = chain.w3.keccak(raws[-1])
    while True:
        try:
            chain.w3.eth.get_transaction_receipt(last)
            break
        except Exception:
            time.sleep(0.001)
    return count / (time.perf_counter() - started)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Run:
    """One run's figures."""

    mode: str
    requests: int
    block_time: float | None
    rate: float
    requests_per_s: float = 0.0
    verdicts_per_s: float = 0.0
    verdicts_over_requests: float = 0.0
    #: Seconds from the last request mined to the last verdict seen: what keeps a short flood's
    #: ratio under 1 when the daemon keeps pace (the verdicts' span is the requests' plus this).
    tail_s: float = 0.0
    latency_p50_s: float = 0.0
    latency_p95_s: float = 0.0
    latency_p99_s: float = 0.0
    daemon_cpu_ms_per_verdict: float = 0.0
    #: Anvil's own CPU over the same span: what the chain side costs on this machine.
    anvil_cpu_ms_per_verdict: float = 0.0
    rpc_calls_per_verdict: float = 0.0
    #: HTTP requests carrying those calls (JSON-RPC batches carry many).
    rpc_http_requests_per_verdict: float = 0.0
    rpc_calls_by_method: dict[str, float] = field(default_factory=dict)
    gas_per_verdict: float = 0.0
    anvil_plain_tx_per_s: float | None = None
    requests_over_anvil_ceiling: float | None = None
    goals: dict[str, Any] = field(default_factory=dict)
    verdicts: int = 0
    replicas: int = 1
    store: str = "sqlite"


def _receipt(chain: Chain) -> Any:
    """A function giving a recorded transaction's receipt, or None for one never mined."""

    def receipt(submission: Any) -> Any:
        try:
            return chain.w3.eth.get_transaction_receipt(submission.tx_hash)
        except TransactionNotFound:
            return None

    return receipt


def daemon_environment(settings: dict[str, str]) -> dict[str, str]:
    """The environment of a daemon process this benchmark starts: this checkout first on the
    import path, and `settings` (PQORACLE_*). Start the process with `cwd=ROOT` too: `python -m`
    puts the working directory first on the path, so a benchmark started from another
    checkout's directory would otherwise measure that checkout's daemon."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **settings}


@contextmanager
def _daemons(
    rpc_url: str, verifier: str, key_file: Path, store_url: str, log: Path, replicas: int
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`replicas` daemon processes of one operator on one store."""
    with ExitStack() as stack:
        processes = [
            stack.enter_context(_daemon(rpc_url, verifier, key_file, store_url, log))
            for _ in range(replicas)
        ]
        yield processes


@contextmanager
def _daemon(
    rpc_url: str, verifier: str, key_file: Path, store_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = daemon_environment({"PQORACLE_POLL_INTERVAL": "0.05"})
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oracle.cli",
                "run",
                "--rpc-url",
                rpc_url,
                "--verifier",
                verifier,
                "--private-key-file",
                str(key_file),
                "--database-url",
                store_url,
            ],
            env=env,
            cwd=ROOT,  # see daemon_environment
            stdout=subprocess.DEVNULL,
            stderr=handle,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def run_once(
    mode: str,
    count: int,
    *,
    rate: float,
    block_time: float | None,
    ceiling_count: int,
    replicas: int = 1,
    postgres: Any = None,
) -> Run:
    result = Run(mode, count, block_time, rate, replicas=replicas)
    with (
        tempfile.TemporaryDirectory(prefix="pqoracle-e2e-") as scratch,
        start_anvil(anvil_binary(ROOT), block_time=block_time) as node,
    ):
        work = Path(scratch)
        chain = node.connect(poll_latency=0.01)
        if block_time is None:
            result.anvil_plain_tx_per_s = plain_transfers_per_second(chain, ceiling_count)
        oracle = create_funded_account(chain)
        requester = create_funded_account(chain)
        verifier = deploy_verifier(chain, oracles=[oracle.address], threshold=1)
        signer = SigningKey.generate(ALGORITHM)
        key_id = verifier.register_key(signer.algorithm.id, signer.public_key)
        (work / "signer.pem").write_bytes(signer.to_pem())
        key_file = work / "oracle.key"
        key_file.write_text("0x" + bytes(oracle.key).hex())
        key_file.chmod(0o600)
        store_url = f"sqlite:///{work / 'oracle.db'}"
        if postgres is not None:
            store_url = postgres.create_database()
            result.store = "postgresql"
        first_block = chain.block_number()
        proxy = CountingProxy(node.rpc_url)
        try:
            with _daemons(
                proxy.url, verifier.address, key_file, store_url, work / "d.log", replicas
            ) as daemons:
                # The daemon's start-up (imports, binding the store) is not the benchmark.
                store = Store.open(store_url)
                for _ in range(600):
                    if store.next_block(-1) >= 0:
                        break
                    time.sleep(0.05)
                store.close()
                spec = {
                    "rpc_url": node.rpc_url,
                    "verifier": verifier.address,
                    "requester_key": "0x" + bytes(requester.key).hex(),
                    "signing_key_file": str(work / "signer.pem"),
                    "key_id": "0x" + key_id.hex(),
                    "chain_id": chain.chain_id,
                    "count": count,
                    "rate": rate,
                    "out": str(work / "sent.jsonl"),
                }
                (work / "spec.json").write_text(json.dumps(spec))
                calls_before = proxy.snapshot()
                cpu_before = sum(_cpu_seconds(d.pid) for d in daemons)
                anvil_before = _cpu_seconds(node.process.pid)
                with _finality(chain, node.rpc_url, verifier.address, first_block) as finality:
                    generator = subprocess.Popen(
                        [sys.executable, __file__, "--generate", str(work / "spec.json")]
                    )
                    seen = finality.wait(count)
                cpu = sum(_cpu_seconds(d.pid) for d in daemons) - cpu_before
                anvil_cpu = _cpu_seconds(node.process.pid) - anvil_before
                calls = proxy.snapshot() - calls_before
                assert generator.wait(60) == 0, "the load generator failed"
        finally:
            proxy.close()
        sent = {
            row["id"]: row["sent"]
            for row in map(json.loads, (work / "sent.jsonl").read_text().splitlines())
        }
        done = json.loads((work / "sent.jsonl.done").read_text())
        store = Store.open(store_url)
        recorded = store.all_submissions()
        store.close()
        # Gas from the chain's receipts, not from the store's states: the run ends when the last
        # verdict is final, which can be before the daemon has settled the transaction carrying it.
        gas = sum(int(r["gasUsed"]) for r in map(_receipt(chain), recorded) if r is not None)
    latencies = [seen[rid] - sent[rid] for rid in sent if rid in seen]
    verdicts = len(latencies)
    span_requests = max(done["mined"] - done["first"], 1e-9)
    span_verdicts = max(max(seen.values()) - done["first"], 1e-9) if seen else float("inf")
    result.verdicts = verdicts
    result.requests_per_s = count / span_requests
    result.verdicts_per_s = verdicts / span_verdicts
    result.verdicts_over_requests = result.verdicts_per_s / result.requests_per_s
    result.tail_s = max(seen.values()) - done["mined"] if seen else float("inf")
    result.latency_p50_s = _percentile(latencies, 50)
    result.latency_p95_s = _percentile(latencies, 95)
    result.latency_p99_s = _percentile(latencies, 99)
    per = max(verdicts, 1)
    result.daemon_cpu_ms_per_verdict = cpu * 1000 / per
    result.anvil_cpu_ms_per_verdict = anvil_cpu * 1000 / per
    http_requests = calls.pop(HTTP_REQUESTS, 0)
    result.rpc_http_requests_per_verdict = http_requests / per
    result.rpc_calls_per_verdict = sum(calls.values()) / per
    result.rpc_calls_by_method = {m: round(n / per, 2) for m, n in calls.most_common()}
    result.gas_per_verdict = gas / per
    if result.anvil_plain_tx_per_s:
        result.requests_over_anvil_ceiling = result.requests_per_s / result.anvil_plain_tx_per_s
    cpu_ok = result.daemon_cpu_ms_per_verdict <= CPU_GOAL_MS
    if mode == "flood":
        result.goals = {
            "verdicts_over_requests": RATIO_GOAL,
            "verdicts_over_requests_met": result.verdicts_over_requests >= RATIO_GOAL,
            "daemon_cpu_ms_per_verdict": CPU_GOAL_MS,
            "daemon_cpu_met": cpu_ok,
        }
    else:
        limit = 2 * (block_time or 0) + 1
        result.goals = {
            "latency_p95_s": limit,
            "latency_p95_met": result.latency_p95_s <= limit,
            "daemon_cpu_ms_per_verdict": CPU_GOAL_MS,
            "daemon_cpu_met": cpu_ok,
        }
    return result


class _Finality:
    """When each request's `VerificationFinalized` log reached this process (wall clock), pushed
    by the node over a `logs` subscription (`eth_subscribe`, Anvil's WebSocket on the RPC port):
    no polling phase between a verdict and its measurement, and no CPU spent waiting. Logs a
    reorg removes are forgotten; what the push may have missed is read back with `eth_getLogs`
    at the end."""

    def __init__(
        self, chain: Chain, socket: ClientConnection, verifier: str, first_block: int
    ) -> None:
        from oracle.chain import Verifier

        self._reader = Verifier(chain, verifier)
        self._chain = chain
        self._first_block = first_block
        self._socket = socket
        (finalized,) = (
            e for e in self._reader.artifact.abi if e.get("name") == "VerificationFinalized"
        )
        topic = "0x" + bytes(event_abi_to_log_topic(finalized)).hex()
        self._socket.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_subscribe",
                    "params": ["logs", {"address": verifier, "topics": [topic]}],
                }
            )
        )
        answer = json.loads(self._socket.recv(timeout=30))
        if "result" not in answer:
            raise RuntimeError(f"the node refused the logs subscription: {answer}")

    def wait(self, count: int) -> dict[str, float]:
        seen: dict[str, float] = {}
        deadline = time.monotonic() + DEADLINE
        while len(seen) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = self._socket.recv(timeout=remaining)
            except TimeoutError:
                break
            now = time.time()
            log = json.loads(message).get("params", {}).get("result")
            if not isinstance(log, dict):
                continue
            request = "0x" + log["topics"][1][2:]
            if log.get("removed"):
                seen.pop(request, None)
            else:
                seen.setdefault(request, now)
        # Nothing the push missed: every closing log on the chain has a time.
        now = time.time()
        head = self._chain.block_number()
        for event in self._reader.events_of(VerificationFinalized, self._first_block, head):
            seen.setdefault("0x" + event.request_id.hex(), now)
        return seen


@contextmanager
def _finality(chain: Chain, rpc_url: str, verifier: str, first_block: int) -> Iterator[_Finality]:
    """`_Finality` on a WebSocket to the node, closed on the way out."""
    from websockets.sync.client import connect

    with connect("ws" + rpc_url.removeprefix("http"), max_size=None) as socket:
        yield _Finality(chain, socket, verifier, first_block)


@contextmanager
def _postgres() -> Iterator[Any]:
    """A private PostgreSQL cluster (the test suite's, tests/postgres.py) for the runs."""
    from tests.postgres import run_postgres

    with run_postgres() as cluster:
        yield cluster


def _print(runs: list[Run]) -> None:
    for run in runs:
        print(f"{run.mode}: {run.requests} requests", end="")
        if run.replicas > 1 or run.store != "sqlite":
            print(f", {run.replicas} replica(s) on {run.store}", end="")
        if run.block_time:
            print(f", {run.block_time:g} s blocks, {run.rate:g} requests/s offered", end="")
        print()
        if run.anvil_plain_tx_per_s:
            print(
                f"  Anvil ceiling (plain transfers, one client) {run.anvil_plain_tx_per_s:8.1f}/s"
            )
        print(f"  requests opened     {run.requests_per_s:8.1f}/s", end="")
        if run.requests_over_anvil_ceiling is not None:
            print(f"   ({run.requests_over_anvil_ceiling:.2f} x Anvil's ceiling)", end="")
        print()
        print(
            f"  verdicts            {run.verdicts_per_s:8.1f}/s   "
            f"({run.verdicts_over_requests:.2f} x requests/s; goal >= {RATIO_GOAL})"
        )
        print(f"  last verdict        {run.tail_s:8.3f} s after the last request was mined")
        print(
            f"  latency p50/p95/p99 {run.latency_p50_s:.2f} / {run.latency_p95_s:.2f} / "
            f"{run.latency_p99_s:.2f} s"
        )
        print(
            f"  daemon CPU          {run.daemon_cpu_ms_per_verdict:8.2f} ms/verdict "
            f"({run.daemon_cpu_ms_per_verdict / CPU_GOAL_MS:.2f} x the {CPU_GOAL_MS:g} ms goal)"
        )
        print(f"  Anvil CPU           {run.anvil_cpu_ms_per_verdict:8.2f} ms/verdict")
        top = ", ".join(f"{m} {n}" for m, n in list(run.rpc_calls_by_method.items())[:6])
        print(f"  RPC calls           {run.rpc_calls_per_verdict:8.2f} /verdict ({top})")
        print(f"  HTTP requests       {run.rpc_http_requests_per_verdict:8.2f} /verdict")
        print(f"  gas                 {run.gas_per_verdict:8.0f} /verdict")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=300, help="Requests in the flood run.")
    parser.add_argument("--latency-requests", type=int, default=60)
    parser.add_argument("--rate", type=float, default=10.0, help="Requests/s in the latency run.")
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--ceiling-transfers", type=int, default=1000)
    parser.add_argument("--skip-flood", action="store_true")
    parser.add_argument(
        "--flood-runs",
        type=int,
        default=1,
        help="Flood runs, each on a fresh Anvil; with more than one, their median is reported.",
    )
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--replicas", type=int, default=1, help="Daemon processes on one store.")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="Store on a private PostgreSQL cluster (needed for more than one replica).",
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--out", type=Path, help="Also write the JSON here.")
    args = parser.parse_args(argv)
    if args.generate:
        generate(argparse.Namespace(spec=args.generate))
        return 0
    if args.replicas < 1 or (args.replicas > 1 and not args.postgres):
        parser.error("--replicas above 1 needs --postgres (one SQLite file serves one process)")
    if args.flood_runs < 1:
        parser.error("--flood-runs must be at least 1")
    runs = []
    with _postgres() if args.postgres else nullcontext() as cluster:
        for _ in range(0 if args.skip_flood else args.flood_runs):
            runs.append(
                run_once(
                    "flood",
                    args.requests,
                    rate=0,
                    block_time=None,
                    ceiling_count=args.ceiling_transfers,
                    replicas=args.replicas,
                    postgres=cluster,
                )
            )
        if not args.skip_latency:
            runs.append(
                run_once(
                    "latency",
                    args.latency_requests,
                    rate=args.rate,
                    block_time=args.block_time,
                    ceiling_count=0,
                    replicas=args.replicas,
                    postgres=cluster,
                )
            )
    report: dict[str, Any] = {"runs": [asdict(run) for run in runs], "cpu_count": os.cpu_count()}
    floods = [run for run in runs if run.mode == "flood"]
    if len(floods) > 1:
        report["flood_summary"] = _flood_summary(floods)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(runs)
        if "flood_summary" in report:
            _print_summary(report["flood_summary"])
    return 0


def _flood_summary(floods: list[Run]) -> dict[str, Any]:
    """The flood runs' figures side by side: one run's ratio moves with the moment the last
    request lands in the daemon's cycle, so the goal is judged on the median of several."""
    ratios = [run.verdicts_over_requests for run in floods]
    tails = [run.tail_s for run in floods]
    median = statistics.median(ratios)
    return {
        "runs": len(floods),
        "verdicts_over_requests": ratios,
        "verdicts_over_requests_median": median,
        "tail_s": tails,
        "tail_s_median": statistics.median(tails),
        "requests_per_s_median": statistics.median(run.requests_per_s for run in floods),
        "daemon_cpu_ms_per_verdict_median": statistics.median(
            run.daemon_cpu_ms_per_verdict for run in floods
        ),
        "goals": {
            "verdicts_over_requests": RATIO_GOAL,
            "verdicts_over_requests_median_met": median >= RATIO_GOAL,
        },
    }


def _print_summary(summary: dict[str, Any]) -> None:
    ratios = " ".join(f"{ratio:.3f}" for ratio in summary["verdicts_over_requests"])
    print(f"flood, {summary['runs']} runs: verdicts/s over requests/s {ratios}")
    print(
        f"  median {summary['verdicts_over_requests_median']:.3f} (goal >= {RATIO_GOAL}), "
        f"last verdict {summary['tail_s_median']:.3f} s after the last request (median)"
    )


if __name__ == "__main__":
    sys.exit(main())
