"""The daemon's replicas under faults: SIGKILLs at random moments, an RPC outage and a reorg while
a load generator opens requests; every request must still get exactly one vote and its verdict.

    python benchmarks/chaos.py [--json] [--out FILE] [--requests M] [--replicas R] [--kills K]
                               [--outage S] [--reorg-depth D] [--duration S] [--seed N]

One run on a fresh Anvil mining a block every second (`--block-time`, so confirmations come on an
idle chain too, the outage has a chain moving on under it, and a reorg's depth is a span of
time), a fresh verifier with one oracle (threshold 1: the operator's vote decides, so every
entry of its vote batches leaves exactly one log naming the request: `VerificationFinalized`
when it counted, `VoteSkipped` when it did not), and a private PostgreSQL cluster holding the
operator's one store.

- `--replicas` `pqoracle run` processes of that operator share the store, each reaching the node
  through one JSON-RPC proxy this script controls (and counts calls on);
- a load generator process opens `--requests` requests at an even pace over `--duration`
  seconds, every fifth one invalid (its message altered after signing), straight to the node;
  like a dApp it sends again any of its transactions that never got a receipt;
- `--kills` SIGKILLs of a random live replica at random moments (seeded), each restarted after
  `--restart-after` seconds; a replica that exits on its own is restarted too, and reported;
- one outage of `--outage` seconds for every replica from 20% of the run on: the proxy closes
  every connection unanswered, then forwards again;
- one reorg of `--reorg-depth` blocks at 75% of the run (`anvil_reorg`): the new branch takes
  back the generator's requests (a real network's mempool would), not the daemon's votes, which
  the daemon has to notice and send again.

Reported (JSON with `--json`/`--out`, a table otherwise): requests sent and on the final chain;
verdicts final and right (the contract's status against each request's expected verdict);
wrong and lost ones (on chain, not final when the run ends); duplicate votes (from the final
chain's logs: the operator's vote entries per request beyond the first, skipped ones included)
and requests signed into more than one transaction (from the store); seconds from the node's
return to the first new verdict and to the backlog cleared; seconds from the reorg until every
verdict it undid is back; replica restarts and exits; the daemon's security events by type; JSON-
RPC calls by method. Goals: 0 duplicates, 0 lost, 0 wrong, first verdict within 5 s of the
node's return. Every wait is bounded (`--settle-timeout` after the load).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# This checkout's package and artifacts, not whichever `oracle` is installed elsewhere.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from benchmarks.e2e import CountingProxy, daemon_environment, signed_requests  # noqa: E402
from oracle.chain import (  # noqa: E402
    Chain,
    Status,
    VerificationFinalized,
    Verifier,
    VoteCast,
    VoteSkipped,
    create_funded_account,
    deploy_verifier,
)
from oracle.chain.devnode import LocalNode, anvil_binary, start_anvil, stop_process_group  # noqa: E402
from oracle.crypto import SigningKey  # noqa: E402
from oracle.devdb import run_postgres  # noqa: E402
from oracle.store import Store  # noqa: E402

ALGORITHM = "ML-DSA-44"
CONTEXT = b"chaos"
#: Gas each pre-signed request is given (a 32-byte ML-DSA-44 request uses ~122k).
REQUEST_GAS = 400_000
RECOVERY_GOAL_S = 5.0
#: Where in the run (a fraction of `--duration`) the outage starts and the reorg happens.
OUTAGE_AT = 0.2
REORG_AT = 0.75
#: The generator sends again a transaction still without a receipt after this many seconds.
RESEND_AFTER = 5.0
#: Longest wait for the daemon's start-up, and for a replica to stop on SIGTERM.
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
TICK = 0.1
#: Blocks read again on every watch: logs of blocks a reorg replaced are found in their new ones.
RESCAN = 8
LOG_WINDOW = 500


# --- the load generator (its own process) --------------------------------------------------------


def generate(spec_file: str) -> None:
    """Open the spec's requests at its pace, one JSON line each (id, moment sent, expected
    verdict); then send again, like a dApp, any transaction left without a receipt."""
    from web3 import Web3

    spec = json.loads(Path(spec_file).read_text())
    w3 = Web3(Web3.HTTPProvider(spec["rpc_url"], request_kwargs={"timeout": 30}))
    raws, ids = signed_requests(spec, w3)
    rate = spec["count"] / spec["duration"]
    started = time.time()
    with Path(spec["out"]).open("w") as out:
        for nonce, raw in enumerate(raws):
            pause = started + nonce / rate - time.time()
            if pause > 0:
                time.sleep(pause)
            sent = time.time()
            w3.eth.send_raw_transaction(raw)
            row = {"id": "0x" + ids[nonce].hex(), "sent": sent, "valid": nonce % 5 != 4}
            out.write(json.dumps(row) + "\n")
            out.flush()
    missing = {Web3.keccak(raw): raw for raw in raws}
    resent = 0
    deadline = time.monotonic() + spec["resend_timeout"]
    while missing and time.monotonic() < deadline:
        for tx_hash in list(missing):
            try:
                w3.eth.get_transaction_receipt(tx_hash)
            except Exception:
                continue
            del missing[tx_hash]
        if missing:
            time.sleep(RESEND_AFTER)
            for raw in missing.values():
                try:
                    w3.eth.send_raw_transaction(raw)
                    resent += 1
                except Exception:  # already known, or mined in between: the next pass sees it
                    pass
    done = {"first": started, "last_sent": time.time(), "resent": resent, "missing": len(missing)}
    Path(spec["out"] + ".done").write_text(json.dumps(done))


# --- the replicas ---------------------------------------------------------------------------------


@dataclass
class Exit:
    """A replica that ended without being killed by this script."""

    replica: str
    at_s: float
    code: int
    during_outage: bool
    last_line: str


class Replica:
    """One `pqoracle run` process of the operator, restarted whenever it is not running."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self.env = {**env, "PQORACLE_REPLICA_ID": name}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        #: Monotonic time before which a killed replica stays down.
        self.down_until = 0.0

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=ROOT,  # see daemon_environment
                stdout=subprocess.DEVNULL,
                stderr=handle,
                start_new_session=True,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, pause: float) -> None:
        """SIGKILL the replica's process group; it stays down for `pause` seconds."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        self.process = None
        self.down_until = time.monotonic() + pause

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after a bounded wait; the exit code (None if it was down)."""
        if self.process is None:
            return None
        stop_process_group(self.process, STOP_TIMEOUT)
        return self.process.returncode

    def last_line(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][-300:] if lines else ""


