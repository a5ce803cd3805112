"""Slither's JSON output as frozen findings, grouped by severity and scored. Pure: no I/O.

Slither rates each finding with an impact (High, Medium, Low, Informational, Optimization) and a
confidence on the same scale. It has no "critical"; this package calls a finding critical when
both its impact and its confidence are High (docs/audit.md says why). The risk score is
(critical + high) x 10 + medium x 5; a report fails at `FAIL_THRESHOLD` or more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from oracle.errors import SlitherFailedError, SlitherOutputError

#: Slither's rating names, for both impact and confidence.
Rating: TypeAlias = Literal["High", "Medium", "Low", "Informational", "Optimization"]
#: This package's severities, most severe first.
Severity: TypeAlias = Literal["critical", "high", "medium", "low", "informational", "optimization"]

RATINGS: Final[tuple[Rating, ...]] = ("High", "Medium", "Low", "Informational", "Optimization")
SEVERITIES: Final[tuple[Severity, ...]] = (
    "critical",
    "high",
    "medium",
    "low",
    "informational",
    "optimization",
)
#: Points per finding of each severity; the others count 0.
WEIGHTS: Final[Mapping[Severity, int]] = MappingProxyType({"critical": 10, "high": 10, "medium": 5})
#: A score at or above this fails the audit (one high finding, or two medium ones).
FAIL_THRESHOLD: Final = 10
#: Directories whose findings are not ours: dependencies, wherever they sit.
DEPENDENCY_DIR: Final = "node_modules"

_SEVERITY_OF_IMPACT: Final[Mapping[Rating, Severity]] = MappingProxyType(
    {
        "High": "high",
        "Medium": "medium",
        "Low": "low",
        "Informational": "informational",
        "Optimization": "optimization",
    }
)
#: Longest Slither error text carried into an exception message.
_MAX_ERROR_TEXT: Final = 500
_CHECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
#: Deepest JSON nesting read. Slither's output nests about 12 levels; a hostile file nested
#: thousands deep can overflow the C stack of the json decoder before RecursionError is raised.
MAX_JSON_DEPTH: Final = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: a source file (relative to the project root) and its lines."""

    path: str
    start_line: int | None = None
    end_line: int | None = None

    def __str__(self) -> str:
        if self.start_line is None:
            return self.path
        if self.end_line is None or self.end_line == self.start_line:
            return f"{self.path}#{self.start_line}"
        return f"{self.path}#{self.start_line}-{self.end_line}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One Slither detector result: which check, how bad, how sure, what, and where."""

    check: str
    impact: Rating
    confidence: Rating
    description: str
    locations: tuple[Location, ...]

    @property
    def severity(self) -> Severity:
        """The impact as a severity, "critical" for High impact found with High confidence."""
        if self.impact == "High" and self.confidence == "High":
            return "critical"
        return _SEVERITY_OF_IMPACT[self.impact]


