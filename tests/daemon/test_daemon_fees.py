"""Vote transactions that always move, on Anvil with the test in charge of mining: a vote priced
under a jump of the base fee stays stuck, is replaced after `replace_after_blocks` with the same
nonce and votes and fees at least 12.5% higher, and the votes count once; the operator's fee cap
stops the bumps with one `fee_cap_reached` event; a `pqoracle run` process killed right after it
recorded a replacement sends exactly those bytes when it comes back; a reorg that removes the
mined replacement's block sends it again.

A daemon on a legacy (pre-London) chain is not run here: the verifier's bytecode targets
Shanghai, which has EIP-1559, on every node the tests start (Ganache 7 included). The legacy path
is tested where it lives, in tests/chain/test_fees.py (a fake pre-London node, and Anvil with
`--hardfork berlin` mining a legacy replacement).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from web3.types import RPCEndpoint

from oracle.chain import Chain, FeePolicy, Fees, Verifier
from oracle.chain.fees import minimum_bump, next_base_fee
from oracle.chain.transactions import fees_of
from oracle.daemon import OracleDaemon
from oracle.domain import Status, Submission
from oracle.security import SecurityEventType, Severity
from oracle.store import RequestState, Store, SubmissionState
from tests.chains import ROOT, LocalNode, anvil_unavailable, run_anvil
from tests.daemon.conftest import Scenario, scenario_on
from tests.rpcproxy import RpcProxy

pytestmark = pytest.mark.integration

GWEI = 10**9
#: The daemon's tip, and a multiplier of 1: its votes offer the base fee plus 0.1 gwei.
TIP = GWEI // 10
#: The base fee the test jumps to once a vote is in the pool (Anvil starts at 1 gwei and the
#: setup's blocks bring it down).
JUMP = 10 * GWEI
REPLACE_AFTER = 3


def _rpc(chain: Chain, method: str, *params: object) -> Any:
    answer = chain.w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in answer, answer
    return answer["result"]


def _mine(chain: Chain, blocks: int = 1) -> None:
    _rpc(chain, "anvil_mine", hex(blocks))


def _jump_base_fee(chain: Chain) -> None:
    """Make the next block's base fee `JUMP` and mine it: a vote priced for 1 gwei is left out
    (Anvil even drops it from its pool), and blocks after it stay far above 1 gwei."""
    _rpc(chain, "anvil_setNextBlockBaseFeePerGas", hex(JUMP))
    _mine(chain)


@contextmanager
def _anvil_scenario(tmp_path: Path) -> Iterator[tuple[LocalNode, Scenario]]:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        # Set up with automine, then let the test mine every block.
        scenario = scenario_on(node.connect(poll_latency=0.02), tmp_path)
        scenario.open(valid=True)
        scenario.open(valid=False)
        _rpc(scenario.chain, "evm_setAutomine", False)
        yield node, scenario


def _daemon(scenario: Scenario, policy: FeePolicy, **settings: object) -> OracleDaemon:
    oracle = scenario.oracle
    chain = dataclasses.replace(oracle.chain, fees=policy)
    values: dict[str, object] = {"replace_after_blocks": REPLACE_AFTER, "vote_batch_size": 20}
    values.update(settings)
    return OracleDaemon(
        Verifier(chain, oracle.address), scenario.store(), scenario.settings(**values)
    )


def _versions(store: Store, scenario: Scenario) -> list[Submission]:
    [first, *others] = scenario.expected
    versions = store.submissions(first)
    for request_id in others:
        assert store.submissions(request_id) == versions  # one batch carries every vote
    return versions


def _cycle_until(daemon: OracleDaemon, done: Callable[[], bool], *, mine: bool) -> int:
    """Run cycles (mining a block after each when `mine`) until `done()`; return the cycles."""
    for cycle in range(1, 61):
        daemon.run(max_cycles=1)
        if done():
            return cycle
        if mine:
            _mine(daemon.verifier.chain)
    raise AssertionError("the daemon did not get there in 60 cycles")


def _counter(daemon: OracleDaemon, name: str) -> float:
    value = daemon.metrics.registry.get_sample_value(f"pqoracle_daemon_{name}_total")
    assert value is not None
    return value


def _assert_bumped(before: Fees, after: Fees) -> None:
    assert before.max_fee_per_gas is not None
    assert before.max_priority_fee_per_gas is not None
    assert after.max_fee_per_gas is not None
    assert after.max_priority_fee_per_gas is not None
    assert after.max_fee_per_gas >= minimum_bump(before.max_fee_per_gas)
    assert after.max_priority_fee_per_gas >= minimum_bump(before.max_priority_fee_per_gas)


def _sent_and_stuck(daemon: OracleDaemon, scenario: Scenario) -> Submission:
    """Let the daemon sign and send its vote batch, then jump the base fee over its price."""
    chain = scenario.chain
    if daemon.settings.confirmations:
        _mine(chain, daemon.settings.confirmations)
    base_fee = next_base_fee(chain)
    assert base_fee is not None
    _cycle_until(daemon, lambda: bool(daemon.store.all_submissions()), mine=False)
    [sent] = daemon.store.all_submissions()
    assert sent.sends == 1
    expected = Fees(max_fee_per_gas=base_fee + TIP, max_priority_fee_per_gas=TIP)
    assert fees_of(sent.raw_tx) == expected
    _jump_base_fee(chain)
    assert chain.w3.eth.get_block("latest")["transactions"] == []
    return sent


def test_a_vote_stuck_under_the_base_fee_is_replaced_after_n_blocks_and_counts_once(
    tmp_path: Path,
) -> None:
    with _anvil_scenario(tmp_path) as (_, scenario):
        chain = scenario.chain
        daemon = _daemon(scenario, FeePolicy(priority_fee_per_gas=TIP, base_fee_multiplier=1))
        original = _sent_and_stuck(daemon, scenario)
        # Cycles with a block after each: nothing is replaced before REPLACE_AFTER blocks.
        while len(_versions(daemon.store, scenario)) == 1:
            [waiting] = _versions(daemon.store, scenario)
            assert waiting.state is SubmissionState.SIGNED
            if waiting.sent_block is not None:
                assert chain.block_number() - waiting.sent_block <= REPLACE_AFTER
            daemon.run(max_cycles=1)
            if len(_versions(daemon.store, scenario)) == 1:
                _mine(chain)
        first, replacement = _versions(daemon.store, scenario)
        assert first.tx_hash == original.tx_hash
        assert first.sent_block is not None
        assert chain.block_number() - first.sent_block >= REPLACE_AFTER
        assert (replacement.nonce, replacement.votes) == (original.nonce, original.votes)
        assert replacement.sends == 1  # recorded, then handed to the node
        _assert_bumped(fees_of(original.raw_tx), fees_of(replacement.raw_tx))
        # Priced for the base fee of now: the next block mines it.
        assert fees_of(replacement.raw_tx).limit >= int(
            chain.w3.eth.get_block("pending")["baseFeePerGas"]
        )

        def settled() -> bool:
            counts = daemon.store.counts()
            return counts[RequestState.FINAL] == len(scenario.expected) and not (
                daemon.store.unsettled_submissions(chain.address)
            )

        _cycle_until(daemon, settled, mine=True)
        first, replacement = _versions(daemon.store, scenario)
        assert (first.state, replacement.state) == (SubmissionState.DROPPED, SubmissionState.MINED)
        expected = {
            r: Status.VALID if ok else Status.INVALID for r, ok in scenario.expected.items()
        }
        assert {r: scenario.status(r) for r in scenario.expected} == expected
        assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
        # One nonce spent by the oracle: the vote transaction, in whichever version.
        assert chain.transaction_count(daemon.verifier.chain.address) == 1
        assert _counter(daemon, "replacements") == 1
        assert _counter(daemon, "fee_cap_reached") == 0


def test_the_fee_cap_stops_the_bumps_with_one_event_until_the_operator_raises_it(
    tmp_path: Path,
) -> None:
    with _anvil_scenario(tmp_path) as (_, scenario):
        chain = scenario.chain
        base_fee = next_base_fee(chain)
        assert base_fee is not None
        # Room for one bump of the original's fee cap (12.5% and more), not for two.
        cap = (base_fee + TIP) * 13 // 10
        capped = FeePolicy(priority_fee_per_gas=TIP, base_fee_multiplier=1, max_fee_per_gas_cap=cap)
        daemon = _daemon(scenario, capped)
        original = _sent_and_stuck(daemon, scenario)

        def refused() -> bool:
            return bool(daemon.store.security_events(event_type=SecurityEventType.FEE_CAP_REACHED))

        _cycle_until(daemon, refused, mine=True)
        first, at_cap = _versions(daemon.store, scenario)
        assert first.tx_hash == original.tx_hash
        # The bump wanted the base fee of ~10 gwei: it went to the cap, and no further.
        assert fees_of(at_cap.raw_tx).limit == cap
        _assert_bumped(fees_of(first.raw_tx), fees_of(at_cap.raw_tx))
        [event] = daemon.store.security_events(event_type=SecurityEventType.FEE_CAP_REACHED)
        assert event.severity is Severity.WARNING
        assert event.tx_hash == at_cap.tx_hash
        assert f"cap max_fee_per_gas_cap {cap} wei" in event.detail
        # Many more blocks: the transaction waits at the cap, reported once.
        for _ in range(3 * REPLACE_AFTER):
            _mine(chain)
            daemon.run(max_cycles=1)
        assert [v.tx_hash for v in _versions(daemon.store, scenario)] == [
            original.tx_hash,
            at_cap.tx_hash,
        ]
        assert len(daemon.store.security_events(event_type=SecurityEventType.FEE_CAP_REACHED)) == 1
        assert _counter(daemon, "fee_cap_reached") == 1
        assert all(scenario.status(r) is Status.PENDING for r in scenario.expected)
        [capped_row] = [v for v in _versions(daemon.store, scenario) if v.fee_capped]
        assert capped_row.tx_hash == at_cap.tx_hash

        # The operator raises the cap and restarts: bumping resumes and the votes land once.
        raised = _daemon(scenario, dataclasses.replace(capped, max_fee_per_gas_cap=100 * GWEI))

        def settled() -> bool:
            return raised.store.counts()[RequestState.FINAL] == len(scenario.expected)

        _cycle_until(raised, settled, mine=True)
        versions = _versions(raised.store, scenario)
        assert len(versions) == 3
        assert [v.state for v in versions] == [
            SubmissionState.DROPPED,
            SubmissionState.DROPPED,
            SubmissionState.MINED,
        ]
        assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)


def test_a_reorg_that_removes_the_mined_replacement_sends_the_same_bytes_again(
    tmp_path: Path,
) -> None:
    with _anvil_scenario(tmp_path) as (_, scenario):
        chain = scenario.chain
        daemon = _daemon(
            scenario, FeePolicy(priority_fee_per_gas=TIP, base_fee_multiplier=1), confirmations=2
        )
        _sent_and_stuck(daemon, scenario)

        def settled() -> bool:
            return daemon.store.counts()[RequestState.FINAL] == len(scenario.expected) and not (
                daemon.store.unsettled_submissions(chain.address)
            )

        _cycle_until(daemon, settled, mine=True)
        first, replacement = _versions(daemon.store, scenario)
        assert (first.state, replacement.state) == (SubmissionState.DROPPED, SubmissionState.MINED)
        assert replacement.block_number is not None
        # Replace the replacement's block (which the daemon read, 2 confirmations deep) and the
        # blocks after it with empty ones: the daemon rewinds, puts the vote transaction back
        # to signed and sends its bytes again; the original stays dropped.
        depth = chain.block_number() - replacement.block_number + 1
        _rpc(chain, "anvil_reorg", depth, [])
        assert scenario.oracle.lookup_receipt(replacement.tx_hash) is None
        _cycle_until(daemon, settled, mine=True)
        assert daemon.store.security_events(event_type=SecurityEventType.REORG)
        first, again = _versions(daemon.store, scenario)
        assert (first.state, again.state, again.confirmed) == (
            SubmissionState.DROPPED,
            SubmissionState.MINED,
            True,
        )
        assert (again.tx_hash, again.raw_tx) == (replacement.tx_hash, replacement.raw_tx)
        assert again.block_number != replacement.block_number or again.block_hash != (
            replacement.block_hash
        )
        assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
        assert chain.transaction_count(daemon.verifier.chain.address) == 1


# --- a process killed right after it recorded a replacement ----------------------------------


def _start_run(
    scenario: Scenario, rpc_url: str, key_file: Path, log: Path
) -> subprocess.Popen[bytes]:
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "PQORACLE_POLL_INTERVAL": "0.05",
        "PQORACLE_PRIORITY_FEE_PER_GAS": str(TIP),
        "PQORACLE_BASE_FEE_MULTIPLIER": "1",
        "PQORACLE_REPLACE_AFTER_BLOCKS": "2",
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


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_process_killed_right_after_recording_a_replacement_sends_those_bytes_on_restart(
    tmp_path: Path,
) -> None:
    with _anvil_scenario(tmp_path) as (node, scenario), RpcProxy(node.rpc_url) as proxy:
        chain = scenario.chain
        key_file = tmp_path / "oracle.key"
        key_file.write_text("0x" + bytes(scenario.oracle.chain.signer.account.key).hex())
        key_file.chmod(0o600)
        log = tmp_path / "daemon.log"
        store = scenario.store()

        def sent() -> bool:
            found = store.all_submissions()
            return len(found) == 1 and found[0].sends == 1 and found[0].sent_block is not None

        first = _start_run(scenario, proxy.url, key_file, log)
        try:
            assert _wait(sent, 60), log.read_text()[-3000:]
            [original] = store.all_submissions()
            sends = proxy.calls["eth_sendRawTransaction"]
            # The next raw send (the replacement) is held by the node's proxy and never reaches
            # the node; the kill lands while the process waits for it.
            proxy.fail("eth_sendRawTransaction", times=1, kind="timeout", delay=30)
            proxy.drop_transactions(1)
            _rpc(chain, "anvil_setNextBlockBaseFeePerGas", hex(JUMP))
            _mine(chain, 2)

            def sending_a_second_version() -> bool:
                recorded = len(store.all_submissions()) == 2
                return recorded and proxy.calls["eth_sendRawTransaction"] > sends

            assert _wait(sending_a_second_version, 30), log.read_text()[-3000:]
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        # Stopping the proxy ends the hold: the held send is answered (dropped), never forwarded.
        proxy.stop()
        assert _wait(lambda: len(proxy.raw_sends) > sends, 10)
        _, recorded = store.all_submissions()
        assert (recorded.nonce, recorded.votes, recorded.sends) == (
            original.nonce,
            original.votes,
            0,
        )
        assert proxy.raw_sends[-1] == recorded.tx_hash
        # The node never received it.
        answer = chain.w3.provider.make_request(
            RPCEndpoint("eth_getTransactionByHash"), ["0x" + recorded.tx_hash.hex()]
        )
        assert answer.get("result") is None

        second = _start_run(scenario, node.rpc_url, key_file, log)
        try:

            def in_pool() -> bool:
                answer = chain.w3.provider.make_request(
                    RPCEndpoint("eth_getTransactionByHash"), ["0x" + recorded.tx_hash.hex()]
                )
                return answer.get("result") is not None

            assert _wait(in_pool, 30), log.read_text()[-3000:]
            _mine(chain)

            def settled() -> bool:
                final = store.counts()[RequestState.FINAL] == len(scenario.expected)
                return final and not store.unsettled_submissions(scenario.oracle.chain.address)

            assert _wait(settled, 60), log.read_text()[-3000:]
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0
        versions = store.all_submissions()
        assert [(v.tx_hash, v.state) for v in versions] == [
            (original.tx_hash, SubmissionState.DROPPED),
            (recorded.tx_hash, SubmissionState.MINED),
        ]
        assert versions[1].raw_tx == recorded.raw_tx
        assert scenario.fulfilments() == dict.fromkeys(scenario.expected, 1)
