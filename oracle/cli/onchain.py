"""`pqoracle onchain`: the on-chain ML-DSA verifiers (contracts/mldsa/) from the command line:
`deploy` one, `register` a key's expanded form, `verify` a signature by call (exit 0 valid, 1
invalid, 2 bad input, 3 runtime failure); and a SignatureVerifier's side: `use` makes a deployed
pair the referee of its parameter set, `mode` switches between quorum and optimistic mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from oracle.cli._io import emit, payload, read_source
from oracle.cli.chain import (
    _chain_options,
    _connect,
    _open_verifier,
    _settings,
    _verifier_option,
)
from oracle.cli.keys import message_input, message_options, signature_input
from oracle.crypto import load_public_key
from oracle.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    from oracle.chain import Chain
    from oracle.chain.mldsa import OnchainVerifier

#: Where the verifier's address may come from besides --mldsa-verifier.
ADDRESS_ENV = "PQORACLE_MLDSA_VERIFIER"


def _address_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--mldsa-verifier",
        "address",
        envvar=ADDRESS_ENV,
        help=f"MLDSA44/65/87Verifier address, from `pqoracle onchain deploy` (env {ADDRESS_ENV}).",
    )(func)


def _chain(rpc_url: str | None, private_key_file: Path | None) -> Chain:
    settings = _settings(rpc_url, private_key_file)
    if settings.rpc_url is None:
        # The embedded chain lives in one process: what `deploy` made there is gone when it exits.
        raise InputError("the on-chain verifier needs a node: give --rpc-url or PQORACLE_RPC_URL")
    return _connect(settings)


def _attach(chain: Chain, address: str | None) -> OnchainVerifier:
    from oracle.chain.mldsa import OnchainVerifier

    if not address:
        raise InputError(f"no verifier: give --mldsa-verifier or {ADDRESS_ENV}")
    return OnchainVerifier(chain, address)


@click.group(name="onchain")
def onchain_group() -> None:
    """The exact ML-DSA verifiers in Solidity: deploy, register keys, verify on chain."""


@onchain_group.command(name="deploy")
@_chain_options
@click.option(
    "--algorithm", "-a", default="ML-DSA-44", show_default=True, help="ML-DSA-44, -65 or -87."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def deploy_command(
    rpc_url: str | None, private_key_file: Path | None, algorithm: str, as_json: bool
) -> None:
    """Deploy the verifier of one parameter set and its EIP-8355 entry point."""
    from oracle.chain.mldsa import deploy_onchain_verifier
    from oracle.crypto import get_algorithm

    params = get_algorithm(algorithm)
    chain = _chain(rpc_url, private_key_file)
    deployed = deploy_onchain_verifier(chain, params)
    emit(
        {
            "algorithm": params.name,
            "mldsa_verifier": deployed.address,
            "eip8355_verifier": deployed.precompile or "",
            "chain_id": chain.chain_id,
        },
        as_json,
    )


@onchain_group.command(name="register")
@_chain_options
@_address_option
@click.option("--public-key", "-p", "public_key_file", required=True, help="Public key PEM file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def register_command(
    rpc_url: str | None,
    private_key_file: Path | None,
    address: str | None,
    public_key_file: str,
    as_json: bool,
) -> None:
    """Keep a key's expanded form on chain, once (ML-DSA-44: one transaction of ~10.8M gas, after
    which a verify costs ~2.5M instead of ~10.1M; ML-DSA-65 two, -87 three)."""
    public = load_public_key(read_source(public_key_file))
    verifier = _attach(_chain(rpc_url, private_key_file), address)
    verifier.raw_key(public)
    done = verifier.register(public)
    emit(
        {
            "form": done.form,
            "registered": "new" if done.created else "already",
            "gas_used": done.gas_used,
            "transactions": done.transactions,
        },
        as_json,
    )


@onchain_group.command(name="verify")
@_chain_options
@_address_option
@click.option("--public-key", "-p", "public_key_file", required=True, help="Public key PEM file.")
@message_options
@click.option("--signature-hex", "-s", help="Signature as 0x hex.")
@click.option("--signature-file", help="Raw signature file.")
@click.option(
    "--eip8355",
    "eip8355_address",
    help="Ask this EIP-8355 verifier instead (a precompile, or the eip8355_verifier that "
    "`deploy` printed); empty context only.",
)
@click.option("--gas", "show_gas", is_flag=True, help="Also print the gas a transaction would use.")
def verify_command(
    rpc_url: str | None,
    private_key_file: Path | None,
    address: str | None,
    public_key_file: str,
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    context: str | None,
    context_hex: str | None,
    signature_hex: str | None,
    signature_file: str | None,
    eip8355_address: str | None,
    show_gas: bool,
) -> None:
    """Ask the chain whether a signature is valid: exit 0 valid, 1 invalid, 2 bad input."""
    from oracle.chain.mldsa import eip8355_verify

    public = load_public_key(read_source(public_key_file))
    signature = signature_input(signature_hex, signature_file)
    data = message_input(message, message_hex, message_file)
    ctx = payload(context, context_hex, None, what="context")
    chain = _chain(rpc_url, private_key_file)
    if eip8355_address is not None:
        if ctx:
            raise InputError("an EIP-8355 verifier takes no context: drop --context")
        if show_gas:
            raise InputError("--gas applies to --mldsa-verifier, not to --eip8355")
        valid = eip8355_verify(chain, eip8355_address, public, data, signature)
        click.echo("valid" if valid else "invalid")
    else:
        verifier = _attach(chain, address)
        verifier.raw_key(public)
        valid = verifier.verify(public, data, signature, ctx)
        line = "valid" if valid else "invalid"
        if show_gas:
            line += f" gas={verifier.verify_gas(public, data, signature, ctx)}"
        click.echo(line)
    if not valid:
        raise click.exceptions.Exit(1)


@onchain_group.command(name="use")
@_chain_options
@_verifier_option
@_address_option
@click.option(
    "--eip8355",
    "eip8355_address",
    required=True,
    help="The EIP-8355 verifier for empty contexts: a chain's precompile (0x12-0x14 in the "
    "draft) or the eip8355_verifier that `deploy` printed.",
)
@click.option(
    "--gas-limit",
    type=click.IntRange(1, 15_000_000),
    default=12_000_000,
    show_default=True,
    help="Exact gas each on-chain verify gets; enters the bond a challenge must be worth.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def use_command(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    address: str | None,
    eip8355_address: str,
    gas_limit: int,
    as_json: bool,
) -> None:
    """Make an on-chain verifier the referee of its parameter set on a SignatureVerifier (admin):
    for verifyNow, requestVerificationNow and challenges."""
    from oracle.chain.deploy import use_onchain_verifier
    from oracle.chain.mldsa import OnchainVerifier

    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    if not address:
        raise InputError(f"no verifier: give --mldsa-verifier or {ADDRESS_ENV}")
    onchain = OnchainVerifier(verifier.chain, address, eip8355_address)
    use_onchain_verifier(verifier, onchain, gas_limit=gas_limit)
    emit(
        {
            "algorithm": onchain.algorithm.name,
            "eip8355_verifier": onchain.precompile or "",
            "context_verifier": onchain.address,
            "gas_limit": gas_limit,
        },
        as_json,
    )


@onchain_group.command(name="mode")
@_chain_options
@_verifier_option
@click.option("--optimistic/--quorum", default=None, help="The mode to switch to.")
@click.option("--bond", type=click.IntRange(1), help="Wei each post locks (optimistic mode).")
@click.option(
    "--window",
    type=click.IntRange(1, 2**32 - 1),
    help="Challenge window in seconds (optimistic mode).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def mode_command(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    optimistic: bool | None,
    bond: int | None,
    window: int | None,
    as_json: bool,
) -> None:
    """Show or switch a SignatureVerifier's mode (admin): quorum votes, or bonded optimistic posts
    with a challenge window. Safe with requests in flight."""
    from oracle.domain import OptimisticConfig

    if optimistic and (bond is None or window is None):
        raise InputError("--optimistic needs --bond WEI and --window SECONDS")
    if optimistic is False and (bond is not None or window is not None):
        raise InputError("--quorum takes no --bond or --window")
    if optimistic is None and (bond is not None or window is not None):
        raise InputError("give --optimistic with --bond and --window, or --quorum")
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    if optimistic is not None:
        config = (
            OptimisticConfig(True, bond or 0, window or 0) if optimistic else OptimisticConfig()
        )
        verifier.set_optimistic_config(config)
    current = verifier.optimistic_config()
    emit(
        {
            "mode": "optimistic" if current.enabled else "quorum",
            "bond": current.bond,
            "challenge_window": current.challenge_window,
        },
        as_json,
    )
