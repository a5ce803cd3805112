"""The optimistic demonstration: bonded posts, a lying oracle, a watcher, challenges on chain.

A verifier in optimistic mode, refereed by the project's exact ML-DSA-44 verifier in Solidity
(`MLDSA44Verifier` for requests with a context, `MLDSA44Precompile` as the EIP-8355 address for
the others); the demonstration key's expanded form is registered first, so a challenge costs
~2.5M gas. Two bonded oracles run the daemon: one honest, one that inverts every verdict (a flag
for demonstrations only). The liar posts first on two requests; the honest oracle, seeing them
posted, skips them and posts on the other three; a watcher re-verifies every post off-chain and
challenges the two lies, which the on-chain verifier overturns: the liar's bond, less the burned
half, is credited to the watcher, and the liar is barred and removed from the oracle set. The
honest posts become final when their window ends (the honest daemon finalises them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Final

from oracle.chain import (
    VerdictChallenged,
    VerdictPosted,
    deploy_verifier,
    mine_blocks,
)
from oracle.chain.deploy import use_onchain_verifier
from oracle.chain.mldsa import deploy_onchain_verifier
from oracle.crypto import ML_DSA_44, PublicKey, SigningKey
from oracle.daemon import OracleDaemon, Watcher
from oracle.demo import MESSAGE, new_account, payload
from oracle.domain import OptimisticConfig
from oracle.errors import ChainError
from oracle.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from oracle.chain import Chain, Verifier
    from oracle.config import Settings

#: Wei each post locks (a development amount; see `setOptimisticConfig` for a real one).
BOND: Final = 10**16
#: Posts each oracle's deposit covers.
BONDED_POSTS: Final = 10
#: Seconds a post waits for challenges by default: enough for the watcher to verify and get two
#: challenges mined on the embedded chain (~3 s each), short enough to watch.
WINDOW: Final = 15
#: A valid signature with the empty context: the EIP-8355 form judges its challenge.
NO_CONTEXT: Final = "valid, no context"
#: (case, expected, poster) in the order the requests are opened. The liar's requests come first
#: and are posted before the others are opened: one with the empty context and one with a
#: context (judged by `MLDSA44Verifier`); the cases are `oracle.demo`'s.
CASES: Final = (
    (NO_CONTEXT, "valid", "liar"),
    ("tampered message", "invalid", "liar"),
    ("valid", "valid", "honest"),
    ("wrong context", "invalid", "honest"),
    ("corrupted signature", "invalid", "honest"),
)


@dataclass(frozen=True, slots=True)
class OptimisticRow:
    """One request of the demonstration: who posted what, and what the chain made of it."""

    request_id: bytes
    case: str
    #: The true verdict ("valid" or "invalid").
    expected: str
    #: "honest", "liar", or "" when nobody posted.
    posted_by: str
    #: The posted verdict, "" when nobody posted.
    posted: str
    challenged: bool
    overturned: bool
    #: The contract's status at the end.
    final: str
    #: Wei of the poster's bond credited to the challenger, and burned.
    reward: int = 0
    burned: int = 0

    @property
    def as_expected(self) -> bool:
        """Final with the true verdict; a lie challenged and overturned; a truth unchallenged."""
        lie = self.posted != self.expected
        return self.final == self.expected and (
            (lie and self.challenged and self.overturned) or (not lie and not self.challenged)
        )


@dataclass(frozen=True, slots=True)
class OptimisticReport:
    """Everything the optimistic demonstration did, for a table or JSON."""

    chain: str
    chain_id: int
    verifier: str
    mldsa_verifier: str
    eip8355_verifier: str
    honest: str
    liar: str
    watcher: str
    bond: int
    window: int
    rows: tuple[OptimisticRow, ...]
    seconds: float
    liar_barred: bool
    liar_in_oracle_set: bool
    watcher_earned: int

    @property
    def succeeded(self) -> bool:
        """Every request as expected, and the liar barred and out of the set."""
        return (
            all(row.as_expected for row in self.rows)
            and self.liar_barred
            and not self.liar_in_oracle_set
        )

    def to_json(self) -> dict[str, object]:
        """The JSON object `pqoracle demo --optimistic --json` prints."""
        return {
            "chain": self.chain,
            "chain_id": self.chain_id,
            "verifier": self.verifier,
            "mldsa_verifier": self.mldsa_verifier,
            "eip8355_verifier": self.eip8355_verifier,
            "honest_oracle": self.honest,
            "lying_oracle": self.liar,
            "watcher": self.watcher,
            "bond_wei": self.bond,
            "challenge_window_seconds": self.window,
            "seconds": round(self.seconds, 3),
            "liar_barred": self.liar_barred,
            "liar_in_oracle_set": self.liar_in_oracle_set,
            "watcher_earned_wei": self.watcher_earned,
            "requests": [
                {
                    "request_id": "0x" + r.request_id.hex(),
                    "case": r.case,
                    "true_verdict": r.expected,
                    "posted_by": r.posted_by,
                    "posted_verdict": r.posted,
                    "challenged": r.challenged,
                    "overturned": r.overturned,
                    "final_verdict": r.final,
                    "reward_wei": r.reward,
                    "burned_wei": r.burned,
                }
                for r in self.rows
            ],
        }


def _payload(case: str, key: SigningKey, other: SigningKey) -> tuple[bytes, bytes, bytes]:
    """(message, context, signature) of one case, all under `key`'s id."""
    if case == NO_CONTEXT:
        return MESSAGE, b"", key.sign(MESSAGE)
    return payload(case, key, other)


