"""Locate and load the shared ML-DSA / ML-KEM test vectors (flat JSON lists of case objects).

The folder is `../shared/vectors` next to the repository (the layout of the project's workspace),
or the directory named by `PQORACLE_VECTORS_DIR`. Tests skip, with the reason, when it is absent.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

#: Environment variable that points at a vectors folder elsewhere.
VECTORS_ENV = "PQORACLE_VECTORS_DIR"

_REPO_ROOT = Path(__file__).resolve().parent.parent


def vectors_dir() -> Path | None:
    """The vectors folder (env override first, then `<repo>/../shared/vectors`), or None."""
    override = os.environ.get(VECTORS_ENV)
    candidate = Path(override) if override else _REPO_ROOT.parent / "shared" / "vectors"
    return candidate if candidate.is_dir() else None


@cache
def _load(path: Path) -> tuple[dict[str, Any], ...]:
    # Cached because several parametrised test modules read the same multi-megabyte files.
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(case, dict) for case in data):
        raise ValueError(f"{path} is not a JSON list of case objects")
    return tuple(data)


def load_cases(filename: str) -> list[dict[str, Any]]:
    """Every case of one vector file; skips the calling test module when the file is absent.

    Call it at collection time (inside `pytest.mark.parametrize`), where the skip applies to
    the whole module with the reason shown.
    """
    folder = vectors_dir()
    if folder is None:
        where = os.environ.get(VECTORS_ENV) or str(_REPO_ROOT.parent / "shared" / "vectors")
        pytest.skip(
            f"test vectors folder not found ({where}); set {VECTORS_ENV}", allow_module_level=True
        )
    path = folder / filename
    if not path.is_file():
        pytest.skip(f"vector file {filename} not found in {folder}", allow_module_level=True)
    # Copies, so one test mutating a case cannot affect another.
    return [dict(case) for case in _load(path)]
