"""Locate and load the ML-DSA / ML-KEM test vectors (flat JSON lists of case objects).

The NIST ACVP and Wycheproof vectors ship with the repository in `tests/data/vectors/`, each file
xz-compressed (`NAME.json.xz`, named in that folder's MANIFEST.json) and refreshed from
`../shared/vectors/` by `scripts/refresh_vectors.py`. `PQORACLE_VECTORS_DIR` overrides the
shipped copy with a folder of plain `NAME.json` files.
"""

from __future__ import annotations

import json
import lzma
import os
from functools import cache
from pathlib import Path
from typing import Any

#: Environment variable that points at a folder of plain .json vector files elsewhere.
VECTORS_ENV = "PQORACLE_VECTORS_DIR"

_REPO_ROOT = Path(__file__).resolve().parent.parent
#: The copy shipped with the repository.
SHIPPED_DIR = _REPO_ROOT / "tests" / "data" / "vectors"


def vectors_dir() -> Path:
    """The vectors folder: `PQORACLE_VECTORS_DIR` when set, else the shipped copy."""
    override = os.environ.get(VECTORS_ENV)
    return Path(override) if override else SHIPPED_DIR


def shipped_manifest() -> dict[str, Any]:
    """The shipped MANIFEST.json: the upstream manifest plus the `shipped` .xz files."""
    manifest: dict[str, Any] = json.loads((SHIPPED_DIR / "MANIFEST.json").read_text("utf-8"))
    return manifest


def read_vector_file(filename: str) -> bytes:
    """The JSON bytes of one vector file (e.g. "mlkem_encaps.json"), decompressed if shipped.

    Raises:
        FileNotFoundError: the override folder lacks the file, or the manifest does not list it.
    """
    folder = vectors_dir()
    if folder != SHIPPED_DIR:
        path = folder / filename
        if not path.is_file():
            # A typo in the override must fail the run, not quietly skip every vector test.
            raise FileNotFoundError(f"{path} not found ({VECTORS_ENV}={folder})")
        return path.read_bytes()
    shipped = shipped_manifest()["shipped"]["files"]
    if filename not in shipped:
        raise FileNotFoundError(f"{filename} is not listed in {SHIPPED_DIR / 'MANIFEST.json'}")
    return lzma.decompress((SHIPPED_DIR / shipped[filename]["file"]).read_bytes())


@cache
def _load(folder: Path, filename: str) -> tuple[dict[str, Any], ...]:
    # Cached because several parametrised test modules read the same multi-megabyte files.
    data = json.loads(read_vector_file(filename))
    if not isinstance(data, list) or not all(isinstance(case, dict) for case in data):
        raise ValueError(f"{filename} in {folder} is not a JSON list of case objects")
    return tuple(data)


def load_cases(filename: str) -> list[dict[str, Any]]:
    """Every case of one vector file, e.g. "mldsa_sigver.json".

    Raises:
        FileNotFoundError: see `read_vector_file`.
    """
    # Copies, so one test mutating a case cannot affect another.
    return [dict(case) for case in _load(vectors_dir(), filename)]
