"""`parse`: bytes or text → a validated `MamlDocument`, or a `MamlDocumentError` with its line."""

from __future__ import annotations

import functools
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, NamedTuple

from oracle.crypto import ALGORITHMS, get_algorithm
from oracle.errors import UnknownAlgorithmError
from oracle.maml import _markdown
from oracle.maml._policy import Policy
from oracle.maml._yaml import load_mapping
from oracle.maml.encoding import b64url_decode, is_rfc3339, parse_key_id, utf8_size
from oracle.maml.errors import (
    MamlBomError,
    MamlDuplicateSectionError,
    MamlEncodingError,
    MamlEncryptionError,
    MamlFieldError,
    MamlFileNameError,
    MamlHistoryError,
    MamlLegacyEncryptionLabelError,
    MamlLegacyExtensionError,
    MamlLegacySectionError,
    MamlLegacySignatureLabelError,
    MamlLimitError,
    MamlMissingSectionError,
    MamlSectionOrderError,
    MamlSignatureError,
    MamlSyntaxError,
)
from oracle.maml.model import (
    CodeBlock,
    EncryptionInfo,
    Finding,
    Header,
    HistoryEntry,
    JsonValue,
    MamlDocument,
    Permissions,
    PlainJson,
    Section,
    SignatureEntry,
    freeze,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from oracle.maml._yaml import Locations

#: Largest document accepted, in UTF-8 bytes (checked before anything else is read).
MAX_DOCUMENT_BYTES: Final = 8 * 1024 * 1024
#: Largest front matter accepted, in UTF-8 bytes. Signatures live there: 256 KiB holds about
#: forty ML-DSA-87 co-signatures (6.2 KB each in base64url) beside the other fields.
MAX_FRONT_MATTER_BYTES: Final = 256 * 1024
#: Deepest nesting of YAML collections in the front matter.
MAX_YAML_DEPTH: Final = 32
#: Longest `actor` and `action` of a history entry, in characters.
MAX_HISTORY_FIELD: Final = 1024

REQUIRED_SECTIONS: Final = ("Intent", "Context")
OPTIONAL_SECTIONS: Final = ("Content", "Code_Blocks", "Input_Schema", "Output_Schema", "History")
KNOWN_SECTIONS: Final = REQUIRED_SECTIONS + OPTIONAL_SECTIONS
HISTORY_SECTION: Final = "History"
#: Legacy spellings (a space for the underscore) and the name lenient mode reads them as.
LEGACY_SECTION_NAMES: Final = MappingProxyType(
    {name.replace("_", " "): name for name in KNOWN_SECTIONS if "_" in name}
)

REQUIRED_FIELDS: Final = ("maml_version", "id", "type", "origin")
PROFILE_FIELDS: Final = (
    *REQUIRED_FIELDS,
    "created_at",
    "permissions",
    "requires",
    "verification",
    "signatures",
    "encryption",
)
_PROFILE_FIELD_SET: Final = frozenset(PROFILE_FIELDS)
#: `Header.extra` of a document without other fields (read-only, so one serves them all).
_NO_EXTRA: Final[Mapping[str, JsonValue]] = MappingProxyType({})
SIGNATURE_FIELDS: Final = ("alg", "key_id", "context", "value")
_SIGNATURE_FIELD_SET: Final = frozenset(SIGNATURE_FIELDS)
#: The parameter sets by their exact names, as a signature entry must write them.
_ALGORITHM_NAMES: Final = MappingProxyType({params.name: params for params in ALGORITHMS})
PERMISSION_KINDS: Final = ("read", "write", "execute")

#: `encryption.scheme` of the profile's encrypted form, and its fixed primitives.
ENCRYPTION_SCHEME: Final = "MAML-ENC-v1"
ENCRYPTION_KEM: Final = "ML-KEM-768"
ENCRYPTION_AEAD: Final = "AES-256-GCM"
#: Info string of the fenced block that holds the envelope in an encrypted document.
ENVELOPE_FENCE_INFO: Final = "maml-envelope"

_VERSION: Final = re.compile(r"[0-9]+(?:\.[0-9]+){1,2}(?:-[0-9A-Za-z.-]+)?")
_UUID_URN: Final = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_TYPE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]+")
_LEGACY_SIGNATURE_KEY: Final = re.compile(r"(?:.*_)?signature(?:s|_algorithm|_alg)?", re.IGNORECASE)
_HISTORY_LINE: Final = re.compile(
    r"- (?P<timestamp>\S+) \| (?P<actor>[^|]+?) \| (?P<action>[^|]+?) \| "
    r"sig=(?P<alg>[A-Za-z0-9-]+):(?P<key_id>\S+?):(?P<value>\S+)"
)
_ENVELOPE_BODY: Final = re.compile(
    r"```" + ENVELOPE_FENCE_INFO + r"\n((?:[A-Za-z0-9_-]{1,76}\n)+)```\n"
)


