"""Precision, recall and F1 of the prompt-injection screens on the labelled held-out split (per
class and overall), and texts screened per second over the whole labelled set, for three screens:
the rules, the local classifier alone, and the rules then the classifier.

For the rules, a malicious text counts as found for its class when the screen flags it with a
match of that class; overall, a malicious text is found when it is flagged at all. A false
positive of a class is a benign text with a match of that class (a malicious text of another
class that also matches it, such as an extraction request that starts "ignore the task", is no
false alarm). The classifier names no class, so for the screens with it class rows give recall.

    python benchmarks/screening.py [--split heldout] [--screen NAME]... [--seconds 1.0] [--json]
                                   [--out FILE]

The classifier screens need the classifier extra (pip install -e '.[classifier]').
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from oracle.screening import CATEGORIES, ScreenResult, load_rules, screen  # noqa: E402
from oracle.screening.classifier import load_classifier  # noqa: E402

DATA = ROOT / "tests" / "data" / "screening" / "labelled-v1.jsonl"
#: The screens scored: the rules, the local classifier alone, and the rules then the classifier.
SCREENS = ("rules", "classifier", "rules+classifier")


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


def split_digest(split: str, path: Path = DATA) -> str:
    """SHA-256 (hex) of the labelled set's lines in `split`, in file order, each ending in a
    newline: a classifier head records the digest of the split it was trained on."""
    lines = [
        line + "\n"
        for line in path.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["split"] == split
    ]
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


def _row(name: str, tp: int, fp: int | None, fn: int) -> dict[str, Any]:
    recall = _ratio(tp, tp + fn)
    if fp is None:
        # A class row of a screen with the classifier: it names no class, so only recall.
        return {"class": name, "tp": tp, "fp": None, "fn": fn, "precision": None,
                "recall": recall, "f1": None}  # fmt: skip
    precision = _ratio(tp, tp + fp)
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


def screener(name: str = "rules") -> Callable[[str], ScreenResult]:
    """The screen called `name`: the rules, the classifier alone, or the rules then the
    classifier (what the API does with `screening_classifier` on).

    Raises:
        ConfigError: a screen with the classifier, without the classifier extra installed.
    """
    rules = load_rules()
    if name == "rules":
        return rules.screen
    classifier = load_classifier()
    if name == "classifier":
        return lambda text: classifier.screen_fields([("", text)], rules_version=rules.version)
    if name == "rules+classifier":
        return lambda text: screen(text, rules=rules, classifier=classifier)
    raise ValueError(f"no screen named {name!r}")


def scores(examples: list[Example], screen_name: str = "rules") -> list[dict[str, Any]]:
    """A row per class, then the overall row (flagged or not, whatever the class).

    For the rules, a malicious text is found for its class when a rule of that class matches
    it. The classifier names no class: with it, a malicious text is found for its class when the
    screen flags it at all, and class rows give recall only.
    """
    check = screener(screen_name)
    verdicts = [(example, check(example.text)) for example in examples]
    rows = []
    for category in CATEGORIES:
        ours = [(e, r) for e, r in verdicts if e.category == category]
        if screen_name == "rules":
            tp = sum(1 for _e, r in ours if category in r.categories)
            fp: int | None = sum(
                1 for e, r in verdicts if not e.malicious and category in r.categories
            )
        else:
            tp, fp = sum(1 for _e, r in ours if r.flagged), None
        rows.append(_row(category, tp, fp, len(ours) - tp))
    tp = sum(1 for e, r in verdicts if e.malicious and r.flagged)
    fp = sum(1 for e, r in verdicts if not e.malicious and r.flagged)
    fn = sum(1 for e, r in verdicts if e.malicious and not r.flagged)
    rows.append(_row("overall", tp, fp, fn))
    return rows


def throughput(examples: list[Example], seconds: float, screen_name: str = "rules") -> float:
    """Texts screened per second (one call a text), cycling over `examples` at least once."""
    check = screener(screen_name)
    texts = [example.text for example in examples]
    count, start = 0, time.perf_counter()
    while True:
        for text in texts:
            check(text)
        count += len(texts)
        if time.perf_counter() - start >= seconds:
            return count / (time.perf_counter() - start)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="heldout", choices=["heldout", "train", "all"])
    parser.add_argument(
        "--screen",
        action="append",
        choices=SCREENS,
        help="a screen to score (repeatable; default: all three)",
    )
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    names = args.screen or list(SCREENS)
    examples = load()
    chosen = [e for e in examples if args.split in ("all", e.split)]
    screens = {
        name: {
            "rows": scores(chosen, name),
            "texts_per_second": round(throughput(examples, args.seconds, name), 1),
        }
        for name in names
    }
    result: dict[str, Any] = {
        "benchmark": "screening",
        "rules_version": load_rules().version,
        "classifier_version": (load_classifier().head.version if set(names) - {"rules"} else None),
        "split": args.split,
        "benign": sum(1 for e in chosen if not e.malicious),
        "malicious": sum(1 for e in chosen if e.malicious),
        "screens": screens,
    }
    if "rules" in screens:
        # The rules-only figures where they always were, for readers of earlier results.
        result["rows"] = screens["rules"]["rows"]
        result["texts_per_second"] = round(screens["rules"]["texts_per_second"])
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.json:
        print(text)
        return 0
    print(
        f"rules v{result['rules_version']}, classifier v{result['classifier_version']}, "
        f"{args.split} split: {result['benign']} benign, {result['malicious']} malicious"
    )
    for name, figures in screens.items():
        print(f"\n{name}")
        print(
            f"{'class':<26} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'f1':>7}"
        )
        for row in figures["rows"]:
            fp = "-" if row["fp"] is None else row["fp"]
            print(
                f"{row['class']:<26} {row['tp']:>4} {fp:>4} {row['fn']:>4} "
                f"{_cell(row['precision']):>9} {_cell(row['recall']):>7} {_cell(row['f1']):>7}"
            )
        print(f"texts screened per second (one call a text): {figures['texts_per_second']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
