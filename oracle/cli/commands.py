"""The list of top-level commands, one import per command module."""

from __future__ import annotations

import click


def all_commands() -> list[click.Command]:
    """Every top-level `pqoracle` command, in help order."""
    commands: list[click.Command] = []
    return commands