def _field_error(locations: Locations, path: tuple[str | int, ...], reason: str) -> MamlFieldError:
    line, column = locations.get(path, (1, 1))
    name = ".".join(str(part) for part in path)
    return MamlFieldError(name, reason, line=line, column=column)


def _decode(data: str | bytes) -> str:
    """Size check, BOM check, UTF-8 decoding, CRLF → LF, NUL and bare CR refusal."""
    if type(data) is not str and isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise MamlLimitError(
                f"document is {len(raw)} bytes; the limit is {MAX_DOCUMENT_BYTES}", line=1
            )
        if raw.startswith(b"\xef\xbb\xbf"):
            raise MamlBomError(
                "UTF-8 byte order mark: save the file as UTF-8 without BOM", line=1, column=1
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
            raise MamlEncodingError(
                f"not UTF-8: byte 0x{raw[err.start]:02x} at offset {err.start}",
                line=line,
                column=column,
            ) from None
    elif isinstance(data, str):
        text = data
        # A str never has fewer code points than UTF-8 bytes, so this bound is safe and cheap.
        if len(text) > MAX_DOCUMENT_BYTES:
            raise MamlLimitError(f"document exceeds {MAX_DOCUMENT_BYTES} bytes", line=1)
        if text.startswith("\ufeff"):
            raise MamlBomError(
                "byte order mark (U+FEFF) at the start of the document", line=1, column=1
            )
        # ASCII text (known without a scan) is its own UTF-8 and holds no surrogate.
        if text.isascii():
            size = len(text)
        else:
            try:
                size = len(text.encode("utf-8"))
            except UnicodeEncodeError as err:
                line = text.count("\n", 0, err.start) + 1
                raise MamlEncodingError(
                    "text holds a lone surrogate (not valid Unicode)", line=line
                ) from None
        if size > MAX_DOCUMENT_BYTES:
            raise MamlLimitError(
                f"document is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}", line=1
            )
    else:
        raise MamlEncodingError(f"a document is str or bytes, not {type(data).__name__}")
    # One byte search each (replace copies the whole text even when nothing matches); a text
    # without CR needs no second look for a bare one.
    has_cr = "\r" in text
    if has_cr:
        text = text.replace("\r\n", "\n")
    at = text.find("\x00")
    if at >= 0:
        raise _refused(text, at, "a NUL character")
    if has_cr:
        at = text.find("\r")
        if at >= 0:
            raise _refused(text, at, "a carriage return not followed by a line feed")
    return text


def _refused(text: str, at: int, what: str) -> MamlEncodingError:
    """The error for `what` at offset `at` of `text`, with its line and column."""
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return MamlEncodingError(f"document holds {what}", line=line, column=column)


#: Front matter lines `_closing` steps through one at a time before a substring search takes over.
_CLOSING_LINE_STEPS: Final = 64


def _closing(text: str) -> tuple[int, int]:
    """(offset of the first line after the opening one that is exactly `---`, or -1; the number
    of line feeds before that offset, or before the last offset looked at when there is none)."""
    # Line by line first: one memchr per line, and the line feeds are counted on the way (the
    # body's first line number needs them). A substring search for "\n---" crawls through a
    # 4.4 KB base64url signature value (its dashes defeat the search's skips), and counting the
    # line feeds afterwards is a second pass over it: together 5 us of a 4 KiB verification.
    # Past a bound (a front matter of many short lines) the search takes over.
    size = len(text)
    start = 4  # the line after the opening one; `lines` line feeds come before it
    for lines in range(1, _CLOSING_LINE_STEPS + 1):
        if text.startswith("---", start) and (start + 3 == size or text[start + 3] == "\n"):
            return start, lines
        start = text.find("\n", start) + 1
        if not start:
            return -1, lines
    lines = _CLOSING_LINE_STEPS + 1
    # A substring search, not a `^---$` multiline regex: the regex tries every offset in Python's
    # engine, which is the cost of a large document without a closing line.
    found = text.find("\n---", start - 1)
    while found >= 0:
        end = found + 4
        if end == size or text[end] == "\n":
            return found + 1, lines + text.count("\n", start, found + 1)
        found = text.find("\n---", end)
    return -1, lines


def _split(text: str) -> tuple[str, str, int, int]:
    """`split_front_matter`, and the document line number of the body's first line."""
    if not text.startswith("---\n"):
        raise MamlSyntaxError(
            "a document starts with a line '---' that opens the YAML front matter",
            line=1,
            column=1,
        )
    closing, lines = _closing(text)
    if closing < 0:
        raise MamlSyntaxError("the front matter is not closed by a line '---'", line=1)
    front = text[4:closing]
    if len(front) > MAX_FRONT_MATTER_BYTES or (
        not front.isascii() and utf8_size(front) > MAX_FRONT_MATTER_BYTES
    ):
        raise MamlLimitError(f"front matter exceeds {MAX_FRONT_MATTER_BYTES} bytes", line=2)
    if closing + 3 == len(text):  # the closing line ends the document, without a line feed
        return front, "", len(text), lines + 1
    return front, text[closing + 4 :], closing + 4, lines + 2


def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter YAML, body, offset of the body) of LF-normalised text.

    Raises:
        MamlSyntaxError: no opening `---` line, or no closing one.
        MamlLimitError: the front matter is larger than `MAX_FRONT_MATTER_BYTES`.
    """
    front, body, body_offset, _ = _split(text)
    return front, body, body_offset


def _string_list(
    value: PlainJson, locations: Locations, path: tuple[str | int, ...]
) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _field_error(locations, path, "must be a list of strings")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise _field_error(locations, (*path, index), "must be a non-empty string")
    return tuple(value)  # type: ignore[arg-type]


def _string(
    mapping: Mapping[str, PlainJson],
    name: str,
    locations: Locations,
    pattern: re.Pattern[str] | None,
    what: str,
) -> str:
    value = mapping[name]
    if not isinstance(value, str):
        kind = (
            "number"
            if isinstance(value, int | float) and not isinstance(value, bool)
            else type(value).__name__
        )
        raise _field_error(locations, (name,), f"must be a string ({what}), got {kind}; quote it")
    if pattern is not None and not pattern.fullmatch(value):
        raise _field_error(locations, (name,), f"must be {what}, got {value!r}")
    return value


def _entry_at(
    locations: Locations, index: int, name: str, line: int, column: int
) -> tuple[int, int]:
    """Where field `name` of signature entry `index` is (the entry's place when unknown)."""
    return locations.get(("signatures", index, name), (line, column))


def _signatures(value: PlainJson, locations: Locations) -> tuple[SignatureEntry, ...]:
    if not isinstance(value, list):
        line, column = locations.get(("signatures",), (1, 1))
        raise MamlSignatureError("signatures must be a list of entries", line=line, column=column)
    entries: list[SignatureEntry] = []
    seen: dict[bytes, int] = {}
    for index, item in enumerate(value):
        line, column = locations.get(("signatures", index), (1, 1))
        if not isinstance(item, dict):
            raise MamlSignatureError(
                "a signature entry is a mapping {alg, key_id, context, value}",
                line=line,
                column=column,
            )
        if item.keys() != _SIGNATURE_FIELD_SET:
            names = set(item)
            missing = [name for name in SIGNATURE_FIELDS if name not in names]
            extra = sorted(names - _SIGNATURE_FIELD_SET)
            detail = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(extra)}" if extra else "",
                )
                if part
            )
            raise MamlSignatureError(
                f"signature entry {index}: {detail} (fields are alg, key_id, context, value)",
                line=line,
                column=column,
            )

        alg = item["alg"]
        # The exact names first (a dict look-up); get_algorithm's aliases and round-3 advice
        # only for anything else, where they shape the error.
        params = _ALGORITHM_NAMES.get(alg) if type(alg) is str else None
        if params is None:
            try:
                params = get_algorithm(alg) if isinstance(alg, str) else None
            except UnknownAlgorithmError as err:
                raise MamlSignatureError(
                    f"signature entry {index}: {err}",
                    line=_entry_at(locations, index, "alg", line, column)[0],
                    column=_entry_at(locations, index, "alg", line, column)[1],
                ) from None
        if params is None or params.name != alg:
            hint = f"; write {params.name!r}" if params is not None else ""
            raise MamlSignatureError(
                f"signature entry {index}: alg must be ML-DSA-44, ML-DSA-65 or ML-DSA-87{hint}",
                line=_entry_at(locations, index, "alg", line, column)[0],
                column=_entry_at(locations, index, "alg", line, column)[1],
            )
        key_id = parse_key_id(item["key_id"])  # type: ignore[arg-type]
        if key_id is None:
            raise MamlSignatureError(
                f"signature entry {index}: key_id must be '0x' and 64 lowercase hex digits",
                line=_entry_at(locations, index, "key_id", line, column)[0],
                column=_entry_at(locations, index, "key_id", line, column)[1],
            )
        if key_id in seen:
            raise MamlSignatureError(
                f"signature entry {index}: key {item['key_id']} already signed "
                f"(entry {seen[key_id]})",
                line=_entry_at(locations, index, "key_id", line, column)[0],
                column=_entry_at(locations, index, "key_id", line, column)[1],
            )
        seen[key_id] = index
        context = item["context"]
        if (
            not isinstance(context, str)
            or len(context) > 255
            or (not context.isascii() and utf8_size(context) > 255)
        ):
            raise MamlSignatureError(
                f"signature entry {index}: context must be a string of at most 255 UTF-8 bytes",
                line=_entry_at(locations, index, "context", line, column)[0],
                column=_entry_at(locations, index, "context", line, column)[1],
            )
        raw = b64url_decode(item["value"])  # type: ignore[arg-type]
        if raw is None:
            raise MamlSignatureError(
                f"signature entry {index}: value must be unpadded base64url",
                line=_entry_at(locations, index, "value", line, column)[0],
                column=_entry_at(locations, index, "value", line, column)[1],
            )
        if len(raw) != params.signature_size:
            raise MamlSignatureError(
                f"signature entry {index}: an {params.name} signature is {params.signature_size} "
                f"bytes, got {len(raw)}",
                line=_entry_at(locations, index, "value", line, column)[0],
                column=_entry_at(locations, index, "value", line, column)[1],
            )
        entries.append(SignatureEntry(params.name, key_id, context, raw, line))
    return tuple(entries)


