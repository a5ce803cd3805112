"""The labelled set as a regression test: the held-out split keeps its measured precision/recall.

Rules are written against the `train` split only; the thresholds sit just below what rules v1
reach on `heldout` (benchmarks/screening.py prints the full table).
"""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.screening import load, scores
from oracle.screening import CATEGORIES

#: Measured on the held-out split with rules v1: precision 0.982, recall 0.982 overall.
MIN_PRECISION = 0.95
MIN_RECALL = 0.95
#: Per class (recall): the lowest measured is encoded_payload at 0.889 (8 of 9).
MIN_CLASS_RECALL = 0.85
MIN_CLASS_PRECISION = 0.90


def test_the_set_has_enough_texts_of_every_class_in_both_splits() -> None:
    examples = load()
    counts = Counter(example.category for example in examples)
    assert counts["benign"] >= 150
    assert sum(n for category, n in counts.items() if category != "benign") >= 150
    for category in CATEGORIES:
        for split in ("train", "heldout"):
            assert sum(1 for e in examples if (e.category, e.split) == (category, split)) >= 8
    assert {e.malicious for e in examples if e.category == "benign"} == {False}


def test_the_train_split_is_screened_without_error() -> None:
    overall = scores([e for e in load() if e.split == "train"])[-1]
    assert (overall["fp"], overall["fn"]) == (0, 0)


@pytest.fixture(scope="module")
def heldout() -> dict[str, dict[str, float]]:
    return {row["class"]: row for row in scores([e for e in load() if e.split == "heldout"])}


def test_the_held_out_split_keeps_its_overall_precision_and_recall(
    heldout: dict[str, dict[str, float]],
) -> None:
    assert heldout["overall"]["precision"] >= MIN_PRECISION
    assert heldout["overall"]["recall"] >= MIN_RECALL


@pytest.mark.parametrize("category", CATEGORIES)
def test_the_held_out_split_keeps_each_class_precision_and_recall(
    heldout: dict[str, dict[str, float]], category: str
) -> None:
    assert heldout[category]["precision"] >= MIN_CLASS_PRECISION
    assert heldout[category]["recall"] >= MIN_CLASS_RECALL


# --- the local classifier (the classifier extra; CI installs it) --------------------------------

#: Measured on the held-out split with head v1 (trained on `train` only): the classifier alone
#: 1.000 precision, 0.600 recall (33 of 55: it leaves texts under six words, most encoded and
#: invisible-character payloads, to the rules); the rules then the classifier 0.982 and 0.982,
#: as the rules alone (the classifier adds no false alarm).
MIN_CLASSIFIER_PRECISION = 0.95
MIN_CLASSIFIER_RECALL = 0.55
MIN_COMBINED_PRECISION = 0.95
MIN_COMBINED_RECALL = 0.95


@pytest.mark.parametrize(
    ("screen_name", "min_precision", "min_recall"),
    [
        ("classifier", MIN_CLASSIFIER_PRECISION, MIN_CLASSIFIER_RECALL),
        ("rules+classifier", MIN_COMBINED_PRECISION, MIN_COMBINED_RECALL),
    ],
)
def test_the_held_out_split_keeps_the_classifier_precision_and_recall(
    screen_name: str, min_precision: float, min_recall: float
) -> None:
    overall = scores([e for e in load() if e.split == "heldout"], screen_name)[-1]
    assert overall["precision"] >= min_precision
    assert overall["recall"] >= min_recall


@pytest.mark.slow
def test_training_again_gives_the_shipped_head() -> None:
    from scripts.train_classifier import main

    assert main(["--check"]) == 0
