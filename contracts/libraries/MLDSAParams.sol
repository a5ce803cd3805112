// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MLDSAParams
/// @notice Algorithm identifiers and encoding sizes of the ML-DSA parameter sets (FIPS 204, final).
/// @dev The identifiers are part of every key id (`keccak256(abi.encodePacked(uint8 id, publicKey))`)
/// and of the off-chain registry in `oracle.crypto`; they must never be renumbered.
///
/// Note: identifier 0 is deliberately unassigned. A key record whose algorithm reads 0 is an empty
/// storage slot, which lets the verifier use the algorithm byte as its "registered" flag.
library MLDSAParams {
    /*//////////////////////////////////////////////////////////////
                              IDENTIFIERS
    //////////////////////////////////////////////////////////////*/

    /// @dev ML-DSA-44, NIST security category 2.
    uint8 internal constant ML_DSA_44 = 1;
    /// @dev ML-DSA-65, NIST security category 3.
    uint8 internal constant ML_DSA_65 = 2;
    /// @dev ML-DSA-87, NIST security category 5.
    uint8 internal constant ML_DSA_87 = 3;

    /*//////////////////////////////////////////////////////////////
                                 SIZES
    //////////////////////////////////////////////////////////////*/

    /// @dev Encoded public key (pkEncode) length of ML-DSA-44, in bytes.
    uint256 internal constant ML_DSA_44_PUBLIC_KEY_LENGTH = 1312;
    /// @dev Encoded signature (sigEncode) length of ML-DSA-44, in bytes.
    uint256 internal constant ML_DSA_44_SIGNATURE_LENGTH = 2420;
    /// @dev Encoded public key length of ML-DSA-65, in bytes.
    uint256 internal constant ML_DSA_65_PUBLIC_KEY_LENGTH = 1952;
    /// @dev Encoded signature length of ML-DSA-65, in bytes.
    uint256 internal constant ML_DSA_65_SIGNATURE_LENGTH = 3309;
    /// @dev Encoded public key length of ML-DSA-87, in bytes.
    uint256 internal constant ML_DSA_87_PUBLIC_KEY_LENGTH = 2592;
    /// @dev Encoded signature length of ML-DSA-87, in bytes.
    uint256 internal constant ML_DSA_87_SIGNATURE_LENGTH = 4627;

    /*//////////////////////////////////////////////////////////////
                                LOOKUPS
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether `algorithm` names a supported parameter set.
    function isSupported(uint8 algorithm) internal pure returns (bool) {
        return algorithm >= ML_DSA_44 && algorithm <= ML_DSA_87;
    }

    /// @notice Public key length of `algorithm`, or 0 when it is not supported.
    function publicKeyLength(uint8 algorithm) internal pure returns (uint256) {
        if (algorithm == ML_DSA_44) return ML_DSA_44_PUBLIC_KEY_LENGTH;
        if (algorithm == ML_DSA_65) return ML_DSA_65_PUBLIC_KEY_LENGTH;
        if (algorithm == ML_DSA_87) return ML_DSA_87_PUBLIC_KEY_LENGTH;
        return 0;
    }

    /// @notice Signature length of `algorithm`, or 0 when it is not supported.
    function signatureLength(uint8 algorithm) internal pure returns (uint256) {
        if (algorithm == ML_DSA_44) return ML_DSA_44_SIGNATURE_LENGTH;
        if (algorithm == ML_DSA_65) return ML_DSA_65_SIGNATURE_LENGTH;
        if (algorithm == ML_DSA_87) return ML_DSA_87_SIGNATURE_LENGTH;
        return 0;
    }
}