def _encryption(value: PlainJson, locations: Locations, policy: Policy) -> EncryptionInfo | None:
    line, column = locations.get(("encryption",), (1, 1))
    if isinstance(value, str):
        policy.tolerate(
            MamlLegacyEncryptionLabelError(
                f"encryption: {value!r} is a label, not an encrypted body; the profile encrypts "
                f"with {ENCRYPTION_KEM} + {ENCRYPTION_AEAD} (AES-256 keeps 128-bit security "
                "against Grover's algorithm; 'AES-2048' does not exist)",
                line=line,
                column=column,
            )
        )
        return None
    if not isinstance(value, dict):
        raise MamlEncryptionError("encryption must be a mapping", line=line, column=column)
    expected = {"scheme": ENCRYPTION_SCHEME, "kem": ENCRYPTION_KEM, "aead": ENCRYPTION_AEAD}
    for name, wanted in expected.items():
        if value.get(name) != wanted:
            where = locations.get(("encryption", name), (line, column))
            raise MamlEncryptionError(
                f"encryption.{name} must be {wanted!r}, got {value.get(name)!r}",
                line=where[0],
                column=where[1],
            )
    recipients = value.get("recipients")
    if "recipients" in value and (
        not isinstance(recipients, list)
        or not recipients
        or any(not isinstance(item, str) or parse_key_id(item) is None for item in recipients)
    ):
        where = locations.get(("encryption", "recipients"), (line, column))
        raise MamlEncryptionError(
            "encryption.recipients must be a non-empty list of '0x' + 64 hex key ids",
            line=where[0],
            column=where[1],
        )
    fields = freeze(value)
    assert isinstance(fields, MappingProxyType)
    return EncryptionInfo(ENCRYPTION_SCHEME, ENCRYPTION_KEM, ENCRYPTION_AEAD, fields, line)


