"""The list of top-level commands, one import per command module."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click


def all_commands() -> list[click.Command]:
    """Every top-level `pqoracle` command, in help order."""
    from oracle.cli import chain, keys
    from oracle.cli.account import account_group
    from oracle.cli.audit import audit
    from oracle.cli.envelope import envelope
    from oracle.cli.events import events
    from oracle.cli.keyring import keys_group
    from oracle.cli.maml import maml_group
    from oracle.cli.mcp import mcp_command
    from oracle.cli.onchain import onchain_group
    from oracle.cli.report import report_command
    from oracle.cli.screen import screen_command
    from oracle.cli.serve import serve, token
    from oracle.cli.store import store_group
    from oracle.cli.watch import bond_group, watch

    return [
        keys.keygen,
        keys.sign,
        keys.verify_command,
        keys_group,
        chain.new_account,
        account_group,
        chain.deploy,
        chain.grant_role,
        chain.revoke_role,
        chain.register_key,
        chain.request,
        chain.status,
        chain.cancel,
        chain.withdraw,
        chain.oracles_group,
        chain.run,
        watch,
        bond_group,
        chain.demo,
        onchain_group,
        events,
        store_group,
        maml_group,
        envelope,
        screen_command,
        audit,
        report_command,
        serve,
        token,
        mcp_command,
    ]