# --- the report -----------------------------------------------------------------------------------


@dataclass
class Report:
    """One run's figures."""

    requests: int
    replicas: int
    kills: int
    outage_s: float
    reorg_depth: int
    confirmations: int
    lease_seconds: float
    poll_interval: float
    seed: int
    requests_sent: int = 0
    requests_on_chain: int = 0
    requests_resent_by_generator: int = 0
    verdicts_final: int = 0
    verdicts_right: int = 0
    verdicts_wrong: int = 0
    lost_requests: int = 0
    lost_request_ids: list[str] = field(default_factory=list)
    duplicate_votes: int = 0
    vote_entries_on_chain: int = 0
    votes_skipped_by_reason: dict[str, int] = field(default_factory=dict)
    requests_signed_more_than_once: int = 0
    vote_transactions: dict[str, int] = field(default_factory=dict)
    first_verdict_after_outage_s: float | None = None
    backlog_at_return: int = 0
    backlog_cleared_after_outage_s: float | None = None
    reorg_done: bool = False
    reorg_requests_taken_back: int = 0
    reorg_votes_dropped: int = 0
    reorg_verdicts_undone: int = 0
    verdicts_back_after_reorg_s: float | None = None
    kill_times_s: list[float] = field(default_factory=list)
    replica_starts: int = 0
    replica_exits: list[dict[str, Any]] = field(default_factory=list)
    #: Exit codes of the replicas stopped with SIGTERM at the end (0: a clean stop).
    replica_stop_codes: list[int | None] = field(default_factory=list)
    security_events: dict[str, int] = field(default_factory=dict)
    rpc_calls_by_method: dict[str, int] = field(default_factory=dict)
    run_seconds: float = 0.0
    goals: dict[str, Any] = field(default_factory=dict)


# --- the run --------------------------------------------------------------------------------------


