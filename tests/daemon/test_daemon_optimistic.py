"""Optimistic mode end to end, with real signatures and the project's on-chain ML-DSA-44 verifier:
daemons post (the first post wins; the other records a skip), finalise their own posts once the
window is over, and a watcher challenges every wrong post exactly once, never a right one."""

from __future__ import annotations

from pathlib import Path

import pytest

from oracle.chain import Chain
from oracle.domain import Status, SubmissionKind, SubmissionState
from oracle.security import SecurityEventType
from oracle.store import PostState, RequestState
from tests.contracts.v2 import advance
from tests.daemon.optimistic import BOND, WINDOW, Optimistic, cycle_until, optimistic_on


@pytest.fixture
def optimistic(embedded_chain: Chain, tmp_path: Path) -> Optimistic:
    return optimistic_on(embedded_chain, tmp_path)


def test_an_honest_daemon_posts_each_verdict_once_and_finalises_it_after_the_window(
    optimistic: Optimistic,
) -> None:
    valid = optimistic.open(valid=True)
    invalid = optimistic.open(valid=False)
    daemon = optimistic.daemon(optimistic.honest, "honest")
    cycle_until(
        [daemon],
        lambda: (
            optimistic.status(valid) is Status.POSTED
            and (optimistic.status(invalid) is Status.POSTED)
        ),
    )
    posts, _ = optimistic.logged()
    assert {(p.request_id, p.poster, p.valid) for p in posts} == {
        (valid, optimistic.honest.chain.address, True),
        (invalid, optimistic.honest.chain.address, False),
    }
    free, barred = optimistic.admin.bond_of(optimistic.honest.chain.address)
    assert (free, barred) == (8 * BOND, False)
    # The window is not over: the daemon waits, and sends nothing more.
    for _ in range(3):
        daemon.run(max_cycles=1)
    assert all(s.kind is SubmissionKind.POST for s in daemon.store.all_submissions())
    advance(optimistic.chain, WINDOW)
    cycle_until([daemon], optimistic.final)
    assert optimistic.status(valid) is Status.VALID
    assert optimistic.status(invalid) is Status.INVALID
    cycle_until([daemon], lambda: daemon.store.counts()[RequestState.FINAL] == 2)
    address = daemon.verifier.chain.address
    cycle_until([daemon], lambda: not daemon.store.unsettled_submissions(address))
    kinds = sorted(s.kind.value for s in daemon.store.all_submissions())
    assert kinds == ["finalize", "finalize", "post", "post"]
    assert all(s.state is SubmissionState.MINED for s in daemon.store.all_submissions())
    # The bonds are free again.
    assert optimistic.admin.bond_of(optimistic.honest.chain.address) == (10 * BOND, False)


def test_the_second_daemon_records_a_skip_and_a_watcher_overturns_every_lie(
    optimistic: Optimistic,
) -> None:
    lies = [optimistic.open(valid=True), optimistic.open(valid=False)]
    liar = optimistic.daemon(optimistic.liar, "liar", lying=True)
    honest = optimistic.daemon(optimistic.honest, "honest")
    watcher = optimistic.watcher()
    # The liar posts first on both requests: the honest daemon skips them.
    cycle_until([liar], lambda: all(optimistic.status(r) is Status.POSTED for r in lies))
    cycle_until(
        [honest],
        lambda: honest.store.counts()[RequestState.VOTED] == 2,
    )
    notes = {r: honest.store.request(r).note for r in lies}  # type: ignore[union-attr]
    assert all(
        note == f"skipped: {optimistic.liar.chain.address} posted first" for note in notes.values()
    )
    assert not honest.store.all_submissions()
    # The watcher challenges both within the window: both are overturned.
    cycle_until([watcher], optimistic.final)
    for request_id in lies:
        expected = Status.VALID if optimistic.expected[request_id] else Status.INVALID
        assert optimistic.status(request_id) is expected
    posts, challenges = optimistic.logged()
    assert len(posts) == 2
    assert sorted(c.request_id for c in challenges) == sorted(lies)
    challenger = optimistic.watcher_account.chain.address
    assert all(c.overturned and c.challenger == challenger for c in challenges)
    assert all(c.reward == BOND // 2 and c.burned == BOND // 2 for c in challenges)
    cycle_until([watcher], lambda: watcher.store.post_counts()[PostState.WON] == 2)
    assert optimistic.admin.earned_of(optimistic.watcher_account.chain.address) == BOND
    # The liar is barred and out of the oracle set; both its bonds are gone.
    assert optimistic.admin.bond_of(optimistic.liar.chain.address) == (8 * BOND, True)
    assert not optimistic.admin.is_oracle(optimistic.liar.chain.address)
    events = watcher.store.security_events(event_type=SecurityEventType.WRONG_VERDICT_POSTED)
    assert len(events) == 2
    registry = watcher.metrics.registry
    assert registry.get_sample_value("pqoracle_daemon_challenges_won_total") == 2
    assert registry.get_sample_value("pqoracle_daemon_challenges_sent_total") == 2
    assert registry.get_sample_value("pqoracle_daemon_challenge_rewards_wei_total") == BOND
    # The honest daemon takes the overturned verdicts as final, its own.
    cycle_until([honest], lambda: honest.store.counts()[RequestState.FINAL] == 2)
    assert not honest.store.security_events(event_type=SecurityEventType.VERDICT_DISAGREEMENT)
    # A new request: the liar is refused, the honest daemon posts, the watcher agrees.
    later = optimistic.open(valid=True)
    cycle_until(
        [liar, honest, watcher],
        lambda: watcher.store.post_counts()[PostState.AGREED] == 1,
    )
    assert optimistic.admin.post_of(later).poster == optimistic.honest.chain.address
    posts, challenges = optimistic.logged()
    assert len(challenges) == 2


def test_a_daemon_without_bond_reports_it_once_and_tops_it_up_when_told(
    optimistic: Optimistic,
) -> None:
    oracle = optimistic.honest
    oracle.withdraw_bond(10 * BOND)
    ids = [optimistic.open(valid=True), optimistic.open(valid=False)]
    unbonded = optimistic.daemon(oracle, "honest")
    for _ in range(3):
        unbonded.run(max_cycles=1)
    assert not unbonded.store.all_submissions()
    [refused] = unbonded.store.security_events(event_type=SecurityEventType.FULFILMENT_REFUSED)
    assert "free bond 0 wei covers 0 of 2 posts waiting" in refused.detail
    assert "pqoracle bond deposit" in refused.detail
    # Restarted with bond_deposit_posts: one deposit for three posts, then both posts.
    bonded = optimistic.daemon(oracle, "honest", bond_deposit_posts=3)
    cycle_until([bonded], lambda: all(optimistic.status(r) is Status.POSTED for r in ids))
    kinds = [s.kind for s in bonded.store.all_submissions()]
    assert kinds == [SubmissionKind.BOND, SubmissionKind.POST, SubmissionKind.POST]
    assert optimistic.admin.bond_of(oracle.chain.address) == (BOND, False)
