"""Turn the different ways nodes report a revert into one `ContractRevertError`.

Anvil, Ganache and geth answer a reverted `eth_call`/`eth_estimateGas` with the revert data, which
web3 raises as `ContractLogicError` (`ContractCustomError`, `ContractPanicError`) carrying `.data`
(Ganache's estimate puts it under `data["result"]`). The embedded eth-tester chain raises
`TransactionFailed` whose message holds the Python repr of the revert bytes. Both become the same
exception, decoded against the ABI's custom errors.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_hash.auto import keccak
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from web3.exceptions import ContractLogicError

from oracle.errors import ContractRevertError

if TYPE_CHECKING:
    from eth_tester.exceptions import TransactionFailed
    from eth_typing import ABI

#: Error(string): what `require(cond, "reason")` and `revert("reason")` produce.
_ERROR_STRING = bytes.fromhex("08c379a0")
#: Panic(uint256): failed assert, arithmetic overflow, out-of-bounds index, ...
_PANIC = bytes.fromhex("4e487b71")
_ETH_TESTER_PREFIX = "execution reverted: "


@dataclass(frozen=True, slots=True)
class _ErrorSpec:
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


class ErrorDecoder:
    """Decodes revert data against the custom errors of one contract's ABI."""

    def __init__(self, contract: str, abi: ABI) -> None:
        """Index the ABI's errors by selector; `contract` names the contract in messages."""
        self.contract = contract
        self._specs: dict[bytes, _ErrorSpec] = {
            _ERROR_STRING: _ErrorSpec("Error", ("message",), ("string",)),
            _PANIC: _ErrorSpec("Panic", ("code",), ("uint256",)),
        }
        for entry in abi:
            if entry.get("type") != "error":
                continue
            item = cast("dict[str, Any]", entry)
            inputs = list(item.get("inputs", []))
            types = tuple(collapse_if_tuple(dict(i)) for i in inputs)
            names = tuple(str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs))
            selector = keccak(f"{item['name']}({','.join(types)})".encode())[:4]
            self._specs[selector] = _ErrorSpec(str(item["name"]), names, types)

    def error(
        self, data: bytes, *, tx_hash: bytes | None = None, reason: str | None = None
    ) -> ContractRevertError:
        """The exception for revert `data` (name and arguments decoded when the ABI knows them)."""
        spec = self._specs.get(data[:4]) if len(data) >= 4 else None
        if spec is None:
            return ContractRevertError(
                self.contract, None, data=data, tx_hash=tx_hash, reason=reason
            )
        try:
            values = abi_decode(list(spec.types), data[4:])
        except (DecodingError, ValueError, OverflowError):
            return ContractRevertError(
                self.contract, None, data=data, tx_hash=tx_hash, reason=reason
            )
        args = {
            name: _plain(kind, value)
            for name, kind, value in zip(spec.names, spec.types, values, strict=True)
        }
        return ContractRevertError(
            self.contract, spec.name, args, data=data, tx_hash=tx_hash, reason=reason
        )

    def from_exception(
        self, exc: BaseException, *, tx_hash: bytes | None = None
    ) -> ContractRevertError | None:
        """The decoded revert an exception from web3 or eth-tester reports, or None for another."""
        if isinstance(exc, ContractLogicError):
            data = _data_of_logic_error(exc.data)
            if data is not None:
                return self.error(data, tx_hash=tx_hash)
            return self.error(b"", tx_hash=tx_hash, reason=_reason_text(exc))
        failure = _eth_tester_failure_class()
        if failure is not None and isinstance(exc, failure):
            data, reason = _data_of_eth_tester_failure(exc)
            return self.error(data, tx_hash=tx_hash, reason=reason)
        return None


def _eth_tester_failure_class() -> type[BaseException] | None:
    """eth-tester's `TransactionFailed`, or None while eth-tester has not been imported.

    Only the embedded chain imports eth-tester (and py-evm with it, most of a second); until it
    has, no exception can be one of its own, so decoding a node's revert does not import it.
    """
    module = sys.modules.get("eth_tester.exceptions")
    failure: type[BaseException] | None = getattr(module, "TransactionFailed", None)
    return failure


def _plain(kind: str, value: object) -> object:
    """Addresses checksummed, tuples and arrays as lists; everything else as decoded."""
    if kind == "address" and isinstance(value, str):
        return to_checksum_address(value)
    if isinstance(value, tuple | list):
        return [_plain(kind.removesuffix("[]"), item) for item in value]
    return value


def _hex_to_bytes(text: str) -> bytes | None:
    body = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        return bytes.fromhex(body)
    except ValueError:
        return None


def _data_of_logic_error(data: object) -> bytes | None:
    if isinstance(data, str):
        return _hex_to_bytes(data)
    if isinstance(data, bytes):
        return data
    if isinstance(data, dict):
        # Ganache: {"hash": ..., "programCounter": ..., "result": "0x...", "reason": ...}
        result = data.get("result") or data.get("data")
        if isinstance(result, str):
            return _hex_to_bytes(result)
    return None


def _reason_text(exc: BaseException) -> str | None:
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) else (str(exc.args[0]) if exc.args else "")
    return text.removeprefix(_ETH_TESTER_PREFIX) or None


def _data_of_eth_tester_failure(exc: TransactionFailed) -> tuple[bytes, str | None]:
    """Revert bytes (or a reason text) from eth-tester's `TransactionFailed`.

    py-evm reports a revert as `str(EVMRevert(data))`, which is the repr of the bytes; web3 prefixes
    it with "execution reverted: ". `ast.literal_eval` reads a bytes literal back and nothing else.
    An `Error(string)` revert arrives already decoded to its text, which cannot be told apart from
    py-evm's own failure messages ("Out of gas", an invalid opcode), so it is kept as the reason.
    """
    first: object = exc.args[0] if exc.args else ""
    if isinstance(first, Exception) and first.args:
        first = first.args[0]
    if isinstance(first, bytes):
        return first, None
    text = str(first).removeprefix(_ETH_TESTER_PREFIX)
    if text[:2] in ("b'", 'b"'):
        try:
            literal = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            literal = None
        if isinstance(literal, bytes):
            return literal, None
    return b"", text or None
