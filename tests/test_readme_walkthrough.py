"""The README's "Walkthrough on a local Anvil" is run literally, as a user would paste it.

`pqoracle` resolves to this checkout (a wrapper running `python3 -m oracle.cli` with the
checkout first on PYTHONPATH) and `anvil` to its node_modules binary; the block runs in bash in
an empty directory, on a free port (the block reads `PORT`), bounded by `timeout`, in a process
group of its own that is killed afterwards, so neither Anvil nor the daemon outlives the test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.chains import ANVIL_BINARY, ROOT, anvil_unavailable, free_port

SECTION = "Walkthrough on a local Anvil"
#: Seconds the whole walkthrough may take (it needs about 20 s: Anvil mines every second).
TIMEOUT = 120


def walkthrough_block(readme: str, title: str = SECTION) -> str:
    """The one fenced shell block of the README's section `title`."""
    section = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, f"README.md has no '## {title}' section"
    blocks = re.findall(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)
    assert len(blocks) == 1, f"'{title}' holds exactly one ```sh block"
    return str(blocks[0])


def _bin_dir(path: Path) -> Path:
    path.mkdir()
    (path / "anvil").symlink_to(ANVIL_BINARY)
    wrapper = path / "pqoracle"
    wrapper.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m oracle.cli "$@"\n'
    )
    wrapper.chmod(0o755)
    return path


def _kill_group(pgid: int, grace: float = 5.0) -> None:
    """SIGTERM every process of the group, SIGKILL what is left after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        for _ in range(int(grace / 0.05) + 1):
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return f"({path.name} missing)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def test_the_walkthrough_section_holds_the_steps_it_promises() -> None:
    block = walkthrough_block((ROOT / "README.md").read_text())
    for step in (
        "--block-time 1",
        "pqoracle new-account",
        "pqoracle deploy",
        "--oracle",
        "--threshold 1",
        "pqoracle keygen",
        "pqoracle register-key",
        "pqoracle sign",
        "pqoracle request",
        "--confirmations 2",
        "--wait 60",
        "kill",
    ):
        assert step in block, step


@pytest.mark.integration
@pytest.mark.slow
def test_the_readme_walkthrough_runs_literally_and_ends_valid(tmp_path: Path) -> None:
    reason = anvil_unavailable()
    if reason:
        pytest.skip(reason)
    script = tmp_path / "walkthrough.sh"
    script.write_text(walkthrough_block((ROOT / "README.md").read_text()))
    bin_dir = _bin_dir(tmp_path / "bin")
    work = tmp_path / "work"
    work.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("PQORACLE_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PORT"] = str(free_port())

    started = time.monotonic()
    process = subprocess.Popen(
        ["timeout", str(TIMEOUT), "bash", "-e", "-o", "pipefail", str(script)],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT + 30)
    finally:
        _kill_group(process.pid)
        process.wait(timeout=10)
    text = output.decode(errors="replace")
    failure = (
        f"exit {process.returncode} after {time.monotonic() - started:.1f} s\n"
        f"--- output ---\n{text}\n--- oracle.log ---\n{_tail(work / 'oracle.log')}\n"
        f"--- anvil.log ---\n{_tail(work / 'anvil.log')}"
    )
    assert process.returncode == 0, failure
    assert text.rstrip().endswith("valid"), failure
    last = text.rstrip().splitlines()[-1].split()
    assert len(last) == 2, failure
    assert re.fullmatch(r"0x[0-9a-f]{64}", last[0]), failure
    assert last[1] == "valid", failure
    for key_file in ("admin.key", "dapp.key", "oracle.key", "signer.pem"):
        assert (work / key_file).stat().st_mode & 0o077 == 0, key_file


@pytest.mark.integration
def test_the_readme_http_service_example_runs_literally_and_verifies(tmp_path: Path) -> None:
    script = tmp_path / "http.sh"
    script.write_text(walkthrough_block((ROOT / "README.md").read_text(), "HTTP service"))
    bin_dir = _bin_dir(tmp_path / "bin")
    work = tmp_path / "work"
    work.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("PQORACLE_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PORT"] = str(free_port())
    process = subprocess.Popen(
        ["timeout", "60", "bash", "-e", "-o", "pipefail", str(script)],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=90)
    finally:
        _kill_group(process.pid)
        process.wait(timeout=10)
    text = output.decode(errors="replace")
    failure = f"exit {process.returncode}\n{text}\n--- serve.log ---\n{_tail(work / 'serve.log')}"
    assert process.returncode == 0, failure
    assert text.rstrip().endswith('{"valid":true}'), failure
    assert (work / "token.pem").stat().st_mode & 0o077 == 0
    assert "eyJ" not in (work / "serve.log").read_text()  # no token in the service's log
