"""Gas used by the verifier's entry points on Anvil, per ML-DSA parameter set, against a plain
ether transfer measured in the same run.

    python benchmarks/gas.py [--json] [--out FILE] [--rpc-url URL [--private-key-file FILE]]
                             [--hardfork NAME]

Without --rpc-url the script starts its own Anvil on 127.0.0.1 (this checkout's node_modules) and
stops it at the end. With --rpc-url it uses that node: with --private-key-file that key pays,
otherwise a fresh account is funded from the node's first unlocked account (a development node).

For each parameter set a fresh verifier is deployed, so "first" really is the verifier's first
request: it writes the request counter from zero (a new storage slot), every later request only
changes it. Keys and signatures are real (oracle.crypto) and random, so figures move by a few
dozen gas between runs with the number of zero bytes in them. The transfer is the baseline of the
`x_transfer` ratio; `calldata_gas` is what the transaction's input alone costs at 16 gas per
non-zero and 4 per zero byte (EIP-2028), and `floor_gas` is the EIP-7623 minimum (Prague and later)
that data-heavy transactions pay instead when it is higher.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from hexbytes import HexBytes
from pydantic import SecretStr
from web3.types import RPCEndpoint

from oracle.chain import (
    CONTRACT_NAME,
    Chain,
    ErrorDecoder,
    Role,
    SentTransaction,
    Verifier,
    connect,
    fund,
    fund_from_node_account,
    load_artifact,
    transact,
)
from oracle.chain.devnode import anvil_binary, start_anvil
from oracle.crypto import ALGORITHMS, Algorithm, SigningKey, verify
from oracle.errors import OracleError

ROOT = Path(__file__).resolve().parent.parent
SHORT_MESSAGE_BYTES = 32
MAX_MESSAGE_BYTES = 16_384
MAX_CONTEXT_BYTES = 255
#: Ether a fresh account gets from a node's unlocked account when no key is given.
FUNDING_WEI = 10 * 10**18
TX_BASE_GAS = 21_000


@dataclass(frozen=True, slots=True)
class Row:
    """One measured transaction."""

    operation: str
    algorithm: str | None
    #: Short machine-readable name of the case within the operation (e.g. "first", "maximal").
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

    def add(
        self,
        operation: str,
        algorithm: str | None,
        case: str,
        description: str,
        sent: SentTransaction,
    ) -> Row:
        """Record one transaction's gas beside its calldata costs."""
        data = bytes(self.chain.w3.eth.get_transaction(HexBytes(sent.tx_hash))["input"])
        calldata_gas, floor_gas = _calldata_costs(data)
        row = Row(
            operation=operation,
            algorithm=algorithm,
            case=case,
            description=description,
            gas_used=sent.gas_used,
            x_transfer=round(sent.gas_used / self.transfer_gas, 2),
            calldata_bytes=len(data),
            calldata_gas=calldata_gas,
            floor_gas=floor_gas,
        )
        self.rows.append(row)
        return row


def _deploy(chain: Chain) -> tuple[Verifier, SentTransaction]:
    # deploy_verifier returns only the contract; the benchmark needs the receipt too.
    artifact = load_artifact(CONTRACT_NAME)
    sent = transact(
        chain,
        to=None,
        data=artifact.constructor_data(0, chain.address),
        decoder=ErrorDecoder(CONTRACT_NAME, artifact.abi),
    )
    if sent.contract_address is None:
        raise OracleError("the deployment receipt names no contract")
    return Verifier(chain, sent.contract_address, artifact=artifact), sent


