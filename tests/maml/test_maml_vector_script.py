"""scripts/make_maml_vectors.py: committed vectors are current; regenerating is idempotent."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.maml.maml_helpers import DATA

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_maml_vectors.py"
DETERMINISTIC = ["minimal.maml.md", "full.maml.md", "minimal-crlf.maml.md"]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_maml_vectors", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_vectors_are_current(script: ModuleType) -> None:
    assert script.generate(DATA, check=True) == []
    assert script.main(["--check"]) == 0


def test_regenerating_changes_nothing_the_second_time(script: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "maml"
    first = script.generate(out, check=False)
    assert "signed.maml.md" in first
    assert script.generate(out, check=False) == []
    for name in [*DETERMINISTIC, "legacy/signature-label.maml.md"]:
        assert (out / name).read_bytes() == (DATA / name).read_bytes()


def test_a_stale_signature_is_replaced_and_reported(script: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "maml"
    shutil.copytree(DATA, out)
    signed = out / "signed.maml.md"
    signed.write_bytes(signed.read_bytes().replace(b"Summarise", b"Summarize"))
    # The encrypted vector seals the signed one, so it follows it.
    stale = ["signed.maml.md", "encrypted.maml.md"]
    assert script.generate(out, check=True) == stale
    assert script.main(["--check", "--out", str(out)]) == 1
    assert script.generate(out, check=False) == stale
    assert script.generate(out, check=True) == []
