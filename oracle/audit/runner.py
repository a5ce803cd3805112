"""The I/O shell of `pqoracle audit`: run Slither, ask git for the commit, write the report.

Slither runs from its own virtual environment (`.venv-slither/`, made by
scripts/setup-slither.sh: it needs web3<8, this package runs on web3 8), with the `solc` there,
which is scripts/solc-wrapper around the pinned solcjs. It gets a standard-JSON compiler input
naming every audited source, so the compiler settings are the project's (evmVersion shanghai),
not solc's defaults.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from oracle import __version__
from oracle.audit.findings import SlitherFindings, Summary, parse_slither_json, summarise
from oracle.audit.report import AuditResult, AuditSubject, ToolVersions, build_report
from oracle.errors import (
    AuditSourceError,
    InputError,
    SlitherFailedError,
    SlitherNotFoundError,
    SlitherOutputError,
)

if TYPE_CHECKING:
    from oracle.crypto import SigningKey

#: Where scripts/setup-slither.sh puts Slither, relative to the project root.
DEFAULT_SLITHER: Final = Path(".venv-slither/bin/slither")
#: Seconds Slither may take (compiling included) before it is stopped.
DEFAULT_TIMEOUT: Final = 600.0
#: Seconds for quick helper commands (versions, git).
_QUICK_TIMEOUT: Final = 60.0
#: The same import remapping and EVM version scripts/compile.js compiles with.
REMAPPING: Final = "@openzeppelin/=node_modules/@openzeppelin/"
EVM_VERSION: Final = "shanghai"
#: Test-only contracts live here, relative to the audited directory; their findings are set aside.
TEST_SUBDIR: Final = "test"
#: Largest Slither JSON output read (its output for these contracts is a few hundred KiB).
MAX_SLITHER_OUTPUT: Final = 64 * 1024 * 1024
#: Lines of Slither's log quoted when it fails.
_LOG_TAIL_LINES: Final = 8
#: Reports written on one day before the suffix search gives up.
_MAX_SUFFIX: Final = 99
_VERSION = re.compile(r"\d+\.\d+\.\d+\S*")


@dataclass(frozen=True, slots=True)
class SlitherTool:
    """The Slither executable and the `solc` beside it in the same environment."""

    slither: Path
    solc: Path


@dataclass(frozen=True, slots=True)
class AuditOutcome:
    """What `run_audit` did: the report it wrote and the verdict."""

    path: Path
    summary: Summary
    result: AuditResult


def find_slither(slither: Path) -> SlitherTool:
    """The Slither executable at `slither` and the `solc` in the same directory.

    Raises:
        SlitherNotFoundError: either is missing or not executable.
    """
    solc = slither.parent / "solc"
    for path in (slither, solc):
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise SlitherNotFoundError(
                f"{path} not found or not executable; run scripts/setup-slither.sh"
            )
    return SlitherTool(slither=slither.absolute(), solc=solc.absolute())


def _run(
    command: list[str], *, cwd: Path, timeout: float, what: str
) -> subprocess.CompletedProcess[str]:
    """Run `command` with a time limit; on timeout its whole process group is stopped.

    Raises:
        SlitherFailedError: it could not start or ran out of time.
    """
    try:
        # A session of its own: Slither starts solc, which starts node; a timeout must stop all.
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as err:
        raise SlitherFailedError(f"cannot run {what}: {err.strerror}") from err
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise SlitherFailedError(f"{what} did not finish within {timeout:g} s") from err
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _version(tool: Path, root: Path) -> str:
    done = _run([str(tool), "--version"], cwd=root, timeout=_QUICK_TIMEOUT, what=tool.name)
    found = _VERSION.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise SlitherFailedError(f"{tool} --version gave no version (exit {done.returncode})")
    return found.group(0)


def tool_versions(tool: SlitherTool, root: Path) -> ToolVersions:
    """Slither's and solc's versions as they report them.

    Raises:
        SlitherFailedError: a tool does not run or prints no version.
    """
    return ToolVersions(
        slither=_version(tool.slither, root), solc=_version(tool.solc, root), pqoracle=__version__
    )


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=_QUICK_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise AuditSourceError(f"cannot run git in {root}: {err}") from err
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit {done.returncode}"
        raise AuditSourceError(f"git {' '.join(args)} failed in {root}: {reason}")
    return done.stdout


def project_root(contracts: Path) -> Path:
    """The git work tree holding `contracts` (Slither runs there; node_modules is there).

    Raises:
        AuditSourceError: `contracts` is not a directory in a git work tree.
    """
    if not contracts.is_dir():
        raise AuditSourceError(f"{contracts} is not a directory")
    return Path(_git(contracts, "rev-parse", "--show-toplevel").strip()).resolve()


def relative_dir(root: Path, directory: Path) -> str:
    """`directory` relative to `root`, POSIX style.

    Raises:
        AuditSourceError: it is not inside `root`.
    """
    try:
        relative = directory.resolve().relative_to(root)
    except ValueError as err:
        raise AuditSourceError(f"{directory} is not inside the project at {root}") from err
    return relative.as_posix()


def git_subject(root: Path, contracts: str, excluded_dirs: tuple[str, ...]) -> AuditSubject:
    """The commit checked out in `root` and whether `contracts` differs from it.

    Raises:
        AuditSourceError: git fails (not a repository, no commit yet).
    """
    commit = _git(root, "rev-parse", "HEAD").strip()
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", contracts)
    return AuditSubject(
        contracts=contracts,
        commit=commit,
        dirty=bool(status.strip()),
        excluded_dirs=excluded_dirs,
    )


def contract_sources(root: Path, contracts: str) -> tuple[str, ...]:
    """Every `.sol` file under `contracts` except `<contracts>/test/`, relative to `root`.

    Raises:
        AuditSourceError: there is none.
    """
    base = root / contracts
    test_dir = base / TEST_SUBDIR
    sources = sorted(
        path.relative_to(root).as_posix()
        for path in base.rglob("*.sol")
        if path.is_file() and not path.is_relative_to(test_dir)
    )
    if not sources:
        raise AuditSourceError(f"no .sol files under {contracts}/ (outside {TEST_SUBDIR}/)")
    return tuple(sources)


def standard_json_input(sources: tuple[str, ...]) -> dict[str, object]:
    """The standard-JSON compiler input for Slither: sources by path, the project's settings."""
    return {
        "language": "Solidity",
        # By URL, not content: crytic-compile reads the files from disk for source mappings.
        "sources": {source: {"urls": [source]} for source in sources},
        "settings": {
            "evmVersion": EVM_VERSION,
            "remappings": [REMAPPING],
            "outputSelection": {
                "*": {
                    "*": [
                        "abi",
                        "metadata",
                        "devdoc",
                        "userdoc",
                        "evm.bytecode",
                        "evm.deployedBytecode",
                    ],
                    "": ["ast"],
                }
            },
        },
    }


