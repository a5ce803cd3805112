"""ABI encoding and decoding of the shapes the daemon moves in bulk, without eth-abi's general
machinery: one-word values (unsigned integers, bool, address, bytes32), tuples of them, dynamic
arrays of such tuples (a vote batch, `statusesOf`'s arguments) and `bytes` fields (a request's
log, its commitment). Each answers exactly what eth-abi answers; anything else, and anything
unusual (a value out of range, a non-canonical offset, non-zero padding), is handed to eth-abi,
which then encodes, decodes or raises as it always does. Under a flood of requests eth-abi was a
quarter of the daemon's time.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode

__all__ = ["decode", "encode"]

_WORD: Final = 32


@functools.lru_cache(maxsize=256)
def _word_bits(kind: str) -> int | None:
    """Significant bits of a one-word ABI type read as an unsigned integer (bool: 1, address:
    160, bytes32: 256), else None."""
    if kind == "bool":
        return 1
    if kind == "address":
        return 160
    if kind == "bytes32":
        return 256
    if kind.startswith("uint") and kind[4:].isdigit():
        bits = int(kind[4:])
        return bits if 0 < bits <= 256 and bits % 8 == 0 else None
    return None


@functools.lru_cache(maxsize=256)
def _split_tuple(kind: str) -> tuple[str, ...] | None:
    """The component types of a tuple type `(a,b,(c,d))`, or None for another type."""
    if not (kind.startswith("(") and kind.endswith(")")):
        return None
    parts: list[str] = []
    depth, start = 0, 1
    for index, char in enumerate(kind[1:-1], start=1):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(kind[start:index])
            start = index + 1
    parts.append(kind[start:-1])
    return tuple(parts)


@functools.lru_cache(maxsize=256)
def _static_words(kind: str) -> tuple[str, ...] | None:
    """The one-word types a static type flattens to, in encoding order (a tuple of one-word
    types, nested or not), or None for a type this module does not encode itself."""
    if _word_bits(kind) is not None:
        return (kind,)
    parts = _split_tuple(kind)
    if parts is None:
        return None
    words: list[str] = []
    for part in parts:
        inner = _static_words(part)
        if inner is None:
            return None
        words.extend(inner)
    return tuple(words)


def _flatten(kind: str, value: Any, out: list[Any]) -> None:
    parts = _split_tuple(kind)
    if parts is None:
        out.append(value)
        return
    if not isinstance(value, tuple | list) or len(value) != len(parts):
        raise _Unusual
    for part, item in zip(parts, value, strict=True):
        _flatten(part, item, out)


class _Unusual(Exception):
    """A value the fast path does not take: eth-abi decides."""


def _word(kind: str, value: Any) -> bytes:
    bits = _word_bits(kind)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _Unusual
        return (1 if value else 0).to_bytes(_WORD, "big")
    if kind == "address":
        if not isinstance(value, str) or len(value) != 42 or value[:2] not in ("0x", "0X"):
            raise _Unusual
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raise _Unusual from None
        return bytes(12) + raw
    if kind == "bytes32":
        if not isinstance(value, bytes) or len(value) != _WORD:
            raise _Unusual
        return value
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Unusual
    if bits is None or value >> bits:
        raise _Unusual
    return value.to_bytes(_WORD, "big")


def _encode_fast(types: list[str] | tuple[str, ...], args: Any) -> bytes:
    if len(types) != len(args):
        raise _Unusual
    heads: list[bytes] = []
    tails: list[bytes] = []
    # Heads: one-word values and static tuples in place, each dynamic array as an offset.
    head_size = 0
    plans: list[tuple[str, tuple[str, ...], bool]] = []
    for kind in types:
        if kind == "bytes":
            plans.append((kind, (), True))
            head_size += _WORD
            continue
        is_array = kind.endswith("[]")
        element = kind[:-2] if is_array else kind
        words = _static_words(element)
        if words is None:
            raise _Unusual
        plans.append((element, words, is_array))
        head_size += _WORD if is_array else _WORD * len(words)
    tail_offset = head_size
    for (element, words, is_array), value in zip(plans, args, strict=True):
        if element == "bytes":
            if not isinstance(value, bytes):
                raise _Unusual
            # A length word, then the bytes right-padded with zeros to whole words.
            encoded = len(value).to_bytes(_WORD, "big") + value + bytes(-len(value) % _WORD)
            heads.append(tail_offset.to_bytes(_WORD, "big"))
            tails.append(encoded)
            tail_offset += len(encoded)
            continue
        if not is_array:
            heads.append(_words_of(element, words, value))
            continue
        if not isinstance(value, list | tuple):
            raise _Unusual
        encoded = len(value).to_bytes(_WORD, "big") + b"".join(
            _words_of(element, words, item) for item in value
        )
        heads.append(tail_offset.to_bytes(_WORD, "big"))
        tails.append(encoded)
        tail_offset += len(encoded)
    return b"".join(heads) + b"".join(tails)


def _words_of(element: str, words: tuple[str, ...], value: Any) -> bytes:
    flat: list[Any] = []
    _flatten(element, value, flat)
    if len(flat) != len(words):
        raise _Unusual
    return b"".join(_word(kind, item) for kind, item in zip(words, flat, strict=True))


def encode(types: list[str] | tuple[str, ...], args: Any) -> bytes:
    """`eth_abi.encode(types, args)`: the same bytes, or eth-abi's own error."""
    try:
        return _encode_fast(types, args)
    except _Unusual:
        return abi_encode(types, args)