#: `Header`'s fields in order, validated: what `check` keeps (a `Header` is built only by
#: `parse`; a verification never looks at one).
HeaderFields = tuple[
    str,
    str,
    str,
    str,
    str | None,
    Permissions | None,
    JsonValue,
    JsonValue,
    "Mapping[str, JsonValue]",
]


def _header(mapping: dict[str, PlainJson], locations: Locations, policy: Policy) -> HeaderFields:
    for name in REQUIRED_FIELDS:
        if name not in mapping:
            raise MamlFieldError(name, "required field is missing", line=2)
    version = _string(mapping, "maml_version", locations, _VERSION, 'a version such as "1.0.0"')
    doc_id = _string(mapping, "id", locations, _UUID_URN, "'urn:uuid:' followed by a UUID")
    doc_type = _string(mapping, "type", locations, _TYPE, 'a short type name such as "workflow"')
    origin = _string(mapping, "origin", locations, _URI, 'a URI such as "agent://name"')
    created_at: str | None = None
    if "created_at" in mapping:
        created_at = _string(mapping, "created_at", locations, None, "an RFC 3339 date-time")
        if not is_rfc3339(created_at):
            raise _field_error(
                locations,
                ("created_at",),
                f'must be an RFC 3339 date-time such as "2026-11-24T10:00:00Z", got {created_at!r}',
            )
    permissions: Permissions | None = None
    if "permissions" in mapping:
        value = mapping["permissions"]
        if not isinstance(value, dict):
            raise _field_error(
                locations, ("permissions",), "must be a mapping of read/write/execute"
            )
        unknown = [name for name in value if name not in PERMISSION_KINDS]
        if unknown:
            raise _field_error(
                locations,
                ("permissions", unknown[0]),
                f"unknown permission {unknown[0]!r} (read, write, execute)",
            )
        lists = {
            name: _string_list(value[name], locations, ("permissions", name))
            for name in PERMISSION_KINDS
            if name in value
        }
        permissions = Permissions(**lists)
    requires = mapping.get("requires")
    if "requires" in mapping:
        if isinstance(requires, dict):
            for name, item in requires.items():
                _string_list(item, locations, ("requires", name))
        else:
            _string_list(requires, locations, ("requires",))
    verification = mapping.get("verification")
    if "verification" in mapping:
        if not isinstance(verification, dict):
            raise _field_error(locations, ("verification",), "must be a mapping")
        for name, item in verification.items():
            if _LEGACY_SIGNATURE_KEY.fullmatch(name):
                line, column = locations.get(("verification", name), (1, 1))
                policy.tolerate(
                    MamlLegacySignatureLabelError(
                        f"verification.{name}: {item!r} names an algorithm but is not a signature; "
                        "signatures live in the 'signatures:' list (ML-DSA, FIPS 204)",
                        line=line,
                        column=column,
                    )
                )
    # Most documents have no field beyond the profile's: one set difference in C says so.
    extra = (
        MappingProxyType(
            {
                name: freeze(value)
                for name, value in mapping.items()
                if name not in _PROFILE_FIELD_SET
            }
        )
        if mapping.keys() - _PROFILE_FIELD_SET
        else _NO_EXTRA
    )
    return (
        version,
        doc_id,
        doc_type,
        origin,
        created_at,
        permissions,
        None if requires is None else freeze(requires),
        None if verification is None else freeze(verification),
        extra,
    )


