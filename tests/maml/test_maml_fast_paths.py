"""The shortcuts that make signing and verifying cheap give the answers of the plain definitions."""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from typing import Any

import pytest
import rfc8785
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from oracle import maml
from oracle.maml import _markdown, _yaml, canonical, encoding, parser
from oracle.maml._policy import Policy
from oracle.maml.encoding import b64url_decode, b64url_encode
from oracle.maml.model import freeze
from tests.maml.maml_helpers import document

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _reference_kind(text: str) -> str:
    ours = _yaml._kind(text)
    old = _yaml._yaml11_kind(text)
    if old == "timestamp":
        return "timestamp"
    if old != ours or _yaml._core_kind(text) != ours:
        return "ambiguous"
    return ours


@PROPERTY
@given(st.text(alphabet=st.sampled_from("aAyYnNoOtTfF~-+.0123456789eExX:_<=! "), max_size=8))
@example("yes")
@example("Off")
@example("2026-11-24")
@example("<<")
@example("")
def test_a_plain_scalar_typed_by_its_first_character_reads_as_the_three_readers_say(
    text: str,
) -> None:
    assert _yaml.plain_scalar_kind(text) == _reference_kind(text)


@PROPERTY
@given(
    st.text(alphabet=st.sampled_from("0123456789_:.+-eEabfxoOXTtZz \tgyn"), min_size=6, max_size=24)
)
@example("0x1f_ab")
@example("2026-11-24T10:00:00Z")
@example("2026-11-24 10:00:00.5 +01:00")
@example("190:20:30.15")
@example("0b1010_1010")
@example("fPdNGkZ8xmNp")
def test_a_long_plain_scalar_reads_as_the_three_readers_say(text: str) -> None:
    # Past the length of the words, a character no number or timestamp holds decides "str"
    # without the readers' patterns.
    assert _yaml.plain_scalar_kind(text) == _reference_kind(text)


def _reference_rfc3339(text: str) -> bool:
    match = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", text
    )
    if not match:
        return False
    year, month, day, hour, minute, second, _, offset = match.groups()
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    try:
        datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59)
        )
    except ValueError:
        return False
    return int(second) <= 60


_DIGITS = st.text(alphabet=st.sampled_from("0123456789\u0663"), min_size=2, max_size=2)


@PROPERTY
@given(
    st.builds(
        lambda y, mo, d, t, h, mi, s, frac, zone: f"{y}-{mo}-{d}{t}{h}:{mi}:{s}{frac}{zone}",
        st.sampled_from(["2026", "2024", "1900", "0000", "9999", "\u0662\u0660\u0662\u0666"]),
        _DIGITS | st.sampled_from(["02", "12", "13"]),
        _DIGITS | st.sampled_from(["28", "29", "30", "31"]),
        st.sampled_from(["T", "t", " "]),
        _DIGITS | st.sampled_from(["23", "24"]),
        _DIGITS,
        _DIGITS | st.sampled_from(["59", "60", "61"]),
        # (the last one makes a timestamp too long for the verdict cache)
        st.sampled_from(["", ".5", ".123456789", ".", "." + "0" * 30]),
        st.sampled_from(["Z", "z", "+00:00", "-23:59", "+24:00", "+01:60", "", "+0100"]),
    )
)
@example("2026-11-24T10:00:00Z")
@example("2024-02-29T23:59:60Z")
@example("2026-02-29T10:00:00Z")
def test_rfc3339_times_are_read_as_the_pattern_and_the_calendar_say(text: str) -> None:
    assert encoding.is_rfc3339(text) == _reference_rfc3339(text)
    assert encoding.is_rfc3339(text) == _reference_rfc3339(text)  # again: from the cache


_HEXISH = st.text(alphabet=st.sampled_from("0123456789abcdefABCDEFgx \t\u0663\uff10"), max_size=70)


@PROPERTY
@given(
    _HEXISH.map(lambda digits: "0x" + digits)
    | st.text(alphabet=st.sampled_from("0123456789abcdef"), min_size=64, max_size=64).map(
        lambda digits: "0x" + digits
    )
    | _HEXISH
)
@example("0x" + "ab" * 32)
@example("0x" + "AB" * 32)
@example("0X" + "ab" * 32)
@example("0x" + "ab" * 31 + " a")
@example("0x" + "ab " * 21 + "a")
@example("0x" + "\u0663" * 64)
def test_a_key_id_is_0x_and_64_lowercase_hex_digits(text: str) -> None:
    expected = bytes.fromhex(text[2:]) if re.fullmatch(r"0x[0-9a-f]{64}", text, re.ASCII) else None
    assert encoding.parse_key_id(text) == expected


