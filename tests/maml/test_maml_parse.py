"""Parsing: structure, YAML restricted to the JSON data model, fields, sections, limits."""

from __future__ import annotations

import pytest

from oracle import maml
from oracle.maml import parser
from tests.maml.maml_helpers import MINIMAL_BODY, MINIMAL_FRONT, document

# Every rule holds with libyaml and with the pure-Python parser and emitter.
pytestmark = pytest.mark.usefixtures("yaml_backend")


def test_a_minimal_document_parses_into_header_and_sections() -> None:
    doc = maml.parse(document())
    assert doc.header.maml_version == "1.0.0"
    assert doc.header.id == "urn:uuid:6f1c2e3a-8b4d-4e5f-9a0b-1c2d3e4f5a6b"
    assert doc.header.type == "workflow"
    assert doc.header.origin == "agent://alice"
    assert doc.header.created_at == "2026-11-24T10:00:00Z"
    assert [s.name for s in doc.sections] == ["Intent", "Context"]
    assert doc.section("Intent") is not None
    assert doc.section("Intent").content == "Do the thing.\n\n"  # type: ignore[union-attr]
    assert doc.section("Intent").heading_line == 8  # type: ignore[union-attr]
    assert doc.body_line == 8
    assert doc.warnings == ()
    assert not doc.is_encrypted


def test_bytes_and_text_parse_to_the_same_document() -> None:
    text = document()
    assert maml.parse(text.encode("utf-8")).front_matter == maml.parse(text).front_matter


def test_crlf_line_endings_are_normalised_before_anything_else() -> None:
    text = document()
    assert maml.parse(text.replace("\n", "\r\n")).text == text


def test_unknown_fields_are_carried_not_dropped() -> None:
    doc = maml.parse(document('x_custom:\n  nested: [1, 2.5, "three"]\n'))
    assert doc.header.extra["x_custom"] == {"nested": (1, 2.5, "three")}
    assert "x_custom" in doc.front_matter


def test_permissions_and_requires_are_validated_lists_of_strings() -> None:
    doc = maml.parse(
        document(
            'permissions:\n  read: ["agent://*"]\n  execute: [gateway://local]\n'
            'requires: ["numpy>=2"]\n'
        )
    )
    assert doc.header.permissions == maml.Permissions(("agent://*",), (), ("gateway://local",))
    assert doc.header.requires == ("numpy>=2",)


def test_front_matter_values_are_read_only() -> None:
    doc = maml.parse(document("labels: {a: [1]}\n"))
    with pytest.raises(TypeError):
        doc.front_matter["labels"]["a"] = 2  # type: ignore[index]


# --- encoding, delimiters and limits ---------------------------------------------------------


def test_a_byte_order_mark_is_refused_with_its_own_error() -> None:
    with pytest.raises(maml.MamlBomError) as caught:
        maml.parse(b"\xef\xbb\xbf" + document().encode())
    assert (caught.value.line, caught.value.column) == (1, 1)
    with pytest.raises(maml.MamlBomError):
        maml.parse("\ufeff" + document())


def test_invalid_utf8_is_reported_at_its_line_and_column() -> None:
    data = document().encode().replace(b"Do the thing", b"Do \xff thing")
    with pytest.raises(maml.MamlEncodingError) as caught:
        maml.parse(data)
    assert (caught.value.line, caught.value.column) == (9, 4)
    assert "line 9, column 4" in str(caught.value)


@pytest.mark.parametrize(("char", "line"), [("\x00", 9), ("\r", 9)])
def test_nul_and_bare_carriage_return_are_refused(char: str, line: int) -> None:
    with pytest.raises(maml.MamlEncodingError) as caught:
        maml.parse(document().replace("Do the thing", f"Do{char}the thing"))
    assert caught.value.line == line
    assert caught.value.column == 3


def test_a_document_must_start_with_the_front_matter_delimiter() -> None:
    with pytest.raises(maml.MamlSyntaxError) as caught:
        maml.parse("# Title\n" + document())
    assert (caught.value.line, caught.value.column) == (1, 1)


def test_an_unclosed_front_matter_is_a_syntax_error() -> None:
    with pytest.raises(maml.MamlSyntaxError) as caught:
        maml.parse(MINIMAL_FRONT + MINIMAL_BODY)
    assert caught.value.line == 1
    assert "not closed" in str(caught.value)


