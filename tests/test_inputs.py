from __future__ import annotations

import subprocess
import sys

import pytest

from oracle.errors import InputError
from oracle.inputs import json_too_deep, parse_address, parse_hex


def test_parse_hex_accepts_prefixed_and_bare_hex() -> None:
    assert parse_hex("0xdeadBEEF", what="x") == b"\xde\xad\xbe\xef"
    assert parse_hex("00ff", what="x") == b"\x00\xff"
    assert parse_hex("0x", what="x") == b""


@pytest.mark.parametrize(
    ("text", "reason"),
    [("0xzz", "not hex"), ("0xabc", "odd number"), ("0x 00", "not hex")],
)
def test_parse_hex_names_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=f"signature .*{reason}"):
        parse_hex(text, what="signature")


def test_parse_hex_checks_exact_and_maximum_sizes() -> None:
    with pytest.raises(InputError, match="must be 32 bytes, got 1"):
        parse_hex("0x00", what="key id", length=32)
    with pytest.raises(InputError, match="at most 2 bytes, got 3"):
        parse_hex("0x000000", what="context", max_length=2)


def test_parse_address_checksums_and_refuses_a_wrong_checksum() -> None:
    lower = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
    assert parse_address(lower) == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    with pytest.raises(InputError, match="EIP-55"):
        parse_address("0x5FbDB2315678afecb367f032d93F642f64180aA3")
    with pytest.raises(InputError, match="20-byte"):
        parse_address("0x1234")


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert not json_too_deep('{"a": "[[[[[[[[[[", "b": [1, [2]]}', 3)
    assert json_too_deep('{"a": [[[1]]]}', 3)
    assert not json_too_deep('{"a": "\\"[[[[[[[["}', 1)


def test_deep_json_is_refused_in_a_process_whose_recursion_limit_web3_raised() -> None:
    # py-evm and py_ecc raise the recursion limit to 100000 on import; json.loads of deeply nested
    # input then overflows the C stack. The decoder must refuse it before parsing.
    code = (
        "import sys, web3\n"
        "assert sys.getrecursionlimit() >= 100000\n"
        "from oracle.crypto.envelope import Envelope\n"
        "from oracle.errors import EnvelopeFormatError\n"
        "try:\n"
        "    Envelope.from_json('[' * 1_000_000)\n"
        "except EnvelopeFormatError as err:\n"
        "    print('refused:', err)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "nests deeper than" in result.stdout
