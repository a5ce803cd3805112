"""Regenerate the `.maml.md` test vectors in tests/data/maml (idempotent).

Deterministic parts (source documents, canonical bytes, digests, keys from test seeds) are
rewritten only when they differ. Signatures are hedged (random), so a signed file is kept as long
as it still verifies over the expected bytes and is re-signed otherwise. `--check` writes nothing
and exits 1 when a file would change.

    python scripts/make_maml_vectors.py [--check] [--out tests/data/maml]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from oracle import maml
from oracle.crypto import SigningKey
from oracle.crypto.kem import KemPrivateKey

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "data" / "maml"

# TEST-ONLY key material: these seeds are public, so the keys protect nothing. They exist so the
# vectors are reproducible; never use them (or keys derived from them) for anything real.
TEST_SIGNERS: dict[str, tuple[str, bytes]] = {
    "alice": ("ML-DSA-65", hashlib.sha256(b"maml test-only seed: alice").digest()),
    "bob": ("ML-DSA-44", hashlib.sha256(b"maml test-only seed: bob").digest()),
    "carol": ("ML-DSA-87", hashlib.sha256(b"maml test-only seed: carol").digest()),
}
TEST_RECIPIENT_SEED = hashlib.sha512(b"maml test-only seed: recipient").digest()

MINIMAL = """\
---
maml_version: "1.0.0"
id: "urn:uuid:6f1c2e3a-8b4d-4e5f-9a0b-1c2d3e4f5a6b"
type: workflow
origin: "agent://alice"
created_at: "2026-11-24T10:00:00Z"
---
## Intent
Summarise the week's verification requests.

## Context
Read-only access to the oracle's request store.
"""

FULL = """\
---
# Comments are not part of the signed bytes: the front matter is signed as parsed data.
maml_version: "1.0.0"
id: "urn:uuid:0b6c5a4e-3d2f-4a1b-8c9d-7e6f5a4b3c2d"
type: hybrid_workflow
origin: "agent://research-lab"
created_at: "2026-11-24T09:30:00+01:00"
permissions:
  read: ["agent://*"]
  write: ["agent://research-lab"]
  execute: ["gateway://local"]
requires:
  libs: ["numpy>=2.0"]
  apis: ["oracle/v1/verify"]
verification:
  method: ml-dsa
  threshold: 2
labels: {"é": 1, "z": 2.5, "a": [true, false, null], "\U0001d11e": "clef"}
---
# Weekly verification digest

## Intent
Compute per-key verification counts and flag keys with failures — ünïcödé is kept as is.

## Context
The store holds requests since 2026-11-01.

## Content
Counts are grouped by `keyId`.

## Code_Blocks
```python
# data only: nothing in a document is ever executed
print("## not a section")
```

~~~~markdown
```
## still inside the tilde fence
```
~~~~

## Input_Schema
```json
{"type": "object", "properties": {"since": {"type": "string"}}}
```

## Output_Schema
```json
{"type": "object"}
```

## Review_Notes
Unknown sections are carried and signed like the others.
"""

LEGACY = {
    "legacy-extension.maml.markdown": MINIMAL.replace(
        "6f1c2e3a-8b4d-4e5f-9a0b-1c2d3e4f5a6b", "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
    ),
    "signature-label.maml.md": """\
---
maml_version: "2.0.0"
id: "urn:uuid:3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
type: "workflow"
origin: "agent://legacy-agent"
created_at: "2025-10-27T13:04:00Z"
verification:
  method: "ortac-runtime"
  signature: "CRYSTALS-Dilithium"
---
## Intent
A document that names a signature algorithm but carries no signature.

## Context
The label is metadata; only the signatures list is checked.
""",
    "unquoted-timestamp.maml.md": """\
---
maml_version: "1.0.0"
id: "urn:uuid:4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"
type: "dataset"
origin: "agent://legacy-agent"
created_at: 2025-08-25T18:45:00Z
---
## Intent
A timestamp written without quotes.

## Context
YAML 1.1 loaders turn it into a datetime object.
""",
    "code-blocks-heading.maml.md": """\
---
maml_version: "1.0.0"
id: "urn:uuid:5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
type: "workflow"
origin: "agent://legacy-agent"
created_at: "2025-08-25T18:45:00Z"
---
## Intent
A code section spelled with a space.

