"""The end-to-end demonstration: deploy, register keys, open requests, run the daemon, report.

For every ML-DSA parameter set a dApp account registers two keys and opens five requests: one
that must come out valid and four that must come out invalid (tampered message, wrong key, wrong
context, corrupted signature). Three oracles run the daemon with a threshold of two; one of them
votes the opposite of every verdict on purpose, and every request still ends as it should, with
the disagreement on record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from eth_account import Account

from oracle.chain import (
    create_funded_account,
    deploy_verifier,
    fund_from_node_account,
)
from oracle.crypto import ALGORITHMS, SigningKey
from oracle.daemon import OracleDaemon
from oracle.security import SecurityEventType
from oracle.store import Store

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from oracle.chain import Chain, Verifier
    from oracle.config import Settings

MESSAGE: Final = b"transfer 100 PQT to 0x0000000000000000000000000000000000000001"
CONTEXT: Final = b"pqoracle-demo-v1"
#: (case, expected status) in the order the requests are opened.
CASES: Final = (
    ("valid", "valid"),
    ("tampered message", "invalid"),
    ("wrong key", "invalid"),
    ("wrong context", "invalid"),
    ("corrupted signature", "invalid"),
)


@dataclass(frozen=True, slots=True)
class DemoRequest:
    """One request of the demonstration and how it ended."""

    request_id: bytes
    algorithm: str
    case: str
    expected: str
    #: The contract's status: "valid", "invalid", or "pending"/"none" if it never became final.
    status: str
    valid_votes: int = 0
    invalid_votes: int = 0

    @property
    def as_expected(self) -> bool:
        """Whether the contract's final status is the expected one."""
        return self.status == self.expected


@dataclass(frozen=True, slots=True)
class DemoReport:
    """Everything the demonstration did, for a table or JSON."""

    chain: str
    chain_id: int
    verifier: str
    requests: tuple[DemoRequest, ...]
    seconds: float
    #: Oracles in the set, the votes that decide, and which one votes wrong on purpose.
    oracles: tuple[str, ...] = ()
    threshold: int = 1
    faulty_oracle: str = ""
    #: Disputed votes an honest oracle recorded as security events.
    disputes_recorded: int = 0

    @property
    def succeeded(self) -> bool:
        """Every request is final with its expected status."""
        return all(request.as_expected for request in self.requests)

    def to_json(self) -> dict[str, object]:
        """The JSON object `pqoracle demo --json` prints."""
        return {
            "chain": self.chain,
            "chain_id": self.chain_id,
            "verifier": self.verifier,
            "seconds": round(self.seconds, 3),
            "oracles": list(self.oracles),
            "threshold": self.threshold,
            "faulty_oracle": self.faulty_oracle,
            "disputes_recorded": self.disputes_recorded,
            "requests": [
                {
                    "request_id": "0x" + r.request_id.hex(),
                    "algorithm": r.algorithm,
                    "case": r.case,
                    "expected": r.expected,
                    "status": r.status,
                    "valid_votes": r.valid_votes,
                    "invalid_votes": r.invalid_votes,
                }
                for r in self.requests
            ],
        }


#: Ether each demonstration account receives: a few hundred transactions at development fees.
ACCOUNT_FUNDING: Final = 10**18
#: Oracles in the demonstration's set, and the votes that must agree.
ORACLES: Final = 3
THRESHOLD: Final = 2


def new_account(chain: Chain) -> LocalAccount:
    if chain.account is not None:
        return create_funded_account(chain, wei=ACCOUNT_FUNDING)
    account: LocalAccount = Account.create()
    # This one funds the other two and deploys the verifier.
    fund_from_node_account(chain, account.address, 8 * ACCOUNT_FUNDING)
    return account


