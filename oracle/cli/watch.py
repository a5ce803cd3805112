"""Optimistic mode from the command line: `watch` (challenge wrong posted verdicts) and `bond`
(an oracle's bond: `show`, `deposit`, `withdraw`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from oracle.cli._io import emit
from oracle.cli.chain import (
    _chain_options,
    _cycle_options,
    _follow_options,
    _open_verifier,
    _settings,
    _verifier_option,
    run_loop,
)
from oracle.inputs import parse_address

if TYPE_CHECKING:
    from pathlib import Path

    from oracle.chain import Verifier
    from oracle.daemon import OracleDaemon
    from oracle.daemon.metrics import DaemonMetrics
    from oracle.store import Store


@click.command()
@_chain_options
@_verifier_option
@click.option(
    "--database-url",
    help="SQLAlchemy URL of the watcher's store, never an oracle daemon's "
    "(env PQORACLE_WATCH_DATABASE_URL; default sqlite:///pqoracle-watch.db).",
)
@_cycle_options
@click.option(
    "--dry-run", is_flag=True, help="Judge the posts and log wrong ones, send nothing (no key)."
)
@_follow_options
def watch(
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
    log_format: str,
    metrics_port: int | None,
    metrics_host: str | None,
) -> None:
    """Re-verify every posted verdict (optimistic mode) and challenge the wrong ones before their
    window closes, once each; any funded account may watch. Runs until SIGINT/SIGTERM."""
    from oracle.daemon import Watcher

    settings = _settings(
        rpc_url,
        private_key_file,
        verifier_address=verifier_address,
        watch_database_url=database_url,
        confirmations=confirmations,
        start_block=start_block,
        daemon_metrics_port=metrics_port,
        daemon_metrics_host=metrics_host,
    )

    def make(verifier: Verifier, store: Store, metrics: DaemonMetrics) -> OracleDaemon:
        return Watcher(
            verifier, store, settings, dry_run=dry_run, reset_store=reset_store, metrics=metrics
        )

    run_loop(
        make,
        settings,
        settings.watch_database_url,
        log_format,
        max_cycles=1 if once else max_cycles,
    )


@click.group(name="bond")
def bond_group() -> None:
    """An oracle's bond in optimistic mode: show it, deposit, withdraw."""


@bond_group.command(name="show")
@_chain_options
@_verifier_option
@click.option("--account", help="Whose bond (default: the signing account).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bond_show(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    account: str | None,
    as_json: bool,
) -> None:
    """The mode, the bond each post locks, the window, and an account's free bond."""
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    who = parse_address(account, what="account") if account else verifier.chain.address
    mode = verifier.optimistic_config()
    free, barred = verifier.bond_of(who)
    found = {
        "account": who,
        "optimistic": mode.enabled,
        "bond_per_post_wei": mode.bond,
        "challenge_window_seconds": mode.challenge_window,
        "free_bond_wei": free,
        "posts_covered": free // mode.bond if mode.bond else 0,
        "barred": barred,
    }
    emit(found, as_json)


@bond_group.command(name="deposit")
@_chain_options
@_verifier_option
@click.argument("wei", type=click.IntRange(1))
def bond_deposit(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    wei: int,
) -> None:
    """Add WEI to the signing account's bond."""
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    sent = verifier.deposit_bond(wei)
    free, _ = verifier.bond_of(verifier.chain.address)
    click.echo(f"deposited {wei} wei in block {sent.block_number}; free bond {free} wei")


@bond_group.command(name="withdraw")
@_chain_options
@_verifier_option
@click.argument("wei", type=click.IntRange(1))
@click.option("--to", "recipient", help="Send it here (default: the signing account).")
def bond_withdraw(
    rpc_url: str | None,
    private_key_file: Path | None,
    verifier_address: str | None,
    wei: int,
    recipient: str | None,
) -> None:
    """Take WEI of the signing account's free bond out (not locked by an open post)."""
    to = parse_address(recipient, what="recipient") if recipient else None
    settings = _settings(rpc_url, private_key_file, verifier_address=verifier_address)
    verifier = _open_verifier(settings)
    sent = verifier.withdraw_bond(wei, to)
    where = to or verifier.chain.address
    click.echo(f"withdrew {wei} wei of bond to {where} in block {sent.block_number}")
