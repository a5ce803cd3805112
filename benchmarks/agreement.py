"""liboqs (WebAssembly build, @oqs/liboqs-js) against every installed backend: the agreement table.

Runs every comparison of tests/liboqs_agreement.py once (the ML-DSA vectors liboqs can check,
fresh signatures both ways with one-bit mutants, ML-KEM-768 both ways raw and through envelopes, the
ML-KEM-768 vectors) and prints, per check, the cases, how many each implementation answered,
and the disagreements, which must be 0: the exit status is 1 otherwise.

    python benchmarks/agreement.py [--signatures 80] [--kem-rounds 20] [--json] [--out FILE]

Needs node and `npm install` (the pinned @oqs/liboqs-js) and the test extras (pqcrypto, kyber-py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# This checkout's package and test helpers, not whichever `oracle` is installed elsewhere.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.liboqs_agreement import CANNOT_CHECK, Tally, installed_backends, run_all  # noqa: E402
from tests.liboqs_js import LiboqsJsError, run_liboqs_js  # noqa: E402

#: Bounds on the sizes a caller may ask for (each signature costs four verifications per
#: implementation; each KEM round a few decapsulations, some in pure-Python kyber-py).
MAX_SIGNATURES = 2000
MAX_KEM_ROUNDS = 500


def report(tally: Tally, liboqs_version: str, node_version: str) -> dict[str, Any]:
    """The JSON report: one row per check, the totals, and what liboqs cannot check."""
    rows = [
        {
            "check": check,
            "cases": cases,
            "answered": tally.answered[check],
            "disagreements": len(tally.disagreements.get(check, [])),
            "first_disagreements": [c.describe() for c in tally.disagreements.get(check, [])[:5]],
        }
        for check, cases in tally.cases.items()
    ]
    return {
        "benchmark": "agreement",
        "liboqs_js": liboqs_version,
        "node": node_version,
        "backends": installed_backends(),
        "rows": rows,
        "cases": sum(tally.cases.values()),
        "disagreements": sum(len(found) for found in tally.disagreements.values()),
        "cannot_check": CANNOT_CHECK,
    }


def _bounded(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def _print_table(data: dict[str, Any]) -> None:
    print(f"liboqs-js {data['liboqs_js']} on Node {data['node']}; backends: {data['backends']}")
    print(f"{'check':56} {'cases':>6} {'disagree':>8}  answered by")
    for row in data["rows"]:
        answered = ", ".join(f"{name} {count}" for name, count in row["answered"].items())
        print(f"{row['check']:56} {row['cases']:>6} {row['disagreements']:>8}  {answered}")
        for line in row["first_disagreements"]:
            print(f"    {line}")
    print(f"{'total':56} {data['cases']:>6} {data['disagreements']:>8}")
    print("\nNot checked by liboqs:")
    for what, why in data["cannot_check"].items():
        print(f"- {what}: {why}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--signatures",
        type=_bounded(4, MAX_SIGNATURES),
        default=80,
        help="fresh signatures per ML-DSA parameter set, half made each way",
    )
    parser.add_argument(
        "--kem-rounds",
        type=_bounded(1, MAX_KEM_ROUNDS),
        default=20,
        help="rounds of each ML-KEM-768 raw and envelope check",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    args = parser.parse_args(argv)
    try:
        with run_liboqs_js() as liboqs:
            tally = run_all(liboqs, signatures=args.signatures, kem_rounds=args.kem_rounds)
            data = report(tally, liboqs.version, liboqs.node_version)
    except LiboqsJsError as err:
        print(f"agreement.py: {err}", file=sys.stderr)
        return 2
    if args.out:
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        _print_table(data)
    return 1 if data["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())
