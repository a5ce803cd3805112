"""Several daemon replicas of one operator on one PostgreSQL store and one Anvil: they split the
verification work, one of them at a time signs, every request is voted on exactly once, and the
claims of a replica killed mid-run pass to the others when their lease ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from oracle.chain import Status, Verifier, VoteCast, VoteSkipped
from oracle.daemon import OracleDaemon
from oracle.store import RequestState, Store
from tests.chains import ROOT, LocalNode, deploy_with_roles, run_anvil
from tests.daemon.conftest import Scenario
from tests.rpcproxy import RpcProxy
from tests.store.conftest import raw_engine

pytestmark = pytest.mark.integration


def _scenario(node: LocalNode, store_url: str, *, oracles: int, threshold: int) -> Scenario:
    chain = node.connect(poll_latency=0.02)
    deployment = deploy_with_roles(chain, oracles=oracles, threshold=threshold)
    return Scenario(
        chain=chain,
        admin=deployment.admin,
        oracle=deployment.oracle,
        dapp=deployment.outsider,
        store_url=store_url,
        oracles=deployment.oracles,
        threshold=threshold,
    )


def _own_connection(node: LocalNode, oracle: Verifier) -> Verifier:
    """The operator's verifier on a connection of its own, as another replica process has."""
    return oracle.using(node.connect(poll_latency=0.02).with_account(oracle.chain.signer))


def _events(scenario: Scenario, kind: type[VoteCast] | type[VoteSkipped]) -> list[object]:
    head = scenario.chain.block_number()
    found: list[object] = []
    for start in range(0, head + 1, 500):
        found.extend(scenario.admin.events_of(kind, start, min(start + 499, head)))
    return found


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _assert_final_as_expected(scenario: Scenario, store: Store) -> None:
    for request_id, valid in scenario.expected.items():
        assert scenario.status(request_id) is (Status.VALID if valid else Status.INVALID)
        stored = store.request(request_id)
        assert stored is not None
        assert (stored.state, stored.verdict) == (RequestState.FINAL, valid)


def test_two_replica_threads_split_the_work_and_vote_once_per_request(
    anvil: LocalNode, postgres_url: str
) -> None:
    scenario = _scenario(anvil, postgres_url, oracles=1, threshold=1)
    for n in range(30):
        scenario.open(valid=n % 3 != 0)
    settings = scenario.settings(batch_size=3, vote_batch_size=5, lease_seconds=10)
    stores = [Store.open(postgres_url) for _ in range(2)]
    daemons = [
        OracleDaemon(
            _own_connection(anvil, scenario.oracle),
            store,
            settings.model_copy(update={"replica_id": f"replica-{n}"}),
        )
        for n, store in enumerate(stores)
    ]
    failures: list[BaseException] = []

    def run(daemon: OracleDaemon) -> None:
        try:
            daemon.run(until_settled=True, timeout=120)
        except BaseException as err:  # reported below
            failures.append(err)

    threads = [threading.Thread(target=run, args=(daemon,)) for daemon in daemons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures
    # Both replicas verified; together, each request once.
    verdicts = [
        sum(d.metrics.verdicts.labels(result=r)._value.get() for r in ("valid", "invalid"))
        for d in daemons
    ]
    assert sum(verdicts) == 30
    assert all(count > 0 for count in verdicts), verdicts
    _assert_final_as_expected(scenario, stores[0])
    assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
    me = scenario.oracle.chain.address
    assert [e for e in _events(scenario, VoteSkipped) if e.oracle == me] == []  # type: ignore[attr-defined]
    # One signer at a time: the account's nonces are exactly the recorded transactions.
    submissions = stores[0].all_submissions()
    assert sorted(s.nonce for s in submissions) == list(range(len(submissions)))
    assert scenario.chain.w3.eth.get_transaction_count(me) == len(submissions)
    for store in stores:
        store.close()


def _start_replica(
    scenario: Scenario, rpc_url: str, key_file: Path, replica: str, log: Path
) -> subprocess.Popen[bytes]:
    # This checkout's code, not whichever `pqoracle` is installed on the PATH.
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "PQORACLE_BATCH_SIZE": "3",
        "PQORACLE_VOTE_BATCH_SIZE": "4",
        "PQORACLE_POLL_INTERVAL": "0.05",
        "PQORACLE_LEASE_SECONDS": "4",
        "PQORACLE_REPLICA_ID": replica,
    }
    with log.open("ab") as handle:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oracle.cli",
                "run",
                "--rpc-url",
                rpc_url,
                "--verifier",
                scenario.oracle.address,
                "--private-key-file",
                str(key_file),
                "--database-url",
                scenario.store_url,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            start_new_session=True,
        )


