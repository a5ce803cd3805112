"""Chain-facing commands: `new-account`, `deploy`, `grant-role`, `revoke-role`, `register-key`,
`request`, `status`, `run` (the daemon) and `demo`."""

from __future__ import annotations

import functools
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from oracle.cli._io import emit, payload, read_source, write_private
from oracle.cli.keys import message_input, message_options, signature_input
from oracle.crypto import load_public_key
from oracle.errors import ConfigError, InputError
from oracle.inputs import parse_address, parse_hex
from oracle.logs import configure_logging

if TYPE_CHECKING:
    from collections.abc import Callable

    from eth_account.signers.local import LocalAccount

    from oracle.accounts import PasswordPrompt
    from oracle.chain import Chain, Verifier
    from oracle.config import Settings
    from oracle.daemon import OracleDaemon
    from oracle.daemon.metrics import DaemonMetrics
    from oracle.demo import DemoReport
    from oracle.demo_optimistic import OptimisticReport
    from oracle.store import Store

# --- shared options -------------------------------------------------------------------------


#: Where `_key_options` leaves --keystore and --password-file for `_settings` (click's `meta`).
_KEYSTORE_META = "pqoracle.keystore"


def _key_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--private-key-file, --keystore and --password-file; the command itself receives only
    `private_key_file`, and `_settings` picks up the keystore options."""

    @functools.wraps(func)
    def command(
        *args: Any, keystore: Path | None, password_file: Path | None, **kwargs: Any
    ) -> Any:
        click.get_current_context().meta[_KEYSTORE_META] = (keystore, password_file)
        return func(*args, **kwargs)

    options = [
        click.option(
            "--private-key-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="File holding the signing account's hex private key (env PQORACLE_PRIVATE_KEY).",
        ),
        click.option(
            "--keystore",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Encrypted JSON keystore of the signing account, from `pqoracle account new` "
            "(env PQORACLE_KEYSTORE_FILE).",
        ),
        click.option(
            "--password-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="File holding the --keystore password (env PQORACLE_KEYSTORE_PASSWORD_FILE); "
            "asked on the terminal when absent.",
        ),
    ]
    wrapped: Callable[..., Any] = command
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped


def _chain_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--rpc-url",
        help="JSON-RPC endpoint, e.g. http://127.0.0.1:8545 (env PQORACLE_RPC_URL).",
    )(_key_options(func))


def _oracle_set(oracles: tuple[str, ...], threshold: int) -> list[str]:
    """The `--oracle` addresses, checked against `--threshold` before anything is sent.

    Raises:
        InputError: no oracle, not an address, or a threshold above the number of oracles.
    """
    if not oracles:
        raise InputError("an oracle set needs at least one --oracle (repeat it for more)")
    members = [parse_address(o, what="oracle") for o in oracles]
    if threshold > len(members):
        raise InputError(
            f"--threshold {threshold} needs at least as many --oracle, got {len(members)}"
        )
    return members


def _verifier_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--verifier",
        "verifier_address",
        help="SignatureVerifier address (env PQORACLE_VERIFIER_ADDRESS).",
    )(func)


def _cycle_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--confirmations, --start-block, --once and --max-cycles: how a chain-following loop
    (`run`, `watch`) reads the chain and when it stops."""
    options = [
        click.option("--confirmations", type=int, help="Blocks to stay behind the head."),
        click.option("--start-block", type=int, help="First block to read on a new store."),
        click.option("--once", is_flag=True, help="Run one cycle and exit."),
        click.option("--max-cycles", type=click.IntRange(1), help="Stop after this many cycles."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _follow_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--reset-store, --log-format, --metrics-port and --metrics-host of a chain-following loop."""
    options = [
        click.option(
            "--reset-store",
            is_flag=True,
            help="If the node no longer has the blocks the store read (a reset development "
            "node), forget them and follow the node's chain from --start-block instead of "
            "stopping.",
        ),
        click.option(
            "--log-format",
            type=click.Choice(["json", "text"]),
            default="json",
            show_default=True,
            help="JSON lines (for log collectors) or plain text.",
        ),
        click.option(
            "--metrics-port",
            type=click.IntRange(0, 65535),
            help="Serve /metrics and /healthz on this port (env PQORACLE_DAEMON_METRICS_PORT).",
        ),
        click.option(
            "--metrics-host",
            help="Address for --metrics-port (env PQORACLE_DAEMON_METRICS_HOST).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(rpc_url: str | None, private_key_file: Path | None, **overrides: object) -> Settings:
    """The settings, with the command line's key options on top of the environment.

    Raises:
        ConfigError: a malformed setting, or two key sources (e.g. --keystore and
            PQORACLE_PRIVATE_KEY).
        InputError: the --private-key-file cannot be read.
    """
    from pydantic import SecretStr

    from oracle.config import load_settings

    key: SecretStr | None = None
    if private_key_file is not None:
        key = SecretStr(read_source(str(private_key_file)).decode("ascii", "replace").strip())
    context = click.get_current_context(silent=True)
    keystore, password_file = (
        context.meta.get(_KEYSTORE_META, (None, None)) if context is not None else (None, None)
    )
    return load_settings(
        rpc_url=rpc_url,
        private_key=key,
        keystore_file=keystore,
        keystore_password_file=password_file,
        **overrides,
    )


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def password_prompt() -> PasswordPrompt | None:
    """Asks for a keystore password on the terminal (on stderr); None when stdin is no terminal."""
    if not _stdin_is_terminal():
        return None

    def ask(text: str) -> str:
        return str(click.prompt(text, hide_input=True, err=True))

    return ask


def _connect(settings: Settings, *, needs_node: bool = True) -> Chain:
    from oracle.chain.attach import connect_node

    return connect_node(settings, needs_node=needs_node, password_prompt=password_prompt())


def _open_verifier(settings: Settings) -> Verifier:
    from oracle.chain.attach import open_verifier

    return open_verifier(settings, password_prompt=password_prompt())


@click.command(name="new-account")
@_chain_options
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Private key file to create (mode 0600, never overwritten).",
)
@click.option(
    "--ether",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Ether the new account receives.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def new_account(
    rpc_url: str | None,
    private_key_file: Path | None,
    out: Path,
    ether: int,
    as_json: bool,
) -> None:
    """Create a funded account on a development node; print its address.

    The ether comes from the --keystore or --private-key-file (or PQORACLE_PRIVATE_KEY) account
    when one is given, otherwise from the node's first unlocked account (Anvil and Ganache hold
    pre-funded development accounts). The key file is written before any ether is sent, so a failed
    transfer never strands funds on a key nobody kept.
    """
    from eth_account import Account

    from oracle.chain import fund, fund_from_node_account

    settings = _settings(rpc_url, private_key_file)
    chain = _connect(settings)
    account: LocalAccount = Account.create()
    write_private(out, ("0x" + bytes(account.key).hex() + "\n").encode("ascii"))
    wei = ether * 10**18
    funded_by: str
    if chain.account is not None:
        fund(chain, account.address, wei)
        funded_by = chain.account.address
    else:
        try:
            fund_from_node_account(chain, account.address, wei)
        except ConfigError:
            out.unlink()  # nothing was sent: no unlocked account to send from
            raise
        funded_by = "node"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "address": account.address,
                    "private_key_file": str(out),
                    "wei": wei,
                    "funded_by": funded_by,
                }
            )
        )
    else:
        click.echo(account.address)


@click.command()
@_chain_options
@click.option("--admin", help="Initial DEFAULT_ADMIN (default: the deploying account).")
@click.option(
    "--admin-delay",
    type=click.IntRange(0, 2**48 - 1),
    default=0,
    show_default=True,
    help="Seconds between the two steps of an admin transfer.",
)
@click.option(
    "--oracle",
    "oracles",
    multiple=True,
    help="An oracle of the initial set (repeatable; at least one).",
)
@click.option(
    "--threshold",
    type=click.IntRange(1, 255),
    default=1,
    show_default=True,
    help="Oracle votes that must agree for a request to become final.",
)
@click.option(
    "--oracle-set-delay",
    type=click.IntRange(0, 2**48 - 1),
    default=0,
    show_default=True,
    help="Seconds between announcing an oracle set change and its effect.",
)
@click.option(
    "--min-fee", type=click.IntRange(0, 2**96 - 1), default=0, show_default=True, help="Wei."
)
@click.option(
    "--default-timeout",
    type=click.IntRange(1, 2**32 - 1),
    default=3600,
    show_default=True,
    help="Seconds from a request to its deadline unless it names its own.",
)
@click.option(
    "--max-callback-gas",
    type=click.IntRange(0, 2**32 - 1),
    default=500_000,
    show_default=True,
    help="Largest callback gas limit a request may name.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def deploy(
    rpc_url: str | None,
    private_key_file: Path | None,
    admin: str | None,
    admin_delay: int,
    oracles: tuple[str, ...],
    threshold: int,
    oracle_set_delay: int,
    min_fee: int,
    default_timeout: int,
    max_callback_gas: int,
    as_json: bool,
) -> None:
    """Deploy a SignatureVerifier from the committed artifact, with its oracle set."""
    from oracle.chain import deploy_verifier
    from oracle.domain import VerifierConfig

    admin_address = parse_address(admin, what="admin") if admin else None
    oracle_addresses = _oracle_set(oracles, threshold)
    defaults = VerifierConfig()
    config = VerifierConfig(
        min_fee=min_fee,
        default_timeout=default_timeout,
        min_timeout=min(defaults.min_timeout, default_timeout),
        max_timeout=max(defaults.max_timeout, default_timeout),
        max_callback_gas_limit=max_callback_gas,
    )
    settings = _settings(rpc_url, private_key_file)
    chain = _connect(settings)
    verifier = deploy_verifier(
        chain,
        oracles=oracle_addresses,
        threshold=threshold,
        admin=admin_address,
        admin_delay=admin_delay,
        oracle_set_delay=oracle_set_delay,
        config=config,
    )
    emit(
        {
            "verifier": verifier.address,
            "chain_id": chain.chain_id,
            "block": chain.block_number(),
            "admin": admin_address or chain.address,
            "oracles": ",".join(oracle_addresses),
            "threshold": threshold,
        },
        as_json,
    )


def _role_command(grant: bool) -> click.Command:
    verb, past = ("grant", "granted") if grant else ("revoke", "revoked")

    @click.command(name=f"{verb}-role")
    @_chain_options
    @_verifier_option
    @click.argument("role")
    @click.argument("account")
    def command(
        rpc_url: str | None,
        private_key_file: Path | None,
        verifier_address: str | None,
        role: str,
        account: str,
    ) -> None:
        from oracle.chain import Role

        parsed, address = Role.parse(role), parse_address(account, what="account")
        settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
        verifier = _open_verifier(settings)
        sent = (verifier.grant_role if grant else verifier.revoke_role)(parsed, address)
        preposition = "to" if grant else "from"
        click.echo(f"{past} {parsed.name} {preposition} {address} in block {sent.block_number}")

    command.help = f"{verb.capitalize()} PAUSER or DEFAULT_ADMIN (the admin signs)."
    return command


grant_role = _role_command(grant=True)
revoke_role = _role_command(grant=False)


# --- dApp side ----------------------------------------------------------------------------------


@click.command(name="register-key")
@_chain_options
@_verifier_option
@click.option("--public-key", "-p", "public_key_file", required=True, help="Public key PEM file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def register_key(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    public_key_file: str,
    as_json: bool,
) -> None:
    """Register an ML-DSA public key; print its key id (already registered keys are reported)."""
    from oracle.operations import register_key as register

    public = load_public_key(read_source(public_key_file))
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    found = register(_open_verifier(settings), public).as_json()
    if found.pop("registered") == "already":
        emit({"key_id": found["key_id"], "registered": "already"}, as_json)
        return
    emit(found, as_json)


@click.command()
@_chain_options
@_verifier_option
@click.option("--key-id", help="Registered key id (0x, 32 bytes).")
@click.option("--public-key", "-p", "public_key_file", help="Public key PEM (its key id is used).")
@message_options
@click.option("--signature-hex", "-s", help="Signature as 0x hex.")
@click.option("--signature-file", help="Raw signature file.")
@click.option(
    "--fee", type=click.IntRange(0, 2**96 - 1), default=0, show_default=True, help="Wei paid."
)
@click.option(
    "--callback-gas",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Gas for the consumer callback to the requesting contract (0: none).",
)
@click.option(
    "--timeout",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seconds to the request's deadline (0: the verifier's default).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def request(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    key_id: str | None,
    public_key_file: str | None,
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    context: str | None,
    context_hex: str | None,
    signature_hex: str | None,
    signature_file: str | None,
    fee: int,
    callback_gas: int,
    timeout: int,
    as_json: bool,
) -> None:
    """Open a verification request; print its id. A --public-key the verifier does not know yet
    travels inline and is registered by the same transaction."""
    from oracle.chain import check_request
    from oracle.requests import open_request

    if (key_id is None) == (public_key_file is None):
        raise InputError("give the key once: --key-id or --public-key")
    public = load_public_key(read_source(public_key_file)) if public_key_file else None
    raw_key_id = public.key_id if public else parse_hex(key_id or "", what="key id", length=32)
    data = message_input(message, message_hex, message_file)
    ctx = payload(context, context_hex, None, what="context")
    signature = signature_input(signature_hex, signature_file)
    if public is not None:
        check_request(public.algorithm.id, data, ctx, signature)
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    opened, sent = open_request(
        verifier,
        raw_key_id,
        data,
        ctx,
        signature,
        fee=fee,
        callback_gas_limit=callback_gas,
        timeout=timeout,
        public_key=public,
    )
    emit(
        {
            "request_id": "0x" + opened.request_id.hex(),
            "commitment": "0x" + opened.commitment.hex(),
            "deadline": opened.deadline,
            "block": sent.block_number,
            "tx_hash": "0x" + sent.tx_hash.hex(),
            "gas_used": sent.gas_used,
        },
        as_json,
    )


@click.command()
@_chain_options
@_verifier_option
@click.argument("request_ids", nargs=-1, required=True)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(0, 86_400),
    default=0,
    help="Wait up to this many seconds for every request to close.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    request_ids: tuple[str, ...],
    wait_seconds: float,
    as_json: bool,
) -> None:
    """Print the status of requests (0x ids): none, pending, valid, invalid, cancelled, expired."""
    from oracle.operations import status_as_json
    from oracle.requests import parse_request_id, wait_for_statuses

    ids = [parse_request_id(text) for text in request_ids]
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    statuses = wait_for_statuses(
        verifier, ids, timeout=wait_seconds, poll_interval=settings.poll_interval
    )
    if as_json:
        click.echo(json.dumps({"0x" + k.hex(): status_as_json(v) for k, v in statuses.items()}))
    else:
        for request_id, value in statuses.items():
            click.echo(f"0x{request_id.hex()}  {value.status.label}")
    if wait_seconds and not all(s.status.is_closed for s in statuses.values()):
        pending = ["0x" + k.hex() for k, v in statuses.items() if not v.status.is_closed]
        raise click.ClickException(
            f"still not final after {wait_seconds:g} s: {', '.join(pending)}"
        )


@click.command()
@_chain_options
@_verifier_option
@click.argument("request_id")
@click.option("--from-block", type=click.IntRange(0), default=0, help="Search its log from here.")
def cancel(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    request_id: str,
    from_block: int,
) -> None:
    """Cancel your request after its deadline and get its fee back."""
    from oracle.requests import find_request, parse_request_id

    wanted = parse_request_id(request_id)
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    found = find_request(verifier, wanted, from_block=from_block)
    sent = verifier.cancel(wanted, found.terms)
    click.echo(f"cancelled 0x{wanted.hex()}, {found.fee} wei refunded, block {sent.block_number}")


@click.command()
@_chain_options
@_verifier_option
@click.option("--to", "recipient", help="Send the fees here (default: the oracle itself).")
def withdraw(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    recipient: str | None,
) -> None:
    """Withdraw the fees this oracle earned."""
    to = parse_address(recipient, what="recipient") if recipient else None
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    earned = verifier.earned_of(verifier.chain.address)
    sent = verifier.withdraw(to)
    where = to or verifier.chain.address
    click.echo(f"withdrew {earned} wei to {where} in block {sent.block_number}")


@click.group(name="oracles")
def oracles_group() -> None:
    """The oracle set: show it, announce a change, apply or cancel it."""


@oracles_group.command(name="show")
@_chain_options
@_verifier_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def oracles_show(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    as_json: bool,
) -> None:
    """Print the current oracle set, its threshold and any announced change."""
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    change = verifier.pending_oracle_set_change()
    emit(
        {
            "oracles": ",".join(verifier.oracles()),
            "threshold": verifier.threshold(),
            "announced": ",".join(change.oracles) if change.effective_at else "-",
            "announced_threshold": change.threshold if change.effective_at else "-",
            "effective_at": change.effective_at or "-",
        },
        as_json,
    )


@oracles_group.command(name="announce")
@_chain_options
@_verifier_option
@click.option("--oracle", "oracles", multiple=True, help="A member (repeatable; at least one).")
@click.option("--threshold", type=click.IntRange(1, 255), required=True, help="Votes to agree.")
def oracles_announce(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    oracles: tuple[str, ...],
    threshold: int,
) -> None:
    """Announce the next oracle set (the admin signs); it takes effect after the delay."""
    members = _oracle_set(oracles, threshold)
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    verifier.announce_oracle_set_change(members, threshold)
    change = verifier.pending_oracle_set_change()
    click.echo(
        f"announced {len(members)} oracles, threshold {threshold}, in force from "
        f"{change.effective_at}"
    )


@oracles_group.command(name="apply")
@_chain_options
@_verifier_option
def oracles_apply(
    rpc_url: str | None, private_key_file: Path | None, verifier_address: str | None
) -> None:
    """Put the announced oracle set in force once its delay has passed (anyone may)."""
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    sent = verifier.apply_oracle_set_change()
    click.echo(f"oracle set in force from block {sent.block_number}")


@oracles_group.command(name="cancel")
@_chain_options
@_verifier_option
def oracles_cancel(
    rpc_url: str | None, private_key_file: Path | None, verifier_address: str | None
) -> None:
    """Withdraw the announced oracle set change (the admin signs)."""
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    sent = verifier.cancel_oracle_set_change()
    click.echo(f"announced change withdrawn in block {sent.block_number}")


# --- oracle side --------------------------------------------------------------------------------


@click.command()
@_chain_options
@_verifier_option
@click.option("--database-url", help="SQLAlchemy URL of the store (env PQORACLE_DATABASE_URL).")
@_cycle_options
@click.option(
    "--dry-run", is_flag=True, help="Verify and log verdicts, send nothing (no key needed)."
)
@click.option(
    "--invert-verdicts",
    is_flag=True,
    hidden=True,
    help="Vote the opposite of every verdict: a faulty oracle, for demonstrations only.",
)
@_follow_options
def run(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    database_url: str | None,
    confirmations: int | None,
    start_block: int | None,
    once: bool,
    max_cycles: int | None,
    dry_run: bool,
    reset_store: bool,
    invert_verdicts: bool,
    log_format: str,
    metrics_port: int | None,
    metrics_host: str | None,
) -> None:
    """Run the oracle daemon until SIGINT/SIGTERM."""
    from oracle.daemon import OracleDaemon

    settings = _settings(
        rpc_url,
        private_key_file,
        verifier_address=verifier_address,
        database_url=database_url,
        confirmations=confirmations,
        start_block=start_block,
        daemon_metrics_port=metrics_port,
        daemon_metrics_host=metrics_host,
    )

    def make(verifier: Verifier, store: Store, metrics: DaemonMetrics) -> OracleDaemon:
        return OracleDaemon(
            verifier,
            store,
            settings,
            dry_run=dry_run,
            reset_store=reset_store,
            invert_verdicts=invert_verdicts,
            metrics=metrics,
        )

    run_loop(
        make, settings, settings.database_url, log_format, max_cycles=1 if once else max_cycles
    )


def run_loop(
    make: Callable[[Verifier, Store, DaemonMetrics], OracleDaemon],
    settings: Settings,
    store_url: str,
    log_format: str,
    *,
    max_cycles: int | None,
) -> None:
    """Open the store and the verifier, build the daemon (or the watcher) with `make`, serve
    its metrics when configured, and run it until SIGINT/SIGTERM or `max_cycles`."""
    from oracle.daemon.metrics import DaemonMetrics, MetricsServer
    from oracle.store import Store

    configure_logging(json_lines=log_format == "json")
    # The store first: a missing driver or a bad URL is reported before any node is contacted.
    store = Store.open(store_url)
    try:
        verifier = _open_verifier(settings)
    except BaseException:
        store.close()
        raise
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        logging.getLogger("oracle.daemon").info("stopping", extra={"signal": signum})
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    metrics = DaemonMetrics()
    server: MetricsServer | None = None
    try:
        daemon = make(verifier, store, metrics)
        if settings.daemon_metrics_port is not None:
            server = MetricsServer(
                metrics,
                settings.daemon_metrics_host,
                settings.daemon_metrics_port,
                max_lag_blocks=settings.daemon_max_lag_blocks,
                max_cycle_age=settings.daemon_max_cycle_age,
            )
        daemon.run(stop=stop, max_cycles=max_cycles)
    finally:
        if server is not None:
            server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.close()


@click.command()
@_chain_options
@click.option("--database-url", default="sqlite://", show_default=True, help="Daemon store.")
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=300,
    show_default=True,
    help="Seconds the daemon may take to finalise every request.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--optimistic",
    is_flag=True,
    help="Optimistic mode instead of a quorum: bonded posts, a lying oracle, a watcher, and "
    "challenges judged by the on-chain ML-DSA-44 verifier.",
)
@click.option(
    "--challenge-window",
    type=click.IntRange(5, 3600),
    default=15,
    show_default=True,
    help="Seconds a post waits for challenges (with --optimistic).",
)
def demo(
    rpc_url: str | None,
    private_key_file: Path | None,
    database_url: str,
    timeout: float,
    as_json: bool,
    optimistic: bool,
    challenge_window: int,
) -> None:
    """Everything end to end: deploy, keys, valid and invalid requests, daemon, results."""
    from oracle.demo import run_demo

    # The demonstration's faulty oracle is outvoted on purpose: its disputes are in the table,
    # not worth a warning line each.
    configure_logging(json_lines=False, level=logging.ERROR)

    settings = _settings(rpc_url, private_key_file, poll_interval=0.05)
    chain = _connect(settings, needs_node=False)
    if optimistic:
        from oracle.demo_optimistic import run_optimistic_demo

        # Its lies are expected, and in the table: no error line for each.
        configure_logging(json_lines=False, level=logging.CRITICAL + 1)
        outcome = run_optimistic_demo(chain, settings, window=challenge_window, timeout=timeout)
        if as_json:
            click.echo(json.dumps(outcome.to_json()))
        else:
            _print_optimistic_table(outcome)
        if not outcome.succeeded:
            raise click.exceptions.Exit(1)
        return
    report = run_demo(chain, settings, store_url=database_url, timeout=timeout)
    if as_json:
        click.echo(json.dumps(report.to_json()))
    else:
        _print_table(report)
    if not report.succeeded:
        raise click.exceptions.Exit(1)


def _print_table(report: DemoReport) -> None:
    click.echo(f"chain     {report.chain} (chain id {report.chain_id})")
    click.echo(f"verifier  {report.verifier}")
    click.echo(
        f"oracles   {len(report.oracles)}, threshold {report.threshold}; "
        f"{report.faulty_oracle} votes wrong on purpose"
    )
    click.echo("")
    header = f"{'request':12}  {'algorithm':9}  {'case':19}  {'expected':8}  {'status':8}  votes"
    click.echo(header)
    for r in report.requests:
        mark = "ok" if r.as_expected else "MISMATCH"
        short = "0x" + r.request_id.hex()[:8] + ".."
        votes = f"{r.valid_votes}v/{r.invalid_votes}i"
        click.echo(
            f"{short:12}  {r.algorithm:9}  {r.case:19}  {r.expected:8}  {r.status:8}  "
            f"{votes:6}  {mark}"
        )
    right = sum(r.as_expected for r in report.requests)
    click.echo("")
    click.echo(
        f"{right}/{len(report.requests)} requests final as expected in {report.seconds:.1f} s; "
        f"{report.disputes_recorded} disputed votes recorded as security events"
    )


def _ether(wei: int) -> str:
    return f"{wei / 10**18:g} ETH"


def _print_optimistic_table(report: OptimisticReport) -> None:
    click.echo(f"chain     {report.chain} (chain id {report.chain_id})")
    click.echo(
        f"verifier  {report.verifier} (optimistic mode: bond {_ether(report.bond)} per post, "
        f"challenge window {report.window} s)"
    )
    click.echo(
        f"referee   MLDSA44Verifier {report.mldsa_verifier}, EIP-8355 {report.eip8355_verifier}"
    )
    click.echo(f"oracles   honest {report.honest}; liar {report.liar} (inverts every verdict)")
    click.echo(f"watcher   {report.watcher}")
    click.echo("")
    click.echo(
        f"{'request':12}  {'case':19}  {'true':7}  {'posted by':9}  {'posted':7}  "
        f"{'challenged':10}  {'final':7}  bond moved"
    )
    for r in report.rows:
        short = "0x" + r.request_id.hex()[:8] + ".."
        challenged = ("yes, won" if r.overturned else "yes, lost") if r.challenged else "no"
        moved = f"{_ether(r.reward)} to watcher, {_ether(r.burned)} burned" if r.challenged else "-"
        mark = "" if r.as_expected else "  MISMATCH"
        click.echo(
            f"{short:12}  {r.case:19}  {r.expected:7}  {r.posted_by or '-':9}  "
            f"{r.posted or '-':7}  {challenged:10}  {r.final:7}  {moved}{mark}"
        )
    lies = [r for r in report.rows if r.posted and r.posted != r.expected]
    overturned = sum(r.overturned for r in lies)
    click.echo("")
    click.echo(
        f"{overturned}/{len(lies)} lies challenged and overturned in {report.seconds:.1f} s; "
        f"the watcher earned {_ether(report.watcher_earned)}; the liar is "
        f"{'barred' if report.liar_barred else 'NOT barred'} and "
        f"{'still in' if report.liar_in_oracle_set else 'out of'} the oracle set"
    )
