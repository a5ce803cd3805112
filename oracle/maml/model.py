"""The parsed document and its parts: frozen values, never bare dicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

if TYPE_CHECKING:
    from oracle.types import KeyId

#: A front matter value: the JSON data model, made immutable (tuples and read-only mappings).
JsonValue: TypeAlias = (
    bool | int | float | str | tuple["JsonValue", ...] | Mapping[str, "JsonValue"] | None
)
#: The same value in the mutable form `json`, `yaml` and `rfc8785` take.
PlainJson: TypeAlias = bool | int | float | str | list["PlainJson"] | dict[str, "PlainJson"] | None

Severity = Literal["error", "warning", "info"]


#: Types `freeze` returns as they are, without a call (most values of a front matter).
_ATOMIC: Final = frozenset({str, int, float, bool, type(None)})


def freeze(value: PlainJson) -> JsonValue:
    """A deep read-only copy of a plain JSON value."""
    # mypy cannot see that `type(item) in _ATOMIC` leaves only scalars, which need no freezing.
    if isinstance(value, dict):
        return MappingProxyType(
            {key: item if type(item) in _ATOMIC else freeze(item) for key, item in value.items()}  # type: ignore[misc]
        )
    if isinstance(value, list):
        return tuple([item if type(item) in _ATOMIC else freeze(item) for item in value])  # type: ignore[misc]
    return value


def thaw(value: JsonValue | PlainJson) -> PlainJson:
    """A deep mutable copy (dicts and lists) of a frozen (or plain) JSON value."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class Finding:
    """One diagnostic: where, which rule (`code`), what, and how bad."""

    line: int
    column: int | None
    code: str
    message: str
    severity: Severity

    def __str__(self) -> str:
        where = f"{self.line}" if self.column is None else f"{self.line}:{self.column}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True, slots=True)
class Permissions:
    """`permissions:` — who may read, write and execute, as lists of principals (URIs or globs)."""

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    execute: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Header:
    """The front matter fields the profile defines, validated; the rest stays in `extra`."""

    maml_version: str
    id: str
    type: str
    origin: str
    created_at: str | None
    permissions: Permissions | None
    requires: JsonValue
    verification: JsonValue
    #: Fields the profile does not define, carried unchanged (they are signed like the others).
    extra: Mapping[str, JsonValue] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class SignatureEntry:
    """One `signatures:` entry: raw FIPS 204 signature by the key `key_id` under `context`."""

    alg: str
    key_id: KeyId
    context: str
    value: bytes
    #: Line of the entry in the document.
    line: int

    @property
    def key_id_hex(self) -> str:
        """`0x`-prefixed lowercase hex, as the contract and the document write it."""
        return "0x" + self.key_id.hex()


@dataclass(frozen=True, slots=True)
class EncryptionInfo:
    """`encryption:` of an encrypted document (the body is then a single envelope block)."""

    scheme: str
    kem: str
    aead: str
    #: The whole mapping as written (other fields are carried and bound as associated data).
    fields: Mapping[str, JsonValue]
    line: int


@dataclass(frozen=True, slots=True)
class Section:
    """A level-2 section: `## name` at `heading_line`, its text up to the next one."""

    name: str
    #: The heading as written (differs from `name` when lenient mode normalised a legacy name).
    heading: str
    heading_line: int
    #: Offsets in the body: heading line start, content start, end (exclusive).
    start: int
    content_start: int
    end: int
    #: The body the offsets point into (the content is cut from it when asked for).
    body: str = field(repr=False)

    @property
    def content(self) -> str:
        """The text after the heading line, up to the next section (a fresh slice per call)."""
        return self.body[self.content_start : self.end]


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced code block: data only, never executed."""

    info: str
    content: str
    #: Line of the opening fence.
    line: int
    #: Section the block is in ("" before the first section).
    section: str
    closed: bool

    @property
    def language(self) -> str:
        """The first word of the info string ("" when there is none)."""
        return self.info.split(maxsplit=1)[0] if self.info.strip() else ""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One signed `## History` line: `- <time> | <actor> | <action> | sig=<alg>:<key_id>:<b64>`."""

    timestamp: str
    actor: str
    action: str
    alg: str
    key_id: KeyId
    signature: bytes
    line: int
    #: The entry line exactly as written (without its line feed); the next entry chains to it.
    text: str

    @property
    def key_id_hex(self) -> str:
        """`0x`-prefixed lowercase hex."""
        return "0x" + self.key_id.hex()


@dataclass(frozen=True, slots=True)
class MamlDocument:
    """A parsed `.maml.md` document (LF-normalised text, validated front matter and sections)."""

    #: The whole document after CRLF → LF.
    text: str
    #: The front matter YAML text between the delimiter lines (LF-terminated lines).
    front_matter_text: str
    #: The parsed front matter, signatures included, as a read-only JSON value.
    front_matter: Mapping[str, JsonValue]
    header: Header
    #: Everything after the closing `---` line.
    body: str
    #: Document line number of the first body line.
    body_line: int
    sections: tuple[Section, ...]
    code_blocks: tuple[CodeBlock, ...]
    signatures: tuple[SignatureEntry, ...]
    history: tuple[HistoryEntry, ...]
    encryption: EncryptionInfo | None
    #: Lenient mode's notes on legacy shapes it accepted (always empty in strict mode).
    warnings: tuple[Finding, ...]
    lenient: bool
    #: Line and column of each front matter value, by path (keys and list indexes).
    locations: Mapping[tuple[str | int, ...], tuple[int, int]]

    @property
    def is_encrypted(self) -> bool:
        """Whether the body is an encrypted envelope."""
        return self.encryption is not None

    def section(self, name: str) -> Section | None:
        """The section called `name`, or None."""
        for section in self.sections:
            if section.name == name:
                return section
        return None

    def line_of(self, *path: str | int) -> int:
        """Document line of the front matter value at `path` (1 when unknown)."""
        return self.locations.get(tuple(path), (1, 1))[0]