class Watch:
    """When each request's `VerificationFinalized` log was first seen, read straight from Anvil."""

    def __init__(self, reader: Verifier, first_block: int) -> None:
        self.reader = reader
        self.cursor = first_block
        self.first_block = first_block
        self.seen: dict[str, float] = {}
        #: First sighting of each request after the reorg, for the verdicts it undid.
        self.since_reorg: dict[str, float] | None = None

    def poll(self) -> None:
        head = self.reader.chain.block_number()
        start = max(self.cursor - RESCAN, self.first_block)
        if head < start:
            return
        now = time.time()
        for event in self.reader.events_of(VerificationFinalized, start, head):
            rid = "0x" + event.request_id.hex()
            self.seen.setdefault(rid, now)
            if self.since_reorg is not None:
                self.since_reorg.setdefault(rid, now)
        self.cursor = head + 1


def _reorg(
    node: LocalNode, chain: Chain, reader: Verifier, depth: int, requester: str, block_time: float
) -> dict[str, Any]:
    """Replace the last `depth` blocks: the new first block takes back the requester's
    transactions, the oracle's are dropped. Returns what the replaced blocks held.

    Raises:
        RuntimeError: no quiet moment between two blocks to read and replace them in.
    """
    w3 = chain.w3
    for _ in range(5):
        # Half a block after a new one: the daemon has read what the head's confirmations allow
        # (the reorg goes that deep when `depth` exceeds them), and the next block is not due
        # before the blocks are read and replaced.
        head = w3.eth.block_number
        deadline = time.monotonic() + 3 * block_time
        while w3.eth.block_number == head and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(block_time / 2)
        head = w3.eth.block_number
        taken_back: list[tuple[int, str]] = []
        dropped_votes = 0
        undone: list[str] = []
        for number in range(head - depth + 1, head + 1):
            block = w3.eth.get_block(number, full_transactions=True)
            for tx in block["transactions"]:
                if tx["from"] == requester:
                    raw = node.rpc("eth_getRawTransactionByHash", ["0x" + bytes(tx["hash"]).hex()])
                    taken_back.append((int(tx["nonce"]), raw))
                else:
                    dropped_votes += 1
            for event in reader.events_of(VerificationFinalized, number, number):
                undone.append("0x" + event.request_id.hex())
        if w3.eth.block_number != head:
            continue  # a block came in between: read again after the next one
        taken_back.sort()
        node.rpc("anvil_reorg", [depth, [[raw, 0] for _, raw in taken_back]])
        return {"taken_back": len(taken_back), "dropped_votes": dropped_votes, "undone": undone}
    raise RuntimeError("no quiet moment between blocks for the reorg")


def _events(reader: Verifier, kind: Any, first: int, head: int) -> list[Any]:
    found: list[Any] = []
    for start in range(first, head + 1, LOG_WINDOW):
        found.extend(reader.events_of(kind, start, min(start + LOG_WINDOW - 1, head)))
    return found