def measure_algorithm(recorder: Recorder, algorithm: Algorithm, *, record_deploy: bool) -> None:
    """Deploy a verifier, register a key, open first, later, maximal, invalid requests; fulfil."""
    chain, name = recorder.chain, algorithm.name
    verifier, deployed = _deploy(chain)
    if record_deploy:
        recorder.add("deploy", None, "verifier", "SignatureVerifier from the artifact", deployed)
    verifier.grant_role(Role.ORACLE, chain.address)

    key = SigningKey.generate(algorithm)
    event, sent = verifier.register_key_tx(algorithm.id, key.public_key)
    recorder.add(
        "registerKey", name, "new key", f"{algorithm.public_key_size}-byte public key", sent
    )

    def request(
        message: bytes, context: bytes, signature: bytes
    ) -> tuple[int, bytes, SentTransaction]:
        requested, sent = verifier.request_verification_tx(
            event.key_id, message, context, signature
        )
        return requested.request_id, requested.commitment, sent

    short = os.urandom(SHORT_MESSAGE_BYTES)
    short_signature = key.sign(short)
    # The same bytes twice, so the difference is the request counter's write alone.
    first_id, first_commitment, first = request(short, b"", short_signature)
    _, _, later = request(short, b"", short_signature)
    recorder.add(
        "requestVerification",
        name,
        "first",
        f"first on the verifier: {SHORT_MESSAGE_BYTES}-byte message, no context; writes the "
        f"request counter from zero (+{first.gas_used - later.gas_used:,} gas over a later one)",
        first,
    )
    recorder.add(
        "requestVerification",
        name,
        "later",
        f"later: {SHORT_MESSAGE_BYTES}-byte message, no context; request counter already set",
        later,
    )
    big, context = os.urandom(MAX_MESSAGE_BYTES), os.urandom(MAX_CONTEXT_BYTES)
    _, _, maximal = request(big, context, key.sign(big, context))
    recorder.add(
        "requestVerification",
        name,
        "maximal",
        f"later, largest allowed: {MAX_MESSAGE_BYTES // 1024} KiB message, "
        f"{MAX_CONTEXT_BYTES}-byte context",
        maximal,
    )
    tampered = bytes([short[0] ^ 0x01]) + short[1:]
    bad_id, bad_commitment, _ = request(tampered, b"", short_signature)

    # The verdicts come from a real verification, as the daemon's would.
    if not verify(algorithm, key.public_key, short, short_signature):
        raise OracleError(f"{name}: a fresh signature did not verify")
    if verify(algorithm, key.public_key, tampered, short_signature):
        raise OracleError(f"{name}: a signature verified over a tampered message")
    valid = verifier.fulfill(first_id, True, first_commitment)
    invalid = verifier.fulfill(bad_id, False, bad_commitment)
    recorder.add("fulfill", name, "valid", "verdict valid (signature verified)", valid)
    recorder.add("fulfill", name, "invalid", "verdict invalid (tampered message)", invalid)


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


def measure(chain: Chain, *, started_here: bool) -> dict[str, object]:
    """Every row on `chain` (its account pays), with the node's description."""
    transfer = fund(chain, Account.create().address, 1)
    recorder = Recorder(chain, transfer)
    for index, algorithm in enumerate(ALGORITHMS):
        measure_algorithm(recorder, algorithm, record_deploy=index == 0)
    return {
        "benchmark": "gas",
        "unit": "gas used per transaction (receipt gasUsed)",
        "node": {**_node_info(chain), "started_here": started_here},
        "baseline": {"operation": "transfer", "gas_used": recorder.transfer_gas},
        "rows": [asdict(row) for row in recorder.rows],
    }


@contextmanager
def _chain(args: argparse.Namespace) -> Iterator[tuple[Chain, bool]]:
    """A paying connection and whether its node was started here."""
    if args.rpc_url is None:
        with start_anvil(anvil_binary(ROOT), hardfork=args.hardfork) as node:
            yield node.connect(), True
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
        f"{'calldata':>8}  {'calldata_gas':>12}  {'floor_gas':>9}  note",
    ]
    for row in report["rows"]:
        floor = " (floor)" if row["calldata_bytes"] and row["gas_used"] == row["floor_gas"] else ""
        lines.append(
            f"{row['algorithm'] or '-':9}  {row['operation']:19}  {row['case']:8}  "
            f"{row['gas_used']:>9,}  {row['x_transfer']:>10.2f}  {row['calldata_bytes']:>8,}  "
            f"{row['calldata_gas']:>12,}  {row['floor_gas']:>9,}  {row['description']}{floor}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
