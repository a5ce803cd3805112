"""Milliseconds to sign one transaction, with eth-keys on coincurve (libsecp256k1) and on its
pure-Python backend, against a raw coincurve signature of a 32-byte hash in the same run.

Per backend: `sign` is `LocalSigner.sign_transaction` (eth-account: RLP, keccak, secp256k1);
`checked` is `sign_checked`, what every transaction of the package pays (the signature, then
the decode and the sender recovery that hold any `Signer` to the transaction asked for). Each
backend runs in a fresh interpreter, because eth-keys picks its backend at import
(`ECC_BACKEND_CLASS`).

    python benchmarks/signing.py [--seconds 1.0] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = {
    "coincurve": "eth_keys.backends.CoinCurveECCBackend",
    "native": "eth_keys.backends.NativeECCBackend",
}
KEY = bytes(range(1, 33))  # a fixed benchmark key: nothing is protected by it
#: Calls at most per measurement, whatever `--seconds` says.
MAX_CALLS = 1_000_000


def per_call_ms(func: Callable[[], object], seconds: float) -> float:
    """Milliseconds per call of `func`, over at least `seconds` (at most `MAX_CALLS` calls)."""
    func()
    calls, start = 0, time.perf_counter()
    while calls < MAX_CALLS:
        func()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return 1000 * (time.perf_counter() - start) / calls


def _measure(backend: str, seconds: float) -> dict[str, Any]:
    """Run in the child: this interpreter's eth-keys backend is `backend`."""
    import coincurve
    from eth_account import Account
    from eth_keys.backends import get_backend

    from oracle.chain.signer import LocalSigner, UnsignedTransaction, sign_checked

    signer = LocalSigner(Account.from_key(KEY))
    tx: UnsignedTransaction = {
        "chainId": 31337,
        "nonce": 7,
        "gas": 120_000,
        "value": 0,
        # A one-vote `voteBatch` call is about this long.
        "data": bytes(range(256)) + bytes(36),
        "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    raw_key, digest = coincurve.PrivateKey(KEY), bytes(range(32))
    return {
        "backend": backend,
        "eth_keys_backend": type(get_backend()).__name__,
        "raw_coincurve_sign_ms": per_call_ms(
            lambda: raw_key.sign_recoverable(digest, hasher=None), seconds
        ),
        "sign_ms": per_call_ms(lambda: signer.sign_transaction(tx), seconds),
        "checked_ms": per_call_ms(lambda: sign_checked(signer, tx), seconds),
    }


def _child(backend: str, seconds: float) -> dict[str, Any]:
    env = {**os.environ, "ECC_BACKEND_CLASS": BACKENDS[backend]}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, __file__, "--child", backend, "--seconds", str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120 + 10 * seconds,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(seconds: float) -> dict[str, Any]:
    """Both backends, each with ratios to the raw coincurve signature measured beside it."""
    rows = []
    for backend in BACKENDS:
        row = _child(backend, seconds)
        raw = row["raw_coincurve_sign_ms"]
        row["sign_x_raw"] = row["sign_ms"] / raw
        row["checked_x_raw"] = row["checked_ms"] / raw
        rows.append(row)
    by_name = {row["backend"]: row for row in rows}
    return {
        "seconds_per_measurement": seconds,
        "backends": rows,
        "native_over_coincurve_checked": by_name["native"]["checked_ms"]
        / by_name["coincurve"]["checked_ms"],
    }


def main() -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="Time per measurement.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument("--out", type=Path, help="Also write the JSON to this file.")
    parser.add_argument("--child", choices=sorted(BACKENDS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.seconds <= 60:
        parser.error("--seconds must be in (0, 60]")
    if args.child:
        print(json.dumps(_measure(args.child, args.seconds)))
        return
    report = run(args.seconds)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report))
        return
    print(f"{'backend':10}  {'raw sign':>9}  {'sign':>8}  {'checked':>8}  {'x raw':>6}")
    for row in report["backends"]:
        print(
            f"{row['backend']:10}  {row['raw_coincurve_sign_ms']:7.3f}ms  "
            f"{row['sign_ms']:6.3f}ms  {row['checked_ms']:6.3f}ms  {row['checked_x_raw']:6.1f}"
        )


if __name__ == "__main__":
    main()
