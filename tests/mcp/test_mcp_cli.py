"""`pqoracle mcp` as a command: the SDK stays out of every other command, its absence is a
one-line error naming the extra, and a bad setting fails before anything is served."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.cli_startup import prepare
from tests.imports import ROOT, modules_after

_RUN_CLI = """
from oracle.cli import main
code = main(sys.argv[1:], prog_name="pqoracle", standalone_mode=False)
if code:
    raise SystemExit(f"pqoracle exited {code}")
"""

#: The SDK's own top-level packages.
SDK = frozenset({"mcp", "mcp_types"})


def _pqoracle(*args: str, cwd: Path, prologue: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQORACLE_")}
    env["PYTHONPATH"] = str(ROOT)
    code = prologue + "import sys\nfrom oracle.cli import main\nmain(sys.argv[1:], 'pqoracle')\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_other_command_imports_the_mcp_sdk(tmp_path: Path) -> None:
    command_lines = {case.name: case.args for case in prepare(tmp_path)}
    command_lines["mcp --help"] = ("mcp", "--help")
    imported = {
        name: sorted(modules_after(_RUN_CLI, *args, cwd=tmp_path) & SDK)
        for name, args in command_lines.items()
    }
    assert {name: found for name, found in imported.items() if found} == {}


def test_the_check_sees_the_sdk_when_it_is_imported(tmp_path: Path) -> None:
    assert modules_after("import oracle.mcp.server", cwd=tmp_path) >= SDK


def test_mcp_without_the_sdk_is_a_one_line_error_naming_the_extra(tmp_path: Path) -> None:
    # `None` in sys.modules makes every import of the SDK fail, as if it were not installed.
    done = _pqoracle("mcp", cwd=tmp_path, prologue="import sys\nsys.modules['mcp'] = None\n")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "Error: pqoracle mcp needs the MCP SDK (no module mcp): install the `mcp` extra: "
        "pip install 'pq-signature-oracle[mcp]'"
    ]
    assert not (tmp_path / "pqoracle.db").exists()


def test_mcp_with_a_missing_key_directory_fails_before_serving(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-keys"
    store = f"sqlite:///{tmp_path / 'store.db'}"
    done = _pqoracle(
        "mcp", "--database-url", store, "--signing-keys-dir", str(missing), cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"Error: setting api_signing_keys_dir: {missing} is not a directory"
    ]