def parse_history_line(line: str, line_no: int) -> HistoryEntry:
    """One `## History` entry line.

    Raises:
        MamlHistoryError: the line is not
            `- <RFC 3339> | <actor> | <action> | sig=<alg>:<key_id>:<b64>`.
    """
    match = _HISTORY_LINE.fullmatch(line)
    if match is None:
        raise MamlHistoryError(
            "a History line is '- <RFC 3339 time> | <actor> | <action> | "
            "sig=<alg>:<key_id>:<base64url>' (or blank)",
            line=line_no,
            column=1,
        )
    timestamp, actor, action = match.group("timestamp", "actor", "action")
    if not is_rfc3339(timestamp):
        raise MamlHistoryError(
            f"history time {timestamp!r} is not RFC 3339", line=line_no, column=3
        )
    for what, value in (("actor", actor), ("action", action)):
        if (
            value != value.strip()
            or len(value) > MAX_HISTORY_FIELD
            or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
        ):
            raise MamlHistoryError(
                f"history {what} has surrounding blanks or control characters, or exceeds "
                f"{MAX_HISTORY_FIELD} characters",
                line=line_no,
                column=line.find(value) + 1,
            )
    alg_name = match.group("alg")
    try:
        params = get_algorithm(alg_name)
    except UnknownAlgorithmError as err:
        raise MamlHistoryError(
            f"history entry: {err}", line=line_no, column=match.start("alg") + 1
        ) from None
    if params.name != alg_name:
        raise MamlHistoryError(
            f"history entry algorithm must be written {params.name!r}",
            line=line_no,
            column=match.start("alg") + 1,
        )
    key_id = parse_key_id(match.group("key_id"))
    if key_id is None:
        raise MamlHistoryError(
            "history key_id must be '0x' and 64 lowercase hex digits",
            line=line_no,
            column=match.start("key_id") + 1,
        )
    signature = b64url_decode(match.group("value"))
    if signature is None or len(signature) != params.signature_size:
        raise MamlHistoryError(
            f"history signature must be {params.signature_size} bytes of unpadded base64url",
            line=line_no,
            column=match.start("value") + 1,
        )
    return HistoryEntry(timestamp, actor, action, params.name, key_id, signature, line_no, line)


