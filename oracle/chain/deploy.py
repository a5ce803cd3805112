"""Deploying a SignatureVerifier from the committed artifact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from oracle.chain import _args
from oracle.chain.artifacts import load_artifact
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import MAX_TRANSACTION_GAS, SentTransaction, transact
from oracle.chain.verifier import CONTRACT_NAME, Verifier
from oracle.domain import VerifierConfig
from oracle.errors import ContractNotFoundError, InputError

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

    from oracle.chain.connection import Chain

#: The ML-DSA-44 verifiers' contract names (`contracts/mldsa/`).
MLDSA44_VERIFIER: Final = "MLDSA44Verifier"
MLDSA44_PRECOMPILE: Final = "MLDSA44Precompile"
#: Gas the SignatureVerifier gives the ML-DSA-44 verifiers: a verify of a key seen once costs
#: ~10.1M, of a registered key ~2.5M; under `MAX_ONCHAIN_VERIFY_GAS` (15M).
MLDSA44_VERIFY_GAS: Final = 12_000_000


@dataclass(frozen=True, slots=True)
class OnchainMLDSA44:
    """The project's on-chain ML-DSA-44 verifiers: `verifier` (`IMLDSAVerifier`, contexts, and
    the register of expanded keys) and `precompile` (the EIP-8355 convention, empty contexts)."""

    verifier: ChecksumAddress
    precompile: ChecksumAddress


def deploy_verifier(
    chain: Chain,
    *,
    oracles: Sequence[str],
    threshold: int = 1,
    admin: str | None = None,
    admin_delay: int = 0,
    oracle_set_delay: int = 0,
    config: VerifierConfig | None = None,
) -> Verifier:
    """Deploy a SignatureVerifier administered by `admin` (default: the deploying account), with
    `oracles` in force at once and `threshold` of them deciding a request.

    `admin_delay` is the seconds between the two steps of an admin transfer, `oracle_set_delay`
    the seconds between announcing an oracle set change and its effect.

    Raises:
        InputError: no oracle, an address or a number out of range.
        ContractRevertError: e.g. AccessControlInvalidDefaultAdmin, VerifierInvalidThreshold,
            VerifierInvalidOracle, VerifierInvalidTimeouts.
        TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
    """
    if not oracles:
        raise InputError("a verifier needs at least one oracle")
    artifact = load_artifact(CONTRACT_NAME)
    initial_admin = _args.address(admin, "admin") if admin is not None else chain.address
    data = artifact.constructor_data(
        _args.uint(admin_delay, 48, "admin delay"),
        initial_admin,
        [_args.address(o, "oracle") for o in oracles],
        _args.uint(threshold, 8, "threshold"),
        _args.uint(oracle_set_delay, 48, "oracle set delay"),
        (config or VerifierConfig()).as_abi(),
    )
    sent = transact(chain, to=None, data=data, decoder=ErrorDecoder(CONTRACT_NAME, artifact.abi))
    if sent.contract_address is None:
        raise ContractNotFoundError(
            f"deployment 0x{sent.tx_hash.hex()} has no contract address in its receipt"
        )
    return Verifier(chain, sent.contract_address, artifact=artifact)


def _deploy(chain: Chain, name: str, *args: object) -> ChecksumAddress:
    artifact = load_artifact(name)
    sent = transact(
        chain,
        to=None,
        data=artifact.constructor_data(*args),
        decoder=ErrorDecoder(name, artifact.abi),
    )
    if sent.contract_address is None:
        raise ContractNotFoundError(
            f"deployment 0x{sent.tx_hash.hex()} has no contract address in its receipt"
        )
    return sent.contract_address


def deploy_mldsa44(chain: Chain) -> OnchainMLDSA44:
    """Deploy `MLDSA44Verifier` and an `MLDSA44Precompile` reading its register of keys.

    Raises:
        TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
    """
    verifier = _deploy(chain, MLDSA44_VERIFIER)
    return OnchainMLDSA44(verifier, _deploy(chain, MLDSA44_PRECOMPILE, verifier))


def use_mldsa44(
    verifier: Verifier, onchain: OnchainMLDSA44, *, gas_limit: int = MLDSA44_VERIFY_GAS
) -> None:
    """Make `onchain` the referee of ML-DSA-44 on `verifier` (the signer is its admin): the
    precompile form for empty contexts, `MLDSA44Verifier` for the others.

    Raises:
        ContractRevertError: AccessControlUnauthorizedAccount, VerifierInvalidOnchainVerifier.
    """
    algorithm_id = 1  # ML-DSA-44
    verifier.set_onchain_verifier(algorithm_id, onchain.precompile, gas_limit)
    verifier.set_onchain_verifier(algorithm_id, onchain.verifier, gas_limit, with_context=True)


def register_mldsa44_key(
    chain: Chain, onchain: OnchainMLDSA44, public_key: bytes
) -> SentTransaction:
    """Keep `public_key`'s expanded form on chain (`MLDSA44Verifier.register`, ~10.8M gas once),
    so that every later verify of it costs ~2.5M gas instead of ~10.1M.

    The gas limit is the per-transaction cap, not an estimate: an estimate would run the
    expansion many times over (a binary search), which takes minutes on the embedded chain.

    Raises:
        InputError: `public_key` is not bytes.
        ContractRevertError: the key is not 1,312 bytes (`MLDSA44InvalidPublicKeyLength`).
    """
    artifact = load_artifact(MLDSA44_VERIFIER)
    raw = _args.as_bytes(public_key, "public key")
    contract = chain.w3.eth.contract(address=onchain.verifier, abi=artifact.abi)
    data = bytes.fromhex(contract.encode_abi("register", args=[raw])[2:])
    return transact(
        chain,
        to=onchain.verifier,
        data=data,
        decoder=ErrorDecoder(MLDSA44_VERIFIER, artifact.abi),
        gas=min(MAX_TRANSACTION_GAS, chain.block_gas_limit()),
    )
