"""The fast ABI paths answer exactly what eth-abi answers: the same bytes, the same values, the
same errors, on generated values and on every single-byte change of their encodings."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle.chain import abi

TERMS = "(bytes32,address,uint96,uint32)"
VOTES = [f"(bytes32,bool,{TERMS})[]"]
STATES_IN = ["bytes32[]", f"{TERMS}[]"]
STATES_OUT = ["(uint8,uint8,uint8,uint40)[]", "bool[]"]
REQUESTED = ["bytes32", "uint96", "uint32", "uint40", "uint256", "bytes", "bytes", "bytes"]

word32 = st.binary(min_size=32, max_size=32)
address = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
terms = st.tuples(word32, address, st.integers(0, 2**96 - 1), st.integers(0, 2**32 - 1))
votes = st.lists(st.tuples(word32, st.booleans(), terms), max_size=8)
statuses = st.lists(
    st.tuples(
        st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.integers(0, 2**40 - 1)
    ),
    max_size=8,
)
requested = st.tuples(
    word32,
    st.integers(0, 2**96 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**40 - 1),
    st.integers(0, 2**256 - 1),
    st.binary(max_size=100),
    st.binary(max_size=40),
    st.binary(max_size=100),
)


def _same_decoding(types: list[str], data: bytes) -> None:
    try:
        expected: Any = abi_decode(types, data)
    except Exception as exc:  # eth-abi's decoding errors share no useful base class
        with pytest.raises(type(exc)):
            abi.decode(types, data)
        return
    assert abi.decode(types, data) == tuple(expected)


def _mutations(data: bytes, step: int) -> list[bytes]:
    return [data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :] for i in range(0, len(data), step)]


@settings(max_examples=150, deadline=None)
@given(ballots=votes)
def test_a_vote_batch_encodes_as_eth_abi_encodes_it(ballots: list[Any]) -> None:
    assert abi.encode(VOTES, [ballots]) == abi_encode(VOTES, [ballots])


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(word32, terms), max_size=8))
def test_status_reads_encode_as_eth_abi_encodes_them(rows: list[Any]) -> None:
    args = [[row[0] for row in rows], [row[1] for row in rows]]
    assert abi.encode(STATES_IN, args) == abi_encode(STATES_IN, args)
    assert abi.encode(["bytes32[]", "bytes32[]"], [args[0], []]) == abi_encode(
        ["bytes32[]", "bytes32[]"], [args[0], []]
    )


@settings(max_examples=100, deadline=None)
@given(rows=statuses, flags=st.lists(st.booleans(), max_size=8))
def test_status_answers_decode_as_eth_abi_decodes_them_and_every_changed_byte_too(
    rows: list[Any], flags: list[bool]
) -> None:
    data = abi_encode(STATES_OUT, [rows, flags])
    assert abi.decode(STATES_OUT, data) == (tuple(rows), tuple(flags))
    for changed in _mutations(data, 7):
        _same_decoding(STATES_OUT, changed)
    _same_decoding(STATES_OUT, data[:-1])
    _same_decoding(STATES_OUT, data + bytes(32))


@settings(max_examples=100, deadline=None)
@given(values=requested)
def test_a_request_log_encodes_as_eth_abi_encodes_it(values: tuple[Any, ...]) -> None:
    assert abi.encode(REQUESTED, values) == abi_encode(REQUESTED, values)
    commitment = ["bytes32", "bytes", "bytes", "bytes"]
    parts = (values[0], values[5], values[6], values[7])
    assert abi.encode(commitment, parts) == abi_encode(commitment, parts)


@settings(max_examples=100, deadline=None)
@given(values=requested)
def test_a_request_log_decodes_as_eth_abi_decodes_it_and_every_changed_byte_too(
    values: tuple[Any, ...],
) -> None:
    data = abi_encode(REQUESTED, values)
    assert abi.decode(REQUESTED, data) == values
    for changed in _mutations(data, 5):
        _same_decoding(REQUESTED, changed)
    for cut in (1, 31, 32):
        _same_decoding(REQUESTED, data[:-cut])
    _same_decoding(REQUESTED, data + bytes(32))


@pytest.mark.parametrize(
    ("types", "args"),
    [
        (["uint8"], [256]),
        (["uint96"], [-1]),
        (["bool"], [1]),
        (["address"], ["0x" + "zz" * 20]),
        (["address"], ["0x" + "ab" * 19]),
        (["bytes32"], [b"\x01" * 31]),
        (VOTES, [[(b"\x00" * 32, True, (b"\x00" * 32, "0x" + "11" * 20, 2**96, 0))]]),
        (VOTES, [[(b"\x00" * 32, True)]]),
        (["uint8", "uint8"], [1]),
        (["bytes"], ["text"]),
        (["bytes"], [bytearray(b"abc")]),
    ],
)
def test_values_off_the_fast_path_answer_as_eth_abi_answers(types: list[str], args: Any) -> None:
    # Refused with eth-abi's own error, or (a short bytes32) encoded as eth-abi encodes it.
    try:
        expected = abi_encode(types, args)
    except Exception as exc:  # eth-abi's encoding errors share no useful base class
        with pytest.raises(type(exc)):
            abi.encode(types, args)
        return
    assert abi.encode(types, args) == expected


def test_types_outside_the_fast_shapes_go_to_eth_abi() -> None:
    types = ["string", "int8", "bytes4", "(uint8,bytes)", "bytes[]"]
    args = ["text", -3, b"\x01\x02\x03\x04", (1, b"x"), [b"a", b"bc"]]
    data = abi.encode(types, args)
    assert data == abi_encode(types, args)
    assert abi.decode(types, data) == abi_decode(types, data)
