"""The README's operator keystore block runs literally against a local Anvil ($RPC)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chains import ROOT, LocalNode

SECTION = "For oracle operators"


def keystore_block(readme: str) -> str:
    """The fenced shell block of the operators' section that creates a keystore."""
    section = re.search(rf"^## {re.escape(SECTION)}\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, f"README.md has no '## {SECTION}' section"
    blocks = [
        block
        for block in re.findall(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)
        if "pqoracle account new" in block
    ]
    assert len(blocks) == 1, "exactly one block of the operators' section runs `account new`"
    return str(blocks[0])


def test_the_operator_section_signs_with_the_keystore_it_shows() -> None:
    readme = (ROOT / "README.md").read_text()
    block = keystore_block(readme)
    for step in ("account new", "account address", "account balance", "--password-file"):
        assert step in block, step
    section = readme.split(f"## {SECTION}\n", 1)[1].split("\n## ", 1)[0]
    assert "pqoracle run --rpc-url $RPC --verifier 0xVERIFIER --keystore oracle1.json" in section


@pytest.mark.integration
def test_the_readme_keystore_block_runs_literally(anvil: LocalNode, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "pqoracle"
    wrapper.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m oracle.cli "$@"\n'
    )
    wrapper.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    script = tmp_path / "keystore.sh"
    script.write_text(keystore_block((ROOT / "README.md").read_text()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQORACLE_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", RPC=anvil.rpc_url)
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", str(script)],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    address = lines[0]
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", address), done.stdout
    assert lines[1] == address
    balance = dict(line.split(None, 1) for line in lines[2:])
    assert balance == {"address": address, "wei": "0", "ether": "0"}
    for name in ("oracle1.json", "oracle1.pass"):
        assert stat.S_IMODE((work / name).stat().st_mode) == 0o600, name
    password = (work / "oracle1.pass").read_text().strip()
    assert password not in done.stdout + done.stderr
