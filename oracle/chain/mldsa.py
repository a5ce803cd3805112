"""The on-chain ML-DSA-44 verifier (contracts/mldsa/): deploy it, register keys in their expanded
form, and ask it for a verdict by call.

`MLDSA44Verifier` verifies with contexts and keeps registered keys' expanded forms as contract
code; `MLDSA44Precompile` answers EIP-8355's calling convention (`pk ‖ sig ‖ msg` in, 32 bytes out)
and reads the same registered forms. A chain's `VERIFY_MLDSA44` precompile (0x12 in the draft)
answers the same convention, so `eip8355_verify` works with either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from web3 import Web3
from web3.exceptions import ContractLogicError

from oracle.chain._args import address as checked_address
from oracle.chain.artifacts import load_artifact
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import transact
from oracle.crypto import ML_DSA_44, PublicKey
from oracle.errors import ContractNotFoundError, InputError

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

    from oracle.chain.connection import Chain

VERIFIER_CONTRACT = "MLDSA44Verifier"
PRECOMPILE_CONTRACT = "MLDSA44Precompile"
#: EIP-7825's per-transaction gas cap: the gas every verify call is given (a verify with a key
#: seen once needs ~10.1M, a registration ~10.8M).
CALL_GAS = 16_777_216
_ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True, slots=True)
class Registration:
    """A key's expanded form on chain."""

    #: The contract whose code holds the form.
    form: ChecksumAddress
    #: Whether this call created it (False: it was registered already).
    created: bool
    #: Gas of the registering transaction (0 when nothing was sent).
    gas_used: int


def require_ml_dsa_44(public: PublicKey) -> bytes:
    """The raw key, when it is an ML-DSA-44 key.

    Raises:
        InputError: a key of another parameter set.
    """
    if public.algorithm is not ML_DSA_44:
        raise InputError(
            f"the on-chain verifier checks ML-DSA-44 keys only, not {public.algorithm.name}"
        )
    return public.raw


class OnchainVerifier:
    """An `MLDSA44Verifier` on `chain`, with its EIP-8355 entry point when known."""

    def __init__(self, chain: Chain, address: str, precompile: str | None = None) -> None:
        """Attach to a deployed verifier.

        Raises:
            InputError: a malformed address.
            ContractNotFoundError: the address holds no `MLDSA44Verifier` (its code is compared
                with the committed artifact's, which has no immutables).
        """
        self.chain = chain
        self.address = checked_address(address, "ML-DSA-44 verifier")
        self.precompile = checked_address(precompile, "EIP-8355 verifier") if precompile else None
        artifact = load_artifact(VERIFIER_CONTRACT)
        code = bytes(chain.w3.eth.get_code(self.address))
        if code != artifact.deployed_bytecode:
            found = "no code" if not code else f"{len(code)} bytes of other code"
            raise ContractNotFoundError(f"no {VERIFIER_CONTRACT} at {self.address} ({found})")
        self._contract: Any = chain.w3.eth.contract(address=self.address, abi=artifact.abi)
        self._decoder = ErrorDecoder(VERIFIER_CONTRACT, artifact.abi)

    def form_of(self, public: PublicKey) -> ChecksumAddress | None:
        """The contract holding `public`'s expanded form, or None when it is not registered."""
        form = self._contract.functions.formOf(Web3.keccak(require_ml_dsa_44(public))).call()
        return None if form == _ZERO_ADDRESS else Web3.to_checksum_address(form)

    def register(self, public: PublicKey) -> Registration:
        """Register `public`'s expanded form (a transaction of ~10.8M gas), unless it is already.

        Raises:
            InputError: not an ML-DSA-44 key.
            ContractRevertError, TransactionRejectedError, ...: sending.
        """
        existing = self.form_of(public)
        if existing is not None:
            return Registration(existing, created=False, gas_used=0)
        data = bytes.fromhex(self._contract.encode_abi("register", [public.raw])[2:])
        sent = transact(self.chain, to=self.address, data=data, decoder=self._decoder, gas=CALL_GAS)
        form = self.form_of(public)
        if form is None:  # pragma: no cover - a mined register always leaves a form
            raise ContractNotFoundError(f"register 0x{sent.tx_hash.hex()} left no form")
        return Registration(form, created=True, gas_used=sent.gas_used)

    def verify(
        self, public: PublicKey, message: bytes, signature: bytes, context: bytes = b""
    ) -> bool:
        """The on-chain verdict (an `eth_call` at the latest block, with CALL_GAS).

        Raises:
            InputError: not an ML-DSA-44 key.
        """
        raw = require_ml_dsa_44(public)
        answer = self._contract.functions.verify(raw, signature, message, context)
        return bool(answer.call({"gas": CALL_GAS}))

    def verify_gas(
        self, public: PublicKey, message: bytes, signature: bytes, context: bytes = b""
    ) -> int:
        """Gas a transaction calling `verify` would use (base and calldata included)."""
        raw = require_ml_dsa_44(public)
        call = self._contract.functions.verify(raw, signature, message, context)
        return int(call.estimate_gas({"gas": CALL_GAS}))


def deploy_onchain_verifier(chain: Chain) -> OnchainVerifier:
    """Deploy an `MLDSA44Verifier` and an `MLDSA44Precompile` reading its registered forms.

    Raises:
        ContractRevertError, TransactionRejectedError, ...: sending.
    """
    verifier = _deploy(chain, VERIFIER_CONTRACT)
    return OnchainVerifier(chain, verifier, _deploy(chain, PRECOMPILE_CONTRACT, verifier))


def _deploy(chain: Chain, name: str, *args: Any) -> str:
    artifact = load_artifact(name)
    sent = transact(
        chain,
        to=None,
        data=artifact.constructor_data(*args),
        decoder=ErrorDecoder(name, artifact.abi),
    )
    if sent.contract_address is None:
        raise ContractNotFoundError(f"deployment 0x{sent.tx_hash.hex()} created no contract")
    return str(sent.contract_address)


def eip8355_verify(
    chain: Chain, address: str, public: PublicKey, message: bytes, signature: bytes
) -> bool:
    """The verdict of an EIP-8355 verifier at `address` (empty context).

    Raises:
        InputError: not an ML-DSA-44 key, or a malformed address.
        ContractNotFoundError: the call reverted or answered other than 32 bytes (no verifier
            there: a call to an account without code answers nothing).
    """
    target = checked_address(address, "EIP-8355 verifier")
    data = require_ml_dsa_44(public) + signature + message
    try:
        answer = bytes(chain.w3.eth.call({"to": target, "data": data, "gas": CALL_GAS}))
    except ContractLogicError as err:
        # An EIP-8355 verifier never reverts: whatever did is something else.
        raise ContractNotFoundError(f"no EIP-8355 verifier at {target}: the call reverted") from err
    if len(answer) != 32:
        raise ContractNotFoundError(
            f"no EIP-8355 verifier at {target}: it answered {len(answer)} bytes, not 32"
        )
    return int.from_bytes(answer, "big") == 1
