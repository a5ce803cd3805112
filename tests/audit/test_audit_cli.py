"""`pqoracle audit` exit codes and files, on saved Slither outputs and on stand-in executables."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from oracle import maml
from oracle.cli import main
from oracle.crypto import SigningKey, get_algorithm, load_public_key
from tests.audit.conftest import DATA, REPO, VULNERABLE


@pytest.fixture(autouse=True)
def _no_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PQORACLE_SIGNING_KEY_FILE", raising=False)


def _audit(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["audit", *args], env=env)


def _fixture_run(operator: Path, out_dir: Path, fixture: str, *args: str) -> Result:
    # The fixtures name contracts/...: audit that directory so contracts/test/ is set aside.
    return _audit(
        "--key",
        str(operator),
        "--contracts",
        str(REPO / "contracts"),
        "--out-dir",
        str(out_dir),
        "--slither-json",
        str(DATA / fixture),
        *args,
    )


def _verifies(report: Path, public: Path) -> bool:
    key = load_public_key(public.read_bytes())
    return maml.verify(report.read_bytes(), [key]).valid


def test_score_of_10_or_more_exits_1_and_still_writes_a_signed_report(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    private, public = operator_files
    result = _fixture_run(private, tmp_path / "audit", "slither-findings.json")
    assert result.exit_code == 1, result.output
    assert "score    35 (fails at 10): FAIL" in result.output
    reports = list((tmp_path / "audit").glob("*.maml.md"))
    assert len(reports) == 1
    assert _verifies(reports[0], public)


def test_score_below_10_exits_0(tmp_path: Path, operator_files: tuple[Path, Path]) -> None:
    private, public = operator_files
    result = _fixture_run(private, tmp_path / "audit", "slither-medium.json")
    assert result.exit_code == 0, result.output
    assert "score    5 (fails at 10): pass" in result.output
    (report,) = (tmp_path / "audit").glob("*.maml.md")
    assert _verifies(report, public)


def test_two_medium_findings_reach_the_threshold(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    data = json.loads((DATA / "slither-medium.json").read_text())
    medium = next(r for r in data["results"]["detectors"] if r["check"] == "tx-origin")
    data["results"]["detectors"].append(dict(medium, id="another"))
    saved = tmp_path / "two-medium.json"
    saved.write_text(json.dumps(data))
    result = _fixture_run(operator_files[0], tmp_path / "audit", str(saved))
    assert result.exit_code == 1, result.output
    assert "score    10 (fails at 10): FAIL" in result.output


def test_json_summary_lists_the_report_score_and_findings(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    result = _fixture_run(operator_files[0], tmp_path / "audit", "slither-findings.json", "--json")
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["score"] == 35
    assert summary["passed"] is False
    assert summary["counts"]["critical"] == 1
    assert summary["excluded_findings"] == 4
    assert summary["findings"][0]["check"] == "suicidal"
    assert summary["tools"]["slither"] is None
    assert len(summary["commit"]) in (40, 64)
    assert Path(summary["report"]).is_file()


def test_the_report_is_named_after_the_day_and_never_overwritten(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    out = tmp_path / "audit"
    for _ in range(3):
        assert _fixture_run(operator_files[0], out, "slither-clean.json").exit_code == 0
    names = sorted(path.name for path in out.iterdir())
    day = names[0][: len("YYYY-MM-DD")]
    assert names == [f"{day}-2.maml.md", f"{day}-3.maml.md", f"{day}.maml.md"]


def test_force_replaces_the_days_report(tmp_path: Path, operator_files: tuple[Path, Path]) -> None:
    out = tmp_path / "audit"
    assert _fixture_run(operator_files[0], out, "slither-findings.json").exit_code == 1
    (first,) = out.iterdir()
    assert _fixture_run(operator_files[0], out, "slither-clean.json", "--force").exit_code == 0
    assert [path.name for path in out.iterdir()] == [first.name]
    assert "No findings." in first.read_text()


def test_the_key_may_come_from_the_signing_key_file_setting(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    private, public = operator_files
    result = _audit(
        "--contracts",
        str(VULNERABLE),
        "--out-dir",
        str(tmp_path / "audit"),
        "--slither-json",
        str(DATA / "slither-clean.json"),
        env={"PQORACLE_SIGNING_KEY_FILE": str(private)},
    )
    assert result.exit_code == 0, result.output
    (report,) = (tmp_path / "audit").glob("*.maml.md")
    assert _verifies(report, public)


def test_no_key_at_all_is_bad_input(tmp_path: Path) -> None:
    result = _audit("--contracts", str(VULNERABLE), "--out-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "no signing key" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_key_file_is_bad_input(tmp_path: Path) -> None:
    result = _audit("--key", str(tmp_path / "missing.pem"), "--contracts", str(VULNERABLE))
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_a_wrong_key_password_is_bad_input_and_does_not_echo_it(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    locked = tmp_path / "locked.pem"
    locked.write_bytes(SigningKey.generate(get_algorithm("ML-DSA-65")).to_pem(password=b"right"))
    password = tmp_path / "pw"
    password.write_text("hunter2-wrong\n")
    result = _audit(
        "--key",
        str(locked),
        "--password-file",
        str(password),
        "--contracts",
        str(VULNERABLE),
        "--out-dir",
        str(tmp_path / "audit"),
        "--slither-json",
        str(DATA / "slither-clean.json"),
    )
    assert result.exit_code == 2
    assert "hunter2" not in result.output


def test_an_unreadable_slither_output_is_bad_input(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    result = _fixture_run(operator_files[0], tmp_path / "audit", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_a_malformed_slither_output_is_bad_input(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    saved = tmp_path / "bad.json"
    saved.write_text('{"success": true, "results": {"detectors": [{"check": 1}]}}')
    result = _fixture_run(operator_files[0], tmp_path / "audit", str(saved))
    assert result.exit_code == 2
    assert "check is not a string" in result.output
    assert not (tmp_path / "audit").exists()


def test_an_output_saying_slither_failed_is_a_runtime_failure(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    saved = tmp_path / "failed.json"
    saved.write_text(json.dumps({"success": False, "error": "InvalidCompilation: boom"}))
    result = _fixture_run(operator_files[0], tmp_path / "audit", str(saved))
    assert result.exit_code == 3
    assert "InvalidCompilation: boom" in result.output


def test_contracts_outside_a_git_work_tree_are_bad_input(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "A.sol").write_text("contract A {}\n")
    result = _audit(
        "--key", str(operator_files[0]), "--contracts", str(outside), "--out-dir", str(tmp_path)
    )
    assert result.exit_code == 2
    assert "git" in result.output


def test_a_missing_contracts_directory_is_bad_input(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    result = _audit("--key", str(operator_files[0]), "--contracts", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert "is not a directory" in result.output


def test_a_missing_slither_says_how_to_install_it(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    result = _audit(
        "--key",
        str(operator_files[0]),
        "--contracts",
        str(VULNERABLE),
        "--out-dir",
        str(tmp_path / "audit"),
        "--slither",
        str(tmp_path / "venv" / "bin" / "slither"),
    )
    assert result.exit_code == 2
    assert "run scripts/setup-slither.sh" in result.output


# --- stand-in executables: the arguments Slither gets and how its failures map ---------------


def _executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


_FAKE_SOLC = """#!/bin/sh
echo "solc, the solidity compiler commandline interface"
echo "Version: 0.8.37+commit.f401782d"
"""

_FAKE_SLITHER = """#!/usr/bin/env bash
if [[ "$1" == "--version" ]]; then echo 0.11.6; exit 0; fi
out=""
prev=""
for arg in "$@"; do
    [[ "$prev" == "--json" ]] && out="$arg"
    prev="$arg"
