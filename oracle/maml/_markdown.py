"""The body's block structure as far as the profile needs it: fences and level-2 headings.

Rules (deliberately line-based, so every implementation finds the same sections):
- a fence opens on a line indented 0-3 spaces with 3+ backticks or tildes (a backtick fence's info
  string holds no backtick) and closes on a line indented 0-3 spaces holding only the same
  character, at least as many, and optional trailing blanks (CommonMark 4.5); an unclosed fence
  runs to the end of the body;
- outside fences, a level-2 section heading is a line starting in column 1 with `##` followed by a
  space, a tab or the line end; an optional closing run of `#` is dropped (CommonMark 4.2);
- list items and block quotes are not interpreted: their contents are plain lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

_FENCE_OPEN: Final = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")
_FENCE_CLOSE: Final = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_HEADING: Final = re.compile(r"##(?:[ \t]+(.*?))?[ \t]*")
_INDENTED_HEADING: Final = re.compile(r" {1,3}##(?:[ \t].*)?")
_CLOSING_HASHES: Final = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_STARTERS: Final = frozenset(" `~#")


@dataclass(frozen=True, slots=True)
class Heading:
    """A level-2 heading line."""

    name: str
    text: str
    line: int
    #: Offset of the heading line and of the line after it, in the body.
    start: int
    after: int


@dataclass(frozen=True, slots=True)
class Fence:
    """A fenced code block found in the body."""

    info: str
    content: str
    line: int
    start: int
    closed: bool


@dataclass(slots=True)
class Scan:
    """What `scan` found, in body order."""

    headings: list[Heading] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    #: Lines that look like a level-2 heading but are indented (not sections).
    indented_headings: list[int] = field(default_factory=list)


def heading_name(content: str) -> str:
    """The heading text without a closing `#` run and surrounding blanks."""
    return _CLOSING_HASHES.sub("", content).strip()


def scan(body: str, first_line: int) -> Scan:
    """Find fences and level-2 headings (`first_line`: document line of the body's first line)."""
    result = Scan()
    offset = 0
    fence_char = ""
    fence_len = 0
    fence_info = ""
    fence_line = 0
    fence_start = 0
    content_start = 0
    lines = body.split("\n")
    for index, line in enumerate(lines):
        line_no = first_line + index
        next_offset = offset + len(line) + 1
        # Only lines starting with a blank, a fence character or '#' can open, close or head
        # anything: skip the rest without running the patterns (most lines of a large body).
        if line[:1] not in _STARTERS:
            offset = next_offset
            continue
        if fence_char:
            close = _FENCE_CLOSE.fullmatch(line)
            if close and close.group(1)[0] == fence_char and len(close.group(1)) >= fence_len:
                result.fences.append(
                    Fence(fence_info, body[content_start:offset], fence_line, fence_start, True)
                )
                fence_char = ""
        else:
            opening = _FENCE_OPEN.fullmatch(line)
            if opening and not (opening.group(2)[0] == "`" and "`" in opening.group(3)):
                fence_char = opening.group(2)[0]
                fence_len = len(opening.group(2))
                fence_info = opening.group(3).strip()
                fence_line = line_no
                fence_start = offset
                content_start = min(next_offset, len(body))
            else:
                heading = _HEADING.fullmatch(line)
                if heading:
                    text = heading.group(1) or ""
                    result.headings.append(
                        Heading(
                            heading_name(text), line, line_no, offset, min(next_offset, len(body))
                        )
                    )
                elif _INDENTED_HEADING.fullmatch(line):
                    result.indented_headings.append(line_no)
        offset = next_offset
    if fence_char:
        result.fences.append(
            Fence(fence_info, body[content_start:], fence_line, fence_start, False)
        )
    return result
