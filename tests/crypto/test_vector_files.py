"""The ML-DSA / ML-KEM vectors shipped in tests/data/vectors, and scripts/refresh_vectors.py.

The shipped .xz files must match the sha256 recorded for them in the shipped MANIFEST.json, and
decompress to exactly the upstream files (the sha256, size and case count of the upstream
manifest). The refresh script is checked on a small source of its own, and, where
`../shared/vectors/` exists (the project's workspace and CI), against the real one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import lzma
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.vectors import (
    SHIPPED_DIR,
    VECTORS_ENV,
    load_cases,
    read_vector_file,
    shipped_manifest,
    vectors_dir,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "refresh_vectors.py"

MANIFEST = shipped_manifest()
SHIPPED = MANIFEST["shipped"]["files"]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_vectors", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the shipped copy ----------------------------------------------------------------------------


def test_vectors_dir_is_the_shipped_copy_inside_the_repository_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(VECTORS_ENV, raising=False)
    folder = vectors_dir()
    assert folder == SHIPPED_DIR
    assert folder.resolve().is_relative_to(ROOT.resolve())
    assert (folder / "MANIFEST.json").is_file()


def test_every_upstream_file_is_shipped() -> None:
    assert set(SHIPPED) == set(MANIFEST["files"])
    listed = {entry["file"] for entry in SHIPPED.values()}
    on_disk = {path.name for path in SHIPPED_DIR.iterdir()}
    assert on_disk == listed | {"MANIFEST.json", "README.md"}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_file_matches_the_manifest(name: str) -> None:
    entry: dict[str, Any] = SHIPPED[name]
    blob = (SHIPPED_DIR / entry["file"]).read_bytes()
    assert len(blob) == entry["bytes"]
    assert _sha256(blob) == entry["sha256"]
    # The decompressed file is byte for byte the upstream one.
    upstream: dict[str, Any] = MANIFEST["files"][name]
    data = lzma.decompress(blob)
    assert len(data) == upstream["bytes"]
    assert _sha256(data) == upstream["sha256"]
    assert len(json.loads(data)) == upstream["cases"]


def test_the_shipped_copy_is_what_the_tests_read_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(VECTORS_ENV, raising=False)
    entry = SHIPPED["mlkem_keygen.json"]
    expected = lzma.decompress((SHIPPED_DIR / entry["file"]).read_bytes())
    assert read_vector_file("mlkem_keygen.json") == expected
    assert len(load_cases("mlkem_keygen.json")) == MANIFEST["files"]["mlkem_keygen.json"]["cases"]


# --- the PQORACLE_VECTORS_DIR override -----------------------------------------------------------


def test_the_environment_variable_points_at_plain_json_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case = {"source": "test", "id": "test:tc1", "valid": True}
    (tmp_path / "mlkem_keygen.json").write_text(json.dumps([case]), encoding="utf-8")
    monkeypatch.setenv(VECTORS_ENV, str(tmp_path))
    assert vectors_dir() == tmp_path
    assert load_cases("mlkem_keygen.json") == [case]


def test_an_override_without_the_file_fails_instead_of_skipping(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(VECTORS_ENV, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=VECTORS_ENV):
        load_cases("mlkem_keygen.json")


def test_a_file_the_manifest_does_not_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VECTORS_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match="not listed"):
        read_vector_file("mlkem_512.json")


# --- scripts/refresh_vectors.py ------------------------------------------------------------------


def _small_source(folder: Path) -> Path:
    """A source folder in the upstream layout with two small vector files."""
    folder.mkdir()
    files = {}
    for name, cases in {
        "a.json": [{"id": "a:tc1", "valid": True}],
        "b.json": [{"id": "b:tc1", "valid": False}, {"id": "b:tc2", "valid": True}],
    }.items():
        data = json.dumps(cases).encode()
        (folder / name).write_bytes(data)
        files[name] = {"cases": len(cases), "bytes": len(data), "sha256": _sha256(data)}
    manifest = {"sources": {}, "files": files}
    (folder / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "README.md").write_text("# vectors\n", encoding="utf-8")
    return folder


def test_refreshing_twice_changes_nothing_the_second_time(
    script: ModuleType, tmp_path: Path
) -> None:
    source, out = _small_source(tmp_path / "source"), tmp_path / "out"
    first = script.refresh(source, out)
    assert sorted(first) == ["MANIFEST.json", "README.md", "a.json.xz", "b.json.xz"]
    assert script.refresh(source, out) == []
    assert script.main(["--check", "--source", str(source), "--out", str(out)]) == 0
    manifest = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    for name, entry in manifest["shipped"]["files"].items():
        blob = (out / entry["file"]).read_bytes()
        assert _sha256(blob) == entry["sha256"]
        assert lzma.decompress(blob) == (source / name).read_bytes()


def test_a_changed_source_file_is_reported_then_refreshed(
    script: ModuleType, tmp_path: Path
) -> None:
    source, out = _small_source(tmp_path / "source"), tmp_path / "out"
    script.refresh(source, out)
    data = json.dumps([{"id": "a:tc9", "valid": False}]).encode()
    (source / "a.json").write_bytes(data)
    manifest = json.loads((source / "MANIFEST.json").read_text(encoding="utf-8"))
    manifest["files"]["a.json"].update(bytes=len(data), sha256=_sha256(data))
    del manifest["files"]["b.json"]
    (source / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")

    would = ["a.json.xz", "MANIFEST.json", "b.json.xz"]
    assert script.refresh(source, out, check=True) == would
    assert script.main(["--check", "--source", str(source), "--out", str(out)]) == 1
    assert script.refresh(source, out) == would
    assert not (out / "b.json.xz").exists()
    assert lzma.decompress((out / "a.json.xz").read_bytes()) == data


def test_a_source_file_that_differs_from_its_manifest_is_refused(
    script: ModuleType, tmp_path: Path
) -> None:
    source, out = _small_source(tmp_path / "source"), tmp_path / "out"
    (source / "b.json").write_bytes(b"[]")
    with pytest.raises(script.SourceError, match=r"b\.json"):
        script.refresh(source, out)
    assert not out.exists()
    assert script.main(["--source", str(source), "--out", str(out)]) == 2


def test_the_shipped_copy_is_current_with_the_shared_vectors(script: ModuleType) -> None:
    if not (script.DEFAULT_SOURCE / "MANIFEST.json").is_file():
        pytest.skip(f"{script.DEFAULT_SOURCE} is absent here (it exists beside the workspace)")
    assert script.refresh(script.DEFAULT_SOURCE, SHIPPED_DIR, check=True) == []
