// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MLDSAParams} from "./MLDSAParams.sol";

/// @title InputSanitizer
/// @notice Size checks on everything a caller hands the verifier: algorithm, public key, signature,
/// message and FIPS 204 context. Every check reverts with a custom error naming the offending value.
/// @dev The off-chain oracle applies the same limits (`oracle.crypto`), so a request that passes
/// here is one the oracle can evaluate, and one that fails here never costs an oracle anything.
///
/// Note: these are size checks only. Whether a public key or signature is well formed beyond its
/// length is for the ML-DSA verifier off-chain to decide; a malformed one yields an Invalid verdict.
library InputSanitizer {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev `algorithm` is not ML-DSA-44 (1), ML-DSA-65 (2) or ML-DSA-87 (3).
    error SanitizerUnsupportedAlgorithm(uint8 algorithm);

    /// @dev A public key of `actual` bytes was given where `algorithm` needs `expected` bytes.
    error SanitizerInvalidPublicKeyLength(uint8 algorithm, uint256 expected, uint256 actual);

    /// @dev A signature of `actual` bytes was given where `algorithm` produces `expected` bytes.
    error SanitizerInvalidSignatureLength(uint8 algorithm, uint256 expected, uint256 actual);

    /// @dev The message is `length` bytes, more than the `max` the verifier accepts.
    error SanitizerMessageTooLong(uint256 length, uint256 max);

    /// @dev The context string is `length` bytes, more than the `max` FIPS 204 allows.
    error SanitizerContextTooLong(uint256 length, uint256 max);

    /*//////////////////////////////////////////////////////////////
                                 LIMITS
    //////////////////////////////////////////////////////////////*/

    /// @dev Longest message a request may carry. The payload only travels in calldata and event
    /// data, but each byte costs every oracle bandwidth and hashing; 16 KiB covers signed documents
    /// and transaction digests while keeping a request well inside a block.
    uint256 internal constant MAX_MESSAGE_LENGTH = 16384;

    /// @dev FIPS 204 prefixes the context with a single length byte, so it cannot exceed 255 bytes.
    uint256 internal constant MAX_CONTEXT_LENGTH = 255;

    /*//////////////////////////////////////////////////////////////
                                 CHECKS
    //////////////////////////////////////////////////////////////*/

    /// @notice Reverts unless `algorithm` is a supported ML-DSA parameter set.
    function checkAlgorithm(uint8 algorithm) internal pure {
        if (!MLDSAParams.isSupported(algorithm)) revert SanitizerUnsupportedAlgorithm(algorithm);
    }

    /// @notice Reverts unless `length` is the public key length of `algorithm`.
    /// @dev Requirements:
    /// - `algorithm` is supported;
    /// - `length` equals its public key length.
    function checkPublicKey(uint8 algorithm, uint256 length) internal pure {
        checkAlgorithm(algorithm);
        uint256 expected = MLDSAParams.publicKeyLength(algorithm);
        if (length != expected) revert SanitizerInvalidPublicKeyLength(algorithm, expected, length);
    }

    /// @notice Reverts unless `length` is the signature length of `algorithm`.
    /// @dev Requirements:
    /// - `algorithm` is supported;
    /// - `length` equals its signature length.
    function checkSignature(uint8 algorithm, uint256 length) internal pure {
        checkAlgorithm(algorithm);
        uint256 expected = MLDSAParams.signatureLength(algorithm);
        if (length != expected) revert SanitizerInvalidSignatureLength(algorithm, expected, length);
    }

    /// @notice Reverts when a message of `length` bytes is longer than `MAX_MESSAGE_LENGTH`.
    function checkMessage(uint256 length) internal pure {
        if (length > MAX_MESSAGE_LENGTH) revert SanitizerMessageTooLong(length, MAX_MESSAGE_LENGTH);
    }

    /// @notice Reverts when a context of `length` bytes is longer than `MAX_CONTEXT_LENGTH`.
    function checkContext(uint256 length) internal pure {
        if (length > MAX_CONTEXT_LENGTH) revert SanitizerContextTooLong(length, MAX_CONTEXT_LENGTH);
    }
}
