"""Validation of external text input (hex, addresses, sizes) shared by the CLI, daemon and API."""

from __future__ import annotations

import re

from oracle.errors import InputError

_HEX = re.compile(r"(?:0[xX])?([0-9a-fA-F]*)")


def parse_hex(
    text: str,
    *,
    what: str,
    length: int | None = None,
    max_length: int | None = None,
) -> bytes:
    """Decode `0x`-prefixed (or bare) hex into bytes, checking the decoded size.

    Raises:
        InputError: not hex, an odd number of digits, or the wrong size; the message names `what`.
    """
    if not isinstance(text, str):
        raise InputError(f"{what} must be hex text")
    stripped = text.strip()
    match = _HEX.fullmatch(stripped)
    if match is None:
        raise InputError(f"{what} is not hex: {_preview(stripped)}")
    digits = match.group(1)
    if len(digits) % 2:
        raise InputError(f"{what} has an odd number of hex digits ({len(digits)})")
    data = bytes.fromhex(digits)
    if length is not None and len(data) != length:
        raise InputError(f"{what} must be {length} bytes, got {len(data)}")
    if max_length is not None and len(data) > max_length:
        raise InputError(f"{what} must be at most {max_length} bytes, got {len(data)}")
    return data


def parse_address(text: str, *, what: str = "address") -> str:
    """A checksummed address from hex text; mixed-case input must carry a valid checksum.

    Raises:
        InputError: not a 20-byte hex address, or a wrong EIP-55 checksum.
    """
    # eth-utils takes longer to import than the rest of a chainless command together.
    from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address

    value = text.strip() if isinstance(text, str) else ""
    if not is_hex_address(value):
        raise InputError(f"{what} is not a 20-byte hex address: {_preview(value)}")
    body = value[2:] if value.lower().startswith("0x") else value
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise InputError(f"{what} has a wrong EIP-55 checksum: {value}")
    return to_checksum_address(value)


def _preview(text: str, limit: int = 24) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


# A JSON string (with escapes) or one structural bracket; base64 and hex payloads contain neither
# quotes nor brackets, so even a large document yields few matches.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def json_too_deep(text: str, max_depth: int) -> bool:
    """Whether JSON `text` nests arrays/objects deeper than `max_depth`, found without parsing.

    Check before `json.loads`: its C decoder recurses once per level, and py-evm and py_ecc (which
    web3 imports) raise the interpreter's recursion limit to 100000, so a few hundred thousand `[`
    overflow the C stack and kill the process instead of raising `RecursionError`.
    """
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False
