"""scripts/compile_solcx.py (py-solc-x) builds the very artifacts `npm run compile` builds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPILE_JS = ROOT / "scripts" / "compile.js"
COMPILE_SOLCX = ROOT / "scripts" / "compile_solcx.py"
SOLCJS = ROOT / "node_modules" / ".bin" / "solcjs"


@pytest.fixture(autouse=True)
def _toolchain() -> None:
    pytest.importorskip("solcx", reason="py-solc-x is missing: install the `test` extra")
    if shutil.which("node") is None or not SOLCJS.is_file():
        pytest.skip("node or node_modules/.bin/solcjs is missing: run `npm install`")


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_compile_standard_writes_the_same_bytes_as_npm_run_compile(tmp_path: Path) -> None:
    node = _run("node", COMPILE_JS, "--out", tmp_path / "npm")
    assert node.returncode == 0, node.stderr
    python = _run(sys.executable, COMPILE_SOLCX, "--out", tmp_path / "solcx")
    assert python.returncode == 0, python.stderr
    assert "with solc 0.8.37+commit." in python.stdout

    npm = {p.name: p.read_bytes() for p in sorted((tmp_path / "npm").glob("*.json"))}
    solcx = {p.name: p.read_bytes() for p in sorted((tmp_path / "solcx").glob("*.json"))}
    assert "SignatureVerifier.json" in npm
    assert sorted(solcx) == sorted(npm)
    differing = [name for name in npm if solcx[name] != npm[name]]
    assert not differing, f"py-solc-x and solcjs artifacts differ: {differing}"


def test_a_compiler_other_than_the_pinned_version_is_refused(tmp_path: Path) -> None:
    solc = tmp_path / "solc"
    solc.write_text("#!/bin/sh\necho 'Version: 0.8.20+commit.a1b79de6.Linux.g++'\n")
    solc.chmod(0o755)
    out = tmp_path / "out"
    done = _run(sys.executable, COMPILE_SOLCX, "--out", out, "--solc", solc)
    assert done.returncode == 1
    assert "solc 0.8.37 is pinned" in done.stderr
    assert not out.exists()
