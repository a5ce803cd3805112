"""Optimistic mode on Anvil: a lying daemon, an honest one and a watcher over more requests; a
watcher process killed right after it recorded a challenge sends no second one when restarted;
a reorg that removes a challenged post cancels the challenge instead of sending it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from oracle.chain import Chain
from oracle.daemon import OracleDaemon, Watcher
from oracle.domain import Status, SubmissionKind, SubmissionState
from oracle.store import PostState, RequestState
from tests.chains import ROOT, LocalNode, anvil_unavailable, run_anvil
from tests.contracts.v2 import advance
from tests.daemon.optimistic import BOND, WINDOW, Optimistic, cycle_until, optimistic_on
from tests.rpcproxy import RpcProxy

pytestmark = pytest.mark.integration


@pytest.fixture
def node() -> Iterator[LocalNode]:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as running:
        yield running


@pytest.fixture
def on_anvil(node: LocalNode, tmp_path: Path) -> Optimistic:
    return optimistic_on(node.connect(), tmp_path)


def _lie(optimistic: Optimistic, ids: list[bytes]) -> OracleDaemon:
    """The lying daemon, run until it has posted on every one of `ids`."""
    liar = optimistic.daemon(optimistic.liar, "liar", lying=True)
    cycle_until([liar], lambda: all(optimistic.admin.post_of(r).exists for r in ids), timeout=60)
    return liar


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_every_lie_is_overturned_and_no_true_post_is_challenged_on_anvil(
    on_anvil: Optimistic,
) -> None:
    optimistic = on_anvil
    lies = [optimistic.open(valid=v) for v in (True, False, True, False)]
    liar = _lie(optimistic, lies)
    honest = optimistic.daemon(optimistic.honest, "honest")
    watcher = optimistic.watcher()
    truths = [optimistic.open(valid=v) for v in (True, False, False, True)]
    # The honest daemon first in each round: it posts on the new requests before the liar.
    cycle_until(
        [honest, watcher, liar],
        lambda: (
            all(optimistic.admin.post_of(r).exists for r in truths)
            and all(optimistic.status(r).is_final for r in lies)
        ),
        chain=optimistic.chain,
    )
    posts, challenges = optimistic.logged()
    posters = {p.request_id: p.poster for p in posts}
    assert all(posters[r] == optimistic.liar.chain.address for r in lies)
    assert all(posters[r] == optimistic.honest.chain.address for r in truths)
    assert sorted(c.request_id for c in challenges) == sorted(lies)
    assert all(c.overturned for c in challenges)
    advance(optimistic.chain, WINDOW)
    cycle_until([honest, watcher, liar], optimistic.final, chain=optimistic.chain)
    for request_id, valid in optimistic.expected.items():
        assert optimistic.status(request_id) is (Status.VALID if valid else Status.INVALID)
    # Nothing more was challenged: the true posts were agreed with, never challenged.
    _, challenges = optimistic.logged()
    assert len(challenges) == len(lies)
    cycle_until(
        [watcher],
        lambda: (
            watcher.store.post_counts()[PostState.WON] == len(lies)
            and watcher.store.post_counts()[PostState.AGREED] == len(truths)
        ),
    )
    assert optimistic.admin.earned_of(optimistic.watcher_account.chain.address) == (
        len(lies) * BOND // 2
    )
    kinds = [s.kind for s in watcher.store.all_submissions()]
    assert kinds == [SubmissionKind.CHALLENGE] * len(lies)
    # The liar's first overturned post barred it; its other posts were overturned all the same.
    assert optimistic.admin.bond_of(optimistic.liar.chain.address) == (6 * BOND, True)
    assert not optimistic.admin.is_oracle(optimistic.liar.chain.address)
    # The honest daemon finalised its own posts (fees and callbacks delivered by them).
    finalisations = [s for s in honest.store.all_submissions() if s.kind is SubmissionKind.FINALIZE]
    assert len(finalisations) == len(truths)


# --- a watcher process killed right after it recorded its challenge ----------------------------


def _start_watch(
    optimistic: Optimistic, rpc_url: str, key_file: Path, log: Path
) -> subprocess.Popen[bytes]:
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "PQORACLE_POLL_INTERVAL": "0.05"}
    with log.open("ab") as handle:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oracle.cli",
                "watch",
                "--rpc-url",
                rpc_url,
                "--verifier",
                optimistic.admin.address,
                "--private-key-file",
                str(key_file),
                "--database-url",
                optimistic.url("watch"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            start_new_session=True,
        )


def test_a_watcher_killed_after_recording_its_challenge_sends_no_second_one(
    node: LocalNode, on_anvil: Optimistic, tmp_path: Path
) -> None:
    optimistic = on_anvil
    lie = optimistic.open(valid=True)
    _lie(optimistic, [lie])
    account = optimistic.watcher_account.chain
    key_file = tmp_path / "watcher.key"
    key_file.write_text("0x" + bytes(account.signer.account.key).hex())  # type: ignore[attr-defined]
    key_file.chmod(0o600)
    log = tmp_path / "watch.log"
    store = optimistic.watcher().store
    with RpcProxy(node.rpc_url) as proxy:
        # The challenge's send is held by the proxy and never reaches the node: the process is
        # killed after it recorded the challenge and while it waits on the send.
        proxy.fail("eth_sendRawTransaction", times=1, kind="timeout", delay=60)
        proxy.drop_transactions(1)
        first = _start_watch(optimistic, proxy.url, key_file, log)
        try:

            def recorded() -> bool:
                return store.post_counts()[PostState.CHALLENGED] == 1 and (
                    proxy.calls["eth_sendRawTransaction"] == 1
                )

            assert _wait(recorded, 90), log.read_text()[-3000:]
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
    [challenge] = store.all_submissions()
    assert (challenge.kind, challenge.state, challenge.sends) == (
        SubmissionKind.CHALLENGE,
        SubmissionState.SIGNED,
        0,
    )
    assert account.transaction_count(account.address) == 0
    second = _start_watch(optimistic, node.rpc_url, key_file, log)
    try:
        assert _wait(lambda: optimistic.status(lie) is Status.VALID, 90), log.read_text()[-3000:]

        def won() -> bool:
            return store.post_counts()[PostState.WON] == 1

        assert _wait(won, 60), log.read_text()[-3000:]
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    # One challenge on chain, from one transaction: the very bytes recorded before the kill.
    [again] = store.all_submissions()
    assert (again.tx_hash, again.raw_tx, again.state) == (
        challenge.tx_hash,
        challenge.raw_tx,
        SubmissionState.MINED,
    )
    _, challenges = optimistic.logged()
    assert [(c.request_id, c.challenger) for c in challenges] == [(lie, account.address)]
    assert account.transaction_count(account.address) == 1


# --- reorgs --------------------------------------------------------------------------------------


def _reorg(chain: Chain, depth: int) -> None:
    """Replace the last `depth` blocks with empty ones (their transactions are gone)."""
    answer = chain.w3.provider.make_request("anvil_reorg", [depth, []])  # type: ignore[arg-type]
    assert "error" not in answer, answer


def test_a_reorg_that_removes_a_challenged_post_cancels_the_challenge(
    on_anvil: Optimistic,
) -> None:
    optimistic = on_anvil
    chain = optimistic.chain
    lie = optimistic.open(valid=True)
    _lie(optimistic, [lie])
    post_block = chain.block_number()
    watcher: Watcher = optimistic.watcher()
    cycle_until([watcher], lambda: watcher.store.post_counts()[PostState.WON] == 1)
    [challenge] = watcher.store.all_submissions()
    assert challenge.block_number == post_block + 1
    # The post's block and the challenge's go: the request is pending again, with no post.
    _reorg(chain, chain.block_number() - post_block + 1)
    assert optimistic.status(lie) is Status.PENDING
    assert not optimistic.admin.post_of(lie).exists
    account = watcher.verifier.chain.address

    def settled() -> bool:
        cancelled = len(watcher.store.all_submissions()) == 2
        return cancelled and not watcher.store.unsettled_submissions(account)

    cycle_until([watcher], settled, chain=chain)
    versions = watcher.store.all_submissions()
    assert [(v.kind, v.state) for v in versions] == [
        (SubmissionKind.CHALLENGE, SubmissionState.DROPPED),
        (SubmissionKind.CANCEL, SubmissionState.MINED),
    ]
    assert versions[0].tx_hash == challenge.tx_hash
    assert watcher.verifier.lookup_receipt(challenge.tx_hash) is None
    _, challenges = optimistic.logged()
    assert challenges == []
    stored = watcher.store.post(lie)
    assert stored is not None
    assert stored.state is PostState.ORPHANED
    # More blocks, more cycles: the watcher never challenges a post that is not there.
    for _ in range(5):
        watcher.run(max_cycles=1)
        chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert optimistic.logged()[1] == []
    assert watcher.store.counts()[RequestState.VERIFIED] == 1
    assert optimistic.status(lie) is Status.PENDING
