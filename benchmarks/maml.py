"""`.maml.md` sign and verify per second for a 4 KiB and a 1 MiB document, one core, next to raw
ML-DSA-65 (pyca/cryptography, pre-parsed key) over the same canonical bytes, in the same run.

The document paths include everything a caller pays: parsing, validation, canonical bytes,
SHA-256, ML-DSA, and (for sign) writing the document back. Raw rows sign the canonical bytes
themselves and the 32-byte digest the profile actually signs.

Every path is measured in `--rounds` interleaved rounds (each round measures every path once),
so a load change on a shared machine falls on both sides of a ratio: a row's rate is the median
of its rounds, and its ratio the median of the per-round ratios to the raw operation.

    python benchmarks/maml.py [--seconds 0.5] [--rounds 5] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import mldsa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # measure this checkout, whatever is installed
    sys.path.insert(0, str(ROOT))

from oracle import maml  # noqa: E402
from oracle.crypto import SigningKey  # noqa: E402

SIZES = {"4 KiB": 4 * 1024, "1 MiB": 1024 * 1024}
SEED = bytes(range(32))  # a fixed benchmark key: nothing is protected by it
CONTEXT = maml.DOCUMENT_CONTEXT.encode()
#: Upper bound on calls per measurement, whatever the time budget.
MAX_CALLS = 100_000


def rate(func: Callable[[], object], seconds: float) -> float:
    """Calls per second of `func` over about `seconds` (at least 3 calls, at most MAX_CALLS)."""
    func()
    calls, start = 0, time.perf_counter()
    while calls < MAX_CALLS:
        func()
        calls += 1
        if calls >= 3 and time.perf_counter() - start >= seconds:
            break
    return calls / (time.perf_counter() - start)


def make_document(size: int) -> str:
    """A valid unsigned document of about `size` bytes (Markdown paragraphs and a code block)."""
    head = maml.new_document(
        doc_type="benchmark",
        origin="agent://bench",
        intent="Measure signing and verification.",
        context="Synthetic content of a fixed size.",
        doc_id="urn:uuid:00000000-0000-4000-8000-000000000000",
        created_at="2026-11-24T10:00:00Z",
    )
    paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n\n"
    filler = paragraph * max(0, (size - len(head) - 40) // len(paragraph))
    return head + "\n## Content\n" + filler + "```text\nend\n```\n"


def measure(name: str, size: int, seconds: float, rounds: int) -> list[dict[str, object]]:
    """Rows for one document size: raw baselines first, then the document paths."""
    key = SigningKey.from_seed("ML-DSA-65", SEED)
    raw_private = mldsa.MLDSA65PrivateKey.from_seed_bytes(SEED)
    raw_public = raw_private.public_key()
    document = make_document(size)
    signed = maml.sign(document, key)
    canonical = maml.canonical_bytes(signed)
    digest = maml.document_digest(signed)
    sig_canonical = raw_private.sign(canonical, CONTEXT)
    sig_digest = raw_private.sign(digest, CONTEXT)
    assert maml.verify(signed, [key.public]).valid

    raw_sign = "raw ML-DSA-65 sign of the canonical bytes"
    raw_verify = "raw ML-DSA-65 verify of the canonical bytes"
    # (operation, path, function, the raw path it is compared with)
    paths: list[tuple[str, str, Callable[[], object], str]] = [
        ("sign", raw_sign, lambda: raw_private.sign(canonical, CONTEXT), raw_sign),
        (
            "sign",
            "raw ML-DSA-65 sign of the 32-byte digest",
            lambda: raw_private.sign(digest, CONTEXT),
            raw_sign,
        ),
        (
            "sign",
            "maml.sign (parse, canonicalise, sign, render)",
            lambda: maml.sign(document, key),
            raw_sign,
        ),
        (
            "verify",
            raw_verify,
            lambda: raw_public.verify(sig_canonical, canonical, CONTEXT),
            raw_verify,
        ),
        (
            "verify",
            "raw ML-DSA-65 verify of the 32-byte digest",
            lambda: raw_public.verify(sig_digest, digest, CONTEXT),
            raw_verify,
        ),
        (
            "verify",
            "maml.verify (parse, canonicalise, verify)",
            lambda: maml.verify(signed, [key.public]),
            raw_verify,
        ),
        ("parse", "maml.parse", lambda: maml.parse(signed), raw_verify),
    ]
    rates: dict[str, list[float]] = {path: [] for _, path, _, _ in paths}
    for _ in range(rounds):
        for _, path, func, _ in paths:
            rates[path].append(rate(func, seconds / rounds))
    return [
        {
            "document": name,
            "bytes": len(signed.encode()),
            "operation": operation,
            "path": path,
            "per_second": round(statistics.median(rates[path]), 1),
            "ratio": round(
                statistics.median(
                    mine / theirs for mine, theirs in zip(rates[path], rates[baseline], strict=True)
                ),
                3,
            ),
        }
        for operation, path, _, baseline in paths
    ]


def main(argv: list[str] | None = None) -> int:
    """Print a table (or JSON) of the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="Time per path, all rounds.")
    parser.add_argument("--rounds", type=int, default=5, help="Interleaved rounds (1-100).")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    parser.add_argument("--out", type=Path, help="Also write the JSON to this file.")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be in (0, 600]")
    if not 1 <= args.rounds <= 100:
        parser.error("--rounds must be in [1, 100]")
    rows = [
        row
        for name, size in SIZES.items()
        for row in measure(name, size, args.seconds, args.rounds)
    ]
    result = {
        "benchmark": "maml",
        "python": sys.version.split()[0],
        "seconds_per_measurement": args.seconds,
        "rounds": args.rounds,
        "ratio_baseline": "raw ML-DSA-65 over the canonical bytes (same operation, same size)",
        "ratio": "median over the rounds of this path's rate over the baseline's in that round",
        "rows": rows,
    }
    text = json.dumps(result, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
    else:
        print(f"{'document':9} {'op':6} {'per second':>11} {'ratio':>7}  path")
        for row in rows:
            print(
                f"{row['document']:9} {row['operation']:6} {row['per_second']:>11} "
                f"{row['ratio']:>7}  {row['path']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
