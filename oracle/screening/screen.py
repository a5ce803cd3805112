"""The rule-based screen: packaged rules, matched against text as written and as decoded."""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from oracle.errors import ScreeningError, ScreeningRulesError

if TYPE_CHECKING:
    from oracle.screening.classifier import Classifier

#: The rule file `load_rules()` and `screen()` use unless told otherwise.
DEFAULT_RULES_VERSION: Final = "1"
CATEGORIES: Final = (
    "instruction_override",
    "role_play",
    "system_prompt_extraction",
    "data_exfiltration",
    "encoded_payload",
    "invisible_unicode",
)
#: The class of a classifier match (the classifier tells injection from benign text, not a class).
CLASSIFIER_CATEGORY: Final = "prompt_injection"
_KINDS: Final = frozenset({"regex", "base64", "hex", "escapes", "rot13", "characters"})
#: Decoded payloads are screened again this many times (base64 inside base64...).
_MAX_DECODE_DEPTH: Final = 2
#: Share of printable characters a decoded blob needs to count as text rather than binary.
_PRINTABLE_SHARE: Final = 0.9

_BASE64_BLOB: Final = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX_BLOB: Final = re.compile(
    r"(?:0x)?((?:[0-9a-fA-F]{2}){12,})|((?:[0-9a-fA-F]{2}[ :]){11,}[0-9a-fA-F]{2})"
)
_ESCAPE: Final = re.compile(
    r"\\u\{?[0-9a-fA-F]{4,6}\}?|\\U[0-9a-fA-F]{8}|\\x[0-9a-fA-F]{2}|&#x[0-9a-fA-F]{1,6};"
    r"|&#[0-9]{1,7};|%[0-9a-fA-F]{2}"
)


