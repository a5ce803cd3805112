"""One decoded exception for every way a node reports a revert."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_hash.auto import keccak
from eth_tester.exceptions import TransactionFailed
from eth_utils.abi import collapse_if_tuple
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from oracle.chain import ErrorDecoder, load_artifact
from oracle.errors import ChainError, ContractRevertError

ABI = load_artifact("SignatureVerifier").abi
ERRORS = [entry for entry in ABI if entry["type"] == "error"]
SAMPLES: dict[str, Any] = {
    "address": "0x00000000000000000000000000000000DeaDBeef",
    "bytes32": bytes(range(32)),
    "uint8": 3,
    "uint32": 2**32 - 1,
    "uint40": 2**40 - 1,
    "uint48": 2**48 - 1,
    "uint96": 2**96 - 1,
    "bool": True,
    "uint256": 2**200 + 7,
}

#: Request ids are 32 bytes since SignatureVerifier 2.
REQUEST_ID = bytes.fromhex("5a" * 32)


def _decoder() -> ErrorDecoder:
    return ErrorDecoder("SignatureVerifier", ABI)


def _revert_data(name: str, types: list[str], values: list[Any]) -> bytes:
    return keccak(f"{name}({','.join(types)})".encode())[:4] + encode(types, values)


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e["name"])
def test_every_error_in_the_abi_decodes_by_name_with_named_arguments(error: Any) -> None:
    types = [collapse_if_tuple(dict(i)) for i in error["inputs"]]
    values = [SAMPLES[t] for t in types]
    decoded = _decoder().error(_revert_data(error["name"], types, values))
    assert decoded.error_name == error["name"]
    assert decoded.error_args == {
        i["name"]: v for i, v in zip(error["inputs"], values, strict=True)
    }
    assert str(decoded).startswith(f"SignatureVerifier reverted: {error['name']}(")


def test_the_message_shows_arguments_as_solidity_would_print_them() -> None:
    data = _revert_data(
        "SanitizerInvalidSignatureLength", ["uint8", "uint256", "uint256"], [1, 2420, 10]
    )
    assert str(_decoder().error(data)) == (
        "SignatureVerifier reverted: "
        "SanitizerInvalidSignatureLength(algorithm=1, expected=2420, actual=10)"
    )


def test_addresses_come_back_checksummed() -> None:
    data = _revert_data(
        "AccessControlInvalidDefaultAdmin", ["address"], [SAMPLES["address"].lower()]
    )
    assert _decoder().error(data).error_args == {"defaultAdmin": SAMPLES["address"]}


def test_builtin_error_string_and_panic_decode() -> None:
    text = _decoder().error(_revert_data("Error", ["string"], ["boom"]))
    assert (text.error_name, text.error_args) == ("Error", {"message": "boom"})
    panic = _decoder().error(_revert_data("Panic", ["uint256"], [0x11]))
    assert (panic.error_name, panic.error_args) == ("Panic", {"code": 0x11})


def test_unknown_short_or_truncated_revert_data_keeps_the_raw_bytes() -> None:
    unknown = _decoder().error(bytes.fromhex("deadbeef") + bytes(32))
    assert unknown.error_name is None
    assert unknown.data == bytes.fromhex("deadbeef") + bytes(32)
    assert "unknown error 0xdeadbeef (36 bytes of revert data)" in str(unknown)
    assert _decoder().error(b"\x01\x02").error_name is None
    full = _revert_data("VerifierUnknownRequest", ["bytes32"], [REQUEST_ID])
    assert _decoder().error(full[:20]).error_name is None
    empty = _decoder().error(b"")
    assert str(empty) == "SignatureVerifier reverted: no reason given"


def test_contract_revert_error_is_a_chain_error_and_carries_the_transaction() -> None:
    data = _revert_data("VerifierUnknownRequest", ["bytes32"], [REQUEST_ID])
    error = _decoder().error(data, tx_hash=b"\xab" * 32)
    assert isinstance(error, ChainError)
    assert error.tx_hash == b"\xab" * 32
    assert str(error) == (
        f"SignatureVerifier reverted in transaction 0x{'ab' * 32}: "
        f"VerifierUnknownRequest(requestId=0x{REQUEST_ID.hex()})"
    )


DATA = _revert_data("VerifierUnknownRequest", ["bytes32"], [REQUEST_ID])


@pytest.mark.parametrize(
    "exc",
    [
        ContractCustomError("0x" + DATA.hex(), data="0x" + DATA.hex()),  # Anvil, Ganache calls
        ContractLogicError("execution reverted", data={"result": "0x" + DATA.hex()}),  # Ganache
        TransactionFailed(f"execution reverted: {DATA!r}"),  # eth-tester through web3
        TransactionFailed(DATA),  # eth-tester raw
        TransactionFailed(ValueError(DATA)),  # eth-tester wrapping another exception
    ],
    ids=["custom-error", "ganache-estimate", "eth-tester-repr", "eth-tester-bytes", "wrapped"],
)
def test_every_node_dialect_decodes_to_the_same_error(exc: Exception) -> None:
    decoded = _decoder().from_exception(exc)
    assert decoded is not None
    assert (decoded.error_name, decoded.error_args) == (
        "VerifierUnknownRequest",
        {"requestId": REQUEST_ID},
    )


def test_a_revert_reason_without_data_is_kept_as_text() -> None:
    decoded = _decoder().from_exception(TransactionFailed("execution reverted: Out of gas"))
    assert decoded is not None
    assert decoded.error_name is None
    assert decoded.reason == "Out of gas"
    assert str(decoded) == "SignatureVerifier reverted: Out of gas"
    panic = _decoder().from_exception(ContractPanicError("Panic error 0x11", data=None))
    assert panic is not None
    assert panic.reason == "Panic error 0x11"


def test_a_bytes_literal_lookalike_is_not_evaluated_as_code() -> None:
    decoded = _decoder().from_exception(TransactionFailed("execution reverted: b'x' + __import__"))
    assert decoded is not None
    assert decoded.error_name is None
    assert decoded.reason == "b'x' + __import__"


def test_other_exceptions_are_not_reverts() -> None:
    assert _decoder().from_exception(ValueError("insufficient funds")) is None
    assert _decoder().from_exception(ContractRevertError("X", None)) is None