def run_optimistic_demo(
    chain: Chain,
    settings: Settings,
    *,
    window: int = WINDOW,
    timeout: float = 300.0,
) -> OptimisticReport:
    """Deploy, switch to optimistic mode, run an honest oracle, a lying one and a watcher over
    the demonstration's requests until every one is final; report what happened on chain.

    `chain` signs as the deployer (admin); without a key, a development node's unlocked account
    funds fresh accounts. Every process keeps its state in memory.

    Raises:
        ConfigError: no way to fund accounts on this node.
        ChainError: a transaction failed, the node cannot be reached, or the requests are not
            final within `timeout` seconds.
        StoreError: a store cannot be opened.
    """
    started = time.monotonic()
    admin_chain = chain if chain.account is not None else chain.with_account(new_account(chain))
    honest_chain, liar_chain, watcher_chain, dapp_chain = (
        admin_chain.with_account(new_account(admin_chain)) for _ in range(4)
    )
    verifier = deploy_verifier(
        admin_chain, oracles=[honest_chain.address, liar_chain.address], threshold=1
    )
    deployed_at = admin_chain.block_number()
    onchain = deploy_onchain_verifier(admin_chain)
    use_onchain_verifier(verifier, onchain)
    verifier.set_optimistic_config(OptimisticConfig(True, BOND, window))
    for oracle_chain in (honest_chain, liar_chain):
        verifier.using(oracle_chain).deposit_bond(BOND * BONDED_POSTS)
    key, other = SigningKey.generate(ML_DSA_44), SigningKey.generate(ML_DSA_44)
    # The expanded form first: every challenge of this key then costs ~2.5M gas, not ~10.1M.
    onchain.register(PublicKey.from_bytes(ML_DSA_44, key.public_key))
    dapp = verifier.using(dapp_chain)
    key_id = dapp.register_key(ML_DSA_44.id, key.public_key)

    daemon_settings = settings.model_copy(
        update={"start_block": deployed_at, "confirmations": 0, "replace_after_blocks": 0}
    )
    stores = [Store.open("sqlite://") for _ in range(3)]
    honest = OracleDaemon(verifier.using(honest_chain), stores[0], daemon_settings)
    # A faulty oracle on purpose: it posts the opposite of every verdict it computes.
    liar = OracleDaemon(
        verifier.using(liar_chain), stores[1], daemon_settings, invert_verdicts=True
    )
    watcher = Watcher(verifier.using(watcher_chain), stores[2], daemon_settings)
    deadline = time.monotonic() + timeout
    opened: list[tuple[bytes, str, str]] = []
    try:
        for poster in ("liar", "honest"):
            batch = [c for c in CASES if c[2] == poster]
            for case, expected, _ in batch:
                message, context, signature = _payload(case, key, other)
                request_id = dapp.request_verification(key_id, message, context, signature)
                opened.append((request_id, case, expected))
            ids = [r for r, *_ in opened[-len(batch) :]]
            if poster == "liar":
                # The liar alone first, so that its posts win the race on these requests.
                _cycle([liar], partial(_all_posted, verifier, ids), chain, deadline)
        _cycle(
            [honest, watcher, liar],
            lambda: all(verifier.status_of(r).status.is_final for r, *_ in opened),
            chain,
            deadline,
        )
    finally:
        for store in stores:
            store.close()
    rows = _rows(verifier, opened, deployed_at, honest_chain.address)
    barred = verifier.bond_of(liar_chain.address)[1]
    return OptimisticReport(
        chain=chain.endpoint,
        chain_id=chain.chain_id,
        verifier=verifier.address,
        mldsa_verifier=onchain.address,
        eip8355_verifier=onchain.precompile or "",
        honest=honest_chain.address,
        liar=liar_chain.address,
        watcher=watcher_chain.address,
        bond=BOND,
        window=window,
        rows=tuple(rows),
        seconds=time.monotonic() - started,
        liar_barred=barred,
        liar_in_oracle_set=verifier.is_oracle(liar_chain.address),
        watcher_earned=verifier.earned_of(watcher_chain.address),
    )


