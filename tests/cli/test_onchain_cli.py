"""`pqoracle onchain deploy|register|verify` on a real Anvil with real ML-DSA-44 signatures, and
their exit codes: 0 valid / ok, 1 invalid, 2 bad input, 3 runtime failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from oracle.crypto import ML_DSA_44, ML_DSA_65, Algorithm, SigningKey
from tests.chains import LocalNode
from tests.cli.test_chain_cli import Cli, _fails, _isolated_settings_and_logging, _key_file

pytestmark = pytest.mark.integration

__all__ = ["_isolated_settings_and_logging"]  # the autouse fixture applies here too


def _write_key(tmp_path: Path, algorithm: Algorithm, name: str) -> tuple[SigningKey, Path]:
    key = SigningKey.generate(algorithm)
    public = tmp_path / f"{name}.pem.pub"
    public.write_bytes(key.public.to_pem())
    return key, public


def test_deploy_register_verify_on_anvil(anvil: LocalNode, tmp_path: Path) -> None:
    cli = Cli(secrets=[anvil.private_key])
    paying = [
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(_key_file(tmp_path / "k", anvil.private_key)),
    ]
    deployed = cli.json("onchain", "deploy", *paying)
    verifier, precompile = deployed["mldsa_verifier"], deployed["eip8355_verifier"]
    key, public = _write_key(tmp_path, ML_DSA_44, "signer")
    signature = "0x" + key.sign(b"pay 10", b"app").hex()
    target = [*paying, "--mldsa-verifier", verifier, "-p", str(public)]

    raw = cli.ok(
        "onchain",
        "verify",
        *target,
        "--message",
        "pay 10",
        "--context",
        "app",
        "-s",
        signature,
        "--gas",
    )
    assert raw.stdout.startswith("valid gas=")
    raw_gas = int(raw.stdout.split("gas=")[1])
    assert (
        cli(
            "onchain", "verify", *target, "--message", "pay 11", "--context", "app", "-s", signature
        ).exit_code
        == 1
    )

    first = cli.json("onchain", "register", *target)
    assert first["registered"] == "new"
    assert 0 < first["gas_used"] < 16_777_216
    again = cli.json("onchain", "register", *target)
    assert again == {
        "form": first["form"],
        "registered": "already",
        "gas_used": 0,
        "transactions": 0,
    }
    assert first["transactions"] == 1

    registered = cli.ok(
        "onchain",
        "verify",
        *target,
        "--message",
        "pay 10",
        "--context",
        "app",
        "-s",
        signature,
        "--gas",
    )
    assert int(registered.stdout.split("gas=")[1]) < raw_gas / 3

    empty = "0x" + key.sign(b"pay 10", b"").hex()
    by_convention = [
        *paying,
        "-p",
        str(public),
        "--message",
        "pay 10",
        "-s",
        empty,
        "--eip8355",
        precompile,
    ]
    assert cli.ok("onchain", "verify", *by_convention).stdout.strip() == "valid"
    assert cli("onchain", "verify", *by_convention[:-1], verifier).exit_code == 3  # not EIP-8355


def test_bad_input_is_exit_2_and_a_missing_verifier_exit_3(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    paying = [
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(_key_file(tmp_path / "k", anvil.private_key)),
    ]
    key65, public65 = _write_key(tmp_path, ML_DSA_65, "big")
    signature = "0x" + key65.sign(b"m", b"").hex()
    somewhere = "0x" + "33" * 20
    _fails(
        cli(
            "onchain",
            "verify",
            *paying,
            "--mldsa-verifier",
            somewhere,
            "-p",
            str(public65),
            "--message",
            "m",
            "-s",
            signature,
        ),
        3,
        "no ML-DSA verifier",
    )
    key, public = _write_key(tmp_path, ML_DSA_44, "signer")
    signature = "0x" + key.sign(b"m", b"").hex()
    _fails(
        cli("onchain", "verify", *paying, "-p", str(public), "--message", "m", "-s", signature),
        2,
        "--mldsa-verifier",
    )
    _fails(cli("onchain", "deploy", "--private-key-file", paying[3]), 2, "needs a node")
    _fails(
        cli(
            "onchain",
            "verify",
            *paying,
            "--mldsa-verifier",
            somewhere,
            "-p",
            str(public),
            "--message",
            "m",
            "-s",
            signature,
        ),
        3,
        "no ML-DSA verifier",
    )
    _fails(
        cli(
            "onchain",
            "verify",
            *paying,
            "--eip8355",
            somewhere,
            "-p",
            str(public),
            "--message",
            "m",
            "--context",
            "c",
            "-s",
            signature,
        ),
        2,
        "no context",
    )


def test_an_ml_dsa_65_verifier_registers_in_two_transactions_and_refuses_other_keys(
    anvil: LocalNode, tmp_path: Path
) -> None:
    cli = Cli(secrets=[anvil.private_key])
    paying = [
        "--rpc-url",
        anvil.rpc_url,
        "--private-key-file",
        str(_key_file(tmp_path / "k", anvil.private_key)),
    ]
    deployed = cli.json("onchain", "deploy", "-a", "ML-DSA-65", *paying)
    assert deployed["algorithm"] == "ML-DSA-65"
    key, public = _write_key(tmp_path, ML_DSA_65, "signer")
    target = [*paying, "--mldsa-verifier", deployed["mldsa_verifier"], "-p", str(public)]
    registered = cli.json("onchain", "register", *target)
    assert registered["transactions"] == 2
    signature = "0x" + key.sign(b"pay 10", b"").hex()
    assert (
        cli.ok("onchain", "verify", *target, "--message", "pay 10", "-s", signature).stdout.strip()
        == "valid"
    )
    assert cli("onchain", "verify", *target, "--message", "pay 11", "-s", signature).exit_code == 1
    _, public44 = _write_key(tmp_path, ML_DSA_44, "small")
    other = [*paying, "--mldsa-verifier", deployed["mldsa_verifier"], "-p", str(public44)]
    _fails(cli("onchain", "register", *other), 2, "checks ML-DSA-65 keys, not ML-DSA-44")


def test_use_makes_the_pair_the_referee_and_mode_switches_to_optimistic_and_back(
    anvil: LocalNode, tmp_path: Path
) -> None:
    from oracle.chain import Verifier

    cli = Cli(secrets=[anvil.private_key])
    key_file = str(_key_file(tmp_path / "k", anvil.private_key))
    paying = ["--rpc-url", anvil.rpc_url, "--private-key-file", key_file]
    verifier = cli.json("deploy", *paying, "--oracle", "0x" + "22" * 20)["verifier"]
    pair = cli.json("onchain", "deploy", *paying)
    admin = [*paying, "--verifier", verifier]
    used = cli.json(
        "onchain", "use", *admin, "--mldsa-verifier", pair["mldsa_verifier"],
        "--eip8355", pair["eip8355_verifier"], "--gas-limit", "11000000",
    )  # fmt: skip
    assert used["algorithm"] == "ML-DSA-44"
    handle = Verifier(anvil.connect(), verifier)
    assert handle.onchain_verifier_of(1) == (pair["eip8355_verifier"], 11_000_000)
    assert handle.onchain_verifier_of(1, with_context=True) == (pair["mldsa_verifier"], 11_000_000)

    assert cli.json("onchain", "mode", *admin) == {
        "mode": "quorum",
        "bond": 0,
        "challenge_window": 0,
    }
    switched = cli.json(
        "onchain", "mode", *admin, "--optimistic", "--bond", "1000", "--window", "60"
    )
    assert switched == {"mode": "optimistic", "bond": 1000, "challenge_window": 60}
    assert handle.optimistic_config().enabled is True
    assert cli.json("onchain", "mode", *admin, "--quorum")["mode"] == "quorum"

    _fails(cli("onchain", "mode", *admin, "--optimistic", "--bond", "5"), 2, "--window")
    _fails(cli("onchain", "mode", *admin, "--quorum", "--bond", "5"), 2, "--quorum takes no")
    # A pair whose EIP-8355 address is not one: the referee is refused before anything is sent.
    _fails(
        cli(
            "onchain",
            "use",
            *admin,
            "--mldsa-verifier",
            "0x" + "33" * 20,
            "--eip8355",
            pair["eip8355_verifier"],
        ),
        3,
        "no ML-DSA verifier",
    )
