// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSA44} from "./MLDSA44.sol";
import {MLDSA44Verifier} from "./MLDSA44Verifier.sol";

/// @title MLDSA44Precompile
/// @notice ML-DSA-44 verification with EIP-8355's calling convention, in Solidity: the call data is
/// `publicKey ‖ signature ‖ message` (1,312 + 2,420 bytes, then the message), the context is empty,
/// and the answer is always 32 bytes, 1 for a valid signature and 0 otherwise. It never reverts
/// except by running out of gas (or when sent ether: a precompile has no use for it). A contract
/// written against it works unchanged with a chain's `VERIFY_MLDSA44` precompile at 0x12.
/// @dev Keys registered with `MLDSA44Verifier` (the `keys` given at construction) are verified from
/// their expanded form; others from scratch.
/// The contract has no function at all, only the fallback: a Solidity dispatcher would send an input
/// whose first four bytes (the start of the key's rho, which a key's owner can grind) equal a
/// selector to that function instead (see `IMLDSAVerifier`). For the same reason `keys` is a private
/// immutable: a public one would be a getter function.
contract MLDSA44Precompile {
    uint256 private constant _INPUT_MIN = MLDSA44.PUBLIC_KEY_LENGTH + MLDSA44.SIGNATURE_LENGTH;

    MLDSA44Verifier private immutable _KEYS;

    /// @param keys The register of expanded keys consulted for every key verified.
    constructor(MLDSA44Verifier keys) {
        _KEYS = keys;
    }

    /// @notice EIP-8355: `publicKey ‖ signature ‖ message` in, 32 bytes out.
    fallback(bytes calldata input) external returns (bytes memory) {
        bool valid = false;
        if (input.length >= _INPUT_MIN) {
            bytes memory publicKey = input[:MLDSA44.PUBLIC_KEY_LENGTH];
            bytes memory signature = input[MLDSA44.PUBLIC_KEY_LENGTH:_INPUT_MIN];
            bytes memory message = input[_INPUT_MIN:];
            address form = _KEYS.formOf(keccak256(publicKey));
            valid = MLDSA44.verifyWithForm(form, publicKey, signature, message, "");
        }
        return abi.encode(valid ? uint256(1) : uint256(0));
    }
}
