"""Front matter YAML restricted to the JSON data model: a strict reader and a stable writer.

The reader consumes parser events (libyaml when present) and builds the value itself, so it sees
every anchor, alias and tag before anything is constructed, holds an explicit stack (no recursion,
so nesting is bounded by a limit, not by the interpreter), and resolves plain scalars by rules
that mean the same in YAML 1.1 and 1.2: a plain scalar that the two versions read differently
(`yes`, `012`, `1e5`, `.5`, `1_000`, `<<`, ...) is refused rather than guessed.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import yaml

from oracle.maml.errors import (
    MamlAnchorError,
    MamlDuplicateKeyError,
    MamlKeyTypeError,
    MamlLimitError,
    MamlScalarError,
    MamlSyntaxError,
    MamlTagError,
    MamlTimestampError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from oracle.maml._policy import Policy
    from oracle.maml.model import PlainJson

Path = tuple[str | int, ...]
Locations = dict[Path, tuple[int, int]]

#: Largest integer magnitude JSON (IEEE 754 double) carries exactly; RFC 8785 refuses larger ones.
MAX_SAFE_INTEGER: Final = 2**53 - 1

#: Whether PyYAML was built with libyaml: its parser and emitter are then used.
LIBYAML: Final = bool(getattr(yaml, "__with_libyaml__", False))
# libyaml's parser is an order of magnitude faster on long base64 signature values; both emit the
# same events, and the pure-Python one is the fallback where PyYAML was built without libyaml.
_EventLoader: Any = yaml.CSafeLoader if LIBYAML else yaml.SafeLoader
_YAML11: Final = yaml.resolver.Resolver()

_NULL: Final = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE: Final = frozenset({"true", "True", "TRUE"})
_FALSE: Final = frozenset({"false", "False", "FALSE"})
_INT: Final = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# A fraction is mandatory and an exponent signed: the float form YAML 1.1 and 1.2 agree on.
_FLOAT: Final = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+][0-9]+)?")
# YAML 1.2 core schema numbers, to catch strings 1.2 would read as numbers.
_CORE_INT: Final = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT: Final = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
# First characters of the plain scalars that `_kind` or `_core_kind` may read as a non-string.
_TYPED_FIRST: Final = frozenset(["", *"~nNtTfF+-.0123456789"])
_TAG_KIND: Final = {
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:str": "str",
    "tag:yaml.org,2002:timestamp": "timestamp",
}


def _kind(text: str) -> str:
    """The JSON type this profile gives a plain scalar (str when none of the others)."""
    if text in _NULL:
        return "null"
    if text in _TRUE or text in _FALSE:
        return "bool"
    if _INT.fullmatch(text):
        return "int"
    if _FLOAT.fullmatch(text):
        return "float"
    return "str"


def _core_kind(text: str) -> str:
    """The type the YAML 1.2 core schema gives a plain scalar."""
    if text in _NULL:
        return "null"
    if text in _TRUE or text in _FALSE:
        return "bool"
    if _CORE_INT.fullmatch(text):
        return "int"
    if _CORE_FLOAT.fullmatch(text):
        return "float"
    return "str"


def _yaml11_kind(text: str) -> str:
    """The type PyYAML (YAML 1.1) gives a plain scalar ("merge", "value" and others included)."""
    tag: str = _YAML11.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return _TAG_KIND.get(tag, tag)


def plain_scalar_kind(text: str) -> str:
    """How a plain scalar reads: null/bool/int/float/str, "timestamp", or "ambiguous"."""
    # Every reader here looks at the first character before any pattern: most keys and values
    # (letters other than the ones below) are strings under all three without running one.
    first = text[:1]
    resolvers = _YAML11.yaml_implicit_resolvers
    if first not in _TYPED_FIRST and first not in resolvers and None not in resolvers:
        return "str"
    ours = _kind(text)
    old = _yaml11_kind(text)
    if old == "timestamp":
        return "timestamp"
    if old != ours or _core_kind(text) != ours:
        return "ambiguous"
    return ours


def plain_reads_as_string(text: str) -> bool:
    """Whether `text` written as a plain scalar reads back as the same string here."""
    return plain_scalar_kind(text) == "str"


@dataclass(slots=True)
class _Frame:
    container: dict[str, PlainJson] | list[PlainJson]
    path: Path
    is_mapping: bool
    key: str | None = None


_SCALAR: Final = yaml.ScalarEvent
_START_MAPPING: Final = yaml.MappingStartEvent
_START_SEQUENCE: Final = yaml.SequenceStartEvent
_END_MAPPING: Final = yaml.MappingEndEvent
_END_SEQUENCE: Final = yaml.SequenceEndEvent
_ALIAS: Final = yaml.AliasEvent
_START_DOCUMENT: Final = yaml.DocumentStartEvent


def _located(first_line: int, mark: Any) -> tuple[int, int]:
    if mark is None:
        return first_line, 1
    return first_line + int(mark.line), int(mark.column) + 1


def _scalar(event: Any, path: Path, first_line: int, policy: Policy) -> PlainJson:
    text: str = event.value
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            line, column = _located(first_line, event.start_mark)
            raise MamlScalarError(
                "string holds a lone surrogate (not valid Unicode)", line=line, column=column
            ) from None
    if event.style not in (None, ""):
        return text
    kind = plain_scalar_kind(text)
    if kind == "str":
        return text
    line, column = _located(first_line, event.start_mark)
    if kind == "null":
        return None
    if kind == "bool":
        return text in _TRUE
    if kind == "int":
        number = int(text)
        if abs(number) > MAX_SAFE_INTEGER:
            raise MamlScalarError(
                f"integer {text} is outside the exact JSON range ±(2**53 - 1); quote it",
                line=line,
                column=column,
            )
        return number
    if kind == "float":
        real = float(text)
        if math.isinf(real) or math.isnan(real):
            raise MamlScalarError(
                f"number {text} overflows to infinity; JSON has no infinities",
                line=line,
                column=column,
            )
        return real
    if kind == "timestamp":
        policy.tolerate(
            MamlTimestampError(
                f"unquoted timestamp {text!r}: YAML 1.1 loaders read a datetime; "
                f'write it as a quoted RFC 3339 string, "{text}"',
                line=line,
                column=column,
            )
        )
        return text
    if kind == "ambiguous":
        if text in {".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN"}:
            raise MamlScalarError(
                f"{text} is not a JSON number (no NaN or infinity)", line=line, column=column
            )
        policy.tolerate(
            MamlScalarError(
                f"plain scalar {text!r} reads differently in YAML 1.1 ({_yaml11_kind(text)}) "
                f"and YAML 1.2 ({_core_kind(text)}); quote it if it is a string",
                line=line,
                column=column,
            )
        )
        return text
    return text


def _key(event: Any, first_line: int) -> str:
    text: str = event.value
    if event.style in (None, ""):
        kind = plain_scalar_kind(text)
        if kind != "str":
            line, column = _located(first_line, event.start_mark)
            if text == "<<":
                reason = "merge key '<<' refused (no merges: JSON data model)"
            else:
                reason = (
                    f"mapping key {text!r} is not a string ({kind}); keys must be strings, "
                    "quote it if it is meant as one"
                )
            raise MamlKeyTypeError(reason, line=line, column=column)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            line, column = _located(first_line, event.start_mark)
            raise MamlKeyTypeError(
                "mapping key holds a lone surrogate", line=line, column=column
            ) from None
    return text


def _events(text: str) -> Iterator[Any]:
    loader = _EventLoader(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _syntax_error(err: yaml.YAMLError, first_line: int) -> MamlSyntaxError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None)
    context = getattr(err, "context", None)
    if problem:
        reason = f"{context}: {problem}" if context else str(problem)
    else:
        reason = " ".join(str(err).split())
    if mark is None:
        return MamlSyntaxError(f"YAML: {reason}", line=first_line)
    line, column = _located(first_line, mark)
    return MamlSyntaxError(f"YAML: {reason}", line=line, column=column)


# The front matter this project writes (libyaml's emitter, block style, indent 2) is a handful of
# `key: value` lines, block sequences and nested mappings. Parsing it through libyaml costs ~30 us
# at 4 KiB (events built one Python object at a time, then typed here), which is most of what a
# verification may cost beyond the ML-DSA operation itself. `load_simple` reads that shape, and
# only that shape, with one regex per line; on anything else (comments, flow collections other
# than an empty `[]` or `{}`, double quotes, multi-line scalars, anchors, tags, non-ASCII, blank
# lines, a plain scalar that is not a JSON value of the profile, a duplicate key, deep nesting,
# ...) it declines, and the event reader decides with its full rules and errors. It never
# raises a profile error itself: every document it reads, the event reader reads to the same
# values and locations without an error (tests/maml/test_maml_fast_paths.py checks this on
# generated, mutated and committed documents).

#: What may remain of the front matter's bytes once every printable ASCII character and the line
#: feed are deleted: nothing (no tab, no control character, nothing YAML reads specially).
_SIMPLE_BYTES: Final = bytes(range(0x20, 0x7F)) + b"\n"
#: A plain key of word characters (libyaml's limit on a simple key is 1024 characters).
_SIMPLE_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")
#: Characters that may start a plain scalar here (a dash too, when no space follows it).
_SIMPLE_PLAIN_FIRST: Final = frozenset(string.ascii_letters + string.digits + "_./~+(")
#: Characters a plain scalar here never holds: comment, quotes, flow indicators, backtick.
_SIMPLE_PLAIN_REFUSED: Final = tuple("#'\"[]{},`")


def _simple_entry(content: str) -> tuple[str, str | None] | None:
    """(key, value text or None for `key:` at the line end) of a `key: value` line, else None."""
    # str.find and a regex over the key alone: the value may be a 4.4 KB signature, and a
    # regex over it would cost more than the rest of the line's reading.
    colon = content.find(":")
    if colon <= 0 or _SIMPLE_KEY.fullmatch(content, 0, colon) is None:
        return None
    if colon + 1 == len(content):
        return content[:colon], None
    if content[colon + 1] != " " or colon + 2 == len(content):
        return None
    return content[:colon], content[colon + 2 :]


def _simple_plain(text: str) -> bool:
    """Whether `text` is one whole plain scalar on one line, read as written (no folding)."""
    # A handful of memchr scans instead of a regex over every character (see `_simple_entry`).
    first = text[0]
    if first not in _SIMPLE_PLAIN_FIRST and not (first == "-" and text[1:2] not in ("", " ")):
        return False
    if any(char in text for char in _SIMPLE_PLAIN_REFUSED):
        return False
    # `: ` would start a mapping value, a trailing blank or `:` changes the scalar or the line.
    # (Two-character searches cost a microsecond per 4 KB, a one-character memchr a twentieth.)
    if " " in text and (": " in text or "  " in text):
        return False
    return text[-1] not in ": "


class _Decline(Exception):
    """The front matter is not in the shape `load_simple` reads."""


class _SimpleReader:
    """The state of one `load_simple` call: the lines, where it is, what it located."""

    __slots__ = ("at", "first_line", "lines", "locations", "max_depth")

    def __init__(self, lines: list[str], first_line: int, max_depth: int) -> None:
        self.lines = lines
        self.first_line = first_line
        self.max_depth = max_depth
        self.at = 0
        self.locations: Locations = {}

    def mapping(self, indent: int, path: Path, depth: int, first: str | None) -> dict[str, Any]:
        """A block mapping whose keys start in column `indent` (its first entry is `first` when
        it follows a sequence dash on the line)."""
        if depth >= self.max_depth:
            raise _Decline
        lines = self.lines
        self.locations[path] = (self.first_line + self.at, indent + 1)
        result: dict[str, Any] = {}
        while self.at < len(lines):
            if first is None:
                line = lines[self.at]
                content = line.lstrip(" ")
                here = len(line) - len(content)
                if here < indent:
                    break
                if here > indent:
                    raise _Decline
            else:
                content, first = first, None
            entry = _simple_entry(content)
            if entry is None:
                raise _Decline
            key, rest = entry
            if key in result or plain_scalar_kind(key) != "str":
                raise _Decline
            child = (*path, key)
            if rest is not None:
                self.locations[child] = (self.first_line + self.at, indent + len(key) + 3)
                result[key] = self.scalar(rest, depth + 1)
                self.at += 1
            else:
                self.at += 1
                result[key] = self.block(indent, child, depth + 1)
        return result

    def block(self, indent: int, path: Path, depth: int) -> PlainJson:
        """The collection on the lines after `key:` (a key in column `indent`)."""
        if self.at >= len(self.lines):
            raise _Decline  # an empty value (null): the emitter writes `null`
        line = self.lines[self.at]
        content = line.lstrip(" ")
        here = len(line) - len(content)
        if content.startswith("- ") and here >= indent:
            return self.sequence(here, path, depth)
        if here > indent:
            return self.mapping(here, path, depth, None)
        raise _Decline

    def sequence(self, indent: int, path: Path, depth: int) -> list[Any]:
        """A block sequence whose dashes are in column `indent`."""
        if depth >= self.max_depth:
            raise _Decline
        lines = self.lines
        self.locations[path] = (self.first_line + self.at, indent + 1)
        result: list[Any] = []
        while self.at < len(lines):
            line = lines[self.at]
            content = line.lstrip(" ")
            here = len(line) - len(content)
            if here > indent:
                raise _Decline
            if here < indent or not content.startswith("- "):
                break
            item = content[2:]
            child = (*path, len(result))
            if _simple_entry(item) is not None:
                result.append(self.mapping(indent + 2, child, depth + 1, item))
            else:
                self.locations[child] = (self.first_line + self.at, indent + 3)
                result.append(self.scalar(item, depth + 1))
                self.at += 1
        return result

    def scalar(self, text: str, depth: int) -> PlainJson:
        """A value on one line: single-quoted, an empty `[]` or `{}`, or a typed plain scalar."""
        if not text:
            raise _Decline  # `- ` and nothing: a null, with a trailing blank
        if text[0] == "'":
            # One line, quoted at both ends, every quote inside doubled.
            inner = text[1:-1]
            if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
                raise _Decline
            return inner.replace("''", "'")
        if text == "[]" or text == "{}":
            if depth >= self.max_depth:
                raise _Decline
            return [] if text == "[]" else {}
        if not _simple_plain(text):
            raise _Decline
        kind = plain_scalar_kind(text)
        if kind == "str":
            return text
        if kind == "null":
            return None
        if kind == "bool":
            return text in _TRUE
        if kind == "int":
            number = int(text)
            if abs(number) > MAX_SAFE_INTEGER:
                raise _Decline
            return number
        if kind == "float":
            real = float(text)
            if math.isinf(real) or math.isnan(real):
                raise _Decline
            return real
        raise _Decline  # a timestamp or a scalar YAML 1.1 and 1.2 read differently


def load_simple(
    text: str, *, first_line: int, max_depth: int
) -> tuple[dict[str, PlainJson], Locations] | None:
    """`load_mapping` for front matter in the shape this project writes, or None for any other.

    When it returns a value, `load_events` returns the same values and locations for `text`.
    """
    # isascii is a flag (no scan); the deletion is one C pass over the bytes.
    if not text.endswith("\n") or not text.isascii():
        return None
    if text.encode("ascii").translate(None, _SIMPLE_BYTES):
        return None
    lines = text.split("\n")
    lines.pop()  # the empty string after the final line feed
    reader = _SimpleReader(lines, first_line, max_depth)
    try:
        root = reader.mapping(0, (), 0, None)
    except _Decline:
        return None
    if reader.at != len(lines):
        return None
    return root, reader.locations


def load_mapping(
    text: str, *, first_line: int, max_depth: int, policy: Policy
) -> tuple[dict[str, PlainJson], Locations]:
    """Read the front matter YAML into a JSON mapping and the location of every value.

    `first_line` is the document line number of the first YAML line. Front matter in the shape
    this project writes is read by `load_simple`; anything else by the strict event reader.

    Raises:
        MamlSyntaxError: malformed YAML, several documents, or a top level that is not a mapping.
        MamlAnchorError, MamlTagError, MamlDuplicateKeyError, MamlKeyTypeError, MamlScalarError:
            a construct outside the JSON data model.
        MamlTimestampError: an unquoted timestamp (strict mode).
        MamlLimitError: nesting deeper than `max_depth`.
    """
    simple = load_simple(text, first_line=first_line, max_depth=max_depth)
    if simple is not None:
        return simple
    return load_events(text, first_line=first_line, max_depth=max_depth, policy=policy)


def load_events(
    text: str, *, first_line: int, max_depth: int, policy: Policy
) -> tuple[dict[str, PlainJson], Locations]:
    """`load_mapping` by the YAML parser's events: every construct, every error.

    Raises:
        The errors of `load_mapping`.
    """
    root: PlainJson = None
    have_root = False
    stack: list[_Frame] = []
    locations: Locations = {}
    documents = 0
    try:
        for event in _events(text):
            # Dispatch on the exact class (both parsers build yaml.events' own classes): one
            # identity test per event instead of a chain of isinstance calls.
            kind = type(event)
            if kind is _END_MAPPING or kind is _END_SEQUENCE:
                stack.pop()
                continue
            if kind is not _SCALAR and kind is not _START_MAPPING and kind is not _START_SEQUENCE:
                if kind is _ALIAS:
                    line, column = _located(first_line, event.start_mark)
                    raise MamlAnchorError(
                        f"YAML alias *{event.anchor} refused (no anchors or aliases: JSON data "
                        "model)",
                        line=line,
                        column=column,
                    )
                if kind is _START_DOCUMENT:
                    documents += 1
                    if documents > 1:
                        line, column = _located(first_line, event.start_mark)
                        raise MamlSyntaxError(
                            "the front matter holds more than one YAML document",
                            line=line,
                            column=column,
                        )
                continue
            mark = event.start_mark
            if event.anchor is not None:
                raise MamlAnchorError(
                    f"YAML anchor &{event.anchor} refused (no anchors or aliases)",
                    line=first_line + mark.line,
                    column=mark.column + 1,
                )
            if event.tag is not None:
                raise MamlTagError(
                    f"explicit YAML tag {event.tag!r} refused (JSON data model only)",
                    line=first_line + mark.line,
                    column=mark.column + 1,
                )
            # A node: a mapping key, or a value to attach to the top frame (or the root).
            frame = stack[-1] if stack else None
            if frame is not None and frame.is_mapping and frame.key is None:
                if kind is not _SCALAR:
                    raise MamlKeyTypeError(
                        "mapping key is a collection; keys must be strings",
                        line=first_line + mark.line,
                        column=mark.column + 1,
                    )
                key = _key(event, first_line)
                if key in frame.container:
                    line, column = first_line + mark.line, mark.column + 1
                    first = locations.get((*frame.path, key), (line, column))[0]
                    raise MamlDuplicateKeyError(
                        f"duplicate key {key!r} (first at line {first})",
                        line=line,
                        column=column,
                    )
                frame.key = key
                continue
            if frame is None:
                path: Path = ()
            elif frame.is_mapping:
                assert frame.key is not None
                path = (*frame.path, frame.key)
            else:
                path = (*frame.path, len(frame.container))
            locations[path] = (first_line + mark.line, mark.column + 1)
            value: PlainJson
            if kind is _SCALAR:
                value = _scalar(event, path, first_line, policy)
            elif kind is _START_MAPPING:
                value = {}
            else:
                value = []
            if frame is None:
                root, have_root = value, True
            elif frame.is_mapping:
                assert frame.key is not None
                frame.container[frame.key] = value  # type: ignore[call-overload]
                frame.key = None
            else:
                frame.container.append(value)  # type: ignore[union-attr]
            if kind is not _SCALAR:
                if len(stack) >= max_depth:
                    line, column = locations[path]
                    raise MamlLimitError(
                        f"front matter nests deeper than {max_depth} levels",
                        line=line,
                        column=column,
                    )
                stack.append(_Frame(value, path, kind is _START_MAPPING))  # type: ignore[arg-type]
    except yaml.YAMLError as err:
        raise _syntax_error(err, first_line) from None
    if not have_root or not isinstance(root, dict):
        raise MamlSyntaxError(
            "the front matter must be a YAML mapping (key: value lines)", line=first_line
        )
    return root, locations


#: Line breaks of YAML 1.1 beyond LF: PyYAML folds them to spaces in single-quoted output.
_ODD_BREAKS: Final = re.compile("[\x85\u2028\u2029]")


def _represent_str(dumper: yaml.representer.SafeRepresenter, data: str) -> yaml.ScalarNode:
    # The emitter already quotes what YAML 1.1 would misread; this adds what 1.2 would (`1e5`),
    # and double quotes (escapes) for the line breaks its single-quoted style would fold away.
    style: str | None
    if not data.isascii() and _ODD_BREAKS.search(data):
        style = '"'
    elif plain_reads_as_string(data):
        style = None
    else:
        style = "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


class _PureDumper(yaml.SafeDumper):
    """PyYAML's pure-Python emitter, with this profile's string styles."""


_PureDumper.add_representer(str, _represent_str)

# libyaml's emitter is what makes writing a signed document cheap: the pure-Python one walks every
# character of a 4.4 KB signature value in Python. The two make the same choices with the same
# string styles; they differ only in cosmetics the reader ignores (libyaml escapes characters
# outside the BMP and writes an empty key without `? `), and `dump_mapping` rereads the output.
_Dumper: Any = _PureDumper
if LIBYAML:

    class _LibyamlDumper(yaml.CSafeDumper):
        """libyaml's emitter, with this profile's string styles."""

    _LibyamlDumper.add_representer(str, _represent_str)
    _Dumper = _LibyamlDumper

#: Emitter line width: long strings with spaces are folded here; base64 values never fold.
_WIDTH: Final = 100


def same_json(left: PlainJson, right: PlainJson) -> bool:
    """Whether two JSON values have the same RFC 8785 form, without serialising either.

    Booleans are not numbers; numbers compare by value, as their shortest round-trip forms do
    (`1` and `1.0` are both `1`, and `-0.0` is `0`).
    """
    # An explicit stack: nesting is bounded by the reader's depth limit, not by recursion.
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, dict):
            if not isinstance(b, dict) or a.keys() != b.keys():
                return False
            pending.extend((a[key], b[key]) for key in a)
        elif isinstance(a, list):
            if not isinstance(b, list) or len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
            if a is not b:
                return False
        elif isinstance(a, int | float):
            if not isinstance(b, int | float) or a != b:
                return False
        elif type(a) is not type(b) or a != b:
            return False
    return True


def dump_mapping(value: dict[str, PlainJson], *, max_depth: int, policy: Policy) -> str:
    """Stable YAML for a JSON mapping, checked to read back to the same canonical JSON.

    Raises:
        MamlSyntaxError: the emitted text would not read back identically (a bug guard).
    """
    text = yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=_WIDTH,
        indent=2,
    )
    reread, _ = load_mapping(text, first_line=2, max_depth=max_depth, policy=policy)
    if not same_json(reread, value) or "\n---\n" in f"\n{text}\n":
        raise MamlSyntaxError("front matter cannot be written back unchanged as YAML")
    return text