def test_yaml_syntax_errors_carry_the_document_line() -> None:
    with pytest.raises(maml.MamlSyntaxError) as caught:
        maml.parse(document("broken: [1, 2\n"))
    assert caught.value.line == 8  # the closing delimiter, where the flow sequence is cut off


def test_a_front_matter_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(maml.MamlSyntaxError) as caught:
        maml.parse("---\n- a\n- b\n---\n" + MINIMAL_BODY)
    assert caught.value.line == 2


def test_oversized_documents_are_refused_before_parsing() -> None:
    big = "x" * (parser.MAX_DOCUMENT_BYTES + 1)
    with pytest.raises(maml.MamlLimitError) as caught:
        maml.parse(big)
    assert caught.value.line == 1
    with pytest.raises(maml.MamlLimitError):
        maml.parse(big.encode())


def test_oversized_front_matter_is_refused() -> None:
    filler = "".join(f"k{i}: {'v' * 100}\n" for i in range(parser.MAX_FRONT_MATTER_BYTES // 100))
    with pytest.raises(maml.MamlLimitError) as caught:
        maml.parse(document(filler))
    assert caught.value.line == 2


def test_deep_nesting_is_refused_at_the_limit() -> None:
    depth = parser.MAX_YAML_DEPTH + 1
    with pytest.raises(maml.MamlLimitError) as caught:
        maml.parse(document("deep: " + "[" * depth + "]" * depth + "\n"))
    assert caught.value.line == 7


# --- YAML outside the JSON data model ---------------------------------------------------------


def test_anchors_are_refused_with_their_position() -> None:
    with pytest.raises(maml.MamlAnchorError) as caught:
        maml.parse(document("a: &anchor [1]\n"))
    assert (caught.value.line, caught.value.column) == (7, 4)


def test_aliases_are_refused_so_billion_laughs_cannot_expand() -> None:
    laughs = 'a: ["lol"]\nb: [*a, *a]\n'
    with pytest.raises(maml.MamlAnchorError):
        maml.parse(document(laughs))


@pytest.mark.parametrize("tagged", ["!!str 1", "!custom x", "! x", "!!binary aGk="])
def test_explicit_tags_are_refused(tagged: str) -> None:
    with pytest.raises(maml.MamlTagError) as caught:
        maml.parse(document(f"field: {tagged}\n"))
    assert (caught.value.line, caught.value.column) == (7, 8)


def test_duplicate_keys_are_refused_at_the_second_occurrence() -> None:
    with pytest.raises(maml.MamlDuplicateKeyError) as caught:
        maml.parse(document("type: other\n"))
    assert (caught.value.line, caught.value.column) == (7, 1)
    assert "first at line 4" in str(caught.value)


def test_nested_duplicate_keys_are_refused_too() -> None:
    with pytest.raises(maml.MamlDuplicateKeyError) as caught:
        maml.parse(document("labels:\n  a: 1\n  a: 2\n"))
    assert caught.value.line == 9


@pytest.mark.parametrize(("key", "column"), [("1", 1), ("true", 1), ("null", 1), ("<<", 1)])
def test_non_string_keys_are_refused(key: str, column: int) -> None:
    with pytest.raises(maml.MamlKeyTypeError) as caught:
        maml.parse(document(f"{key}: value\n"))
    assert (caught.value.line, caught.value.column) == (7, column)


def test_collection_keys_are_refused() -> None:
    with pytest.raises(maml.MamlKeyTypeError) as caught:
        maml.parse(document("? [a, b]\n: value\n"))
    assert caught.value.line == 7


@pytest.mark.parametrize(
    "scalar", ["yes", "off", "012", "0x1F", "1e5", ".5", "1_000", "1:30", "=", "0o17"]
)
def test_plain_scalars_read_differently_by_yaml_1_1_and_1_2_are_refused(scalar: str) -> None:
    with pytest.raises(maml.MamlScalarError) as caught:
        maml.parse(document(f"field: {scalar}\n"))
    assert (caught.value.line, caught.value.column) == (7, 8)


@pytest.mark.parametrize("scalar", [".nan", ".inf", "-.inf", "1.0e+999"])
def test_nan_and_infinity_are_refused_in_both_modes(scalar: str) -> None:
    for lenient in (False, True):
        with pytest.raises(maml.MamlScalarError) as caught:
            maml.parse(document(f"field: {scalar}\n"), lenient=lenient)
        assert caught.value.line == 7


def test_integers_beyond_the_exact_json_range_are_refused() -> None:
    with pytest.raises(maml.MamlScalarError) as caught:
        maml.parse(document("big: 9007199254740992\n"))
    assert caught.value.line == 7
    assert maml.parse(document("big: 9007199254740991\n")).front_matter["big"] == 2**53 - 1


def test_unambiguous_scalars_keep_their_json_types() -> None:
    doc = maml.parse(document("v: [1, -2, 1.5, -0.25e+3, true, False, null, ~, '', plain]\n"))
    assert doc.front_matter["v"] == (1, -2, 1.5, -250.0, True, False, None, None, "", "plain")


def test_quoted_scalars_are_always_strings() -> None:
    doc = maml.parse(document("v: ['yes', \"1e5\", '2026-11-24']\n"))
    assert doc.front_matter["v"] == ("yes", "1e5", "2026-11-24")


def test_several_yaml_documents_in_the_front_matter_are_refused() -> None:
    with pytest.raises(maml.MamlSyntaxError) as caught:
        maml.parse(document("--- {other: 1}\n"))
    assert "more than one" in str(caught.value)
    assert caught.value.line == 7


# --- fields ---------------------------------------------------------------------------------


def test_a_missing_required_field_is_named() -> None:
    text = document().replace('origin: "agent://alice"\n', "")
    with pytest.raises(maml.MamlFieldError) as caught:
        maml.parse(text)
    assert caught.value.field == "origin"
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("replace", "by", "field", "line"),
    [
        ('maml_version: "1.0.0"', "maml_version: 1.0", "maml_version", 2),
        ('maml_version: "1.0.0"', 'maml_version: "one"', "maml_version", 2),
        (
            'id: "urn:uuid:6f1c2e3a-8b4d-4e5f-9a0b-1c2d3e4f5a6b"',
            'id: "urn:uuid:1a2b-7g8h"',
            "id",
            3,
        ),
        ("type: workflow", "type: [a]", "type", 4),
        ('origin: "agent://alice"', 'origin: "not a uri"', "origin", 5),
        ('created_at: "2026-11-24T10:00:00Z"', 'created_at: "2026-11-24"', "created_at", 6),
        (
            'created_at: "2026-11-24T10:00:00Z"',
            'created_at: "2026-02-30T10:00:00Z"',
            "created_at",
            6,
        ),
    ],
)
def test_malformed_fields_are_reported_with_their_line(
    replace: str, by: str, field: str, line: int
) -> None:
    with pytest.raises(maml.MamlFieldError) as caught:
        maml.parse(document().replace(replace, by))
    assert caught.value.field == field
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("extra", "field", "line"),
    [
        ("permissions: [read]\n", "permissions", 7),
        ("permissions:\n  admin: [x]\n", "permissions.admin", 8),
        ("permissions:\n  read: agent://x\n", "permissions.read", 8),
        ("permissions:\n  read: [1]\n", "permissions.read.0", 8),
        ("requires: numpy\n", "requires", 7),
        ("requires:\n  libs: [1]\n", "requires.libs.0", 8),
        ("verification: strict\n", "verification", 7),
    ],
)
def test_malformed_structured_fields_name_the_path(extra: str, field: str, line: int) -> None:
    with pytest.raises(maml.MamlFieldError) as caught:
        maml.parse(document(extra))
    assert caught.value.field == field
    assert caught.value.line == line


