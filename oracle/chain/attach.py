"""Attach to the node and the verifier that the settings name (the CLI's and the API's way in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oracle.chain.connection import Chain, connect
from oracle.chain.fees import FeePolicy
from oracle.chain.signer import PasswordPrompt, load_signer
from oracle.chain.verifier import Verifier
from oracle.errors import ConfigError, ContractNotFoundError
from oracle.inputs import parse_address

if TYPE_CHECKING:
    from oracle.config import Settings

__all__ = ["connect_node", "open_verifier"]


def connect_node(
    settings: Settings,
    *,
    needs_node: bool = True,
    what: str = "this command",
    password_prompt: PasswordPrompt | None = None,
) -> Chain:
    """A connection to `settings.rpc_url`, signed for by the settings' signer when one is set
    (`load_signer`: a private key, a keystore, or a factory's signer), and priced by the
    settings' fee policy.

    `password_prompt` asks for a keystore's password when no password file is set.

    Raises:
        ConfigError: no RPC URL while `needs_node` (the embedded chain lives inside one process),
            a malformed URL, key or keystore, a wrong password, or a signer that cannot be made.
        ChainConnectionError: the node cannot be reached.
    """
    if needs_node and settings.rpc_url is None:
        raise ConfigError(
            f"{what} needs a node: give --rpc-url (or PQORACLE_RPC_URL); the embedded chain "
            "lives inside one process, and `pqoracle demo` runs everything on it"
        )
    signer = load_signer(settings, password_prompt=password_prompt)
    return connect(
        settings.rpc_url, signer=signer, poll_latency=0.05, fees=FeePolicy.from_settings(settings)
    )


def open_verifier(
    settings: Settings,
    *,
    what: str = "this command",
    password_prompt: PasswordPrompt | None = None,
) -> Verifier:
    """Check the verifier address, then connect and attach to it.

    Raises:
        ConfigError: no address, no node, a key that cannot be loaded (see `connect_node`), or
            no contract at the address on this chain.
        InputError: not an address.
        ChainConnectionError: the node cannot be reached.
    """
    if settings.verifier_address is None:
        raise ConfigError("no verifier: give --verifier (or PQORACLE_VERIFIER_ADDRESS)")
    address = parse_address(settings.verifier_address, what="verifier address")
    chain = connect_node(settings, what=what, password_prompt=password_prompt)
    try:
        return Verifier(chain, address)
    except ContractNotFoundError as err:
        raise ConfigError(f"{err}; check --verifier and --rpc-url") from err
