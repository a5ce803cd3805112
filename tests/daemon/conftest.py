"""A deployed verifier with its oracle set, a dApp account, keys and a way to open requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from oracle.chain import Chain, VerificationFinalized, Verifier
from oracle.config import Settings
from oracle.crypto import SigningKey
from oracle.domain import Request, RequestTerms, Status
from oracle.store import Store
from tests.chains import deploy_with_roles

MESSAGE = b"release escrow 42"
CONTEXT = b"escrow-v1"


@dataclass
class Scenario:
    """The verifier as each actor sees it, plus the requests opened and their expected verdicts."""

    chain: Chain
    admin: Verifier
    #: The first oracle of the set, the one `store_url`'s daemon runs as.
    oracle: Verifier
    dapp: Verifier
    store_url: str
    expected: dict[bytes, bool] = field(default_factory=dict)
    keys: dict[str, tuple[SigningKey, bytes]] = field(default_factory=dict)
    #: Every oracle of the set, `oracle` first.
    oracles: tuple[Verifier, ...] = ()
    threshold: int = 1
    #: Each request opened, as its `VerificationRequested` log carries it.
    requests: dict[bytes, Request] = field(default_factory=dict)

    def key(self, algorithm: str) -> tuple[SigningKey, bytes]:
        """A registered key of `algorithm` (registered on first use) and its key id."""
        if algorithm not in self.keys:
            key = SigningKey.generate(algorithm)
            self.keys[algorithm] = (key, self.dapp.register_key(key.algorithm.id, key.public_key))
        return self.keys[algorithm]

    def open(self, algorithm: str = "ML-DSA-44", *, valid: bool = True, timeout: int = 0) -> bytes:
        """Open a request that must come out `valid` (or invalid: a tampered message), with the
        verifier's default deadline unless `timeout` seconds are given."""
        key, key_id = self.key(algorithm)
        signature = key.sign(MESSAGE, CONTEXT)
        message = MESSAGE if valid else MESSAGE + b"!"
        request, _ = self.dapp.request_verification_tx(
            key_id, message, CONTEXT, signature, timeout=timeout
        )
        self.expected[request.request_id] = valid
        self.requests[request.request_id] = request
        return request.request_id

    def terms(self, request_id: bytes) -> RequestTerms:
        """The terms a vote on an opened request restates."""
        return self.requests[request_id].terms

    def status(self, request_id: bytes) -> Status:
        """The contract's status of a request now."""
        return self.admin.status_of(request_id).status

    def fulfilments(self) -> dict[bytes, int]:
        """How many `VerificationFinalized` events each request has, from the chain."""
        counts: dict[bytes, int] = {}
        head = self.chain.block_number()
        for start in range(0, head + 1, 500):
            end = min(start + 499, head)
            for event in self.admin.events_of(VerificationFinalized, start, end):
                counts[event.request_id] = counts.get(event.request_id, 0) + 1
        return counts

    def settings(self, **overrides: object) -> Settings:
        """Daemon settings for tests: no confirmations, fast polling."""
        values: dict[str, object] = {"poll_interval": 0.01, "database_url": self.store_url}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    def store(self, url: str | None = None) -> Store:
        """A new handle on the scenario's store file (as a restarted process would open it), or
        on another store at `url`."""
        return Store.open(url or self.store_url)


def scenario_on(chain: Chain, tmp_path: Path, *, oracles: int = 1, threshold: int = 1) -> Scenario:
    """Deploy with `oracles` oracles and `threshold` on `chain`, the first oracle's store in a
    SQLite file under `tmp_path`."""
    deployment = deploy_with_roles(chain, oracles=oracles, threshold=threshold)
    return Scenario(
        chain=chain,
        admin=deployment.admin,
        oracle=deployment.oracle,
        dapp=deployment.outsider,
        store_url=f"sqlite:///{tmp_path / 'oracle.db'}",
        oracles=deployment.oracles,
        threshold=threshold,
    )


@pytest.fixture
def scenario(embedded_chain: Chain, tmp_path: Path) -> Scenario:
    return scenario_on(embedded_chain, tmp_path)


@pytest.fixture
def scenario_on_each_store(embedded_chain: Chain, tmp_path: Path, store_url: str) -> Scenario:
    """`scenario` with its store on each backend: a SQLite file, then a PostgreSQL database."""
    scenario = scenario_on(embedded_chain, tmp_path)
    scenario.store_url = store_url
    return scenario
