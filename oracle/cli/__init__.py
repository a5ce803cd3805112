"""`pqoracle` command line: exit 0 ok or valid, 1 invalid, 2 bad input, 3 runtime failure."""

from __future__ import annotations

import sys
from typing import Any

import click

from oracle import __version__
from oracle.errors import DecryptionError, OracleError


class BadInput(click.ClickException):
    """Bad input: exit code 2 and a one-line reason."""

    exit_code = 2


class CheckFailed(click.ClickException):
    """Well-formed input that failed authentication (decryption, sender signature): exit 1."""

    exit_code = 1


#: Package exceptions that mean "the check failed" rather than "bad input" or "runtime failure".
CHECK_FAILURES: tuple[type[OracleError], ...] = (DecryptionError,)


class RuntimeFailure(click.ClickException):
    """The input was fine but the operation failed (node unreachable, reverted transaction...)."""

    exit_code = 3


class _Group(click.Group):
    """Maps the package's exceptions to the documented exit codes with a one-line message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OracleError as err:
            message = " ".join(str(err).split()) or type(err).__name__
            if isinstance(err, CHECK_FAILURES):
                raise CheckFailed(message) from err
            if isinstance(err, ValueError):
                raise BadInput(message) from err
            raise RuntimeFailure(message) from err


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pqoracle")
def main() -> None:
    """Post-quantum (ML-DSA) signature oracle for EVM chains."""


def _register() -> None:
    # Each command group lives in its own module; importing registers nothing by side effect,
    # the modules expose commands and this function attaches them.
    from oracle.cli import commands

    for command in commands.all_commands():
        main.add_command(command)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