@PROPERTY
@given(st.lists(st.sampled_from(["---", "----", "-- -", "x", "", "---x", " ---"]), max_size=8))
def test_the_closing_line_is_the_first_line_that_is_exactly_three_dashes(lines: list[str]) -> None:
    text = "---\n" + "\n".join(lines)
    found = re.compile(r"^---$", re.MULTILINE).search(text, 4)
    assert parser._closing(text)[0] == (found.start() if found else -1)


@PROPERTY
@given(
    st.lists(st.sampled_from(["----", "-- -", "x", "", "---x", " ---", "--"]), max_size=200),
    st.none() | st.integers(0, 200),
    st.sampled_from(["", "\n", "\nbody\n"]),
)
@example([""] * 63, 63, "\n")
@example([""] * 64, 64, "\n")
@example([""] * 65, 65, "")
def test_the_closing_line_and_the_line_feeds_before_it_are_found_line_by_line_or_by_search(
    lines: list[str], closing_at: int | None, after: str
) -> None:
    # Past `_CLOSING_LINE_STEPS` lines the substring search takes over: a closing line anywhere
    # in up to 200 lines puts it on either side of that bound, and the count must carry over.
    if closing_at is not None:
        lines = [*lines[:closing_at], "---", *lines[closing_at:]]
    text = "---\n" + "\n".join(lines) + after
    found = re.compile(r"^---$", re.MULTILINE).search(text, 4)
    closing, line_feeds = parser._closing(text)
    assert closing == (found.start() if found else -1)
    if found:
        assert line_feeds == text.count("\n", 0, found.start())
        front, body, offset = parser.split_front_matter(text)
        assert body == text[offset:]
        assert parser._split(text) == (front, body, offset, text.count("\n", 0, offset) + 1)


_LINE = st.sampled_from(["", "text", " #", "   ##", "    ## deep", "## A", "```", "~~~~", " ```x"])


@PROPERTY
@given(st.lists(_LINE, max_size=40), st.integers(0, 3))
def test_lines_that_can_open_close_or_head_are_found_the_same_way_sparse_or_dense(
    lines: list[str], padding: int
) -> None:
    body = "\n".join(lines)
    expected, offset = [], 0
    for line in lines:
        if re.match(r" {0,3}[`~#]", line):
            expected.append(offset)
        offset += len(line) + 1
    assert _markdown._candidates(body) == expected
    assert _markdown._candidates_by_regex(body) == expected
    # Past its budget of fence characters the memchr search hands over to the regex.
    dense = "#" * (100 + padding) + "\n" + body
    shifted = [0] + [start + 101 + padding for start in expected]
    assert _markdown._candidates(dense) == shifted


def test_a_body_full_of_hashes_still_finds_its_sections() -> None:
    filler = "not a heading # # # ``` inline ~~~ tildes\n" * 5000
    doc = maml.parse(document(body=f"## Intent\n{filler}## Context\nwhy\n"))
    assert [section.name for section in doc.sections] == ["Intent", "Context"]
    assert doc.sections[1].heading_line == doc.body_line + 5001
    assert doc.sections[0].content == filler


@pytest.mark.parametrize(
    "body",
    [
        "## Intent\n" + "a" * 300_000 + "\n## Context\nb\n",
        "## Intent\n" + "a" * 300_000 + "\n## Context\nno final line feed",
        "## Intent\n" + "é" * 100_000 + "\n## Context\nnon-ASCII\n",
        "## Intent\nx\n## Context\n" + "y\n" * 70_000 + "## History\n",
    ],
    ids=["ascii", "no-final-lf", "non-ascii", "history"],
)
def test_the_digest_of_a_long_body_is_sha256_of_the_canonical_bytes(body: str) -> None:
    doc = maml.parse(document(body=body))
    assert maml.document_digest(doc) == hashlib.sha256(maml.canonical_bytes(doc)).digest()
    signed = canonical.signed_body(doc).encode()
    assert maml.canonical_bytes(doc).endswith(signed)
    assert len(signed) > canonical._CHUNK


#: The base64url decoders: pybase64's (when installed) and binascii's fallback.
DECODERS = [encoding._decode_standard, *([encoding._decode_simd] if encoding._PYBASE64 else [])]


