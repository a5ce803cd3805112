"""Train the prompt-injection classifier head on the labelled set's training split.

Embeds each training text with the packaged all-MiniLM-L6-v2 (the encoder the screen itself uses,
`oracle.screening.classifier.load_encoder`), chooses the L2 strength and the threshold by 5-fold
cross-validation on the training split alone (best F0.5: a false alarm refuses someone's document,
so precision weighs more than recall; the rules screen first), fits a logistic regression on the
whole split by Newton's method and writes the head file. The held-out split is never read.

Deterministic: nothing is random (the folds are fixed by file order, Newton's method starts from
zero), so the same labelled set and model give the same head.

    python scripts/train_classifier.py [--out FILE] [--check]

--check retrains and exits 1 unless the shipped head is what training gives now. Needs the
classifier extra (numpy comes with it).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.screening import DATA, load, split_digest  # noqa: E402
from oracle.screening.classifier import (  # noqa: E402
    MODEL_NAME,
    MODEL_PACKAGE,
    load_encoder,
    windows,
)

HEAD = ROOT / "oracle" / "screening" / "heads" / "v1.json"
VERSION = "1"
FOLDS = 5
L2_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(1, 20))
#: F-beta with beta 0.5: precision counts twice as much as recall.
BETA = 0.5
_NEWTON_STEPS = 100
_TOLERANCE = 1e-10


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (bias not penalised), by
    Newton's method from zero: at most 100 steps, stopping when a step moves nothing by 1e-10."""
    design = np.hstack([x, np.ones((len(x), 1))])
    penalty = l2 * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0
    theta = np.zeros(design.shape[1])
    for _ in range(_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(design @ theta)))
        gradient = design.T @ (p - y) / len(y) + penalty @ theta
        hessian = (design * (p * (1 - p))[:, None]).T @ design / len(y) + penalty
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < _TOLERANCE:
            break
    return theta[:-1], float(theta[-1])


def predict(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    """P(injection) for each row of `x`."""
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def folds(y: np.ndarray) -> np.ndarray:
    """The fold of each example: within each label, in file order, 0, 1, ..., FOLDS - 1, 0, ..."""
    fold = np.zeros(len(y), dtype=int)
    for label in (0.0, 1.0):
        members = np.flatnonzero(y == label)
        fold[members] = np.arange(len(members)) % FOLDS
    return fold


def _metrics(flagged: np.ndarray, y: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(flagged & (y == 1)))
    fp = int(np.sum(flagged & (y == 0)))
    fn = int(np.sum(~flagged & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    beta2 = BETA * BETA
    den = beta2 * precision + recall
    fbeta = (1 + beta2) * precision * recall / den if den else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f0.5": round(fbeta, 4)}


def choose(x: np.ndarray, y: np.ndarray) -> tuple[float, float, dict[str, float]]:
    """The L2 strength and threshold with the best cross-validated F0.5 (ties: the stronger L2,
    then the higher threshold), and their cross-validated figures."""
    fold = folds(y)
    best: tuple[tuple[float, float, float], float, float, dict[str, float]] | None = None
    for l2 in L2_GRID:
        held = np.zeros(len(y))
        for k in range(FOLDS):
            weights, bias = fit(x[fold != k], y[fold != k], l2)
            held[fold == k] = predict(x[fold == k], weights, bias)
        for threshold in THRESHOLDS:
            figures = _metrics(held >= threshold, y)
            key = (figures["f0.5"], l2, threshold)
            if best is None or key > best[0]:
                best = (key, l2, threshold, figures)
    assert best is not None
    return best[1], best[2], best[3]


def train() -> dict[str, Any]:
    """The head file's content, trained on the labelled set's training split."""
    # What the classifier reads: a training text too short for it is the rules' alone.
    examples = [e for e in load() if e.split == "train" and windows(e.text)]
    pieces = [windows(e.text) for e in examples]
    if any(len(found) != 1 for found in pieces):
        raise SystemExit("every training text must be read whole (at most WHOLE_WORDS words)")
    encoder = load_encoder()
    x = np.array(encoder.encode([found[0][1] for found in pieces]), dtype=np.float64)
    y = np.array([1.0 if e.malicious else 0.0 for e in examples])
    l2, threshold, figures = choose(x, y)
    weights, bias = fit(x, y, l2)
    return {
        "format": 1,
        "version": VERSION,
        "model": MODEL_NAME,
        "model_package": f"{MODEL_PACKAGE}=={metadata.version(MODEL_PACKAGE)}",
        "dimension": int(x.shape[1]),
        "threshold": threshold,
        "l2": l2,
        "training": {
            "file": DATA.relative_to(ROOT).as_posix(),
            "split": "train",
            "sha256": split_digest("train"),
            "benign": int(np.sum(y == 0)),
            "malicious": int(np.sum(y == 1)),
        },
        "cross_validation": {"folds": FOLDS, **figures},
        "bias": round(bias, 8),
        "weights": [round(float(w), 8) for w in weights],
    }


def same(shipped: dict[str, Any], trained: dict[str, Any]) -> bool:
    """Whether two head files make the same choices and (to 1e-4) the same weights."""
    plain = ("format", "version", "model", "dimension", "threshold", "l2", "training")
    if any(shipped.get(key) != trained[key] for key in plain):
        return False
    return bool(
        np.allclose(shipped["weights"], trained["weights"], rtol=1e-4, atol=1e-4)
        and abs(shipped["bias"] - trained["bias"]) <= 1e-4 * max(1.0, abs(trained["bias"]))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HEAD)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args(argv)
    trained = train()
    if args.check:
        shipped = json.loads(args.out.read_text(encoding="utf-8"))
        if not same(shipped, trained):
            print(f"{args.out} is not what training gives now: run {Path(__file__).name}")
            return 1
        print(f"{args.out} matches a fresh training run")
        return 0
    args.out.write_text(json.dumps(trained, indent=1) + "\n", encoding="utf-8")
    cv = trained["cross_validation"]
    print(
        f"wrote {args.out}: l2 {trained['l2']}, threshold {trained['threshold']}, "
        f"cross-validated precision {cv['precision']} recall {cv['recall']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
