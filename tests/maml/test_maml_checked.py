"""`verify` and `document_digest` of text check it without building a `MamlDocument`
(`parser.check`): the answers, and every error, are those of parsing it first."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from oracle import maml
from oracle.crypto import SigningKey
from oracle.errors import OracleError
from oracle.maml import canonical, parser
from oracle.maml._policy import Policy
from oracle.maml.errors import (
    MamlDocumentError,
    MamlEncodingError,
    MamlLimitError,
    MamlSignatureError,
)
from tests.maml.maml_helpers import DATA, document, edited

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEEDS = [
    (DATA / name).read_text(encoding="utf-8")
    for name in (
        "signed.maml.md",
        "cosigned.maml.md",
        "history.maml.md",
        "full.maml.md",
        "minimal.maml.md",
        "encrypted.maml.md",
    )
] + [
    document(body="## Intent\nx\n## Context\ny\n## History\n\n- not an entry\n"),
    document(body="## Intent\nx\n## Code Blocks\n```py\n1\n```\n## Context\ny"),
    document(body="## Intent\nx\n## History\n## Context\ny\n"),
    document(body="## Intent\nx\n## Context\ny\n## Intent\nz\n"),
    document(body="## intent\nx\n## Context\ny\n"),
]
_PIECES = st.sampled_from(
    [
        *list("-:'\"#`~\n\t |"),
        "## History\n",
        "## Content\n",
        "## Code Blocks\n",
        "```\n",
        "\n- 2026-11-24T10:00:00Z | a | b | sig=ML-DSA-65:0x00:AA\n",
        "encryption: AES-2048\n",
        "---\n",
        "é",
    ]
)


def _outcome(call: Any) -> tuple[Any, ...]:
    try:
        return ("ok", call())
    except OracleError as err:
        where = (err.line, err.column) if isinstance(err, MamlDocumentError) else None
        return ("error", type(err), str(err), where)


# Edits in the body (`body_only`) keep the front matter valid, so most of them reach the section
# rules, the digest and the signatures; edits anywhere reach the front matter rules.
_EDITS = st.lists(
    st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]), _PIECES),
    max_size=4,
)


@PROPERTY
@given(seed=st.sampled_from(SEEDS), edits=_EDITS, body_only=st.booleans(), lenient=st.booleans())
@example(seed=SEEDS[0], edits=[], body_only=False, lenient=False)
@example(seed=SEEDS[2], edits=[], body_only=False, lenient=True)
@example(seed=SEEDS[5], edits=[], body_only=False, lenient=False)
def test_verifying_text_answers_as_verifying_its_parsed_document(
    seed: str,
    edits: list[tuple[float, str, str]],
    body_only: bool,
    lenient: bool,
    signers: dict[str, SigningKey],
) -> None:
    text = edited(seed, edits, body_only=body_only)
    keys = [key.public for key in signers.values()]
    for require in ("all", "any"):

        def direct(require: Any = require) -> Any:
            return maml.verify(text, keys, require=require, lenient=lenient)

        def parsed(require: Any = require) -> Any:
            return maml.verify(maml.parse(text, lenient=lenient), keys, require=require)

        assert _outcome(direct) == _outcome(parsed)
    assert _outcome(lambda: canonical.document_digest(text)) == _outcome(
        lambda: canonical.document_digest(maml.parse(text))
    )


@PROPERTY
@given(seed=st.sampled_from(SEEDS), edits=_EDITS, body_only=st.booleans(), lenient=st.booleans())
def test_check_finds_what_parse_finds(
    seed: str, edits: list[tuple[float, str, str]], body_only: bool, lenient: bool
) -> None:
    text = edited(seed, edits, body_only=body_only)
    checked = _outcome(lambda: parser.check(text, Policy(lenient=lenient)))
    parsed = _outcome(lambda: maml.parse(text, lenient=lenient))
    assert checked[0] == parsed[0]
    if checked[0] == "error":
        assert checked == parsed
        return
    found, doc = checked[1], parsed[1]
    assert maml.model.thaw(doc.front_matter) == found.front_matter
    assert dict(doc.locations) == found.locations
    assert (doc.header, doc.body, doc.body_line, doc.signatures, doc.encryption) == (
        found.header,
        found.body,
        found.body_line,
        found.signatures,
        found.encryption,
    )
    assert (doc.history, doc.warnings) == (found.history, found.warnings)
    assert tuple(section.name for section in doc.sections) == found.section_names
    history = doc.section("History")
    assert found.history_start == (None if history is None else history.start)


def test_a_signature_of_the_wrong_length_in_a_built_document_is_invalid(
    signers: dict[str, SigningKey],
) -> None:
    # `parse` refuses such a value; a document assembled by hand still gets an answer.
    doc = maml.parse((DATA / "signed.maml.md").read_text(encoding="utf-8"))
    entry = doc.signatures[0]
    for value in (entry.value[:-1], entry.value + b"\x00", b""):
        short = dataclasses.replace(doc, signatures=(dataclasses.replace(entry, value=value),))
        report = maml.verify(short, [key.public for key in signers.values()], require="any")
        assert [check.status for check in report.signatures] == ["invalid"]
    flipped = bytes([entry.value[0] ^ 1]) + entry.value[1:]
    tampered = dataclasses.replace(doc, signatures=(dataclasses.replace(entry, value=flipped),))
    report = maml.verify(tampered, [key.public for key in signers.values()], require="any")
    assert [check.status for check in report.signatures] == ["invalid"]
    assert maml.verify(doc, [key.public for key in signers.values()], require="any").valid


def test_a_signature_context_is_limited_to_255_utf8_bytes_ascii_or_not() -> None:
    signed = (DATA / "signed.maml.md").read_text(encoding="utf-8")
    assert "  context: maml-v1\n" in signed
    for context, fits in (
        ("a" * 255, True),
        ("a" * 256, False),
        ("é" * 127 + "a", True),  # 255 bytes in 128 characters
        ("é" * 128, False),  # 256 bytes in 128 characters
    ):
        text = signed.replace("  context: maml-v1\n", f"  context: '{context}'\n")
        outcome = _outcome(lambda text=text: maml.parse(text))
        if fits:
            assert outcome[0] == "ok"
            assert outcome[1].signatures[0].context == context
        else:
            assert outcome[:2] == ("error", MamlSignatureError)
            assert "at most 255 UTF-8 bytes" in outcome[2]


def test_the_front_matter_limit_counts_utf8_bytes_not_characters() -> None:
    limit = parser.MAX_FRONT_MATTER_BYTES
    # Two bytes a character: under the limit in characters, over it in bytes.
    text = document(extra_front=f"note: {'é' * (limit // 2)}\n")
    assert len(text) < limit
    outcome = _outcome(lambda: maml.parse(text))
    assert outcome[:2] == ("error", MamlLimitError)
    assert outcome[3] == (2, None)
    ascii_text = document(extra_front=f"note: {'e' * (limit // 2)}\n")
    assert _outcome(lambda: maml.parse(ascii_text))[0] == "ok"


def test_nul_and_bare_carriage_returns_are_refused_with_their_place() -> None:
    base = document()
    cases = [
        (base.replace("Do the thing.", "Do the\x00thing."), "a NUL character"),
        (base.replace("Do the thing.", "Do the\rthing."), "a carriage return not followed"),
        # CRLF becomes LF first; a CR left over is bare.
        (base.replace("\n", "\r\n").replace("Do the thing.", "Do\r the thing."), "a carriage"),
        (base.replace("\n", "\r\n").replace("For a", "For\x00 a"), "a NUL character"),
    ]
    for text, what in cases:
        normalised = text.replace("\r\n", "\n")
        at = normalised.find("\x00") if "\x00" in normalised else normalised.find("\r")
        line = normalised.count("\n", 0, at) + 1
        column = at - (normalised.rfind("\n", 0, at) + 1) + 1
        for form in (text, text.encode("utf-8")):
            outcome = _outcome(lambda form=form: maml.parse(form))
            assert outcome[:2] == ("error", MamlEncodingError)
            assert what in outcome[2]
            assert outcome[3] == (line, column)
