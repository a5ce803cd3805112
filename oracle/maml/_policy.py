"""Strict versus lenient reading: one place decides whether a legacy shape raises or warns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oracle.maml.model import Finding

if TYPE_CHECKING:
    from oracle.maml.errors import MamlDocumentError


class Policy:
    """Collects lenient-mode warnings; in strict mode every tolerated shape raises instead."""

    __slots__ = ("findings", "lenient")

    def __init__(self, *, lenient: bool) -> None:
        self.lenient = lenient
        self.findings: list[Finding] = []

    def tolerate(self, error: MamlDocumentError) -> None:
        """Raise `error` in strict mode; record it as a warning in lenient mode.

        Raises:
            MamlDocumentError: `error` itself, in strict mode.
        """
        if not self.lenient:
            raise error
        self.findings.append(
            Finding(error.line or 1, error.column, error.code, error.reason, "warning")
        )