def run(args: argparse.Namespace) -> Report:
    rng = random.Random(args.seed)
    report = Report(
        requests=args.requests,
        replicas=args.replicas,
        kills=args.kills,
        outage_s=args.outage,
        reorg_depth=args.reorg_depth,
        confirmations=args.confirmations,
        lease_seconds=args.lease_seconds,
        poll_interval=args.poll_interval,
        seed=args.seed,
    )
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="pqoracle-chaos-") as scratch,
        run_postgres() as cluster,
        start_anvil(anvil_binary(ROOT), block_time=args.block_time) as node,
    ):
        work = Path(scratch)
        store_url = cluster.create_database()
        chain = node.connect(poll_latency=0.05)
        oracle = create_funded_account(chain)
        requester = create_funded_account(chain)
        verifier = deploy_verifier(chain, oracles=[oracle.address], threshold=1)
        signer = SigningKey.generate(ALGORITHM)
        key_id = verifier.register_key(signer.algorithm.id, signer.public_key)
        (work / "signer.pem").write_bytes(signer.to_pem())
        key_file = work / "oracle.key"
        key_file.write_text("0x" + bytes(oracle.key).hex())
        key_file.chmod(0o600)
        first_block = chain.block_number()
        # The schema is migrated once, as an operator does before starting the replicas.
        store = Store.open(store_url)
        proxy = CountingProxy(node.rpc_url)
        env = daemon_environment(
            {
                "PQORACLE_POLL_INTERVAL": str(args.poll_interval),
                "PQORACLE_LEASE_SECONDS": str(args.lease_seconds),
            }
        )
        command = [
            sys.executable,
            "-m",
            "oracle.cli",
            "run",
            "--rpc-url",
            proxy.url,
            "--verifier",
            verifier.address,
            "--private-key-file",
            str(key_file),
            "--database-url",
            store_url,
            "--confirmations",
            str(args.confirmations),
        ]
        replicas = [
            Replica(f"replica-{n}", command, env, work / f"replica-{n}.log")
            for n in range(args.replicas)
        ]
        generator: subprocess.Popen[bytes] | None = None
        try:
            for replica in replicas:
                replica.start()
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while store.next_block(-1) < 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("the replicas did not start: " + replicas[0].last_line())
                time.sleep(0.1)
            spec = {
                "rpc_url": node.rpc_url,
                "verifier": verifier.address,
                "requester_key": "0x" + bytes(requester.key).hex(),
                "signing_key_file": str(work / "signer.pem"),
                "key_id": "0x" + key_id.hex(),
                "chain_id": chain.chain_id,
                "count": args.requests,
                "duration": args.duration,
                "resend_timeout": args.settle_timeout,
                "out": str(work / "sent.jsonl"),
            }
            (work / "spec.json").write_text(json.dumps(spec))
            generator = subprocess.Popen(
                [sys.executable, __file__, "--generate", str(work / "spec.json")], env=env
            )
            _drive(
                args,
                rng,
                report,
                node,
                chain,
                verifier,
                requester.address,
                replicas,
                proxy,
                generator,
                work,
                first_block,
            )
        finally:
            if generator is not None and generator.poll() is None:
                generator.kill()
                generator.wait(STOP_TIMEOUT)
            report.replica_stop_codes = [replica.stop() for replica in replicas]
            proxy.close()
        if args.logs is not None:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in work.glob("*.log"):
                shutil.copy(log, args.logs / log.name)
            shutil.copy(work / "sent.jsonl", args.logs / "sent.jsonl")
        report.replica_starts = sum(r.starts for r in replicas)
        report.rpc_calls_by_method = dict(proxy.snapshot().most_common())
        _tally(report, chain, verifier, oracle.address, store, work, first_block)
        store.close()
    report.run_seconds = round(time.monotonic() - began, 1)
    return report


def _drive(
    args: argparse.Namespace,
    rng: random.Random,
    report: Report,
    node: LocalNode,
    chain: Chain,
    verifier: Verifier,
    requester: str,
    replicas: list[Replica],
    proxy: CountingProxy,
    generator: subprocess.Popen[bytes],
    work: Path,
    first_block: int,
) -> None:
    """Run the schedule of faults while the load runs, then wait for the verdicts (bounded)."""
    watch = Watch(verifier, first_block)
    started = time.monotonic()
    outage_at = OUTAGE_AT * args.duration
    outage_end_at = outage_at + args.outage
    reorg_at = max(REORG_AT * args.duration, outage_end_at + 2)
    kills = sorted(rng.uniform(0.05, 0.95) * args.duration for _ in range(args.kills))
    outage_state = "before"
    outage_end_wall = 0.0
    reorg_wall = 0.0
    undone: list[str] = []
    exits: list[Exit] = []
    final_deadline = None
    while True:
        now = time.monotonic()
        elapsed = now - started
        if outage_state == "before" and elapsed >= outage_at and args.outage > 0:
            proxy.down.set()
            outage_state = "down"
        elif outage_state == "down" and elapsed >= outage_end_at:
            proxy.down.clear()
            outage_end_wall = time.time()
            outage_state = "after"
        if kills and elapsed >= kills[0]:
            kills.pop(0)
            alive = [r for r in replicas if r.alive()]
            if alive:
                rng.choice(alive).kill(args.restart_after)
                report.kill_times_s.append(round(elapsed, 2))
        if not report.reorg_done and args.reorg_depth > 0 and elapsed >= reorg_at:
            done = _reorg(node, chain, verifier, args.reorg_depth, requester, args.block_time)
            reorg_wall = time.time()
            watch.since_reorg = {}
            undone = done["undone"]
            report.reorg_done = True
            report.reorg_requests_taken_back = done["taken_back"]
            report.reorg_votes_dropped = done["dropped_votes"]
            report.reorg_verdicts_undone = len(undone)
        for replica in replicas:
            if replica.process is not None and replica.process.poll() is not None:
                exits.append(
                    Exit(
                        replica.name,
                        round(elapsed, 2),
                        replica.process.returncode,
                        outage_state == "down",
                        replica.last_line(),
                    )
                )
                replica.process = None
                replica.down_until = now + args.restart_after
            if replica.process is None and now >= replica.down_until:
                replica.start()
        try:
            watch.poll()
        except Exception as err:  # Anvil busy with the reorg: the next tick reads again
            print(f"watch: {err}", file=sys.stderr)
        load_done = generator.poll() is not None or (work / "sent.jsonl.done").exists()
        faults_done = (
            not kills and outage_state != "down" and (report.reorg_done or args.reorg_depth == 0)
        )
        if load_done and faults_done:
            final_deadline = final_deadline or now + args.settle_timeout
            sent = _sent(work)
            on_chain = [rid for rid in sent if rid in watch.seen]
            if len(on_chain) == len(sent) == args.requests or now > final_deadline:
                break
        if elapsed > args.duration + args.outage + 2 * args.settle_timeout + 60:
            break  # a hard bound, whatever happens
        time.sleep(TICK)
    # A few more blocks, so the last votes are as deep as the store's confirmations.
    time.sleep(args.block_time * (args.confirmations + 1) + 1)
    watch.poll()
    generator.wait(max(args.settle_timeout, 10))
    report.replica_exits = [asdict(e) for e in exits]
    sent = _sent(work)
    if outage_end_wall:
        after = [t - outage_end_wall for t in watch.seen.values() if t >= outage_end_wall]
        report.first_verdict_after_outage_s = round(min(after), 2) if after else None
        backlog = [
            rid
            for rid, row in sent.items()
            if row["sent"] < outage_end_wall
            and watch.seen.get(rid, outage_end_wall) >= outage_end_wall
        ]
        report.backlog_at_return = len(backlog)
        if backlog and all(rid in watch.seen for rid in backlog):
            cleared = max(watch.seen[rid] for rid in backlog) - outage_end_wall
            report.backlog_cleared_after_outage_s = round(cleared, 2)
    if report.reorg_done and watch.since_reorg is not None:
        back = [watch.since_reorg.get(rid) for rid in undone]
        if all(t is not None for t in back):
            latest = max((t for t in back if t is not None), default=reorg_wall)
            report.verdicts_back_after_reorg_s = round(latest - reorg_wall, 2)


