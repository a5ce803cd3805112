// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MLDSASet
/// @notice The parameters of ML-DSA-44, -65 and -87 (FIPS 204, Table 1) and the sizes that follow
/// from them, as one memory struct the verifier's libraries take.
/// @dev Why a struct in memory rather than per-set constants: one code path serves the three sets
/// (each of its loops and shifts reads its bound from here, a few gas per polynomial), where
/// constants would mean three copies of every library.
library MLDSASet {
    /// @notice A parameter set's name is not 44, 65 or 87 (a programming error, never bad input).
    error MLDSAUnknownSet(uint256 level);

    struct Params {
        /// The NIST name's number: 44, 65 or 87.
        uint256 level;
        /// Rows and columns of the matrix A.
        uint256 k;
        uint256 l;
        /// Non-zero coefficients of the challenge c.
        uint256 tau;
        /// Bytes of c~ (lambda / 4).
        uint256 cTildeBytes;
        /// gamma1 and the bits of one packed z coefficient (log2(gamma1) + 1).
        uint256 gamma1;
        uint256 zBits;
        /// beta = tau * eta.
        uint256 beta;
        /// Most hint bits a signature may set.
        uint256 omega;
        /// gamma2 and the bits of one w1 coefficient.
        uint256 gamma2;
        uint256 w1Bits;
        /// Encoded sizes of a public key and a signature.
        uint256 publicKeyBytes;
        uint256 signatureBytes;
    }

    /// @notice The parameters of ML-DSA-`level`.
    function params(uint256 level) internal pure returns (Params memory p) {
        if (level == 44) {
            return Params(44, 4, 4, 39, 32, 1 << 17, 18, 78, 80, (8380417 - 1) / 88, 6, 1312, 2420);
        }
        if (level == 65) {
            return Params(65, 6, 5, 49, 48, 1 << 19, 20, 196, 55, (8380417 - 1) / 32, 4, 1952, 3309);
        }
        if (level == 87) {
            return Params(87, 8, 7, 60, 64, 1 << 19, 20, 120, 75, (8380417 - 1) / 32, 4, 2592, 4627);
        }
        revert MLDSAUnknownSet(level);
    }
}
