"""`pqoracle screen`: the prompt-injection screen on a text or `.maml.md` file (or stdin).

Exit codes: 0 clean, 1 flagged, 2 bad input (unreadable file, not UTF-8, a malformed document).
"""

from __future__ import annotations

import json

import click

from oracle.cli._io import read_source
from oracle.errors import InputError


@click.command(name="screen")
@click.argument("source", default="-")
@click.option(
    "--maml/--text",
    "as_maml",
    default=None,
    help="Read a .maml.md document (sections and free-text fields) or plain text "
    "(default: a document when the name ends in .maml.md or the input starts with '---').",
)
@click.option(
    "--classifier/--rules-only",
    "use_classifier",
    default=None,
    help="Screen what the rules pass with the local classifier too, or not "
    "(default: the PQORACLE_SCREENING_CLASSIFIER setting; needs the classifier extra).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as one JSON object.")
def screen_command(
    source: str, as_maml: bool | None, use_classifier: bool | None, as_json: bool
) -> None:
    """Screen free text for prompt injection; exit 1 when a rule (or the classifier) flags it."""
    from oracle.config import load_settings
    from oracle.screening import screen, screen_maml
    from oracle.screening.classifier import load_classifier

    if use_classifier is None:
        use_classifier = load_settings().screening_classifier
    classifier = load_classifier() if use_classifier else None
    data = read_source(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{source} is not UTF-8 text (byte {err.start})") from err
    if as_maml is None:
        as_maml = source.endswith(".maml.md") or text.startswith("---\n")
    if as_maml:
        result = screen_maml(text, classifier=classifier)
    else:
        result = screen(text, classifier=classifier)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "flagged": result.flagged,
                    "rules_version": result.rules_version,
                    "classifier_version": result.classifier_version or None,
                    "categories": list(result.categories),
                    "matches": [
                        {
                            "rule_id": match.rule_id,
                            "category": match.category,
                            "span": list(match.span),
                            "reason": match.reason,
                            "field": match.field or None,
                        }
                        for match in result.matches
                    ],
                }
            )
        )
    elif result.flagged:
        for match in result.matches:
            where = f"{match.field} " if match.field else ""
            click.echo(
                f"{where}{match.span[0]}-{match.span[1]}: {match.category}: {match.reason} "
                f"[{match.rule_id}]"
            )
    else:
        click.echo(f"clean ({result.screens})")
    if result.flagged:
        raise click.exceptions.Exit(1)
