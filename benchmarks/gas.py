"""Gas used by SignatureVerifier 2 on Anvil, per ML-DSA parameter set, against each transaction's
EIP-7623 calldata floor and the targets of issue 7, with a plain ether transfer measured in the
same run.

    python benchmarks/gas.py [--json] [--out FILE] [--rpc-url URL [--private-key-file FILE]]
                             [--hardfork NAME]

Without --rpc-url the script starts its own Anvil on 127.0.0.1 (this checkout's node_modules) and
stops it at the end. With --rpc-url it uses that node: with --private-key-file that key pays,
otherwise a fresh account is funded from the node's first unlocked account (a development node:
the cancel row also needs `evm_increaseTime`).

For each parameter set a fresh verifier is deployed with three oracles at threshold 1, and a
fresh requester opens its requests, so "first" really is that requester's first request (it
writes the requester's count from zero). Keys and signatures are real (oracle.crypto) and random,
so figures move by a few dozen gas between runs with the number of zero bytes in them.

Every row has `floor_gas`, the EIP-7623 minimum of its transaction (21,000 + 10 per calldata token,
a zero byte 1 token and any other 4), which Prague and later charge when it is above the standard
cost, and `floor_ratio`, the gas used over that floor. Rows "per vote" divide a batch's gas and
floor by its votes. `target` and `passed` name the issue's target where one applies:

- requestVerification (a later request; ML-DSA-44, registered key, 32-byte message) <= 1.10 x floor;
- one vote finalising at threshold 1, in its own transaction, <= 34,000;
- a batch of 50 votes <= 12,000 per vote;
- threshold 3: the three votes together <= 3.3 x the threshold-1 vote;
- a consumer callback: its own gas plus <= 10,000 (the consumer's own gas from Anvil's call
  tracer; the row is the rest of the difference a callback makes to the vote).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# This checkout's package and artifacts, not whichever `oracle` is installed elsewhere.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from hexbytes import HexBytes  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from web3.types import RPCEndpoint  # noqa: E402

from oracle.chain import (  # noqa: E402
    Chain,
    ErrorDecoder,
    SentTransaction,
    connect,
    create_funded_account,
    deploy_artifact,
    fund,
    fund_from_node_account,
    load_artifact,
    transact,
)
from oracle.chain.devnode import anvil_binary, start_anvil  # noqa: E402
from oracle.crypto import ALGORITHMS, ML_DSA_44, Algorithm, SigningKey, verify  # noqa: E402
from oracle.errors import OracleError  # noqa: E402

CONTRACT = "SignatureVerifier"
SHORT_MESSAGE_BYTES = 32
MAX_MESSAGE_BYTES = 16_384
MAX_CONTEXT_BYTES = 255
BATCH_SIZES = (1, 10, 50)
#: Gas the recording consumer is given, and the consumer measured against it.
CALLBACK_GAS_LIMIT = 100_000
#: Ether a fresh account gets from a node's unlocked account when no key is given.
FUNDING_WEI = 10 * 10**18
#: What each oracle and requester of a parameter set gets: its gas for a few hundred transactions.
ACTOR_WEI = 2 * 10**17
TX_BASE_GAS = 21_000
#: (default, min, max) timeouts and callback cap of the benchmarked verifiers.
CONFIG = (0, 3_600, 60, 86_400, 500_000)

REQUEST_TARGET = 1.10
VOTE_TARGET = 34_000
BATCH_TARGET = 12_000
QUORUM_TARGET = 3.3
CALLBACK_TARGET = 10_000


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure."""

    operation: str
    algorithm: str | None
    #: Short machine-readable name of the case within the operation (e.g. "first", "50").
    case: str
    description: str
    gas_used: int
    #: gas_used divided by the plain transfer's gas.
    x_transfer: float
    calldata_bytes: int
    #: EIP-2028 price of the input bytes alone.
    calldata_gas: int
    #: EIP-7623 floor: 21,000 + 10 per calldata token (a zero byte is 1 token, others 4).
    floor_gas: int
    #: gas_used / floor_gas.
    floor_ratio: float
    #: The issue's target for this figure, e.g. "<= 34,000", or None.
    target: str | None
    passed: bool | None


def _calldata_costs(data: bytes) -> tuple[int, int]:
    zeros = data.count(0)
    nonzero = len(data) - zeros
    return 4 * zeros + 16 * nonzero, TX_BASE_GAS + 10 * (zeros + 4 * nonzero)


