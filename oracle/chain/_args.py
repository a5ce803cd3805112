"""Argument checks for values handed to the contract: integers, bytes, addresses, block ranges."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

from eth_utils.address import is_address, to_checksum_address

from oracle.errors import InputError

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

#: Largest block range one log query may span. The embedded chain's eth_getLogs grows roughly
#: quadratically with the range, and public nodes cap it too: callers page through windows.
MAX_LOG_WINDOW: Final = 100_000


def uint(value: object, bits: int, what: str) -> int:
    """`value` if it is an integer in [0, 2**bits).

    Raises:
        InputError: otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise InputError(f"{what} must be an integer in [0, 2**{bits}), got {value!r}")
    return value


def as_bytes(value: object, what: str) -> bytes:
    """`value` as bytes.

    Raises:
        InputError: it is not bytes-like.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InputError(f"{what} must be bytes, got {type(value).__name__}")


def bytes32(value: object, what: str) -> bytes:
    """`value` if it is 32 bytes.

    Raises:
        InputError: otherwise.
    """
    raw = as_bytes(value, what)
    if len(raw) != 32:
        raise InputError(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


def address(value: object, what: str) -> ChecksumAddress:
    """`value` as a checksummed address.

    Raises:
        InputError: it is not an address.
    """
    checked = _checksummed(value) if isinstance(value, str) else None
    if checked is None:
        raise InputError(f"{what} is not an address: {value!r}")
    return checked


@functools.lru_cache(maxsize=4096)
def _checksummed(value: str) -> ChecksumAddress | None:
    # Two Keccak-256 hashes in pure Python per address (a mixed-case checksum checked, then
    # made), and the same few addresses (requesters, callbacks) come back in every vote batch.
    return to_checksum_address(value) if is_address(value) else None


def block(value: object, what: str) -> int:
    """`value` if it is a block number.

    Raises:
        InputError: otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{what} must be a block number, got {value!r}")
    return value


def window(from_value: object, to_value: object) -> tuple[int, int]:
    """A non-empty block window of at most `MAX_LOG_WINDOW` blocks.

    Raises:
        InputError: not block numbers, empty, or too long.
    """
    from_block, to_block = block(from_value, "from_block"), block(to_value, "to_block")
    if to_block < from_block:
        raise InputError(f"empty block window: from {from_block} to {to_block}")
    if to_block - from_block + 1 > MAX_LOG_WINDOW:
        raise InputError(
            f"block window {from_block}..{to_block} spans more than {MAX_LOG_WINDOW} blocks; "
            "query it in smaller windows"
        )
    return from_block, to_block
