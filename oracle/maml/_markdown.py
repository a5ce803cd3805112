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

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, NamedTuple

_INDENTED_HEADING: Final = re.compile(r" {1,3}##(?:[ \t].*)?")
_CLOSING_HASHES: Final = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
# Every pattern above needs a fence character or `#` after at most three spaces: the only lines
# worth looking at. Found by the regex engine, so the many prose lines cost no Python loop.
_CANDIDATE_LINE: Final = re.compile(r" {0,3}[`~#]")
_CANDIDATE_AFTER_LF: Final = re.compile(r"\n {0,3}[`~#]")


# Named tuples rather than frozen dataclasses: a scan makes one per heading and fence, and a
# tuple is built in a third of the time (no per-field object.__setattr__).
class Heading(NamedTuple):
    """A level-2 heading line (its line number: `Scan.line`)."""

    name: str
    text: str
    #: Offset of the heading line and of the line after it, in the body.
    start: int
    after: int


class Fence(NamedTuple):
    """A fenced code block found in the body (its line number: `Scan.line`)."""

    info: str
    content: str
    #: Offset of the opening line in the body.
    start: int
    closed: bool


#: `Heading(...)` and `Fence(...)` without the Python frame of a named tuple's `__new__`: the
#: tuple is built in C (what `_make` does).
_heading: Final = functools.partial(tuple.__new__, Heading)
_fence: Final = functools.partial(tuple.__new__, Fence)
#: How a level-2 heading line starts when it has more than `##`.
_HEADING_STARTS: Final = ("## ", "##\t")


@dataclass(slots=True)
class Scan:
    """What `scan` found, in body order.

    Line numbers are worked out when asked for: counting the line feeds of a body is a pass
    over all of it (a microsecond a 4 KiB body, a quarter of a millisecond a 1 MiB one), and a
    verification needs none unless the document has a History or breaks a rule.
    """

    body: str
    #: Document line number of the body's first line.
    first_line: int
    headings: list[Heading] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    #: Offsets of the lines that look like a level-2 heading but are indented (not sections).
    indented_starts: list[int] = field(default_factory=list)

    def line(self, offset: int) -> int:
        """Document line number of the body line at `offset`."""
        return self.first_line + self.body.count("\n", 0, offset)

    def lines(self, offsets: Iterable[int]) -> list[int]:
        """Document line numbers of the body lines at `offsets` (ascending), in one pass."""
        numbers: list[int] = []
        number, counted_to = self.first_line, 0
        for offset in offsets:
            number += self.body.count("\n", counted_to, offset)
            counted_to = offset
            numbers.append(number)
        return numbers

    @property
    def indented_headings(self) -> list[int]:
        """Document line numbers of the indented `##` lines."""
        return self.lines(self.indented_starts)


def heading_name(content: str) -> str:
    """The heading text without a closing `#` run and surrounding blanks."""
    if "#" not in content:  # most headings: no closing run to look for
        return content.strip()
    return _CLOSING_HASHES.sub("", content).strip()


def _line_start(body: str, at: int) -> int:
    """Start of the line holding offset `at` if only 0-3 spaces precede it there, else -1."""
    if at == 0 or body[at - 1] == "\n":  # the usual case: the character starts its line
        return at
    newline = body.rfind("\n", max(0, at - 4), at)
    start = newline + 1 if newline >= 0 else (0 if at <= 3 else -1)
    if start < 0 or body.count(" ", start, at) != at - start:
        return -1
    return start


def _candidates(body: str) -> list[int]:
    """Offsets of the lines that could open, close or head anything, in order."""
    # Each of the three characters is found by str.find (memchr), which is a hundred times faster
    # than a regex over every line; prose holds few of them. After a hit the search goes on
    # from the next line: a later one on the same line is never in the first four columns (a
    # heading's `##`, a fence's run, inline code). A body full of lines with them would cost a
    # Python step each, so past a bound the regex (linear, a constant per line) takes over.
    budget = 64 + len(body) // 1024
    steps = 0
    found: list[int] = []
    for char in "`~#":
        at = body.find(char)
        while at >= 0:
            steps += 1
            if steps > budget:
                return _candidates_by_regex(body)
            if at == 0 or body[at - 1] == "\n":  # the usual case, without a call
                found.append(at)
            else:
                start = _line_start(body, at)
                if start >= 0:
                    found.append(start)
            end = body.find("\n", at)
            if end < 0:
                break
            at = body.find(char, end + 1)
    found.sort()
    return found


def _candidates_by_regex(body: str) -> list[int]:
    """`_candidates` for a body dense with fence and heading characters."""
    starts = [0] if _CANDIDATE_LINE.match(body) else []
    starts.extend(found.start() + 1 for found in _CANDIDATE_AFTER_LF.finditer(body))
    return starts


def scan(body: str, first_line: int) -> Scan:
    """Find fences and level-2 headings (`first_line`: document line of the body's first line)."""
    result = Scan(body, first_line)
    fence_char = ""
    fence_len = 0
    fence_info = ""
    fence_start = 0
    content_start = 0
    size = len(body)
    headings = result.headings
    for offset in _candidates(body):
        end = body.find("\n", offset)
        if end < 0:
            end = size
        line = body[offset:end]
        # A candidate line starts, after 0-3 spaces, with one of the three characters: a `#`
        # line can only head, a backtick or tilde line only open or close a fence.
        first = line.lstrip(" ")[0]  # (the line itself when it has no leading blank: no copy)
        if fence_char:
            if first == fence_char:
                # A closing line: the run of the fence character, long enough, then only blanks
                # (a candidate line has at most three leading spaces). String methods, not a
                # regex: the engine is cold code in a verification.
                rest = line.lstrip(" ")
                after_run = rest.lstrip(first)
                run = len(rest) - len(after_run)
                if run >= 3 and run >= fence_len and not after_run.strip(" \t"):
                    result.fences.append(
                        _fence((fence_info, body[content_start:offset], fence_start, True))
                    )
                    fence_char = ""
        elif first == "#":
            # No pattern: `##` then a blank or the line end is a heading, and its name is the
            # rest without a closing `#` run and surrounding blanks (`heading_name`). (A regex
            # match cost 0.4 us a heading.)
            if line.startswith(_HEADING_STARTS) or line == "##":
                text = line[2:]
                name = text.strip() if "#" not in text else heading_name(text)
                after = end + 1 if end < size else end
                headings.append(_heading((name, line, offset, after)))
            elif line[0] == " " and _INDENTED_HEADING.fullmatch(line):
                result.indented_starts.append(offset)
        else:
            # An opening line: a run of three or more of the character, then the info string
            # (no backtick in it after backticks).
            rest = line.lstrip(" ")
            info = rest.lstrip(first)
            run = len(rest) - len(info)
            if run >= 3 and not (first == "`" and "`" in info):
                fence_char = first
                fence_len = run
                fence_info = info.strip()
                fence_start = offset
                content_start = end + 1 if end < size else end
    if fence_char:
        result.fences.append(_fence((fence_info, body[content_start:], fence_start, False)))
    return result
