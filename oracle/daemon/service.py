"""The oracle daemon: confirmed logs → store → ML-DSA verdicts → vote transactions.

Every cycle decides from the store and from what the chain committed to, never from memory or
from a log alone, so the process may be stopped at any instant and restarted:

0. follow the chain: compare the hash of the last block the store read with the node's; on a
   mismatch find the last common block, rewind to it and re-read (a reorg deeper than
   `confirmations`); a chain that no longer has that block was reset: refuse it, or start over
   from a fresh store when the operator says so;
1. ingest: read logs in bounded windows from the stored cursor, `confirmations` blocks behind the
   head; keep a key only when it hashes to its key id; record the hash of every block read;
2. verify: check each pending request against the contract at the confirmed block (it exists,
   it holds the logged commitment, the logged payload hashes to it), then verify the ML-DSA
   signature off-chain and store the verdict;
3. submit: gather verdicts into `voteBatch` transactions of up to `vote_batch_size` votes, dry-run
   and sign each, record it, and only then broadcast it, with nonces counted from the node so that
   no nonce gap is ever signed (while the node lacks a recorded transaction, nothing is signed
   until step 4 has handed it over again);
4. settle: follow every recorded transaction to a state that matches the chain (mined and
   `confirmations` deep, or its nonce spent by another one); hand unmined bytes to the node again
   at most once per `rebroadcast_interval`, or at once when the node has lost them; replace one
   still unmined `replace_after_blocks` after it was sent (same nonce and votes, fees at least
   12.5% higher, recorded before it is sent; a bump past the operator's fee cap is refused
   with a `fee_cap_reached` event and the transaction waits at its fees); read from each
   receipt which votes counted (a vote that did not count is verified again and goes out on
   the next cycle); take each request's final status from the contract at the confirmed block
   (a quorum of oracles decides it, not this one alone).

Votes are signed before earlier transactions are settled: the verdicts of a cycle go out as soon
as they are made, and settling (receipts, outcomes, statuses) follows them, off their path.

Several replicas of one operator may share one PostgreSQL store: each claims pending requests for
`lease_seconds` and verifies them (step 2), while the one holding the operator's lock follows the
chain, ingests, settles and signs (steps 0, 1, 3, 4), so nonces never collide and every request is
voted on once. A replica that dies loses the lock with its connection, and its claims when their
lease ends; the others carry on. Each stage writes its batch in one store transaction.

Whatever a node lies about, the chain's own hashes decide: the contract refuses a verdict on other
bytes than the requester committed to, and the daemon refuses to compute one. Everything the
daemon refuses, and every reorg, is a stored security event.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from web3.exceptions import Web3RPCError

from oracle.chain import (
    BlockHead,
    KeyRegistered,
    RequestCancelled,
    SignedTransaction,
    VerdictChallenged,
    VerdictPosted,
    VerificationDisputed,
    VerificationFinalized,
    VerificationRequested,
    VoteCast,
    VoteSkipped,
    commitment,
    vote_batches,
)
from oracle.chain.events import log_timestamp
from oracle.chain.transactions import fees_of
from oracle.crypto import get_backend, verify
from oracle.daemon.metrics import DaemonMetrics
from oracle.domain import (
    Key,
    OptimisticConfig,
    PostedVerdict,
    Request,
    RequestStatus,
    Status,
    SubmissionKind,
    Vote,
)
from oracle.errors import (
    ArtifactError,
    BackendCapabilityError,
    BackendUnavailableError,
    ChainError,
    ChainResetError,
    ConfigError,
    ContractRevertError,
    CryptoError,
    FeeCapError,
    NodeRequestError,
    NonceConflictError,
    ReadOnlyChainError,
    StoreConflictError,
    TransactionRejectedError,
)
from oracle.operations import checked_key, find_key
from oracle.security import SecurityEventType, record_event
from oracle.store import Mined, RequestState, SubmissionState

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from oracle.chain import Receipt, Verifier, VerifierEvent
    from oracle.config import Settings
    from oracle.crypto import Backend
    from oracle.store import Store, StoredRequest, Submission
    from oracle.types import RequestId

logger = logging.getLogger(__name__)

#: Longest pause between cycles after consecutive node failures: a node back from an outage is
#: used again within this many seconds (benchmarks/chaos.py: recovery within 5 s). A replica
#: backing off keeps the operator's lock, so nobody else signs meanwhile.
MAX_BACKOFF: Final = 4.0
#: Seconds before bytes the node has evidently lost (their nonce is not in its pending count)
#: are sent again: a node may take a moment to count a transaction it has just accepted.
LOST_RESEND_AFTER: Final = 2.0
#: Seconds a read of the verifier's mode (quorum or optimistic, and the bond) is used before it
#: is read again; a refused vote or post, or a reorg, reads it at once.
MODE_REFRESH_SECONDS: Final = 5.0
#: While new requests keep arriving (the cycle read some), settling earlier transactions and
#: closing the requests whose closing logs were read wait, at most this long from the first
#: cycle that held them back: they only bring the store in line with the chain (receipts,
#: replacements, finality), and every cycle spent on them is latency added to the votes on the
#: newest requests (a settling cycle under a flood holds its closings and receipts, and the
#: request that arrives during it waits for all of them). The next cycle that reads nothing new
#: settles (one follows a cycle that held settling back at once, not at the next block), and so
#: does one whose signing waits on the node's nonce count (see `_nonce_gap`): a lost vote, or a
#: reorg's.
SETTLE_DEFER_SECONDS: Final = 2.0
#: Keys a daemon keeps in memory (a key id names one key for good; the store holds them all).
KEYS_KEPT: Final = 1024
#: Requests still moving through the pipeline (counted by `CycleReport.open_requests`). A
#: request this oracle voted on waits for the others' votes, not for this daemon: not counted.
_OPEN: Final = (
    RequestState.PENDING,
    RequestState.VERIFIED,
    RequestState.SUBMITTED,
    RequestState.ORPHANED,
)
#: States a daemon moves on by itself, without a new block: while a request is in one, every
#: cycle runs in full.
_LOCAL_WORK: Final = (RequestState.PENDING, RequestState.VERIFIED, RequestState.ORPHANED)
#: Failures that never heal by waiting: the process ends with the reason.
_FATAL_CHAIN_ERRORS: Final = (ChainResetError, ReadOnlyChainError, ArtifactError)
#: Outcomes of a vote that mean this oracle's vote is on the chain (in optimistic mode: its
#: post, or the finalisation of its post).
_COUNTED: Final = ("counted", "skipped: already_voted", "posted", "finalized")
#: Reverts of a post's dry run that mean another transaction got there first (another oracle's
#: post, the deadline): the next cycle reads what happened from the confirmed block.
_POST_RACES: Final = ("VerifierRequestNotPending", "VerifierRequestExpired")
#: Request blocks whose timestamps (from the logs that carry one) are kept for the latency
#: metric, so a mined vote costs no block lookup per request it carries; past it the memory
#: starts over, and a missing timestamp is asked of the node.
_BLOCK_TIMES_KEPT: Final = 10_000


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle did."""

    head: int
    #: Last block ingested (the cursor minus one).
    ingested_to: int
    new_keys: int
    new_requests: int
    verified: int
    rejected: int
    submitted: int
    finalised: int
    #: Requests still moving through the pipeline after the cycle, plus transactions the chain
    #: may still change.
    open_requests: int
    #: The block the store rewound to after a reorg in this cycle, if any.
    rewound_to: int | None = None

    @property
    def moved(self) -> bool:
        """Whether the cycle read, decided, sent or closed anything."""
        return bool(
            self.new_keys
            or self.new_requests
            or self.verified
            or self.rejected
            or self.submitted
            or self.finalised
        )

    @property
    def settled(self) -> bool:
        """Caught up with the confirmed head and nothing left to verify, submit or settle."""
        return self.open_requests == 0


@dataclass(frozen=True, slots=True)
class _Quiet:
    """A full cycle that left nothing to verify or submit, and what it saw: until the head, the
    store's counts or the lead change, the next cycles have nothing to do."""

    head: tuple[int, bytes]
    lead: bool
    counts: dict[RequestState, int]
    #: Transactions the chain may still change.
    unsettled: int
    since: float
    report: CycleReport


@dataclass(frozen=True, slots=True)
class _Verdict:
    request_id: RequestId
    valid: bool | None
    reject_reason: str | None = None
    retry_reason: str | None = None