def _sent(work: Path) -> dict[str, dict[str, Any]]:
    path = work / "sent.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]
    return {row["id"]: row for row in rows}


def _tally(
    report: Report,
    chain: Chain,
    verifier: Verifier,
    oracle: str,
    store: Store,
    work: Path,
    first_block: int,
) -> None:
    """Read the final chain and the store: verdicts, lost requests, votes per request."""
    sent = _sent(work)
    done_file = work / "sent.jsonl.done"
    if done_file.exists():
        report.requests_resent_by_generator = json.loads(done_file.read_text())["resent"]
    report.requests_sent = len(sent)
    for rid, row in sent.items():
        status = verifier.status_of(bytes.fromhex(rid[2:])).status
        if status is Status.NONE:
            continue
        report.requests_on_chain += 1
        if status in (Status.VALID, Status.INVALID):
            report.verdicts_final += 1
            if (status is Status.VALID) == row["valid"]:
                report.verdicts_right += 1
            else:
                report.verdicts_wrong += 1
        else:
            report.lost_requests += 1
            report.lost_request_ids.append(rid)
    head = chain.block_number()
    entries: Counter[bytes] = Counter()
    skipped: Counter[str] = Counter()
    for event in _events(verifier, VerificationFinalized, first_block, head):
        entries[event.request_id] += 1
    for event in _events(verifier, VoteCast, first_block, head):
        if event.oracle == oracle:
            entries[event.request_id] += 1
    for event in _events(verifier, VoteSkipped, first_block, head):
        if event.oracle == oracle:
            entries[event.request_id] += 1
            skipped[event.reason] += 1
    report.vote_entries_on_chain = sum(entries.values())
    report.duplicate_votes = sum(n - 1 for n in entries.values() if n > 1)
    report.votes_skipped_by_reason = dict(skipped)
    submissions = store.all_submissions()
    signed: Counter[bytes] = Counter()
    for submission in submissions:
        for rid, _ in submission.votes:
            signed[rid] += 1
    report.requests_signed_more_than_once = sum(1 for n in signed.values() if n > 1)
    report.vote_transactions = dict(Counter(s.state.value for s in submissions))
    report.security_events = dict(
        Counter(e.type.value for e in store.security_events(limit=100_000))
    )
    report.goals = {
        "duplicate_votes": 0,
        "lost_requests": 0,
        "verdicts_wrong": 0,
        "recovery_s": RECOVERY_GOAL_S,
        "duplicates_met": report.duplicate_votes == 0,
        "lost_met": report.lost_requests == 0,
        "wrong_met": report.verdicts_wrong == 0,
        "recovery_met": report.first_verdict_after_outage_s is not None
        and report.first_verdict_after_outage_s <= RECOVERY_GOAL_S,
    }