class Recorder:
    """Turns receipts into rows, with the transfer baseline of this run."""

    def __init__(self, chain: Chain, transfer: SentTransaction) -> None:
        self.chain = chain
        self.transfer_gas = transfer.gas_used
        self.rows: list[Row] = []
        self.add("transfer", None, "baseline", "plain ether transfer to a new account", transfer)

    def input_of(self, sent: SentTransaction) -> bytes:
        """The transaction's calldata."""
        return bytes(self.chain.w3.eth.get_transaction(HexBytes(sent.tx_hash))["input"])

    def add(
        self,
        operation: str,
        algorithm: str | None,
        case: str,
        description: str,
        sent: SentTransaction,
        *,
        target: str | None = None,
        passed: bool | None = None,
    ) -> Row:
        """Record one transaction's gas beside its calldata costs."""
        data = self.input_of(sent)
        calldata_gas, floor_gas = _calldata_costs(data)
        return self.figure(
            operation,
            algorithm,
            case,
            description,
            sent.gas_used,
            len(data),
            calldata_gas,
            floor_gas,
            target=target,
            passed=passed,
        )

    def figure(
        self,
        operation: str,
        algorithm: str | None,
        case: str,
        description: str,
        gas_used: int,
        calldata_bytes: int,
        calldata_gas: int,
        floor_gas: int,
        *,
        target: str | None = None,
        passed: bool | None = None,
    ) -> Row:
        """Record a figure that is not one transaction's (a share, a sum, a difference)."""
        row = Row(
            operation=operation,
            algorithm=algorithm,
            case=case,
            description=description,
            gas_used=gas_used,
            x_transfer=round(gas_used / self.transfer_gas, 2),
            calldata_bytes=calldata_bytes,
            calldata_gas=calldata_gas,
            floor_gas=floor_gas,
            floor_ratio=round(gas_used / floor_gas, 3) if floor_gas else 0.0,
            target=target,
            passed=passed,
        )
        self.rows.append(row)
        return row


class Contract:
    """A deployed contract driven through `transact` (dry run, decoded reverts, receipt)."""

    def __init__(self, chain: Chain, address: str, name: str = CONTRACT) -> None:
        self.chain = chain
        self.artifact = load_artifact(name)
        self.address = chain.w3.to_checksum_address(address)
        self.web3 = chain.w3.eth.contract(address=self.address, abi=self.artifact.abi)
        self.decoder = ErrorDecoder(name, self.artifact.abi)

    def as_(self, chain: Chain) -> Contract:
        """The same contract, signing as `chain`'s account."""
        return Contract(chain, self.address, self.artifact.name)

    def data(self, function: str, *args: Any) -> bytes:
        """ABI-encoded call data."""
        return bytes(HexBytes(self.web3.encode_abi(function, args=list(args))))

    def send(self, function: str, *args: Any, value: int = 0) -> SentTransaction:
        """Call `function` in a transaction."""
        data = self.data(function, *args)
        return transact(self.chain, to=self.address, data=data, value=value, decoder=self.decoder)

    def forward(self, through: Contract, function: str, *args: Any) -> SentTransaction:
        """Make test contract `through` call `function` of this contract (as msg.sender)."""
        data = through.data("forward", self.address, self.data(function, *args))
        return transact(self.chain, to=through.address, data=data, decoder=self.decoder)

    def requested(self, sent: SentTransaction) -> tuple[Any, ...]:
        """The `Vote` terms restated from the `VerificationRequested` event in `sent`."""
        (event,) = self.web3.events.VerificationRequested().process_receipt(
            {"logs": list(sent.logs)}
        )
        args = event["args"]
        terms = (args["commitment"], args["requester"], args["fee"], args["callbackGasLimit"])
        return args["requestId"], terms


def _deploy(chain: Chain, name: str, *args: Any) -> tuple[Contract, SentTransaction]:
    address, sent = deploy_artifact(chain, name, *args)
    return Contract(chain, address, name), sent


def _advance(chain: Chain, seconds: int) -> None:
    for method, params in (("evm_increaseTime", [seconds]), ("evm_mine", [])):
        answer: Any = chain.w3.provider.make_request(RPCEndpoint(method), params)
        if "error" in answer:
            raise OracleError(f"{chain.where} cannot move its clock ({method})")


