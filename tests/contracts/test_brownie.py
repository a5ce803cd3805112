"""Brownie in .venv-brownie: `brownie compile`, `brownie test` and `brownie run` on this checkout.

Each command runs with a HOME of its own (Brownie keeps its network settings, deployments and
error signatures in ~/.brownie), py-solc-x's compiler directory made by scripts/setup-brownie.sh
inside it, and the development network moved to a free port, so a node someone else runs on 8545
is never attached to.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from oracle.chain.devnode import free_port, stop_process_group
from tests.chains import ANVIL_BINARY, anvil_unavailable

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv-brownie" / "bin"
BROWNIE = VENV_BIN / "brownie"
SOLCJS = ROOT / "node_modules" / ".bin" / "solcjs"
TIMEOUT = 300


@dataclass(frozen=True)
class BrownieEnv:
    env: dict[str, str]
    port: int


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A group of its own: on a timeout the Anvil that Brownie launched goes down with it.
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        stop_process_group(process)
        output, _ = process.communicate()
        pytest.fail(f"{' '.join(command)} did not finish in {TIMEOUT} s:\n{output}")
    return subprocess.CompletedProcess(command, process.returncode, output)


def _brownie(brownie_env: BrownieEnv, *args: str) -> subprocess.CompletedProcess[str]:
    done = _run([str(BROWNIE), *args], brownie_env.env)
    assert done.returncode == 0, done.stdout
    return done


@pytest.fixture(scope="module")
def brownie_env(tmp_path_factory: pytest.TempPathFactory) -> BrownieEnv:
    if not BROWNIE.is_file():
        pytest.skip(f"{BROWNIE} is missing: run scripts/setup-brownie.sh")
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    if not SOLCJS.is_file():
        pytest.skip(f"{SOLCJS} is missing: run npm install")

    home = tmp_path_factory.mktemp("brownie-home")
    # Nothing of this interpreter's environment may leak into Brownie's.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    path = os.pathsep.join([str((ROOT / ANVIL_BINARY).parent), str(VENV_BIN), env.get("PATH", "")])
    env.update(HOME=str(home), SOLCX_BINARY_PATH=str(home / "solcx"), PATH=path)

    # The environment exists, so the setup only checks it and links the compiler.
    setup = _run(["bash", str(ROOT / "scripts" / "setup-brownie.sh")], env)
    assert setup.returncode == 0, setup.stdout
    assert (home / "solcx" / "solc-v0.8.37").resolve() == ROOT / "scripts" / "solc-wrapper"

    brownie_env = BrownieEnv(env=env, port=free_port())
    _brownie(brownie_env, "networks", "modify", "development", f"port={brownie_env.port}")
    return brownie_env


def test_brownie_compiles_the_contracts_with_the_pinned_solcjs(brownie_env: BrownieEnv) -> None:
    done = _brownie(brownie_env, "compile", "--all")
    assert "Solc version: 0.8.37" in done.stdout
    assert "EVM Version: Shanghai" in done.stdout
    assert " - SignatureVerifier\n" in done.stdout
    assert (ROOT / "build" / "contracts" / "SignatureVerifier.json").is_file()


def test_brownie_runs_its_suite_on_anvil(brownie_env: BrownieEnv) -> None:
    done = _brownie(brownie_env, "test", "tests/brownie")
    assert f"--port {brownie_env.port}" in done.stdout  # Brownie launched its own Anvil
    summary = re.search(r"=+ (.*) in [\d.]+s", done.stdout)
    assert summary is not None, done.stdout
    assert re.fullmatch(r"\d+ passed", summary.group(1)), done.stdout


def test_brownie_runs_the_deploy_script(brownie_env: BrownieEnv) -> None:
    done = _brownie(brownie_env, "run", "scripts/deploy.py")
    assert re.search(r"SignatureVerifier deployed at 0x[0-9a-fA-F]{40} on development", done.stdout)
