"""Front matter YAML restricted to the JSON data model: a strict reader and a stable writer.

The reader consumes parser events (libyaml when present) and builds the value itself, so it sees
every anchor, alias and tag before anything is constructed, holds an explicit stack (no recursion,
so nesting is bounded by a limit, not by the interpreter), and resolves plain scalars by rules
that mean the same in YAML 1.1 and 1.2: a plain scalar that the two versions read differently
(`yes`, `012`, `1e5`, `.5`, `1_000`, `<<`, ...) is refused rather than guessed.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Mapping
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
#: Line and column of each value, by path (what both readers give out).
Locations = Mapping[Path, tuple[int, int]]

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
_LONGEST_WORD: Final = max(len(word) for word in _NULL | _TRUE | _FALSE)
#: A character that no number or timestamp holds in YAML 1.1 (ints with `_`, `:`, `0b`, `0x`;
#: floats with `e`; timestamps with `T`, `Z`, blanks), YAML 1.2 core (`0o`) or `_kind`; their
#: other forms (`.inf`, `.nan`, booleans, nulls, `<<`, `=`) are at most `_LONGEST_WORD` long.
_NOT_IN_NUMBERS: Final = re.compile(r"[^0-9_:.+\-a-fA-FxoTtZ \t]")
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
    # The words are at most 5 characters: a set look-up would hash a 4.4 KB signature first.
    if len(text) <= _LONGEST_WORD:
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
    if len(text) <= _LONGEST_WORD:
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
    # Longer than the words (null, booleans, `.inf`, `<<`, ...), a scalar can only be read as
    # a number or a timestamp, by any of the three, when every character could be in one: a
    # base64url signature value has a letter outside them within its first few characters,
    # and skips PyYAML's resolver (a Python call that costs a microsecond).
    if len(text) > _LONGEST_WORD and _NOT_IN_NUMBERS.search(text):
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
# only that shape, in one pass over the lines; on anything else (comments, flow collections other
# than an empty `[]` or `{}`, double quotes, multi-line scalars, anchors, tags, non-ASCII, blank
# lines, a plain scalar that is not a JSON value of the profile, a duplicate key, deep nesting,
# ...) it declines, and the event reader decides with its full rules and errors. It never
# raises a profile error itself: every document it reads, the event reader reads to the same
# values and locations without an error (tests/maml/test_maml_simple_yaml.py checks this on
# generated, edited, assembled and committed front matter).

#: What may remain of the front matter's bytes once every printable ASCII character and the line
#: feed are deleted: nothing (no tab, no control character, nothing YAML reads specially).
_PRINTABLE_ASCII: Final = bytes(range(0x20, 0x7F))
_SIMPLE_BYTES: Final = _PRINTABLE_ASCII + b"\n"
#: One line: its indentation, a sequence dash, a plain word key followed by `: ` or the line end
#: (libyaml allows a simple key 1024 characters), and the rest. `findall` returns them for every
#: line in one C call; `.*` costs a third of a nanosecond a character over a 4.4 KB signature.
_SIMPLE_LINE: Final = re.compile(
    r"( *)(- )?(?:([A-Za-z_][A-Za-z0-9_.-]{0,127}):(?: |$))?(.*)\n", re.MULTILINE
)
#: Characters that may start a plain scalar here (a dash too, when no blank follows it).
_SIMPLE_PLAIN_FIRST: Final = frozenset(string.ascii_letters + string.digits + "_./~+(")
#: What `_simple_scalar` returns for a value outside the shape.
_DECLINE: Final = object()


@functools.lru_cache(maxsize=1024)
def _cached_kind(text: str) -> str:
    # Keys and short values repeat from document to document (`type`, `origin`, `1.0.0`), and
    # the YAML 1.1 resolver's patterns cost a microsecond a scalar. Bounded: at most 1024
    # entries of at most 128 characters.
    return plain_scalar_kind(text)


def _simple_plain(text: str) -> bool:
    """Whether `text` (not empty, one line) is one whole plain scalar, read as written."""
    first = text[0]
    if first not in _SIMPLE_PLAIN_FIRST and not (first == "-" and text[1:2] not in ("", " ")):
        return False
    # One memchr each instead of a regex over every character (a signature is 4.4 KB): no
    # comment, quote, flow indicator or backtick.
    if (
        "#" in text
        or "'" in text
        or '"' in text
        or "[" in text
        or "]" in text
        or "{" in text
        or "}" in text
        or "," in text
        or "`" in text
    ):
        return False
    # `: ` would start a mapping value; a double or trailing blank or a trailing `:` is read
    # otherwise. (A two-character search scans at a nanosecond a character, memchr at a
    # twentieth: it runs only when there is a blank at all.)
    if " " in text and (": " in text or "  " in text):
        return False
    return text[-1] not in ": "


def _simple_scalar(text: str, depth: int, max_depth: int) -> Any:
    """The value of a one-line scalar (single-quoted, `[]`, `{}` or plain) at `depth`, or
    `_DECLINE`."""
    if text == "[]" or text == "{}":
        if depth >= max_depth:
            return _DECLINE
        return [] if text == "[]" else {}
    if len(text) <= _CACHED_SCALAR_SIZE:
        return _cached_scalar(text)
    return _scalar_text(text)


def _scalar_text(text: str) -> Any:
    """The value of a one-line single-quoted or plain scalar, or `_DECLINE`."""
    if not text:
        return _DECLINE  # nothing after `- `: a null
    if text[0] == "'":
        # One line, quoted at both ends, every quote inside doubled.
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            return _DECLINE
        return inner.replace("''", "'")
    if not _simple_plain(text):
        return _DECLINE  # a flow collection other than `[]` and `{}` among others
    kind = _cached_kind(text) if len(text) <= 128 else plain_scalar_kind(text)
    if kind == "str":
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return text in _TRUE
    if kind == "int":
        number = int(text)
        return number if abs(number) <= MAX_SAFE_INTEGER else _DECLINE
    if kind == "float":
        real = float(text)
        return _DECLINE if math.isinf(real) or math.isnan(real) else real
    return _DECLINE  # a timestamp, or a scalar YAML 1.1 and 1.2 read differently


#: Longest scalar text whose value `_cached_scalar` keeps.
_CACHED_SCALAR_SIZE: Final = 128


@functools.lru_cache(maxsize=1024)
def _cached_scalar(text: str) -> Any:
    # Most values repeat from document to document and from one verification to the next (the
    # version, type, origin, algorithm, context and signers' key ids), and deciding one costs
    # half a microsecond. Only immutable values are kept (`[]` and `{}` never come here), so a
    # value is shared safely between documents. Bounded: 1024 entries of at most 128 characters.
    return _scalar_text(text)


class SimpleLocations(Mapping[Path, tuple[int, int]]):
    """The locations `load_simple` found: of the collections and sequence items at once, of
    the other values when first asked for (by reading the text again, the same way).

    Reading a valid document asks only for the first kind (a signature entry's line); the
    others serve error messages and `MamlDocument.line_of`. Recording them all would cost a
    path and a place per value, a tenth of the reader's time.
    """

    __slots__ = ("_every", "_first_line", "_known", "_max_depth", "_text")

    def __init__(
        self, text: str, first_line: int, max_depth: int, known: dict[Path, tuple[int, int]]
    ) -> None:
        """The locations of `text` as read by `load_simple`; `known` those it recorded."""
        self._text = text
        self._first_line = first_line
        self._max_depth = max_depth
        self._known = known
        self._every: dict[Path, tuple[int, int]] | None = None

    def _all(self) -> dict[Path, tuple[int, int]]:
        every = self._every
        if every is None:
            read = _read_simple(self._text, self._first_line, self._max_depth, every_value=True)
            assert read is not None  # the text was read this way once already
            every = self._every = read[1]
        return every

    def __getitem__(self, path: Path) -> tuple[int, int]:
        found = self._known.get(path)
        return found if found is not None else self._all()[path]

    def __iter__(self) -> Iterator[Path]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"SimpleLocations({self._all()!r})"


def load_simple(
    text: str, *, first_line: int, max_depth: int
) -> tuple[dict[str, PlainJson], Locations] | None:
    """`load_mapping` for front matter in the shape this project writes, or None for any other.

    When it returns a value, `load_events` returns the same values and locations for `text`.
    """
    read = _read_simple(text, first_line, max_depth, every_value=False)
    if read is None:
        return None
    root, known = read
    return root, SimpleLocations(text, first_line, max_depth, known)


def _read_simple(
    text: str, first_line: int, max_depth: int, *, every_value: bool
) -> tuple[dict[str, PlainJson], dict[Path, tuple[int, int]]] | None:
    """`load_simple`, recording the locations of collections and sequence items, and of the
    other values when `every_value`."""
    # isascii is a flag (no scan); the deletion is one C pass over the bytes.
    if not text.endswith("\n") or not text.isascii():
        return None
    if text.encode("ascii").translate(None, _SIMPLE_BYTES):
        return None
    root: dict[str, Any] = {}
    locations: dict[Path, tuple[int, int]] = {}
    # The open collections, innermost last: (container, column of its keys or dashes, path,
    # whether it is a mapping). Its length is the nesting depth of what the next line adds.
    stack: list[tuple[Any, int, Path, bool]] = []
    # The innermost one again, in locals: most lines are one more key of it, and take the
    # first branch below without touching the stack (half the work of a line).
    container: Any = None
    top_column = -1
    path: Path = ()
    is_mapping = False
    # A `key:` at the end of its line: (mapping, key, path, key column); its value opens next.
    pending: tuple[dict[str, Any], str, Path, int] | None = None
    for line, (indent, dash, key, rest) in enumerate(_SIMPLE_LINE.findall(text), first_line):
        column = len(indent)
        if column != top_column or dash or not is_mapping or pending is not None:
            if pending is not None:
                parent, parent_key, child_path, key_column = pending
                pending = None
                # An indentless sequence (`- ` in the key's column, as the emitter writes it),
                # an indented one, or a mapping indented under the key; anything else is a null.
                opens = column > key_column or (dash and column == key_column)
                if not opens or len(stack) >= max_depth:
                    return None
                container = [] if dash else {}
                parent[parent_key] = container
                locations[child_path] = (line, column + 1)
                top_column, path, is_mapping = column, child_path, not dash
                stack.append((container, column, path, is_mapping))
            elif stack:
                # Close what this line is outdented from; an indentless sequence also ends at a
                # line in its own column without a dash.
                while top_column > column or (top_column == column and not dash and not is_mapping):
                    stack.pop()
                    if not stack:
                        return None
                    container, top_column, path, is_mapping = stack[-1]
                if top_column != column:
                    return None  # a continuation line, or a column between two levels
            elif column == 0 and not dash:
                locations[()] = (line, 1)
                container, top_column, path, is_mapping = root, 0, (), True
                stack.append((root, 0, (), True))
            else:
                return None  # the top level is not a block mapping in column 1
            if is_mapping != (not dash):
                return None  # a dash among keys, or a key where a dash belongs
            if dash:
                item = (*path, len(container))
                if not key:
                    value = _simple_scalar(rest, len(stack), max_depth)
                    if value is _DECLINE:
                        return None
                    locations[item] = (line, column + 3)
                    container.append(value)
                    continue
                # `- key: ...`: a mapping whose first entry shares the dash's line.
                if len(stack) >= max_depth:
                    return None
                entry: dict[str, Any] = {}
                container.append(entry)
                locations[item] = (line, column + 3)
                column += 2
                container, top_column, path, is_mapping = entry, column, item, True
                stack.append((entry, column, item, True))
        # (No key reads as a null here: the kind check declines a line without one too.)
        if key in container or _cached_kind(key) != "str":
            return None
        if rest:
            # `_simple_scalar` inlined for the usual short value: one look-up in its cache.
            # `[]` and `{}` (new objects each time, and depth-checked) are declined there, so
            # a decline is decided again by `_simple_scalar`.
            value = _cached_scalar(rest) if len(rest) <= _CACHED_SCALAR_SIZE else _DECLINE
            if value is _DECLINE:
                value = _simple_scalar(rest, len(stack), max_depth)
                if value is _DECLINE:
                    return None
            if every_value:
                locations[(*path, key)] = (line, column + len(key) + 3)
            container[key] = value
        else:
            container[key] = None  # keeps the key's place; the next line gives the value
            pending = (container, key, (*path, key), column)
    if pending is not None or not stack:
        return None
    return root, locations


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
    locations: dict[Path, tuple[int, int]] = {}
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


#: Keys `dump_simple` writes: plain words well inside both emitters' simple-key limits (PyYAML
#: 127 characters, libyaml 128).
_SIMPLE_WRITTEN_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
#: Last column of a value with a blank that `dump_simple` writes: well before the emitters' line
#: width, where they would fold it onto several lines.
_SIMPLE_WRITTEN_WIDTH: Final = 80
#: Deepest nesting `dump_simple` writes (by recursion: bounded here, not by the interpreter).
_SIMPLE_WRITTEN_DEPTH: Final = 32


def _simple_written_scalar(value: object, column: int) -> str | None:
    """The emitter's text for a scalar starting at `column`, when it is certain, else None."""
    if type(value) is str:
        if not value:
            return "''"
        # Printable ASCII only (the emitters escape or double-quote the rest), and a value with
        # a blank only when no fold can reach it.
        # (Deleting the printable bytes is one C pass; str.isprintable looks up every character
        # in the Unicode database, 12 us over a 4.4 KB signature.)
        if not value.isascii() or value.encode("ascii").translate(None, _PRINTABLE_ASCII):
            return None
        if " " in value and column + len(value) + 2 > _SIMPLE_WRITTEN_WIDTH:
            return None
        # The representer's own choice (`_represent_str`): plain when it reads back as this
        # string, else single quotes. Plain is written only where the reader's shortcut reads it
        # (which is also where both emitters allow it); single quotes hold anything printable.
        kind = _cached_kind(value) if len(value) <= 128 else plain_scalar_kind(value)
        if kind == "str":
            return value if _simple_plain(value) else None
        return "'" + value.replace("'", "''") + "'"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if value is None:
        return "null"
    return None  # floats (the emitter's repr has its own rules), and anything else


class _Unwritable(Exception):
    """A value outside the shape `dump_simple` writes."""


def _write_mapping(
    mapping: dict[Any, Any], indent: int, lines: list[str], first: str | None, depth: int
) -> None:
    """Append the block mapping's lines; its first key goes after `first` (a dash) if given."""
    if depth > _SIMPLE_WRITTEN_DEPTH:
        raise _Unwritable
    for key, child in mapping.items():
        if type(key) is not str or not _SIMPLE_WRITTEN_KEY.fullmatch(key):
            raise _Unwritable
        if _cached_kind(key) != "str":
            raise _Unwritable
        head = f"{first}{key}" if first is not None else " " * indent + key
        first = None
        kind = type(child)
        if kind is dict or kind is list:
            if not child:
                lines.append(f"{head}: {'{}' if kind is dict else '[]'}")
            elif kind is dict:
                lines.append(head + ":")
                _write_mapping(child, indent + 2, lines, None, depth + 1)
            else:
                # A sequence in a mapping is indentless: its dashes in the key's column.
                lines.append(head + ":")
                _write_sequence(child, indent, lines, depth + 1)
            continue
        scalar = _simple_written_scalar(child, indent + len(key) + 2)
        if scalar is None:
            raise _Unwritable
        lines.append(f"{head}: {scalar}")


def _write_sequence(sequence: list[Any], indent: int, lines: list[str], depth: int) -> None:
    """Append the block sequence's lines, dashes in column `indent`."""
    if depth > _SIMPLE_WRITTEN_DEPTH:
        raise _Unwritable
    dash = " " * indent + "- "
    for element in sequence:
        kind = type(element)
        if kind is dict and element:
            _write_mapping(element, indent + 2, lines, dash, depth + 1)
        elif kind is dict or kind is list:
            if element:
                raise _Unwritable  # a sequence in a sequence (`- - x`) is not in the shape
            lines.append(dash + ("{}" if kind is dict else "[]"))
        else:
            scalar = _simple_written_scalar(element, indent + 2)
            if scalar is None:
                raise _Unwritable
            lines.append(dash + scalar)


def dump_simple(value: dict[str, Any]) -> str | None:
    """What `yaml.dump` writes for `value` with this profile's options, for values of the shape
    the project writes (see `load_simple`), or None for any other."""
    # libyaml's emitter costs ~80 us for a signed front matter (the representer and serializer
    # build a node and an event per value in Python); for word keys and one-line scalars its
    # output is fixed and written here directly. tests/maml/test_maml_simple_yaml.py compares
    # this with both emitters on generated values.
    if not value:
        return None  # an empty mapping is written `{}`
    lines: list[str] = []
    try:
        _write_mapping(value, 0, lines, None, 1)
    except _Unwritable:
        return None
    return "\n".join(lines) + "\n"


def dump_mapping(value: dict[str, PlainJson], *, max_depth: int, policy: Policy) -> str:
    """Stable YAML for a JSON mapping, checked to read back to the same canonical JSON.

    Raises:
        MamlSyntaxError: the emitted text would not read back identically (a bug guard).
    """
    text = dump_simple(value)
    if text is None:
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
