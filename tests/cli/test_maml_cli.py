"""`pqoracle maml ...`: files and stdin/stdout, exit codes 0/1/2, one-line reasons."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from oracle import maml
from oracle.cli import main
from oracle.crypto import SigningKey
from oracle.crypto.kem import KemPrivateKey

DATA = Path(__file__).resolve().parent.parent / "data" / "maml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _signer(tmp_path: Path, name: str, algorithm: str = "ML-DSA-65") -> SigningKey:
    key = SigningKey.generate(algorithm)
    (tmp_path / f"{name}.pem").write_bytes(key.to_pem())
    (tmp_path / f"{name}.pem.pub").write_bytes(key.public.to_pem())
    return key


@pytest.fixture
def alice(tmp_path: Path) -> SigningKey:
    return _signer(tmp_path, "alice")


@pytest.fixture
def bob(tmp_path: Path) -> SigningKey:
    return _signer(tmp_path, "bob", "ML-DSA-44")


@pytest.fixture
def doc(tmp_path: Path, runner: CliRunner) -> Path:
    out = tmp_path / "doc.maml.md"
    result = runner.invoke(
        main,
        [
            "maml",
            "new",
            "--type",
            "workflow",
            "--origin",
            "agent://alice",
            "--intent",
            "Ship it.",
            "--context",
            "Tested.",
            "--created-at",
            "2026-11-24T10:00:00Z",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def _run(runner: CliRunner, *args: str | Path, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(main, ["maml", *map(str, args)], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_new_writes_a_valid_unsigned_document(doc: Path) -> None:
    parsed = maml.parse(doc.read_bytes())
    assert parsed.header.created_at == "2026-11-24T10:00:00Z"
    assert parsed.signatures == ()


def test_sign_then_verify_exits_zero(
    runner: CliRunner, tmp_path: Path, doc: Path, alice: SigningKey
) -> None:
    signed = tmp_path / "signed.maml.md"
    assert _run(runner, "sign", doc, "--key", tmp_path / "alice.pem", "-o", signed)[0] == 0
    code, out, _ = _run(runner, "verify", signed, "-p", tmp_path / "alice.pem.pub")
    assert code == 0
    assert out.strip().endswith("valid")
    assert f"0x{alice.key_id.hex()}: valid" in out


def test_sign_and_verify_through_stdin_and_stdout(
    runner: CliRunner, tmp_path: Path, doc: Path, alice: SigningKey
) -> None:
    code, signed, _ = _run(
        runner, "sign", "-", "--key", tmp_path / "alice.pem", stdin=doc.read_bytes()
    )
    assert code == 0
    assert signed.startswith("---\n")
    code, out, _ = _run(
        runner, "verify", "-", "-p", tmp_path / "alice.pem.pub", "-q", stdin=signed.encode()
    )
    assert (code, out) == (0, "")


def test_a_tampered_document_exits_one(
    runner: CliRunner, tmp_path: Path, doc: Path, alice: SigningKey
) -> None:
    _, signed, _ = _run(runner, "sign", doc, "--key", tmp_path / "alice.pem")
    tampered = signed.replace("Ship it.", "Ship it now.")
    code, out, _ = _run(
        runner, "verify", "-", "-p", tmp_path / "alice.pem.pub", stdin=tampered.encode()
    )
    assert code == 1
    assert out.strip().endswith("invalid")


def test_bad_input_exits_two_with_a_one_line_reason(
    runner: CliRunner, tmp_path: Path, alice: SigningKey
) -> None:
    code, _, err = _run(
        runner, "verify", "-", "-p", tmp_path / "alice.pem.pub", stdin=b"# no front matter\n"
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "line 1, column 1" in err


def test_a_missing_public_key_file_exits_two(runner: CliRunner, tmp_path: Path, doc: Path) -> None:
    code, _, err = _run(runner, "verify", doc, "-p", tmp_path / "absent.pub")
    assert code == 2
    assert "cannot read" in err


def test_cosign_and_verify_with_repeated_public_keys(
    runner: CliRunner, tmp_path: Path, doc: Path, alice: SigningKey, bob: SigningKey
) -> None:
    signed, both = tmp_path / "s.maml.md", tmp_path / "b.maml.md"
    _run(runner, "sign", doc, "-k", tmp_path / "alice.pem", "-o", signed)
    assert _run(runner, "cosign", signed, "-k", tmp_path / "bob.pem", "-o", both)[0] == 0
    pubs = ["-p", tmp_path / "alice.pem.pub", "-p", tmp_path / "bob.pem.pub"]
    code, out, _ = _run(runner, "verify", both, *pubs, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True
    assert [s["status"] for s in report["signatures"]] == ["valid", "valid"]
    only_alice = _run(runner, "verify", both, "-p", tmp_path / "alice.pem.pub")
    assert only_alice[0] == 1
    assert (
        _run(runner, "verify", both, "-p", tmp_path / "alice.pem.pub", "--require", "any")[0] == 0
    )


def test_sign_twice_and_cosign_unsigned_exit_two(
    runner: CliRunner, tmp_path: Path, doc: Path, alice: SigningKey
) -> None:
    assert _run(runner, "cosign", doc, "-k", tmp_path / "alice.pem")[0] == 2
    _, signed, _ = _run(runner, "sign", doc, "-k", tmp_path / "alice.pem")
    code, _, err = _run(runner, "sign", "-", "-k", tmp_path / "alice.pem", stdin=signed.encode())
    assert code == 2
    assert "cosign" in err


def test_append_history_is_verified_entry_by_entry(
    runner: CliRunner, tmp_path: Path, doc: Path, alice: SigningKey
) -> None:
    _, signed, _ = _run(runner, "sign", doc, "-k", tmp_path / "alice.pem")
    code, extended, _ = _run(
        runner,
        "append-history",
        "-",
        "-k",
        tmp_path / "alice.pem",
        "--text",
        "approved",
        "--actor",
        "agent://alice",
        "--timestamp",
        "2026-11-24T11:00:00Z",
        stdin=signed.encode(),
    )
    assert code == 0
    assert "- 2026-11-24T11:00:00Z | agent://alice | approved | sig=ML-DSA-65:" in extended
    code, out, _ = _run(
        runner, "verify", "-", "-p", tmp_path / "alice.pem.pub", stdin=extended.encode()
    )
    assert code == 0
    assert "history 0" in out
    tampered = extended.replace("| approved |", "| rejected |")
    assert (
        _run(runner, "verify", "-", "-p", tmp_path / "alice.pem.pub", stdin=tampered.encode())[0]
        == 1
    )


def test_encrypt_and_decrypt_round_trip(
    runner: CliRunner, tmp_path: Path, doc: Path, alice: SigningKey
) -> None:
    reader = KemPrivateKey.generate()
    (tmp_path / "reader.pem").write_bytes(reader.to_pem())
    (tmp_path / "reader.pem.pub").write_bytes(reader.public_key.to_pem())
    signed, sealed = tmp_path / "s.maml.md", tmp_path / "e.maml.md"
    _run(runner, "sign", doc, "-k", tmp_path / "alice.pem", "-o", signed)
    code, _, err = _run(
        runner,
        "encrypt",
        signed,
        "-r",
        tmp_path / "reader.pem.pub",
        "--sign-with",
        tmp_path / "alice.pem",
        "-o",
        sealed,
    )
    assert code == 0, err
    assert "Ship it." not in sealed.read_text()
    code, plain, _ = _run(
        runner,
        "decrypt",
        sealed,
        "-k",
        tmp_path / "reader.pem",
        "--expected-sender",
        tmp_path / "alice.pem.pub",
    )
    assert code == 0
    assert plain == signed.read_text()


def test_decrypt_with_a_wrong_key_exits_one(runner: CliRunner, tmp_path: Path) -> None:
    stranger = KemPrivateKey.generate()
    (tmp_path / "stranger.pem").write_bytes(stranger.to_pem())
    code, out, err = _run(
        runner, "decrypt", DATA / "encrypted.maml.md", "-k", tmp_path / "stranger.pem"
    )
    assert code == 1
    assert out == ""
    assert err.startswith("cannot decrypt:")
    assert err.count("\n") == 1


def test_decrypting_a_plaintext_document_exits_two(
    runner: CliRunner, tmp_path: Path, doc: Path
) -> None:
    reader = KemPrivateKey.generate()
    (tmp_path / "reader.pem").write_bytes(reader.to_pem())
    assert _run(runner, "decrypt", doc, "-k", tmp_path / "reader.pem")[0] == 2


def test_lint_exits_one_on_errors_and_zero_on_warnings(runner: CliRunner, doc: Path) -> None:
    legacy = DATA / "legacy" / "unquoted-timestamp.maml.md"
    code, out, _ = _run(runner, "lint", legacy)
    assert code == 1
    assert f"{legacy}:6:13: error:" in out
    assert "[legacy-timestamp]" in out
    code, out, _ = _run(runner, "lint", doc, "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "line": 2,
            "column": None,
            "code": "unsigned",
            "severity": "info",
            "message": "the document carries no signature",
        }
    ]


def test_the_legacy_extension_needs_lenient(
    runner: CliRunner, tmp_path: Path, alice: SigningKey
) -> None:
    legacy = DATA / "legacy" / "legacy-extension.maml.markdown"
    code, _, err = _run(runner, "verify", legacy, "-p", tmp_path / "alice.pem.pub")
    assert code == 2
    assert "legacy extension" in err
    code, out, _ = _run(runner, "verify", legacy, "-p", tmp_path / "alice.pem.pub", "--lenient")
    assert code == 1  # readable, but it carries no signature
    assert "no valid signature" in out
    assert "legacy extension" in err


def test_digest_prints_the_vector_digest(runner: CliRunner) -> None:
    manifest = json.loads((DATA / "vectors.json").read_text(encoding="utf-8"))
    code, out, _ = _run(runner, "digest", DATA / "signed.maml.md")
    assert code == 0
    assert out.strip() == manifest["documents"]["signed.maml.md"]["digest"]


def test_the_console_script_signs_and_verifies_in_a_real_process(
    tmp_path: Path, doc: Path, alice: SigningKey
) -> None:
    script = shutil.which("pqoracle")
    command = [script] if script else [sys.executable, "-c", "from oracle.cli import main; main()"]
    signed = subprocess.run(
        [*command, "maml", "sign", "-", "--key", str(tmp_path / "alice.pem")],
        input=doc.read_bytes(),
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    ok = subprocess.run(
        [*command, "maml", "verify", "-", "-p", str(tmp_path / "alice.pem.pub"), "-q"],
        input=signed,
        capture_output=True,
        timeout=120,
    )
    assert ok.returncode == 0
    bad = subprocess.run(
        [*command, "maml", "verify", "-", "-p", str(tmp_path / "alice.pem.pub"), "-q"],
        input=signed.replace(b"Ship it.", b"Ship it!"),
        capture_output=True,
        timeout=120,
    )
    assert bad.returncode == 1
    broken = subprocess.run(
        [*command, "maml", "verify", "-", "-p", str(tmp_path / "alice.pem.pub")],
        input=b"\xef\xbb\xbf" + signed,
        capture_output=True,
        timeout=120,
    )
    assert broken.returncode == 2
    assert b"byte order mark" in broken.stderr
