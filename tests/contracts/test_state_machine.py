"""Random sequences of everything SignatureVerifier 2 does, on Anvil, against a small model.

Hypothesis drives requests, votes, batches, cancellations, withdrawals, pauses, oracle set changes
and time travel; after every step the chain must agree with the model, which gives:

- a final (or cancelled) request never changes status;
- no vote counts twice: `statusOf` counts exactly the votes of the current set, once each, while
  a request is open or past its deadline, and a final or cancelled request keeps the counts it
  closed with, even after the slots of its voters cool down and go to new oracles;
- a removed oracle's vote never decides: the model counts only votes cast under an oracle's
  current membership, and every vote's outcome (counted, final, refused) must match it;
- fees are conserved: the verifier holds exactly the fees of open requests plus unwithdrawn
  earnings, and paid = withdrawn + refunded + held;
- nobody outside the set changes a verdict: an outsider's vote is refused and changes nothing.

One Anvil and one deployment serve every example; each example starts from an `evm_snapshot` of
the freshly deployed verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from oracle.errors import ContractRevertError
from tests.chains import LocalNode, anvil_unavailable, run_anvil
from tests.contracts.v2 import (
    CANCELLED,
    EXPIRED,
    INVALID,
    PENDING,
    VALID,
    Config,
    Deployment,
    Opened,
    advance,
    deploy,
    now,
    random_payload,
)

pytestmark = pytest.mark.integration

CONFIG = Config(default_timeout=300, min_timeout=300, max_timeout=600)
#: A jump past every deadline and every slot's cool-down (600 s + 1).
JUMP = 1_000
CANDIDATES = 5
SLOTS = 48


@dataclass
class Env:
    node: LocalNode
    deployment: Deployment
    snapshot: str
    #: When the two slots released at set-up may be reused.
    reusable_at: int
    key_id: bytes = b""
    message: bytes = b""
    signature: bytes = b""


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    with run_anvil() as node:
        chain = node.connect(poll_latency=0.005)
        deployment = deploy(chain, oracles=CANDIDATES, threshold=2, config=CONFIG)
        # Start from three members of five candidates.
        members = [o.account for o in deployment.oracles[:3]]
        applied = deployment.admin.announce_and_apply(members, 2)
        applied_at = int(chain.w3.eth.get_block(applied.block_number)["timestamp"])
        public_key, message, signature = random_payload(1)
        key_id, _ = deployment.requester.register_key(1, public_key)
        deployment.outsider.register_key(1, public_key)
        snapshot = node.rpc("evm_snapshot")
        yield Env(node, deployment, snapshot, applied_at + 601, key_id, message, signature)


@dataclass
class Model:
    members: list[str]
    threshold: int
    #: Membership generation of each candidate; a vote counts while its generation is current.
    generation: dict[str, int]
    slots_in_use: int
    #: Timestamps from which released slots may be reused.
    cooling: list[int] = field(default_factory=list)
    paused: bool = False
    requests: list[Opened] = field(default_factory=list)
    status: dict[bytes, int] = field(default_factory=dict)
    votes: dict[bytes, dict[tuple[str, int], bool]] = field(default_factory=dict)
    earned: dict[str, int] = field(default_factory=dict)
    #: (valid, invalid) votes of each final or cancelled request when it closed.
    closed_with: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    paid: int = 0
    withdrawn: int = 0
    refunded: int = 0

    def current(self, request_id: bytes) -> tuple[int, int]:
        votes = self.votes[request_id]
        live = [
            v
            for (who, gen), v in votes.items()
            if who in self.members and self.generation[who] == gen
        ]
        return sum(live), len(live) - sum(live)

    def counts(self, opened: Opened) -> tuple[int, int]:
        """What `statusOf` must report as (valid, invalid) votes."""
        return self.closed_with.get(opened.request_id) or self.current(opened.request_id)

    def held(self) -> int:
        open_fees = sum(o.terms.fee for o in self.requests if self.status[o.request_id] == PENDING)
        return open_fees + sum(self.earned.values())


class VerifierMachine(RuleBasedStateMachine):
    env: ClassVar[Env]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        env.node.rpc("evm_revert", [env.snapshot])
        env.snapshot = env.node.rpc("evm_snapshot")
        d = env.deployment
        for actor in d.actors():
            actor.chain.nonces.reset()
        d.chain.nonces.reset()
        members = [o.account for o in d.oracles[:3]]
        generation = {o.account: 0 for o in d.oracles}
        # The deployment gave five slots; reshaping the set to three released two.
        self.model = Model(members, 2, generation, slots_in_use=3, cooling=[env.reusable_at] * 2)
        self.d = d
        self.by_account = {o.account: o for o in d.oracles}

    # --- helpers ---------------------------------------------------------------------------------

    def _time(self) -> int:
        # The next block is stamped at least one second after the latest one.
        return now(self.d.chain) + 1

    def _expect_vote(self, oracle: str, opened: Opened) -> str | None:
        """The error `vote` must raise, or None when it counts."""
        m = self.model
        if oracle not in m.members:
            return "VerifierNotOracle"
        if m.paused:
            return "EnforcedPause"
        if m.status[opened.request_id] != PENDING:
            return "VerifierRequestNotPending"
        if self._time() > opened.deadline:
            return "VerifierRequestExpired"
        if (oracle, m.generation[oracle]) in m.votes[opened.request_id]:
            return "VerifierAlreadyVoted"
        return None

    def _count(self, oracle: str, opened: Opened, valid: bool) -> None:
        """Apply a counted vote to the model (finalising and paying when it reaches threshold)."""
        m = self.model
        m.votes[opened.request_id][(oracle, m.generation[oracle])] = valid
        valid_votes, invalid_votes = m.current(opened.request_id)
        if (valid_votes if valid else invalid_votes) < m.threshold:
            return
        m.status[opened.request_id] = VALID if valid else INVALID
        m.closed_with[opened.request_id] = (valid_votes, invalid_votes)
        fee = opened.terms.fee
        if fee:
            winners = [
                who
                for (who, gen), v in m.votes[opened.request_id].items()
                if v == valid and who in m.members and m.generation[who] == gen
            ]
            share = fee // len(winners)
            for who in winners:
                m.earned[who] = m.earned.get(who, 0) + share
            m.earned[oracle] = m.earned.get(oracle, 0) + fee - share * len(winners)

    # --- rules -----------------------------------------------------------------------------------

    @initialize()
    def open_two(self) -> None:
        self.request(outsider=False, fee=100, timeout=0)
        self.request(outsider=True, fee=0, timeout=600)

    @rule(
        outsider=st.booleans(),
        fee=st.sampled_from([0, 0, 3, 100]),
        timeout=st.sampled_from([0, 300, 600]),
    )
    def request(self, outsider: bool, fee: int, timeout: int) -> None:
        requester = self.d.outsider if outsider else self.d.requester
        env = self.env
        if self.model.paused:
            with pytest.raises(ContractRevertError, match="EnforcedPause"):
                requester.request(
                    env.key_id, env.message, b"", env.signature, fee=fee, timeout=timeout
                )
            return
        opened = requester.request(
            env.key_id, env.message, b"", env.signature, fee=fee, timeout=timeout
        )
        self.model.requests.append(opened)
        self.model.status[opened.request_id] = PENDING
        self.model.votes[opened.request_id] = {}
        self.model.paid += fee

    @precondition(lambda self: self.model.requests)
    @rule(oracle=st.integers(0, CANDIDATES - 1), index=st.integers(0, 50), valid=st.booleans())
    def vote(self, oracle: int, index: int, valid: bool) -> None:
        handle = self.d.oracles[oracle]
        opened = self.model.requests[index % len(self.model.requests)]
        expected = self._expect_vote(handle.account, opened)
        if expected is not None:
            with pytest.raises(ContractRevertError) as caught:
                handle.vote(opened.ballot(valid))
            assert caught.value.error_name == expected
            return
        handle.vote(opened.ballot(valid))
        self._count(handle.account, opened, valid)

    # Votes are what the invariants are about: a second rule makes them twice as frequent.
    @precondition(lambda self: self.model.requests)
    @rule(oracle=st.integers(0, CANDIDATES - 1), index=st.integers(0, 50), valid=st.booleans())
    def vote_again(self, oracle: int, index: int, valid: bool) -> None:
        self.vote(oracle, index, valid)

    @precondition(lambda self: self.model.requests)
    @rule(index=st.integers(0, 50), valid=st.booleans())
    def outsider_vote(self, index: int, valid: bool) -> None:
        opened = self.model.requests[index % len(self.model.requests)]
        before = self.d.admin.status(opened.request_id)
        with pytest.raises(ContractRevertError) as caught:
            self.d.outsider.vote(opened.ballot(valid))
        assert caught.value.error_name == "VerifierNotOracle"
        assert self.d.admin.status(opened.request_id) == before

    @precondition(lambda self: self.model.requests)
    @rule(
        oracle=st.integers(0, CANDIDATES - 1),
        entries=st.lists(st.tuples(st.integers(0, 50), st.booleans()), min_size=1, max_size=4),
    )
    def batch(self, oracle: int, entries: list[tuple[int, bool]]) -> None:
        handle = self.d.oracles[oracle]
        m = self.model
        ballots = [(m.requests[i % len(m.requests)], valid) for i, valid in entries]
        if handle.account not in m.members or m.paused:
            with pytest.raises(ContractRevertError) as caught:
                handle.vote_batch([o.ballot(v) for o, v in ballots])
            assert caught.value.error_name == (
                "VerifierNotOracle" if handle.account not in m.members else "EnforcedPause"
            )
            return
        sent = handle.vote_batch([o.ballot(v) for o, v in ballots])
        skipped = {args["requestId"] for name, args in handle.events(sent) if name == "VoteSkipped"}
        block_time = int(self.d.chain.w3.eth.get_block(sent.block_number)["timestamp"])
        for opened, valid in ballots:
            rid = opened.request_id
            counts = (
                m.status[rid] == PENDING
                and block_time <= opened.deadline
                and (handle.account, m.generation[handle.account]) not in m.votes[rid]
            )
            if counts:
                self._count(handle.account, opened, valid)
            else:
                assert rid in skipped

    @precondition(lambda self: self.model.requests)
    @rule(index=st.integers(0, 50))
    def cancel(self, index: int) -> None:
        m = self.model
        opened = m.requests[index % len(m.requests)]
        requester = (
            self.d.requester
            if opened.terms.requester == self.d.requester.account
            else self.d.outsider
        )
        if m.status[opened.request_id] != PENDING:
            expected: str | None = "VerifierRequestNotPending"
        elif self._time() <= opened.deadline:
            expected = "VerifierRequestNotExpired"
        else:
            expected = None
        if expected is not None:
            with pytest.raises(ContractRevertError) as caught:
                requester.cancel(opened)
            assert caught.value.error_name == expected
            return
        requester.cancel(opened)
        m.status[opened.request_id] = CANCELLED
        m.closed_with[opened.request_id] = m.current(opened.request_id)
        m.refunded += opened.terms.fee

    @rule(oracle=st.integers(0, CANDIDATES - 1))
    def withdraw(self, oracle: int) -> None:
        handle = self.d.oracles[oracle]
        amount = self.model.earned.get(handle.account, 0)
        if amount == 0:
            with pytest.raises(ContractRevertError, match="VerifierNothingToWithdraw"):
                handle.send("withdraw", handle.account)
            return
        handle.send("withdraw", handle.account)
        self.model.earned[handle.account] = 0
        self.model.withdrawn += amount

    @rule()
    def toggle_pause(self) -> None:
        self.d.pauser.send("unpause" if self.model.paused else "pause")
        self.model.paused = not self.model.paused

    @rule(chosen=st.sets(st.integers(0, CANDIDATES - 1), min_size=1), threshold=st.integers(1, 5))
    def change_set(self, chosen: set[int], threshold: int) -> None:
        m = self.model
        members = [self.d.oracles[i].account for i in sorted(chosen)]
        threshold = min(threshold, len(members))
        at = self._time()
        joining = [a for a in members if a not in m.members]
        free = SLOTS - m.slots_in_use - sum(1 for t in m.cooling if t > at)
        admin = self.d.admin
        admin.send("announceOracleSetChange", members, threshold)
        if len(joining) > free:
            with pytest.raises(ContractRevertError, match="VerifierOracleSlotsExhausted"):
                admin.send("applyOracleSetChange")
            admin.send("cancelOracleSetChange")
            return
        sent = admin.send("applyOracleSetChange")
        applied_at = int(self.d.chain.w3.eth.get_block(sent.block_number)["timestamp"])
        if joining and any(t <= applied_at for t in m.cooling):
            # Slots are handed out lowest first: a cooled slot goes before a never-used one.
            reused = any(
                (m.status[o.request_id] != PENDING or o.deadline < applied_at)
                and any(
                    who not in m.members or m.generation[who] != gen
                    for who, gen in m.votes[o.request_id]
                )
                for o in m.requests
            )
            if reused:
                # A closed or expired request holds a vote that no longer counts, perhaps in the
                # slot just reused: `statusOf` must not take it for the new holder's
                # (`--hypothesis-show-statistics` counts these steps).
                event("a cooled slot reused under a closed or expired request's dead vote")
        leaving = [a for a in m.members if a not in members]
        # Slots free again once cooled, in-use ones are those of the members.
        m.cooling = [t for t in m.cooling if t > applied_at]
        m.cooling += [applied_at + 600 + 1] * len(leaving)
        for account in joining:
            m.generation[account] += 1
        m.slots_in_use = len(members)
        m.members = members
        m.threshold = threshold

    @rule()
    def jump_in_time(self) -> None:
        advance(self.d.chain, JUMP)

    # Slot reuse needs a removal, a cool-down and an addition in that order, which the two rules
    # above rarely draw: this one makes it common.
    @precondition(lambda self: len(self.model.members) > 1 and self.model.requests)
    @rule(
        leave=st.integers(0, CANDIDATES - 1),
        join=st.integers(0, CANDIDATES - 1),
        valid=st.booleans(),
    )
    def replace_after_cool_down(self, leave: int, join: int, valid: bool) -> None:
        """A member votes on the latest request and leaves; after the cool-down, another joins."""
        m = self.model
        index = {o.account: i for i, o in enumerate(self.d.oracles)}
        members = [index[a] for a in m.members]
        leaving = members[leave % len(members)]
        self.vote(leaving, len(m.requests) - 1, valid)
        staying = set(members) - {leaving}
        outside = sorted(set(range(CANDIDATES)) - staying)
        self.change_set(staying, m.threshold)
        advance(self.d.chain, JUMP)
        self.change_set(staying | {outside[join % len(outside)]}, m.threshold)

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def chain_agrees_with_the_model(self) -> None:
        m = self.model
        admin = self.d.admin
        at = now(self.d.chain)
        for opened in m.requests:
            status, valid_votes, invalid_votes, deadline = admin.status(opened.request_id)
            expected = m.status[opened.request_id]
            if expected == PENDING and at > opened.deadline:
                expected = EXPIRED
            assert status == expected
            assert deadline == opened.deadline
            assert (valid_votes, invalid_votes) == m.counts(opened)
        assert admin.call("oracles") == m.members
        assert admin.call("threshold") == m.threshold

    @invariant()
    def fees_are_conserved(self) -> None:
        m = self.model
        d = self.d
        held = d.chain.balance(d.address)
        assert held == m.held()
        assert m.paid == m.withdrawn + m.refunded + held
        for oracle in d.oracles:
            assert d.admin.call("earnedOf", oracle.account) == m.earned.get(oracle.account, 0)


def test_random_sequences_keep_every_invariant(env: Env) -> None:
    VerifierMachine.env = env
    run_state_machine_as_test(
        VerifierMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
