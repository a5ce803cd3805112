"""Domain scalar types shared across subpackages."""

from __future__ import annotations

from typing import NewType

#: keccak256(abi.encodePacked(uint8 algorithmId, bytes publicKey)): 32 bytes.
KeyId = NewType("KeyId", bytes)
#: Sequential request number assigned by the SignatureVerifier contract (starts at 1).
RequestId = NewType("RequestId", int)
#: keccak256(abi.encode(bytes32 keyId, bytes message, bytes context, bytes signature)).
Commitment = NewType("Commitment", bytes)
