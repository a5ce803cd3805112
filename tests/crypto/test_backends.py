from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import fast_mldsa
import pytest

from oracle.crypto import get_algorithm
from oracle.crypto.backends import AUTO_ORDER, fastmldsa, get_backend
from oracle.crypto.backends.cryptography import CryptographyBackend
from oracle.crypto.backends.fastmldsa import FastMldsaBackend
from oracle.crypto.backends.liboqs import find_liboqs
from oracle.errors import (
    BackendCapabilityError,
    BackendUnavailableError,
    ConfigError,
    ContextTooLongError,
    InvalidKeyError,
)


def test_auto_prefers_cryptography() -> None:
    assert get_backend("auto").name == "cryptography"
    assert get_backend().name == "cryptography"


def test_auto_answers_the_same_backend_each_time_however_it_is_spelled() -> None:
    first = get_backend("auto")
    assert get_backend() is first
    assert get_backend(" Auto ") is first
    assert get_backend("cryptography") is first


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


def test_fast_mldsa_is_chosen_by_name_and_auto_stays_on_cryptography() -> None:
    assert get_backend("fast-mldsa").name == "fast-mldsa"
    assert AUTO_ORDER[0] == "cryptography"
    assert get_backend("auto").name == "cryptography"


def test_fast_mldsa_refuses_contexts_over_255_bytes_where_the_library_answers_false() -> None:
    backend = FastMldsaBackend()
    algorithm = get_algorithm("ML-DSA-44")
    pair = backend.keypair_from_seed(algorithm, bytes(32))
    signature = backend.sign(algorithm, pair.private_key, b"m", b"c" * 255)
    assert backend.verify(algorithm, pair.public_key, b"m", signature, b"c" * 255)
    # The library's own verify returns False here: a verdict on an input FIPS 204 forbids.
    raw = fast_mldsa.VerificationKey.from_bytes(pair.public_key)
    assert raw.verify(signature, b"m", b"c" * 256) is False
    with pytest.raises(ContextTooLongError):
        backend.verify(algorithm, pair.public_key, b"m", signature, b"c" * 256)
    for sign in (backend.sign, backend.sign_deterministic):
        with pytest.raises(ContextTooLongError):
            sign(algorithm, pair.private_key, b"m", b"c" * 256)


def test_fast_mldsa_keys_interoperate_with_cryptography_in_both_private_key_forms() -> None:
    fast, reference = FastMldsaBackend(), get_backend("cryptography")
    for name in ("ML-DSA-44", "ML-DSA-65", "ML-DSA-87"):
        algorithm = get_algorithm(name)
        seeded = fast.keypair_from_seed(algorithm, b"\x07" * 32)
        assert seeded.public_key == reference.keypair_from_seed(algorithm, b"\x07" * 32).public_key
        expanded = fast.generate(algorithm)
        assert expanded.private_key.format == "expanded"
        for pair in (seeded, expanded):
            signature = fast.sign(algorithm, pair.private_key, b"m", b"ctx")
            assert reference.verify(algorithm, pair.public_key, b"m", signature, b"ctx")
            assert not fast.verify(algorithm, pair.public_key, b"m!", signature, b"ctx")
        with pytest.raises(InvalidKeyError):
            fast.verify(algorithm, b"\x00" * 1312 if name != "ML-DSA-44" else b"", b"m", b"", b"")


def test_fast_mldsa_that_fails_its_self_test_is_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastmldsa, "_SELF_TEST_SIGNATURE", "00" * 32)
    with pytest.raises(BackendUnavailableError, match="self-test"):
        FastMldsaBackend()


def test_parsed_public_keys_are_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    for backend in (FastMldsaBackend(), CryptographyBackend()):
        algorithm = get_algorithm("ML-DSA-44")
        pair = backend.keypair_from_seed(algorithm, b"\x01" * 32)
        signature = backend.sign(algorithm, pair.private_key, b"m", b"")
        for _ in range(3):
            assert backend.verify(algorithm, pair.public_key, b"m", signature, b"")
        info = backend._parsed.cache_info()
        assert (info.misses, info.hits) == (1, 2)


def test_hedged_only_backends_refuse_deterministic_signing() -> None:
    backend = get_backend("cryptography")
    algorithm = get_algorithm("ML-DSA-44")
    pair = backend.keypair_from_seed(algorithm, bytes(32))
    assert not backend.supports_deterministic
    with pytest.raises(BackendCapabilityError, match="hedged only"):
        backend.sign_deterministic(algorithm, pair.private_key, b"m", b"")