@dataclass(frozen=True, slots=True)
class Match:
    """One rule that fired: which, of what class, where in the screened text, and why."""

    rule_id: str
    category: str
    #: Start and end (exclusive) offsets in the screened text (for a decoded payload: the blob).
    span: tuple[int, int]
    reason: str
    #: Where the text came from, for a screened document ("section:Intent", "front_matter:type").
    field: str = ""


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """The verdict on one text (or document): flagged when any rule matched."""

    flagged: bool
    matches: tuple[Match, ...]
    rules_version: str
    #: The classifier head's version when the classifier screened the text too, else "".
    classifier_version: str = ""

    @property
    def categories(self) -> tuple[str, ...]:
        """The classes that matched, each once, in rule-file order (the classifier's last)."""
        seen = {match.category for match in self.matches}
        return tuple(c for c in (*CATEGORIES, CLASSIFIER_CATEGORY) if c in seen)

    @property
    def screens(self) -> str:
        """What screened the text, for logs and events: "rules v1" or "rules v1, classifier v1"."""
        used = f"rules v{self.rules_version}"
        return f"{used}, classifier v{self.classifier_version}" if self.classifier_version else used

    @property
    def reason(self) -> str:
        """A one-line reason: the first match's, with its field and the other rule ids."""
        if not self.matches:
            return "clean"
        first = self.matches[0]
        where = f" in {first.field}" if first.field else ""
        more = len({match.rule_id for match in self.matches}) - 1
        tail = f" (and {more} more rule{'s' if more > 1 else ''})" if more else ""
        return f"{first.reason}{where} [{first.rule_id}]{tail}"

    def raise_if_flagged(self) -> ScreenResult:
        """This result when clean.

        Raises:
            ScreeningError: a rule matched (the message is `reason`).
        """
        if self.flagged:
            rule_ids = tuple(dict.fromkeys(match.rule_id for match in self.matches))
            raise ScreeningError(f"input refused: {self.reason}", rule_ids=rule_ids)
        return self


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule file entry: `pattern` for regex and character rules, `params` for the rest."""

    id: str
    category: str
    kind: str
    reason: str
    pattern: re.Pattern[str] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


def _ranges(ranges: list[list[str]]) -> str:
    """The inside of a character class for inclusive hex code point ranges."""
    return "".join(
        re.escape(chr(int(low, 16))) + "-" + re.escape(chr(int(high, 16))) for low, high in ranges
    )


def _rule(entry: Mapping[str, Any]) -> Rule:
    try:
        kind, category = entry["kind"], entry["category"]
        if kind not in _KINDS or category not in CATEGORIES:
            raise ScreeningRulesError(f"rule {entry.get('id')!r}: unknown kind or category")
        pattern = None
        if kind == "regex":
            pattern = re.compile(entry["pattern"], re.IGNORECASE)
        elif kind == "characters":
            pattern = re.compile("[" + _ranges(entry["ranges"]) + "]+")
        params = {key: value for key, value in entry.items() if key != "pattern"}
        return Rule(str(entry["id"]), category, kind, str(entry["reason"]), pattern, params)
    except (KeyError, TypeError, ValueError, re.error) as err:
        raise ScreeningRulesError(f"rule {entry.get('id')!r} is malformed: {err}") from err


class RuleSet:
    """A loaded rule file; `screen` applies it."""

    def __init__(self, version: str, rules: tuple[Rule, ...]) -> None:
        self.version = version
        self.rules = rules
        self._text_rules = tuple(rule for rule in rules if rule.kind == "regex")
        self._char_rules = tuple(rule for rule in rules if rule.kind == "characters")
        self._decoders = {rule.kind: rule for rule in rules if rule.kind in _DECODERS}
        ranges = "".join(_ranges(rule.params["ranges"]) for rule in self._char_rules)
        self._invisible = re.compile("[" + ranges + "]") if ranges else None

    @classmethod
    def from_json(cls, text: str) -> RuleSet:
        """A rule set from the rule file's JSON text.

        Raises:
            ScreeningRulesError: the text is not a rule file.
        """
        try:
            data = json.loads(text)
            version, entries = str(data["version"]), data["rules"]
        except (ValueError, KeyError, TypeError) as err:
            raise ScreeningRulesError(f"not a screening rule file: {err}") from err
        rules = tuple(_rule(entry) for entry in entries)
        if len({rule.id for rule in rules}) != len(rules):
            raise ScreeningRulesError("duplicate rule ids")
        return cls(version, rules)

    def screen(self, text: str, *, field: str = "") -> ScreenResult:
        """Every rule that matches `text`, as written, without invisible characters, and decoded."""
        matches: list[Match] = []
        for rule in self._char_rules:
            assert rule.pattern is not None
            found = list(rule.pattern.finditer(text))
            if sum(m.end() - m.start() for m in found) >= int(rule.params.get("min_count", 1)):
                matches.extend(
                    Match(rule.id, rule.category, m.span(), rule.reason, field) for m in found
                )
        clean, offsets = self._normalise(text, "")
        views = [(clean, offsets)]
        if matches:
            # An invisible character stands inside a word ("ig<ZWSP>nore") or for a space.
            views.append(self._normalise(text, " "))
        seen: set[str] = set()
        for view, view_offsets in views:
            for rule, span in self._text_matches(view):
                if rule.id in seen:
                    continue
                seen.add(rule.id)
                start, end = span
                original = (view_offsets[start], view_offsets[end]) if view_offsets else span
                matches.append(Match(rule.id, rule.category, original, rule.reason, field))
        if not matches:
            matches.extend(self._decoded_matches(clean, offsets, field, depth=0))
        return ScreenResult(bool(matches), tuple(matches), self.version)

    # --- internals --------------------------------------------------------------------------

    def _normalise(self, text: str, invisible: str) -> tuple[str, list[int] | None]:
        """NFKC text with invisible characters replaced by `invisible`, and each character's
        offset in `text` (None when the text is ASCII and so unchanged)."""
        if text.isascii():
            return text, None
        out: list[str] = []
        offsets: list[int] = []
        for index, char in enumerate(text):
            if self._invisible is not None and self._invisible.match(char):
                folded = invisible
            else:
                folded = unicodedata.normalize("NFKC", char) if ord(char) > 0x7F else char
            out.append(folded)
            offsets.extend([index] * len(folded))
        offsets.append(len(text))
        return "".join(out), offsets

    def _text_matches(self, text: str) -> Iterator[tuple[Rule, tuple[int, int]]]:
        for rule in self._text_rules:
            assert rule.pattern is not None
            found = rule.pattern.search(text)
            if found:
                yield rule, found.span()

    def _instructions(self, decoded: str, depth: int) -> Rule | None:
        """The first text rule the decoded payload matches (looking into it again, bounded)."""
        for rule, _span in self._text_matches(decoded):
            return rule
        if depth + 1 < _MAX_DECODE_DEPTH:
            for match in self._decoded_matches(decoded, None, "", depth + 1):
                return next(r for r in self.rules if r.id == match.rule_id)
        return None

    def _decoded_matches(
        self, text: str, offsets: list[int] | None, field: str, depth: int
    ) -> Iterator[Match]:
        for kind, rule in self._decoders.items():
            for span, decoded in _DECODERS[kind](text, rule.params):
                inner = self._instructions(decoded, depth)
                if inner is None:
                    continue
                start, end = span
                original = (offsets[start], offsets[end]) if offsets else span
                reason = f"{rule.reason} ({inner.reason})"
                yield Match(rule.id, rule.category, original, reason, field)
                break


def _as_text(data: bytes) -> str | None:
    """`data` as UTF-8 text when it looks like text, else None (keys, signatures, hashes)."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(decoded) < 8:
        return None
    printable = sum(1 for char in decoded if char.isprintable() or char in "\n\r\t")
    return decoded if printable >= _PRINTABLE_SHARE * len(decoded) else None


