"""Attach to the node and the verifier that the settings name (the CLI's and the API's way in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oracle.chain.connection import Chain, connect
from oracle.chain.verifier import Verifier
from oracle.errors import ConfigError, ContractNotFoundError
from oracle.inputs import parse_address

if TYPE_CHECKING:
    from oracle.config import Settings

__all__ = ["connect_node", "open_verifier"]


def connect_node(
    settings: Settings, *, needs_node: bool = True, what: str = "this command"
) -> Chain:
    """A connection to `settings.rpc_url`, signing with `settings.private_key` when set.

    Raises:
        ConfigError: no RPC URL while `needs_node` (the embedded chain lives inside one process),
            or a malformed URL or key.
        ChainConnectionError: the node cannot be reached.
    """
    if needs_node and settings.rpc_url is None:
        raise ConfigError(
            f"{what} needs a node: give --rpc-url (or PQORACLE_RPC_URL); the embedded chain "
            "lives inside one process, and `pqoracle demo` runs everything on it"
        )
    return connect(settings.rpc_url, private_key=settings.private_key, poll_latency=0.05)


def open_verifier(settings: Settings, *, what: str = "this command") -> Verifier:
    """Check the verifier address, then connect and attach to it.

    Raises:
        ConfigError: no address, no node, or no contract at the address on this chain.
        InputError: not an address.
        ChainConnectionError: the node cannot be reached.
    """
    if settings.verifier_address is None:
        raise ConfigError("no verifier: give --verifier (or PQORACLE_VERIFIER_ADDRESS)")
    address = parse_address(settings.verifier_address, what="verifier address")
    chain = connect_node(settings, what=what)
    try:
        return Verifier(chain, address)
    except ContractNotFoundError as err:
        raise ConfigError(f"{err}; check --verifier and --rpc-url") from err