done
printf '%s\\n' "$@" > "$FAKE_DIR/args"
cp "$1" "$FAKE_DIR/input.json"
pwd > "$FAKE_DIR/cwd"
MODE
"""


def _fake_slither(tmp_path: Path, mode: str) -> Path:
    bin_dir = tmp_path / "venv" / "bin"
    _executable(bin_dir / "solc", _FAKE_SOLC)
    return _executable(bin_dir / "slither", _FAKE_SLITHER.replace("MODE", mode))


def _run_fake(tmp_path: Path, operator: Path, mode: str, *args: str) -> Result:
    slither = _fake_slither(tmp_path, mode)
    return _audit(
        "--key",
        str(operator),
        "--contracts",
        str(VULNERABLE),
        "--out-dir",
        str(tmp_path / "audit"),
        "--slither",
        str(slither),
        *args,
        env={"FAKE_DIR": str(tmp_path)},
    )


def test_slither_gets_a_standard_json_input_with_the_project_settings(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    mode = f'cp "{DATA / "slither-findings.json"}" "$out"'
    result = _run_fake(tmp_path, operator_files[0], mode, "--json")
    assert result.exit_code == 1, result.output
    args = (tmp_path / "args").read_text().splitlines()
    assert args[1:5] == [
        "--compile-force-framework",
        "solc-json",
        "--solc",
        str(tmp_path / "venv" / "bin" / "solc"),
    ]
    assert "--fail-none" in args
    compiler_input = json.loads((tmp_path / "input.json").read_text())
    assert list(compiler_input["sources"]) == ["tests/data/audit/vulnerable/Vault.sol"]
    assert compiler_input["settings"]["evmVersion"] == "shanghai"
    assert compiler_input["settings"]["remappings"] == [
        "@openzeppelin/=node_modules/@openzeppelin/"
    ]
    repo = Path(__file__).resolve().parents[2]
    assert Path((tmp_path / "cwd").read_text().strip()) == repo
    summary = json.loads(result.output)
    assert summary["tools"] == {
        "slither": "0.11.6",
        "solc": "0.8.37+commit.f401782d",
        "pqoracle": summary["tools"]["pqoracle"],
    }


def test_slither_reporting_an_error_is_a_runtime_failure(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    mode = (
        """echo '{"success": false, "error": "InvalidCompilation: ParserError", "results": {}}'"""
        ' > "$out"; echo "Traceback: compile failed" >&2; exit 255'
    )
    result = _run_fake(tmp_path, operator_files[0], mode)
    assert result.exit_code == 3
    assert "InvalidCompilation: ParserError" in result.output
    assert "Traceback: compile failed" in result.output
    assert not (tmp_path / "audit").exists()


def test_slither_crashing_without_output_is_a_runtime_failure(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    result = _run_fake(tmp_path, operator_files[0], 'echo "KeyError: boom" >&2; exit 1')
    assert result.exit_code == 3
    assert "Slither wrote no output (exit 1): KeyError: boom" in result.output


def test_slither_exiting_non_zero_with_a_clean_output_is_a_runtime_failure(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    mode = f'cp "{DATA / "slither-clean.json"}" "$out"; exit 2'
    result = _run_fake(tmp_path, operator_files[0], mode)
    assert result.exit_code == 3
    assert "Slither exited with 2" in result.output


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_slither_running_past_the_timeout_is_stopped_with_its_children(
    tmp_path: Path, operator_files: tuple[Path, Path]
) -> None:
    mode = 'sleep 60 & echo $! > "$FAKE_DIR/child"; wait'
    started = time.monotonic()
    result = _run_fake(tmp_path, operator_files[0], mode, "--timeout", "1")
    assert time.monotonic() - started < 30
    assert result.exit_code == 3
    assert "did not finish within 1 s" in result.output
    child = int((tmp_path / "child").read_text())
    deadline = time.monotonic() + 5
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child)