def _callee_gas(chain: Chain, sent: SentTransaction, callee: str) -> int | None:
    """Gas the call into `callee` used, from the node's call tracer (None without one)."""
    try:
        answer: Any = chain.w3.provider.make_request(
            RPCEndpoint("debug_traceTransaction"),
            ["0x" + sent.tx_hash.hex(), {"tracer": "callTracer"}],
        )
    except Exception:  # a node without debug_ methods
        return None
    stack = [answer.get("result") or {}]
    while stack:
        frame = stack.pop()
        if str(frame.get("to", "")).lower() == callee.lower() and frame.get("type") == "CALL":
            return int(frame["gasUsed"], 16)
        stack.extend(frame.get("calls") or [])
    return None


class Bench:
    """One parameter set on a fresh verifier: keys, requests, and the oracles that vote."""

    def __init__(self, recorder: Recorder, algorithm: Algorithm) -> None:
        self.recorder = recorder
        self.algorithm = algorithm
        self.name = algorithm.name
        chain = recorder.chain
        accounts = [create_funded_account(chain, wei=ACTOR_WEI) for _ in range(4)]
        self.oracle_chains = [chain.with_account(a) for a in accounts[:3]]
        self.verifier, self.deployed = _deploy(
            chain,
            CONTRACT,
            0,
            chain.address,
            [c.address for c in self.oracle_chains],
            1,
            0,
            CONFIG,
        )
        self.admin = self.verifier
        self.oracles = [self.verifier.as_(c) for c in self.oracle_chains]
        self.requester = self.verifier.as_(chain.with_account(accounts[3]))
        self.key = SigningKey.generate(algorithm)
        self.message = os.urandom(SHORT_MESSAGE_BYTES)
        self.signature = self.key.sign(self.message)
        if not verify(algorithm, self.key.public_key, self.message, self.signature):
            raise OracleError(f"{self.name}: a fresh signature did not verify")
        self.key_id = b""

    def request(
        self,
        *,
        message: bytes | None = None,
        context: bytes = b"",
        signature: bytes | None = None,
        fee: int = 0,
        timeout: int = 0,
    ) -> tuple[SentTransaction, tuple[Any, ...]]:
        """Open a request on the registered key: the transaction and (id, terms)."""
        sent = self.requester.send(
            "requestVerification",
            self.key_id,
            self.message if message is None else message,
            context,
            self.signature if signature is None else signature,
            0,
            timeout,
            value=fee,
        )
        return sent, self.verifier.requested(sent)

    def ballot(self, opened: tuple[Any, ...], valid: bool = True) -> tuple[Any, ...]:
        """A vote on (id, terms)."""
        request_id, terms = opened
        return (request_id, valid, terms)

    def run(self, *, record_deploy: bool) -> None:
        """Every row of this parameter set."""
        rec, name, algorithm = self.recorder, self.name, self.algorithm
        if record_deploy:
            rec.add("deploy", None, "verifier", "SignatureVerifier 2, three oracles", self.deployed)
        sent = self.requester.send("registerKey", algorithm.id, self.key.public_key)
        self.key_id = self.requester.web3.events.KeyRegistered().process_receipt(
            {"logs": list(sent.logs)}
        )[0]["args"]["keyId"]
        rec.add(
            "registerKey", name, "new key", f"{algorithm.public_key_size}-byte public key", sent
        )

        first, first_opened = self.request()
        later, later_opened = self.request()
        extra = first.gas_used - later.gas_used
        rec.add(
            "requestVerification",
            name,
            "first",
            f"requester's first: {SHORT_MESSAGE_BYTES}-byte message, no context; writes its "
            f"request count from zero (+{extra:,} gas over a later one)",
            first,
        )
        later_floor = _calldata_costs(rec.input_of(later))[1]
        ratio = later.gas_used / later_floor
        rec.add(
            "requestVerification",
            name,
            "later",
            f"later: {SHORT_MESSAGE_BYTES}-byte message, no context",
            later,
            target=f"<= {REQUEST_TARGET:.2f} x floor" if algorithm is ML_DSA_44 else None,
            passed=ratio <= REQUEST_TARGET if algorithm is ML_DSA_44 else None,
        )
        big, context = os.urandom(MAX_MESSAGE_BYTES), os.urandom(MAX_CONTEXT_BYTES)
        maximal, _ = self.request(
            message=big, context=context, signature=self.key.sign(big, context)
        )
        rec.add(
            "requestVerification",
            name,
            "maximal",
            f"largest allowed: {MAX_MESSAGE_BYTES // 1024} KiB message, "
            f"{MAX_CONTEXT_BYTES}-byte context",
            maximal,
        )

        vote = self.oracles[0].send("vote", self.ballot(first_opened))
        rec.add(
            "vote",
            name,
            "quorum 1",
            "one vote that finalises at threshold 1, own transaction",
            vote,
            target=f"<= {VOTE_TARGET:,}",
            passed=vote.gas_used <= VOTE_TARGET,
        )
        self.oracles[1].send("vote", self.ballot(later_opened, False))

        for size in BATCH_SIZES:
            ballots = [self.ballot(self.request()[1]) for _ in range(size)]
            sent = self.oracles[0].send("voteBatch", ballots)
            calldata_gas, floor = _calldata_costs(rec.input_of(sent))
            per_vote = sent.gas_used // size
            rec.figure(
                "voteBatch",
                name,
                str(size),
                f"batch of {size} finalising votes, gas per vote",
                per_vote,
                len(rec.input_of(sent)) // size,
                calldata_gas // size,
                floor // size,
                target=f"<= {BATCH_TARGET:,} per vote" if size == 50 else None,
                passed=per_vote <= BATCH_TARGET if size == 50 else None,
            )

        self._quorum_three(vote)
        self._callback(vote)
        self._cancel_and_withdraw()

    def _quorum_three(self, single: SentTransaction) -> None:
        rec = self.recorder
        members = [c.address for c in self.oracle_chains]
        self.admin.send("announceOracleSetChange", members, 3)
        self.admin.send("applyOracleSetChange")
        _, opened = self.request()
        votes = [oracle.send("vote", self.ballot(opened)) for oracle in self.oracles]
        total = sum(v.gas_used for v in votes)
        inputs = [rec.input_of(v) for v in votes]
        costs = [_calldata_costs(data) for data in inputs]
        ratio = total / single.gas_used
        rec.figure(
            "vote",
            self.name,
            "quorum 3",
            f"three votes at threshold 3, each its own transaction; {ratio:.2f} x the "
            "threshold-1 vote",
            total,
            sum(len(data) for data in inputs),
            sum(c[0] for c in costs),
            sum(c[1] for c in costs),
            target=f"<= {QUORUM_TARGET} x quorum 1",
            passed=ratio <= QUORUM_TARGET,
        )
        self.admin.send("announceOracleSetChange", members, 1)
        self.admin.send("applyOracleSetChange")

    def _callback(self, plain: SentTransaction) -> None:
        rec, chain = self.recorder, self.recorder.chain
        consumer, _ = _deploy(chain, "RecordingConsumer")
        # Warm the consumer's storage once, so the measured callback writes non-zero to non-zero
        # slots like every later one.
        for _ in range(2):
            sent = self.admin.forward(
                consumer,
                "requestVerification",
                self.key_id,
                self.message,
                b"",
                self.signature,
                CALLBACK_GAS_LIMIT,
                0,
            )
            vote = self.oracles[0].send("vote", self.ballot(self.verifier.requested(sent)))
        own = _callee_gas(chain, vote, consumer.address)
        if own is None:
            return
        overhead = vote.gas_used - plain.gas_used - own
        calldata_gas, floor = _calldata_costs(rec.input_of(vote))
        rec.figure(
            "callback",
            self.name,
            "overhead",
            f"finalising vote with a callback ({vote.gas_used:,} gas) minus the same vote without "
            f"({plain.gas_used:,}) minus the consumer's own {own:,} gas",
            overhead,
            len(rec.input_of(vote)),
            calldata_gas,
            floor,
            target=f"<= {CALLBACK_TARGET:,} over its own gas",
            passed=overhead <= CALLBACK_TARGET,
        )

    def _cancel_and_withdraw(self) -> None:
        rec = self.recorder
        expiring, (request_id, terms) = self.request(fee=10**15, timeout=60)
        _advance(rec.chain, 61)
        cancelled = self.requester.send("cancel", request_id, terms)
        rec.add("cancel", self.name, "refund", "after the deadline, refunding a fee", cancelled)
        _, paid = self.request(fee=10**15)
        self.oracles[2].send("vote", self.ballot(paid))
        withdrawn = self.oracles[2].send("withdraw", self.oracle_chains[2].address)
        rec.add("withdraw", self.name, "earnings", "an oracle withdraws its fees", withdrawn)
        del expiring


