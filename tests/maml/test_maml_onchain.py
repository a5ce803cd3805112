"""A signed `.maml.md` document checked on-chain through the oracle, under the same key id."""

from __future__ import annotations

from pathlib import Path

from oracle import maml
from oracle.chain import Chain, Status
from oracle.config import Settings
from oracle.crypto import SigningKey
from oracle.daemon import OracleDaemon
from oracle.store import Store
from tests.chains import deploy_with_roles


def test_a_document_signature_verifies_on_chain_under_the_contracts_key_id(
    embedded_chain: Chain, tmp_path: Path
) -> None:
    deployment = deploy_with_roles(embedded_chain)
    signer = SigningKey.generate("ML-DSA-65")
    document = maml.sign(
        maml.new_document(
            doc_type="context",
            origin="https://example.org/agents/1",
            intent="Ask the escrow agent to release order 42.",
            context="Order 42 was delivered and accepted.",
        ),
        signer,
    )
    [entry] = maml.parse(document).signatures
    key_id = deployment.outsider.register_key(signer.algorithm.id, signer.public_key)
    assert entry.key_id == key_id

    # The document signature is ML-DSA over the 32-byte digest with the entry's context string.
    digest = maml.document_digest(document)
    context = entry.context.encode()
    valid_id = deployment.outsider.request_verification(key_id, digest, context, entry.value)
    tampered = maml.document_digest(document.replace("order 42", "order 43"))
    invalid_id = deployment.outsider.request_verification(key_id, tampered, context, entry.value)

    store = Store.open(f"sqlite:///{tmp_path / 'oracle.db'}")
    OracleDaemon(deployment.oracle, store, Settings(poll_interval=0.01)).run(
        until_settled=True, timeout=60
    )
    assert deployment.admin.status_of(valid_id) is Status.VALID
    assert deployment.admin.status_of(invalid_id) is Status.INVALID
