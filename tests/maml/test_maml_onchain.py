"""A signed `.maml.md` document checked on-chain through the oracles' votes, under the same key
id."""

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
    deployment = deploy_with_roles(embedded_chain, oracles=2, threshold=2)
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

    # Both oracles must agree, each with its own daemon and store: the first one's votes leave
    # the requests pending, the second one's finalise them.
    first, second = deployment.oracles
    stores = [Store.open(f"sqlite:///{tmp_path / f'oracle{i}.db'}") for i in range(2)]
    try:
        OracleDaemon(first, stores[0], Settings(poll_interval=0.01)).run(max_cycles=2)
        halfway = deployment.admin.status_of(valid_id)
        assert (halfway.status, halfway.valid_votes) == (Status.PENDING, 1)
        OracleDaemon(second, stores[1], Settings(poll_interval=0.01)).run(
            until_settled=True, timeout=60
        )
    finally:
        for store in stores:
            store.close()
    valid = deployment.admin.status_of(valid_id)
    invalid = deployment.admin.status_of(invalid_id)
    assert (valid.status, valid.valid_votes, valid.invalid_votes) == (Status.VALID, 2, 0)
    assert (invalid.status, invalid.valid_votes, invalid.invalid_votes) == (Status.INVALID, 0, 2)
