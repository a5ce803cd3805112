"""The daemon against a lying node, a flaky node and reorgs deeper than its confirmations, on Anvil.

Every test here reads the chain through `tests/rpcproxy.py` (or rewrites Anvil's history with
`evm_snapshot`/`evm_revert` and `anvil_reset`) and asserts on the contract's own state: no wrong
verdict is ever posted, every request on the final chain ends with exactly one fulfilment and
the verdict its bytes deserve (one `VerificationFinalized` each), and each lie or reorg is a stored
security event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from oracle.chain import Status, Verifier, connect, mine_blocks
from oracle.crypto import SigningKey
from oracle.daemon import OracleDaemon
from oracle.daemon import service as daemon_service
from oracle.daemon.service import MAX_BACKOFF
from oracle.domain import Vote
from oracle.errors import ChainResetError
from oracle.security import SecurityEventType
from oracle.store import RequestState, Store
from tests.chains import LocalNode, run_anvil
from tests.daemon.conftest import CONTEXT, MESSAGE, Scenario, scenario_on
from tests.rpcproxy import RpcProxy

pytestmark = pytest.mark.integration


@dataclass
class Faulty:
    """A deployment on Anvil; the daemon reads it through `proxy`."""

    node: LocalNode
    proxy: RpcProxy
    scenario: Scenario

    def oracle_through_proxy(self) -> Verifier:
        chain = connect(self.proxy.url, poll_latency=0.01).with_account(
            self.scenario.oracle.chain.signer
        )
        return self.scenario.oracle.using(chain)

    def daemon(self, store: Store | None = None, **settings: object) -> OracleDaemon:
        return OracleDaemon(
            self.oracle_through_proxy(),
            store or self.scenario.store(),
            self.scenario.settings(**settings),
        )

    def events(self, store: Store) -> Counter[SecurityEventType]:
        return Counter(event.type for event in store.security_events())


@pytest.fixture
def faulty(anvil: LocalNode, tmp_path: Path) -> Iterator[Faulty]:
    with RpcProxy(anvil.rpc_url) as proxy:
        yield Faulty(anvil, proxy, scenario_on(anvil.connect(poll_latency=0.01), tmp_path))


@pytest.fixture
def faulty_pair(anvil: LocalNode, tmp_path: Path) -> Iterator[Faulty]:
    """As `faulty`, with a second oracle in the set; either one decides (threshold 1)."""
    with RpcProxy(anvil.rpc_url) as proxy:
        chain = anvil.connect(poll_latency=0.01)
        yield Faulty(anvil, proxy, scenario_on(chain, tmp_path, oracles=2, threshold=1))


def _open_forged(scenario: Scenario, victim: str = "ML-DSA-44") -> tuple[bytes, SigningKey]:
    """A request under the victim's key id whose signature an attacker's key made."""
    _, victim_key_id = scenario.key(victim)
    attacker = SigningKey.generate(victim)
    signature = attacker.sign(MESSAGE, CONTEXT)
    request, _ = scenario.dapp.request_verification_tx(victim_key_id, MESSAGE, CONTEXT, signature)
    scenario.expected[request.request_id] = False
    scenario.requests[request.request_id] = request
    return request.request_id, attacker


def _statuses(scenario: Scenario, ids: Any) -> dict[bytes, Status]:
    return {request_id: scenario.status(request_id) for request_id in ids}


def _only_oracle(verifier: Verifier, oracle: str) -> None:
    """Make `oracle` the whole oracle set of `verifier` (the admin signs; no delay here)."""
    verifier.announce_oracle_set_change([oracle], 1)
    verifier.apply_oracle_set_change()


# --- a lying node ----------------------------------------------------------------------------


def test_a_swapped_key_in_the_log_never_yields_a_verdict(faulty: Faulty) -> None:
    scenario = faulty.scenario
    forged, attacker = _open_forged(scenario)
    honest = scenario.open("ML-DSA-65")
    # The node serves the attacker's key under the victim's key id: the forged signature would
    # verify against it, and the commitment (which covers only the key id) would still match.
    faulty.proxy.swap_key(scenario.keys["ML-DSA-44"][1], attacker.public_key)
    daemon = faulty.daemon()
    daemon.run(until_settled=True, timeout=60)
    assert _statuses(scenario, [forged, honest]) == {
        forged: Status.PENDING,
        honest: Status.VALID,
    }
    stored = daemon.store.request(forged)
    assert stored is not None
    assert stored.state is RequestState.REJECTED
    assert stored.verdict is None
    assert daemon.store.submissions(forged) == []
    events = faulty.events(daemon.store)
    assert events[SecurityEventType.KEY_MISMATCH] >= 1
    assert events[SecurityEventType.KEY_UNAVAILABLE] == 1


def test_an_altered_payload_is_a_security_event_and_never_voted_on(faulty: Faulty) -> None:
    scenario = faulty.scenario
    altered = scenario.open(valid=False)
    honest = scenario.open(valid=True)
    # The tampered request carries MESSAGE + b"!": the node hands the daemon the signed message.
    faulty.proxy.alter_request(altered, MESSAGE)
    daemon = faulty.daemon()
    daemon.run(until_settled=True, timeout=60)
    assert _statuses(scenario, [altered, honest]) == {
        altered: Status.PENDING,
        honest: Status.VALID,
    }
    [event] = daemon.store.security_events(event_type=SecurityEventType.PAYLOAD_MISMATCH)
    assert event.request_id == altered
    assert daemon.store.submissions(altered) == []


def test_an_invented_finalized_log_does_not_close_a_request(faulty: Faulty) -> None:
    scenario = faulty.scenario
    silenced = scenario.open(valid=False)
    block = scenario.chain.block_number()
    faulty.proxy.invent_finalized(silenced, True, block)
    daemon = faulty.daemon()
    daemon.run(until_settled=True, timeout=60)
    assert scenario.status(silenced) is Status.INVALID
    assert scenario.fulfilments() == {silenced: 1}
    stored = daemon.store.request(silenced)
    assert stored is not None
    assert (stored.state, stored.final_status) == (RequestState.FINAL, Status.INVALID)
    # Named in the request's own block, the invented log gives itself away by its block hash;
    # alone in a block, it would meet the contract's status (the next test).
    [event] = daemon.store.security_events(event_type=SecurityEventType.LOG_BLOCK_MISMATCH)
    assert event.request_id == silenced


def test_an_invented_finalized_log_in_a_block_of_its_own_meets_the_contract(
    faulty: Faulty,
) -> None:
    scenario = faulty.scenario
    silenced = scenario.open(valid=False)
    mine_blocks(scenario.chain, 2)
    block = scenario.chain.block_number() - 1
    faulty.proxy.invent_finalized(silenced, True, block)
    daemon = faulty.daemon()
    daemon.run(until_settled=True, timeout=60)
    assert scenario.status(silenced) is Status.INVALID
    assert scenario.fulfilments() == {silenced: 1}
    [event] = daemon.store.security_events(event_type=SecurityEventType.FALSE_FULFILMENT_LOG)
    assert event.request_id == silenced


def test_a_verdict_the_chain_finalised_otherwise_is_a_disagreement(faulty_pair: Faulty) -> None:
    faulty = faulty_pair
    scenario = faulty.scenario
    request_id = scenario.open(valid=True)
    # The other oracle of the set posts the opposite verdict first, and alone decides.
    scenario.oracles[1].vote(Vote(request_id, False, scenario.terms(request_id)))
    daemon = faulty.daemon(confirmations=1)
    _run_until(daemon, scenario, lambda: _state(daemon, request_id) is RequestState.FINAL)
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert (stored.verdict, stored.final_status) == (True, Status.INVALID)
    assert daemon.store.submissions(request_id) == []
    [event] = daemon.store.security_events(event_type=SecurityEventType.VERDICT_DISAGREEMENT)
    assert event.request_id == request_id


# --- a flaky node ----------------------------------------------------------------------------


def test_rate_limits_and_server_errors_back_off_and_resume(
    faulty: Faulty, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = faulty.scenario
    for _ in range(2):
        scenario.open()
    daemon = faulty.daemon()
    # More failures than the connection's own retries absorb: the daemon's cycle sees them.
    faulty.proxy.fail("eth_getLogs", times=4, kind="429")
    faulty.proxy.fail("eth_call", times=2, kind="server")
    with caplog.at_level(logging.INFO, logger="oracle.daemon"):
        report = daemon.run(until_settled=True, timeout=90)
    assert report is not None
    assert report.settled
    assert _statuses(scenario, scenario.expected) == dict.fromkeys(scenario.expected, Status.VALID)
    messages = [record.getMessage() for record in caplog.records]
    assert "node request failed, retrying" in messages
    assert messages.count("node reachable again") >= 1


def test_a_node_back_from_a_long_outage_is_used_again_within_five_seconds(
    faulty: Faulty, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = faulty.scenario
    daemon = faulty.daemon(poll_interval=0.1)
    daemon.run(until_settled=True, timeout=30)
    # Every cycle starts by reading the head block.
    faulty.proxy.fail("eth_getBlockByNumber", times=1_000_000, kind="503")
    cycles: list[float] = []
    stop = threading.Event()
    worker = threading.Thread(
        target=daemon.run,
        kwargs={"stop": stop, "on_cycle": lambda _: cycles.append(time.monotonic())},
    )

    def failures() -> int:
        return sum(r.getMessage() == "node request failed, retrying" for r in caplog.records)

    with caplog.at_level(logging.WARNING, logger="oracle.daemon"):
        worker.start()
        try:
            # Seven failures in a row: the pause after the seventh doubles to 12.8 s (times a
            # jitter of 0.5 to 1) unless MAX_BACKOFF stops it first.
            deadline = time.monotonic() + 60
            while failures() < 7 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert failures() >= 7
            faulty.proxy.reset_rules()
            back = time.monotonic()
            request_id = scenario.open()
            while not cycles and time.monotonic() < back + 40:
                time.sleep(0.01)
            assert cycles, "the daemon never came back"
            assert cycles[0] - back <= 5.0, MAX_BACKOFF
            while scenario.status(request_id) is Status.PENDING and time.monotonic() < back + 40:
                time.sleep(0.05)
            assert scenario.status(request_id) is Status.VALID
        finally:
            stop.set()
            worker.join(timeout=30)
    assert not worker.is_alive()


def test_a_log_result_cap_halves_the_window_and_resumes(
    faulty: Faulty, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = faulty.scenario
    for _ in range(3):
        scenario.open()
    faulty.proxy.fail("eth_getLogs", times=50, kind="cap", max_range=4)
    daemon = faulty.daemon(log_window=100)
    with caplog.at_level(logging.WARNING, logger="oracle.daemon"):
        daemon.run(until_settled=True, timeout=90)
    assert daemon.log_window <= 4
    assert _statuses(scenario, scenario.expected) == dict.fromkeys(scenario.expected, Status.VALID)
    halved = "node capped a log query, halving the window"
    assert any(r.getMessage() == halved for r in caplog.records)


def test_a_dropped_transaction_is_sent_again_once_the_node_shows_it_lost_it(
    faulty: Faulty,
) -> None:
    scenario = faulty.scenario
    first = scenario.open()
    second = scenario.open()
    faulty.proxy.drop_transactions(1)
    daemon = faulty.daemon()
    daemon.run(until_settled=True, timeout=60)
    assert _statuses(scenario, [first, second]) == {first: Status.VALID, second: Status.VALID}
    assert scenario.fulfilments() == {first: 1, second: 1}
    # One signed transaction per request: the lost one was handed over again, not re-signed.
    assert [len(daemon.store.submissions(r)) for r in (first, second)] == [1, 1]


def test_under_a_flood_a_transaction_the_node_lost_is_sent_again_without_waiting(
    faulty: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settling is deferred while requests keep coming, but signing cannot go on past a vote the
    # node lost (its nonce is not in the node's count): the cycle that finds the gap settles.
    monkeypatch.setattr(daemon_service, "SETTLE_DEFER_SECONDS", 3600.0)
    monkeypatch.setattr(daemon_service, "LOST_RESEND_AFTER", 0.0)
    scenario = faulty.scenario
    daemon = faulty.daemon()
    scenario.open()
    daemon.run_once()  # never settled before: settles, and votes
    faulty.proxy.drop_transactions(1)
    scenario.open()
    daemon.run_once()  # votes; the node never gets the transaction
    for _ in range(4):  # a new request in every cycle: a flood
        scenario.open()
        daemon.run_once()
    assert _statuses(scenario, scenario.expected) == dict.fromkeys(scenario.expected, Status.VALID)
    assert set(scenario.fulfilments().values()) == {1}


def test_two_daemons_on_one_sqlite_store_both_survive_and_vote_on_each_request_once(
    faulty: Faulty,
) -> None:
    scenario = faulty.scenario
    for index in range(6):
        scenario.open(valid=index % 2 == 0)
    daemons = [faulty.daemon(batch_size=2) for _ in range(2)]
    failures: list[BaseException] = []

    def run(daemon: OracleDaemon) -> None:
        try:
            daemon.run(until_settled=True, timeout=90)
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=run, args=(daemon,)) for daemon in daemons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    expected = {r: Status.VALID if ok else Status.INVALID for r, ok in scenario.expected.items()}
    assert _statuses(scenario, scenario.expected) == expected
    assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
    # Whichever daemon signed a vote, no request was voted on twice.
    store = scenario.store()
    for request_id in scenario.expected:
        assert len(store.submissions(request_id)) == 1


def test_each_vote_transaction_is_sent_at_most_three_times_with_one_second_blocks(
    tmp_path: Path,
) -> None:
    with run_anvil(block_time=1) as node, RpcProxy(node.rpc_url) as proxy:
        scenario = scenario_on(node.connect(poll_latency=0.01), tmp_path)
        for index in range(4):
            scenario.open(valid=index % 2 == 0)
        faulty = Faulty(node, proxy, scenario)
        sends_before = len(proxy.raw_sends)
        daemon = faulty.daemon(poll_interval=0.05, vote_batch_size=2)
        daemon.run(until_settled=True, timeout=90)
        sends = Counter(proxy.raw_sends[sends_before:])
        assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
        # Two batches of two votes, each signed once and handed to the node at most 3 times.
        transactions = daemon.store.all_submissions()
        assert len(transactions) == 2
        assert set(sends) == {submission.tx_hash for submission in transactions}
        assert max(sends.values()) <= 3, sends


# --- reorgs deeper than the confirmations ----------------------------------------------------


def _rebuild_past(scenario: Scenario, height: int) -> None:
    """Mine on the new branch until it is longer than the old one was."""
    missing = height - scenario.chain.block_number() + 2
    if missing > 0:
        mine_blocks(scenario.chain, missing)


def _state(daemon: OracleDaemon, request_id: bytes) -> RequestState | None:
    stored = daemon.store.request(request_id)
    return None if stored is None else stored.state


def _run_until(
    daemon: OracleDaemon, scenario: Scenario, done: Callable[[], bool], timeout: float = 90
) -> None:
    """Run cycles, mining a block after each (so confirmations come), until `done()`."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the daemon did not get there in time"
        daemon.run(max_cycles=1, on_cycle=lambda _: mine_blocks(scenario.chain))


