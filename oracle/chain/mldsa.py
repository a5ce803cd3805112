"""The on-chain ML-DSA verifiers (contracts/mldsa/): deploy them, register keys in their expanded
form, and ask them for a verdict by call.

`MLDSA44Verifier`, `MLDSA65Verifier` and `MLDSA87Verifier` verify with contexts and keep registered
keys' expanded forms as contract code; `MLDSA44Precompile` (and -65, -87) answer EIP-8355's calling
convention (`pk ‖ sig ‖ msg` in, 32 bytes out) and read the same registered forms. A chain's
`VERIFY_MLDSA44/65/87` precompiles (0x12-0x14 in the draft) answer the same convention, so
`eip8355_verify` works with either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from web3 import Web3
from web3.exceptions import ContractLogicError

from oracle.chain._args import address as checked_address
from oracle.chain.artifacts import load_artifact
from oracle.chain.deploy import deploy_artifact
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import transact
from oracle.crypto import ML_DSA_44, ML_DSA_65, ML_DSA_87, Algorithm, PublicKey
from oracle.errors import ContractNotFoundError, InputError

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

    from oracle.chain.connection import Chain

#: FIPS 204's parameter sets by the number in their names, which names the contracts.
LEVELS: dict[Algorithm, int] = {ML_DSA_44: 44, ML_DSA_65: 65, ML_DSA_87: 87}
#: EIP-7825's per-transaction gas cap: the gas a registration transaction is given.
TRANSACTION_GAS = 16_777_216
#: Gas of a verify call: a key seen once needs ~10.2M (ML-DSA-44), ~17.2M (-65), ~29.5M (-87),
#: more than a transaction may have for the last two, which an `eth_call` may have: 50M is geth's
#: default cap on a call's gas (`--rpc.gascap`), and Anvil takes it too.
CALL_GAS = 50_000_000
#: `register` calls until a form is complete: one (ML-DSA-44), two (-65) or three (-87).
_MAX_REGISTER_CALLS = 3
_ZERO_ADDRESS = "0x" + "00" * 20


def verifier_contract(algorithm: Algorithm) -> str:
    """The name of the verifier contract for `algorithm`, e.g. "MLDSA65Verifier"."""
    return f"MLDSA{LEVELS[algorithm]}Verifier"


def precompile_contract(algorithm: Algorithm) -> str:
    """The name of the EIP-8355 entry point for `algorithm`, e.g. "MLDSA65Precompile"."""
    return f"MLDSA{LEVELS[algorithm]}Precompile"


@dataclass(frozen=True, slots=True)
class Registration:
    """A key's expanded form on chain."""

    #: The contract holding the form's first chunk.
    form: ChecksumAddress
    #: Whether these calls completed it (False: it was registered already).
    created: bool
    #: Gas of the registering transactions together (0 when nothing was sent).
    gas_used: int
    #: The transactions sent.
    transactions: int = 0


def _same_code_but_immutables(code: bytes, artifact: bytes) -> bool:
    # The committed runtime code holds zeros where the constructor writes its immutables (the
    # parameter set and the rows per chunk); everything else must be byte for byte the same.
    if len(code) != len(artifact):
        return False
    return all(a == b or b == 0 for a, b in zip(code, artifact, strict=True))


