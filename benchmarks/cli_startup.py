"""Wall time of `pqoracle` commands that need no chain, each a fresh process, against the 0.3 s
limit and against a bare `python -c pass` started the same way in the same run.

Each command does its real work on small inputs (a message, a document, a key) written to a
temporary directory first, so the figure is what a user waits for: interpreter start, imports,
and the command itself. The commands run round-robin with the bare interpreter, so a change
in machine load shifts every row alike. The code measured is this checkout's `oracle/`.

    python benchmarks/cli_startup.py [--runs 20] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Seconds a command that needs no chain may take from start to exit.
LIMIT = 0.3
SEED = bytes(range(32))  # fixed benchmark keys: nothing is protected by them
MESSAGE = b"pqoracle startup benchmark\n"


@dataclass(frozen=True)
class Case:
    """One command line, and the files it creates (removed before each run so it can repeat)."""

    name: str
    args: tuple[str, ...]
    creates: tuple[Path, ...] = ()

    def reset(self) -> None:
        """Remove what an earlier run created."""
        for path in self.creates:
            path.unlink(missing_ok=True)


def prepare(workdir: Path) -> list[Case]:
    """Write keys, a message, a document and an envelope to `workdir`; the commands using them."""
    from oracle import maml
    from oracle.crypto import SigningKey
    from oracle.crypto.envelope import seal
    from oracle.crypto.kem import KemPrivateKey

    signer = SigningKey.from_seed("ML-DSA-65", SEED)
    recipient = KemPrivateKey.from_seed(SEED + SEED)
    files = {
        "signer.pem": signer.to_pem(),
        "signer.pem.pub": signer.public.to_pem(),
        "recipient.pem": recipient.to_pem(),
        "recipient.pem.pub": recipient.public_key.to_pem(),
        "message.txt": MESSAGE,
        "message.sig": signer.sign(MESSAGE),
        "sealed.pqe": seal(MESSAGE, [recipient.public_key], sender=signer).to_bytes(),
        "slither.json": b'{"success": true, "error": null, "results": {}}',
    }
    draft = maml.new_document(
        doc_type="benchmark",
        origin="agent://bench",
        intent="Measure how long a command takes to start.",
        context="Nothing depends on it.",
        doc_id="urn:uuid:00000000-0000-4000-8000-000000000000",
        created_at="2026-11-24T10:00:00Z",
    )
    files["draft.maml.md"] = draft.encode()
    files["signed.maml.md"] = maml.sign(draft, signer).encode()
    for name, data in files.items():
        (workdir / name).write_bytes(data)

    def at(name: str) -> str:
        return str(workdir / name)

    return [
        Case("--help", ("--help",)),
        Case("deploy --help", ("deploy", "--help")),
        Case(
            "keygen",
            ("keygen", "-o", at("new.pem")),
            (workdir / "new.pem", workdir / "new.pem.pub"),
        ),
        Case("sign", ("sign", "-k", at("signer.pem"), "--message-file", at("message.txt"))),
        Case(
            "verify",
            (
                "verify",
                *("-p", at("signer.pem.pub"), "--message-file", at("message.txt")),
                *("--signature-file", at("message.sig")),
            ),
        ),
        Case(
            "maml sign",
            ("maml", "sign", at("draft.maml.md"), "-k", at("signer.pem"), "-o", at("out.maml.md")),
        ),
        Case("maml verify", ("maml", "verify", at("signed.maml.md"), "-p", at("signer.pem.pub"))),
        Case("maml lint", ("maml", "lint", at("signed.maml.md"))),
        Case("maml digest", ("maml", "digest", at("signed.maml.md"))),
        Case("screen", ("screen", at("signed.maml.md"))),
        Case(
            "envelope keygen",
            ("envelope", "keygen", "-o", at("new-kem.pem")),
            (workdir / "new-kem.pem", workdir / "new-kem.pem.pub"),
        ),
        Case(
            "envelope encrypt",
            (
                *("envelope", "encrypt", at("message.txt"), "-r", at("recipient.pem.pub")),
                *("--sign-with", at("signer.pem"), "-o", at("out.pqe")),
            ),
        ),
        Case(
            "envelope decrypt",
            (
                *("envelope", "decrypt", at("sealed.pqe"), "-k", at("recipient.pem")),
                *("--expect-sender", at("signer.pem.pub"), "-o", at("opened.txt")),
            ),
        ),
        Case(
            "audit (saved Slither output)",
            (
                *("audit", "--key", at("signer.pem"), "--contracts", str(ROOT / "contracts")),
                *("--out-dir", at("audit"), "--slither-json", at("slither.json"), "--force"),
            ),
        ),
    ]


def environment() -> dict[str, str]:
    """The caller's environment without PQORACLE_* settings, this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQORACLE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def wall_time(name: str, argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds from start to exit of one process.

    Raises:
        RuntimeError: the process exited with a non-zero code (its stderr in the message).
    """
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        message = " ".join(done.stderr.decode(errors="replace").split())[-500:]
        raise RuntimeError(f"{name} exited {done.returncode}: {message}")
    return seconds


def p90(samples: list[float]) -> float:
    """The 90th percentile by nearest rank: a value that was measured, never interpolated."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def measure(runs: int) -> dict[str, Any]:
    """Times of every case and of the bare interpreter, `runs` rounds after one warm-up round."""
    env = environment()
    bare = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory(prefix="pqoracle-startup-") as tmp:
        workdir = Path(tmp)
        cases = prepare(workdir)
        samples: dict[str, list[float]] = {case.name: [] for case in cases}
        interpreter: list[float] = []
        for round_ in range(runs + 1):
            # Round 0 compiles bytecode and fills the file cache; it is not counted.
            seconds = wall_time("python -c pass", bare, workdir, env)
            if round_:
                interpreter.append(seconds)
            for case in cases:
                case.reset()
                argv = [sys.executable, "-m", "oracle.cli", *case.args]
                seconds = wall_time(f"pqoracle {case.name}", argv, workdir, env)
                if round_:
                    samples[case.name].append(seconds)
    bare_median, bare_p90 = statistics.median(interpreter), p90(interpreter)
    rows: list[dict[str, Any]] = []
    for case in cases:
        median, high = statistics.median(samples[case.name]), p90(samples[case.name])
        rows.append(
            {
                "command": case.name,
                "median_s": round(median, 4),
                "p90_s": round(high, 4),
                "median_x_limit": round(median / LIMIT, 3),
                "p90_x_limit": round(high / LIMIT, 3),
                "median_x_interpreter": round(median / bare_median, 2),
                "p90_x_interpreter": round(high / bare_p90, 2),
            }
        )
    return {
        "benchmark": "cli_startup",
        "python": sys.version.split()[0],
        "runs": runs,
        "limit_s": LIMIT,
        "interpreter": {
            "command": "python -c pass",
            "median_s": round(bare_median, 4),
            "p90_s": round(bare_p90, 4),
        },
        "within_limit": all(row["p90_s"] <= LIMIT for row in rows),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Print a table (or JSON) of the measurements; exit 3 when a command fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Timed runs of each command.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    parser.add_argument("--out", type=Path, help="Also write the JSON to this file.")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        result = measure(args.runs)
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 3
    text = json.dumps(result, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
        return 0
    bare = result["interpreter"]
    print(
        f"{result['runs']} runs, limit {LIMIT} s, python -c pass: median {bare['median_s']} s, "
        f"p90 {bare['p90_s']} s"
    )
    print(
        f"{'command':29} {'median s':>8} {'p90 s':>7} {'med/limit':>9} {'p90/limit':>9} "
        f"{'med/python':>10} {'p90/python':>10}"
    )
    for row in result["rows"]:
        print(
            f"{row['command']:29} {row['median_s']:>8} {row['p90_s']:>7} "
            f"{row['median_x_limit']:>9} {row['p90_x_limit']:>9} "
            f"{row['median_x_interpreter']:>10} {row['p90_x_interpreter']:>10}"
        )
    verdict = "every p90 within" if result["within_limit"] else "some p90 over"
    print(f"{verdict} the {LIMIT} s limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
