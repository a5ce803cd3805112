"""Refresh the shipped ML-DSA / ML-KEM vectors (tests/data/vectors) from ../shared/vectors.

Each vector file `NAME.json` listed in the source's MANIFEST.json is checked against the sha256
recorded there and shipped as `NAME.json.xz`. README.md is copied as is. The shipped MANIFEST.json
is the source's manifest plus a `shipped` section giving the sha256 and size of each `.xz` file.
A shipped file whose content is already current is kept as it is, so a run with nothing new
changes nothing (idempotent). `--check` writes nothing and exits 1 when a file would change.

    python scripts/refresh_vectors.py [--check] [--source ../shared/vectors]
                                      [--out tests/data/vectors]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "vectors"
DEFAULT_OUT = ROOT / "tests" / "data" / "vectors"
MANIFEST = "MANIFEST.json"
README = "README.md"
SUFFIX = ".xz"
# The smallest output of the presets; a refresh takes a few seconds either way.
PRESET = 9 | lzma.PRESET_EXTREME

SHIPPED_ABOUT = (
    "Each NAME.json of `files` is shipped as NAME.json.xz (xz, stdlib lzma); `sha256` and "
    "`bytes` under `files` describe the decompressed JSON, those under `shipped` the .xz file. "
    "Regenerate with scripts/refresh_vectors.py."
)


class SourceError(Exception):
    """The source folder is missing or does not match its own manifest."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_source(source: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise SourceError(f"{manifest_path} not found")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    contents = {}
    for name, entry in manifest["files"].items():
        data = (source / name).read_bytes()
        if _sha256(data) != entry["sha256"]:
            raise SourceError(f"{source / name} does not match the sha256 in {manifest_path}")
        contents[name] = data
    return manifest, contents


def _compressed(out: Path, name: str, data: bytes) -> bytes:
    """The .xz bytes to ship: the existing file when it already holds `data`, else a fresh one."""
    path = out / (name + SUFFIX)
    if path.is_file():
        existing = path.read_bytes()
        try:
            if lzma.decompress(existing) == data:
                return existing
        except lzma.LZMAError:
            pass
    return lzma.compress(data, format=lzma.FORMAT_XZ, preset=PRESET)


def refresh(source: Path, out: Path, *, check: bool = False) -> list[str]:
    """Bring the shipped copy in `out` up to date; returns the names that changed (or would).

    Raises:
        SourceError: `source` has no manifest, or a file differs from its manifest entry.
    """
    manifest, contents = _read_source(source)
    wanted: dict[str, bytes] = {}
    shipped: dict[str, dict[str, Any]] = {}
    for name, data in contents.items():
        blob = _compressed(out, name, data)
        wanted[name + SUFFIX] = blob
        shipped[name] = {"file": name + SUFFIX, "bytes": len(blob), "sha256": _sha256(blob)}
    wanted[README] = (source / README).read_bytes()
    combined = {**manifest, "shipped": {"about": SHIPPED_ABOUT, "files": shipped}}
    wanted[MANIFEST] = (json.dumps(combined, indent=1) + "\n").encode("utf-8")

    changed = [
        name
        for name, blob in wanted.items()
        if not (out / name).is_file() or (out / name).read_bytes() != blob
    ]
    # A file dropped from the source manifest must not linger in the shipped copy.
    stale = sorted(path.name for path in out.glob("*" + SUFFIX) if path.name not in wanted)
    if not check:
        out.mkdir(parents=True, exist_ok=True)
        for name in changed:
            (out / name).write_bytes(wanted[name])
        for name in stale:
            (out / name).unlink()
    return changed + stale


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit 1 with `--check` when the shipped copy is out of date."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        changed = refresh(args.source, args.out, check=args.check)
    except (SourceError, OSError, KeyError, ValueError) as err:
        print(f"refresh_vectors: {err}", file=sys.stderr)
        return 2
    verb = "would change" if args.check else "changed"
    for name in changed:
        print(f"{verb}: {args.out / name}")
    if not changed:
        print(f"{args.out} is current")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
