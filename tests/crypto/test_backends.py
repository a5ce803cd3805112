from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle.crypto.backends import get_backend
from oracle.crypto.backends.liboqs import find_liboqs
from oracle.errors import BackendUnavailableError, ConfigError


def test_auto_prefers_cryptography() -> None:
    assert get_backend("auto").name == "cryptography"
    assert get_backend().name == "cryptography"


def test_unknown_backend_name_is_a_config_error_listing_the_choices() -> None:
    with pytest.raises(ConfigError, match="cryptography, liboqs, pqcrypto"):
        get_backend("openssl")


def _probe(env_path: Path, home: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import time\n"
        "from oracle.crypto.backends import backend_status, get_backend\n"
        "from oracle.errors import BackendUnavailableError\n"
        "start = time.monotonic()\n"
        "status = {s.name: s for s in backend_status()}['liboqs']\n"
        "try:\n"
        "    get_backend('liboqs')\n"
        "except BackendUnavailableError as err:\n"
        "    print('unavailable:', err)\n"
        "print('seconds', round(time.monotonic() - start, 2), status.available)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "OQS_INSTALL_PATH": str(env_path)}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_liboqs_probe_neither_hangs_nor_exits_when_the_library_is_missing(tmp_path: Path) -> None:
    if find_liboqs() is not None:
        pytest.skip("liboqs is installed here; the missing-library path cannot be exercised")
    start = time.monotonic()
    result = _probe(tmp_path / "no-liboqs", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "unavailable: liboqs backend unavailable" in result.stdout
    assert result.stdout.rstrip().endswith("False")
    # liboqs-python's own import would count down five seconds before trying to build liboqs.
    assert time.monotonic() - start < 5


def test_liboqs_probe_survives_a_library_file_that_does_not_load(tmp_path: Path) -> None:
    libdir = tmp_path / "broken" / "lib"
    libdir.mkdir(parents=True)
    (libdir / "liboqs.so").write_bytes(b"this is not an ELF file")
    result = _probe(tmp_path / "broken", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "unavailable:" in result.stdout
    assert result.stdout.rstrip().endswith("False")


def test_liboqs_backend_reports_why_it_is_unavailable() -> None:
    if find_liboqs() is not None:
        pytest.skip("liboqs is installed here")
    with pytest.raises(BackendUnavailableError, match="liboqs"):
        get_backend("liboqs")
