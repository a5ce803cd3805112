"""`pqoracle envelope keygen|encrypt|decrypt`: files, stdin/stdout, formats and exit codes."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from oracle.cli import CHECK_FAILURES, main
from oracle.crypto import SigningKey
from oracle.crypto.envelope import Envelope, open_envelope
from oracle.crypto.kem import KemPrivateKey
from oracle.errors import (
    DecryptionError,
    EnvelopeFormatError,
    EnvelopeSignatureError,
    NotARecipientError,
    SenderMismatchError,
)

BODY = b"## Intent\nShip it.\n"
FRONT_MATTER = b"id: urn:uuid:1\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _keygen(runner: CliRunner, path: Path) -> Path:
    result = runner.invoke(main, ["envelope", "keygen", "-o", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def alice(tmp_path: Path, runner: CliRunner) -> Path:
    return _keygen(runner, tmp_path / "alice.pem")


@pytest.fixture
def bob(tmp_path: Path, runner: CliRunner) -> Path:
    return _keygen(runner, tmp_path / "bob.pem")


@pytest.fixture
def sender(tmp_path: Path) -> SigningKey:
    key = SigningKey.generate("ML-DSA-65")
    (tmp_path / "sender.pem").write_bytes(key.to_pem())
    (tmp_path / "sender.pem.pub").write_bytes(key.public.to_pem())
    return key


@pytest.fixture
def body(tmp_path: Path) -> Path:
    path = tmp_path / "body.md"
    path.write_bytes(BODY)
    (tmp_path / "front.yaml").write_bytes(FRONT_MATTER)
    return path


def test_keygen_writes_an_owner_only_private_key_and_a_public_key(
    tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "k.pem"
    result = runner.invoke(main, ["envelope", "keygen", "-o", str(out), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    key = KemPrivateKey.from_pem(out.read_bytes())
    assert report["algorithm"] == "ML-KEM-768"
    assert report["key_id"] == key.key_id.hex()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert (tmp_path / "k.pem.pub").read_bytes() == key.public_key.to_pem()
    again = runner.invoke(main, ["envelope", "keygen", "-o", str(out)])
    assert again.exit_code == 2
    assert "refusing to overwrite" in again.output


@pytest.mark.parametrize("form", ["binary", "json"])
def test_encrypt_then_decrypt_for_two_recipients(
    tmp_path: Path, runner: CliRunner, alice: Path, bob: Path, body: Path, form: str
) -> None:
    sealed = tmp_path / f"body.{form}"
    result = runner.invoke(
        main,
        [
            "envelope",
            "encrypt",
            str(body),
            "-r",
            f"{alice}.pub",
            "-r",
            f"{bob}.pub",
            "--aad-file",
            str(tmp_path / "front.yaml"),
            "--format",
            form,
            "-o",
            str(sealed),
        ],
    )
    assert result.exit_code == 0, result.output
    data = sealed.read_bytes()
    envelope = Envelope.from_bytes(data) if form == "binary" else Envelope.from_json(data)
    assert len(envelope.recipients) == 2
    for key in (alice, bob):
        out = tmp_path / f"{key.stem}.md"
        result = runner.invoke(
            main,
            [
                "envelope",
                "decrypt",
                str(sealed),
                "-k",
                str(key),
                "--aad-file",
                str(tmp_path / "front.yaml"),
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == BODY


def test_stdin_and_stdout_are_used_for_dash(runner: CliRunner, alice: Path) -> None:
    encrypted = runner.invoke(main, ["envelope", "encrypt", "-r", f"{alice}.pub"], input=BODY)
    assert encrypted.exit_code == 0
    assert encrypted.stdout_bytes.startswith(b"PQE1")
    decrypted = runner.invoke(
        main, ["envelope", "decrypt", "-", "-k", str(alice)], input=encrypted.stdout_bytes
    )
    assert decrypted.exit_code == 0
    assert decrypted.stdout_bytes == BODY


def test_recipient_keys_may_be_raw_or_hex_files(
    tmp_path: Path, runner: CliRunner, alice: Path
) -> None:
    key = KemPrivateKey.from_pem(alice.read_bytes())
    raw, hexed = tmp_path / "alice.raw", tmp_path / "alice.hex"
    raw.write_bytes(key.public_key.raw)
    hexed.write_text("0x" + key.public_key.raw.hex() + "\n")
    for path in (raw, hexed):
        result = runner.invoke(main, ["envelope", "encrypt", "-r", str(path)], input=BODY)
        assert result.exit_code == 0, result.output
        assert open_envelope(Envelope.from_bytes(result.stdout_bytes), key) == BODY


def test_signed_envelope_with_expected_sender(
    tmp_path: Path, runner: CliRunner, alice: Path, sender: SigningKey
) -> None:
    sealed = tmp_path / "signed.json"
    result = runner.invoke(
        main,
        [
            "envelope",
            "encrypt",
            "-r",
            f"{alice}.pub",
            "--sign-with",
            str(tmp_path / "sender.pem"),
            "--format",
            "json",
            "-o",
            str(sealed),
        ],
        input=BODY,
    )
    assert result.exit_code == 0, result.output
    raw_sender = tmp_path / "sender.raw"
    raw_sender.write_bytes(sender.public_key)
    for expected in (tmp_path / "sender.pem.pub", raw_sender):
        result = runner.invoke(
            main,
            [
                "envelope",
                "decrypt",
                str(sealed),
                "-k",
                str(alice),
                "--expect-sender",
                str(expected),
            ],
        )
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == BODY
    other = SigningKey.generate("ML-DSA-65")
    (tmp_path / "other.pub").write_bytes(other.public.to_pem())
    wrong = runner.invoke(
        main,
        [
            "envelope",
            "decrypt",
            str(sealed),
            "-k",
            str(alice),
            "--expect-sender",
            str(tmp_path / "other.pub"),
        ],
    )
    assert wrong.exit_code == 1
    assert "not by the expected sender" in wrong.output
    assert BODY not in wrong.stdout_bytes


def test_unsigned_envelope_fails_when_a_sender_is_expected(
    tmp_path: Path, runner: CliRunner, alice: Path, sender: SigningKey
) -> None:
    encrypted = runner.invoke(main, ["envelope", "encrypt", "-r", f"{alice}.pub"], input=BODY)
    result = runner.invoke(
        main,
        [
            "envelope",
            "decrypt",
            "-k",
            str(alice),
            "--expect-sender",
            str(tmp_path / "sender.pem.pub"),
        ],
        input=encrypted.stdout_bytes,
    )
    assert result.exit_code == 1
    assert "not signed" in result.output


def test_authentication_failures_exit_1_and_write_nothing(
    tmp_path: Path, runner: CliRunner, alice: Path, bob: Path, body: Path
) -> None:
    sealed = tmp_path / "sealed.bin"
    runner.invoke(main, ["envelope", "encrypt", str(body), "-r", f"{alice}.pub", "-o", str(sealed)])
    out = tmp_path / "out.md"
    not_recipient = runner.invoke(
        main, ["envelope", "decrypt", str(sealed), "-k", str(bob), "-o", str(out)]
    )
    assert not_recipient.exit_code == 1
    assert "not among the envelope's 1 recipient" in not_recipient.output
    wrong_aad = runner.invoke(
        main,
        [
            "envelope",
            "decrypt",
            str(sealed),
            "-k",
            str(alice),
            "--aad-file",
            str(tmp_path / "front.yaml"),
            "-o",
            str(out),
        ],
    )
    assert wrong_aad.exit_code == 1
    assert "does not authenticate" in wrong_aad.output
    tampered = bytearray(sealed.read_bytes())
    tampered[-1] ^= 1
    changed = runner.invoke(
        main, ["envelope", "decrypt", "-k", str(alice), "-o", str(out)], input=bytes(tampered)
    )
    assert changed.exit_code == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "stdin", "reason"),
    [
        (["decrypt", "-k", "{alice}"], b"PQE1\x02", "unsupported envelope version 2"),
        (["decrypt", "-k", "{alice}"], b"{}", "format"),
        (["decrypt", "-k", "{alice}", "--format", "binary"], b"{}", "magic"),
        (["decrypt", "-k", "{alice}.pub"], b"", "private key"),
        (["decrypt", "-k", "{tmp}/missing.pem"], b"", "cannot read"),
        (["encrypt", "-r", "{alice}"], BODY, "public key"),
        (["encrypt", "-r", "{tmp}/body.md"], BODY, "public key"),
        (["encrypt", "-r", "{alice}.pub", "-r", "{alice}.pub"], BODY, "more than once"),
        (["encrypt", "-r", "{alice}.pub", "--sign-with", "{alice}"], BODY, "ML-DSA"),
        (["encrypt", "-r", "{alice}.pub", "--format", "xml"], BODY, "xml"),
        (["encrypt"], BODY, "--recipient"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_reason(
    tmp_path: Path,
    runner: CliRunner,
    alice: Path,
    body: Path,
    args: list[str],
    stdin: bytes,
    reason: str,
) -> None:
    argv = ["envelope", *(a.format(alice=alice, tmp=tmp_path) for a in args)]
    result = runner.invoke(main, argv, input=stdin)
    assert result.exit_code == 2, result.output
    assert reason in result.output
    assert not isinstance(result.exception, (IndexError, KeyError, TypeError))


def test_the_cli_maps_decryption_failures_to_exit_1_and_format_errors_to_2() -> None:
    assert DecryptionError in CHECK_FAILURES

    @click.group(cls=type(main))
    def probe() -> None:
        pass

    for error, code in [
        (DecryptionError("x"), 1),
        (NotARecipientError("x"), 1),
        (EnvelopeSignatureError("x"), 1),
        (SenderMismatchError("x"), 1),
        (EnvelopeFormatError("x"), 2),
    ]:

        @probe.command(name="raise")
        def raise_it(error: Exception = error) -> None:
            raise error

        result = CliRunner().invoke(probe, ["raise"])
        assert result.exit_code == code, (error, result.output)
        assert result.output == "Error: x\n"


def test_the_installed_pqoracle_command_returns_the_documented_exit_codes(
    tmp_path: Path, body: Path
) -> None:
    exe = shutil.which("pqoracle")
    if exe is None:
        pytest.skip("the pqoracle console script is not installed (pip install -e .)")
    key = tmp_path / "k.pem"
    other = tmp_path / "o.pem"

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [exe, "envelope", *args], input=stdin, capture_output=True, timeout=120
        )

    assert run("keygen", "-o", str(key)).returncode == 0
    assert run("keygen", "-o", str(other)).returncode == 0
    sealed = run("encrypt", "-r", f"{key}.pub", "--format", "json", str(body))
    assert sealed.returncode == 0
    opened = run("decrypt", "-k", str(key), stdin=sealed.stdout)
    assert opened.returncode == 0
    assert opened.stdout == BODY
    refused = run("decrypt", "-k", str(other), stdin=sealed.stdout)
    assert refused.returncode == 1
    assert refused.stdout == b""
    assert refused.stderr.decode().count("\n") == 1
    malformed = run("decrypt", "-k", str(key), stdin=sealed.stdout[:-10])
    assert malformed.returncode == 2
    assert malformed.stderr.decode().startswith("Error: envelope JSON is not valid JSON")