def _lock_holders(url: str, key: int) -> int:
    engine = raw_engine(url)
    with engine.connect() as connection:
        holders = connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
            ),
            {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
        )
    engine.dispose()
    return int(holders or 0)


@pytest.mark.slow
def test_three_replica_processes_one_killed_vote_once_per_request(
    postgres_url: str, tmp_path: Path
) -> None:
    with run_anvil() as node, RpcProxy(node.rpc_url) as slow:
        # Two oracles, threshold two: the replicas' operator votes first (a VoteCast each), the
        # second oracle's vote then closes every request.
        scenario = _scenario(node, postgres_url, oracles=2, threshold=2)
        for n in range(24):
            scenario.open(valid=n % 3 != 0)
        key_file = tmp_path / "oracle.key"
        key_file.write_text("0x" + bytes(scenario.oracle.chain.signer.account.key).hex())
        key_file.chmod(0o600)
        log = tmp_path / "replicas.log"
        store = Store.open(postgres_url)
        me = scenario.oracle.chain.address
        lock_key = store.operator_lock(me).key
        # The victim's contract reads are slow, so it holds its claims long enough to be killed
        # with them.
        slow.fail("eth_call", times=10_000, kind="timeout", delay=0.3)
        victim = _start_replica(scenario, slow.url, key_file, "victim", log)
        processes = [victim]
        holders: list[int] = []
        engine = raw_engine(postgres_url)
        try:

            def victim_claims() -> list[tuple[bytes, object]]:
                holders.append(_lock_holders(postgres_url, lock_key))
                with engine.connect() as connection:
                    rows = connection.execute(
                        text(
                            "SELECT request_id, lease_until FROM requests "
                            "WHERE claimed_by = 'victim' AND state = 'PENDING'"
                        )
                    ).all()
                return [(bytes(r[0]), r[1]) for r in rows]

            assert _wait(lambda: bool(victim_claims()), 60), log.read_text()[-3000:]
            # The others start while the victim verifies its first batch (seconds, slowly).
            processes += [
                _start_replica(scenario, node.rpc_url, key_file, f"replica-{n}", log)
                for n in (1, 2)
            ]
            assert victim_claims()
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            claimed = victim_claims()
            assert claimed, "the victim's claims were recorded before it died"
            lease_until = max(until for _, until in claimed)  # type: ignore[type-var]
            # Until the lease ends, nobody takes the dead replica's claims.
            with engine.connect() as connection:
                now = connection.scalar(text("SELECT now()"))
            time.sleep(max((lease_until - now).total_seconds() - 0.5, 0))  # type: ignore[operator]
            assert {rid for rid, _ in victim_claims()} == {rid for rid, _ in claimed}

            def all_voted() -> bool:
                holders.append(_lock_holders(postgres_url, lock_key))
                counts = store.counts()
                return counts[RequestState.VOTED] == 24 and not store.unsettled_submissions(me)

            assert _wait(all_voted, 120), log.read_text()[-3000:]
            # Exactly one VoteCast per request from this operator, and no vote skipped as a
            # repeat: no request was ever voted on twice.
            cast = Counter(
                e.request_id  # type: ignore[attr-defined]
                for e in _events(scenario, VoteCast)
                if e.oracle == me  # type: ignore[attr-defined]
            )
            assert cast == dict.fromkeys(scenario.expected, 1)
            assert [e for e in _events(scenario, VoteSkipped) if e.oracle == me] == []  # type: ignore[attr-defined]
            assert scenario.chain.w3.eth.get_transaction_count(me) == len(store.all_submissions())
            # The second oracle closes every request; the replicas read them final.
            second = Store.open(f"sqlite:///{tmp_path / 'second.db'}")
            OracleDaemon(scenario.oracles[1], second, scenario.settings()).run(
                until_settled=True, timeout=120
            )
            second.close()
            assert _wait(lambda: store.counts()[RequestState.FINAL] == 24, 60)
            _assert_final_as_expected(scenario, store)
        finally:
            engine.dispose()
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            codes = [process.wait(20) for process in processes]
        assert codes[1:] == [0, 0]
        # One holder of the operator lock at any moment, and one once the victim was gone.
        assert max(holders) == 1
        assert holders[-1] == 1
        store.close()