@dataclass(frozen=True, slots=True)
class SlitherFindings:
    """The findings of one Slither run: those in the audited sources and those set aside."""

    findings: tuple[Finding, ...]
    #: Findings whose every location is in a dependency or a test contract.
    excluded: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts by severity, the risk score and the verdict."""

    counts: Mapping[Severity, int]
    score: int
    threshold: int = FAIL_THRESHOLD

    @property
    def passed(self) -> bool:
        """Whether the score is below the threshold."""
        return self.score < self.threshold


def _is_under(path: str, directory: str) -> bool:
    directory = directory.strip("/")
    return directory != "" and (path == directory or path.startswith(directory + "/"))


def is_excluded(path: str, excluded_dirs: tuple[str, ...]) -> bool:
    """Whether `path` is in a dependency (any `node_modules` segment) or under an excluded dir."""
    normalised = path.replace("\\", "/").removeprefix("./")
    if DEPENDENCY_DIR in normalised.split("/"):
        return True
    return any(_is_under(normalised, directory) for directory in excluded_dirs)


def _check_depth(data: bytes) -> None:
    depth = 0
    # Brackets inside strings do not nest: strip the strings first.
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b"", data)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > MAX_JSON_DEPTH:
            raise SlitherOutputError(f"Slither output nests deeper than {MAX_JSON_DEPTH} levels")


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise SlitherOutputError(f"{what} is not a string")
    return value


def _rating(value: object, what: str) -> Rating:
    if value not in RATINGS:
        raise SlitherOutputError(f"{what} {value!r} is not one of {', '.join(RATINGS)}")
    return value


def _line_number(value: object) -> int | None:
    # bool is an int subclass; a JSON true is not a line number.
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _location(element: object, index: int) -> Location | None:
    if not isinstance(element, Mapping):
        raise SlitherOutputError(f"element {index} is not an object")
    mapping = element.get("source_mapping")
    if mapping is None:
        return None
    if not isinstance(mapping, Mapping):
        raise SlitherOutputError(f"element {index}: source_mapping is not an object")
    # Slither writes the path relative to the directory it ran in; it ran in the project root.
    path = mapping.get("filename_relative") or mapping.get("filename_short")
    if not isinstance(path, str) or not path:
        return None
    lines = mapping.get("lines")
    numbers = [n for n in (lines if isinstance(lines, list) else []) if _line_number(n)]
    if not numbers:
        return Location(path)
    return Location(path, min(numbers), max(numbers))


def _finding(result: object, index: int) -> Finding:
    if not isinstance(result, Mapping):
        raise SlitherOutputError(f"detector result {index} is not an object")
    where = f"detector result {index}"
    check = _text(result.get("check"), f"{where}: check")
    if not _CHECK_NAME.fullmatch(check):
        raise SlitherOutputError(f"{where}: check {check[:100]!r} is not a detector name")
    elements = result.get("elements", [])
    if not isinstance(elements, list):
        raise SlitherOutputError(f"{where}: elements is not a list")
    locations: list[Location] = []
    for position, element in enumerate(elements):
        location = _location(element, position)
        # One place is often named by several elements (a function and its node): keep one.
        if location is not None and location not in locations:
            locations.append(location)
    return Finding(
        check=check,
        impact=_rating(result.get("impact"), f"{where}: impact"),
        confidence=_rating(result.get("confidence"), f"{where}: confidence"),
        description=_text(result.get("description"), f"{where}: description").strip(),
        locations=tuple(locations),
    )


def parse_slither_json(
    data: str | bytes, *, excluded_dirs: tuple[str, ...] = ()
) -> SlitherFindings:
    """The detector findings in Slither's `--json` output, split into kept and excluded.

    A finding is excluded when it has locations and every one of them is in `node_modules` or
    under one of `excluded_dirs` (paths relative to the project root); a finding that touches
    the audited sources is kept even when it also points into a dependency.

    Raises:
        SlitherOutputError: the text is not JSON of the shape Slither writes.
        SlitherFailedError: the output says Slither failed (`success: false`).
    """
    _check_depth(data.encode("utf-8") if isinstance(data, str) else data)
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise SlitherOutputError(f"Slither output is not JSON: {err}") from err
    if not isinstance(document, dict) or not isinstance(document.get("success"), bool):
        raise SlitherOutputError("Slither output has no boolean 'success' field")
    if not document["success"]:
        error = document.get("error")
        text = " ".join(error.split()) if isinstance(error, str) else "no error message"
        if len(text) > _MAX_ERROR_TEXT:
            text = text[:_MAX_ERROR_TEXT] + "..."
        raise SlitherFailedError(f"Slither reported a failure: {text}")
    results = document.get("results", {})
    if not isinstance(results, dict):
        raise SlitherOutputError("Slither output: 'results' is not an object")
    detectors = results.get("detectors", [])
    if not isinstance(detectors, list):
        raise SlitherOutputError("Slither output: 'results.detectors' is not a list")
    kept: list[Finding] = []
    excluded: list[Finding] = []
    for index, result in enumerate(detectors):
        finding = _finding(result, index)
        outside = bool(finding.locations) and all(
            is_excluded(location.path, excluded_dirs) for location in finding.locations
        )
        (excluded if outside else kept).append(finding)
    return SlitherFindings(tuple(sort_findings(kept)), tuple(sort_findings(excluded)))


def sort_findings(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    """Most severe first, then by check name, place and description (a stable report order)."""

    def key(finding: Finding) -> tuple[int, str, str, int, str]:
        first = finding.locations[0] if finding.locations else Location("")
        return (
            SEVERITIES.index(finding.severity),
            finding.check,
            first.path,
            first.start_line or 0,
            finding.description,
        )

    return sorted(findings, key=key)


def count_by_severity(findings: tuple[Finding, ...] | list[Finding]) -> Mapping[Severity, int]:
    """How many findings have each severity (every severity present, zero included)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return MappingProxyType(counts)


def risk_score(counts: Mapping[Severity, int]) -> int:
    """(critical + high) x 10 + medium x 5; low, informational and optimization count 0."""
    return sum(weight * counts.get(severity, 0) for severity, weight in WEIGHTS.items())


def summarise(findings: tuple[Finding, ...] | list[Finding]) -> Summary:
    """Counts, score and verdict for a set of findings."""
    counts = count_by_severity(findings)
    return Summary(counts=counts, score=risk_score(counts))