def _node_info(chain: Chain) -> dict[str, object]:
    info: dict[str, object] = {"chain_id": chain.chain_id, "endpoint": chain.endpoint}
    try:
        info["client"] = str(chain.w3.client_version)
    except Exception:  # a node may not answer web3_clientVersion
        info["client"] = None
    try:
        answer: Any = chain.w3.provider.make_request(RPCEndpoint("anvil_nodeInfo"), [])
        info["hardfork"] = (answer.get("result") or {}).get("hardFork")
    except Exception:  # only Anvil has anvil_nodeInfo
        info["hardfork"] = None
    return info


def measure(
    chain: Chain, *, started_here: bool, algorithms: Sequence[Algorithm] = ALGORITHMS
) -> dict[str, object]:
    """Every row on `chain` (its account pays), with the node's description."""
    transfer = fund(chain, Account.create().address, 1)
    recorder = Recorder(chain, transfer)
    for index, algorithm in enumerate(algorithms):
        Bench(recorder, algorithm).run(record_deploy=index == 0)
    rows = [asdict(row) for row in recorder.rows]
    judged = [row for row in recorder.rows if row.passed is not None]
    return {
        "benchmark": "gas",
        "unit": "gas used per transaction (receipt gasUsed), or per vote for batches",
        "node": {**_node_info(chain), "started_here": started_here},
        "baseline": {"operation": "transfer", "gas_used": recorder.transfer_gas},
        "targets_met": all(row.passed for row in judged),
        "rows": rows,
    }


