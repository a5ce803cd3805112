// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MLDSAEncoding} from "./Encoding.sol";
import {Keccak} from "./Keccak.sol";

/// @title MLDSASampling
/// @notice SampleInBall (FIPS 204, Algorithm 29): the challenge polynomial c with tau coefficients
/// of +-1, from c~; RejNTTPoly (Algorithm 30), one entry of ExpandA's matrix (Algorithm 32).
library MLDSASampling {
    /// @notice c = SampleInBall(cTilde) with `tau` non-zero coefficients (39, 49 or 60),
    /// coefficients mod q (q - 1 for -1), written into `c`, which must be all zeros (a freshly
    /// allocated array is).
    /// @dev The SHAKE256 output is squeezed a whole block (136 bytes) at a time into a buffer and
    /// read byte by byte from there: a squeeze call per byte would cost its bookkeeping ~40 times.
    /// The first block usually suffices (8 sign bytes and at most 60 draws, each rejected with
    /// probability below tau/256). The rejection loop has no bound but the gas: SHAKE256's output
    /// makes a long run of rejections as unlikely as a hash collision.
    function sampleInBall(bytes memory cTilde, uint256 tau, uint256[256] memory c) internal pure {
        sampleInBall(cTilde, tau, c, Keccak.SHAKE256_RATE);
    }

    /// @notice SampleInBall reading the SHAKE256 output `chunk` bytes at a time (8 <= chunk <=
    /// 136); the result does not depend on `chunk`.
    /// @dev For tests: with 136 the refill path is practically never taken, and a small chunk
    /// exercises it on every call.
    function sampleInBall(bytes memory cTilde, uint256 tau, uint256[256] memory c, uint256 chunk)
        internal
        pure
    {
        uint256 sponge = Keccak.shake256();
        Keccak.absorb(sponge, cTilde);
        uint256 first = 256 - tau;
        bytes memory block_ = Keccak.squeeze(sponge, chunk);
        uint256 buf;
        uint256 signs;
        assembly ("memory-safe") {
            buf := add(block_, 0x20)
            signs := mload(buf)
        }
        // The first 8 bytes, read little-endian, are the 64 sign bits: sign bit t is bit
        // (t mod 8) of byte t / 8, so reversing the word's byte order makes it bit t.
        signs = MLDSAEncoding.reverseBytes(signs) & 0xffffffffffffffff;
        uint256 pos = 8;
        for (uint256 i = first; i < 256; ++i) {
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
                mstore(pj, add(1, mul(and(shr(sub(i, first), signs), 1), 8380415)))
            }
        }
    }

    /// @notice a = RejNTTPoly(rho || column || row): ExpandA's entry A[row][column], already in
    /// the NTT domain, coefficients reduced.
    /// @dev SHAKE128's output is squeezed a block (168 bytes, 56 candidates of 3 bytes) at a time;
    /// 256 coefficients need 5 blocks unless more than 24 of 280 candidates are rejected
    /// (probability 2^-13 each), so the loop over blocks runs 5 times in all but rare cases, and
    /// is bounded by the gas otherwise. A block is read 24 bytes (8 candidates) per `mload`, the
    /// word's bytes reversed once so that candidate k is bits [24k, 24k + 23) of it.
    function rejNTTPoly(bytes32 rho, uint256 row, uint256 column, uint256[256] memory a) internal pure {
        uint256 sponge = Keccak.shake128();
        bytes memory seed = abi.encodePacked(rho, uint8(column), uint8(row));
        Keccak.absorb(sponge, seed);
        bytes memory block_ = new bytes(Keccak.SHAKE128_RATE);
        uint256 buf;
        assembly ("memory-safe") {
            buf := add(block_, 0x20)
        }
        uint256 count = 0;
        while (count < 256) {
            Keccak.squeezeMemory(sponge, buf, Keccak.SHAKE128_RATE);
            for (uint256 offset = 0; offset < Keccak.SHAKE128_RATE && count < 256; offset += 24) {
                uint256 w;
                assembly ("memory-safe") {
                    w := mload(add(buf, offset))
                }
                w = MLDSAEncoding.reverseBytes(w);
                assembly ("memory-safe") {
                    // The 24 bytes read are the word's low 192 bits after the reversal.
                    for { let k := 0 } and(lt(k, 8), lt(count, 256)) { k := add(k, 1) } {
                        // Algorithm 14 (CoeffFromThreeBytes) clears the top bit of the third byte.
                        let candidate := and(shr(mul(24, k), w), 0x7fffff)
                        if lt(candidate, 8380417) {
                            mstore(add(a, shl(5, count)), candidate)
                            count := add(count, 1)
                        }
                    }
                }
            }
        }
    }
}
