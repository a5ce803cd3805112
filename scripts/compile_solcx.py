#!/usr/bin/env python3
"""The build of scripts/compile.js through py-solc-x: same input, same artifacts, byte for byte.

    python3 scripts/compile_solcx.py [--out DIR] [--solc PATH]

Compiles contracts/**/*.sol with `solcx.compile_standard` and writes one JSON artifact per concrete
contract and interface to oracle/chain/artifacts/ (or --out DIR), in the format compile.js writes.
It is for projects that drive the compiler from Python; `npm run compile` stays the project's
build, and tests/contracts/test_compile_solcx.py fails when the two disagree on a single byte.

The compiler defaults to scripts/solc-wrapper, the pinned solcjs behind a native `solc` command
line (no native solc 0.8.37 can be installed offline). Any solc 0.8.37 works: a native one writes
its own platform into `compiler.version`, and nothing else changes.

Needs py-solc-x (the `test` extra installs it; the Brownie environment has it too).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import solcx

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_DIR = "contracts"
DEFAULT_OUT = ROOT / "oracle" / "chain" / "artifacts"
DEFAULT_SOLC = ROOT / "scripts" / "solc-wrapper"
SOLC_VERSION = "0.8.37"
# Import prefixes resolved from node_modules; anything else must be one of our own sources.
NODE_MODULE_PREFIXES = ("@openzeppelin/",)

# compile.js's SETTINGS and output selection, which its comments explain: any difference reaches
# the metadata and therefore the bytecode, so the comparison test catches a drift at once.
SETTINGS: dict[str, Any] = {
    "evmVersion": "shanghai",
    "optimizer": {"enabled": True, "runs": 200},
    "viaIR": False,
}
OUTPUT_SELECTION = {
    "*": {
        "": ["ast"],
        "*": [
            "abi",
            "evm.bytecode.object",
            "evm.deployedBytecode.object",
            "evm.methodIdentifiers",
            "metadata",
        ],
    },
}
# The full version as the compiler prints it (solcx keeps only the commit, not the platform, and
# compile.js records solcjs's `0.8.37+commit.f401782d.Emscripten.clang`).
_FULL_VERSION = re.compile(r"\d+\.\d+\.\d+\+commit\.[0-9a-f]+[\w.+-]*")


class CompileError(Exception):
    """The sources do not compile, or the compiler is not the pinned one."""


def list_sources(directory: str = CONTRACTS_DIR) -> list[str]:
    """Source unit names of every .sol file under `directory`, as compile.js lists them."""
    found: list[str] = []
    with os.scandir(ROOT / directory) as entries:
        for entry in entries:
            name = f"{directory}/{entry.name}"
            # Symbolic links are neither files nor directories to compile.js (Dirent) either.
            if entry.is_dir(follow_symlinks=False):
                found.extend(list_sources(name))
            elif entry.is_file(follow_symlinks=False) and entry.name.endswith(".sol"):
                found.append(name)
    return sorted(found)


def _read_text(path: Path) -> str:
    # Not read_text(): universal newlines would turn CRLF into LF, and solc must see the bytes.
    return path.read_bytes().decode("utf-8")


def _source_path(source_name: str) -> Path:
    if source_name.startswith(f"{CONTRACTS_DIR}/"):
        return ROOT / source_name
    return ROOT / "node_modules" / source_name


def standard_input(sources: list[str]) -> dict[str, Any]:
    """The standard-JSON input compile.js gives solcjs (imports come from node_modules)."""
    return {
        "language": "Solidity",
        "sources": {name: {"content": _read_text(ROOT / name)} for name in sources},
        "settings": {**SETTINGS, "outputSelection": OUTPUT_SELECTION},
    }


def full_version(solc: Path) -> str:
    """The compiler's full version, e.g. 0.8.37+commit.f401782d.Emscripten.clang.

    Raises CompileError when it is not the pinned version.
    """
    printed = subprocess.run(
        [str(solc), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    match = _FULL_VERSION.search(printed)
    if match is None or solcx.wrapper.get_solc_version(solc).base_version != SOLC_VERSION:
        raise CompileError(f"solc {SOLC_VERSION} is pinned, but {solc} is {printed.strip()!r}")
    return match.group(0)


def compile_contracts(solc: Path) -> tuple[str, dict[str, Any]]:
    """Compile contracts/ with `solc`; return the compiler's version and the artifacts by name.

    Raises CompileError when a source fails to compile, imports a file outside contracts/ and
    NODE_MODULE_PREFIXES, or two artifacts would share a name.
    """
    version = full_version(solc)
    contract_sources = list_sources()
    # Our sources travel in the input; the compiler reads each import from node_modules, under
    # the source unit name compile.js's import callback gives it (`@openzeppelin/...`).
    node_modules = ROOT / "node_modules"
    try:
        output = solcx.compile_standard(
            standard_input(contract_sources),
            base_path=node_modules,
            allow_paths=node_modules,
            solc_binary=solc,
        )
    except solcx.exceptions.SolcError as err:
        raise CompileError(f"compilation failed:\n{err.message}") from err
    for diagnostic in output.get("errors", []):
        print(diagnostic["formattedMessage"], file=sys.stderr)
    for source_name in output["sources"]:
        own = source_name in contract_sources
        if not own and (not source_name.startswith(NODE_MODULE_PREFIXES) or ".." in source_name):
            raise CompileError(
                f"import {source_name} is outside {', '.join(NODE_MODULE_PREFIXES)} and "
                f"{CONTRACTS_DIR}/"
            )

    artifacts: dict[str, Any] = {}
    for source_name in sorted(output["contracts"]):
        if not source_name.startswith(f"{CONTRACTS_DIR}/"):
            continue
        for node in output["sources"][source_name]["ast"]["nodes"]:
            if node["nodeType"] != "ContractDefinition":
                continue
            # Concrete contracts and interfaces only, as in compile.js.
            kind = node["contractKind"]
            if not (kind == "interface" or (kind == "contract" and not node["abstract"])):
                continue
            name = node["name"]
            if name in artifacts:
                raise CompileError(f"two contracts are named {name}; artifact names must be unique")
            compiled = output["contracts"][source_name][name]
            used = json.loads(compiled["metadata"])["sources"]
            bytecode = compiled["evm"]["bytecode"]["object"]
            deployed = compiled["evm"]["deployedBytecode"]["object"]
            artifacts[name] = {
                "abi": compiled["abi"],
                "bytecode": f"0x{bytecode}" if bytecode else "0x",
                "compiler": {"name": "solc", "version": version},
                "contractName": name,
                "deployedBytecode": f"0x{deployed}" if deployed else "0x",
                "kind": kind,
                "methodIdentifiers": compiled["evm"]["methodIdentifiers"],
                "settings": SETTINGS,
                "sourceName": source_name,
                "sources": {
                    unit: {"sha256": hashlib.sha256(_source_path(unit).read_bytes()).hexdigest()}
                    for unit in used
                },
            }
    return version, artifacts


def render(artifact: dict[str, Any]) -> str:
    """An artifact as compile.js writes it: keys sorted, two-space indent, final newline."""
    return json.dumps(artifact, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_artifacts(out: Path, artifacts: dict[str, Any]) -> None:
    """Write one file per artifact and remove the .json files of contracts that no longer exist."""
    out.mkdir(parents=True, exist_ok=True)
    for name, artifact in artifacts.items():
        (out / f"{name}.json").write_bytes(render(artifact).encode("utf-8"))
    for stale in out.glob("*.json"):
        if stale.stem not in artifacts:
            stale.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="artifact directory")
    parser.add_argument("--solc", type=Path, default=DEFAULT_SOLC, help="solc 0.8.37 executable")
    args = parser.parse_args(argv)
    try:
        version, artifacts = compile_contracts(args.solc.resolve())
    except CompileError as err:
        print(f"compile_solcx.py: {err}", file=sys.stderr)
        return 1
    out = args.out.resolve()
    write_artifacts(out, artifacts)
    try:
        shown = out.relative_to(ROOT).as_posix() or "."
    except ValueError:
        shown = str(out)
    print(f"compiled {', '.join(artifacts)} with solc {version} into {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
