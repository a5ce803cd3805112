"""Deploying contracts from the committed artifacts: any by name, and a SignatureVerifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from oracle.chain import _args
from oracle.chain.artifacts import load_artifact
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import transact
from oracle.chain.verifier import CONTRACT_NAME, Verifier
from oracle.domain import VerifierConfig
from oracle.errors import ContractNotFoundError, InputError

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

    from oracle.chain.connection import Chain
    from oracle.chain.mldsa import OnchainVerifier
    from oracle.chain.transactions import SentTransaction

#: Gas the SignatureVerifier gives the ML-DSA-44 verifiers: a verify of a key seen once costs
#: ~10.1M, of a registered key ~2.5M; under `MAX_ONCHAIN_VERIFY_GAS` (15M).
MLDSA44_VERIFY_GAS: Final = 12_000_000


def deploy_artifact(
    chain: Chain, name: str, *constructor_args: Any
) -> tuple[ChecksumAddress, SentTransaction]:
    """Deploy the committed artifact `name` with its constructor arguments; return the new
    contract's address and the mined deployment.

    Raises:
        ArtifactError: no artifact of that name.
        ContractRevertError: the constructor reverts (decoded against the artifact's ABI).
        ContractNotFoundError: the receipt names no contract.
        TransactionRejectedError, TransactionTimeoutError, ChainConnectionError: sending.
    """
    artifact = load_artifact(name)
    data = artifact.constructor_data(*constructor_args)
    sent = transact(chain, to=None, data=data, decoder=ErrorDecoder(name, artifact.abi))
    if sent.contract_address is None:
        raise ContractNotFoundError(
            f"deployment 0x{sent.tx_hash.hex()} has no contract address in its receipt"
        )
    return sent.contract_address, sent


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
    initial_admin = _args.address(admin, "admin") if admin is not None else chain.address
    address, _ = deploy_artifact(
        chain,
        CONTRACT_NAME,
        _args.uint(admin_delay, 48, "admin delay"),
        initial_admin,
        [_args.address(o, "oracle") for o in oracles],
        _args.uint(threshold, 8, "threshold"),
        _args.uint(oracle_set_delay, 48, "oracle set delay"),
        (config or VerifierConfig()).as_abi(),
    )
    return Verifier(chain, address, artifact=load_artifact(CONTRACT_NAME))


def use_onchain_verifier(
    verifier: Verifier, onchain: OnchainVerifier, *, gas_limit: int = MLDSA44_VERIFY_GAS
) -> None:
    """Make the on-chain ML-DSA verifier `onchain` the referee of its parameter set on `verifier`
    (the signer is its admin): its EIP-8355 entry point for empty contexts, the verifier itself
    for the others. `gas_limit` suits ML-DSA-44's registered keys (~2.5M) and keys seen once
    (~10.1M); give the larger sets a limit measured for them.

    Raises:
        InputError: `onchain` has no EIP-8355 entry point.
        ContractRevertError: AccessControlUnauthorizedAccount, VerifierInvalidOnchainVerifier.
    """
    if onchain.precompile is None:
        raise InputError("the on-chain verifier needs its EIP-8355 entry point (the precompile)")
    algorithm_id = onchain.algorithm.id
    verifier.set_onchain_verifier(algorithm_id, onchain.precompile, gas_limit)
    verifier.set_onchain_verifier(algorithm_id, onchain.address, gas_limit, with_context=True)
