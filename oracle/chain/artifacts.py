"""The committed contract artifacts (`npm run compile` writes them): ABI, bytecode, provenance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from eth_abi.abi import encode as abi_encode
from eth_utils.abi import collapse_if_tuple

from oracle.errors import ArtifactError

if TYPE_CHECKING:
    from eth_typing import ABI

_PACKAGE = "oracle.chain"
_DIRECTORY = "artifacts"


@dataclass(frozen=True, slots=True, eq=False)
class Artifact:
    """One compiled contract or interface as `scripts/compile.js` wrote it."""

    name: str
    #: Source unit the contract is declared in, e.g. "contracts/SignatureVerifier.sol".
    source_name: str
    abi: ABI = field(repr=False)
    #: Creation bytecode; empty for an interface.
    bytecode: bytes = field(repr=False)
    #: Runtime bytecode as the chain stores it after deployment.
    deployed_bytecode: bytes = field(repr=False)
    compiler_version: str
    #: sha256 (hex) of every source file that went into the contract, by source unit name.
    source_hashes: dict[str, str] = field(repr=False)

    def constructor_data(self, *args: Any) -> bytes:
        """Creation bytecode followed by the ABI-encoded constructor arguments.

        Raises:
            ArtifactError: the artifact has no bytecode (an interface) or no matching constructor.
        """
        if not self.bytecode:
            raise ArtifactError(f"{self.name} has no bytecode to deploy")
        inputs: list[Any] = []
        for entry in self.abi:
            if entry.get("type") == "constructor":
                inputs = list(cast("dict[str, Any]", entry).get("inputs", []))
        if len(inputs) != len(args):
            raise ArtifactError(
                f"{self.name}'s constructor takes {len(inputs)} arguments, got {len(args)}"
            )
        types = [collapse_if_tuple(dict(item)) for item in inputs]
        return self.bytecode + abi_encode(types, list(args))


def _hex_bytes(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ArtifactError(f"{what} is not 0x-prefixed hex")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as err:
        raise ArtifactError(f"{what} is not valid hex") from err


@cache
def load_artifact(name: str) -> Artifact:
    """The committed artifact of contract or interface `name` (e.g. "SignatureVerifier").

    Raises:
        ArtifactError: no such artifact, or it is not a well-formed artifact.
    """
    resource = resources.files(_PACKAGE).joinpath(_DIRECTORY, f"{name}.json")
    try:
        raw = json.loads(resource.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(artifact_names()) or "none"
        raise ArtifactError(
            f"no artifact named {name!r} (available: {known}); run `npm run compile`"
        ) from None
    except (OSError, ValueError) as err:
        raise ArtifactError(f"artifact {name!r} cannot be read: {err}") from err
    try:
        return Artifact(
            name=str(raw["contractName"]),
            source_name=str(raw["sourceName"]),
            abi=cast("ABI", list(raw["abi"])),
            bytecode=_hex_bytes(raw["bytecode"], f"{name}.bytecode"),
            deployed_bytecode=_hex_bytes(raw["deployedBytecode"], f"{name}.deployedBytecode"),
            compiler_version=str(raw["compiler"]["version"]),
            source_hashes={str(k): str(v["sha256"]) for k, v in raw["sources"].items()},
        )
    except (KeyError, TypeError) as err:
        raise ArtifactError(f"artifact {name!r} lacks field {err}") from err


def artifact_names() -> list[str]:
    """Names of every committed artifact, sorted."""
    directory = resources.files(_PACKAGE).joinpath(_DIRECTORY)
    return sorted(
        entry.name.removesuffix(".json")
        for entry in directory.iterdir()
        if entry.name.endswith(".json")
    )
