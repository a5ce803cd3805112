"""The oracle daemon: confirmed logs → store → ML-DSA verdicts → fulfilment transactions.

Every cycle runs four idempotent stages, each deciding from the store and the contract's state
rather than from memory, so the process may be stopped at any instant and restarted:

1. ingest: read logs in bounded block windows from the stored cursor, `confirmations` blocks
   behind the head, and store keys, requests and verdicts posted by anyone (one transaction per
   window, cursor included);
2. verify: recompute each pending request's commitment from its logged payload, then verify the
   ML-DSA signature off-chain and store the verdict;
3. submit: for each verdict, check the request is still open, dry-run and sign `fulfill`, record
   the signed transaction, and only then broadcast it;
4. settle: look up the receipt of every recorded transaction; broadcast the same bytes again if
   the node lost it, sign anew only if its nonce went to another transaction.

A crash between recording and broadcasting leaves a signed transaction that step 4 sends; a crash
after broadcasting leaves one the node knows. Either way the request is fulfilled once.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from eth_hash.auto import keccak

from oracle.chain import (
    KeyRegistered,
    Role,
    SignedTransaction,
    Status,
    VerificationFulfilled,
    VerificationRequested,
    commitment,
)
from oracle.crypto import get_backend, verify
from oracle.errors import (
    BackendCapabilityError,
    BackendUnavailableError,
    ChainConnectionError,
    ConfigError,
    ContractRevertError,
    CryptoError,
    NonceConflictError,
    TransactionRejectedError,
)
from oracle.store import IndexedKey, IndexedRequest, RequestState

if TYPE_CHECKING:
    from collections.abc import Callable

    from oracle.chain import Verifier
    from oracle.config import Settings
    from oracle.crypto import Backend
    from oracle.store import Store, StoredRequest

logger = logging.getLogger(__name__)

#: Longest pause between cycles after consecutive node failures.
MAX_BACKOFF: Final = 30.0
#: Status the contract reports → the store's final status.
_FINAL: Final = {Status.VALID: "valid", Status.INVALID: "invalid"}


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
    #: Requests still moving through the pipeline after the cycle.
    open_requests: int

    @property
    def settled(self) -> bool:
        """Caught up with the confirmed head and nothing left to verify, submit or settle."""
        return self.open_requests == 0


@dataclass(frozen=True, slots=True)
class _Verdict:
    request_id: int
    valid: bool | None
    reject_reason: str | None = None
    retry_reason: str | None = None


class OracleDaemon:
    """Watches one SignatureVerifier and fulfils its requests, exactly once each."""

    def __init__(
        self,
        verifier: Verifier,
        store: Store,
        settings: Settings,
        *,
        dry_run: bool = False,
    ) -> None:
        """Bind the store to the verifier's deployment and check the account may fulfil.

        Raises:
            StoreMismatchError: the store follows another deployment.
            ConfigError: the account lacks ORACLE_ROLE (unless `dry_run`).
            BackendUnavailableError: the configured crypto backend cannot load.
        """
        self.verifier = verifier
        self.store = store
        self.settings = settings
        self.dry_run = dry_run
        self.backend: Backend = get_backend(settings.crypto_backend)
        chain = verifier.chain
        store.bind(chain.chain_id, verifier.address)
        if not dry_run and not verifier.has_role(Role.ORACLE, chain.address):
            raise ConfigError(
                f"account {chain.address} lacks ORACLE_ROLE on {verifier.address}; an admin "
                "must run `pqoracle grant-role oracle <address>` first (or use --dry-run)"
            )

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
        `until_settled`), or after `timeout` seconds. Node failures back off and retry.
        """
        stop = stop or threading.Event()
        deadline = None if timeout is None else time.monotonic() + timeout
        report: CycleReport | None = None
        cycles = failures = 0
        while not stop.is_set():
            try:
                report = self.run_once()
                failures = 0
            except ChainConnectionError as err:
                failures += 1
                logger.warning("node unreachable, retrying", extra={"error": str(err)})
            else:
                if on_cycle is not None:
                    on_cycle(report)
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                break
            if until_settled and report is not None and report.settled and failures == 0:
                break
            pause = min(self.settings.poll_interval * 2**failures, MAX_BACKOFF)
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                pause = min(pause, remaining)
            # Active work (or an embedded chain) should not wait a full poll interval.
            if report is not None and not report.settled and failures == 0:
                pause = min(pause, 0.05)
            stop.wait(pause)
        return report

    def run_once(self) -> CycleReport:
        """One cycle: ingest, verify, submit, settle.

        Raises:
            ChainConnectionError: the node could not be reached (the next cycle resumes).
            StoreError: the database failed.
        """
        head, ingested_to, new_keys, new_requests = self.ingest()
        verified, rejected = self.verify_pending()
        submitted = finalised = 0
        if not self.dry_run:
            finalised += self.settle_submissions()
            submitted, closed = self.submit_verified()
            finalised += closed + self.settle_submissions()
        counts = self.store.counts()
        open_states = [RequestState.PENDING, RequestState.SUBMITTED]
        if not self.dry_run:
            open_states.append(RequestState.VERIFIED)
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
            + (1 if ingested_to < head - self.settings.confirmations else 0),
        )
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
        return report

    # --- 1. ingest ---------------------------------------------------------------------------

    def ingest(self) -> tuple[int, int, int, int]:
        """Read confirmed logs window by window; return (head, last block read, keys, requests).

        Raises:
            ChainConnectionError: the node could not be reached.
        """
        head = self.verifier.chain.block_number()
        safe = head - self.settings.confirmations
        start = self.store.next_block(default=self.settings.start_block)
        new_keys = new_requests = 0
        for _ in range(self.settings.max_windows_per_cycle):
            if start > safe:
                break
            end = min(start + self.settings.log_window - 1, safe)
            keys: list[IndexedKey] = []
            requests: list[IndexedRequest] = []
            finalised: dict[int, str] = {}
            for event in self.verifier.events(start, end):
                if isinstance(event, KeyRegistered):
                    keys.append(_indexed_key(event))
                elif isinstance(event, VerificationRequested):
                    requests.append(_indexed_request(event))
                elif isinstance(event, VerificationFulfilled):
                    finalised[event.request_id] = "valid" if event.valid else "invalid"
            result = self.store.ingest(
                keys=keys, requests=requests, finalised=finalised, next_block=end + 1
            )
            new_keys += result.new_keys
            new_requests += result.new_requests
            start = end + 1
        return head, start - 1, new_keys, new_requests

    # --- 2. verify ---------------------------------------------------------------------------

    def verify_pending(self) -> tuple[int, int]:
        """Verify a batch of pending requests; return (verified, rejected)."""
        batch = self.store.requests_in(RequestState.PENDING, self.settings.batch_size)
        if not batch:
            return 0, 0
        workers = min(self.settings.verify_workers, len(batch))
        if workers > 1:
            with ThreadPoolExecutor(workers, thread_name_prefix="verify") as pool:
                verdicts = list(pool.map(self._verdict, batch))
        else:
            verdicts = [self._verdict(item) for item in batch]
        verified = rejected = 0
        for verdict in verdicts:
            if verdict.reject_reason is not None:
                self.store.reject(verdict.request_id, verdict.reject_reason)
                logger.warning(
                    "request rejected",
                    extra={"request_id": verdict.request_id, "reason": verdict.reject_reason},
                )
                rejected += 1
            elif verdict.valid is not None:
                self.store.record_verdict(verdict.request_id, verdict.valid, self.backend.name)
                logger.info(
                    "verified",
                    extra={"request_id": verdict.request_id, "valid": verdict.valid},
                )
                verified += 1
            elif verdict.retry_reason is not None:
                self.store.note(verdict.request_id, verdict.retry_reason)
                logger.error(
                    "cannot verify now",
                    extra={"request_id": verdict.request_id, "reason": verdict.retry_reason},
                )
        return verified, rejected

    def _verdict(self, stored: StoredRequest) -> _Verdict:
        request = stored.request
        request_id = request.request_id
        # A lying node could log a payload other than the one the requester committed to; its
        # verdict would be posted against bytes nobody asked about. The contract would refuse the
        # mismatch anyway; refusing here keeps the oracle from paying for it.
        recomputed = commitment(request.key_id, request.message, request.context, request.signature)
        if recomputed != request.commitment:
            return _Verdict(
                request_id, None, reject_reason="logged payload does not match its commitment"
            )
        key = self.store.key(request.key_id) or self._recover_key(request.key_id)
        if key is None:
            return _Verdict(request_id, None, reject_reason="key is not registered")
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
            return _Verdict(request_id, None, retry_reason=str(err))
        except CryptoError as err:
            # A request the contract accepted but ML-DSA cannot check is not a valid signature.
            logger.info("malformed request", extra={"request_id": request_id, "error": str(err)})
            valid = False
        return _Verdict(request_id, valid)

    def _recover_key(self, key_id: bytes) -> IndexedKey | None:
        """A key registered before the first window: find its log through `keyOf`."""
        record = self.verifier.key_of(key_id)
        if record.algorithm_id == 0:
            return None
        block = record.registered_at
        for event in self.verifier.key_registered_events(block, block):
            if event.key_id != key_id:
                continue
            # The key id is a hash of the key: a node cannot substitute another key unnoticed.
            if keccak(bytes([event.algorithm_id]) + event.public_key) != key_id:
                return None
            key = _indexed_key(event)
            self.store.add_key(key)
            return key
        return None

    # --- 3. submit ---------------------------------------------------------------------------

    def submit_verified(self) -> tuple[int, int]:
        """Sign, record and broadcast verdicts; return (broadcast, found already final)."""
        submitted = closed = 0
        for stored in self.store.requests_in(RequestState.VERIFIED, self.settings.batch_size):
            request = stored.request
            status = self.verifier.status_of(request.request_id)
            if status.is_final:
                self.store.mark_final(request.request_id, _FINAL[status])
                closed += 1
                continue
            assert stored.verdict is not None  # verified requests carry a verdict
            try:
                signed = self.verifier.sign_fulfill(
                    request.request_id, stored.verdict, request.commitment
                )
            except ContractRevertError as err:
                if err.error_name == "VerifierRequestAlreadyFinal":
                    final = self.verifier.status_of(request.request_id)
                    self.store.mark_final(request.request_id, _FINAL[final])
                    closed += 1
                    continue
                if err.error_name == "VerifierCommitmentMismatch":
                    self.store.reject(request.request_id, "contract holds another commitment")
                    continue
                # Paused, or the role was revoked: nothing in this batch can go through now.
                self.store.note(request.request_id, str(err))
                logger.error(
                    "fulfilment refused",
                    extra={"request_id": request.request_id, "error": str(err)},
                )
                break
            self.store.record_signed(
                request.request_id,
                tx_hash=signed.tx_hash,
                sender=signed.sender,
                nonce=signed.nonce,
                raw_tx=signed.raw,
            )
            if self._broadcast(request.request_id, signed.tx_hash, signed.raw, signed.nonce):
                submitted += 1
        return submitted, closed

    def _broadcast(self, request_id: int, tx_hash: bytes, raw: bytes, nonce: int) -> bool:
        signed = SignedTransaction(tx_hash, raw, nonce, self.verifier.chain.address)
        try:
            self.verifier.broadcast(signed)
        except NonceConflictError as err:
            self.store.record_dropped(tx_hash)
            self.store.retry(request_id, str(err))
            logger.warning(
                "nonce taken, signing again", extra={"request_id": request_id, "nonce": nonce}
            )
            return False
        except TransactionRejectedError as err:
            self.store.note(request_id, str(err))
            logger.error(
                "node refused fulfilment", extra={"request_id": request_id, "error": str(err)}
            )
            return False
        logger.info(
            "fulfilment sent", extra={"request_id": request_id, "tx_hash": tx_hash, "nonce": nonce}
        )
        return True

    # --- 4. settle ---------------------------------------------------------------------------

    def settle_submissions(self) -> int:
        """Resolve recorded transactions from their receipts; return requests finalised."""
        finalised = 0
        for stored in self.store.requests_in(RequestState.SUBMITTED, self.settings.batch_size):
            request_id = stored.request.request_id
            submission = self.store.open_submission(request_id)
            if submission is None:
                self.store.retry(request_id, "no open transaction")
                continue
            try:
                sent = self.verifier.receipt(submission.tx_hash)
            except ContractRevertError as err:
                self.store.record_mined(
                    submission.tx_hash, succeeded=False, block_number=0, gas_used=0
                )
                logger.warning(
                    "fulfilment reverted", extra={"request_id": request_id, "error": str(err)}
                )
                finalised += self._close_or_retry(request_id, f"reverted: {err.error_name}")
                continue
            if sent is not None:
                self.store.record_mined(
                    submission.tx_hash,
                    succeeded=True,
                    block_number=sent.block_number,
                    gas_used=sent.gas_used,
                )
                self.store.mark_final(request_id, "valid" if stored.verdict else "invalid")
                logger.info(
                    "fulfilled",
                    extra={
                        "request_id": request_id,
                        "valid": stored.verdict,
                        "tx_hash": submission.tx_hash,
                        "block": sent.block_number,
                        "gas_used": sent.gas_used,
                    },
                )
                finalised += 1
                continue
            status = self.verifier.status_of(request_id)
            if status.is_final:
                # Another oracle got there first; ours, if it is still pending, will revert.
                self.store.record_dropped(submission.tx_hash)
                self.store.mark_final(request_id, _FINAL[status])
                finalised += 1
                continue
            # Not mined and not final: the node may have lost it. The same bytes again.
            self._broadcast(request_id, submission.tx_hash, submission.raw_tx, submission.nonce)
        return finalised

    def _close_or_retry(self, request_id: int, note: str) -> int:
        status = self.verifier.status_of(request_id)
        if status.is_final:
            self.store.mark_final(request_id, _FINAL[status])
            return 1
        self.store.retry(request_id, note)
        return 0


def _indexed_key(event: KeyRegistered) -> IndexedKey:
    return IndexedKey(
        key_id=event.key_id,
        algorithm_id=event.algorithm_id,
        public_key=event.public_key,
        registrant=event.registrant,
        block_number=event.block_number,
        tx_hash=event.tx_hash,
    )


def _indexed_request(event: VerificationRequested) -> IndexedRequest:
    return IndexedRequest(
        request_id=event.request_id,
        key_id=event.key_id,
        requester=event.requester,
        commitment=event.commitment,
        message=event.message,
        context=event.context,
        signature=event.signature,
        block_number=event.block_number,
        tx_hash=event.tx_hash,
        log_index=event.log_index,
    )
