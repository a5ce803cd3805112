"""The watcher: re-verifies every optimistic verdict off-chain and challenges the wrong ones.

It is the oracle daemon's pipeline without the votes: it follows the chain in block windows from
its store's cursor (rewinding on a reorg), ingests keys, requests and the `VerdictPosted` logs,
and verifies each request off-chain exactly as an oracle does, after checking it against what the
chain committed to (the request exists, holds the logged terms, the payload hashes to the
commitment, the key to its key id). Then, each cycle:

1. settle its recorded transactions (the daemon's journal: receipts, resends, replacements);
2. read each recorded challenge's outcome from its confirmed receipt: won (the reward is the
   poster's bond less the burned part, withdrawn with `pqoracle withdraw`) or lost;
3. judge each posted verdict whose request is verified: the same verdict is left alone for good;
   a wrong one is challenged while its window is open at the chain's head, with the evidence
   (the key and the payload) checked against the request's commitment first. The challenge is
   recorded before it is broadcast, and the store refuses a second one for the post, so a crash
   or a restart never sends two; a post a reorg removed is not challenged, and a challenge whose
   post a reorg removed is cancelled (its nonce taken by a transfer to itself) rather than sent
   again.

It needs no role: any funded account may challenge. With `dry_run` it judges and logs only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from oracle.chain import commitment
from oracle.chain.transactions import sign_cancellation
from oracle.crypto import key_id
from oracle.daemon.service import OracleDaemon
from oracle.domain import Evidence, Status, SubmissionKind, SubmissionState
from oracle.errors import (
    ConfigError,
    ContractRevertError,
    CryptoError,
    FeeCapError,
    StoreConflictError,
)
from oracle.security import SecurityEventType, record_event
from oracle.store import PostState, RequestState

if TYPE_CHECKING:
    from oracle.chain import Verifier
    from oracle.config import Settings
    from oracle.daemon.metrics import DaemonMetrics
    from oracle.store import Store, StoredPost, StoredRequest, Submission

__all__ = ["Watcher"]

logger = logging.getLogger(__name__)

#: Reverts of a challenge's dry run that mean the post is no longer open to challenge.
_CLOSED_REVERTS: Final = ("VerifierNotPosted", "VerifierChallengeWindowClosed")
#: Request states in which the watcher holds its own verdict.
_JUDGED: Final = (RequestState.VERIFIED, RequestState.FINAL)
#: Request states whose payload or key the chain's hashes do not back.
_UNBACKED: Final = (RequestState.REJECTED, RequestState.VANISHED)


def _label(valid: bool) -> str:
    return "valid" if valid else "invalid"


class Watcher(OracleDaemon):
    """Watches one SignatureVerifier in optimistic mode and challenges every wrong post once."""

    # Verified requests wait for a post or for the chain to close them: not local work.
    open_states = (RequestState.PENDING, RequestState.ORPHANED)
    local_work = (RequestState.PENDING, RequestState.ORPHANED)
    records_posts = True

    def __init__(
        self,
        verifier: Verifier,
        store: Store,
        settings: Settings,
        *,
        dry_run: bool = False,
        reset_store: bool = False,
        metrics: DaemonMetrics | None = None,
    ) -> None:
        """Bind the store to the verifier's deployment.

        Raises:
            StoreMismatchError: the store follows another deployment.
            ConfigError: no signing account (unless `dry_run`).
            BackendUnavailableError: the configured crypto backend cannot load.
        """
        super().__init__(
            verifier, store, settings, dry_run=dry_run, reset_store=reset_store, metrics=metrics
        )
        #: Wrong posts a dry run has reported, so it says so once.
        self._reported: set[bytes] = set()

    def _check_account(self) -> None:
        if not self.dry_run and self.verifier.chain.account is None:
            raise ConfigError(
                "the watcher signs its challenges: give it a funded account (--private-key-file "
                "or --keystore), or watch with --dry-run"
            )

    # --- one cycle ---------------------------------------------------------------------------

    def act(self, safe: int) -> tuple[int, int]:
        """Settle the challenges, read their outcomes, close what the chain closed, judge the
        posts and challenge the wrong ones; return (challenges broadcast, requests final)."""
        self._settle_transactions(safe)
        self.read_outcomes()
        finalised = self.close_requests(safe)
        return self.judge_posts(safe, send=True), finalised

    def observe(self, safe: int) -> tuple[int, int]:
        """A dry run judges the posts and reports the wrong ones, and sends nothing."""
        finalised = self.close_requests(safe)
        self.judge_posts(safe, send=False)
        return 0, finalised

    def other_open_work(self) -> int:
        """Posts not judged yet and challenges whose outcome is not read yet."""
        counts = self.store.post_counts()
        return counts[PostState.OPEN] + counts[PostState.CHALLENGED]

    # --- requests ----------------------------------------------------------------------------

    def close_requests(self, safe: int) -> int:
        """Verified requests the chain closed at the confirmed block become final (a final
        verdict other than the watcher's is a `verdict_disagreement` event)."""
        verified = self.store.requests_in(RequestState.VERIFIED, self.settings.batch_size)
        if not verified:
            return 0
        statuses = self.verifier.statuses_of([s.request.request_id for s in verified], block=safe)
        closing = [
            (stored, status)
            for stored, status in zip(verified, statuses, strict=True)
            if status.status.is_closed
        ]
        self._finalise_all(closing, safe)
        return len(closing)

    # --- posts -------------------------------------------------------------------------------

    def judge_posts(self, safe: int, *, send: bool) -> int:
        """Judge the open posts whose request the watcher verified; challenge the wrong ones
        (with `send`); return the challenges broadcast."""
        posts = self.store.posts_in(PostState.OPEN, self.settings.batch_size)
        if not posts:
            return 0
        stored = self.store.requests(p.post.request_id for p in posts)
        wrong: list[tuple[StoredPost, StoredRequest]] = []
        for judged in posts:
            post = judged.post
            found = stored.get(post.request_id)
            if found is None:
                continue  # its request's log is not read yet
            if found.state in _UNBACKED:
                self.store.set_post_state(
                    post.request_id,
                    (PostState.OPEN,),
                    PostState.UNJUDGED,
                    note=f"the request is {found.state.value}: {found.note}",
                )
                continue
            if found.state not in _JUDGED or found.verdict is None:
                continue  # not verified yet
            if found.verdict == post.valid:
                self.store.set_post_state(
                    post.request_id,
                    (PostState.OPEN,),
                    PostState.AGREED,
                    note=f"this watcher computed {_label(found.verdict)} too",
                )
                continue
            wrong.append((judged, found))
        if not wrong:
            return 0
        return self._challenge_all(wrong, send=send)

    def _challenge_all(self, wrong: list[tuple[StoredPost, StoredRequest]], *, send: bool) -> int:
        chain = self.verifier.chain
        ids = [judged.post.request_id for judged, _ in wrong]
        # At the head, not the confirmed block: a challenge must land before the window closes,
        # and the dry run checks the same state again.
        statuses = self.verifier.statuses_of(ids)
        current = self.verifier.posts_of(ids)
        now = chain.block_timestamp("latest")
        if send and self._nonce_gap():
            return 0
        chain.nonces.reset()
        sent = 0
        for (judged, found), status, onchain in zip(wrong, statuses, current, strict=True):
            post = judged.post
            request_id = post.request_id
            assert found.verdict is not None  # judged above
            if (
                status.status is not Status.POSTED
                or onchain.poster.lower() != post.poster.lower()
                or onchain.valid != post.valid
            ):
                self._missed(judged, found, f"{status.status.label} at the head")
                continue
            if now >= post.finalizes_at:
                self._missed(judged, found, "its challenge window closed")
                continue
            if self._challenged_before(request_id):
                # The post came back after a reorg and its challenge is recorded: never two.
                self.store.set_post_state(request_id, (PostState.OPEN,), PostState.CHALLENGED)
                continue
            evidence = self._evidence(found)
            if evidence is None:
                continue
            if not send:
                if request_id not in self._reported:
                    self._reported.add(request_id)
                    logger.warning(
                        "wrong verdict posted (dry run: not challenged)",
                        extra=self._post_extra(judged, found),
                    )
                continue
            try:
                signed = self.verifier.sign_challenge(request_id, found.request.terms, evidence)
            except ContractRevertError as err:
                if err.error_name in _CLOSED_REVERTS:
                    self._missed(judged, found, f"the contract refuses it ({err.error_name})")
                else:
                    logger.error(
                        "cannot challenge",
                        extra={"request_id": request_id, "error": str(err)},
                    )
                continue
            try:
                self.store.record_challenge(
                    request_id,
                    found.verdict,
                    tx_hash=signed.tx_hash,
                    sender=signed.sender,
                    nonce=signed.nonce,
                    raw_tx=signed.raw,
                )
            except StoreConflictError:
                # Recorded by another run meanwhile; this signature is never sent.
                chain.nonces.reset()
                continue
            record_event(
                self.store,
                SecurityEventType.WRONG_VERDICT_POSTED,
                f"oracle {post.poster} posted {_label(post.valid)} on request "
                f"0x{bytes(request_id).hex()}; this watcher computed "
                f"{_label(found.verdict)}: challenged in 0x{signed.tx_hash.hex()}",
                request_id=request_id,
                key_id=found.request.key_id,
                tx_hash=signed.tx_hash,
                block_number=post.block_number,
            )
            if self._broadcast(signed.tx_hash, signed.raw, signed.nonce):
                sent += 1
                self.metrics.challenges_sent.inc()
                logger.warning(
                    "challenge sent",
                    extra={**self._post_extra(judged, found), "tx_hash": signed.tx_hash},
                )
        return sent

    def _evidence(self, found: StoredRequest) -> Evidence | None:
        """The key and payload of a request, checked once more against the chain's hashes: the
        key hashes to the key id the request names, and with the payload to its commitment."""
        request = found.request
        key = self.store.key(request.key_id)
        if key is None:
            return None
        try:
            backed = key_id(key.algorithm_id, key.public_key) == request.key_id
        except CryptoError:
            backed = False
        recomputed = commitment(request.key_id, request.message, request.context, request.signature)
        if not backed or recomputed != request.commitment:
            self.store.set_post_state(
                request.request_id,
                (PostState.OPEN,),
                PostState.UNJUDGED,
                note="its key or payload does not hash to what the request committed to",
            )
            return None
        return Evidence(
            key.algorithm_id, key.public_key, request.message, request.context, request.signature
        )

    def _challenged_before(self, request_id: bytes) -> bool:
        return any(
            s.kind is SubmissionKind.CHALLENGE
            and s.state not in (SubmissionState.DROPPED, SubmissionState.REVERTED)
            for s in self.store.submissions(request_id)
        )

    def _missed(self, judged: StoredPost, found: StoredRequest, why: str) -> None:
        """A wrong post this watcher can no longer challenge: closed, reported once."""
        post = judged.post
        moved = self.store.set_post_state(
            post.request_id,
            (PostState.OPEN,),
            PostState.CLOSED,
            note=f"not challenged: {why}",
        )
        if moved:
            record_event(
                self.store,
                SecurityEventType.WRONG_VERDICT_POSTED,
                f"oracle {post.poster} posted {_label(post.valid)} on request "
                f"0x{bytes(post.request_id).hex()}; this watcher computed "
                f"{_label(bool(found.verdict))} and did not challenge it: {why}",
                request_id=post.request_id,
                key_id=found.request.key_id,
                block_number=post.block_number,
            )

    @staticmethod
    def _post_extra(judged: StoredPost, found: StoredRequest) -> dict[str, object]:
        post = judged.post
        return {
            "request_id": post.request_id,
            "poster": post.poster,
            "posted": _label(post.valid),
            "computed": _label(bool(found.verdict)),
            "finalizes_at": post.finalizes_at,
        }

    # --- outcomes ----------------------------------------------------------------------------

    def read_outcomes(self) -> None:
        """Each challenged post whose challenge is confirmed: won (with its reward) or lost; a
        challenge the chain refused puts the post back to be judged again."""
        for judged in self.store.posts_in(PostState.CHALLENGED, self.settings.batch_size):
            request_id = judged.post.request_id
            settled = [
                s
                for s in self.store.submissions(request_id)
                if s.kind is SubmissionKind.CHALLENGE
                and s.confirmed
                and s.state in (SubmissionState.MINED, SubmissionState.REVERTED)
            ]
            if not settled:
                continue
            latest = settled[-1]
            outcome = self.store.outcome(latest.tx_hash, request_id)
            if latest.state is SubmissionState.REVERTED or not outcome or outcome == "reverted":
                # Refused on chain (the post closed first): no challenge happened.
                self.store.set_post_state(
                    request_id,
                    (PostState.CHALLENGED,),
                    PostState.OPEN,
                    note=f"challenge 0x{latest.tx_hash.hex()} reverted",
                )
                continue
            if outcome.startswith("won"):
                reward = int(outcome.split()[1]) if " " in outcome else 0
                if self.store.set_post_state(
                    request_id, (PostState.CHALLENGED,), PostState.WON, reward=reward
                ):
                    self.metrics.challenges_won.inc()
                    self.metrics.challenge_rewards.inc(reward)
                    earned = self.verifier.earned_of(self.verifier.chain.address)
                    logger.warning(
                        "challenge won: the posted verdict is overturned",
                        extra={
                            "request_id": request_id,
                            "poster": judged.post.poster,
                            "tx_hash": latest.tx_hash,
                            "reward_wei": reward,
                            "earned_wei": earned,
                            "hint": "withdraw the rewards with `pqoracle withdraw`",
                        },
                    )
            elif self.store.set_post_state(request_id, (PostState.CHALLENGED,), PostState.LOST):
                self.metrics.challenges_lost.inc()
                logger.error(
                    "challenge lost: the on-chain verifier confirmed the posted verdict",
                    extra={"request_id": request_id, "tx_hash": latest.tx_hash},
                )

    # --- reorgs ------------------------------------------------------------------------------

    def withdraw_stale(self, submission: Submission, head: int) -> bool:
        """A challenge about to go out again (a reorg removed its block, or the node lost it)
        whose post is no longer on the chain is cancelled, never sent again."""
        if submission.kind is not SubmissionKind.CHALLENGE or not submission.votes:
            return False
        request_id = submission.votes[0][0]
        stored = self.store.post(request_id)
        onchain = self.verifier.post_of(request_id)
        if (
            stored is not None
            and onchain.exists
            and onchain.poster.lower() == stored.post.poster.lower()
        ):
            return False
        try:
            signed = sign_cancellation(self.verifier.chain, submission.raw_tx)
        except FeeCapError as err:
            logger.error(
                "cannot cancel a challenge whose post is gone",
                extra={"tx_hash": submission.tx_hash, "error": str(err)},
            )
            return True
        try:
            self.store.record_replacement(
                submission.tx_hash,
                tx_hash=signed.tx_hash,
                raw_tx=signed.raw,
                kind=SubmissionKind.CANCEL,
            )
        except StoreConflictError:
            return True
        logger.warning(
            "challenge cancelled: its post is no longer on the chain",
            extra={
                "request_id": request_id,
                "tx_hash": signed.tx_hash,
                "replaces": submission.tx_hash,
                "nonce": submission.nonce,
            },
        )
        self._broadcast(signed.tx_hash, signed.raw, signed.nonce, head=head)
        return True
