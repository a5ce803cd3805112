"""ML-DSA verifications per second, one core: `oracle.crypto.verify` on each backend against the raw
`cryptography` call with a pre-parsed key, and `SigningKey.sign` against a raw signature with a
pre-derived key, measured in the same run (each ratio is against its raw baseline).

    python benchmarks/crypto.py [--seconds 1.0] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import mldsa

from oracle.crypto import ALGORITHMS, Algorithm, SigningKey, backend_status, verify

SEED = bytes(range(32))
RAW_PRIVATE: dict[
    str, type[mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey]
] = {
    "ML-DSA-44": mldsa.MLDSA44PrivateKey,
    "ML-DSA-65": mldsa.MLDSA65PrivateKey,
    "ML-DSA-87": mldsa.MLDSA87PrivateKey,
}
RAW: dict[str, type[mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey]] = {
    "ML-DSA-44": mldsa.MLDSA44PublicKey,
    "ML-DSA-65": mldsa.MLDSA65PublicKey,
    "ML-DSA-87": mldsa.MLDSA87PublicKey,
}


def rate(func: Callable[[], object], seconds: float) -> float:
    """Calls per second of `func`, over at least `seconds` (and at most 1,000,000 calls)."""
    func()
    calls, start = 0, time.perf_counter()
    deadline = start + seconds
    while calls < 1_000_000:
        for _ in range(20):
            func()
        calls += 20
        if time.perf_counter() >= deadline:
            break
    return calls / (time.perf_counter() - start)


def _row(algorithm: str, path: str, per_second: float, baseline: float) -> dict[str, object]:
    return {
        "algorithm": algorithm,
        "path": path,
        "per_second": round(per_second),
        "ratio": round(per_second / baseline, 3),
    }


def measure_algorithm(
    algorithm: Algorithm, backends: list[str], seconds: float
) -> list[dict[str, object]]:
    """Raw baseline, signing, and `verify` on each backend for one parameter set."""
    message, context = b"x" * 256, b"pqoracle-bench"
    key = SigningKey.generate(algorithm)
    signature = key.sign(message, context)
    parsed = RAW[algorithm.name].from_public_bytes(key.public_key)
    baseline = rate(lambda: parsed.verify(signature, message, context), seconds)
    rows = [_row(algorithm.name, "raw cryptography verify (pre-parsed key)", baseline, baseline)]
    raw_private = RAW_PRIVATE[algorithm.name].from_seed_bytes(SEED)
    raw_signing = rate(lambda: raw_private.sign(message, context), seconds)
    rows.append(
        _row(algorithm.name, "raw cryptography sign (pre-derived key)", raw_signing, raw_signing)
    )
    seeded = SigningKey.from_seed(algorithm, SEED)
    signing = rate(lambda: seeded.sign(message, context), seconds)
    rows.append(_row(algorithm.name, "SigningKey.sign (cryptography)", signing, raw_signing))
    for backend in backends:
        call = partial(
            verify, algorithm, key.public_key, message, signature, context, backend=backend
        )
        rows.append(
            _row(algorithm.name, f"oracle.crypto.verify ({backend})", rate(call, seconds), baseline)
        )
    return rows


def measure(seconds: float) -> list[dict[str, object]]:
    """One row per (parameter set, path), each with its ratio to the raw baseline."""
    backends = [s.name for s in backend_status() if s.available]
    return [row for a in ALGORITHMS for row in measure_algorithm(a, backends, seconds)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    args = parser.parse_args(argv)
    rows = measure(args.seconds)
    report = {"benchmark": "crypto", "unit": "operations per second, one thread", "rows": rows}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{'algorithm':10} {'path':42} {'per second':>11} {'ratio':>6}")
        for row in rows:
            print(
                f"{row['algorithm']:10} {row['path']:42} {row['per_second']:>11} {row['ratio']:>6}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