@PROPERTY
@given(st.binary(max_size=200), st.sampled_from(DECODERS))
def test_base64url_round_trips_every_byte_string(data: bytes, decoder: Any) -> None:
    saved = encoding._decode
    encoding._decode = decoder
    try:
        assert b64url_decode(b64url_encode(data)) == data
    finally:
        encoding._decode = saved


@PROPERTY
@given(
    st.text(alphabet=st.sampled_from("AQgw-_+/=Zz09 \né\t!*"), max_size=12),
    st.sampled_from(DECODERS),
)
@example("AB", encoding._decode_standard)
@example("A+/b", encoding._decode_standard)
@example("AA==", encoding._decode_standard)
@example("QR", DECODERS[-1])
@example("QUJ", DECODERS[-1])
@example("QUJDRA", DECODERS[-1])
def test_base64url_decoding_accepts_exactly_the_canonical_unpadded_texts(
    text: str, decoder: Any
) -> None:
    canonical_text = re.fullmatch(r"[A-Za-z0-9_-]*", text) is not None and len(text) % 4 != 1
    expected = None
    if canonical_text:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        expected = data if b64url_encode(data) == text else None
    saved = encoding._decode
    encoding._decode = decoder
    try:
        assert b64url_decode(text) == expected
    finally:
        encoding._decode = saved


def test_signature_values_are_decoded_by_pybase64() -> None:
    # A dependency of the package: without it a signed document costs 5-10 us more to read.
    assert encoding._PYBASE64 is not None
    assert encoding._decode is encoding._decode_simd


_JSON_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
_JSON = st.recursive(
    _JSON_SCALAR,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.skipif(not _yaml.LIBYAML, reason="this PyYAML was built without libyaml")
@PROPERTY
@given(st.dictionaries(st.text(max_size=8), _JSON, max_size=6))
@example({"": None, "\U000e2151": "\x85\u2028"})
def test_libyaml_and_pure_python_writers_agree_on_what_both_readers_read(
    value: dict[str, Any],
) -> None:
    options: dict[str, Any] = {
        "sort_keys": False,
        "allow_unicode": True,
        "default_flow_style": False,
        "width": 100,
        "indent": 2,
    }
    expected = rfc8785.dumps(value)
    saved = _yaml._EventLoader
    for dumper in (_yaml._LibyamlDumper, _yaml._PureDumper):
        text = yaml.dump(value, Dumper=dumper, **options)
        for loader in (yaml.CSafeLoader, yaml.SafeLoader):
            _yaml._EventLoader = loader
            try:
                read, _ = _yaml.load_mapping(
                    text, first_line=2, max_depth=32, policy=Policy(lenient=False)
                )
            finally:
                _yaml._EventLoader = saved
            assert rfc8785.dumps(read) == expected


def test_a_section_cuts_its_content_from_the_body() -> None:
    doc = maml.parse(document(body="## Intent\nfirst\n\n## Context\nsecond\n"))
    intent, context = doc.sections
    assert intent.content == "first\n\n"
    assert context.content == "second\n"
    assert intent.body is doc.body


def _numbers_as_floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _numbers_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


_JCS_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, -0.0, 1.5]) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@PROPERTY
@given(_JCS_JSON, _JCS_JSON)
@example(True, 1)
@example(None, False)
@example([1], [1.0])
@example({"a": -0.0}, {"a": 0})
def test_same_json_means_the_same_rfc8785_bytes(left: Any, right: Any) -> None:
    for other in (right, _numbers_as_floats(left)):
        assert _yaml.same_json(left, other) == (rfc8785.dumps(left) == rfc8785.dumps(other))