def _print(report: Report) -> None:
    def seconds(value: float | None) -> str:
        return "never" if value is None else f"{value:.2f} s"

    goals = report.goals
    print(
        f"{report.requests} requests, {report.replicas} replicas of one operator on PostgreSQL, "
        f"{report.kills} SIGKILLs, a {report.outage_s:g} s outage, a {report.reorg_depth}-block "
        f"reorg; {report.confirmations} confirmations, seed {report.seed}"
    )
    print(
        f"  requests sent        {report.requests_sent:6d}   on the final chain "
        f"{report.requests_on_chain} (generator resent {report.requests_resent_by_generator})"
    )
    print(
        f"  verdicts final       {report.verdicts_final:6d}   right {report.verdicts_right}, "
        f"wrong {report.verdicts_wrong} (goal 0)"
    )
    print(f"  lost requests        {report.lost_requests:6d}   (goal 0)")
    skipped = ", ".join(f"{k} {v}" for k, v in report.votes_skipped_by_reason.items()) or "none"
    print(
        f"  duplicate votes      {report.duplicate_votes:6d}   (goal 0; "
        f"{report.vote_entries_on_chain} vote entries on chain, skipped: {skipped})"
    )
    print(f"  requests signed twice{report.requests_signed_more_than_once:6d}")
    print(
        f"  after the outage     first verdict {seconds(report.first_verdict_after_outage_s)} "
        f"(goal <= {RECOVERY_GOAL_S:g} s{'' if goals['recovery_met'] else ', MISSED'}), backlog "
        f"of {report.backlog_at_return} cleared {seconds(report.backlog_cleared_after_outage_s)}"
    )
    print(
        f"  reorg                {report.reorg_requests_taken_back} requests taken back, "
        f"{report.reorg_votes_dropped} vote transactions dropped, {report.reorg_verdicts_undone} "
        f"verdicts undone, all back after {seconds(report.verdicts_back_after_reorg_s)}"
    )
    print(
        f"  replicas             {report.replica_starts} starts, kills at "
        f"{', '.join(f'{t:g}' for t in report.kill_times_s)} s, "
        f"{len(report.replica_exits)} exits on their own, stopped with {report.replica_stop_codes}"
    )
    for exit_ in report.replica_exits:
        print(
            f"    {exit_['replica']} exited {exit_['code']} at {exit_['at_s']:g} s"
            f"{' (outage)' if exit_['during_outage'] else ''}: {exit_['last_line'][:160]}"
        )
    print(f"  vote transactions    {report.vote_transactions}")
    print(f"  security events      {report.security_events or 'none'}")
    top = ", ".join(f"{m} {n}" for m, n in list(report.rpc_calls_by_method.items())[:6])
    print(f"  RPC calls            {top}")
    print(f"  run                  {report.run_seconds:g} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=300, help="Requests opened over the run.")
    parser.add_argument("--duration", type=float, default=90.0, help="Seconds of load.")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of random replicas.")
    parser.add_argument("--restart-after", type=float, default=2.0, help="Seconds a kill lasts.")
    parser.add_argument("--outage", type=float, default=30.0, help="Seconds of RPC outage.")
    parser.add_argument("--reorg-depth", type=int, default=3, help="Blocks replaced (0: none).")
    parser.add_argument("--confirmations", type=int, default=2)
    parser.add_argument("--lease-seconds", type=float, default=10.0)
    parser.add_argument("--poll-interval", type=float, default=0.5)
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument(
        "--settle-timeout", type=float, default=120.0, help="Longest wait after the load."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--logs", type=Path, help="Keep the replicas' logs and the requests sent in this directory."
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--out", type=Path, help="Also write the JSON here.")
    args = parser.parse_args(argv)
    if args.generate:
        generate(args.generate)
        return 0
    if args.requests < 1 or args.replicas < 1 or args.duration <= 0:
        parser.error("--requests, --replicas and --duration must be positive")
    report = run(args)
    data = asdict(report)
    if args.out:
        args.out.write_text(json.dumps(data, indent=2))
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        _print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
