"""Local chain processes for tests: Anvil and Ganache on 127.0.0.1, started and stopped cleanly.

The processes are run by `oracle.chain.devnode` (its own process group, a free port, a freshly
generated funded key, SIGTERM then SIGKILL to the group, every wait bounded); this module points
it at this checkout's node_modules and adds the contract helpers tests share.

    with run_anvil() as node:            # or run_ganache()
        chain = node.connect()           # oracle.chain.Chain signing with the funded key

The `anvil` and `ganache` fixtures in tests/conftest.py wrap these for one test each.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from oracle.chain import (
    Chain,
    Role,
    Verifier,
    create_funded_account,
    deploy_verifier,
    devnode,
)
from oracle.chain.devnode import FUNDED_WEI, LocalNode, free_port, rpc_call
from oracle.domain import VerifierConfig
from oracle.errors import ContractRevertError

__all__ = [
    "ANVIL_BINARY",
    "FUNDED_WEI",
    "GANACHE_CLI",
    "ROOT",
    "Deployment",
    "LocalNode",
    "anvil_unavailable",
    "deploy_with_roles",
    "free_port",
    "ganache_unavailable",
    "reverts",
    "rpc_call",
    "run_anvil",
    "run_ganache",
]

ROOT = Path(__file__).resolve().parent.parent
ANVIL_BINARY = devnode.anvil_binary(ROOT)
GANACHE_CLI = devnode.ganache_cli(ROOT)


def anvil_unavailable() -> str | None:
    """Why Anvil cannot run here, or None when it can."""
    return devnode.anvil_unavailable(ANVIL_BINARY)


def ganache_unavailable() -> str | None:
    """Why Ganache cannot run here, or None when it can."""
    return devnode.ganache_unavailable(GANACHE_CLI)


@contextmanager
def run_anvil(
    *,
    accounts: int = 0,
    hardfork: str | None = None,
    block_time: float | None = None,
    no_mining: bool = False,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 20.0,
) -> Iterator[LocalNode]:
    """Run this checkout's Anvil on a free port (automine unless `block_time` or `no_mining`)."""
    with devnode.start_anvil(
        ANVIL_BINARY,
        accounts=accounts,
        hardfork=hardfork,
        block_time=block_time,
        no_mining=no_mining,
        extra_args=extra_args,
        startup_timeout=startup_timeout,
    ) as node:
        yield node


@contextmanager
def run_ganache(
    *,
    accounts: int = 0,
    hardfork: str = "shanghai",
    extra_args: Sequence[str] = (),
    startup_timeout: float = 60.0,
) -> Iterator[LocalNode]:
    """Run this checkout's Ganache 7 (Shanghai at most) on a free port, instamine."""
    with devnode.start_ganache(
        GANACHE_CLI,
        accounts=accounts,
        hardfork=hardfork,
        extra_args=extra_args,
        startup_timeout=startup_timeout,
    ) as node:
        yield node


@dataclass(frozen=True)
class Deployment:
    """A fresh SignatureVerifier and one handle per actor, each signing as that actor."""

    chain: Chain
    #: Deployer and DEFAULT_ADMIN holder.
    admin: Verifier
    #: The first oracle of the set (the set is `oracles`; threshold `threshold`).
    oracle: Verifier
    #: Holds PAUSER_ROLE.
    pauser: Verifier
    #: Holds no role and is no oracle.
    outsider: Verifier
    oracles: tuple[Verifier, ...] = ()
    threshold: int = 1


def deploy_with_roles(
    chain: Chain,
    *,
    admin_delay: int = 0,
    oracles: int = 1,
    threshold: int = 1,
    oracle_set_delay: int = 0,
    config: VerifierConfig | None = None,
) -> Deployment:
    """Deploy a verifier (admin: `chain`'s account) with `oracles` funded oracle accounts and
    `threshold`, and fund a pauser and an outsider."""
    accounts = [chain.with_account(create_funded_account(chain)) for _ in range(oracles)]
    admin = deploy_verifier(
        chain,
        oracles=[a.address for a in accounts],
        threshold=threshold,
        admin_delay=admin_delay,
        oracle_set_delay=oracle_set_delay,
        config=config,
    )
    members = tuple(admin.using(a) for a in accounts)
    pauser, outsider = (
        admin.using(chain.with_account(create_funded_account(chain))) for _ in range(2)
    )
    admin.grant_role(Role.PAUSER, pauser.chain.address)
    return Deployment(chain, admin, members[0], pauser, outsider, members, threshold)


@contextmanager
def reverts(
    error_name: str, **error_args: object
) -> Iterator[pytest.ExceptionInfo[ContractRevertError]]:
    """Expect a `ContractRevertError` naming `error_name` with exactly `error_args`."""
    with pytest.raises(ContractRevertError) as caught:
        yield caught
    error = caught.value
    assert error.error_name == error_name, str(error)
    assert error.error_args == error_args, str(error)
