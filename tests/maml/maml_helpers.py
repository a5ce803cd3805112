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