def _settle(daemon: OracleDaemon, scenario: Scenario, *, vanished: tuple[bytes, ...] = ()) -> None:
    """Run until every expected request is final (and the `vanished` ones vanished) in the
    store, and no transaction is left to settle."""

    def done() -> bool:
        finished = all(_state(daemon, r) is RequestState.FINAL for r in scenario.expected) and all(
            _state(daemon, r) is RequestState.VANISHED for r in vanished
        )
        address = daemon.verifier.chain.address
        return finished and not daemon.store.unsettled_submissions(address)

    _run_until(daemon, scenario, done)


def _final_chain_is_served(daemon: OracleDaemon, scenario: Scenario, ids: list[bytes]) -> None:
    fulfilments = scenario.fulfilments()
    for request_id in ids:
        assert fulfilments.get(request_id) == 1, (request_id, fulfilments)
        stored = daemon.store.request(request_id)
        assert stored is not None
        assert stored.state is RequestState.FINAL, (request_id, stored.state, stored.note)
    assert daemon.store.counts()[RequestState.REJECTED] == 0


def test_a_request_replaced_by_a_reorg_is_verified_afresh_and_voted_on(faulty: Faulty) -> None:
    scenario = faulty.scenario
    daemon = faulty.daemon(confirmations=2)
    scenario.key("ML-DSA-44")
    snapshot = faulty.node.rpc("evm_snapshot")
    old = scenario.open(valid=True)
    _settle(daemon, scenario)
    assert scenario.status(old) is Status.VALID
    height = scenario.chain.block_number()
    faulty.node.rpc("evm_revert", [snapshot])
    scenario.oracle.chain.nonces.reset()
    scenario.dapp.chain.nonces.reset()
    # The same id (the dApp's first request again) now holds other bytes, which deserve the
    # opposite verdict.
    scenario.expected.clear()
    replaced = scenario.open(valid=False)
    assert replaced == old
    later = scenario.open(valid=True)
    _rebuild_past(scenario, height)
    _settle(daemon, scenario)
    assert _statuses(scenario, [replaced, later]) == {
        replaced: Status.INVALID,
        later: Status.VALID,
    }
    _final_chain_is_served(daemon, scenario, [replaced, later])
    assert daemon.store.security_events(event_type=SecurityEventType.REORG)


