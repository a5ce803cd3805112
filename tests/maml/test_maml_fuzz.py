"""Fuzzing the parser: any input gives a document or one of the package's errors, quickly."""

from __future__ import annotations

import contextlib
import time
import tracemalloc
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from oracle import maml
from oracle.errors import OracleError
from oracle.maml import parser
from tests.maml.maml_helpers import document, edited, read

FUZZ = settings(
    max_examples=300,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEEDS = [read(name) for name in ("minimal.maml.md", "full.maml.md", "history.maml.md")]


def _parse_or_error(data: str | bytes, *, lenient: bool = False) -> None:
    with contextlib.suppress(OracleError):
        maml.parse(data, lenient=lenient)


@FUZZ
@given(st.text(max_size=2000), st.booleans())
def test_arbitrary_text_parses_or_raises_a_package_error(text: str, lenient: bool) -> None:
    _parse_or_error(text, lenient=lenient)
    _parse_or_error("---\n" + text, lenient=lenient)
    _parse_or_error(f"---\n{text}\n---\n## Intent\nx\n## Context\ny\n", lenient=lenient)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_raise_a_package_error(data: bytes) -> None:
    _parse_or_error(data)
    _parse_or_error(b"---\n" + data + b"\n---\n## Intent\n## Context\n")


_YAMLISH = st.sampled_from(
    [
        *list("-:?!&*|>'\"#%@`[]{},\n\t ~.0123456789eE+_=<"),
        "---",
        "...",
        "\r",
        "\x00",
        "\ufeff",
        "é",
    ]
)


@FUZZ
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]), _YAMLISH),
        min_size=1,
        max_size=8,
    ),
)
def test_mutated_valid_documents_parse_verify_and_lint_without_crashing(
    seed: str, edits: list[tuple[float, str, str]]
) -> None:
    text = edited(seed, edits)
    try:
        doc = maml.parse(text)
    except OracleError:
        doc = None
    if doc is not None and not doc.is_encrypted:
        maml.verify(doc, [], require="any")
        maml.canonical_bytes(doc)
    findings = maml.lint(text)
    assert all(isinstance(f, maml.Finding) for f in findings)


_JSON_KEY = st.text(min_size=0, max_size=12)
_JSON_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
_JSON = st.recursive(
    _JSON_SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_KEY, inner, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(st.dictionaries(_JSON_KEY, _JSON, max_size=6))
# PyYAML folds U+0085 (NEL) to a space in single-quoted style: the writer double-quotes it.
@example({"\x85": "a\u2028b\u2029c"})
@example({"k": ["1e5", "yes", "0x1F", "2026-11-24", "", "-", "<<", "=", "~"]})
def test_any_json_mapping_renders_and_reads_back_to_the_same_canonical_json(
    extra: dict[str, Any],
) -> None:
    base = maml.parse(document())
    front = {**maml.model.thaw(base.front_matter), **{f"x{k}": v for k, v in extra.items()}}  # type: ignore[dict-item]
    text = maml.render(front, base.body)
    again = maml.parse(text)
    assert rfc8785.dumps(maml.model.thaw(again.front_matter)) == rfc8785.dumps(front)


def test_a_ten_megabyte_input_is_refused_fast_and_without_copies() -> None:
    data = b"---\n" + b"a" * (10 * 1024 * 1024)
    text = data.decode()
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(maml.MamlLimitError):
        maml.parse(data)
    with pytest.raises(maml.MamlLimitError):
        maml.parse(text)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 2 * 1024 * 1024  # refused on its length, before decoding or copying


def test_a_largest_allowed_document_parses_in_bounded_time_and_memory() -> None:
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n"
    body = "## Intent\nx\n## Context\n" + line * ((parser.MAX_DOCUMENT_BYTES - 4096) // len(line))
    text = document(body=body)
    tracemalloc.start()
    started = time.perf_counter()
    doc = maml.parse(text)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert doc.section("Context") is not None
    assert elapsed < 10.0
    assert peak < 12 * len(text)


def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    lol = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lol += f"{level}: &{level} [{', '.join([f'*{previous}'] * 9)}]\n"
    started = time.perf_counter()
    with pytest.raises(maml.MamlAnchorError) as caught:
        maml.parse(document(lol), lenient=True)
    assert caught.value.line == 7
    assert time.perf_counter() - started < 0.5


def test_deeply_nested_flow_collections_are_refused_without_recursion() -> None:
    depth = 50_000
    with pytest.raises((maml.MamlLimitError, maml.MamlSyntaxError)):
        maml.parse(document("deep: " + "[" * depth + "]" * depth + "\n"))
