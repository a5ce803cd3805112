"""Precision, recall and F1 of the rule-based prompt-injection screen on the labelled held-out
split (per class and overall), and texts screened per second over the whole labelled set.

A malicious text counts as found for its class when the screen flags it with a match of that
class; overall, a malicious text is found when it is flagged at all. A false positive of a class
is a benign text with a match of that class (a malicious text of another class that also matches
it, such as an extraction request that starts "ignore the task", is no false alarm).

    python benchmarks/screening.py [--split heldout] [--seconds 1.0] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from oracle.screening import CATEGORIES, load_rules  # noqa: E402

DATA = ROOT / "tests" / "data" / "screening" / "labelled-v1.jsonl"


@dataclass(frozen=True)
class Example:
    """One labelled text."""

    text: str
    malicious: bool
    category: str
    split: str


def load(path: Path = DATA) -> list[Example]:
    """The labelled set, in file order."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        examples.append(
            Example(row["text"], row["label"] == "malicious", row["category"], row["split"])
        )
    return examples


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


def _row(name: str, tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    return {
        "class": name,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def scores(examples: list[Example]) -> list[dict[str, Any]]:
    """A row per class, then the overall row (flagged or not, whatever the class)."""
    rules = load_rules()
    verdicts = [(example, rules.screen(example.text)) for example in examples]
    rows = []
    for category in CATEGORIES:
        tp = sum(1 for e, r in verdicts if e.category == category and category in r.categories)
        fp = sum(1 for e, r in verdicts if not e.malicious and category in r.categories)
        fn = sum(1 for e, r in verdicts if e.category == category and category not in r.categories)
        rows.append(_row(category, tp, fp, fn))
    tp = sum(1 for e, r in verdicts if e.malicious and r.flagged)
    fp = sum(1 for e, r in verdicts if not e.malicious and r.flagged)
    fn = sum(1 for e, r in verdicts if e.malicious and not r.flagged)
    rows.append(_row("overall", tp, fp, fn))
    return rows


def throughput(examples: list[Example], seconds: float) -> float:
    """Texts screened per second, one core, cycling over `examples`."""
    rules = load_rules()
    texts = [example.text for example in examples]
    count, start = 0, time.perf_counter()
    while True:
        for text in texts:
            rules.screen(text)
        count += len(texts)
        if time.perf_counter() - start >= seconds:
            return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="heldout", choices=["heldout", "train", "all"])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    examples = load()
    chosen = [e for e in examples if args.split in ("all", e.split)]
    result = {
        "benchmark": "screening",
        "rules_version": load_rules().version,
        "split": args.split,
        "benign": sum(1 for e in chosen if not e.malicious),
        "malicious": sum(1 for e in chosen if e.malicious),
        "rows": scores(chosen),
        "texts_per_second": round(throughput(examples, args.seconds)),
    }
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.json:
        print(text)
        return 0
    print(
        f"rules v{result['rules_version']}, {args.split} split: "
        f"{result['benign']} benign, {result['malicious']} malicious"
    )
    print(f"{'class':<26} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'f1':>7}")
    for row in result["rows"]:
        print(
            f"{row['class']:<26} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4} "
            f"{row['precision']:>9.3f} {row['recall']:>7.3f} {row['f1']:>7.3f}"
        )
    print(f"texts screened per second (one core): {result['texts_per_second']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
