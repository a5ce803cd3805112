"""Text forms used in documents: base64url without padding, `0x` key ids, RFC 3339 timestamps."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from typing import Any, Final

from oracle.types import KeyId

_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)


def b64url_encode(data: bytes) -> str:
    """base64url (RFC 4648 §5) without `=` padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode_standard(text: str) -> bytes | None:
    """binascii's strict decoder on `text` (base64url with its padding) mapped to base64."""
    # `-` and `_` become `+` and `/` (the caller refused those already); two replaces cost half
    # of one translate through a table.
    standard = text.encode("ascii").replace(b"-", b"+").replace(b"_", b"/")
    try:
        return binascii.a2b_base64(standard, strict_mode=True)
    except binascii.Error:
        return None


def _decode_simd(text: str) -> bytes | None:
    """pybase64's validating decoder on `text` (base64url with its padding)."""
    try:
        return _PYBASE64.b64decode(text, altchars=b"-_", validate=True)  # type: ignore[no-any-return]
    except (binascii.Error, ValueError):
        return None


try:
    # pybase64 decodes with SIMD: a 4.4 KB ML-DSA-65 signature value in ~1 us, where binascii
    # takes 5-10 us, the largest single cost of reading a signed 4 KiB document
    # (benchmarks/maml.py). binascii stays the fallback; both are checked alike by the tests.
    _PYBASE64: Any = import_module("pybase64")
    _decode: Callable[[str], bytes | None] = _decode_simd
except ImportError:  # a machine without the wheel: binascii (tests run both)
    _PYBASE64 = None
    _decode = _decode_standard


def b64url_decode(text: str) -> bytes | None:
    """The bytes of canonical unpadded base64url text, or None when it is not exactly that.

    Canonical means re-encoding gives the same text, so one byte string has one text form.
    """
    if not isinstance(text, str) or not text.isascii():
        return None
    # `+`, `/` and `=` are not base64url (memchr each); the decoder refuses every other
    # character outside the alphabet, and a wrong length.
    if "+" in text or "/" in text or "=" in text:
        return None
    tail = len(text) % 4
    if tail == 1:
        return None
    data = _decode(text + "==="[: -tail % 4] if tail else text)
    if data is None:
        return None
    # Decoders ignore the unused low bits of a final partial group; the text is canonical when
    # they are zero, i.e. when re-encoding the last byte or two gives its last characters (only
    # they, not the whole value, need encoding again).
    if tail and b64url_encode(data[-(tail - 1) :]) != text[-tail:]:
        return None
    return data


def utf8_size(text: str) -> int:
    """Length of `text` in UTF-8 bytes (without encoding it when it is ASCII)."""
    # isascii is a flag of the string object, no scan: a large ASCII body is sized for free.
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def key_id_text(key_id: bytes) -> str:
    """`0x` + 64 lowercase hex digits."""
    return "0x" + bytes(key_id).hex()


def parse_key_id(text: str) -> KeyId | None:
    """The 32 bytes of a `0x` + 64 lowercase hex key id, or None."""
    # `0x[0-9a-f]{64}` without the regex engine (cold code in a verification): the digits
    # read back exactly when they are 64 lowercase hex ones (`fromhex` takes capitals and
    # blanks too, and then the round trip differs; any other character raises).
    if not isinstance(text, str) or len(text) != 66 or not text.startswith("0x"):
        return None
    digits = text[2:]
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    return KeyId(raw) if raw.hex() == digits else None


#: Longest timestamp whose verdict `is_rfc3339` keeps (fractional seconds make them any length).
_CACHED_TIMESTAMP_SIZE: Final = 40


def is_rfc3339(text: str) -> bool:
    """Whether `text` is an RFC 3339 date-time (`2026-11-24T10:00:00Z`, offsets allowed)."""
    if not isinstance(text, str):
        return False
    if len(text) <= _CACHED_TIMESTAMP_SIZE:
        return _cached_rfc3339(text)
    return _rfc3339(text)


@functools.lru_cache(maxsize=1024)
def _cached_rfc3339(text: str) -> bool:
    # Deciding one costs a microsecond and a half (a regex, six integers, a datetime), and a
    # document's creation time is read again at each verification of it. Bounded: 1024 entries
    # of at most 40 characters.
    return _rfc3339(text)


def _rfc3339(text: str) -> bool:
    match = _RFC3339.fullmatch(text)
    if not match:
        return False
    offset = match.group(8)
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    year, month, day, hour, minute, seconds = map(int, match.group(1, 2, 3, 4, 5, 6))
    try:
        # RFC 3339 allows a leap second (60); datetime does not, so check the rest with 59.
        datetime(year, month, day, hour, minute, min(seconds, 59))
    except ValueError:
        return False
    return seconds <= 60
