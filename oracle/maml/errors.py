"""The `.maml.md` errors: one class per rule, each carrying the line (and column) it points at.

All of them derive from `oracle.errors.MamlError` (itself a `ValueError`), so the command line
maps them to exit code 2 and callers may catch the whole family with one clause.
"""

from __future__ import annotations

from typing import ClassVar

from oracle.errors import MamlError

__all__ = [
    "MamlAnchorError",
    "MamlBomError",
    "MamlDecryptionError",
    "MamlDocumentError",
    "MamlDuplicateKeyError",
    "MamlDuplicateSectionError",
    "MamlEncodingError",
    "MamlEncryptionError",
    "MamlError",
    "MamlFieldError",
    "MamlFileNameError",
    "MamlHistoryError",
    "MamlKeyTypeError",
    "MamlLegacyEncryptionLabelError",
    "MamlLegacyError",
    "MamlLegacyExtensionError",
    "MamlLegacySectionError",
    "MamlLegacySignatureLabelError",
    "MamlLimitError",
    "MamlMissingSectionError",
    "MamlScalarError",
    "MamlSectionOrderError",
    "MamlSignatureError",
    "MamlSyntaxError",
    "MamlTagError",
    "MamlTimestampError",
]


class MamlDocumentError(MamlError):
    """A document breaks one rule of the profile; `line`/`column` are 1-based, or None."""

    #: Stable identifier of the rule, used as the `lint` finding code.
    code: ClassVar[str] = "maml"

    def __init__(self, reason: str, *, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        if line is None:
            where = ""
        elif column is None:
            where = f"line {line}: "
        else:
            where = f"line {line}, column {column}: "
        super().__init__(f"{where}{reason}")


class MamlEncodingError(MamlDocumentError):
    """The bytes are not UTF-8, or hold a NUL or a bare carriage return."""

    code = "encoding"


class MamlBomError(MamlEncodingError):
    """The document starts with a byte order mark (UTF-8 without BOM is required)."""

    code = "bom"


class MamlLimitError(MamlDocumentError):
    """A size or nesting limit is exceeded (document, front matter, YAML depth)."""

    code = "limit"


class MamlSyntaxError(MamlDocumentError):
    """The front matter delimiters are missing, or the YAML is not a single well-formed mapping."""

    code = "syntax"


class MamlAnchorError(MamlDocumentError):
    """The front matter uses a YAML anchor or alias (refused: JSON data model only)."""

    code = "anchor"


class MamlTagError(MamlDocumentError):
    """The front matter uses an explicit YAML tag (`!!str`, `!foo`, `!`)."""

    code = "tag"


class MamlDuplicateKeyError(MamlDocumentError):
    """A YAML mapping has the same key twice."""

    code = "duplicate-key"


class MamlKeyTypeError(MamlDocumentError):
    """A YAML mapping key is not a string (number, boolean, null, collection, merge key `<<`)."""

    code = "key-type"


class MamlScalarError(MamlDocumentError):
    """A YAML scalar is ambiguous between YAML 1.1 and 1.2, or outside the JSON data model."""

    code = "scalar"


class MamlFieldError(MamlDocumentError):
    """A front matter field is missing or has the wrong type or form."""

    code = "field"

    def __init__(
        self, field: str, reason: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.field = field
        super().__init__(f"{field}: {reason}", line=line, column=column)


class MamlMissingSectionError(MamlDocumentError):
    """A required body section (`## Intent`, `## Context`) is absent."""

    code = "missing-section"


class MamlDuplicateSectionError(MamlDocumentError):
    """A level-2 section appears twice."""

    code = "duplicate-section"


class MamlSectionOrderError(MamlDocumentError):
    """A level-2 section follows `## History`, which must be the last section."""

    code = "section-order"


class MamlSignatureError(MamlDocumentError):
    """A `signatures:` entry is malformed, or a signing request cannot be honoured."""

    code = "signature"


class MamlHistoryError(MamlDocumentError):
    """A `## History` line is not a well-formed signed entry, or an entry cannot be appended."""

    code = "history"


class MamlEncryptionError(MamlDocumentError):
    """The encrypted form is malformed, or the operation needs a (de)crypted document."""

    code = "encryption"


class MamlDecryptionError(MamlDocumentError):
    """The encrypted body did not authenticate for this key (wrong key, or tampered)."""

    code = "decryption"


class MamlFileNameError(MamlDocumentError):
    """A file name does not end in `.maml.md`."""

    code = "file-name"


# --- legacy shapes -------------------------------------------------------------------------------


class MamlLegacyError(MamlDocumentError):
    """A legacy (pre-profile) shape that strict mode rejects and lenient mode reads."""

    code = "legacy"


class MamlLegacyExtensionError(MamlLegacyError):
    """The file is named `*.maml.markdown`; the profile uses `*.maml.md`."""

    code = "legacy-extension"


class MamlLegacySignatureLabelError(MamlLegacyError):
    """`verification.signature: CRYSTALS-Dilithium`-style label: a name, not a signature."""

    code = "legacy-signature-label"


class MamlTimestampError(MamlLegacyError):
    """An unquoted timestamp, which YAML 1.1 loaders turn into a datetime."""

    code = "legacy-timestamp"


class MamlLegacySectionError(MamlLegacyError):
    """A legacy section name (`## Code Blocks` for `## Code_Blocks`)."""

    code = "legacy-section"


class MamlLegacyEncryptionLabelError(MamlLegacyError):
    """`encryption: "AES-2048"`-style label instead of the profile's encrypted form."""

    code = "legacy-encryption-label"
