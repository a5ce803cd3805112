// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Keccak} from "./Keccak.sol";

/// @title MLDSASampling
/// @notice SampleInBall for ML-DSA-44 (FIPS 204, Algorithm 29): the challenge polynomial c with
/// tau = 39 coefficients of +-1, from c~.
library MLDSASampling {
    /// @dev ML-DSA-44's tau: the number of non-zero coefficients of c.
    uint256 internal constant TAU = 39;

    /// @notice c = SampleInBall(cTilde), coefficients mod q (q - 1 for -1), written into `c`,
    /// which must be all zeros (a freshly allocated array is).
    /// @dev The SHAKE256 output is squeezed a whole block (136 bytes) at a time into a buffer and
    /// read byte by byte from there: a squeeze call per byte would cost its bookkeeping ~40 times.
    /// The first block usually suffices (8 sign bytes and 39 draws, each rejected with
    /// probability below 39/256). The rejection loop has no bound but the gas: SHAKE256's output
    /// makes a long run of rejections as unlikely as a hash collision.
    function sampleInBall(bytes32 cTilde, uint256[256] memory c) internal pure {
        sampleInBall(cTilde, c, Keccak.SHAKE256_RATE);
    }

    /// @notice SampleInBall reading the SHAKE256 output `chunk` bytes at a time (8 <= chunk <=
    /// 136); the result does not depend on `chunk`.
    /// @dev For tests: with 136 the refill path is practically never taken, and a small chunk
    /// exercises it on every call.
    function sampleInBall(bytes32 cTilde, uint256[256] memory c, uint256 chunk) internal pure {
        uint256 sponge = Keccak.shake256();
        bytes memory seed = abi.encodePacked(cTilde);
        Keccak.absorb(sponge, seed);
        bytes memory block_ = Keccak.squeeze(sponge, chunk);
        uint256 buf;
        uint256 signs;
        assembly ("memory-safe") {
            buf := add(block_, 0x20)
            signs := mload(buf)
        }
        // The first 8 bytes, read little-endian, are the 64 sign bits: sign bit t is bit
        // (t mod 8) of byte t / 8, so reversing the byte order within those 8 bytes makes it bit t.
        signs = _reverse64(signs >> 192);
        uint256 pos = 8;
        for (uint256 i = 256 - TAU; i < 256; ++i) {
            uint256 j;
            while (true) {
                if (pos == chunk) {
                    Keccak.squeezeMemory(sponge, buf, chunk);
                    pos = 0;
                }
                assembly ("memory-safe") {
                    j := byte(0, mload(add(buf, pos)))
                }
                unchecked {
                    ++pos;
                }
                if (j <= i) break;
            }
            assembly ("memory-safe") {
                let pj := add(c, shl(5, j))
                mstore(add(c, shl(5, i)), mload(pj))
                // (-1)^bit as 1 or q - 1: 1 + bit * (q - 2).
                mstore(pj, add(1, mul(and(shr(sub(i, 217), signs), 1), 8380415)))
            }
        }
    }

    /// @dev Reverse the 8 bytes of a 64-bit value.
    function _reverse64(uint256 w) private pure returns (uint256) {
        w = ((w >> 8) & 0x00ff00ff00ff00ff) | ((w & 0x00ff00ff00ff00ff) << 8);
        w = ((w >> 16) & 0x0000ffff0000ffff) | ((w & 0x0000ffff0000ffff) << 16);
        return ((w >> 32) & 0x00000000ffffffff) | ((w & 0x00000000ffffffff) << 32);
    }
}
