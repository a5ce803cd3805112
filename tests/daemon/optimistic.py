"""A verifier in optimistic mode refereed by the project's ML-DSA-44 verifiers: two bonded
oracles (one honest, one inverting its verdicts), a dApp, a funded watcher account, one real
ML-DSA-44 key registered both with the verifier and with `MLDSA44Verifier` (so a challenge costs
~2.5M gas), and the daemons and the watcher, each on its own SQLite store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from oracle.chain import (
    Chain,
    VerdictChallenged,
    VerdictPosted,
    Verifier,
    create_funded_account,
    mine_blocks,
)
from oracle.chain.deploy import use_onchain_verifier
from oracle.chain.mldsa import OnchainVerifier, deploy_onchain_verifier
from oracle.config import Settings
from oracle.crypto import PublicKey, SigningKey
from oracle.daemon import OracleDaemon, Watcher
from oracle.domain import OptimisticConfig, Request, Status
from oracle.store import Store
from tests.chains import deploy_with_roles

MESSAGE = b"release escrow 42"
#: Empty: the precompile form (EIP-8355) judges these requests.
CONTEXT = b""
BOND = 10**16
#: Seconds a post waits for challenges; the tests move the chain's clock past it.
WINDOW = 600


@dataclass
class Optimistic:
    """Everyone's view of the verifier, and the requests opened with their true verdicts."""

    chain: Chain
    admin: Verifier
    honest: Verifier
    liar: Verifier
    dapp: Verifier
    watcher_account: Verifier
    onchain: OnchainVerifier
    key: SigningKey
    key_id: bytes
    tmp_path: Path
    expected: dict[bytes, bool] = field(default_factory=dict)
    requests: dict[bytes, Request] = field(default_factory=dict)

    def open(self, *, valid: bool) -> bytes:
        """Open a request whose signature is valid (or made over another message)."""
        signature = self.key.sign(MESSAGE, CONTEXT)
        message = MESSAGE if valid else MESSAGE + b"!"
        request, _ = self.dapp.request_verification_tx(self.key_id, message, CONTEXT, signature)
        self.expected[request.request_id] = valid
        self.requests[request.request_id] = request
        return request.request_id

    def settings(self, name: str, **overrides: object) -> Settings:
        """Test settings: no confirmations, fast polling, a store file of `name`."""
        values: dict[str, object] = {
            "poll_interval": 0.01,
            "database_url": self.url(name),
            "replace_after_blocks": 0,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    def url(self, name: str) -> str:
        """The SQLite URL of store `name`."""
        return f"sqlite:///{self.tmp_path / (name + '.db')}"

    def daemon(
        self, who: Verifier, name: str, *, lying: bool = False, **overrides: object
    ) -> OracleDaemon:
        """An oracle daemon for `who` on store `name` (inverting every verdict with `lying`)."""
        settings = self.settings(name, **overrides)
        return OracleDaemon(who, Store.open(settings.database_url), settings, invert_verdicts=lying)

    def watcher(self, name: str = "watch", **overrides: object) -> Watcher:
        """A watcher signing with the watcher account, on store `name`."""
        settings = self.settings(name, **overrides)
        return Watcher(self.watcher_account, Store.open(settings.database_url), settings)

    def status(self, request_id: bytes) -> Status:
        """The contract's status of a request now."""
        return self.admin.status_of(request_id).status

    def final(self) -> bool:
        """Every request opened is final on chain."""
        return all(self.status(r).is_final for r in self.expected)

    def logged(self) -> tuple[list[VerdictPosted], list[VerdictChallenged]]:
        """Every post and every challenge on the chain, in log order."""
        posts: list[VerdictPosted] = []
        challenges: list[VerdictChallenged] = []
        head = self.chain.block_number()
        for start in range(0, head + 1, 500):
            end = min(start + 499, head)
            posts.extend(self.admin.events_of(VerdictPosted, start, end))
            challenges.extend(self.admin.events_of(VerdictChallenged, start, end))
        return posts, challenges


def optimistic_on(chain: Chain, tmp_path: Path, *, window: int = WINDOW) -> Optimistic:
    """Deploy the verifier (2 oracles, threshold 1) and the ML-DSA-44 referee on `chain`, switch
    to optimistic mode, bond both oracles for 10 posts and register one key."""
    deployment = deploy_with_roles(chain, oracles=2, threshold=1)
    admin = deployment.admin
    onchain = deploy_onchain_verifier(chain)
    use_onchain_verifier(admin, onchain)
    admin.set_optimistic_config(OptimisticConfig(True, BOND, window))
    honest, liar = deployment.oracles
    for oracle in (honest, liar):
        oracle.deposit_bond(10 * BOND)
    key = SigningKey.generate("ML-DSA-44")
    onchain.register(PublicKey.from_bytes(key.algorithm, key.public_key))
    key_id = deployment.outsider.register_key(key.algorithm.id, key.public_key)
    watcher_account = admin.using(chain.with_account(create_funded_account(chain)))
    return Optimistic(
        chain=chain,
        admin=admin,
        honest=honest,
        liar=liar,
        dapp=deployment.outsider,
        watcher_account=watcher_account,
        onchain=onchain,
        key=key,
        key_id=key_id,
        tmp_path=tmp_path,
    )


def cycle_until(
    runners: list[OracleDaemon],
    done: Callable[[], bool],
    *,
    chain: Chain | None = None,
    timeout: float = 120.0,
) -> None:
    """Cycle each daemon (or watcher) in turn until `done()`, mining a block after each round
    when `chain` is given (so a node that mines on demand moves on)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "not done in time"
        for runner in runners:
            runner.run(max_cycles=1)
        if chain is not None:
            mine_blocks(chain)