def test_closing_logs_held_back_by_a_flood_are_dropped_when_a_reorg_takes_their_blocks(
    faulty: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under a flood the check of closing logs waits for settling; a reorg meanwhile takes the
    # vote that logged one away. Checked against the contract, that log would read as a false
    # fulfilment: it is dropped with its block instead, and the request is voted on again.
    monkeypatch.setattr(daemon_service, "SETTLE_DEFER_SECONDS", 3600.0)
    scenario = faulty.scenario
    daemon = faulty.daemon()
    scenario.key("ML-DSA-44")
    first = scenario.open(valid=True)
    snapshot = faulty.node.rpc("evm_snapshot")
    daemon.run_once()  # never settled before: settles, and votes
    assert scenario.status(first) is Status.VALID
    scenario.open(valid=True)
    report = daemon.run_once()  # reads the vote's closing log and a new request: a flood
    assert (report.new_requests, report.submitted) == (1, 1)
    assert daemon._closing  # held back
    height = scenario.chain.block_number()
    faulty.node.rpc("evm_revert", [snapshot])
    scenario.oracle.chain.nonces.reset()
    scenario.dapp.chain.nonces.reset()
    _rebuild_past(scenario, height)
    scenario.expected = {first: True}
    # The cycle that follows the reorg settles at once, flood or not: its votes wait on the
    # nonces the reorg gave back, which only settling hands the node again.
    settled: list[int] = []
    settle = daemon.settle
    monkeypatch.setattr(daemon, "settle", lambda safe: settled.append(safe) or settle(safe))
    # (The dApp's next request takes the id of the one the reorg took away; the one after it
    # is new: the cycle reads a new request.)
    later = [scenario.open(valid=True) for _ in range(2)]
    report = daemon.run_once()
    assert report.rewound_to is not None
    assert report.new_requests >= 1
    assert len(settled) == 1
    _settle(daemon, scenario)
    assert _statuses(scenario, [first, *later]) == dict.fromkeys([first, *later], Status.VALID)
    assert faulty.events(daemon.store)[SecurityEventType.FALSE_FULFILMENT_LOG] == 0
    assert faulty.events(daemon.store)[SecurityEventType.REORG] >= 1


def test_a_vanished_request_leaves_the_pipeline_and_its_id_serves_the_next_request(
    faulty: Faulty,
) -> None:
    scenario = faulty.scenario
    daemon = faulty.daemon(confirmations=2)
    scenario.key("ML-DSA-44")
    snapshot = faulty.node.rpc("evm_snapshot")
    gone = scenario.open(valid=True)
    _settle(daemon, scenario)
    height = scenario.chain.block_number()
    faulty.node.rpc("evm_revert", [snapshot])
    scenario.oracle.chain.nonces.reset()
    scenario.dapp.chain.nonces.reset()
    _rebuild_past(scenario, height)
    scenario.expected.clear()
    _settle(daemon, scenario, vanished=(gone,))
    stored = daemon.store.request(gone)
    assert stored is not None
    assert stored.state is RequestState.VANISHED
    assert scenario.status(gone) is Status.NONE
    # A new request takes the same id on the new chain: it is served, not skipped.
    scenario.expected.clear()
    again = scenario.open(valid=False)
    assert again == gone
    _settle(daemon, scenario)
    assert scenario.status(again) is Status.INVALID
    _final_chain_is_served(daemon, scenario, [again])


def test_an_orphaned_vote_is_sent_again_and_later_requests_do_not_stall(
    faulty: Faulty,
) -> None:
    scenario = faulty.scenario
    daemon = faulty.daemon(confirmations=2)
    first = scenario.open(valid=True)
    second = scenario.open(valid=False)
    mine_blocks(scenario.chain, 3)
    snapshot = faulty.node.rpc("evm_snapshot")
    _settle(daemon, scenario)
    assert _statuses(scenario, [first, second]) == {first: Status.VALID, second: Status.INVALID}
    height = scenario.chain.block_number()
    # The blocks holding both votes are replaced: the oracle's nonce goes back on chain.
    faulty.node.rpc("evm_revert", [snapshot])
    _rebuild_past(scenario, height)
    assert _statuses(scenario, [first, second]) == dict.fromkeys((first, second), Status.PENDING)
    third = scenario.open(valid=True)
    _settle(daemon, scenario)
    assert _statuses(scenario, [first, second, third]) == {
        first: Status.VALID,
        second: Status.INVALID,
        third: Status.VALID,
    }
    _final_chain_is_served(daemon, scenario, [first, second, third])
    assert daemon.store.security_events(event_type=SecurityEventType.REORG)
    # Every recorded transaction ends in the state the chain shows.
    for request_id in (first, second, third):
        for submission in daemon.store.submissions(request_id):
            assert submission.confirmed
            receipt = scenario.admin.lookup_receipt(submission.tx_hash)
            if receipt is None:
                assert submission.state.value == "dropped"
            else:
                assert submission.state.value == ("mined" if receipt.succeeded else "reverted")


def test_a_reset_chain_is_refused_in_one_line_or_followed_from_a_fresh_store(
    faulty: Faulty, tmp_path: Path
) -> None:
    scenario = faulty.scenario
    node = faulty.node
    first = scenario.open()
    mine_blocks(scenario.chain, 20)
    faulty.daemon().run(until_settled=True, timeout=60)
    assert scenario.status(first) is Status.VALID
    # Anvil starts over (same chain id, a short new chain); the same deployer redeploys at the
    # same address, and makes the daemon's account the oracle set again.
    node.rpc("anvil_reset")
    node.rpc("anvil_setBalance", [node.address, hex(10**24)])
    oracle = scenario.oracle.chain.address
    node.rpc("anvil_setBalance", [oracle, hex(10**20)])
    scenario.chain.nonces.reset()
    scenario.oracle.chain.nonces.reset()
    (tmp_path / "fresh").mkdir()
    fresh = scenario_on(scenario.chain, tmp_path / "fresh")
    assert fresh.admin.address == scenario.admin.address
    _only_oracle(fresh.admin, oracle)
    with pytest.raises(ChainResetError) as caught:
        faulty.daemon().run(max_cycles=2)
    assert "\n" not in str(caught.value)
    assert "--reset-store" in str(caught.value)
    request_id = fresh.open()
    store = scenario.store()
    following = OracleDaemon(
        faulty.oracle_through_proxy(), store, scenario.settings(), reset_store=True
    )
    following.run(until_settled=True, timeout=60)
    assert fresh.status(request_id) is Status.VALID
    assert fresh.fulfilments() == {request_id: 1}
    assert [e.type for e in store.security_events(event_type=SecurityEventType.CHAIN_RESET)] == [
        SecurityEventType.CHAIN_RESET,
        SecurityEventType.CHAIN_RESET,
    ]


def test_pqoracle_run_refuses_a_reset_chain_with_exit_2_and_follows_it_with_reset_store(
    anvil: LocalNode, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from oracle.cli import main

    scenario = scenario_on(anvil.connect(), tmp_path)
    key_file = tmp_path / "oracle.key"
    key_file.write_text("0x" + bytes(scenario.oracle.chain.signer.account.key).hex())
    command = [
        "run",
        "--rpc-url",
        anvil.rpc_url,
        "--verifier",
        scenario.oracle.address,
        "--private-key-file",
        str(key_file),
        "--database-url",
        scenario.store_url,
        "--log-format",
        "text",
    ]
    first = scenario.open()
    mine_blocks(scenario.chain, 20)
    assert CliRunner().invoke(main, [*command, "--max-cycles", "5"]).exit_code == 0
    assert scenario.status(first) is Status.VALID
    anvil.rpc("anvil_reset")
    anvil.rpc("anvil_setBalance", [anvil.address, hex(10**24)])
    anvil.rpc("anvil_setBalance", [scenario.oracle.chain.address, hex(10**20)])
    scenario.chain.nonces.reset()
    (tmp_path / "fresh").mkdir()
    fresh = scenario_on(scenario.chain, tmp_path / "fresh")
    _only_oracle(fresh.admin, scenario.oracle.chain.address)
    refused = CliRunner().invoke(main, [*command, "--max-cycles", "2"])
    assert refused.exit_code == 2, refused.output
    [reason] = [line for line in refused.output.splitlines() if line.startswith("Error:")]
    assert "--reset-store" in reason
    request_id = fresh.open()
    followed = CliRunner().invoke(main, [*command, "--reset-store", "--max-cycles", "5"])
    assert followed.exit_code == 0, followed.output
    assert fresh.status(request_id) is Status.VALID


def test_waiting_for_confirmations_on_an_idle_node_is_logged_with_the_reason(
    anvil: LocalNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A default Anvil mines a block only when a transaction arrives: two confirmations never come.
    scenario = scenario_on(anvil.connect(), tmp_path)
    scenario.open()
    daemon = OracleDaemon(
        scenario.oracle,
        scenario.store(),
        scenario.settings(confirmations=2, wait_log_interval=0.01),
    )
    with caplog.at_level(logging.INFO, logger="oracle.daemon"):
        for _ in range(3):
            daemon.run(max_cycles=1)
            time.sleep(0.02)
    waits = [r for r in caplog.records if r.getMessage() == "waiting for confirmations"]
    assert len(waits) >= 2
    assert waits[0].unconfirmed_requests == 1  # type: ignore[attr-defined]
    assert waits[0].head - waits[0].safe_block == 2  # type: ignore[attr-defined]
    assert "--block-time 1" in waits[-1].hint  # type: ignore[attr-defined]


def test_a_vote_orphaned_before_its_confirmations_is_sent_again(
    faulty: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daemon_service, "SETTLE_DEFER_SECONDS", 0.0)  # the cycle that votes settles
    scenario = faulty.scenario
    request_id = scenario.open(valid=True)
    daemon = faulty.daemon(confirmations=2)
    mine_blocks(scenario.chain, 2)
    snapshot = faulty.node.rpc("evm_snapshot")
    daemon.run(max_cycles=1)
    [sent] = daemon.store.submissions(request_id)
    assert (sent.state.value, sent.confirmed) == ("mined", False)
    # The vote's block is replaced before it is deep enough to count.
    faulty.node.rpc("evm_revert", [snapshot])
    assert scenario.admin.lookup_receipt(sent.tx_hash) is None
    mine_blocks(scenario.chain, 1)
    stored = daemon.store.request(request_id)
    assert stored is not None
    assert stored.state is RequestState.SUBMITTED
    _settle(daemon, scenario)
    assert scenario.status(request_id) is Status.VALID
    assert scenario.fulfilments() == {request_id: 1}
    [settled] = daemon.store.submissions(request_id)
    assert settled.tx_hash == sent.tx_hash
    assert (settled.state.value, settled.confirmed) == ("mined", True)
    assert settled.sends == 2


def test_no_vote_is_signed_on_a_nonce_a_reorg_took_back_from_a_recorded_vote(
    faulty: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daemon_service, "SETTLE_DEFER_SECONDS", 0.0)  # the cycle that votes settles
    scenario = faulty.scenario
    first = scenario.open(valid=True)
    second = scenario.open(valid=False)
    mine_blocks(scenario.chain, 2)
    snapshot = faulty.node.rpc("evm_snapshot")
    daemon = faulty.daemon(confirmations=2, batch_size=1)
    daemon.run(max_cycles=1)
    [sent] = daemon.store.submissions(first)
    assert (sent.state.value, sent.confirmed) == ("mined", False)
    # The vote's block is replaced between a cycle's settling and its signing: the node counts
    # the vote's nonce as free again, while the store still holds the vote as mined.
    faulty.node.rpc("evm_revert", [snapshot])
    safe = scenario.chain.block_number() - 2
    assert daemon.verify_pending(safe) == (1, 0)
    assert daemon.submit_verified(safe) == (0, 0)
    _settle(daemon, scenario)
    assert _statuses(scenario, [first, second]) == {first: Status.VALID, second: Status.INVALID}
    assert scenario.fulfilments() == {first: 1, second: 1}
    # The first vote was handed over again, not re-signed behind a new transaction on its nonce.
    [settled] = daemon.store.submissions(first)
    assert settled.tx_hash == sent.tx_hash
    assert [s.state.value for s in daemon.store.all_submissions()] == ["mined", "mined"]


def test_a_reorg_while_settling_never_marks_a_replaced_vote_as_dropped(
    faulty: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = faulty.scenario
    first = scenario.open(valid=True)
    second = scenario.open(valid=False)
    mine_blocks(scenario.chain, 2)
    snapshot = faulty.node.rpc("evm_snapshot")
    daemon = faulty.daemon(confirmations=2, batch_size=1)
    daemon.run(max_cycles=2)
    sent = daemon.store.all_submissions()
    assert [(s.state.value, s.confirmed) for s in sent] == [("mined", False)] * 2
    safe = scenario.chain.block_number() - 2
    # Both votes' blocks are replaced after settling has read the account's transaction count
    # and before it looks for their receipts.
    lookup = daemon.verifier.lookup_receipts
    reverted: list[bool] = []

    def lookup_after_a_reorg(tx_hashes: Sequence[bytes]) -> object:
        if not reverted:
            reverted.append(faulty.node.rpc("evm_revert", [snapshot]))
        return lookup(tx_hashes)

    monkeypatch.setattr(daemon.verifier, "lookup_receipts", lookup_after_a_reorg)
    daemon.settle(safe)
    monkeypatch.undo()
    assert reverted == [True]
    # Their nonces are free again: the same bytes go to the node again, none is given up (a
    # dropped one would leave a nonce gap no later vote could ever pass).
    assert [s.state.value for s in daemon.store.all_submissions()] == ["signed", "signed"]
    _settle(daemon, scenario)
    assert _statuses(scenario, [first, second]) == {first: Status.VALID, second: Status.INVALID}
    assert scenario.fulfilments() == {first: 1, second: 1}
    assert [s.tx_hash for s in daemon.store.all_submissions()] == [s.tx_hash for s in sent]