def _tail(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return " | ".join(lines[-_LOG_TAIL_LINES:]) or "no output"


def run_slither(
    tool: SlitherTool, root: Path, sources: tuple[str, ...], *, timeout: float = DEFAULT_TIMEOUT
) -> bytes:
    """Slither's JSON output for `sources` (paths relative to `root`), run in `root`.

    Raises:
        SlitherFailedError: Slither failed, ran out of time or wrote no output.
    """
    with tempfile.TemporaryDirectory(prefix="pqoracle-audit-") as scratch:
        input_file = Path(scratch) / "input.json"
        output_file = Path(scratch) / "slither.json"
        input_file.write_text(json.dumps(standard_json_input(sources)), encoding="utf-8")
        command = [
            str(tool.slither),
            str(input_file),
            "--compile-force-framework",
            "solc-json",
            "--solc",
            str(tool.solc),
            "--json",
            str(output_file),
            # The exit code then means "Slither failed", not "Slither found something".
            "--fail-none",
            "--disable-color",
        ]
        done = _run(command, cwd=root, timeout=timeout, what="Slither")
        if not output_file.is_file():
            raise SlitherFailedError(
                f"Slither wrote no output (exit {done.returncode}): {_tail(done.stderr)}"
            )
        if output_file.stat().st_size > MAX_SLITHER_OUTPUT:
            raise SlitherFailedError(f"Slither output exceeds {MAX_SLITHER_OUTPUT} bytes")
        data = output_file.read_bytes()
        if done.returncode != 0:
            # Slither writes `success: false` and the error into its JSON; prefer that message.
            try:
                parse_slither_json(data)
            except (SlitherFailedError, SlitherOutputError) as err:
                raise SlitherFailedError(f"{err} (log: {_tail(done.stderr)})") from err
            raise SlitherFailedError(f"Slither exited with {done.returncode}: {_tail(done.stderr)}")
        return data


def read_slither_json(path: Path) -> bytes:
    """A saved Slither JSON output file.

    Raises:
        InputError: it cannot be read or is too large.
    """
    try:
        size = path.stat().st_size
        if size > MAX_SLITHER_OUTPUT:
            raise InputError(f"{path} is {size} bytes; the limit is {MAX_SLITHER_OUTPUT}")
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from err


def report_path(out_dir: Path, day: str, *, force: bool) -> Path:
    """`<out_dir>/<day>.maml.md`, or with `-2`, `-3`... when taken and `force` is off.

    Raises:
        InputError: every name for that day is taken.
    """
    first = out_dir / f"{day}.maml.md"
    if force or not first.exists():
        return first
    for suffix in range(2, _MAX_SUFFIX + 1):
        candidate = out_dir / f"{day}-{suffix}.maml.md"
        if not candidate.exists():
            return candidate
    raise InputError(f"{out_dir} already holds {_MAX_SUFFIX} reports for {day}; use --force")


def write_report(path: Path, text: str, *, force: bool) -> None:
    """Write the report, creating its directory; an existing file is replaced only with `force`.

    Raises:
        InputError: the file exists (without `force`) or cannot be written.
    """
    data = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if force:
            # Whole or nothing: a reader never sees half a signed report.
            partial = path.with_name(path.name + ".partial")
            partial.write_bytes(data)
            partial.replace(path)
            return
        with path.open("xb") as handle:
            handle.write(data)
    except FileExistsError as err:
        raise InputError(f"{path} exists; use --force to replace it") from err
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror}") from err


