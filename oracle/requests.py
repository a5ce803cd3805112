"""Service functions over requests, shared by the command line, the demo and the API to come:
open a request, find one on chain, wait for verdicts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from oracle.chain import MAX_LOG_WINDOW, VerificationRequested, check_request
from oracle.errors import InputError
from oracle.inputs import parse_hex
from oracle.types import RequestId

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from oracle.chain import SentTransaction, Verifier
    from oracle.crypto import PublicKey
    from oracle.domain import Request, RequestStatus

__all__ = ["find_request", "open_request", "parse_request_id", "wait_for_statuses"]


def parse_request_id(text: str) -> RequestId:
    """A request id from its 0x hex form (32 bytes).

    Raises:
        InputError: not 32 bytes of hex.
    """
    if text.strip().isdecimal():
        # Version 1 numbered requests 1, 2, 3...; say what replaced the numbers.
        raise InputError(
            f"request ids are 0x hex of 32 bytes (as `pqoracle request` prints them), got {text}"
        )
    return RequestId(parse_hex(text, what="request id", length=32))


def open_request(
    verifier: Verifier,
    key_id: bytes,
    message: bytes,
    context: bytes,
    signature: bytes,
    *,
    fee: int = 0,
    callback_gas_limit: int = 0,
    timeout: int = 0,
    public_key: PublicKey | None = None,
) -> tuple[Request, SentTransaction]:
    """Check a request against its key's parameter set and the verifier's settings, then open it.

    With `public_key` (whose id must be `key_id`), a key the verifier does not know yet travels
    inline and is registered by the same transaction.

    Raises:
        InputError: the key is not registered (and not given), `public_key` is another key, or a
            size, fee, timeout or callback gas limit the contract would refuse (checked before
            anything is paid).
        ContractRevertError, TransactionRejectedError, ChainConnectionError: sending.
    """
    if public_key is not None and public_key.key_id != bytes(key_id):
        raise InputError(f"the public key's id is not 0x{bytes(key_id).hex()}")
    algorithm_id = verifier.key_algorithm(key_id)
    inline = algorithm_id == 0 and public_key is not None
    if inline and public_key is not None:
        algorithm_id = public_key.algorithm.id
    if algorithm_id == 0:
        raise InputError(f"key 0x{bytes(key_id).hex()} is not registered on {verifier.address}")
    check_request(algorithm_id, message, context, signature)
    config = verifier.config()
    if fee < config.min_fee:
        raise InputError(f"the verifier asks a fee of at least {config.min_fee} wei, got {fee}")
    if timeout and not config.min_timeout <= timeout <= config.max_timeout:
        raise InputError(
            f"timeout {timeout} s is outside the verifier's bounds "
            f"[{config.min_timeout}, {config.max_timeout}]"
        )
    if callback_gas_limit > config.max_callback_gas_limit:
        raise InputError(
            f"callback gas limit {callback_gas_limit} is above the verifier's cap "
            f"{config.max_callback_gas_limit}"
        )
    if inline and public_key is not None:
        return verifier.request_verification_with_key_tx(
            public_key.algorithm.id,
            public_key.raw,
            message,
            context,
            signature,
            fee=fee,
            callback_gas_limit=callback_gas_limit,
            timeout=timeout,
        )
    return verifier.request_verification_tx(
        key_id,
        message,
        context,
        signature,
        fee=fee,
        callback_gas_limit=callback_gas_limit,
        timeout=timeout,
    )


def find_request(
    verifier: Verifier, request_id: bytes, *, from_block: int = 0, to_block: int | None = None
) -> Request:
    """The request `request_id` as its `VerificationRequested` log carries it, searched window by
    window from `from_block`.

    Raises:
        InputError: no such request in the blocks searched.
        ChainConnectionError: the node cannot be reached.
    """
    end = verifier.chain.block_number() if to_block is None else to_block
    start = from_block
    while start <= end:
        stop = min(start + MAX_LOG_WINDOW - 1, end)
        for event in verifier.events_of(VerificationRequested, start, stop):
            if event.request_id == request_id:
                return event.to_request()
        start = stop + 1
    raise InputError(
        f"no request 0x{bytes(request_id).hex()} was opened on {verifier.address} in blocks "
        f"{from_block}..{end}"
    )


def wait_for_statuses(
    verifier: Verifier,
    request_ids: Sequence[bytes],
    *,
    timeout: float = 0,
    poll_interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[RequestId, RequestStatus]:
    """Each request's status, polled until every one is closed or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = {RequestId(bytes(r)): verifier.status_of(r) for r in request_ids}
        if all(s.status.is_closed for s in statuses.values()):
            return statuses
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return statuses
        sleep(min(poll_interval, remaining))
