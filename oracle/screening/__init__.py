"""Prompt-injection screening of free text that reaches agents: a versioned, packaged rule set.

Pure: the only file read is the rule file shipped in `oracle/screening/rules/`. `screen` returns a
verdict with the matched rules; callers that refuse flagged input call `raise_if_flagged()`,
which raises `oracle.errors.ScreeningError` with the matched reason. Rules:
rules/v<version>.json beside this module; docs/screening.md describes them and their scores.
The optional local classifier (`oracle.screening.classifier`, the `classifier` extra) screens what
the rules pass when a caller hands `screen`/`screen_maml` the one `load_classifier()` returns.
"""

from __future__ import annotations

from oracle.errors import ScreeningError, ScreeningRulesError
from oracle.screening.documents import free_text, screen_maml
from oracle.screening.screen import (
    CATEGORIES,
    CLASSIFIER_CATEGORY,
    DEFAULT_RULES_VERSION,
    Match,
    Rule,
    RuleSet,
    ScreenResult,
    load_rules,
    screen,
)

__all__ = [
    "CATEGORIES",
    "CLASSIFIER_CATEGORY",
    "DEFAULT_RULES_VERSION",
    "Match",
    "Rule",
    "RuleSet",
    "ScreenResult",
    "ScreeningError",
    "ScreeningRulesError",
    "free_text",
    "load_rules",
    "screen",
    "screen_maml",
]