def test_created_at_accepts_offsets_and_fractions() -> None:
    text = document().replace("2026-11-24T10:00:00Z", "2026-11-24T10:00:00.250+05:30")
    assert maml.parse(text).header.created_at == "2026-11-24T10:00:00.250+05:30"


# --- sections and fences ----------------------------------------------------------------------


def test_intent_is_required() -> None:
    with pytest.raises(maml.MamlMissingSectionError) as caught:
        maml.parse(document(body="## Context\nx\n"))
    assert "Intent" in str(caught.value)
    assert caught.value.line == 10


def test_a_heading_differing_in_case_is_pointed_out() -> None:
    with pytest.raises(maml.MamlMissingSectionError) as caught:
        maml.parse(document(body="## intent\nx\n## Context\ny\n"))
    assert "differs in case" in str(caught.value)


def test_duplicate_sections_are_refused_at_the_second_heading() -> None:
    body = MINIMAL_BODY + "\n## Intent\nagain\n"
    with pytest.raises(maml.MamlDuplicateSectionError) as caught:
        maml.parse(document(body=body))
    assert (caught.value.line, caught.value.column) == (14, 1)
    assert "first at line 8" in str(caught.value)


def test_headings_inside_fenced_code_are_not_sections() -> None:
    body = (
        MINIMAL_BODY + "## Code_Blocks\n````md\n```\n## Intent\n```\n````\n~~~\n## Context\n~~~\n"
    )
    doc = maml.parse(document(body=body))
    assert [s.name for s in doc.sections] == ["Intent", "Context", "Code_Blocks"]
    assert [b.info for b in doc.code_blocks] == ["md", ""]
    assert doc.code_blocks[0].content == "```\n## Intent\n```\n"
    assert doc.code_blocks[0].section == "Code_Blocks"
    assert doc.code_blocks[0].language == "md"


