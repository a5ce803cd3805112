"""Screening a `.maml.md` document: every section's text and every free-text front matter value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

from oracle.maml import parse
from oracle.screening.screen import Match, RuleSet, ScreenResult, load_rules

if TYPE_CHECKING:
    from oracle.maml import JsonValue, MamlDocument
    from oracle.screening.classifier import Classifier

#: Front matter fields that are identifiers, times or binary encodings, never prose for agents.
_NOT_FREE_TEXT: Final = frozenset({"maml_version", "id", "created_at", "signatures", "encryption"})


def _strings(value: JsonValue, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield path + "." + key, key
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def free_text(document: MamlDocument) -> Iterator[tuple[str, str]]:
    """(field, text) for each section (Intent, Context, Content, ...) and front matter string."""
    for section in document.sections:
        yield f"section:{section.name}", section.content
    for key, value in document.front_matter.items():
        if key not in _NOT_FREE_TEXT:
            yield from _strings(value, f"front_matter:{key}")


def screen_maml(
    document: MamlDocument | str | bytes,
    *,
    rules: RuleSet | None = None,
    classifier: Classifier | None = None,
) -> ScreenResult:
    """Screen a document's sections and free-text front matter; each match names its field.

    The rules screen every field first; when none matches and a `classifier` is given, it screens
    the fields too. An encrypted document's body is an envelope, so only its front matter is
    screened.

    Raises:
        MamlError: `document` is text that does not parse (strict profile).
    """
    parsed = parse(document) if isinstance(document, str | bytes) else document
    ruleset = rules or load_rules()
    fields = list(free_text(parsed))
    matches: list[Match] = []
    for name, text in fields:
        matches.extend(ruleset.screen(text, field=name).matches)
    if matches or classifier is None:
        return ScreenResult(bool(matches), tuple(matches), ruleset.version)
    return classifier.screen_fields(fields, rules_version=ruleset.version)
