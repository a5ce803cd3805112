"""Everything that talks to a node: connections, the SignatureVerifier contract, transactions.

The rest of the package reaches the chain only through this subpackage. Contracts are loaded from
the committed artifacts (`oracle/chain/artifacts/`), so no compiler is needed at run time.
"""

from __future__ import annotations

from oracle.chain._args import MAX_LOG_WINDOW
from oracle.chain.artifacts import Artifact, artifact_names, load_artifact
from oracle.chain.checks import MAX_MESSAGE_LENGTH, check_request
from oracle.chain.connection import (
    DEFAULT_FUNDING,
    EMBEDDED,
    BlockHead,
    Chain,
    connect,
    create_funded_account,
    fund,
    fund_from_node_account,
    mine_blocks,
)
from oracle.chain.deploy import deploy_artifact, deploy_verifier
from oracle.chain.encoding import commitment, key_id, request_id
from oracle.chain.events import (
    BondDeposited,
    BondWithdrawn,
    CallbackDelivered,
    KeyRegistered,
    RequestCancelled,
    VerdictChallenged,
    VerdictPosted,
    VerificationDisputed,
    VerificationFinalized,
    VerificationRequested,
    VerifierEvent,
    VoteCast,
    VoteSkipped,
)
from oracle.chain.fees import FeePolicy, Fees
from oracle.chain.revert import ErrorDecoder
from oracle.chain.signer import LocalSigner, Signer, UnsignedTransaction, load_signer
from oracle.chain.transactions import (
    Receipt,
    SentTransaction,
    SignedTransaction,
    broadcast,
    dry_run,
    lookup_receipt,
    lookup_receipts,
    receipt_of,
    send,
    sign,
    sign_replacement,
    transact,
    wait,
)
from oracle.chain.verifier import CONTRACT_NAME, KeyRecord, Role, Verifier, vote_batches
from oracle.domain import Status
from oracle.urls import display_endpoint

__all__ = [
    "CONTRACT_NAME",
    "DEFAULT_FUNDING",
    "EMBEDDED",
    "MAX_LOG_WINDOW",
    "MAX_MESSAGE_LENGTH",
    "Artifact",
    "BlockHead",
    "BondDeposited",
    "BondWithdrawn",
    "CallbackDelivered",
    "Chain",
    "ErrorDecoder",
    "FeePolicy",
    "Fees",
    "KeyRecord",
    "KeyRegistered",
    "LocalSigner",
    "Receipt",
    "RequestCancelled",
    "Role",
    "SentTransaction",
    "SignedTransaction",
    "Signer",
    "Status",
    "UnsignedTransaction",
    "VerdictChallenged",
    "VerdictPosted",
    "VerificationDisputed",
    "VerificationFinalized",
    "VerificationRequested",
    "Verifier",
    "VerifierEvent",
    "VoteCast",
    "VoteSkipped",
    "artifact_names",
    "broadcast",
    "check_request",
    "commitment",
    "connect",
    "create_funded_account",
    "deploy_artifact",
    "deploy_verifier",
    "display_endpoint",
    "dry_run",
    "fund",
    "fund_from_node_account",
    "key_id",
    "load_artifact",
    "load_signer",
    "lookup_receipt",
    "lookup_receipts",
    "mine_blocks",
    "receipt_of",
    "request_id",
    "send",
    "sign",
    "sign_replacement",
    "transact",
    "vote_batches",
    "wait",
]
