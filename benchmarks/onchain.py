"""Gas of verifying ML-DSA on chain, on Anvil: the project's exact FIPS 204 verifiers (ML-DSA-44,
-65 and -87) with a key seen once and with a registered (expanded) key, through both of their entry
points, the registration itself, next to the oracle
path (a request plus the vote that settles it), EIP-8355's proposed precompile prices, the EIP-7623
calldata floor of each transaction, and — with `--anchor` — another Solidity verifier measured on
the same node in the same run; and SignatureVerifier's optimistic mode (a post, a finalize, a
challenge that overturns a lie and one that confirms the verdict) and `verifyNow`, both with the
on-chain verifier as referee.

    python benchmarks/onchain.py [--json] [--out FILE] [--anchor ANCHOR.json] [--samples N]

Every figure is a mined transaction's gasUsed (a view function called by a transaction), so it
includes the 21,000 base and the calldata, as a user pays them. Keys and signatures are real
(pyca/cryptography) and fresh each run; a verify's gas moves by a few thousand with the signature
(SampleInBall's rejections, zero bytes in the calldata), so verify rows give the median of
`--samples` signatures with their minimum and maximum.

`--anchor FILE` reads a JSON description of another verifier: creation bytecodes to deploy in
order, then a valid verify's calldata sent to one of them, as `{"name", "commit", "deploy":
[hex, ...], "verify_to": index, "verify_calldata": hex, "key_setup": index or null}`, where the
calldata may name a deployed contract's address as `<i>` (replaced by its 40 hex digits);
nothing of it is built or shipped here. The row `ratio_to_anchor` is this project's registered-key
verify over the anchor's verify.

A key seen once costs ML-DSA-65 (~16M) and -87 (~27M) more than EIP-7825's 16,777,216 per
transaction: those rows are mined with a higher limit (the Anvil started here allows 100M) and say
`under_cap: false`; every registered-key row and every registration transaction fits the cap.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # measure this checkout, whatever is installed
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import mldsa  # noqa: E402
from web3 import Web3  # noqa: E402

from oracle.chain import Chain, ErrorDecoder, deploy_artifact, load_artifact, transact  # noqa: E402
from oracle.chain.devnode import anvil_binary, start_anvil  # noqa: E402
from oracle.crypto import ML_DSA_44  # noqa: E402
from oracle.errors import OracleError  # noqa: E402

#: EIP-7825's per-transaction gas cap: every row must fit under it.
TRANSACTION_GAS_CAP = 16_777_216
#: The issue's goals for a verify with a registered key.
GOAL_GAS, STRETCH_GAS = 6_000_000, 4_000_000
#: EIP-8355's proposed base prices, and its per-message-word price.
EIP8355_BASE = {"ML-DSA-44": 6_500, "ML-DSA-65": 9_000, "ML-DSA-87": 13_500}
EIP8355_PER_WORD = 6
MESSAGE = bytes(range(32))
#: Anvil's code size limit is raised only when an anchor needs it (`--anchor`); this project's
#: contracts are measured within EIP-170's 24,576 bytes either way (the tests deploy them so).
ANCHOR_CODE_SIZE_LIMIT = 100_000
#: Gas a transaction verifying with a key seen once may use (ML-DSA-87 needs ~27M).
RAW_GAS = 60_000_000
PARAMETER_SETS = ("ML-DSA-44", "ML-DSA-65", "ML-DSA-87")


def _gas_module() -> Any:
    """benchmarks/gas.py, for the oracle path's figures (one measurement code for both)."""
    spec = importlib.util.spec_from_file_location(
        "pqoracle_gas_benchmark", ROOT / "benchmarks" / "gas.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _floor(data: bytes) -> int:
    """EIP-7623's floor: 21,000 + 10 per calldata token (a zero byte 1 token, any other 4)."""
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


def _eip8355_price(parameter_set: str, message_bytes: int) -> int:
    return EIP8355_BASE[parameter_set] + EIP8355_PER_WORD * ((message_bytes + 31) // 32)


class Meter:
    """Sends transactions on one chain and keeps one row per figure."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.rows: list[dict[str, Any]] = []

    def send(
        self, to: str | None, data: bytes, name: str = "contract", gas: int = TRANSACTION_GAS_CAP
    ) -> Any:
        return transact(self.chain, to=to, data=data, decoder=ErrorDecoder(name, []), gas=gas)

    def deploy(self, artifact_name: str, *args: Any) -> str:
        return str(deploy_artifact(self.chain, artifact_name, *args)[0])

    def row(
        self, operation: str, case: str, gas: int | list[int], data: bytes, **extra: Any
    ) -> dict[str, Any]:
        samples = gas if isinstance(gas, list) else [gas]
        median = int(statistics.median(samples))
        row = {
            "operation": operation,
            "case": case,
            "gas_used": median,
            "min": min(samples),
            "max": max(samples),
            "samples": len(samples),
            "calldata_bytes": len(data),
            "floor_gas": _floor(data),
            "x_floor": round(median / _floor(data), 2),
            "under_cap": max(samples) <= TRANSACTION_GAS_CAP,
            **extra,
        }
        self.rows.append(row)
        return row


def _abi(artifact_name: str, function: str, *args: Any) -> bytes:
    contract = Web3().eth.contract(abi=load_artifact(artifact_name).abi)
    return bytes.fromhex(contract.encode_abi(function, list(args))[2:])


#: Private key classes of pyca/cryptography by parameter set.
_KEYS = {
    "ML-DSA-44": mldsa.MLDSA44PrivateKey,
    "ML-DSA-65": mldsa.MLDSA65PrivateKey,
    "ML-DSA-87": mldsa.MLDSA87PrivateKey,
}


def _signatures(parameter_set: str, count: int) -> list[tuple[bytes, bytes]]:
    """`count` (public key, signature) pairs over MESSAGE, empty context, one key."""
    key = _KEYS[parameter_set].generate()
    pk = key.public_key().public_bytes_raw()
    return [(pk, key.sign(MESSAGE)) for _ in range(count)]


def measure_verifier(meter: Meter, samples: int, parameter_set: str) -> dict[str, Any]:
    """One set's verifier: raw and registered keys, both entry points; returns key figures.

    A key seen once costs ML-DSA-65 and -87 more than EIP-7825's cap: those rows are mined with a
    higher gas limit (the node started here allows it) and marked `under_cap: false`.
    """
    level = parameter_set.removeprefix("ML-DSA-")
    name = f"MLDSA{level}Verifier"
    verifier = meter.deploy(name)
    precompile = meter.deploy(f"MLDSA{level}Precompile", verifier)
    pairs = _signatures(parameter_set, samples)
    pk = pairs[0][0]

    def gas_of(
        make: Callable[[bytes, bytes], tuple[str, bytes]], gas: int = TRANSACTION_GAS_CAP
    ) -> tuple[list[int], bytes]:
        used, data = [], b""
        for key, sig in pairs:
            to, data = make(key, sig)
            used.append(meter.send(to, data, gas=gas).gas_used)
        return used, data

    def by_function(key: bytes, sig: bytes) -> tuple[str, bytes]:
        return verifier, _abi(name, "verify", key, sig, MESSAGE, b"")

    def by_convention(key: bytes, sig: bytes) -> tuple[str, bytes]:
        return precompile, key + sig + MESSAGE

    price = _eip8355_price(parameter_set, len(MESSAGE))
    tag = {"parameter_set": parameter_set, "eip8355_price": price}
    used, data = gas_of(by_function, RAW_GAS)
    meter.row("verify", "key seen once: verify(pk, sig, msg, ctx)", used, data, **tag)
    used, data = gas_of(by_convention, RAW_GAS)
    meter.row("verify", "key seen once: EIP-8355 call", used, data, **tag)
    register_data = _abi(name, "register", pk)
    chunks = []
    for _ in range(3):
        chunks.append(meter.send(verifier, register_data).gas_used)
        form = meter.chain.w3.eth.call(
            {"to": verifier, "data": _abi(name, "formOf", Web3.keccak(pk))}
        )
        if int.from_bytes(bytes(form), "big") != 0:
            break
    register = meter.row(
        "register",
        f"expand a key into contract code, once: {len(chunks)} transaction(s)",
        chunks,
        register_data,
        parameter_set=parameter_set,
        total=sum(chunks),
    )
    used, data = gas_of(by_function)
    median = int(statistics.median(used))
    goals = {"goal_met": median <= GOAL_GAS, "stretch_met": median <= STRETCH_GAS}
    registered = meter.row(
        "verify",
        "registered key: verify(pk, sig, msg, ctx)",
        used,
        data,
        **tag,
        **(goals if parameter_set == "ML-DSA-44" else {}),
    )
    used, data = gas_of(by_convention)
    meter.row("verify", "registered key: EIP-8355 call", used, data, **tag)
    key, sig = pairs[0]
    bad = bytearray(sig)
    bad[70] ^= 1  # a z coefficient: decodes, then fails the final hash comparison
    data = _abi(name, "verify", key, bytes(bad), MESSAGE, b"")
    meter.row(
        "verify",
        "registered key: invalid signature (full work)",
        meter.send(verifier, data).gas_used,
        data,
        parameter_set=parameter_set,
    )
    return {
        "registered": registered["gas_used"],
        "register": register["total"],
        "verifier": verifier,
        "precompile": precompile,
    }


def measure_oracle_path(meter: Meter) -> None:
    """A request plus the vote that settles it at threshold 1 (benchmarks/gas.py's rows)."""
    gas = _gas_module()
    report = gas.measure(meter.chain, started_here=True, algorithms=[ML_DSA_44])
    picked = {
        (r["operation"], r["case"]): r for r in report["rows"] if r["algorithm"] == ML_DSA_44.name
    }
    request = picked[("requestVerification", "later")]
    vote = picked[("vote", "quorum 1")]
    for row, label in (
        (request, "oracle path: requestVerification (registered key)"),
        (vote, "oracle path: the settling vote"),
    ):
        meter.rows.append(
            {
                "operation": row["operation"],
                "case": label,
                "gas_used": row["gas_used"],
                "min": row["gas_used"],
                "max": row["gas_used"],
                "samples": 1,
                "calldata_bytes": row["calldata_bytes"],
                "floor_gas": row["floor_gas"],
                "x_floor": round(row["gas_used"] / row["floor_gas"], 2),
                "under_cap": True,
            }
        )  # fmt: skip


#: The on-chain verifier's gas limit in SignatureVerifier (a key seen once needs ~10.2M) and the
#: optimistic mode's bond and window in this benchmark.
ONCHAIN_VERIFY_GAS = 10_500_000
BOND_WEI = 10**18
WINDOW_SECONDS = 3_600


def measure_optimistic(meter: Meter, verifier44: str, precompile44: str) -> None:
    """Optimistic mode on a SignatureVerifier with three oracles (an honest one and two liars, each
    lie costing its poster its place): a post, a finalize after the window, a challenge that
    overturns a lie and one that confirms the verdict, with a registered key and with a key seen
    once, and verifyNow sent as a transaction. The meter's account challenges."""
    from eth_abi import encode

    from oracle.chain import create_funded_account, deploy_verifier

    chain, w3 = meter.chain, meter.chain.w3
    funding = 20 * BOND_WEI
    posters = [chain.with_account(create_funded_account(chain, wei=funding)) for _ in range(3)]
    honest, liars = posters[0], posters[1:]
    deployed = deploy_verifier(chain, oracles=[p.address for p in posters], threshold=1)
    abi = load_artifact("SignatureVerifier").abi
    contract: Any = w3.eth.contract(address=deployed.address, abi=abi)
    address = deployed.address

    def call(function: str, *args: Any, value: int = 0, by: Chain | None = None) -> Any:
        data = bytes.fromhex(contract.encode_abi(function, list(args))[2:])
        decoder = ErrorDecoder("SignatureVerifier", abi)
        sent = transact(
            by or chain, to=address, data=data, value=value, decoder=decoder, gas=RAW_GAS // 4
        )
        return sent, data

    call("setOnchainVerifier", ML_DSA_44.id, False, precompile44, ONCHAIN_VERIFY_GAS)
    call("setOnchainVerifier", ML_DSA_44.id, True, verifier44, ONCHAIN_VERIFY_GAS)
    call("setOptimisticConfig", (True, BOND_WEI, WINDOW_SECONDS))
    for poster in posters:
        call("depositBond", value=4 * BOND_WEI, by=poster)

    def key() -> tuple[Any, bytes, bytes]:
        private = mldsa.MLDSA44PrivateKey.generate()
        pk = private.public_key().public_bytes_raw()
        call("registerKey", ML_DSA_44.id, pk)
        return private, pk, Web3.keccak(bytes([ML_DSA_44.id]) + pk)

    def request(key_id: bytes, signature: bytes) -> tuple[bytes, tuple[Any, ...]]:
        nonce = contract.functions.requestCountOf(chain.address).call()
        request_id = contract.functions.requestIdOf(chain.address, nonce).call()
        call("requestVerification", key_id, MESSAGE, b"", signature, 0, 0)
        commitment = Web3.keccak(
            encode(["bytes32", "bytes", "bytes", "bytes"], [key_id, MESSAGE, b"", signature])
        )
        return request_id, (commitment, chain.address, 0, 0)

    registered_private, registered_pk, registered_id = key()
    register_data = _abi("MLDSA44Verifier", "register", registered_pk)
    meter.send(verifier44, register_data)  # the form, for the "registered key" rows
    once_private, once_pk, once_id = key()
    for label, private, pk, key_id, liar in (
        ("registered key", registered_private, registered_pk, registered_id, liars[0]),
        ("key seen once", once_private, once_pk, once_id, liars[1]),
    ):
        good = private.sign(MESSAGE)
        bad = bytearray(good)
        bad[70] ^= 1
        evidence = (ML_DSA_44.id, pk, MESSAGE, b"", good)
        # A lie (invalid posted for a valid signature), overturned.
        request_id, terms = request(key_id, good)
        sent, data = call("post", (request_id, False, terms), by=liar)
        if label == "registered key":
            meter.row(
                "post",
                "optimistic post (locks a bond)",
                sent.gas_used,
                data,
                parameter_set="ML-DSA-44",
            )
        sent, data = call("challenge", request_id, terms, evidence)
        meter.row(
            "challenge", f"{label}: overturns a lie", sent.gas_used, data, parameter_set="ML-DSA-44"
        )
        # A true verdict, challenged anyway: the challenge fails and finalises it.
        request_id, terms = request(key_id, good)
        call("post", (request_id, True, terms), by=honest)
        sent, data = call("challenge", request_id, terms, evidence)
        meter.row(
            "challenge",
            f"{label}: confirms the verdict",
            sent.gas_used,
            data,
            parameter_set="ML-DSA-44",
        )
        sent, data = call("verifyNow", key_id, pk, MESSAGE, b"", bytes(bad))
        meter.row(
            "verifyNow",
            f"{label}: invalid signature, as a transaction",
            sent.gas_used,
            data,
            parameter_set="ML-DSA-44",
        )
    request_id, terms = request(registered_id, registered_private.sign(MESSAGE))
    call("post", (request_id, True, terms), by=honest)
    w3.provider.make_request("evm_increaseTime", [WINDOW_SECONDS + 1])  # type: ignore[arg-type]
    sent, data = call("finalize", request_id, terms)
    meter.row(
        "finalize",
        "after the challenge window (frees the bond)",
        sent.gas_used,
        data,
        parameter_set="ML-DSA-44",
    )


def measure_anchor(meter: Meter, anchor: dict[str, Any]) -> int:
    """Deploy the anchor's contracts in order and send its valid verify; its verify gas."""
    addresses: list[str] = []
    setup = anchor.get("key_setup")
    for index, code in enumerate(anchor["deploy"]):
        init = bytes.fromhex(code.removeprefix("0x"))
        sent = meter.send(None, init, anchor["name"])
        addresses.append(str(sent.contract_address))
        if setup is not None and index == setup:
            meter.row("anchor", f"{anchor['name']}: key setup, once", sent.gas_used, init)
    address = addresses[int(anchor.get("verify_to", len(addresses) - 1))]
    calldata = anchor["verify_calldata"].removeprefix("0x")
    for index, deployed in enumerate(addresses):
        calldata = calldata.replace(f"<{index}>", deployed.removeprefix("0x").lower())
    data = bytes.fromhex(calldata)
    answer = meter.chain.w3.eth.call({"to": address, "data": data, "gas": TRANSACTION_GAS_CAP})
    if int.from_bytes(bytes(answer)[-32:] or b"\0", "big") != 1:
        raise OracleError(f"the anchor {anchor['name']} did not answer valid for its own example")
    row = meter.row("anchor", f"{anchor['name']}: verify", meter.send(address, data).gas_used, data)
    return int(row["gas_used"])


def measure(samples: int, anchor: dict[str, Any] | None) -> dict[str, Any]:
    extra = ["--code-size-limit", str(ANCHOR_CODE_SIZE_LIMIT)] if anchor else []
    with start_anvil(anvil_binary(ROOT), extra_args=["--gas-limit", "100000000", *extra]) as node:
        meter = Meter(node.connect(poll_latency=0.01))
        by_set = {name: measure_verifier(meter, samples, name) for name in PARAMETER_SETS}
        figures = by_set["ML-DSA-44"]
        measure_oracle_path(meter)
        measure_optimistic(meter, figures["verifier"], figures["precompile"])
        anchor_gas = measure_anchor(meter, anchor) if anchor else None
        client = str(meter.chain.w3.client_version)
    report: dict[str, Any] = {
        "benchmark": "onchain",
        "unit": "gas used per transaction (receipt gasUsed); verify rows: median of samples",
        "node": {"client": client, "code_size_limit": ANCHOR_CODE_SIZE_LIMIT if anchor else 24_576},
        "parameter_sets": {
            name: {"registered_verify": f["registered"], "register_total": f["register"]}
            for name, f in by_set.items()
        },
        "goal": {
            "registered_verify": GOAL_GAS,
            "stretch": STRETCH_GAS,
            "transaction_cap": TRANSACTION_GAS_CAP,
        },
        "registered_verify_gas": figures["registered"],
        "goal_met": figures["registered"] <= GOAL_GAS,
        "stretch_met": figures["registered"] <= STRETCH_GAS,
        "registered_rows_under_cap": all(
            row["under_cap"] for row in meter.rows if not row["case"].startswith("key seen once")
        ),
        "rows": meter.rows,
    }
    if anchor is not None and anchor_gas is not None:
        report["anchor"] = {
            "name": anchor["name"],
            "commit": anchor.get("commit"),
            "verify_gas": anchor_gas,
        }
        report["ratio_to_anchor"] = round(figures["registered"] / anchor_gas, 3)
    return report


def _table(report: dict[str, Any]) -> str:
    lines = [
        f"node: {report['node']['client']}",
        "",
        f"{'set':9}  {'operation':19}  {'case':52}  {'gas (median)':>12}  {'min':>10}  "
        f"{'max':>10}  {'x floor':>7}  {'cap':3}  eip8355",
    ]
    for row in report["rows"]:
        price = f"{row['eip8355_price']:,}" if "eip8355_price" in row else ""
        lines.append(
            f"{row.get('parameter_set', '-'):9}  {row['operation']:19}  {row['case']:52}  "
            f"{row['gas_used']:>12,}  {row['min']:>10,}  {row['max']:>10,}  "
            f"{row['x_floor']:>7.2f}  {'ok' if row['under_cap'] else 'OVER':3}  {price}"
        )
    lines.append("")
    lines.append(
        f"registered verify {report['registered_verify_gas']:,} gas: goal <= {GOAL_GAS:,} "
        f"{'met' if report['goal_met'] else 'NOT met'}, stretch <= {STRETCH_GAS:,} "
        f"{'met' if report['stretch_met'] else 'NOT met'}; every registered-key row and "
        f"registration under the cap: {'yes' if report['registered_rows_under_cap'] else 'NO'}"
    )
    if "ratio_to_anchor" in report:
        lines.append(
            f"anchor {report['anchor']['name']}: {report['anchor']['verify_gas']:,} gas; "
            f"ratio {report['ratio_to_anchor']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object, no table")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    parser.add_argument(
        "--anchor", type=Path, help="another verifier to measure (see the docstring)"
    )
    parser.add_argument("--samples", type=int, default=5, help="signatures per verify row (1-100)")
    args = parser.parse_args(argv)
    if not 1 <= args.samples <= 100:
        parser.error("--samples must be between 1 and 100")
    anchor = None
    if args.anchor is not None:
        try:
            anchor = json.loads(args.anchor.read_text())
            if not {"name", "deploy", "verify_calldata"} <= set(anchor):
                raise ValueError("needs name, deploy and verify_calldata")
        except (OSError, ValueError) as err:
            print(f"onchain.py: --anchor {args.anchor}: {err}", file=sys.stderr)
            return 2
    try:
        report = measure(args.samples, anchor)
    except (OracleError, OSError) as err:
        print(f"onchain.py: {' '.join(str(err).split())}", file=sys.stderr)
        return 3
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text if args.json else _table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