def test_a_fence_closes_only_with_the_same_character_and_enough_of_it() -> None:
    body = MINIMAL_BODY + "````\n~~~~\n```\n## Intent\n````\n"
    doc = maml.parse(document(body=body))
    assert len(doc.code_blocks) == 1
    assert doc.code_blocks[0].closed


def test_an_unclosed_fence_runs_to_the_end_of_the_body() -> None:
    body = MINIMAL_BODY + "```\n## Content\n"
    doc = maml.parse(document(body=body))
    assert doc.section("Content") is None
    assert not doc.code_blocks[0].closed


def test_a_backtick_fence_info_with_a_backtick_is_not_a_fence() -> None:
    body = MINIMAL_BODY + "``` a`b\n## Content\nx\n"
    assert maml.parse(document(body=body)).section("Content") is not None


def test_heading_closing_hashes_are_dropped_and_indented_headings_ignored() -> None:
    body = "## Intent ##\nx\n   ## Context\n## Context\ny\n"
    doc = maml.parse(document(body=body))
    assert [s.name for s in doc.sections] == ["Intent", "Context"]
    assert doc.sections[1].heading_line == 11


def test_unknown_sections_are_carried() -> None:
    doc = maml.parse(document(body=MINIMAL_BODY + "## Notes\nfree text\n"))
    assert doc.section("Notes") is not None


def test_no_section_may_follow_history() -> None:
    body = MINIMAL_BODY + "## History\n\n## Content\nlate\n"
    with pytest.raises(maml.MamlSectionOrderError) as caught:
        maml.parse(document(body=body))
    assert caught.value.line == 15


def test_free_text_in_history_is_refused_because_it_is_unsigned() -> None:
    body = MINIMAL_BODY + "## History\n\n- 2025-08-25T18:45:00Z: [CREATE] by someone\n"
    with pytest.raises(maml.MamlHistoryError) as caught:
        maml.parse(document(body=body))
    assert (caught.value.line, caught.value.column) == (15, 1)


def test_history_lines_are_checked_field_by_field() -> None:
    key_id = "0x" + "ab" * 32
    bad_time = f"- yesterday | a | b | sig=ML-DSA-44:{key_id}:AAAA"
    with pytest.raises(maml.MamlHistoryError, match="RFC 3339") as caught:
        maml.parser.parse_history_line(bad_time, 40)
    assert caught.value.line == 40
    bad_alg = f"- 2026-11-24T10:00:00Z | a | b | sig=Dilithium2:{key_id}:AAAA"
    with pytest.raises(maml.MamlHistoryError, match="round-3"):
        maml.parser.parse_history_line(bad_alg, 40)
    short = f"- 2026-11-24T10:00:00Z | a | b | sig=ML-DSA-44:{key_id}:AAAA"
    with pytest.raises(maml.MamlHistoryError, match="2420 bytes"):
        maml.parser.parse_history_line(short, 40)
    tab = f"- 2026-11-24T10:00:00Z | a | b\tc | sig=ML-DSA-44:{key_id}:AAAA"
    with pytest.raises(maml.MamlHistoryError, match="control") as caught:
        maml.parser.parse_history_line(tab, 41)
    assert (caught.value.line, caught.value.column) == (41, 30)
    bad_key = "- 2026-11-24T10:00:00Z | a | b | sig=ML-DSA-44:0xAB:AAAA"
    with pytest.raises(maml.MamlHistoryError, match="key_id"):
        maml.parser.parse_history_line(bad_key, 40)


# --- file names -------------------------------------------------------------------------------


def test_maml_md_file_names_pass_the_name_check() -> None:
    assert maml.check_filename("dir/report.maml.md") == ()


def test_other_file_names_are_refused_in_strict_mode_and_noted_in_lenient() -> None:
    with pytest.raises(maml.MamlFileNameError):
        maml.check_filename("report.md")
    (note,) = maml.check_filename("report.md", lenient=True)
    assert note.code == "file-name"