def _all_posted(verifier: Verifier, ids: list[bytes]) -> bool:
    return all(post.exists for post in verifier.posts_of(ids))


def _cycle(
    runners: list[OracleDaemon],
    done: Callable[[], bool],
    chain: Chain,
    deadline: float,
) -> None:
    """Cycle the daemons and the watcher in turn (one process) until `done()`; a block is mined
    after each round on a development node, so that the chain's clock reaches the end of the
    windows even when nothing else is sent."""
    while not done():
        if time.monotonic() > deadline:
            raise ChainError("the demonstration's requests are not final in time")
        for runner in runners:
            runner.run(max_cycles=1)
        if not done():
            mine_blocks(chain)
            time.sleep(min(runners[0].settings.poll_interval, 0.2))


def _rows(
    verifier: Verifier, opened: list[tuple[bytes, str, str]], since: int, honest: str
) -> list[OptimisticRow]:
    """Each request's post, challenge and final status, from the chain's logs."""
    head = verifier.chain.block_number()
    posts: dict[bytes, VerdictPosted] = {}
    challenges: dict[bytes, VerdictChallenged] = {}
    for start in range(since, head + 1, 500):
        end = min(start + 499, head)
        for event in verifier.events(start, end):
            if isinstance(event, VerdictPosted):
                posts[event.request_id] = event
            elif isinstance(event, VerdictChallenged):
                challenges[event.request_id] = event
    rows = []
    for request_id, case, expected in opened:
        post = posts.get(request_id)
        challenge = challenges.get(request_id)
        rows.append(
            OptimisticRow(
                request_id=request_id,
                case=case,
                expected=expected,
                posted_by="" if post is None else ("honest" if post.poster == honest else "liar"),
                posted="" if post is None else ("valid" if post.valid else "invalid"),
                challenged=challenge is not None,
                overturned=challenge is not None and challenge.overturned,
                final=verifier.status_of(request_id).status.label,
                reward=0 if challenge is None else challenge.reward,
                burned=0 if challenge is None else challenge.burned,
            )
        )
    return rows
