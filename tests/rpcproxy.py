"""A lying node for tests: a JSON-RPC proxy on 127.0.0.1 that forwards to a real node and rewrites.

    with RpcProxy(anvil.rpc_url) as proxy:
        chain = connect(proxy.url, private_key=anvil.private_key)
        proxy.swap_key(key_id, other_public_key)     # KeyRegistered logs now carry another key
        proxy.fail("eth_getLogs", times=2, kind="429")

Each call, alone or inside a batch, meets the rules in this order:

1. `fail`: the first armed failure for the method fires (one of its `times` used up);
2. `drop_transactions`: an `eth_sendRawTransaction` is answered with its hash, never forwarded;
3. the call is forwarded upstream, and the answer rewritten: `swap_key` and `alter_request` in
   `eth_getLogs` answers and in receipts' logs; `invent_finalized`, then `drop_logs`, in
   `eth_getLogs` answers only.

Logs are handled in their JSON form (hex strings), which is also what `drop_logs` predicates see.
A batch is answered as a batch; when one of its calls fails at the HTTP level (429, 503), the
whole batch gets that HTTP answer, as it would from a rate-limited provider. The upstream must be
on this machine. Rules are thread-safe; `calls` and `raw_sends` are written under the same lock.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

from eth_abi.abi import decode, encode
from eth_hash.auto import keccak
from eth_utils.abi import event_abi_to_log_topic

from oracle.chain import CONTRACT_NAME, load_artifact

if TYPE_CHECKING:
    from eth_typing import ABIEvent

__all__ = ["FAILURE_KINDS", "RpcProxy"]

#: What `RpcProxy.fail` can make a call do.
FAILURE_KINDS: Final = frozenset({"429", "503", "cap", "server", "timeout"})
#: Seconds a client is told to wait after an HTTP 429.
RETRY_AFTER: Final = 1
_LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
_HEAD_TAGS: Final = frozenset({"latest", "pending", "safe", "finalized"})
_STOP_TIMEOUT: Final = 5.0

LogPredicate = Callable[[dict[str, Any]], bool]


# --- the verifier's events, from the committed ABI -------------------------------------------


@dataclass(frozen=True)
class _Event:
    topic: bytes
    #: Names and ABI types of the non-indexed inputs, in data order.
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]

    def replace(self, data: str, name: str, value: object) -> str:
        """The log data with the non-indexed input `name` set to `value`, ABI re-encoded."""
        values = list(decode(list(self.data_types), _unhex(data)))
        values[self.data_names.index(name)] = value
        return _hex(encode(list(self.data_types), values))


@cache
def _event(name: str) -> _Event:
    for entry in load_artifact(CONTRACT_NAME).abi:
        if entry.get("type") == "event" and entry.get("name") == name:
            event = cast("ABIEvent", entry)
            data = [i for i in event.get("inputs", []) if not i.get("indexed")]
            return _Event(
                topic=bytes(event_abi_to_log_topic(event)),
                data_names=tuple(i["name"] for i in data),
                data_types=tuple(i["type"] for i in data),
            )
    raise LookupError(f"{CONTRACT_NAME} has no event {name}")


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _unhex(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _quantity(value: object) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 16)


# --- rules ---------------------------------------------------------------------------------


@dataclass
class _Failure:
    kind: str
    remaining: int
    max_range: int
    delay: float


@dataclass(frozen=True)
class _Invented:
    request_id: bytes
    valid: bool
    block_number: int


@dataclass(frozen=True)
class _Outcome:
    """What one call comes to: a JSON-RPC answer (None for a notification) or an HTTP failure."""

    answer: dict[str, Any] | None = None
    http_status: int | None = None


class _UpstreamError(Exception):
    """The upstream node did not answer."""


class _Server(ThreadingHTTPServer):
    # Handler threads may sleep in a "timeout" rule: never let one hold up the test's exit.
    daemon_threads = True

    def __init__(self, proxy: RpcProxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, reply = self.server.proxy._answer(body)
        payload = json.dumps(reply).encode()
        try:
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", str(RETRY_AFTER))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (a "timeout" rule outlived its patience)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class RpcProxy:
    """A JSON-RPC proxy on 127.0.0.1 in front of `upstream_url`, with rules that make it lie."""

    def __init__(self, upstream_url: str, *, upstream_timeout: float = 10.0) -> None:
        """Prepare a proxy for `upstream_url`; `start` (or `with`) opens its port.

        Raises:
            ValueError: the upstream is not an http URL on this machine.
        """
        parts = urlsplit(upstream_url)
        if parts.scheme != "http" or parts.hostname not in _LOCAL_HOSTS:
            raise ValueError(f"the upstream must be http:// on 127.0.0.1, got {upstream_url!r}")
        self.upstream_url = upstream_url
        self.upstream_timeout = upstream_timeout
        #: Calls received per method: forwarded, failed or answered by a rule.
        self.calls: Counter[str] = Counter()
        #: Hash of every `eth_sendRawTransaction` received, dropped or forwarded, in order.
        self.raw_sends: list[bytes] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._swaps: dict[bytes, bytes] = {}
        self._alters: dict[bytes, bytes] = {}
        self._invented: list[_Invented] = []
        self._drops: list[LogPredicate] = []
        self._tx_drops = 0
        self._failures: dict[str, list[_Failure]] = {}

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` of the running proxy.

        Raises:
            RuntimeError: the proxy is not running.
        """
        if self._server is None:
            raise RuntimeError("the proxy is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RpcProxy:
        """Listen on a free port and serve in a daemon thread (listening before this returns)."""
        if self._server is not None:
            raise RuntimeError("the proxy is running already")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="rpcproxy",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut short any "timeout" sleep and close the port (bounded waits)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=_STOP_TIMEOUT)
        self._server = self._thread = None

    def __enter__(self) -> RpcProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- rules --------------------------------------------------------------------------------

    def swap_key(self, key_id: bytes, public_key: bytes) -> None:
        """`KeyRegistered` logs of `key_id` carry `public_key` (eth_getLogs and receipts)."""
        if len(key_id) != 32:
            raise ValueError(f"a key id is 32 bytes, got {len(key_id)}")
        with self._lock:
            self._swaps[bytes(key_id)] = bytes(public_key)

    def alter_request(self, request_id: bytes, message: bytes) -> None:
        """`VerificationRequested` logs of `request_id` carry `message` (commitment untouched)."""
        with self._lock:
            self._alters[_request_id(request_id)] = bytes(message)

    def invent_finalized(self, request_id: bytes, valid: bool, block_number: int) -> None:
        """`eth_getLogs` answers covering `block_number` and this event gain a fake
        `VerificationFinalized(requestId, valid, commitment, validVotes, invalidVotes)`.

        The log is well formed: the filter's address (the first one of a list; a filter without
        an address or by block hash gets none), the request's real commitment (read from its
        `VerificationRequested` log upstream; zero for a request the node never logged), one
        vote for `valid` and none against, made-up but stable block and transaction hashes, a
        transaction index and a log index after the block's real ones.
        """
        invented = _Invented(_request_id(request_id), bool(valid), block_number)
        with self._lock:
            self._invented.append(invented)

    def drop_logs(self, predicate: LogPredicate) -> None:
        """Remove the logs (JSON form) for which `predicate` is true from `eth_getLogs` answers."""
        with self._lock:
            self._drops.append(predicate)

    def drop_transactions(self, count: int = 1) -> None:
        """Answer the next `count` `eth_sendRawTransaction` calls with their hash, unforwarded."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        with self._lock:
            self._tx_drops += count

    def fail(
        self,
        method: str,
        *,
        times: int,
        kind: str,
        max_range: int = 0,
        delay: float | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail as `kind` (see `FAILURE_KINDS`).

        "429" and "503" answer with that HTTP status (429 with Retry-After); "cap" with error
        -32005 "query returned more than 10000 results", for `eth_getLogs` only when the range
        spans more than `max_range` blocks (0: always); "server" with error -32603 "internal
        error"; "timeout" sleeps `delay` seconds, then answers truthfully. Rules for one method
        fire in the order they were given.

        Raises:
            ValueError: an unknown kind, `times` below 1, or `delay` missing for "timeout".
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; kinds: {sorted(FAILURE_KINDS)}")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        if max_range < 0:
            raise ValueError(f"max_range must not be negative, got {max_range}")
        if (kind == "timeout") != (delay is not None):
            raise ValueError('give delay for kind "timeout", and only for it')
        if delay is not None and not 0 < delay <= 60:
            raise ValueError(f"delay must be in (0, 60] seconds, got {delay}")
        failure = _Failure(kind, times, max_range, delay or 0.0)
        with self._lock:
            self._failures.setdefault(method, []).append(failure)

    def reset_rules(self) -> None:
        """Forget every rule; the proxy forwards faithfully again (`calls`, `raw_sends` stay)."""
        with self._lock:
            self._swaps.clear()
            self._alters.clear()
            self._invented.clear()
            self._drops.clear()
            self._tx_drops = 0
            self._failures.clear()

    # --- serving ------------------------------------------------------------------------------

    def _answer(self, body: bytes) -> tuple[int, Any]:
        """HTTP status and JSON reply for one POST body, a single call or a batch."""
        try:
            request = json.loads(body)
        except ValueError:
            return 200, _error(None, -32700, "parse error")
        if isinstance(request, list):
            if not request:
                return 200, _error(None, -32600, "empty batch")
            outcomes = [self._call(call) for call in request]
            for outcome in outcomes:
                if outcome.http_status is not None:
                    return outcome.http_status, outcome.answer
            return 200, [o.answer for o in outcomes if o.answer is not None]
        outcome = self._call(request)
        return outcome.http_status or 200, outcome.answer

    def _call(self, call: object) -> _Outcome:
        if not isinstance(call, dict) or not isinstance(call.get("method"), str):
            return _Outcome(_error(None, -32600, "invalid request"))
        outcome = self._outcome(call)
        if "id" not in call and outcome.http_status is None:
            return _Outcome()  # a notification gets no answer
        return outcome

    def _outcome(self, call: dict[str, Any]) -> _Outcome:
        method: str = call["method"]
        call_id = call.get("id")
        with self._lock:
            self.calls[method] += 1
        try:
            failure = self._take_failure(method, call.get("params"))
            if failure is not None and failure.kind != "timeout":
                return _failed(call_id, failure.kind)
            if failure is not None:
                self._stopping.wait(failure.delay)
            if method == "eth_sendRawTransaction":
                dropped = self._take_send(call)
                if dropped is not None:
                    return _Outcome({"jsonrpc": "2.0", "id": call_id, "result": dropped})
            answer = self._upstream(call)
            if "result" in answer:
                answer["result"] = self._rewrite(method, call.get("params"), answer["result"])
        except _UpstreamError as err:
            return _Outcome(_error(call_id, -32603, f"rpcproxy: {err}"), http_status=502)
        except Exception as err:  # a bad rule or call: tell the test, never hang it
            return _Outcome(_error(call_id, -32603, f"rpcproxy: {type(err).__name__}: {err}"))
        return _Outcome(answer)

    def _take_failure(self, method: str, params: object) -> _Failure | None:
        with self._lock:
            armed = [f for f in self._failures.get(method, ()) if f.remaining > 0]
        if not armed:
            return None
        span = None
        if method == "eth_getLogs" and any(f.kind == "cap" and f.max_range for f in armed):
            span = self._span(_filter(params))
        with self._lock:
            for failure in self._failures.get(method, ()):
                if failure.remaining <= 0:
                    continue
                # "cap" with a range limit spares eth_getLogs calls within the limit.
                if failure.kind == "cap" and span is not None and span <= failure.max_range:
                    continue
                failure.remaining -= 1
                return failure
        return None

    def _take_send(self, call: dict[str, Any]) -> str | None:
        """Record a raw send; its hash when a `drop_transactions` rule swallows it."""
        params = call.get("params") or [""]
        tx_hash = keccak(_unhex(str(params[0])))
        with self._lock:
            self.raw_sends.append(tx_hash)
            if self._tx_drops > 0:
                self._tx_drops -= 1
                return _hex(tx_hash)
        return None

    def _upstream(self, call: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.upstream_url,
            data=json.dumps(call).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.upstream_timeout) as response:
                answer = json.loads(response.read())
        except (OSError, ValueError) as err:
            raise _UpstreamError(f"no answer from the upstream node ({err})") from err
        if not isinstance(answer, dict):
            raise _UpstreamError(f"the upstream answered a single call with {answer!r:.80}")
        return answer

    def _head(self) -> int:
        answer = self._upstream({"jsonrpc": "2.0", "id": "rpcproxy", "method": "eth_blockNumber"})
        return _quantity(answer["result"])

    def _range(self, log_filter: dict[str, Any]) -> tuple[int, int] | None:
        """The filter's block range, tags resolved upstream; None for a block-hash filter."""
        if "blockHash" in log_filter:
            return None
        head: int | None = None
        ends = []
        for name in ("fromBlock", "toBlock"):
            value = log_filter.get(name, "latest")
            if value == "earliest":
                ends.append(0)
            elif value is None or value in _HEAD_TAGS:
                head = self._head() if head is None else head
                ends.append(head)
            else:
                ends.append(_quantity(value))
        return ends[0], ends[1]

    def _span(self, log_filter: dict[str, Any]) -> int:
        blocks = self._range(log_filter)
        return 1 if blocks is None else blocks[1] - blocks[0] + 1

    # --- rewriting ----------------------------------------------------------------------------

    def _rewrite(self, method: str, params: object, result: Any) -> Any:
        if method == "eth_getTransactionReceipt" and isinstance(result, dict):
            return {**result, "logs": [self._rewrite_log(log) for log in result.get("logs", [])]}
        if method != "eth_getLogs" or not isinstance(result, list):
            return result
        log_filter = _filter(params)
        logs = [self._rewrite_log(log) for log in result]
        logs += self._invent(log_filter)
        with self._lock:
            drops = list(self._drops)
        logs = [log for log in logs if not any(drop(log) for drop in drops)]
        logs.sort(key=lambda log: (_quantity(log["blockNumber"]), _quantity(log["logIndex"])))
        return logs

    def _rewrite_log(self, log: dict[str, Any]) -> dict[str, Any]:
        topics = [_unhex(t) for t in log.get("topics") or []]
        if len(topics) < 2:
            return log
        with self._lock:
            swapped = self._swaps.get(topics[1])
            altered = self._alters.get(topics[1])
        registered, requested = _event("KeyRegistered"), _event("VerificationRequested")
        if topics[0] == registered.topic and swapped is not None:
            return {**log, "data": registered.replace(log["data"], "publicKey", swapped)}
        if topics[0] == requested.topic and altered is not None:
            return {**log, "data": requested.replace(log["data"], "message", altered)}
        return log

    def _invent(self, log_filter: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            invented = list(self._invented)
        address = log_filter.get("address")
        if isinstance(address, list):
            address = address[0] if address else None
        if not invented or not address:
            return []
        blocks = self._range(log_filter)
        if blocks is None:
            return []
        finalized = _event("VerificationFinalized")
        logs: list[dict[str, Any]] = []
        next_index: dict[int, tuple[int, int]] = {}
        for fake in invented:
            topics = [_hex(finalized.topic), _hex(fake.request_id)]
            if not blocks[0] <= fake.block_number <= blocks[1]:
                continue
            if not _topics_match(log_filter.get("topics"), topics):
                continue
            if fake.block_number not in next_index:
                next_index[fake.block_number] = self._after_real(fake.block_number)
            tx_index, log_index = next_index[fake.block_number]
            next_index[fake.block_number] = (tx_index + 1, log_index + 1)
            tx_hash = keccak(
                b"rpcproxy finalized"
                + fake.request_id
                + _word(fake.block_number)
                + bytes([fake.valid])
            )
            named = {
                "valid": fake.valid,
                "commitment": self._commitment(address, fake.request_id),
                "validVotes": int(fake.valid),
                "invalidVotes": int(not fake.valid),
            }
            values = [named[name] for name in finalized.data_names]
            logs.append(
                {
                    "address": address,
                    "topics": topics,
                    "data": _hex(encode(list(finalized.data_types), values)),
                    "blockNumber": hex(fake.block_number),
                    "blockHash": _hex(keccak(b"rpcproxy block" + _word(fake.block_number))),
                    "transactionHash": _hex(tx_hash),
                    "transactionIndex": hex(tx_index),
                    "logIndex": hex(log_index),
                    "removed": False,
                }
            )
        return logs

    def _commitment(self, address: str, request_id: bytes) -> bytes:
        """The commitment the request's real `VerificationRequested` log carries (zero if none)."""
        requested = _event("VerificationRequested")
        real = self._upstream(
            {
                "jsonrpc": "2.0",
                "id": "rpcproxy",
                "method": "eth_getLogs",
                "params": [
                    {
                        "address": address,
                        "fromBlock": "0x0",
                        "toBlock": "latest",
                        "topics": [_hex(requested.topic), _hex(request_id)],
                    }
                ],
            }
        ).get("result")
        if not real:
            return bytes(32)
        values = decode(list(requested.data_types), _unhex(real[0]["data"]))
        return bytes(values[requested.data_names.index("commitment")])

    def _after_real(self, block_number: int) -> tuple[int, int]:
        """Transaction and log index just past the real ones of a block."""
        block = hex(block_number)
        count = self._upstream(
            {
                "jsonrpc": "2.0",
                "id": "rpcproxy",
                "method": "eth_getBlockTransactionCountByNumber",
                "params": [block],
            }
        ).get("result")
        real = self._upstream(
            {
                "jsonrpc": "2.0",
                "id": "rpcproxy",
                "method": "eth_getLogs",
                "params": [{"fromBlock": block, "toBlock": block}],
            }
        ).get("result")
        last = max((_quantity(log["logIndex"]) for log in real or []), default=-1)
        return _quantity(count or 0), last + 1


def _request_id(value: bytes) -> bytes:
    if len(value) != 32:
        raise ValueError(f"a request id is 32 bytes, got {len(value)}")
    return bytes(value)


def _filter(params: object) -> dict[str, Any]:
    if isinstance(params, list) and params and isinstance(params[0], dict):
        return params[0]
    return {}


def _topics_match(wanted: object, topics: list[str]) -> bool:
    """Whether a log with `topics` passes an eth_getLogs topic filter."""
    if not isinstance(wanted, list):
        return True
    for position, choice in enumerate(wanted):
        if choice is None or choice == []:
            continue
        if position >= len(topics):
            return False
        options = choice if isinstance(choice, list) else [choice]
        if topics[position].lower() not in {str(o).lower() for o in options}:
            return False
    return True


def _error(call_id: object, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "error": {"code": code, "message": message}}


def _failed(call_id: object, kind: str) -> _Outcome:
    if kind == "429":
        return _Outcome(_error(call_id, 429, "too many requests"), http_status=429)
    if kind == "503":
        return _Outcome(_error(call_id, -32603, "service unavailable"), http_status=503)
    if kind == "cap":
        return _Outcome(_error(call_id, -32005, "query returned more than 10000 results"))
    return _Outcome(_error(call_id, -32603, "internal error"))