def _history(content: str, heading_line: int, policy: Policy) -> tuple[HistoryEntry, ...]:
    entries: list[HistoryEntry] = []
    for index, line in enumerate(content.split("\n")):
        if not line.strip():
            continue
        line_no = heading_line + 1 + index
        try:
            entries.append(parse_history_line(line, line_no))
        except MamlHistoryError as err:
            policy.tolerate(err)
    return tuple(entries)


def _section_names(
    found: _markdown.Scan, body: str, body_line: int, policy: Policy
) -> tuple[tuple[str, ...], tuple[HistoryEntry, ...]]:
    """The profile name of each level-2 heading, and the History entries, after the section
    rules (legacy names, duplicates, History last, required sections, History lines)."""
    headings = found.headings
    written = tuple([heading.name for heading in headings])
    # The usual body, decided by set operations in C: every name distinct and already the
    # profile's spelling, History (if any) last, the required ones present. Anything else
    # takes the loop below, which raises or warns exactly where the rules say.
    distinct = set(written)
    if (
        len(distinct) == len(written)
        and distinct.isdisjoint(LEGACY_SECTION_NAMES)
        and HISTORY_SECTION not in written[:-1]
        and distinct.issuperset(REQUIRED_SECTIONS)
    ):
        if written and written[-1] == HISTORY_SECTION:
            last = headings[-1]
            return written, _history(body[last.after :], found.line(last.start), policy)
        return written, ()
    return _section_names_by_rules(found, body, body_line, policy)


