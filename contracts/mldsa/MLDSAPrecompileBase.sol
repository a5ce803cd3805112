// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSA} from "./MLDSA.sol";
import {MLDSASet} from "./Set.sol";
import {MLDSAVerifierBase} from "./MLDSAVerifierBase.sol";

/// @title MLDSAPrecompileBase
/// @notice ML-DSA verification with EIP-8355's calling convention, in Solidity: the call data is
/// `publicKey ‖ signature ‖ message` (the set's key and signature lengths, then the message), the
/// context is empty, and the answer is always 32 bytes, 1 for a valid signature and 0 otherwise. It
/// never reverts except by running out of gas (or when sent ether: a precompile has no use for
/// it). A contract written against it works unchanged with a chain's `VERIFY_MLDSA44/65/87`
/// precompile (0x12, 0x13, 0x14 in the draft). `MLDSA44Precompile`, `MLDSA65Precompile` and
/// `MLDSA87Precompile` are this contract for each set.
/// @dev Keys registered with the set's `MLDSAVerifierBase` (the `keys` given at construction) are
/// verified from their expanded form; others from scratch.
/// The contract has no function at all, only the fallback: a Solidity dispatcher would send an input
/// whose first four bytes (the start of the key's rho, which a key's owner can grind) equal a
/// selector to that function instead (see `IMLDSAVerifier`). For the same reason its immutables are
/// private: a public one would be a getter function.
abstract contract MLDSAPrecompileBase {
    uint256 private immutable _LEVEL;
    MLDSAVerifierBase private immutable _KEYS;

    /// @param level 44, 65 or 87.
    /// @param keys The register of expanded keys consulted for every key verified.
    constructor(uint256 level, MLDSAVerifierBase keys) {
        _LEVEL = MLDSASet.params(level).level; // reverts for an unknown set
        _KEYS = keys;
    }

    /// @notice EIP-8355: `publicKey ‖ signature ‖ message` in, 32 bytes out.
    fallback(bytes calldata input) external returns (bytes memory) {
        MLDSASet.Params memory p = MLDSASet.params(_LEVEL);
        uint256 fixedLength = p.publicKeyBytes + p.signatureBytes;
        bool valid = false;
        if (input.length >= fixedLength) {
            bytes memory publicKey = input[:p.publicKeyBytes];
            bytes memory signature = input[p.publicKeyBytes:fixedLength];
            bytes memory message = input[fixedLength:];
            (address[] memory chunks, uint256 rows) = _KEYS.formsOf(keccak256(publicKey));
            if (rows != p.k) chunks = new address[](0);
            valid = MLDSA.verifyWithChunks(chunks, p, publicKey, signature, message, "");
        }
        return abi.encode(valid ? uint256(1) : uint256(0));
    }
}