_JCS_ANY = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**54), 2**54)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(['\x00\x1f\x7f"\\\b\f\n\r\t', "\u2028\u2029", "\ud800", "é", "\U0001d11e"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=4) | st.sampled_from(["\U0001d11e", "\uffff", "\ue000", "a"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=16,
)


@PROPERTY
@given(_JCS_ANY)
@example({"\U0001d11e": 1, "\uffff": 2})  # UTF-16 order differs from code point order here
@example({"a": 2**53})
@example({"a": "\ud800"})
@example({"a": 1.0, "b": 1e21, "c": 1e-7})
@example({"\U0001d11e": "x", "\uffff": None})  # a mapping of strings and nulls: keys still count
@example({"a": "x", 1: "y"})  # a key that is not a string
@example({"b": "\ud800", "a": True})
def test_canonical_json_is_rfc8785_for_plain_and_frozen_values(value: Any) -> None:
    try:
        expected: Any = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as err:
        expected = type(err)
    for form in (value, freeze(value)):
        try:
            found: Any = canonical.jcs(form)
        except rfc8785.CanonicalizationError as err:
            found = type(err)
        assert found == expected


def _reference_scan(body: str, first_line: int) -> tuple[list[Any], list[Any], list[int]]:
    """The body rules of `_markdown` read line by line, every line, with nothing skipped."""
    headings: list[Any] = []
    fences: list[Any] = []
    indented: list[int] = []
    fence: tuple[str, int, str, int, int, int] | None = None
    offset = 0
    for index, line in enumerate(body.split("\n")):
        end = offset + len(line)
        after = min(end + 1, len(body))
        number = first_line + index
        if fence is not None:
            char, size, info, line_no, start, content = fence
            close = re.fullmatch(r" {0,3}(`{3,}|~{3,})[ \t]*", line)
            if close and close.group(1)[0] == char and len(close.group(1)) >= size:
                fences.append((info, body[content:offset], line_no, start, True))
                fence = None
        else:
            opening = re.fullmatch(r"( {0,3})(`{3,}|~{3,})(.*)", line)
            heading = re.fullmatch(r"##(?:[ \t]+(.*?))?[ \t]*", line)
            if opening and not (opening.group(2)[0] == "`" and "`" in opening.group(3)):
                fence = (
                    opening.group(2)[0],
                    len(opening.group(2)),
                    opening.group(3).strip(),
                    number,
                    offset,
                    after,
                )
            elif heading:
                name = re.sub(r"(?:^|[ \t]+)#+[ \t]*$", "", heading.group(1) or "").strip()
                headings.append((name, line, number, offset, after))
            elif re.fullmatch(r" {1,3}##(?:[ \t].*)?", line):
                indented.append(number)
        offset = end + 1
    if fence is not None:
        char, size, info, line_no, start, content = fence
        fences.append((info, body[content:], line_no, start, False))
    return headings, fences, indented


_BODY_LINE = st.sampled_from(
    [
        "",
        "text",
        "## A",
        "## B ##",
        "##",
        "##\t",
        "###",
        "#x",
        " ## C",
        "   ## D",
        "    ## deep",
        "```",
        "```py",
        "``` a`b",
        "````",
        "~~~",
        "~~~~ x",
        " ```",
        "   ~~~",
        "    ```",
        "``` ",
        "a # b",
        "x ``` y",
        "## E # #",
        "``",
        "~~",
        "``` \t",
        "~~~\t",
        "~~~~~",
        "````` x",
        "  ````",
        "~~~ `x`",
        "``~",
        "~~~ ~",
    ]
)


@PROPERTY
@given(st.lists(_BODY_LINE, max_size=30), st.integers(1, 50))
def test_the_body_scan_finds_what_reading_every_line_finds(lines: list[str], first: int) -> None:
    for body in ("\n".join(lines), "\n".join(lines) + "\n"):
        found = _markdown.scan(body, first)
        expected = _reference_scan(body, first)
        # Line numbers are asked for, one offset at a time and all at once.
        headings = [(h.name, h.text, found.line(h.start), h.start, h.after) for h in found.headings]
        fences = [(f.info, f.content, found.line(f.start), f.start, f.closed) for f in found.fences]
        assert (headings, fences) == (expected[0], expected[1])
        assert found.lines([f.start for f in found.fences]) == [f[2] for f in expected[1]]
        assert found.indented_headings == expected[2]


_SECTION_NAME = st.sampled_from(
    ["Intent", "Context", "Content", "History", "Code_Blocks", "Code Blocks", "intent", "Other"]
)


@PROPERTY
@given(st.lists(_SECTION_NAME, max_size=6), st.booleans())
@example(["Intent", "Context"], False)
@example(["Intent", "Context", "History"], False)
@example(["Intent", "History", "Context"], False)
@example(["Intent", "Context", "Code Blocks", "Code_Blocks"], True)
def test_section_names_decided_at_once_are_those_the_rules_give(
    names: list[str], lenient: bool
) -> None:
    body = "".join(f"## {name}\ntext\n" for name in names)
    found = _markdown.scan(body, 9)

    def outcome(read: Any) -> tuple[Any, ...]:
        policy = Policy(lenient=lenient)
        try:
            return ("ok", read(found, body, 9, policy), policy.findings)
        except maml.MamlDocumentError as err:
            return ("error", type(err), str(err), err.line, err.column, policy.findings)

    assert outcome(parser._section_names) == outcome(parser._section_names_by_rules)