class OnchainVerifier:
    """An `MLDSA44/65/87Verifier` on `chain`, with its EIP-8355 entry point when known."""

    def __init__(self, chain: Chain, address: str, precompile: str | None = None) -> None:
        """Attach to a deployed verifier of any of the three sets.

        Raises:
            InputError: a malformed address.
            ContractNotFoundError: the address holds none of the three verifiers (its code is
                compared with the committed artifacts').
        """
        self.chain = chain
        self.address = checked_address(address, "ML-DSA verifier")
        self.precompile = checked_address(precompile, "EIP-8355 verifier") if precompile else None
        code = bytes(chain.w3.eth.get_code(self.address))
        for algorithm in LEVELS:
            artifact = load_artifact(verifier_contract(algorithm))
            if not _same_code_but_immutables(code, artifact.deployed_bytecode):
                continue
            contract: Any = chain.w3.eth.contract(address=self.address, abi=artifact.abi)
            level = int(contract.functions.level().call())
            self.algorithm = next(a for a, n in LEVELS.items() if n == level)
            self._contract = contract
            self._decoder = ErrorDecoder(verifier_contract(self.algorithm), artifact.abi)
            return
        found = "no code" if not code else f"{len(code)} bytes of other code"
        raise ContractNotFoundError(f"no ML-DSA verifier at {self.address} ({found})")

    def raw_key(self, public: PublicKey) -> bytes:
        """`public`'s bytes, when it belongs to this verifier's parameter set.

        Raises:
            InputError: a key of another parameter set.
        """
        if public.algorithm is not self.algorithm:
            raise InputError(
                f"the verifier at {self.address} checks {self.algorithm.name} keys, "
                f"not {public.algorithm.name}"
            )
        return public.raw

    def form_of(self, public: PublicKey) -> ChecksumAddress | None:
        """The first chunk of `public`'s complete expanded form, or None when it is not
        (fully) registered."""
        form = self._contract.functions.formOf(Web3.keccak(self.raw_key(public))).call()
        return None if form == _ZERO_ADDRESS else Web3.to_checksum_address(form)

    def register(self, public: PublicKey) -> Registration:
        """Register `public`'s expanded form, one transaction of 9-14M gas per chunk (one for
        ML-DSA-44, two for -65, three for -87), unless it is already; a registration another
        account left half done is completed.

        Raises:
            InputError: a key of another parameter set.
            ContractRevertError, TransactionRejectedError, ...: sending.
        """
        existing = self.form_of(public)
        if existing is not None:
            return Registration(existing, created=False, gas_used=0)
        data = bytes.fromhex(self._contract.encode_abi("register", [public.raw])[2:])
        spent, sent = 0, 0
        for _ in range(_MAX_REGISTER_CALLS):
            receipt = transact(
                self.chain, to=self.address, data=data, decoder=self._decoder, gas=TRANSACTION_GAS
            )
            spent, sent = spent + receipt.gas_used, sent + 1
            form = self.form_of(public)
            if form is not None:
                return Registration(form, created=True, gas_used=spent, transactions=sent)
        raise ContractNotFoundError(  # pragma: no cover - three calls complete every set's form
            f"the form of key 0x{Web3.keccak(public.raw).hex()} is still incomplete"
        )

    def verify(
        self, public: PublicKey, message: bytes, signature: bytes, context: bytes = b""
    ) -> bool:
        """The on-chain verdict (an `eth_call` at the latest block, with CALL_GAS).

        Raises:
            InputError: a key of another parameter set.
        """
        answer = self._contract.functions.verify(self.raw_key(public), signature, message, context)
        return bool(answer.call({"gas": CALL_GAS}))

    def verify_gas(
        self, public: PublicKey, message: bytes, signature: bytes, context: bytes = b""
    ) -> int:
        """Gas a transaction calling `verify` would use (base and calldata included)."""
        call = self._contract.functions.verify(self.raw_key(public), signature, message, context)
        return int(call.estimate_gas({"gas": CALL_GAS}))


def deploy_onchain_verifier(chain: Chain, algorithm: Algorithm = ML_DSA_44) -> OnchainVerifier:
    """Deploy `algorithm`'s verifier and its EIP-8355 entry point reading its registered forms.

    Raises:
        ContractRevertError, TransactionRejectedError, ...: sending.
    """
    verifier, _ = deploy_artifact(chain, verifier_contract(algorithm))
    precompile, _ = deploy_artifact(chain, precompile_contract(algorithm), verifier)
    return OnchainVerifier(chain, verifier, precompile)


def eip8355_verify(
    chain: Chain, address: str, public: PublicKey, message: bytes, signature: bytes
) -> bool:
    """The verdict of an EIP-8355 verifier at `address` for `public`'s parameter set (empty
    context).

    Raises:
        InputError: a malformed address.
        ContractNotFoundError: the call reverted or answered other than 32 bytes (no verifier
            there: a call to an account without code answers nothing).
    """
    target = checked_address(address, "EIP-8355 verifier")
    data = public.raw + signature + message
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