def _read_word(kind: str, word: bytes) -> Any:
    value = int.from_bytes(word, "big")
    bits = _word_bits(kind)
    if bits is None or value >> bits:
        raise _Unusual
    if kind == "bool":
        return bool(value)
    if kind == "address":
        return "0x" + word[12:].hex()  # as eth-abi: lower case
    if kind == "bytes32":
        return word
    return value


def _read_static(kind: str, data: bytes, at: int) -> Any:
    """A static value (a one-word type or a tuple of them) encoded at offset `at`."""
    parts = _split_tuple(kind)
    if parts is None:
        return _read_word(kind, data[at : at + _WORD])
    values = []
    for part in parts:
        values.append(_read_static(part, data, at))
        words = _static_words(part)
        assert words is not None  # the caller checked the whole type
        at += _WORD * len(words)
    return tuple(values)


def _decode_fast(types: list[str] | tuple[str, ...], data: bytes) -> tuple[Any, ...]:
    size = len(data)
    if size < _WORD * len(types):
        raise _Unusual
    values: list[Any] = []
    # Where the next `bytes` tail must start for the encoding to be canonical (eth-abi's own):
    # tails follow the heads in order, each a length word and its data padded to whole words.
    expected = _WORD * len(types)
    for index, kind in enumerate(types):
        word = data[_WORD * index : _WORD * index + _WORD]
        is_array = kind.endswith("[]")
        if kind != "bytes" and not is_array:
            values.append(_read_word(kind, word))
            continue
        offset = int.from_bytes(word, "big")
        if offset != expected or offset + _WORD > size:
            raise _Unusual
        length = int.from_bytes(data[offset : offset + _WORD], "big")
        start = offset + _WORD
        if is_array:
            words = _static_words(kind[:-2])
            if words is None or length > size:
                raise _Unusual
            end = start + length * _WORD * len(words)
            if end > size:
                raise _Unusual
            values.append(
                tuple(
                    _read_static(kind[:-2], data, start + item * _WORD * len(words))
                    for item in range(length)
                )
            )
        else:
            end = start + -(-length // _WORD) * _WORD
            if end > size or any(data[start + length : end]):
                raise _Unusual
            values.append(data[start : start + length])
        expected = end
    if expected != size:
        raise _Unusual
    return tuple(values)


def decode(types: list[str] | tuple[str, ...], data: bytes) -> tuple[Any, ...]:
    """`eth_abi.decode(types, data)`: the same values, or eth-abi's own error."""
    try:
        return _decode_fast(types, data)
    except _Unusual:
        return tuple(abi_decode(types, data))