def _base64_payloads(text: str, params: Mapping[str, Any]) -> Iterator[tuple[tuple[int, int], str]]:
    minimum = int(params.get("min_length", 16))
    for found in _BASE64_BLOB.finditer(text):
        blob = found.group()
        if len(blob) < minimum or blob.isalpha() or blob.isdigit():
            continue
        body = blob.rstrip("=")
        padded = body + "=" * (-len(body) % 4)
        try:
            data = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = _as_text(data)
        if decoded is not None:
            yield found.span(), decoded


def _hex_payloads(text: str, params: Mapping[str, Any]) -> Iterator[tuple[tuple[int, int], str]]:
    minimum = int(params.get("min_length", 24))
    for found in _HEX_BLOB.finditer(text):
        digits = re.sub(r"[ :]", "", found.group(1) or found.group(2))
        if len(digits) < minimum:
            continue
        decoded = _as_text(bytes.fromhex(digits))
        if decoded is not None:
            yield found.span(), decoded


def _unescape(token: str) -> str:
    if token.startswith("%"):
        return chr(int(token[1:], 16))
    if token.startswith("&"):
        return html.unescape(token)
    digits = token.strip("\\uUx{}")
    return chr(int(digits, 16)) if int(digits, 16) <= 0x10FFFF else ""


def _escape_payloads(text: str, params: Mapping[str, Any]) -> Iterator[tuple[tuple[int, int], str]]:
    found = list(_ESCAPE.finditer(text))
    if len(found) < int(params.get("min_count", 6)):
        return
    decoded = _ESCAPE.sub(lambda m: _unescape(m.group()), text)
    yield (found[0].start(), found[-1].end()), decoded


def _rot13_payloads(text: str, params: Mapping[str, Any]) -> Iterator[tuple[tuple[int, int], str]]:
    del params
    if sum(char.isalpha() for char in text) >= 12:
        yield (0, len(text)), codecs.encode(text, "rot13")


_DECODERS: Final = {
    "base64": _base64_payloads,
    "hex": _hex_payloads,
    "escapes": _escape_payloads,
    "rot13": _rot13_payloads,
}


@lru_cache(maxsize=4)
def load_rules(version: str = DEFAULT_RULES_VERSION) -> RuleSet:
    """The rule file `oracle/screening/rules/v<version>.json` shipped with the package.

    Raises:
        ScreeningRulesError: no such version, or the file is malformed.
    """
    if not version.isalnum():
        raise ScreeningRulesError(f"bad rules version {version!r}")
    try:
        text = resources.files("oracle.screening").joinpath(f"rules/v{version}.json").read_text()
    except (FileNotFoundError, OSError) as err:
        raise ScreeningRulesError(f"no screening rules version {version!r}") from err
    return RuleSet.from_json(text)


def screen(
    text: str, *, rules: RuleSet | None = None, classifier: Classifier | None = None
) -> ScreenResult:
    """Screen free text that reaches agents against the packaged rules (or `rules`), then,
    when the rules pass it and a `classifier` is given, with the classifier."""
    result = (rules or load_rules()).screen(text)
    if classifier is None or result.flagged:
        return result
    return classifier.screen_fields([("", text)], rules_version=result.rules_version)
