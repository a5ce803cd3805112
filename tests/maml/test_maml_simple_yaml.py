"""The front matter shortcut (`_yaml.load_simple`) reads exactly what the strict event reader
reads: the same values of the same types at the same locations, and it declines everything
else, so every error (type, message, line, column) still comes from the event reader."""

from __future__ import annotations

import string
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from oracle import maml
from oracle.maml import _yaml, parser
from oracle.maml._policy import Policy
from oracle.maml.errors import MamlDocumentError
from tests.maml.maml_helpers import DATA

PROPERTY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEPTH = parser.MAX_YAML_DEPTH


def _typed(value: Any) -> Any:
    """`value` with every scalar paired with its type: 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return ("dict", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    return (type(value).__name__, value)


def _outcome(load: Any, text: str, *, lenient: bool, max_depth: int = DEPTH) -> tuple[Any, ...]:
    policy = Policy(lenient=lenient)
    try:
        value, locations = load(text, first_line=2, max_depth=max_depth, policy=policy)
    except MamlDocumentError as err:
        return ("error", type(err), str(err), err.line, err.column, policy.findings)
    return ("ok", _typed(value), dict(locations), policy.findings)


def check_same_as_events(text: str, max_depth: int = DEPTH) -> bool:
    """Assert the shortcut agrees with the event reader on `text`; True when it read it."""
    simple = _yaml.load_simple(text, first_line=2, max_depth=max_depth)
    for lenient in (False, True):
        expected = _outcome(_yaml.load_events, text, lenient=lenient, max_depth=max_depth)
        # What the parser calls, whichever way it goes, behaves as the event reader.
        assert _outcome(_yaml.load_mapping, text, lenient=lenient, max_depth=max_depth) == expected
        if simple is not None:
            assert expected[0] == "ok", (text, expected)
            assert expected[3] == []  # nothing a lenient reading would warn about
            assert (_typed(simple[0]), simple[1]) == (expected[1], expected[2])
    if simple is not None and _yaml.LIBYAML:
        # PyYAML's pure-Python parser (what a PyYAML without libyaml uses) reads it alike too.
        saved = _yaml._EventLoader
        _yaml._EventLoader = yaml.SafeLoader
        try:
            pure = _outcome(_yaml.load_events, text, lenient=False, max_depth=max_depth)
        finally:
            _yaml._EventLoader = saved
        assert pure == ("ok", _typed(simple[0]), simple[1], [])
    return simple is not None


_DUMP_OPTIONS: dict[str, Any] = {
    "sort_keys": False,
    "allow_unicode": True,
    "default_flow_style": False,
    "width": 100,
    "indent": 2,
}
_DUMPERS = [_yaml._PureDumper, *([_yaml._LibyamlDumper] if _yaml.LIBYAML else [])]

#: Keys of the shape the project writes, and a few that are not plain strings.
_KEY = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,6}", fullmatch=True) | st.sampled_from(
    ["y", "n", "yes", "No", "on", "null", "true", "1", "0x1", "<<", "a b", "é", "", "-a", "?"]
)
#: Strings that stress quoting: YAML indicators, numbers, timestamps, blanks, base64url.
_TEXT = (
    st.text(alphabet=string.printable, max_size=12)
    | st.text(alphabet=" -:#'\"[]{},&*!|>%@`?~.+_=<0123456789eExXyYnNoO", max_size=8)
    | st.sampled_from(
        [
            "1.0.0",
            "2026-11-24",
            "2026-11-24T10:00:00Z",
            "urn:uuid:00000000-0000-4000-8000-000000000000",
            "agent://alice",
            "ML-DSA-65",
            "a: b",
            "a #b",
            "-a",
            "- a",
            ".inf",
            "1e5",
            "1_000",
            "012",
            "0o7",
            "yes",
            "~",
            "null",
            "é",
            "\x85",
            "tab\there",
            "line\nbreak",
            " lead",
            "trail ",
            "x" * 120,
            "word " * 30,
        ]
    )
    | st.from_regex(r"[A-Za-z0-9_-]{40,200}", fullmatch=True)
)
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEY, inner, max_size=3),
    max_leaves=12,
)
_MAPPING = st.dictionaries(_KEY, _VALUE, min_size=1, max_size=6)

#: Values of the shape the project writes: word keys, strings of URI and base64url characters,
#: numbers, booleans, nulls, nested lists and mappings (most of them take the shortcut).
_WORD_KEY = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True)
_PLAIN_TEXT = st.text(
    alphabet=string.ascii_letters + string.digits + " :/.-_+~()@%&*!?=<>|", max_size=14
)
_SIMPLE_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**54), 2**54)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _PLAIN_TEXT
    | st.from_regex(r"[A-Za-z0-9_-]{1,300}", fullmatch=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_WORD_KEY, inner, max_size=3),
    max_leaves=10,
)
_SIMPLE_MAPPING = st.dictionaries(_WORD_KEY, _SIMPLE_VALUE, min_size=1, max_size=6)


@PROPERTY
@given(_MAPPING | _SIMPLE_MAPPING, st.sampled_from(_DUMPERS))
def test_written_front_matter_reads_the_same_by_both_readers(
    value: dict[str, Any], dumper: Any
) -> None:
    check_same_as_events(yaml.dump(value, Dumper=dumper, **_DUMP_OPTIONS))


#: Characters and pieces that change what YAML reads.
_EDIT = st.sampled_from(
    [
        *list(" -:?!&*|>'\"#%@`[]{},\n\t~.0123456789eE+_=<yYnNaz"),
        "- ",
        ": ",
        "  ",
        " #",
        "''",
        "---",
        "...",
        "&a ",
        "*a",
        "!!str ",
        "<<",
        "\x00",
        "\x7f",
        "\x01",
        "é",
        "\u2028",
    ]
)


@PROPERTY
@given(
    _SIMPLE_MAPPING | _MAPPING,
    st.sampled_from(_DUMPERS),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), _EDIT), min_size=1, max_size=2),
)
@example({"a": "b"}, _yaml._PureDumper, [(0.5, 0, "\t")])
def test_edited_front_matter_reads_the_same_by_both_readers_or_fails_the_same_way(
    value: dict[str, Any], dumper: Any, edits: list[tuple[float, int, str]]
) -> None:
    text = yaml.dump(value, Dumper=dumper, **_DUMP_OPTIONS)
    for where, removed, inserted in edits:
        at = int(where * len(text))
        text = text[:at] + inserted + text[at + removed :]
    check_same_as_events(text)


_LINE = st.tuples(
    st.sampled_from(["", " ", "  ", "   ", "    ", "      "]),
    st.sampled_from(["", "- ", "- - ", "-", "? "]),
    st.sampled_from(["", "a", "b", "key_id", "null", "yes", "'q'", "x y", "<<", "-"]),
    st.sampled_from(["", ":", ": ", ":  "]),
    st.sampled_from(
        [
            "",
            "v",
            "'v'",
            "'it''s'",
            "'open",
            '"v"',
            "[]",
            "{}",
            "[a]",
            "{a: b}",
            "1",
            "-1",
            "1.5",
            "1.5e+400",
            "9007199254740992",
            "true",
            "~",
            "2026-11-24",
            "a: b",
            "a #c",
            "# c",
            "&x v",
            "*x",
            "!t v",
            "|",
            ">",
            "- v",
            "agent://x",
            "v ",
        ]
    ),
)


@PROPERTY
@given(st.lists(_LINE, min_size=1, max_size=8))
@example([("", "", "a", ":", ""), ("", "- ", "", "", "v")])  # an indentless sequence
@example([("", "", "a", ":", ""), ("  ", "- ", "", "", "v"), ("", "", "b", ": ", "v")])
@example([("", "", "a", ":", ""), ("", "- ", "b", ":", ""), ("  ", "- ", "", "", "v")])
@example([("", "", "a", ": ", "v"), ("  ", "", "", "", "v")])  # a continued plain scalar
@example([("", "", "a", ":", "")])  # an empty value is null
def test_assembled_lines_read_the_same_by_both_readers_or_fail_the_same_way(
    lines: list[tuple[str, str, str, str, str]],
) -> None:
    check_same_as_events("".join("".join(parts) + "\n" for parts in lines))


#: Keys and scalars written verbatim into block structure: most are in the shape, many are
#: only just (or only just not), and each reads in YAML 1.1 and 1.2 as its own kind.
_TRICKY_KEY = st.sampled_from(
    ["a", "b", "c", "d", "a.b", "a-b", "_", "e", "E1", "key_id", "value", "created_at"] * 3
    + ["y", "n", "on", "NO", "null", "true", "~", "1", "a b"]
)
_PLAIN_SCALAR = st.sampled_from(
    ["v", "w x", "agent://x", "1.5", "-2", "true", "null", "'q'", "[]", "{}", "ab-_0", "a.b/c"]
)
_TRICKY_SCALAR = _PLAIN_SCALAR | st.sampled_from(
    [
        "v",
        "a:b",
        "a :b",
        "-a",
        "--",
        "-.5",
        "-",
        "~a",
        "(x",
        "a%",
        "a@b",
        "a!",
        "a&b",
        "a*",
        "a|b",
        "a>b",
        "a?b",
        "a=b",
        "a<b",
        "a#b",
        "x y",
        "x  y",
        "x y ",
        ".5",
        "+1",
        "+1.5",
        "0",
        "-0",
        "007",
        "0x1F",
        "1_0",
        "0o7",
        "1e5",
        "1.0e+5",
        "1.0E-5",
        "1.5e+400",
        "9007199254740991",
        "-9007199254740992",
        "null",
        "Null",
        "NULL",
        "~",
        "true",
        "TRUE",
        "False",
        "on",
        "y",
        "2026-11-24",
        "2026-11-24 10:00:00",
        "12:30",
        "1:20",
        "'a'",
        "''",
        "'it''s'",
        "'a''",
        "'a' b",
        "a'b",
        '"a"',
        "[]",
        "{}",
        "[ ]",
        "...",
        "---",
        "- x",
        "agent://x",
        "urn:uuid:1",
        "ML-DSA-65",
        "8NUX-_iJ",
        "_kw",
    ]
)


def _tricky_lines(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    """The lines of a block mapping at `indent`, drawn entry by entry."""
    lines = []
    for key in draw(st.lists(_TRICKY_KEY, min_size=1, max_size=3, unique=True)):
        kind = draw(
            st.sampled_from(["scalar", "scalar", "mapping", "sequence"])
            if depth < 3
            else st.just("scalar")
        )
        if kind == "scalar":
            lines.append(f"{' ' * indent}{key}: {draw(_TRICKY_SCALAR)}")
        elif kind == "mapping":
            lines.append(f"{' ' * indent}{key}:")
            lines.extend(_tricky_lines(draw, indent + 2, depth + 1))
        else:
            lines.append(f"{' ' * indent}{key}:")
            dash = indent + draw(st.sampled_from([0, 2]))
            for _ in range(draw(st.integers(1, 3))):
                if draw(st.booleans()):
                    lines.append(f"{' ' * dash}- {draw(_TRICKY_SCALAR)}")
                else:
                    entry = _tricky_lines(draw, dash + 2, depth + 1)
                    lines.append(f"{' ' * dash}- {entry[0].lstrip(' ')}")
                    lines.extend(entry[1:])
    return lines


@st.composite
def _tricky_front(draw: st.DrawFn) -> str:
    return "".join(line + "\n" for line in _tricky_lines(draw, 0, 0))


@PROPERTY
@given(_tricky_front())
@example("a: -\n")
@example("a:\n- b: 1\n  c:\n  - d\n")
def test_block_structure_with_tricky_scalars_reads_the_same_by_both_readers(text: str) -> None:
    check_same_as_events(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key
        "a: &x 1\nb: *x\n",  # anchor and alias
        "a: !!str 1\n",  # tag
        "<<: {}\n",  # merge key
        "a: yes\n",  # YAML 1.1 boolean
        "a: 2026-11-24\n",  # unquoted timestamp
        "a: 9007199254740992\n",  # beyond the exact JSON range
        "a: 1e5\n",  # read differently by YAML 1.1 and 1.2
        "a: .inf\n",
        "a: 1.5e+400\n",  # overflows
        "a:\tb\n",
        "a: b\x01\n",
        "a: b\n  c\n",  # a plain scalar over two lines
        "a:\n- b\n - c\n",
        "a: b # comment\n",
        "a: 'b\n",
        "a: b\n---\nc: d\n",
        "- a\n",  # the top level is not a mapping
        "a\n",
        "",
        "a: b\n\n",
        "a:\n",
        "a: [b]\n",
        "a: {b: c}\n",
        "? a\n: b\n",
        "a: b: c\n",
        "a: -\n",
        "a: 'b''\n",
        "a: é\n",
        "a" * 200 + ": b\n",
    ],
)
def test_front_matter_outside_the_shape_is_left_to_the_event_reader(text: str) -> None:
    assert not check_same_as_events(text)


def test_nesting_at_the_limit_is_left_to_the_event_reader() -> None:
    text = "a:\n  b:\n    c:\n    - d: []\n"
    # Six collections deep: the root, a, b, c, the entry of c, d.
    assert check_same_as_events(text, max_depth=6)
    for depth in (1, 2, 3, 4, 5):
        assert not check_same_as_events(text, max_depth=depth)


def _fronts() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DATA.rglob("*.maml.*")):
        text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
        found.append((path.name, parser.split_front_matter(text)[0]))
    return found


@pytest.mark.parametrize(("name", "front"), _fronts(), ids=[name for name, _ in _fronts()])
def test_committed_documents_read_the_same_by_both_readers(name: str, front: str) -> None:
    read_simply = check_same_as_events(front)
    # What the project writes (every vector but the hand-written and legacy ones) takes the
    # shortcut; non-ASCII front matter and comments take the event reader.
    written = name in {"signed.maml.md", "history.maml.md", "encrypted.maml.md"}
    assert read_simply or not written


def test_what_the_project_writes_takes_the_shortcut() -> None:
    unsigned = maml.new_document(
        doc_type="workflow",
        origin="agent://alice",
        intent="Do the thing.",
        context="For a reason.",
        permissions={"read": ["agent://*"], "write": ["agent://alice"]},
        requires=["numpy>=2.0"],
    )
    front = parser.split_front_matter(unsigned)[0]
    assert check_same_as_events(front)
    assert _yaml.load_simple(front, first_line=2, max_depth=DEPTH) is not None


def test_the_committed_signed_vectors_are_in_the_shape() -> None:
    for name in ("signed.maml.md", "cosigned.maml.md", "history.maml.md"):
        text = (DATA / name).read_text(encoding="utf-8")
        doc = maml.parse(text)
        if doc.front_matter_text.isascii():
            assert _yaml.load_simple(doc.front_matter_text, first_line=2, max_depth=DEPTH)


def test_paths_are_unaffected_by_where_the_front_matter_starts() -> None:
    text = "a: b\nc:\n- d\n"
    simple = _yaml.load_simple(text, first_line=7, max_depth=DEPTH)
    assert simple is not None
    events = _yaml.load_events(text, first_line=7, max_depth=DEPTH, policy=Policy(lenient=False))
    assert simple == events
    assert simple[1][("c", 0)] == (9, 3)


def test_values_kept_between_readings_read_as_afresh_and_collections_are_never_shared() -> None:
    text = "a: []\nb: {}\nc: '1'\nd: 1.0.0\ne: 12\nf: null\ng:\n- []\n- {}\n- x\n- 2.5\n"
    _yaml._cached_scalar.cache_clear()
    first = _yaml.load_simple(text, first_line=2, max_depth=DEPTH)
    second = _yaml.load_simple(text, first_line=2, max_depth=DEPTH)  # from the cache
    assert first is not None
    assert second is not None
    assert _yaml._cached_scalar.cache_info().hits >= 5
    assert (_typed(second[0]), second[1]) == (_typed(first[0]), first[1])
    assert check_same_as_events(text)
    # Every empty collection is a new object: a caller changing one changes no other reading.
    first[0]["a"].append(1)
    first[0]["b"]["k"] = 1
    first[0]["g"][0].append(1)
    first[0]["g"][1]["k"] = 1
    assert second[0]["a"] == []
    assert second[0]["b"] == {}
    assert second[0]["g"][:2] == [[], {}]
    # At the depth limit an empty collection is left to the event reader, cache or not.
    assert _yaml.load_simple("a: []\n", first_line=2, max_depth=1) is None
    assert _yaml.load_simple("a: []\n", first_line=2, max_depth=2) is not None


def _emitted(value: dict[str, Any], dumper: Any) -> str:
    return yaml.dump(value, Dumper=dumper, **_DUMP_OPTIONS)


#: Values around the writer's edges: blanks near the fold width, quotes, keys near the emitters'
#: simple-key limits, empty collections, sequences of sequences.
_EDGE_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
    | _PLAIN_TEXT
    | st.builds(
        lambda n, w: (w + " ") * n, st.integers(1, 40), st.sampled_from(["ab", "x", "it's"])
    )
    | st.sampled_from(["", "'", "''", "a'b", " ", "a ", " a", "-", "- a", "#", "a #b", "\x7f"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(_KEY | _WORD_KEY, inner, max_size=3)
    ),
    max_leaves=10,
)


@PROPERTY
@given(
    st.dictionaries(
        _WORD_KEY | st.from_regex(r"[a-z][a-z0-9_.-]{60,130}", fullmatch=True) | _KEY,
        _EDGE_VALUE | _SIMPLE_VALUE,
        min_size=1,
        max_size=5,
    )
)
@example({"a": "x " * 38 + "y"})
@example({"a": [[]], "b": [{}], "c": {"d": []}})
@example({"k" * 64: 1, "v": "a" * 5000})
def test_the_direct_writer_writes_what_the_emitters_write(value: dict[str, Any]) -> None:
    written = _yaml.dump_simple(value)
    if written is not None:
        for dumper in _DUMPERS:
            assert written == _emitted(value, dumper)
        # The reader's shortcut reads it (unless the profile refuses a value, such as an
        # integer beyond the JSON range: then the event reader's error stands).
        check_same_as_events(written)


_QUOTED_TEXT = st.sampled_from(
    ["1.0", "yes", "No", "~", "null", "2026-11-24", "0x1f", "1e5", "-1", "+1", "12:30", "<<", "="]
) | st.builds(lambda n: "x " * n + "y", st.integers(30, 45))


@PROPERTY
@given(
    st.dictionaries(
        _WORD_KEY,
        st.recursive(
            _SIMPLE_VALUE | _QUOTED_TEXT,
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(_WORD_KEY, inner, max_size=3)
            ),
            max_leaves=8,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_direct_writer_writes_what_the_emitters_write_for_the_projects_shapes(
    value: dict[str, Any],
) -> None:
    written = _yaml.dump_simple(value)
    if written is not None:
        for dumper in _DUMPERS:
            assert written == _emitted(value, dumper)
        check_same_as_events(written)


def test_what_the_project_signs_is_written_directly() -> None:
    signed = (DATA / "signed.maml.md").read_text(encoding="utf-8")
    value = dict(maml.parse(signed).front_matter)
    value["signatures"] = [dict(entry) for entry in value["signatures"]]
    written = _yaml.dump_simple(value)
    assert written is not None
    assert written == _emitted(value, _yaml._Dumper)
    assert written == parser.split_front_matter(signed)[0]


def test_the_shortcut_works_out_the_places_of_plain_values_only_when_asked() -> None:
    text = (DATA / "signed.maml.md").read_text(encoding="utf-8")
    front = parser.split_front_matter(text)[0]
    simple = _yaml.load_simple(front, first_line=2, max_depth=DEPTH)
    assert simple is not None
    locations = simple[1]
    assert isinstance(locations, _yaml.SimpleLocations)
    events = _yaml.load_events(front, first_line=2, max_depth=DEPTH, policy=Policy(lenient=False))
    # A signature entry's place is known at once; the rest is read again on the first question.
    assert locations[("signatures", 0)] == events[1][("signatures", 0)]
    assert locations._every is None
    assert locations[("created_at",)] == events[1][("created_at",)]
    assert locations._every is not None
    assert dict(locations) == events[1]
    assert locations == events[1]
    assert len(locations) == len(events[1])
    assert locations.get(("nowhere",)) is None
    # What a verification reads never asks.
    checked = parser.check(text, Policy(lenient=False))
    assert isinstance(checked.locations, _yaml.SimpleLocations)
    assert checked.locations._every is None
    doc = maml.parse(text)
    assert doc.line_of("created_at") == events[1][("created_at",)][0]
    assert doc.line_of("signatures", 0, "value") == events[1][("signatures", 0, "value")][0]