def _section_names_by_rules(
    found: _markdown.Scan, body: str, body_line: int, policy: Policy
) -> tuple[tuple[str, ...], tuple[HistoryEntry, ...]]:
    """`_section_names` heading by heading: every rule in document order."""
    names: list[str] = []
    seen: dict[str, int] = {}
    history_at: int | None = None
    heading_lines = found.lines([heading.start for heading in found.headings])
    for heading, heading_line in zip(found.headings, heading_lines, strict=True):
        name = heading.name
        if name in LEGACY_SECTION_NAMES:
            policy.tolerate(
                MamlLegacySectionError(
                    f"'## {name}' is the legacy spelling of '## {LEGACY_SECTION_NAMES[name]}'",
                    line=heading_line,
                    column=4,
                )
            )
            name = LEGACY_SECTION_NAMES[name]
        if name in seen:
            raise MamlDuplicateSectionError(
                f"section '## {name}' appears twice (first at line {seen[name]})",
                line=heading_line,
                column=1,
            )
        if history_at is not None:
            raise MamlSectionOrderError(
                f"section '## {name}' follows '## History' (line {history_at}); History is the "
                "last section, because it is outside the signed bytes",
                line=heading_line,
                column=1,
            )
        seen[name] = heading_line
        if name == HISTORY_SECTION:
            history_at = heading_line
        names.append(name)
    for required in REQUIRED_SECTIONS:
        if required not in seen:
            near = [h.name for h in found.headings if h.name.lower() == required.lower()]
            hint = f" ('## {near[0]}' differs in case)" if near else ""
            last_line = body_line + body.count("\n")
            raise MamlMissingSectionError(
                f"required section '## {required}' is missing{hint}", line=last_line
            )
    history: tuple[HistoryEntry, ...] = ()
    if history_at is not None:
        last = found.headings[-1]  # History is the last section
        history = _history(body[last.after :], heading_lines[-1], policy)
    return tuple(names), history


def _sections(
    body: str, found: _markdown.Scan, names: tuple[str, ...]
) -> tuple[tuple[Section, ...], tuple[CodeBlock, ...]]:
    """The sections and code blocks of a body whose headings passed `_section_names`."""
    headings = found.headings
    heading_lines = found.lines([heading.start for heading in headings])
    sections: list[Section] = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].start if index + 1 < len(headings) else len(body)
        sections.append(
            Section(
                names[index],
                heading.text,
                heading_lines[index],
                heading.start,
                heading.after,
                end,
                body,
            )
        )
    blocks: list[CodeBlock] = []
    fence_lines = found.lines([fence.start for fence in found.fences])
    for fence, fence_line in zip(found.fences, fence_lines, strict=True):
        section_name = ""
        for heading, name in zip(headings, names, strict=True):
            if heading.start <= fence.start:
                section_name = name
        blocks.append(CodeBlock(fence.info, fence.content, fence_line, section_name, fence.closed))
    return tuple(sections), tuple(blocks)


class CheckedDocument(NamedTuple):
    """A document that passed every rule of the profile, before `parse` builds its
    `MamlDocument` (sections, code blocks, a read-only front matter): what `check` returns,
    for callers that need only a few parts (`verify` needs the digest's inputs, the
    signatures and the History)."""

    text: str
    front_matter_text: str
    #: The front matter as read (the reader's own, not shared with anyone: never changed).
    front_matter: dict[str, PlainJson]
    locations: Locations
    #: The validated fields of `header`, in order.
    header_fields: HeaderFields
    body: str
    body_line: int
    signatures: tuple[SignatureEntry, ...]
    encryption: EncryptionInfo | None
    #: The body's headings and fences (None for an encrypted body).
    found: _markdown.Scan | None
    #: The profile name of each heading in `found`.
    section_names: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    warnings: tuple[Finding, ...]

    @property
    def header(self) -> Header:
        """The front matter fields the profile defines (a new `Header` each time)."""
        return Header(*self.header_fields)

    @property
    def history_start(self) -> int | None:
        """Offset in `body` of the `## History` heading line, or None."""
        if self.section_names and self.section_names[-1] == HISTORY_SECTION:
            assert self.found is not None
            return self.found.headings[-1].start
        return None


#: `CheckedDocument(...)` built in C (what `_make` does), without the Python frame of its `__new__`.
_checked_document: Final = functools.partial(tuple.__new__, CheckedDocument)


def parse(document: str | bytes, *, lenient: bool = False) -> MamlDocument:
    """Parse and validate a `.maml.md` document (strict profile unless `lenient`).

    Lenient mode reads the legacy shapes (unquoted timestamps, `## Code Blocks`, signature and
    encryption labels, plain scalars YAML 1.1 and 1.2 read differently, malformed History lines)
    and lists them in `warnings`; everything else is checked the same way.

    Raises:
        MamlDocumentError: the first rule the document breaks (a subclass named after the rule,
            with `line` and `column`).
    """
    return parse_with(document, Policy(lenient=lenient))


