"""The README's Quick start is what CI and a new user run: keep it true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)^## ", text, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```\w*\n(.*?)^```", section.group(1), re.S | re.M)
    assert len(blocks) == 1, "Quick start holds exactly one fenced block"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_quick_start_is_two_commands_the_first_running_the_demo() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("pqoracle demo")


def test_ci_runs_the_second_quick_start_command() -> None:
    second = _quick_start_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert second == "bash scripts/test.sh"
    assert "scripts/test.sh" in ci