## Context
Lenient mode reads it as Code_Blocks.

## Code Blocks
```python
print("data, never executed")
```
""",
    "encryption-label.maml.md": """\
---
maml_version: "1.0.0"
id: "urn:uuid:6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c"
type: "hybrid_workflow"
origin: "agent://legacy-agent"
created_at: "2025-08-28T23:59:00Z"
encryption: "AES-2048"
---
## Intent
A document that claims an encryption mode that does not exist.

## Context
The body is plain text; the label changes nothing.
""",
}


def signers() -> dict[str, SigningKey]:
    """The test-only signing keys, by name."""
    return {
        name: SigningKey.from_seed(alg, seed, backend="cryptography")
        for name, (alg, seed) in TEST_SIGNERS.items()
    }


def recipient() -> KemPrivateKey:
    """The test-only ML-KEM-768 recipient key."""
    return KemPrivateKey.from_seed(TEST_RECIPIENT_SEED)


def _describe(text: str) -> dict[str, Any]:
    doc = maml.parse(text)
    canonical = maml.canonical_bytes(doc)
    digest = maml.document_digest(doc)
    history = []
    previous: str | None = None
    for entry in doc.history:
        entry_bytes = maml.history_entry_bytes(
            entry.timestamp, entry.actor, entry.action, entry.alg, entry.key_id
        )
        history.append(
            {
                "line": entry.line,
                "entry_jcs": entry_bytes.decode("utf-8"),
                "message_hex": maml.history_message(digest, previous, entry_bytes).hex(),
                "digest": "0x" + maml.history_digest(digest, previous, entry_bytes).hex(),
                "key_id": entry.key_id_hex,
            }
        )
        previous = entry.text
    return {
        "front_matter_jcs": maml.canonical_front_matter(doc).decode("utf-8"),
        "canonical_hex": canonical.hex(),
        "digest": "0x" + digest.hex(),
        "signatures": [
            {"alg": s.alg, "key_id": s.key_id_hex, "line": s.line} for s in doc.signatures
        ],
        "history": history,
    }


class Writer:
    """Writes files that differ (or, with `check`, only records them)."""

    def __init__(self, out: Path, *, check: bool) -> None:
        self.out = out
        self.check = check
        self.changed: list[str] = []

    def read(self, name: str) -> str | None:
        """The current text of a vector file, or None."""
        path = self.out / name
        return path.read_bytes().decode("utf-8") if path.exists() else None

    def put(self, name: str, text: str) -> None:
        """Write `text` to `name` unless it is already there."""
        if self.read(name) == text:
            return
        self.changed.append(name)
        if not self.check:
            path = self.out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))


History = tuple[tuple[str, str, str, str], ...]


def _is_current(
    text: str | None, source: str, keys: dict[str, SigningKey], names: list[str], history: History
) -> bool:
    """Whether `text` is `source` signed by `names` in order, with `history`, all verifying."""
    if text is None:
        return False
    wanted = [keys[name] for name in dict.fromkeys([*names, *(item[0] for item in history)])]
    try:
        doc = maml.parse(text)
        report = maml.verify(doc, [key.public for key in wanted])
        same_bytes = maml.document_digest(doc) == maml.document_digest(source)
    except maml.MamlError:
        return False
    return (
        report.valid
        and same_bytes
        and [s.key_id for s in doc.signatures] == [keys[name].key_id for name in names]
        and [(h.key_id, h.actor, h.action, h.timestamp) for h in doc.history]
        == [(keys[signer].key_id, actor, action, when) for signer, actor, action, when in history]
    )


def _signed(
    writer: Writer,
    name: str,
    source: str,
    keys: dict[str, SigningKey],
    names: list[str],
    history: History = (),
) -> str:
    """The signed vector `name`: kept while it still verifies over `source`, else made anew."""
    current = writer.read(name)
    if current is not None and _is_current(current, source, keys, names, history):
        return current
    text = maml.sign(source, keys[names[0]])
    for other in names[1:]:
        text = maml.cosign(text, keys[other])
    for signer, actor, action, when in history:
        text = maml.append_history(text, action, keys[signer], actor=actor, timestamp=when)
    writer.put(name, text)
    return text


def generate(out: Path, *, check: bool) -> list[str]:
    """Bring the vectors in `out` up to date; returns the names that changed (or would)."""
    writer = Writer(out, check=check)
    keys = signers()
    writer.put("minimal.maml.md", MINIMAL)
    writer.put("full.maml.md", FULL)
    writer.put("minimal-crlf.maml.md", MINIMAL.replace("\n", "\r\n"))
    signed = _signed(writer, "signed.maml.md", MINIMAL, keys, ["alice"])
    cosigned = _signed(writer, "cosigned.maml.md", FULL, keys, ["alice", "bob", "carol"])
    history = (
        ("bob", "agent://reviewer", "reviewed the counts", "2026-11-24T11:00:00Z"),
        ("alice", "agent://research-lab", "published to the dashboard", "2026-11-24T12:30:00Z"),
    )
    with_history = _signed(writer, "history.maml.md", MINIMAL, keys, ["alice"], history)

    kem = recipient()
    current = writer.read("encrypted.maml.md")
    try:
        still_good = current is not None and (
            maml.decrypt(current, kem, expected_sender=keys["alice"].public) == signed
        )
    except maml.MamlError:
        still_good = False
    if not still_good:
        writer.put(
            "encrypted.maml.md", maml.encrypt(signed, [kem.public_key], sender=keys["alice"])
        )

    for name, text in LEGACY.items():
        writer.put(f"legacy/{name}", text)

    manifest = {
        "about": "Test vectors for docs/maml.md; regenerate with scripts/make_maml_vectors.py.",
        "profile": {
            "signature_domain_hex": maml.SIGNATURE_DOMAIN.hex(),
            "history_domain_hex": maml.HISTORY_DOMAIN.hex(),
            "encryption_domain_hex": maml.ENCRYPTION_DOMAIN.hex(),
            "document_context": maml.DOCUMENT_CONTEXT,
            "history_context": maml.HISTORY_CONTEXT,
            "digest": "SHA-256",
        },
        "test_only_keys": {
            "warning": "TEST-ONLY seeds, public on purpose: never use these keys for anything.",
            "signers": {
                name: {
                    "algorithm": alg,
                    "seed_hex": seed.hex(),
                    "public_key_hex": keys[name].public_key.hex(),
                    "key_id": "0x" + keys[name].key_id.hex(),
                }
                for name, (alg, seed) in TEST_SIGNERS.items()
            },
            "recipient": {
                "algorithm": "ML-KEM-768",
                "seed_hex": TEST_RECIPIENT_SEED.hex(),
                "public_key_hex": kem.public_key.raw.hex(),
                "key_id": "0x" + kem.public_key.key_id.hex(),
            },
        },
        "documents": {
            "minimal.maml.md": {**_describe(MINIMAL), "signers": []},
            "minimal-crlf.maml.md": {**_describe(MINIMAL), "signers": []},
            "full.maml.md": {**_describe(FULL), "signers": []},
            "signed.maml.md": {**_describe(signed), "signers": ["alice"]},
            "cosigned.maml.md": {**_describe(cosigned), "signers": ["alice", "bob", "carol"]},
            "history.maml.md": {**_describe(with_history), "signers": ["alice", "bob"]},
        },
        "encrypted": {
            "file": "encrypted.maml.md",
            "recipient": "recipient",
            "sender": "alice",
            "decrypts_to": "signed.maml.md",
        },
        "legacy": {
            "legacy-extension.maml.markdown": "legacy-extension",
            "signature-label.maml.md": "legacy-signature-label",
            "unquoted-timestamp.maml.md": "legacy-timestamp",
            "code-blocks-heading.maml.md": "legacy-section",
            "encryption-label.maml.md": "legacy-encryption-label",
        },
    }
    writer.put("vectors.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return writer.changed


def main(argv: list[str] | None = None) -> int:
    """Command line entry: exit 0 when up to date (or written), 1 when `--check` finds changes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Write nothing; exit 1 if stale.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Vector directory.")
    args = parser.parse_args(argv)
    changed = generate(args.out, check=args.check)
    for name in changed:
        print(f"{'stale' if args.check else 'wrote'} {args.out / name}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
