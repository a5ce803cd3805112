"""Fuzzing the envelope decoders: any input gives an Envelope or the package's own error, quickly,
without allocating more than the input's size."""

from __future__ import annotations

import json
import struct
import tracemalloc
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle.crypto import ML_DSA_44, SigningKey
from oracle.crypto.envelope import (
    MAX_ENVELOPE_SIZE,
    MAX_JSON_SIZE,
    Envelope,
    open_envelope,
    seal,
)
from oracle.crypto.kem import KemPrivateKey
from oracle.errors import EnvelopeFormatError, EnvelopeLimitError, OracleError

AAD = b"front matter"
MESSAGE = b"fuzzed body"

FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def _fixture() -> tuple[KemPrivateKey, bytes, str]:
    # Built once, outside the fixtures machinery: Hypothesis forbids function-scoped fixtures.
    key = KemPrivateKey.from_seed(bytes(range(64)))
    sender = SigningKey.from_seed(ML_DSA_44, bytes(32))
    envelope = seal(MESSAGE, [key.public_key], aad=AAD, sender=sender)
    return key, envelope.to_bytes(), envelope.to_json()


def _decode_bytes(data: bytes) -> Envelope | None:
    """Envelope.from_bytes, with every exception other than the package's own failing the test."""
    try:
        return Envelope.from_bytes(data)
    except OracleError:
        return None


def _decode_json(text: str | bytes) -> Envelope | None:
    try:
        return Envelope.from_json(text)
    except OracleError:
        return None


def _open_or_fail(envelope: Envelope | None) -> None:
    """Opening a decoded input gives the original plaintext or the package's own error."""
    if envelope is None:
        return
    key, _, _ = _fixture()
    try:
        plaintext = open_envelope(envelope, key, aad=AAD)
    except OracleError:
        return
    assert plaintext == MESSAGE


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """The original with a few byte flips, insertions, deletions or a cut."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "set"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "cut":
            del data[at:]
        elif kind == "set" and len(data) >= at + 4:
            data[at : at + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"]))
    return bytes(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_decode_to_an_envelope_or_the_package_error(data: bytes) -> None:
    _open_or_fail(_decode_bytes(data))


@FUZZ
@given(
    st.sampled_from([0, 1, 2, 255]),
    st.sampled_from([0, 1, 2, 255]),
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    st.binary(max_size=8192),
)
def test_headers_with_the_magic_and_random_fields_decode_or_fail_cleanly(
    version: int, suite: int, sender: int, count: int, tail: bytes
) -> None:
    data = b"PQE1" + struct.pack(">BBBH", version, suite, sender, count) + tail
    _open_or_fail(_decode_bytes(data))


@FUZZ
@given(st.data())
def test_mutated_envelopes_fail_cleanly_or_still_give_the_plaintext(data: st.DataObject) -> None:
    _, original, _ = _fixture()
    _open_or_fail(_decode_bytes(data.draw(mutated(original))))


@FUZZ
@given(st.data())
def test_mutated_json_envelopes_fail_cleanly_or_still_give_the_plaintext(
    data: st.DataObject,
) -> None:
    _, _, text = _fixture()
    changed = data.draw(mutated(text.encode()))
    _open_or_fail(_decode_json(changed))
    try:
        as_text = changed.decode("utf-8")
    except UnicodeDecodeError:
        return
    _open_or_fail(_decode_json(as_text))


@FUZZ
@given(st.text(max_size=2048))
def test_random_text_decodes_to_an_envelope_or_the_package_error(text: str) -> None:
    _open_or_fail(_decode_json(text))


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(st.data())
def test_envelope_json_with_random_member_values_fails_cleanly(data: st.DataObject) -> None:
    _, _, text = _fixture()
    document: dict[str, Any] = json.loads(text)
    target = data.draw(st.sampled_from(["root", "recipient", "sender"]))
    holder = (
        document
        if target == "root"
        else document["recipients"][0]
        if target == "recipient"
        else document["sender"]
    )
    member = data.draw(st.sampled_from(sorted(holder)) | st.text(max_size=8))
    holder[member] = data.draw(_JSON_VALUES)
    _open_or_fail(_decode_json(json.dumps(document)))


def _peak_while_refusing(
    decode: Any, data: Any, expected: type[Exception], match: str | None = None
) -> int:
    """Peak bytes allocated while `decode(data)` raises `expected`; the input is built before."""
    tracemalloc.start()
    try:
        with pytest.raises(expected, match=match):
            decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_huge_claimed_counts_and_lengths_are_rejected_before_allocation() -> None:
    _, original, _ = _fixture()
    count_at, length_at = 7, 9 + 1180 + 1312 + 12
    many = original[:count_at] + b"\xff\xff" + original[count_at + 2 :]
    huge = original[:length_at] + b"\xff\xff\xff\xff" + original[length_at + 4 :]
    # 32 MiB claimed, within the limit, a few bytes present: refused as truncated.
    large = original[:length_at] + struct.pack(">I", 1 << 25) + original[length_at + 4 :]
    # A few copies of the 5 KB input at most, never anything of the claimed size.
    budget = 256 * 1024
    assert _peak_while_refusing(Envelope.from_bytes, many, EnvelopeLimitError, "65535") < budget
    assert _peak_while_refusing(Envelope.from_bytes, huge, EnvelopeLimitError, "limit") < budget
    assert _peak_while_refusing(Envelope.from_bytes, large, EnvelopeFormatError, "trunc") < budget


def test_oversized_input_is_rejected_without_copying_it() -> None:
    blob = bytearray(MAX_ENVELOPE_SIZE + 1)
    blob[:4] = b"PQE1"
    peak = _peak_while_refusing(Envelope.from_bytes, memoryview(blob), EnvelopeLimitError)
    assert peak < 64 * 1024


def test_oversized_json_is_rejected_before_parsing() -> None:
    text = " " * (MAX_JSON_SIZE + 1)
    assert _peak_while_refusing(Envelope.from_json, text, EnvelopeLimitError) < 64 * 1024