def check(document: str | bytes, policy: Policy) -> CheckedDocument:
    """Every rule `parse` checks, in the same order with the same errors, without building the
    `MamlDocument`.

    Raises:
        MamlDocumentError: the first rule the document breaks that `policy` does not tolerate.
    """
    text = _decode(document)
    front, body, _, body_line = _split(text)
    mapping, locations = load_mapping(front, first_line=2, max_depth=MAX_YAML_DEPTH, policy=policy)
    header = _header(mapping, locations, policy)
    signatures = _signatures(mapping["signatures"], locations) if "signatures" in mapping else ()
    encryption = (
        _encryption(mapping["encryption"], locations, policy) if "encryption" in mapping else None
    )
    found: _markdown.Scan | None = None
    names: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    if encryption is not None:
        if _ENVELOPE_BODY.fullmatch(body) is None:
            raise MamlEncryptionError(
                f"an encrypted document's body is one '```{ENVELOPE_FENCE_INFO}' block of "
                "base64url lines (at most 76 characters each)",
                line=body_line,
                column=1,
            )
    else:
        found = _markdown.scan(body, body_line)
        names, history = _section_names(found, body, body_line, policy)
    return _checked_document(
        (
            text,
            front,
            mapping,
            locations,
            header,
            body,
            body_line,
            signatures,
            encryption,
            found,
            names,
            history,
            tuple(policy.findings),
        )
    )


def parse_with(document: str | bytes, policy: Policy) -> MamlDocument:
    """`parse` under a caller's policy, whose findings survive an exception (used by `lint`).

    Raises:
        MamlDocumentError: the first rule the document breaks that `policy` does not tolerate.
    """
    checked = check(document, policy)
    sections: tuple[Section, ...] = ()
    blocks: tuple[CodeBlock, ...] = ()
    if checked.found is not None:
        sections, blocks = _sections(checked.body, checked.found, checked.section_names)
    frozen = freeze(checked.front_matter)
    assert isinstance(frozen, MappingProxyType)
    return MamlDocument(
        text=checked.text,
        front_matter_text=checked.front_matter_text,
        front_matter=frozen,
        header=Header(*checked.header_fields),
        body=checked.body,
        body_line=checked.body_line,
        sections=sections,
        code_blocks=blocks,
        signatures=checked.signatures,
        history=checked.history,
        encryption=checked.encryption,
        warnings=checked.warnings,
        lenient=policy.lenient,
        # The reader's own dict, made for this document alone: viewed, not copied.
        locations=MappingProxyType(checked.locations),
    )


def check_filename(name: str, *, lenient: bool = False) -> tuple[Finding, ...]:
    """Check a document's file name: `*.maml.md` is the profile's; returns lenient-mode notes.

    Raises:
        MamlLegacyExtensionError: `*.maml.markdown` in strict mode.
        MamlFileNameError: any other name in strict mode.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base.endswith(".maml.md") and len(base) > len(".maml.md"):
        return ()
    error: MamlLegacyExtensionError | MamlFileNameError
    if base.lower().endswith(".maml.markdown"):
        error = MamlLegacyExtensionError(
            f"{base!r}: '.maml.markdown' is the legacy extension; rename it to "
            f"{base[: -len('.markdown')]}.md"
        )
    else:
        error = MamlFileNameError(f"{base!r}: a MAML document is named '<name>.maml.md'")
    policy = Policy(lenient=lenient)
    policy.tolerate(error)
    return tuple(policy.findings)


__all__ = [
    "ENCRYPTION_AEAD",
    "ENCRYPTION_KEM",
    "ENCRYPTION_SCHEME",
    "ENVELOPE_FENCE_INFO",
    "KNOWN_SECTIONS",
    "MAX_DOCUMENT_BYTES",
    "MAX_FRONT_MATTER_BYTES",
    "MAX_YAML_DEPTH",
    "REQUIRED_SECTIONS",
    "JsonValue",
    "check_filename",
    "parse",
    "parse_history_line",
    "split_front_matter",
]
