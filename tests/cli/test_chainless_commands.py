"""Commands that need no chain import none of it: no web3, eth-account, py_ecc or eth-tester.

Each command runs in a fresh interpreter on the inputs `benchmarks/cli_startup.py` times, so the
commands kept fast and the commands measured are the same list.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.cli_startup import prepare
from tests.imports import CHAIN, modules_after

_RUN_CLI = """
from oracle.cli import main
code = main(sys.argv[1:], prog_name="pqoracle", standalone_mode=False)
if code:
    raise SystemExit(f"pqoracle exited {code}")
"""

#: Help pages of chain commands: reading how to call one needs no chain either.
_CHAIN_HELP = [("--version",), ("run", "--help"), ("demo", "--help"), ("status", "--help")]


def test_commands_that_need_no_chain_import_no_chain_modules(tmp_path: Path) -> None:
    command_lines = {case.name: case.args for case in prepare(tmp_path)}
    command_lines.update({" ".join(args): args for args in _CHAIN_HELP})
    imported = {
        name: sorted(modules_after(_RUN_CLI, *args, cwd=tmp_path) & CHAIN)
        for name, args in command_lines.items()
    }
    assert {name: found for name, found in imported.items() if found} == {}


def test_the_check_sees_a_chain_import_when_there_is_one(tmp_path: Path) -> None:
    modules = modules_after("import web3", cwd=tmp_path)
    assert {"web3", "eth_account", "py_ecc"} <= modules
