"""The committed artifacts are what `npm run compile` produces from the current sources."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from oracle.chain import artifact_names, load_artifact
from oracle.errors import ArtifactError

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "oracle" / "chain" / "artifacts"
COMPILE_SCRIPT = ROOT / "scripts" / "compile.js"
SOLC_PACKAGE = ROOT / "node_modules" / "solc" / "package.json"
# Opcodes introduced after Shanghai (Cancun): TLOAD, TSTORE, MCOPY. Ganache 7.9 has none of them.
POST_SHANGHAI_OPCODES = {0x5C: "TLOAD", 0x5D: "TSTORE", 0x5E: "MCOPY"}


def _source_path(source_name: str) -> Path:
    if source_name.startswith("contracts/"):
        return ROOT / source_name
    return ROOT / "node_modules" / source_name


def test_committed_artifacts_match_a_fresh_compile(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH; the committed artifacts cannot be rebuilt here")
    if not SOLC_PACKAGE.is_file():
        pytest.skip("node_modules/solc is missing: run `npm install`")
    result = subprocess.run(
        [node, str(COMPILE_SCRIPT), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = {p.name: p.read_bytes() for p in sorted(tmp_path.glob("*.json"))}
    committed = {p.name: p.read_bytes() for p in sorted(ARTIFACTS.glob("*.json"))}
    assert sorted(fresh) == sorted(committed), "artifact set changed: run `npm run compile`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale artifacts {stale}: run `npm run compile` and commit the result"


@pytest.mark.slow
def test_the_compile_is_deterministic(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not SOLC_PACKAGE.is_file():
        pytest.skip("node or node_modules/solc is missing: run `npm install`")
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        subprocess.run(
            [node, str(COMPILE_SCRIPT), "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            timeout=300,
            check=True,
        )
        outputs.append({p.name: p.read_bytes() for p in out.glob("*.json")})
    assert outputs[0] == outputs[1]


def test_artifacts_record_the_sha256_of_every_source_as_it_is_on_disk() -> None:
    checked = 0
    for name in artifact_names():
        for source_name, digest in load_artifact(name).source_hashes.items():
            path = _source_path(source_name)
            if not path.is_file():
                continue  # an OpenZeppelin file without node_modules: the compile test covers it
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
            assert actual == digest, f"{source_name} changed since {name} was compiled"
            checked += 1
    assert checked > 0


def test_artifacts_pin_the_compiler_and_the_shanghai_target() -> None:
    for path in sorted(ARTIFACTS.glob("*.json")):
        raw = json.loads(path.read_text())
        assert raw["compiler"]["version"].startswith("0.8.37+"), path.name
        assert raw["settings"] == {
            "evmVersion": "shanghai",
            "optimizer": {"enabled": True, "runs": 200},
            "viaIR": False,
        }, path.name


#: Test consumers under contracts/test/: compile.js emits every concrete contract it finds.
TEST_CONTRACTS = [
    "GasBurningConsumer",
    "KeccakHarness",
    "MLDSAConfigurableVerifier",
    "MLDSAHarness",
    "NTTHarness",
    "RecordingConsumer",
    "ReentrantConsumer",
    "RejectingReceiver",
    "ReturnBombConsumer",
    "RevertingConsumer",
]


def test_the_committed_set_is_the_verifier_its_interfaces_and_the_test_consumers() -> None:
    assert artifact_names() == sorted(
        [
            "IMLDSAVerifier",
            "ISignatureVerifier",
            "IVerificationConsumer",
            "MLDSA44Precompile",
            "MLDSA44Verifier",
            "MLDSA65Precompile",
            "MLDSA65Verifier",
            "MLDSA87Precompile",
            "MLDSA87Verifier",
            "SignatureVerifier",
            *TEST_CONTRACTS,
        ]
    )
    assert load_artifact("SignatureVerifier").source_name == "contracts/SignatureVerifier.sol"
    for name in (
        f"MLDSA{level}{kind}" for level in (44, 65, 87) for kind in ("Precompile", "Verifier")
    ):
        assert load_artifact(name).source_name == f"contracts/mldsa/{name}.sol"
    for name in ("IMLDSAVerifier", "ISignatureVerifier"):
        assert load_artifact(name).bytecode == b""
    for name in TEST_CONTRACTS:
        assert load_artifact(name).source_name == f"contracts/test/{name}.sol"


def _opcodes(code: bytes) -> list[int]:
    # The CBOR metadata at the end is data, not code: its length is in the last two bytes.
    code = code[: len(code) - 2 - int.from_bytes(code[-2:], "big")]
    found, position = [], 0
    while position < len(code):
        opcode = code[position]
        found.append(opcode)
        position += 1 + (opcode - 0x5F if 0x60 <= opcode <= 0x7F else 0)
    return found


def test_the_verifier_runtime_code_uses_no_opcode_newer_than_shanghai() -> None:
    # The ML-DSA verifiers embed tables (NTT zetas, Keccak round constants) in their code, whose
    # bytes a linear scan would read as opcodes; they are held to Shanghai by the compiler setting
    # (checked for every artifact below) and by running on Ganache, which stops at Shanghai.
    code = load_artifact("SignatureVerifier").deployed_bytecode
    used = {POST_SHANGHAI_OPCODES[op] for op in _opcodes(code) if op in POST_SHANGHAI_OPCODES}
    assert not used
    assert 0x5F in _opcodes(code)  # PUSH0: Shanghai's own opcode, so the target is not older


def test_loading_an_unknown_artifact_names_the_available_ones() -> None:
    with pytest.raises(ArtifactError, match=r"available: .*ISignatureVerifier") as caught:
        load_artifact("SignatureVerifer")
    assert "npm run compile" in str(caught.value)


def test_constructor_data_checks_the_argument_count_and_the_bytecode() -> None:
    verifier = load_artifact("SignatureVerifier")
    data = verifier.constructor_data(0, "0x" + "11" * 20, ["0x" + "22" * 20], 1, 0, (0, 1, 1, 1, 0))
    assert data.startswith(verifier.bytecode)
    # Ten head words (the config's five inline), then the array's length and one address.
    assert len(data) == len(verifier.bytecode) + 12 * 32
    with pytest.raises(ArtifactError, match="takes 6 arguments, got 1"):
        verifier.constructor_data(0)
    with pytest.raises(ArtifactError, match="no bytecode"):
        load_artifact("IVerificationConsumer").constructor_data()
