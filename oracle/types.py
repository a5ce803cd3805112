"""Domain scalar types shared across subpackages."""

from __future__ import annotations

from typing import NewType

#: keccak256(abi.encodePacked(uint8 algorithmId, bytes publicKey)): 32 bytes.
KeyId = NewType("KeyId", bytes)
#: keccak256(abi.encode(chainId, verifier, requester, nonce)): 32 bytes, bound to one chain,
#: one verifier and the requester's own count, so a reorg cannot renumber a request.
RequestId = NewType("RequestId", bytes)
#: keccak256(abi.encode(bytes32 keyId, bytes message, bytes context, bytes signature)).
Commitment = NewType("Commitment", bytes)
#: A transaction hash: 32 bytes.
TxHash = NewType("TxHash", bytes)