def utc_now() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def run_audit(
    signing_key: SigningKey,
    *,
    contracts: Path,
    out_dir: Path,
    slither: Path | None = None,
    slither_json: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    force: bool = False,
    now: datetime | None = None,
) -> AuditOutcome:
    """Run Slither over `contracts` (or read `slither_json`), then write the signed report.

    `slither` defaults to `.venv-slither/bin/slither` in the project root (the git work tree
    holding `contracts`).

    Raises:
        AuditSourceError: the contracts are missing or git cannot describe them.
        SlitherNotFoundError: Slither is not installed there.
        SlitherFailedError: Slither failed or reported a failure.
        SlitherOutputError: the output (or `slither_json`) is not Slither's JSON.
        InputError: `slither_json` cannot be read, or the report cannot be written.
    """
    root = project_root(contracts)
    audited = relative_dir(root, contracts)
    excluded_dirs = (f"{audited}/{TEST_SUBDIR}" if audited != "." else TEST_SUBDIR,)
    subject = git_subject(root, audited, excluded_dirs)
    if slither_json is not None:
        data = read_slither_json(slither_json)
        tools = ToolVersions(slither=None, solc=None, pqoracle=__version__)
        source = "file"
    else:
        tool = find_slither(slither if slither is not None else root / DEFAULT_SLITHER)
        tools = tool_versions(tool, root)
        data = run_slither(tool, root, contract_sources(root, audited), timeout=timeout)
        source = "run"
    findings: SlitherFindings = parse_slither_json(data, excluded_dirs=excluded_dirs)
    moment = now if now is not None else utc_now()
    result = AuditResult(
        subject=subject,
        tools=tools,
        findings=findings,
        summary=summarise(findings.findings),
        created_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        slither_source=source,
    )
    text = build_report(result, signing_key)
    path = report_path(out_dir, moment.strftime("%Y-%m-%d"), force=force)
    write_report(path, text, force=force)
    return AuditOutcome(path=path, summary=result.summary, result=result)