def payload(case: str, key: SigningKey, other: SigningKey) -> tuple[bytes, bytes, bytes]:
    """(message, context, signature) for one case, all under `key`'s id."""
    signature = key.sign(MESSAGE, CONTEXT)
    if case == "tampered message":
        return MESSAGE.replace(b"100", b"900"), CONTEXT, signature
    if case == "wrong key":
        return MESSAGE, CONTEXT, other.sign(MESSAGE, CONTEXT)
    if case == "wrong context":
        return MESSAGE, b"pqoracle-demo-v2", signature
    if case == "corrupted signature":
        corrupted = bytearray(signature)
        corrupted[len(corrupted) // 2] ^= 0x01
        return MESSAGE, CONTEXT, bytes(corrupted)
    return MESSAGE, CONTEXT, signature


def run_demo(
    chain: Chain, settings: Settings, *, store_url: str = "sqlite://", timeout: float = 300.0
) -> DemoReport:
    """Deploy a verifier, open the demonstration's requests and run the daemon until all are final.

    `chain` signs as the deployer (admin); without a key, a development node's unlocked account
    funds fresh accounts. The daemon keeps its state at `store_url` (in memory by default).

    Raises:
        ConfigError: no way to fund accounts on this node.
        ChainError: a transaction failed or the node cannot be reached.
        StoreError: the store cannot be opened.
    """
    started = time.monotonic()
    admin_chain = chain if chain.account is not None else chain.with_account(new_account(chain))
    oracle_chains = [admin_chain.with_account(new_account(admin_chain)) for _ in range(ORACLES)]
    verifier = deploy_verifier(
        admin_chain, oracles=[c.address for c in oracle_chains], threshold=THRESHOLD
    )
    deployed_at = admin_chain.block_number()
    dapp = verifier.using(admin_chain.with_account(new_account(admin_chain)))

    opened: list[tuple[bytes, str, str, str]] = []
    for algorithm in ALGORITHMS:
        key, other = SigningKey.generate(algorithm), SigningKey.generate(algorithm)
        key_id = dapp.register_key(algorithm.id, key.public_key)
        for case, expected in CASES:
            message, context, signature = payload(case, key, other)
            request_id = dapp.request_verification(key_id, message, context, signature)
            opened.append((request_id, algorithm.name, case, expected))

    daemon_settings = settings.model_copy(update={"start_block": deployed_at})
    stores = [Store.open(store_url if i == 1 else "sqlite://") for i in range(ORACLES)]
    try:
        daemons = [
            OracleDaemon(
                verifier.using(oracle_chain),
                store,
                daemon_settings,
                # The first oracle is faulty on purpose, and votes first: the quorum outvotes it.
                invert_verdicts=index == 0,
            )
            for index, (oracle_chain, store) in enumerate(zip(oracle_chains, stores, strict=True))
        ]
        _run_together(daemons, [r for r, *_ in opened], verifier, timeout)
        # Every honest oracle records every dispute; one of them tells the story.
        disputes = len(stores[1].security_events(event_type=SecurityEventType.VOTE_DISPUTED))
    finally:
        for store in stores:
            store.close()

    requests = []
    for opened_id, name, case, expected in opened:
        status = verifier.status_of(opened_id)
        requests.append(
            DemoRequest(
                opened_id,
                name,
                case,
                expected,
                status.status.label,
                status.valid_votes,
                status.invalid_votes,
            )
        )
    return DemoReport(
        chain=chain.endpoint,
        chain_id=chain.chain_id,
        verifier=verifier.address,
        requests=tuple(requests),
        seconds=time.monotonic() - started,
        oracles=tuple(c.address for c in oracle_chains),
        threshold=THRESHOLD,
        faulty_oracle=oracle_chains[0].address,
        disputes_recorded=disputes,
    )


def _run_together(
    daemons: list[OracleDaemon], request_ids: list[bytes], verifier: Verifier, timeout: float
) -> None:
    """Cycle the daemons in turn (one process, one embedded chain) until every request is closed
    on chain and every daemon has settled, or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reports = [daemon.run(max_cycles=1) for daemon in daemons]
        closed = all(verifier.status_of(r).status.is_closed for r in request_ids)
        if closed and all(report is not None and report.settled for report in reports):
            return
        time.sleep(min(daemons[0].settings.poll_interval, 0.05))
