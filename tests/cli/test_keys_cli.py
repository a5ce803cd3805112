from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from oracle.cli import main
from oracle.crypto import SigningKey, load_public_key, verify


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def keyfile(tmp_path: Path, runner: CliRunner) -> Path:
    out = tmp_path / "signer.pem"
    result = runner.invoke(main, ["keygen", "-a", "ML-DSA-44", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out


def _sign(runner: CliRunner, keyfile: Path, *args: str) -> str:
    result = runner.invoke(main, ["sign", "-k", str(keyfile), *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_keygen_writes_an_owner_only_private_key_and_a_public_key(
    tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "k.pem"
    result = runner.invoke(main, ["keygen", "-a", "ML-DSA-87", "-o", str(out), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert out.stat().st_mode & 0o777 == 0o600
    key = SigningKey.from_pem(out.read_bytes())
    assert key.algorithm.name == "ML-DSA-87"
    assert report["key_id"] == "0x" + key.key_id.hex()
    assert load_public_key(Path(report["public_key_file"]).read_bytes()) == key.public


def test_keygen_refuses_to_overwrite_a_key(keyfile: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["keygen", "-o", str(keyfile)])
    assert result.exit_code == 2
    assert "refusing to overwrite" in result.output


def test_keygen_with_a_password_file_encrypts_the_key(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "pw").write_text("s3cret\n")
    out = tmp_path / "locked.pem"
    args = ["keygen", "-o", str(out), "--password-file", str(tmp_path / "pw")]
    assert runner.invoke(main, args).exit_code == 0
    assert b"ENCRYPTED" in out.read_bytes()
    signed = runner.invoke(
        main, ["sign", "-k", str(out), "--password-file", str(tmp_path / "pw"), "--message", "x"]
    )
    assert signed.exit_code == 0
    unlocked = runner.invoke(main, ["sign", "-k", str(out), "--message", "x"])
    assert unlocked.exit_code == 2


def test_signature_printed_as_hex_verifies_with_exit_code_0(
    keyfile: Path, runner: CliRunner
) -> None:
    signature = _sign(runner, keyfile, "--message", "pay 5", "--context", "app")
    public = load_public_key(Path(str(keyfile) + ".pub").read_bytes())
    assert verify("ML-DSA-44", public.raw, b"pay 5", bytes.fromhex(signature[2:]), b"app")
    result = runner.invoke(
        main,
        [
            "verify",
            "-p",
            f"{keyfile}.pub",
            "--message",
            "pay 5",
            "--context",
            "app",
            "-s",
            signature,
        ],
    )
    assert (result.exit_code, result.output.strip()) == (0, "valid")


@pytest.mark.parametrize(
    "change",
    [["--message", "pay 6", "--context", "app"], ["--message", "pay 5"]],
    ids=["tampered-message", "wrong-context"],
)
def test_verify_exits_1_for_a_signature_that_does_not_verify(
    keyfile: Path, runner: CliRunner, change: list[str]
) -> None:
    signature = _sign(runner, keyfile, "--message", "pay 5", "--context", "app")
    result = runner.invoke(main, ["verify", "-p", f"{keyfile}.pub", *change, "-s", signature])
    assert (result.exit_code, result.output.strip()) == (1, "invalid")


def test_verify_reads_raw_files_and_hex_keys(
    keyfile: Path, tmp_path: Path, runner: CliRunner
) -> None:
    (tmp_path / "msg.bin").write_bytes(b"\x00\xffbinary")
    sig_path = tmp_path / "sig.bin"
    args = ["--message-file", str(tmp_path / "msg.bin"), "-o", str(sig_path)]
    result = runner.invoke(main, ["sign", "-k", str(keyfile), *args])
    assert result.exit_code == 0
    public = load_public_key(Path(f"{keyfile}.pub").read_bytes())
    result = runner.invoke(
        main,
        [
            "verify",
            "--public-key-hex",
            "0x" + public.raw.hex(),
            "-a",
            "ML-DSA-44",
            "--message-hex",
            "0x00ff" + b"binary".hex(),
            "--signature-file",
            str(sig_path),
        ],
    )
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--message", "m", "-s", "0xnothex"], "signature is not hex"),
        (["--message", "m", "-s", "0xabc"], "odd number of hex digits"),
        (["--message", "m", "--message-hex", "0x00", "-s", "0x00"], "give the message once"),
        (["-s", "0x00"], "no message"),
        (["--message", "m"], "give the signature once"),
        (["--message", "m", "-s", "0x00", "-a", "Dilithium2"], "round-3"),
        (["--message", "m", "-s", "0x00", "-a", "ML-DSA-65"], "does not match"),
        (["--message", "m", "-s", "0x00", "--context", "c" * 256], "at most 255"),
    ],
)
def test_verify_exits_2_with_a_one_line_reason_for_bad_input(
    keyfile: Path, runner: CliRunner, args: list[str], reason: str
) -> None:
    result = runner.invoke(main, ["verify", "-p", f"{keyfile}.pub", *args])
    assert result.exit_code == 2
    assert reason in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_verify_exits_2_for_a_public_key_of_the_wrong_length(runner: CliRunner) -> None:
    args = ["verify", "--public-key-hex", "0x00", "-a", "ML-DSA-44", "--message", "m", "-s", "0x00"]
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert "1312 bytes, got 1" in result.output


def test_installed_console_script_reports_exit_codes(keyfile: Path, tmp_path: Path) -> None:
    exe = shutil.which("pqoracle")
    if exe is None:
        pytest.skip("the pqoracle console script is not installed (pip install -e .)")
    sig = subprocess.run(
        [exe, "sign", "-k", str(keyfile), "--message", "m"], capture_output=True, text=True
    ).stdout.strip()
    base = [exe, "verify", "-p", f"{keyfile}.pub", "-s", sig]
    assert subprocess.run([*base, "--message", "m"], capture_output=True).returncode == 0
    assert subprocess.run([*base, "--message", "n"], capture_output=True).returncode == 1
    bad = subprocess.run([*base, "--message", "m", "-a", "RSA"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: unknown algorithm 'RSA'")
