"""Everything that talks to a node: connections, the SignatureVerifier contract, transactions.

The rest of the package reaches the chain only through this subpackage. Contracts are loaded from
the committed artifacts (`oracle/chain/artifacts/`), so no compiler is needed at run time.
"""

from __future__ import annotations

from oracle.chain.artifacts import Artifact, artifact_names, load_artifact
from oracle.chain.connection import (
    DEFAULT_FUNDING,
    EMBEDDED,
    Chain,
    connect,
    create_funded_account,
    display_endpoint,
    fund,
    fund_from_node_account,
    mine_blocks,
)
from oracle.chain.encoding import commitment, key_id
from oracle.chain.events import (
    KeyRegistered,
    VerificationFulfilled,
    VerificationRequested,
    VerifierEvent,
)
from oracle.chain.revert import ErrorDecoder
from oracle.chain.transactions import (
    Receipt,
    SentTransaction,
    SignedTransaction,
    broadcast,
    dry_run,
    lookup_receipt,
    receipt_of,
    send,
    sign,
    transact,
    wait,
)
from oracle.chain.verifier import (
    CONTRACT_NAME,
    MAX_LOG_WINDOW,
    MAX_MESSAGE_LENGTH,
    KeyRecord,
    RequestRecord,
    Role,
    Status,
    Verifier,
    check_request,
    deploy_verifier,
)

__all__ = [
    "CONTRACT_NAME",
    "DEFAULT_FUNDING",
    "EMBEDDED",
    "MAX_LOG_WINDOW",
    "MAX_MESSAGE_LENGTH",
    "Artifact",
    "Chain",
    "ErrorDecoder",
    "KeyRecord",
    "KeyRegistered",
    "Receipt",
    "RequestRecord",
    "Role",
    "SentTransaction",
    "SignedTransaction",
    "Status",
    "VerificationFulfilled",
    "VerificationRequested",
    "Verifier",
    "VerifierEvent",
    "artifact_names",
    "broadcast",
    "check_request",
    "commitment",
    "connect",
    "create_funded_account",
    "deploy_verifier",
    "display_endpoint",
    "dry_run",
    "fund",
    "fund_from_node_account",
    "key_id",
    "load_artifact",
    "lookup_receipt",
    "mine_blocks",
    "receipt_of",
    "send",
    "sign",
    "transact",
    "wait",
]
