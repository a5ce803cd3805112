"""Shared helpers for the `.maml.md` tests."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "maml"

MINIMAL_FRONT = """\
---
maml_version: "1.0.0"
id: "urn:uuid:6f1c2e3a-8b4d-4e5f-9a0b-1c2d3e4f5a6b"
type: workflow
origin: "agent://alice"
created_at: "2026-11-24T10:00:00Z"
"""
MINIMAL_BODY = "## Intent\nDo the thing.\n\n## Context\nFor a reason.\n"


def document(extra_front: str = "", body: str = MINIMAL_BODY) -> str:
    """A valid minimal document with `extra_front` appended to its front matter."""
    return f"{MINIMAL_FRONT}{extra_front}---\n{body}"


def read(name: str) -> str:
    """A vector file's text."""
    return (DATA / name).read_bytes().decode("utf-8")


def edited(seed: str, edits: list[tuple[float, str, str]], *, body_only: bool = False) -> str:
    """`seed` after `edits`, each (where in [0, 1], "insert"/"delete"/"replace", text), applied in
    turn; with `body_only`, at places in the body (after the front matter's closing line)."""
    text = seed
    for where, how, what in edits:
        start = text.find("\n---\n", 3) + 5 if body_only else 0
        at = start + int(where * (len(text) - start))
        if how == "insert":
            text = text[:at] + what + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + len(what) :]
        else:
            text = text[:at] + what + text[at + 1 :]
    return text