@contextmanager
def _chain(args: argparse.Namespace) -> Iterator[tuple[Chain, bool]]:
    """A paying connection and whether its node was started here."""
    if args.rpc_url is None:
        with start_anvil(anvil_binary(ROOT), hardfork=args.hardfork) as node:
            yield node.connect(poll_latency=0.01), True
        return
    if args.private_key_file is not None:
        key = SecretStr(args.private_key_file.read_text().strip())
        yield connect(args.rpc_url, private_key=key, poll_latency=0.01), False
        return
    reader = connect(args.rpc_url, poll_latency=0.01)
    account = Account.create()
    fund_from_node_account(reader, account.address, FUNDING_WEI)
    yield reader.with_account(account), False


def _table(report: dict[str, Any]) -> str:
    node = report["node"]
    lines = [
        f"node: {node['client']} chain {node['chain_id']} hardfork {node['hardfork']}; "
        f"baseline transfer {report['baseline']['gas_used']:,} gas",
        "",
        f"{'algorithm':9}  {'operation':19}  {'case':8}  {'gas':>9}  {'x_transfer':>10}  "
        f"{'calldata':>8}  {'floor_gas':>9}  {'x_floor':>7}  {'target':26}  {'pass':4}  note",
    ]
    for row in report["rows"]:
        floor = " (floor)" if row["calldata_bytes"] and row["gas_used"] == row["floor_gas"] else ""
        verdict = "" if row["passed"] is None else ("yes" if row["passed"] else "NO")
        lines.append(
            f"{row['algorithm'] or '-':9}  {row['operation']:19}  {row['case']:8}  "
            f"{row['gas_used']:>9,}  {row['x_transfer']:>10.2f}  {row['calldata_bytes']:>8,}  "
            f"{row['floor_gas']:>9,}  {row['floor_ratio']:>7.3f}  {row['target'] or '':26}  "
            f"{verdict:4}  {row['description']}{floor}"
        )
    lines += ["", f"targets met: {'yes' if report['targets_met'] else 'NO'}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object, no table")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    parser.add_argument("--rpc-url", help="measure on this node instead of a fresh Anvil")
    parser.add_argument(
        "--private-key-file", type=Path, help="with --rpc-url: hex key of a funded account"
    )
    parser.add_argument("--hardfork", help="the Anvil started here runs this hardfork")
    args = parser.parse_args(argv)
    if args.private_key_file is not None and args.rpc_url is None:
        parser.error("--private-key-file needs --rpc-url")
    if args.hardfork is not None and args.rpc_url is not None:
        parser.error("--hardfork applies to the Anvil started here, not to --rpc-url")
    try:
        with _chain(args) as (chain, started_here):
            report = measure(chain, started_here=started_here)
    except (OracleError, OSError) as err:
        print(f"gas.py: {' '.join(str(err).split())}", file=sys.stderr)
        return 3
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text if args.json else _table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