class OracleDaemon:
    """Watches one SignatureVerifier and votes on each of its requests exactly once."""

    def __init__(
        self,
        verifier: Verifier,
        store: Store,
        settings: Settings,
        *,
        dry_run: bool = False,
        reset_store: bool = False,
        invert_verdicts: bool = False,
        metrics: DaemonMetrics | None = None,
    ) -> None:
        """Bind the store to the verifier's deployment and check the account may vote.

        With `reset_store`, a chain that no longer has the blocks the store read (a reset
        development node) is followed from a fresh store instead of refused. `invert_verdicts`
        votes the opposite of every verdict: a faulty oracle, for demonstrations of the quorum.
        `metrics` receives the daemon's counters and gauges (a registry of its own by default).

        Raises:
            StoreMismatchError: the store follows another deployment.
            ConfigError: the account is not in the oracle set (unless `dry_run`).
            BackendUnavailableError: the configured crypto backend cannot load.
        """
        self.verifier = verifier
        self.store = store
        self.settings = settings
        self.dry_run = dry_run
        self.reset_store = reset_store
        self.invert_verdicts = invert_verdicts
        self.metrics = metrics or DaemonMetrics()
        self.backend: Backend = get_backend(settings.crypto_backend)
        chain = verifier.chain
        store.bind(chain.chain_id, verifier.address)
        self._check_account()
        #: This replica among the operator's daemons on one store (its claims carry it).
        self.replica = settings.replica_id or f"{socket.gethostname()}:{os.getpid()}"
        #: Held by the one replica that follows the chain and signs (always on SQLite); a
        #: dry run without a key has no operator: its replicas share one per verifier.
        operator = chain.address if chain.account is not None else f"dry-run {verifier.address}"
        self.lead = store.operator_lock(operator)
        #: Whether `run` keeps the lock between cycles (a lone `run_once` gives it back).
        self._holding = False
        self._was_lead: bool | None = None
        #: Blocks per log query; halved for the session when a node caps its answers.
        self.log_window = settings.log_window
        self._refusal: str | None = None
        #: Head at which a stuck transaction's bump last met the fee cap, by its hash.
        self._capped: dict[bytes, int] = {}
        self._last_wait_log = 0.0
        self._quiet: _Quiet | None = None
        self._waited_head: int | None = None
        #: The verifier's mode and when it was read (see `optimistic`).
        self._mode: OptimisticConfig | None = None
        self._mode_read = 0.0
        #: Closing logs read and not yet checked: after the votes of the cycle that read them, or
        #: under a flood at the next settling (see `_close_logged`).
        self._closing: list[VerificationFinalized | RequestCancelled] = []
        #: Whether this cycle read new requests, since when settling has been held back (None
        #: while it is not), and whether this cycle held it back (see `act`).
        self._flooded = False
        self._held_since: float | None = None
        self._deferred = False
        #: Set when signing waits for settling (a nonce gap): the next settling is not deferred.
        self._settle_now = False
        #: Whether the last cycle read, decided, sent or closed anything (see `_cycle`).
        self._moved = False
        #: Whether the store may hold orphaned requests (see `resolve_orphans`): unknown at
        #: first, then as the last cycle counted them.
        self._orphans = True
        #: Keys found, by key id (see `_key`).
        self._keys: dict[bytes, Key] = {}
        #: Timestamps of the blocks requests were read from, by block number (metrics only).
        self._block_times: dict[int, int] = {}
        #: Vote transactions found mined in this cycle, their latency not yet observed.
        self._untimed: list[tuple[Submission, Receipt, dict[bytes, str]]] = []
        #: The chain's tip as this cycle read it first (number, hash, timestamp).
        self._latest = BlockHead(0, b"", 0)
        #: Statuses this cycle read at its confirmed block, by request id: the verify stage
        #: reads them and the vote stage, at the same block, does not ask again.
        self._seen_statuses: tuple[int, dict[bytes, RequestStatus]] = (-1, {})

    #: Requests still moving through this process's pipeline, and those it moves on by itself
    #: without a new block (see `_OPEN`, `_LOCAL_WORK`).
    open_states: tuple[RequestState, ...] = _OPEN
    local_work: tuple[RequestState, ...] = _LOCAL_WORK
    #: Whether ingesting stores the `VerdictPosted` logs (the watcher judges them).
    records_posts = False

    def _check_account(self) -> None:
        """Refuse an account that cannot vote (unless in a dry run).

        Raises:
            ConfigError: the account is not in the oracle set.
        """
        chain = self.verifier.chain
        if not self.dry_run and not self.verifier.is_oracle(chain.address):
            raise ConfigError(
                f"account {chain.address} is not in the oracle set of {self.verifier.address}; "
                "the admin adds it with `pqoracle oracles announce` (or use --dry-run)"
            )

    def optimistic(self) -> OptimisticConfig:
        """The verifier's mode, read from the chain at most every `MODE_REFRESH_SECONDS`, and
        again once the contract refused a vote or a post (its mode or bond may have changed:
        a vote in optimistic mode or a post in quorum mode reverts, so acting on a stale mode
        costs a dry run, never a transaction) or a reorg was followed."""
        now = time.monotonic()
        if self._mode is None or now - self._mode_read >= MODE_REFRESH_SECONDS:
            try:
                self._mode = self.verifier.optimistic_config()
            except ContractRevertError:
                # A verifier older than 2.1 has no optimistic mode: it takes votes only.
                self._mode = OptimisticConfig()
            self._mode_read = now
        return self._mode

    # --- the loop ----------------------------------------------------------------------------

    def run(
        self,
        *,
        stop: threading.Event | None = None,
        max_cycles: int | None = None,
        until_settled: bool = False,
        timeout: float | None = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> CycleReport | None:
        """Run cycles every `poll_interval` until stopped; return the last cycle's report.

        Stops when `stop` is set, after `max_cycles`, once a cycle is `settled` (with
        `until_settled`), or after `timeout` seconds. Node failures (unreachable, rate limited,
        timeouts, JSON-RPC errors) and lost races in the store back off with jitter and resume.

        Raises:
            ChainResetError: the node no longer has the blocks the store read (see `reset_store`).
            StoreError: the database failed.
        """
        self._holding = True
        try:
            return self._run(stop, max_cycles, until_settled, timeout, on_cycle)
        finally:
            self._holding = False
            self.lead.release()

    def _run(
        self,
        stop: threading.Event | None,
        max_cycles: int | None,
        until_settled: bool,
        timeout: float | None,
        on_cycle: Callable[[CycleReport], None] | None,
    ) -> CycleReport | None:
        stop = stop or threading.Event()
        deadline = None if timeout is None else time.monotonic() + timeout
        report: CycleReport | None = None
        cycles = failures = 0
        outage_started = 0.0
        while not stop.is_set():
            moved = False
            try:
                report = self.run_once()
            except StoreConflictError as err:
                # Another process moved a row first; the next cycle starts from the new state.
                logger.info("lost a race in the store, skipping", extra={"error": str(err)})
            except _FATAL_CHAIN_ERRORS:
                raise
            except (ChainError, Web3RPCError, TimeoutError, ConnectionError) as err:
                if failures == 0:
                    outage_started = time.monotonic()
                failures += 1
                self.metrics.rpc_error(err)
                logger.warning(
                    "node request failed, retrying",
                    extra={"error": _one_line(err), "failures": failures},
                )
            else:
                if failures:
                    logger.info(
                        "node reachable again",
                        extra={
                            "failures": failures,
                            "outage_seconds": round(time.monotonic() - outage_started, 3),
                        },
                    )
                failures = 0
                moved = report.moved
                if on_cycle is not None:
                    on_cycle(report)
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                break
            if until_settled and report is not None and report.settled and failures == 0:
                break
            pause = self.settings.poll_interval
            if failures:
                # Jitter, so replicas and restarted processes do not hammer a node in step.
                pause = min(pause * 2**failures, MAX_BACKOFF) * random.uniform(0.5, 1.0)  # noqa: S311
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                pause = min(pause, remaining)
            # Active work (or an embedded chain) should not wait a full poll interval.
            if report is not None and not report.settled and failures == 0:
                pause = min(pause, 0.05)
            # A cycle that moved requests on is followed at once: under a flood of requests the
            # next ones are already there, and each pause is latency added to all of them.
            if moved:
                pause = 0
            stop.wait(pause)
        return report

    def run_once(self) -> CycleReport:
        """One cycle: follow the chain, ingest, verify, submit, settle (a replica that another
        one holds the operator's lock against only verifies).

        Raises:
            ChainError: the node failed or answered with an error (the next cycle resumes).
            ChainResetError: the node no longer has the blocks the store read.
            StoreConflictError: another process changed the store first (the next cycle resumes).
            StoreError: the database failed.
        """
        try:
            return self._cycle()
        finally:
            if not self._holding:
                self.lead.release()

    def _take_lead(self) -> bool:
        lead = self.lead.acquire()
        if lead != self._was_lead:
            logger.info(
                "this replica follows the chain and signs"
                if lead
                else "another replica holds the operator lock; verifying only",
                extra={"replica": self.replica},
            )
            self.metrics.lead.set(1 if lead else 0)
            self._was_lead = lead
            self._orphans = True  # the replica that held the lock may have rewound
        return lead

    def _cycle(self) -> CycleReport:
        chain = self.verifier.chain
        lead = self._take_lead()
        # While work flows (the last cycle moved), the newest block the store read is asked for
        # with the tip: `follow_chain` checks it without a round trip of its own.
        recorded = self.store.ingested_blocks(1) if lead and self._moved else None
        newest_on_node: bytes | None = None
        if recorded:
            self._latest, newest_on_node = chain.latest_and_hash(recorded[0][0])
        else:
            self._latest = chain.latest()
        self._seen_statuses = (-1, {})
        tip = (self._latest.number, self._latest.hash)
        quiet = self._quiet
        if quiet is not None and self._still_quiet(quiet, tip, lead):
            safe = max(tip[0] - self.settings.confirmations, 0)
            self._log_waiting(tip[0], safe, quiet.counts, quiet.unsettled)
            self._moved = False
            return quiet.report
        self._quiet = None
        self._deferred = False
        head = tip[0]
        safe = max(head - self.settings.confirmations, 0)
        rewound_to = None
        new_keys = new_requests = 0
        if lead:
            seen = None if recorded is None else (recorded, newest_on_node)
            rewound_to = self.follow_chain(head, seen)
            if rewound_to is not None:
                self._closing = []  # read from blocks the reorg took away
            ingested_to, new_keys, new_requests = self.ingest(safe, head=tip)
        else:
            ingested_to = self.store.next_block(default=self.settings.start_block) - 1
        caught_up = ingested_to >= safe
        self._flooded = new_requests > 0
        if caught_up and lead and (self._orphans or rewound_to is not None):
            self.resolve_orphans(safe)
        verified, rejected = self.verify_pending(safe)
        submitted = finalised = 0
        # Asked again: the lock's connection may have died during the cycle.
        if not self.dry_run and lead and self._take_lead():
            submitted, finalised = self.act(safe)
        elif self.dry_run and lead:
            submitted, finalised = self.observe(safe)
        if not self._deferred:
            # Whatever `act` (or `observe`) left of them: a watcher's, a dry run's.
            self._close_logged(safe)
            self._time_mined_votes()
        counts = self.store.counts()
        # Only a rewind orphans requests: the next cycles look for them while the store has some.
        self._orphans = counts[RequestState.ORPHANED] > 0
        open_states = [
            s for s in self.open_states if s is not RequestState.VERIFIED or not self.dry_run
        ]
        transactions = {} if self.dry_run else self.store.unsettled_counts(chain.address)
        unsettled = sum(transactions.values())
        report = CycleReport(
            head=head,
            ingested_to=ingested_to,
            new_keys=new_keys,
            new_requests=new_requests,
            verified=verified,
            rejected=rejected,
            submitted=submitted,
            finalised=finalised,
            open_requests=sum(counts[state] for state in open_states)
            + unsettled
            + self.other_open_work()
            + (0 if caught_up else 1),
            rewound_to=rewound_to,
        )
        self._moved = report.moved
        self.metrics.observe_cycle(report, counts, transactions, self.settings.confirmations)
        # A cycle that held settling back is followed by one that settles: under steady traffic
        # (requests in every block) that one runs in the wait for the next block.
        if (
            caught_up
            and rewound_to is None
            and not self._deferred
            and not any(counts[s] for s in self.local_work)
        ):
            # The cycles it stands for do nothing: they report the state, not the work.
            idle = replace(
                report,
                new_keys=0,
                new_requests=0,
                verified=0,
                rejected=0,
                submitted=0,
                finalised=0,
            )
            self._quiet = _Quiet(tip, lead, counts, unsettled, time.monotonic(), idle)
        if new_requests or verified or rejected or submitted or finalised:
            logger.info(
                "cycle",
                extra={
                    "head": head,
                    "block": ingested_to,
                    "new_requests": new_requests,
                    "verified": verified,
                    "rejected": rejected,
                    "submitted": submitted,
                    "finalised": finalised,
                },
            )
        else:
            self._log_waiting(head, safe, counts, unsettled)
        return report

    def act(self, safe: int) -> tuple[int, int]:
        """What the lead replica sends: vote (or post) on verified requests, then settle earlier
        transactions, then close those the chain closed; return (votes or posts broadcast,
        requests finalised). Signing first keeps settling off the path of the newest verdicts,
        and under a flood settling and closing wait (see `SETTLE_DEFER_SECONDS`)."""
        submitted, closed = self.submit_verified(safe)
        if self._flooded and not self._settle_now:
            now = time.monotonic()
            if self._held_since is None:
                self._held_since = now
            if now - self._held_since < SETTLE_DEFER_SECONDS:
                self._deferred = True
                return submitted, closed
        self._held_since = None
        self._settle_now = False
        self._close_logged(safe)
        finalised = closed + self.settle(safe)
        finalised += self.close_voted(safe)
        return submitted, finalised

    def observe(self, safe: int) -> tuple[int, int]:
        """What the lead replica of a dry run does besides verifying (nothing: it sends nothing);
        returns (transactions broadcast, requests finalised)."""
        return 0, 0

    def other_open_work(self) -> int:
        """Work besides requests and transactions that keeps a cycle from being settled."""
        return 0

    def _still_quiet(self, quiet: _Quiet, tip: tuple[int, bytes], lead: bool) -> bool:
        """Whether nothing a cycle reads moved since the last quiet one: the same head block
        (number and hash), lead and store counts, within the time after which an unmined
        transaction may need its bytes sent again (the one thing that changes with time alone).
        Every check runs again on the next block."""
        if quiet.head != tip or quiet.lead != lead:
            return False
        limit = min(LOST_RESEND_AFTER, self.settings.rebroadcast_interval)
        if time.monotonic() - quiet.since >= limit:
            return False
        return self.store.counts() == quiet.counts

    # --- 0. follow the chain -----------------------------------------------------------------

    def follow_chain(
        self, head: int, seen: tuple[list[tuple[int, bytes]], bytes | None] | None = None
    ) -> int | None:
        """Check the last block read is still the node's; after a reorg, rewind and return the
        block rewound to. `seen`: the store's newest recorded block (a list of at most one, as
        `Store.ingested_blocks(1)` gives it) and the node's hash of it, when the caller read them
        already (with the head). The older recorded blocks are read only after a reorg.

        Raises:
            ChainResetError: the node lacks that block, or shares none of the recorded ones
                (unless `reset_store`: then the store starts over and None is returned).
        """
        recorded = self.store.ingested_blocks(1) if seen is None else seen[0]
        if not recorded:
            return None
        newest, newest_hash = recorded[0]
        if newest > head:
            self._chain_reset(
                f"the node's head {head} is behind block {newest}, which the store has read",
                block=newest,
            )
            return None
        chain = self.verifier.chain
        on_node = chain.block_hash(newest) if seen is None else seen[1]
        if on_node == newest_hash:
            return None
        recorded = self.store.ingested_blocks()
        fork = self._fork_point(recorded)
        if fork is None:
            self._chain_reset(
                f"none of the last {len(recorded)} blocks the store read (down to block "
                f"{recorded[-1][0]}) is on the node's chain",
                block=newest,
            )
            return None
        result = self.store.rewind(fork)
        self._block_times.clear()
        self._mode = None
        # The node's count of this account's transactions may have gone back with the blocks.
        chain.nonces.reset()
        self.metrics.reorgs.inc()
        record_event(
            self.store,
            SecurityEventType.REORG,
            f"blocks {fork + 1}..{newest} that the store had read (at least "
            f"{self.settings.confirmations} confirmations deep) were replaced; head {head}; "
            f"re-reading from block {fork + 1} ({result.orphaned_requests} requests orphaned, "
            f"{result.reopened_requests} reopened, {result.reopened_submissions} transactions "
            "to settle again)",
            block_number=fork,
        )
        return fork

    def _fork_point(self, recorded: list[tuple[int, bytes]]) -> int | None:
        """The newest recorded block the node still has (binary search: blocks are chained, so
        the ones still matching are exactly the older part of the list)."""
        chain = self.verifier.chain

        def matches(index: int) -> bool:
            number, block_hash = recorded[index]
            return chain.block_hash(number) == block_hash

        low, high = 1, len(recorded) - 1
        if high < low or not matches(high):
            return None
        # Invariant: recorded[high] matches, recorded[low - 1] does not.
        while low < high:
            middle = (low + high) // 2
            if matches(middle):
                high = middle
            else:
                low = middle + 1
        return recorded[high][0]

    def _chain_reset(self, reason: str, *, block: int) -> None:
        chain = self.verifier.chain
        if not self.reset_store:
            record_event(self.store, SecurityEventType.CHAIN_RESET, reason, block_number=block)
            raise ChainResetError(
                f"{reason}: {chain.where} was reset or serves another chain; check --rpc-url, "
                "or restart with --reset-store to follow this chain from a fresh store"
            )
        self.store.reset()
        self._block_times.clear()
        chain.nonces.reset()
        self.log_window = self.settings.log_window
        record_event(
            self.store,
            SecurityEventType.CHAIN_RESET,
            f"{reason}; following the node's chain from a fresh store (--reset-store)",
            block_number=block,
        )

    # --- 1. ingest ---------------------------------------------------------------------------

    def ingest(self, safe: int, *, head: tuple[int, bytes] | None = None) -> tuple[int, int, int]:
        """Read confirmed logs window by window; return (last block read, keys, requests). With
        the `head` block (number, hash) the cycle has just read, a window ending there is not
        asked for its end's hash again.

        Raises:
            ChainError: the node failed, or its logs and block hashes disagree (a reorg is
                under way; the next cycle follows it).
        """
        start = self.store.next_block(default=self.settings.start_block)
        new_keys = new_requests = 0
        windows = 0
        while windows < self.settings.max_windows_per_cycle and start <= safe:
            end = min(start + self.log_window - 1, safe)
            if head is not None and end == head[0]:
                end_hash: bytes | None = head[1]
            else:
                end_hash = self.verifier.chain.block_hash(end)
            if end_hash is None:
                break
            try:
                # The window's end is on the chain: its hash was just read.
                events = self.verifier.events(start, end, known_head=end)
            except NodeRequestError as err:
                if not err.result_cap or end == start:
                    raise
                self.metrics.rpc_error(err)
                self.log_window = max(1, (end - start + 1) // 2)
                logger.warning(
                    "node capped a log query, halving the window",
                    extra={"from_block": start, "to_block": end, "window": self.log_window},
                )
                windows += 1
                continue
            windows += 1
            new_keys_window, new_requests_window = self._ingest_window(
                events, start, end, end_hash, safe
            )
            new_keys += new_keys_window
            new_requests += new_requests_window
            start = end + 1
        return start - 1, new_keys, new_requests

    def _ingest_window(
        self,
        events: list[VerifierEvent],
        start: int,
        end: int,
        end_hash: bytes,
        safe: int,
    ) -> tuple[int, int]:
        keys: list[Key] = []
        requests: list[Request] = []
        posts: list[PostedVerdict] = []
        closing: list[VerificationFinalized | RequestCancelled] = []
        disputes: list[VerificationDisputed] = []
        blocks = self._canonical_blocks(events, end, end_hash)
        for event in events:
            if blocks.get(event.block_number) != event.block_hash:
                request_id = getattr(event, "request_id", None)
                record_event(
                    self.store,
                    SecurityEventType.LOG_BLOCK_MISMATCH,
                    f"a {type(event).__name__} log names block {event.block_number} with a "
                    "hash the chain does not have; it is ignored",
                    request_id=request_id,
                    tx_hash=event.tx_hash,
                    block_number=event.block_number,
                )
            elif isinstance(event, KeyRegistered):
                key = self._checked_key(event)
                if key is not None:
                    keys.append(key)
            elif isinstance(event, VerificationRequested):
                requests.append(event.to_request())
                if event.block_timestamp is not None:
                    self._note_block_time(event.block_number, event.block_timestamp)
            elif isinstance(event, VerificationFinalized | RequestCancelled):
                closing.append(event)
            elif isinstance(event, VerificationDisputed):
                disputes.append(event)
            elif isinstance(event, VerdictPosted) and self.records_posts:
                posts.append(event.to_posted())
        result = self.store.ingest(
            keys=keys, requests=requests, blocks=blocks, next_block=end + 1, posts=posts
        )
        self.metrics.requests_seen.inc(result.new_requests)
        for request_id in result.conflicts:
            record_event(
                self.store,
                SecurityEventType.COMMITMENT_MISMATCH,
                f"a log for request {_hex(request_id)} carries other bytes than the one stored, "
                "with no reorg of the blocks read: the stored request is kept",
                request_id=request_id,
            )
        for dispute in disputes:
            record_event(
                self.store,
                SecurityEventType.VOTE_DISPUTED,
                f"oracle {dispute.oracle} voted {'valid' if dispute.valid else 'invalid'} on "
                f"request {_hex(dispute.request_id)} against a vote already counted "
                f"({dispute.valid_votes} valid, {dispute.invalid_votes} invalid)",
                request_id=dispute.request_id,
                tx_hash=dispute.tx_hash,
                block_number=dispute.block_number,
            )
        if result.replaced or result.restored:
            logger.info(
                "requests read again after a reorg",
                extra={"replaced": result.replaced, "restored": result.restored},
            )
        # Checked after this cycle's votes are out (see `_close_logged`).
        self._closing.extend(closing)
        logger.debug("ingested", extra={"from_block": start, "to_block": end})
        return result.new_keys, result.new_requests

    def _canonical_blocks(
        self, events: list[VerifierEvent], end: int, end_hash: bytes
    ) -> dict[int, bytes]:
        """The chain's hash of every block the logs name. A block whose logs all name one hash
        is taken at their word (a wrong one only makes a later rewind go deeper); the window's
        end, and any block named with two hashes, are asked of the node.

        Raises:
            ChainError: no log of a block names the node's hash for it: a reorg is under way.
        """
        named: dict[int, set[bytes]] = {}
        for event in events:
            named.setdefault(event.block_number, set()).add(event.block_hash)
        blocks = {end: end_hash}
        doubtful = [n for n, hashes in named.items() if n != end and len(hashes) > 1]
        asked = self.verifier.chain.block_hashes(doubtful) if doubtful else {}
        for number, hashes in named.items():
            if number != end and len(hashes) == 1:
                blocks[number] = next(iter(hashes))
                continue
            canonical = end_hash if number == end else asked.get(number)
            if canonical not in hashes:
                raise ChainError(
                    f"no log the node returned for block {number} names the block's own hash: "
                    "a reorg is under way"
                )
            blocks[number] = canonical
        return blocks

    def _checked_key(self, event: KeyRegistered) -> Key | None:
        """The logged key if it hashes to its key id; otherwise a security event and None."""
        return checked_key(self.store, event)

    def _close_logged(self, safe: int) -> None:
        """Close the requests whose closing logs were read, once the contract confirms them.
        Done after the cycle's votes are sent, and under a flood with settling (see `act`):
        each window holds the previous votes' `VerificationFinalized` logs, and checking them
        first delayed the votes on the newest requests. Logs from blocks a reorg took away are
        dropped (see `_cycle`), as are those of a check that failed: settling and `close_voted`
        read the same closings from the contract."""
        closing, self._closing = self._closing, []
        self._finalise_all(self._check_closing_logs(closing, safe), safe)

    def _check_closing_logs(
        self, events: list[VerificationFinalized | RequestCancelled], safe: int
    ) -> list[tuple[StoredRequest, RequestStatus]]:
        """A `VerificationFinalized` or `RequestCancelled` log is a hint: the contract decides.
        Returns each open request whose log the contract confirms, with its status (the
        requests and their statuses read together)."""
        if not events:
            return []
        stored = self.store.requests(e.request_id for e in events)
        hinted = [
            (e, found)
            for e in events
            if (found := stored.get(e.request_id)) is not None
            and found.state is not RequestState.FINAL
        ]
        statuses = self.verifier.statuses_of([e.request_id for e, _ in hinted], block=safe)
        confirmed: dict[bytes, tuple[StoredRequest, RequestStatus]] = {}
        for (event, found), status in zip(hinted, statuses, strict=True):
            if self._check_closing_log(event, status, safe):
                confirmed.setdefault(event.request_id, (found, status))
        return list(confirmed.values())

    def _check_closing_log(
        self, event: VerificationFinalized | RequestCancelled, status: RequestStatus, safe: int
    ) -> bool:
        """Whether the contract's `status` at `safe` confirms the closing log; a security event
        when it does not."""
        if isinstance(event, VerificationFinalized):
            claimed = "valid" if event.valid else "invalid"
            honest = status.status.is_final and status.verdict == event.valid
        else:
            claimed = "cancelled"
            honest = status.status is Status.CANCELLED
        if honest:
            return True
        record_event(
            self.store,
            SecurityEventType.FALSE_FULFILMENT_LOG,
            f"a {type(event).__name__} log in block {event.block_number} says request "
            f"{_hex(event.request_id)} is {claimed}; the contract reports "
            f"{status.status.label} at block {safe}",
            request_id=event.request_id,
            tx_hash=event.tx_hash,
            block_number=event.block_number,
        )
        return False

    def resolve_orphans(self, safe: int) -> None:
        """Requests a reorg orphaned and the new chain's logs did not bring back: those the
        contract does not hold at the confirmed block leave the pipeline."""
        orphans = self.store.requests_in(RequestState.ORPHANED, self.settings.batch_size)
        statuses = self.verifier.statuses_of([o.request.request_id for o in orphans], block=safe)
        for stored, status in zip(orphans, statuses, strict=True):
            request_id = stored.request.request_id
            if status.status is Status.NONE:
                self.store.vanish(request_id, f"a reorg removed it: none at block {safe}")
                logger.info("request vanished in a reorg", extra={"request_id": request_id})
            else:
                self.store.note(
                    request_id,
                    f"the contract holds it at block {safe} but the node returned no log for "
                    "it on the new chain",
                )

    # --- 2. verify ---------------------------------------------------------------------------

    def verify_pending(self, safe: int) -> tuple[int, int]:
        """Claim a batch of pending requests, verify those the chain backs and record the
        verdicts in one transaction; return (verified, rejected)."""
        batch = self.store.claim_pending(
            self.replica, limit=self.settings.batch_size, lease=self.settings.lease_seconds
        )
        if not batch:
            return 0, 0
        rejected = 0
        ready: list[tuple[StoredRequest, Key]] = []
        # The contract's view of the whole batch in one call, not two per request.
        states = self.verifier.states_of(
            [(s.request.request_id, s.request.terms) for s in batch], block=safe
        )
        seen = self._seen_statuses[1] if self._seen_statuses[0] == safe else {}
        for stored, (status, _) in zip(batch, states, strict=True):
            seen[stored.request.request_id] = status
        self._seen_statuses = (safe, seen)
        keys: dict[bytes, Key | None] = {}
        for stored, (status, held) in zip(batch, states, strict=True):
            key = self._backed(stored, status, held, keys, safe)
            if key is None:
                rejected += 1
            else:
                ready.append((stored, key))
        workers = min(self.settings.verify_workers, len(ready))
        if workers > 1:
            with ThreadPoolExecutor(workers, thread_name_prefix="verify") as pool:
                verdicts = list(pool.map(self._verdict, ready))
        else:
            verdicts = [self._verdict(item) for item in ready]
        retry: dict[bytes, str] = {
            v.request_id: v.retry_reason for v in verdicts if v.retry_reason is not None
        }
        recorded = set(
            self.store.record_verdicts(
                [(v.request_id, v.valid) for v in verdicts if v.valid is not None],
                self.backend.name,
                owner=self.replica,
                notes=retry,
            )
        )
        for verdict in verdicts:
            if verdict.valid is not None and verdict.request_id in recorded:
                self.metrics.verdict(verdict.valid)
                logger.info(
                    "verified",
                    extra={"request_id": verdict.request_id, "valid": verdict.valid},
                )
            elif verdict.request_id in retry:
                logger.error(
                    "cannot verify now",
                    extra={"request_id": verdict.request_id, "reason": retry[verdict.request_id]},
                )
        return len(recorded), rejected

    def _backed(
        self,
        stored: StoredRequest,
        status: RequestStatus,
        committed: bool,
        keys: dict[bytes, Key | None],
        safe: int,
    ) -> Key | None:
        """The request's key if the contract at the confirmed block backs the logged request:
        it exists (`status`), holds the logged terms (`committed`), the payload hashes to their
        commitment and the key to its id. Otherwise the request leaves the pipeline with a
        security event and None is returned. `keys` holds the keys this batch looked up."""
        request = stored.request
        request_id = request.request_id
        if status.status is Status.NONE:
            reason = f"the contract holds no request {_hex(request_id)} at block {safe}"
            self._leave(stored, reason, SecurityEventType.REQUEST_NOT_ON_CHAIN, vanish=True)
            return None
        recomputed = commitment(request.key_id, request.message, request.context, request.signature)
        if recomputed != request.commitment:
            self._leave(
                stored,
                "logged payload does not match its commitment",
                SecurityEventType.PAYLOAD_MISMATCH,
            )
            return None
        if not committed:
            self._leave(
                stored,
                f"the contract holds other terms for request {_hex(request_id)}",
                SecurityEventType.COMMITMENT_MISMATCH,
            )
            return None
        if request.key_id not in keys:
            keys[request.key_id] = self._key(request.key_id, safe)
        key = keys[request.key_id]
        if key is None:
            self._leave(
                stored,
                f"no log carries a key that hashes to key id 0x{request.key_id.hex()}",
                SecurityEventType.KEY_UNAVAILABLE,
            )
            return None
        return key

    def _leave(
        self,
        stored: StoredRequest,
        reason: str,
        kind: SecurityEventType,
        *,
        vanish: bool = False,
    ) -> None:
        request = stored.request
        try:
            if vanish:
                self.store.vanish(request.request_id, reason)
            else:
                self.store.reject(request.request_id, reason)
        except StoreConflictError:
            return
        record_event(
            self.store,
            kind,
            f"request {_hex(request.request_id)} is not verified: {reason}",
            request_id=request.request_id,
            key_id=request.key_id,
            tx_hash=request.tx_hash,
            block_number=request.block_number,
        )
        logger.warning(
            "request rejected", extra={"request_id": request.request_id, "reason": reason}
        )

    def _verdict(self, item: tuple[StoredRequest, Key]) -> _Verdict:
        stored, key = item
        request = stored.request
        try:
            valid = verify(
                key.algorithm_id,
                key.public_key,
                request.message,
                request.signature,
                request.context,
                backend=self.backend,
            )
        except (BackendCapabilityError, BackendUnavailableError) as err:
            return _Verdict(request.request_id, None, retry_reason=str(err))
        except CryptoError as err:
            # A request the contract accepted but ML-DSA cannot check is not a valid signature.
            logger.info(
                "malformed request", extra={"request_id": request.request_id, "error": str(err)}
            )
            valid = False
        return _Verdict(request.request_id, valid)

    def _statuses_at(self, ids: Sequence[bytes], safe: int) -> list[RequestStatus]:
        """The statuses of `ids` at the confirmed block: those this cycle's verify stage read
        there already, the others asked of the node in one call."""
        seen = self._seen_statuses[1] if self._seen_statuses[0] == safe else {}
        missing = [request_id for request_id in ids if request_id not in seen]
        asked = dict(zip(missing, self.verifier.statuses_of(missing, block=safe), strict=True))
        return [seen[request_id] if request_id in seen else asked[request_id] for request_id in ids]

    def _key(self, key_id: bytes, safe: int) -> Key | None:
        """The key with `key_id`: from memory (a key id is the hash of its algorithm and key,
        so a key found once is that id's key for good), else the store, else its log."""
        key = self._keys.get(key_id)
        if key is None:
            key = self.store.key(key_id) or self._recover_key(key_id, safe)
            if key is not None:
                if len(self._keys) >= KEYS_KEPT:
                    del self._keys[next(iter(self._keys))]  # the longest kept
                self._keys[key_id] = key
        return key

    def _recover_key(self, wanted: bytes, safe: int) -> Key | None:
        """A key registered before the first window: find its log through `keyOf`."""
        return find_key(self.store, self.verifier, wanted, block=safe)

    # --- 3. settle ---------------------------------------------------------------------------

    def settle(self, safe: int) -> int:
        """Bring every recorded transaction and submitted request in line with the chain;
        return how many requests became final."""
        self._settle_transactions(safe)
        closing: list[tuple[StoredRequest, RequestStatus]] = []
        counted: list[bytes] = []
        submitted = self.store.requests_in(RequestState.SUBMITTED, self.settings.batch_size)
        ids = [s.request.request_id for s in submitted]
        statuses = self.verifier.statuses_of(ids, block=safe)
        in_flight = self.store.open_submissions(ids)
        outcomes = self.store.last_outcomes(ids)
        for stored, status in zip(submitted, statuses, strict=True):
            request_id = stored.request.request_id
            if status.status.is_closed:
                closing.append((stored, status))
                continue
            if request_id in in_flight:
                continue
            outcome = outcomes.get(request_id)
            try:
                if outcome in _COUNTED:
                    counted.append(request_id)
                elif outcome in ("skipped: terms_mismatch", "skipped: unknown_request"):
                    self._leave_submitted(stored, outcome, safe)
                else:
                    self.store.retry(request_id, f"its vote did not count ({outcome})")
            except StoreConflictError:
                continue
        if counted:
            self.store.mark_all_voted(counted)
        self._finalise_all(closing, safe)
        return len(closing)

    def _leave_submitted(self, stored: StoredRequest, outcome: str, safe: int) -> None:
        request = stored.request
        if self.verifier.is_committed(request.request_id, request.terms, block=safe):
            # The contract holds the request as stored: the vote was signed for bytes a reorg
            # replaced under the same id before it was mined again. Vote on the new bytes.
            self.store.retry(request.request_id, f"its vote carried replaced terms ({outcome})")
            return
        self.store.retry(request.request_id, outcome)
        refreshed = self.store.request(stored.request.request_id)
        if refreshed is not None:
            self._leave(
                refreshed,
                f"the contract refused this oracle's vote at block {safe} ({outcome})",
                SecurityEventType.COMMITMENT_MISMATCH,
            )

    def close_voted(self, safe: int) -> int:
        """Requests this oracle voted on: final once the quorum (or the deadline) closes them.
        In optimistic mode, this oracle's posts are finalised once their window is over, and a
        request no post holds any more is posted on again."""
        voted = self.store.requests_in(RequestState.VOTED, self.settings.batch_size)
        statuses = self.verifier.statuses_of([s.request.request_id for s in voted], block=safe)
        closing: list[tuple[StoredRequest, RequestStatus]] = []
        posted: list[StoredRequest] = []
        unheld: list[StoredRequest] = []
        for stored, status in zip(voted, statuses, strict=True):
            if status.status.is_closed:
                closing.append((stored, status))
            elif status.status is Status.POSTED:
                posted.append(stored)
            elif status.status is Status.PENDING:
                unheld.append(stored)
        self._finalise_all(closing, safe)
        if posted:
            self._finalize_posts(posted)
        if unheld and self.optimistic().enabled:
            self._reopen_unheld(unheld, safe)
        return len(closing)

    def _settle_transactions(self, safe: int) -> None:
        chain = self.verifier.chain
        open_transactions = self.store.unsettled_submissions(chain.address)
        if not open_transactions:
            return
        # Read before the receipts: a transaction mined in between still has its receipt below.
        # Counted at the confirmed block, not the head: a reorg between this read and a receipt
        # lookup can give back nonces spent at the head (a vote of ours whose block went would
        # look taken by another and be given up for good, a nonce gap nothing later passes);
        # an unsettled transaction's nonce is below this count only when another transaction
        # took it `confirmations` deep.
        spent, known, head = chain.account_counts(chain.address, safe)
        # All of them in one request, each read after the counts above.
        receipts = self.verifier.lookup_receipts([s.tx_hash for s in open_transactions])
        mined: list[Mined] = []
        try:
            self._settle_each(open_transactions, receipts, mined, safe, spent, known, head)
        finally:
            # Every receipt read in one database transaction, whatever stopped the loop.
            self.store.record_all_mined(mined)

    def _settle_each(
        self,
        open_transactions: list[Submission],
        receipts: dict[bytes, Receipt | None],
        mined: list[Mined],
        safe: int,
        spent: int,
        known: int,
        head: int,
    ) -> None:
        now = datetime.now(UTC)
        # Ordered by nonce, then age: the last of a nonce is its newest version, the one handed
        # to the node; replaced versions are only looked up (whichever is mined spends it).
        newest = {submission.nonce: submission.tx_hash for submission in open_transactions}
        for submission in open_transactions:
            receipt = receipts[submission.tx_hash]
            if receipt is not None:
                confirmed = receipt.block_number <= safe
                if (
                    submission.state is SubmissionState.SIGNED
                    or submission.block_hash != receipt.block_hash
                    or confirmed != submission.confirmed
                ):
                    outcomes = self._outcomes(submission, receipt)
                    mined.append(
                        Mined(
                            submission.tx_hash,
                            receipt.succeeded,
                            receipt.block_number,
                            receipt.block_hash,
                            receipt.gas_used,
                            confirmed,
                            outcomes,
                        )
                    )
                if submission.state is SubmissionState.SIGNED:
                    logger.info(
                        "votes mined" if receipt.succeeded else "vote transaction reverted",
                        extra={
                            "votes": len(submission.votes),
                            "tx_hash": submission.tx_hash,
                            "block": receipt.block_number,
                            "gas_used": receipt.gas_used,
                        },
                    )
                    # One line per request too: an operator follows a request id to its vote.
                    for request_id, _ in submission.votes:
                        logger.info(
                            "vote mined",
                            extra={
                                "request_id": request_id,
                                "tx_hash": submission.tx_hash,
                                "block": receipt.block_number,
                                "outcome": outcomes.get(request_id),
                            },
                        )
                    # Timed at the end of the cycle: a metric, kept off the path to the votes
                    # this cycle still has to sign.
                    self._untimed.append((submission, receipt, outcomes))
                continue
            lost = submission.state is not SubmissionState.SIGNED
            if lost:
                self.store.record_unmined(submission.tx_hash)
                logger.warning(
                    "vote transaction's block was replaced, sending it again",
                    extra={"tx_hash": submission.tx_hash, "nonce": submission.nonce},
                )
            if submission.nonce < spent:
                # No receipt, and the account has used this nonce: another transaction took it.
                self.store.record_dropped(submission.tx_hash)
                logger.warning(
                    "vote transaction's nonce went to another transaction",
                    extra={"tx_hash": submission.tx_hash, "nonce": submission.nonce},
                )
                continue
            if newest[submission.nonce] != submission.tx_hash:
                continue
            if self.withdraw_stale(submission, head):
                continue
            if submission.sent_block is None and submission.sends:
                # Sent by the submit stage, which does not read the head.
                self.store.record_send_attempt(submission.tx_hash, head)
            elif self._replace_due(submission, spent, head) and self._replace(submission, head):
                continue
            if lost or self._resend_due(submission, known, now):
                self._broadcast(submission.tx_hash, submission.raw_tx, submission.nonce, head=head)

    def withdraw_stale(self, submission: Submission, head: int) -> bool:
        """Whether an unmined transaction must not go out again (the watcher cancels a challenge
        whose post a reorg took away); a vote or a post always goes out."""
        return False

    def _replace_due(self, submission: Submission, spent: int, head: int) -> bool:
        """Whether the account's next transaction to mine has waited `replace_after_blocks`
        since it was first handed to a node (the ones behind it wait for it, not for their
        price). A version recorded and never handed over (a crash after recording it) is sent
        as it is first."""
        blocks = self.settings.replace_after_blocks
        if blocks == 0 or submission.sent_block is None or submission.nonce != spent:
            return False
        if submission.state is not SubmissionState.SIGNED:
            return False
        # At the cap: try again every `blocks` (the operator may have raised it), not each cycle.
        since = max(submission.sent_block, self._capped.get(submission.tx_hash, -1))
        return head - since >= blocks

    def _replace(self, stuck: Submission, head: int) -> bool:
        """Sign a replacement of `stuck` with bumped fees, record it, then broadcast it; at the
        fee cap, report once and leave `stuck` waiting. Returns whether one was recorded."""
        try:
            signed = self.verifier.sign_replacement(stuck.raw_tx)
        except FeeCapError as err:
            self._capped[stuck.tx_hash] = head
            if self.store.record_fee_capped(stuck.tx_hash):
                self.metrics.fee_cap_reached.inc()
                record_event(
                    self.store,
                    SecurityEventType.FEE_CAP_REACHED,
                    f"vote transaction {_hex(stuck.tx_hash)} (nonce {stuck.nonce}, "
                    f"{len(stuck.votes)} votes) is not mined {head - (stuck.sent_block or head)} "
                    f"blocks after it was sent and is not replaced: {err}; it waits at its fees",
                    tx_hash=stuck.tx_hash,
                    block_number=head,
                )
            return False
        try:
            self.store.record_replacement(stuck.tx_hash, tx_hash=signed.tx_hash, raw_tx=signed.raw)
        except StoreConflictError:
            return False  # mined or replaced meanwhile; this signature is never sent
        self._capped.pop(stuck.tx_hash, None)
        self.metrics.replacements.inc()
        logger.warning(
            "vote transaction not mined, replaced with higher fees",
            extra={
                "tx_hash": signed.tx_hash,
                "replaces": stuck.tx_hash,
                "nonce": stuck.nonce,
                "blocks_waited": head - (stuck.sent_block or head),
                "fees": str(fees_of(signed.raw)),
                "previous_fees": str(fees_of(stuck.raw_tx)),
            },
        )
        self._broadcast(signed.tx_hash, signed.raw, signed.nonce, head=head)
        return True

    def _time_mined_votes(self) -> None:
        untimed, self._untimed = self._untimed, []
        for submission, receipt, outcomes in untimed:
            self._time_votes(submission, receipt, outcomes)

    def _time_votes(
        self, submission: Submission, receipt: Receipt, outcomes: dict[bytes, str]
    ) -> None:
        """Observe each counted vote's latency: chain seconds from its request's block to the
        vote's block (block timestamps at both ends, so no clock but the chain's is read)."""
        counted = [rid for rid, _ in submission.votes if outcomes.get(rid) == "counted"]
        if not counted:
            return
        stored = self.store.requests(counted)
        blocks = [s.request.block_number for s in stored.values()]
        stamps = {b: self._block_times[b] for b in blocks if b in self._block_times}
        # The vote's block time from the receipt's own logs where the node gives it (Anvil and
        # geth do, as `blockTimestamp`); otherwise asked, with the blocks of requests that
        # carried none.
        mined_at = _logged_timestamp(receipt)
        asked = [b for b in blocks if b not in stamps]
        if mined_at is None:
            # Asked every time: the node may have lost the vote's block to a reorg since.
            asked.append(receipt.block_number)
        if asked:
            stamps.update(self.verifier.chain.block_timestamps(asked))
        if mined_at is None:
            mined_at = stamps.get(receipt.block_number)
        if mined_at is None:
            return  # a reorg took the vote's block away since its receipt was read
        for block in blocks:
            if block in stamps:
                self.metrics.latency.observe(max(mined_at - stamps[block], 0))

    def _note_block_time(self, block: int, timestamp: int) -> None:
        if len(self._block_times) >= _BLOCK_TIMES_KEPT:
            self._block_times.clear()
        self._block_times[block] = timestamp

    def _outcomes(self, submission: Submission, receipt: Receipt) -> dict[bytes, str]:
        """What the contract made of each vote, from the receipt's own logs."""
        if not receipt.succeeded:
            return {request_id: "reverted" for request_id, _ in submission.votes}
        me = self.verifier.chain.address
        outcomes: dict[bytes, str] = {}
        kind = submission.kind
        if kind is not SubmissionKind.VOTE:
            for event in self.verifier.events_in(receipt):
                if isinstance(event, VerdictPosted) and kind is SubmissionKind.POST:
                    mine = event.poster == me
                    outcomes.update({event.request_id: "posted"} if mine else {})
                elif isinstance(event, VerificationFinalized) and kind is SubmissionKind.FINALIZE:
                    outcomes[event.request_id] = "finalized"
                elif isinstance(event, VerdictChallenged) and kind is SubmissionKind.CHALLENGE:
                    if event.challenger != me:
                        continue
                    # The reward rides along: the watcher reports it from the store.
                    won = f"won {event.reward}" if event.overturned else "lost"
                    outcomes[event.request_id] = won
            if kind is SubmissionKind.CANCEL:
                outcomes = {request_id: "cancelled" for request_id, _ in submission.votes}
            return outcomes
        for event in self.verifier.events_in(receipt):
            if isinstance(event, VoteCast) and event.oracle == me:
                outcomes[event.request_id] = "counted"
            elif isinstance(event, VerificationFinalized):
                outcomes.setdefault(event.request_id, "counted")
            elif isinstance(event, VoteSkipped) and event.oracle == me:
                outcomes[event.request_id] = f"skipped: {event.reason}"
        return outcomes

    def _resend_due(self, submission: Submission, known: int, now: datetime) -> bool:
        if submission.last_sent_at is None:
            return True
        last = submission.last_sent_at
        if last.tzinfo is None:  # SQLite hands timestamps back without their zone
            last = last.replace(tzinfo=UTC)
        elapsed = (now - last).total_seconds()
        if submission.nonce >= known:
            # The node does not count it among this account's transactions: it lost it.
            return elapsed >= min(LOST_RESEND_AFTER, self.settings.rebroadcast_interval)
        return elapsed >= self.settings.rebroadcast_interval

    def _finalise(self, stored: StoredRequest, status: RequestStatus, block: int) -> None:
        self._finalise_all([(stored, status)], block)

    def _finalise_all(self, closing: list[tuple[StoredRequest, RequestStatus]], block: int) -> None:
        """Store every request read closed at `block` in one transaction, then report each."""
        if not closing:
            return
        self.store.mark_finals(
            [(stored.request.request_id, status.status) for stored, status in closing], block
        )
        for stored, status in closing:
            self._report_final(stored, status, block)

    def _report_final(self, stored: StoredRequest, status: RequestStatus, block: int) -> None:
        request_id = stored.request.request_id
        final = status.status.label
        verdict = status.verdict
        if verdict is not None and stored.verdict is not None and stored.verdict != verdict:
            self.metrics.disagreements.inc()
            record_event(
                self.store,
                SecurityEventType.VERDICT_DISAGREEMENT,
                f"the final verdict on request {_hex(request_id)} is {final} "
                f"({status.valid_votes} valid, {status.invalid_votes} invalid votes); this "
                f"oracle computed {'valid' if stored.verdict else 'invalid'}",
                request_id=request_id,
                key_id=stored.request.key_id,
                block_number=block,
            )
        logger.info(
            "finalised",
            extra={
                "request_id": request_id,
                "status": final,
                "valid_votes": status.valid_votes,
                "invalid_votes": status.invalid_votes,
                "block": block,
            },
        )

    # --- 4. submit ---------------------------------------------------------------------------

    def submit_verified(self, safe: int) -> tuple[int, int]:
        """Gather verdicts into vote batches; sign, record and broadcast each; return (votes
        broadcast, requests found closed already)."""
        batch, in_flight = self.store.verified_batch(self.settings.batch_size)
        if not batch:
            return 0, 0
        chain = self.verifier.chain
        closed = 0
        ballots: list[Vote] = []
        # Deadlines are in chain time, which a development node may move on its own: the tip
        # this cycle read (a vote past its deadline is skipped by the contract, not reverted).
        now = self._latest.timestamp
        confirming = self.settings.confirmations > 0
        closing: list[tuple[StoredRequest, RequestStatus]] = []
        ids = [s.request.request_id for s in batch]
        statuses = self._statuses_at(ids, safe)
        candidates: list[StoredRequest] = []
        posted: list[StoredRequest] = []
        for stored, status in zip(batch, statuses, strict=True):
            request = stored.request
            if status.status.is_closed:
                closing.append((stored, status))
                closed += 1
                continue
            if request.request_id in in_flight:
                self.store.promote(request.request_id)
                continue
            if status.status is Status.POSTED:
                posted.append(stored)
                continue
            if request.deadline <= now:
                continue  # too late for a vote; the contract will report it expired
            candidates.append(stored)
        if posted:
            self._defer_to_posts(posted, safe)
        if confirming and candidates:
            # Closed (or posted on) at the head, not yet at the confirmed block: a batch never
            # reverts, so no dry run would refuse these votes, and the contract would only skip
            # them. Wait for the confirmed block to show it (or a reorg to reopen them).
            at_head = self.verifier.statuses_of([s.request.request_id for s in candidates])
            candidates = [
                s
                for s, head in zip(candidates, at_head, strict=True)
                if not head.status.is_closed and head.status is not Status.POSTED
            ]
        for stored in candidates:
            request = stored.request
            assert stored.verdict is not None  # verified requests carry a verdict
            valid = stored.verdict != self.invert_verdicts
            ballots.append(Vote(request.request_id, valid, request.terms))
        self._finalise_all(closing, safe)
        mode = self.optimistic() if ballots else None
        if mode is not None and mode.enabled:
            if self._nonce_gap():
                return 0, closed
            return self._post_all(ballots, mode), closed
        size = self.settings.vote_batch_size
        if ballots and len(ballots) < size and self.settings.vote_batch_wait > 0:
            oldest = min(s.request.block_number for s in batch)
            waited = now - chain.block_timestamp(oldest)
            if waited < self.settings.vote_batch_wait:
                return 0, closed
        if not ballots:
            return 0, closed
        # Count nonces from the node's view every cycle: a reorg or a lost transaction moves it.
        chain.nonces.reset()
        highest = self._highest_recorded_nonce()
        submitted = 0
        for chunk in vote_batches(ballots, size):
            try:
                signed = self.verifier.sign_vote_batch(chunk)
            except ContractRevertError as err:
                # Paused, or this oracle left the set: nothing can go through now.
                for ballot in chunk:
                    self.store.note(ballot.request_id, str(err))
                self._refused(err)
                break
            if signed.nonce <= highest:
                # Signed on the node's pending count (read in the signing batch, no round trip
                # of its own), which does not yet hold every recorded vote: see `_nonce_gap`.
                # Nothing was recorded or sent; settling hands the node those bytes first.
                chain.nonces.reset()
                self._on_gap(signed.nonce, highest)
                break
            self._refusal = None
            if self._record_and_send(signed, chunk, SubmissionKind.VOTE):
                submitted += len(chunk)
                self.metrics.votes_sent.inc(len(chunk))
        return submitted, closed

    # --- optimistic mode ---------------------------------------------------------------------

    def _defer_to_posts(self, posted: list[StoredRequest], safe: int) -> None:
        """Verified requests that carry a post at the confirmed block wait for it (voted): this
        oracle's own post, or another's that won the race (skipped: the first post wins, and a
        post of this oracle would only revert)."""
        me = self.verifier.chain.address.lower()
        posts = self.verifier.posts_of([s.request.request_id for s in posted], block=safe)
        for stored, post in zip(posted, posts, strict=True):
            request_id = stored.request.request_id
            if not post.exists:
                continue
            ours = post.poster.lower() == me
            verdict = "valid" if post.valid else "invalid"
            note = "posted by this oracle" if ours else f"skipped: {post.poster} posted first"
            try:
                self.store.defer(request_id, note)
            except StoreConflictError:
                continue
            if not ours:
                self.metrics.posts_skipped.inc()
                logger.info(
                    "post skipped",
                    extra={"request_id": request_id, "poster": post.poster, "posted": verdict},
                )

    def _post_all(self, ballots: list[Vote], mode: OptimisticConfig) -> int:
        """Post each verdict (one `post` per request: the contract takes one ballot), as many as
        the free bond covers; sign, record and broadcast each. Returns the posts broadcast."""
        chain = self.verifier.chain
        chain.nonces.reset()
        free, _barred = self.verifier.bond_of(chain.address)
        covered = free // mode.bond if mode.bond else len(ballots)
        if covered < len(ballots):
            self._top_up_bond(mode, free, len(ballots))
        submitted = 0
        for ballot in ballots[:covered]:
            try:
                signed = self.verifier.sign_post(ballot)
            except ContractRevertError as err:
                if err.error_name in _POST_RACES:
                    # Another oracle's post (or the deadline) came first; the confirmed block
                    # will show which, and the request is then skipped or closed.
                    self.store.note(ballot.request_id, f"not posted: {err.error_name}")
                    logger.info(
                        "post raced",
                        extra={"request_id": ballot.request_id, "reason": err.error_name},
                    )
                    continue
                # Barred, paused, out of the set, not in optimistic mode: nothing goes through.
                self.store.note(ballot.request_id, str(err))
                self._refused(err)
                break
            self._refusal = None
            if self._record_and_send(signed, [ballot], SubmissionKind.POST):
                submitted += 1
                self.metrics.posts_sent.inc()
        return submitted

    def _top_up_bond(self, mode: OptimisticConfig, free: int, wanted: int) -> None:
        """The free bond covers fewer posts than are waiting: deposit enough for
        `bond_deposit_posts` posts (once: not while a deposit is unsettled), or report that the
        operator must (`pqoracle bond deposit`)."""
        chain = self.verifier.chain
        posts = self.settings.bond_deposit_posts
        if posts == 0:
            reason = (
                f"free bond {free} wei covers {free // mode.bond} of {wanted} posts waiting "
                f"(bond {mode.bond} wei per post); deposit with `pqoracle bond deposit`"
            )
            if self._refusal != "bond":
                self._refusal = "bond"
                record_event(
                    self.store,
                    SecurityEventType.FULFILMENT_REFUSED,
                    f"this oracle cannot post every verdict: {reason}",
                )
            return
        unsettled = self.store.unsettled_submissions(chain.address)
        if any(s.kind is SubmissionKind.BOND for s in unsettled):
            return
        amount = max(mode.bond * posts - free, mode.bond)
        try:
            signed = self.verifier.sign_deposit_bond(amount)
        except ContractRevertError as err:
            self._refused(err)
            return
        self.store.record_action(
            SubmissionKind.BOND,
            [],
            tx_hash=signed.tx_hash,
            sender=signed.sender,
            nonce=signed.nonce,
            raw_tx=signed.raw,
        )
        if self._broadcast(signed.tx_hash, signed.raw, signed.nonce):
            self.metrics.bond_deposits.inc()
            logger.info(
                "bond deposited", extra={"tx_hash": signed.tx_hash, "wei": amount, "free": free}
            )

    def _finalize_posts(self, posted: list[StoredRequest]) -> None:
        """Finalise this oracle's posts whose window is over (so the fee is paid and the
        consumer called back), one recorded `finalize` per post, none while one is unsettled."""
        chain = self.verifier.chain
        me = chain.address.lower()
        ids = [s.request.request_id for s in posted]
        in_flight = self.store.open_submissions(ids)
        posts = self.verifier.posts_of(ids)
        # The chain's clock; a development node that mines only on demand lags behind the wall
        # clock, and its next block will not: the dry run decides.
        now = max(chain.block_timestamp("latest"), int(time.time()))
        due = [
            (stored, post)
            for stored, post in zip(posted, posts, strict=True)
            if post.exists
            and post.poster.lower() == me
            and post.finalizes_at <= now
            and stored.request.request_id not in in_flight
        ]
        if not due or self._nonce_gap():
            return
        chain.nonces.reset()
        for stored, post in due:
            request = stored.request
            try:
                signed = self.verifier.sign_finalize(request.request_id, request.terms)
            except ContractRevertError as err:
                # The window is not over at the node's next block yet, or the request closed.
                logger.debug(
                    "not finalised yet",
                    extra={"request_id": request.request_id, "reason": err.error_name},
                )
                continue
            try:
                self.store.record_action(
                    SubmissionKind.FINALIZE,
                    [(request.request_id, post.valid)],
                    tx_hash=signed.tx_hash,
                    sender=signed.sender,
                    nonce=signed.nonce,
                    raw_tx=signed.raw,
                )
            except StoreConflictError:
                chain.nonces.reset()
                continue
            if self._broadcast(signed.tx_hash, signed.raw, signed.nonce):
                self.metrics.finalizations_sent.inc()
                logger.info(
                    "finalize sent",
                    extra={"request_id": request.request_id, "tx_hash": signed.tx_hash},
                )

    def _reopen_unheld(self, unheld: list[StoredRequest], safe: int) -> None:
        """In optimistic mode a request this oracle holds as posted on but that is pending at
        the confirmed block has no post any more (a reorg took it, or it was voted on before the
        switch to optimistic mode): post this oracle's verdict."""
        in_flight = self.store.open_submissions(s.request.request_id for s in unheld)
        for stored in unheld:
            request_id = stored.request.request_id
            if request_id in in_flight:
                continue
            try:
                self.store.reopen(request_id, f"no verdict is posted on it at block {safe}")
            except StoreConflictError:
                continue
            logger.info("no post holds the request, posting", extra={"request_id": request_id})

    def _nonce_gap(self) -> bool:
        """Whether the node lacks a transaction this account signed and recorded (a new one
        would sit behind the gap, or take its nonce); settling hands those bytes to the node
        again first.

        Mined transactions not yet `confirmations` deep count too: a reorg between this cycle's
        settling and its signing gives their nonces back to the node's count, and a new vote
        signed on one of them would push out the recorded one and its votes.
        """
        chain = self.verifier.chain
        highest = self._highest_recorded_nonce()
        if highest < 0:
            return False
        known = chain.transaction_count(chain.address, "pending")
        gap = known <= highest
        if gap:
            self._on_gap(known, highest)
        return gap

    def _highest_recorded_nonce(self) -> int:
        """The highest nonce of this account's unsettled transactions (-1 without any)."""
        return self.store.highest_unsettled_nonce(self.verifier.chain.address)

    def _on_gap(self, known: int, highest: int) -> None:
        """Signing waits until the node holds every recorded vote transaction, which settling
        sees to (it hands the node the bytes it lost): settle in this cycle, flood or not."""
        self._settle_now = True
        logger.debug(
            "waiting for the node to hold every recorded vote transaction before signing more",
            extra={"node_nonce": known, "highest_recorded": highest},
        )

    def _refused(self, err: ContractRevertError) -> None:
        # The mode (and a post's bond) may have changed since it was read: read it again.
        self._mode = None
        if err.error_name == "VerifierWrongMode":
            # Switched between quorum and optimistic mode: the next cycle acts in the new one.
            logger.info("the verifier's mode changed; reading it again")
            return
        reason = err.error_name or str(err)
        if reason == self._refusal:
            return
        self._refusal = reason
        record_event(
            self.store,
            SecurityEventType.FULFILMENT_REFUSED,
            f"the contract refuses this oracle's votes: {err}",
        )

    def _record_and_send(
        self, signed: SignedTransaction, ballots: Sequence[Vote], kind: SubmissionKind
    ) -> bool:
        """Record a signed vote batch or post, then hand it to the node; whether it went out.
        A signature another process recorded first for one of the ballots is never sent."""
        try:
            self.store.record_signed(
                [(ballot.request_id, ballot.valid) for ballot in ballots],
                tx_hash=signed.tx_hash,
                sender=signed.sender,
                nonce=signed.nonce,
                raw_tx=signed.raw,
                kind=kind,
            )
        except StoreConflictError:
            self.verifier.chain.nonces.reset()
            return False
        return self._broadcast(signed.tx_hash, signed.raw, signed.nonce)

    def _broadcast(
        self, tx_hash: bytes, raw: bytes, nonce: int, *, head: int | None = None
    ) -> bool:
        """Hand the recorded bytes to the node; with the `head`, the first attempt (accepted or
        refused) starts the wait for a replacement."""
        signed = SignedTransaction(tx_hash, raw, nonce, self.verifier.chain.address)
        try:
            self.verifier.broadcast(signed)
        except TransactionRejectedError as err:
            if head is not None:
                self.store.record_send_attempt(tx_hash, head)
            return self._refused_send(tx_hash, nonce, err)
        sends = self.store.record_sent(tx_hash, block=head)
        logger.info(
            "votes sent" if sends == 1 else "rebroadcast",
            extra={"tx_hash": tx_hash, "nonce": nonce, "sends": sends},
        )
        return True

    def _refused_send(self, tx_hash: bytes, nonce: int, err: TransactionRejectedError) -> bool:
        self.metrics.rpc_error(err)
        if isinstance(err, NonceConflictError):
            # Settling decides from the account's count whether another transaction took it.
            logger.warning(
                "node refused the nonce",
                extra={"tx_hash": tx_hash, "nonce": nonce, "error": str(err)},
            )
        else:
            logger.error(
                "node refused the vote transaction", extra={"tx_hash": tx_hash, "error": str(err)}
            )
        return False

    # --- operators ---------------------------------------------------------------------------

    def _log_waiting(
        self, head: int, safe: int, counts: dict[RequestState, int], unsettled: int
    ) -> None:
        """At most every `wait_log_interval`: what the daemon waits for, and why."""
        now = time.monotonic()
        if now - self._last_wait_log < self.settings.wait_log_interval:
            return
        unconfirmed = 0
        if head > safe:
            unconfirmed = len(self.verifier.events_of(VerificationRequested, safe + 1, head))
        waiting = unconfirmed + unsettled + sum(counts[state] for state in self.open_states)
        if not waiting:
            self._waited_head = None
            return
        self._last_wait_log = now
        extra: dict[str, object] = {
            "head": head,
            "safe_block": safe,
            "confirmations": self.settings.confirmations,
            "unconfirmed_requests": unconfirmed,
            "pending": counts[RequestState.PENDING] + counts[RequestState.VERIFIED],
            "submitted": counts[RequestState.SUBMITTED],
            "unsettled_transactions": unsettled,
        }
        if self._waited_head == head and self.settings.confirmations:
            extra["hint"] = (
                f"the head has not moved since the last line: a development node that mines a "
                f"block only when a transaction arrives (Anvil's default) never reaches "
                f"{self.settings.confirmations} confirmations; start it with --block-time 1"
            )
        self._waited_head = head
        logger.info("waiting for confirmations", extra=extra)


def _logged_timestamp(receipt: Receipt) -> int | None:
    """The timestamp of a receipt's block as its logs carry it, or None (no logs, or a node
    that does not put it in logs)."""
    for log in receipt.logs:
        stamp = log_timestamp(log)
        if stamp is not None:
            return stamp
    return None


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()
