"""The list of top-level commands, one import per command module."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click


def all_commands() -> list[click.Command]:
    """Every top-level `pqoracle` command, in help order."""
    from oracle.cli import keys
    from oracle.cli.envelope import envelope

    commands: list[click.Command] = [keys.keygen, keys.sign, keys.verify_command]
    commands.append(envelope)
    from oracle.cli.maml import maml_group

    commands.append(maml_group)
    from oracle.cli.audit import audit

    commands.append(audit)
    return commands
