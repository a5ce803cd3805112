// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MLDSASet} from "./Set.sol";

/// @title MLDSAEncoding
/// @notice ML-DSA key and signature decoding and the w1 encoding (FIPS 204, Algorithms 21, 23,
/// 27 and 28) for the three parameter sets, with every check FIPS 204 makes on a signature,
/// answered as a flag, never a revert.
/// @dev Polynomials are `uint256[256] memory` (see `NTT`). Bit-packed fields are little-endian
/// (FIPS 204's BitsToBytes puts bit i in byte i / 8 at position i mod 8), and `mload` is
/// big-endian, so a group of eight coefficients of b bits (b bytes) is read with one `mload` and
/// one byte reversal of the word (`reverseBytes`), after which coefficient k is
/// `(w >> (k * b)) & (2^b - 1)`: 5 shift-and-mask steps for 8 coefficients instead of b byte
/// extractions per coefficient.
library MLDSAEncoding {
    /// @dev Bytes of one packed t1 polynomial (10 bits a coefficient, every set).
    uint256 internal constant T1_POLY_LENGTH = 320;

    /// @notice pkDecode (Algorithm 23): rho and t1 (coefficients in [0, 1023]), `t1.length` = k.
    /// @dev `ok` is false, and nothing is decoded, when `pk` is not the set's key length; every
    /// 10-bit value is a valid t1 coefficient, so no other check exists.
    function decodePublicKey(bytes memory pk, MLDSASet.Params memory p, uint256[256][] memory t1)
        internal
        pure
        returns (bool ok, bytes32 rho)
    {
        if (pk.length != p.publicKeyBytes) return (false, bytes32(0));
        assembly ("memory-safe") {
            rho := mload(add(pk, 0x20))
        }
        for (uint256 i = 0; i < p.k; ++i) {
            _unpack10(_at(pk, 32 + i * T1_POLY_LENGTH), t1[i]);
        }
        return (true, rho);
    }

    /// @notice sigDecode (Algorithm 27) with the checks Verify makes on its output: c~, z (`l`
    /// polynomials) and the hint h (`k` bitmaps), and whether the signature passes them.
    /// @dev `ok` is false when the signature is not the set's length, when its hint is malformed
    /// (HintBitUnpack returns bottom: counts out of order or above omega, indices not strictly
    /// increasing within a polynomial, non-zero padding), or when ||z||_inf >= gamma1 - beta
    /// (Algorithm 8, line 13, checked here on the packed values: z = gamma1 - v, so
    /// |z| < gamma1 - beta exactly when beta < v < 2 gamma1 - beta). z and h are only meaningful
    /// when `ok`.
    /// z is written as gamma1 + q - v: congruent to z mod q, below 2^24, and a valid input of
    /// `NTT.forward` (which reduces lazily anyway), so no conditional subtraction is needed.
    /// h[i] is a bitmap: bit j is polynomial i's hint bit for coefficient j (at most omega bits
    /// are set, so 256 words of flags would be waste).
    function decodeSignature(
        bytes memory sig,
        MLDSASet.Params memory p,
        uint256[256][] memory z,
        uint256[] memory h
    ) internal pure returns (bool ok, bytes memory cTilde) {
        if (sig.length != p.signatureBytes) return (false, cTilde);
        cTilde = new bytes(p.cTildeBytes);
        assembly ("memory-safe") {
            // Whole words (32, 48 or 64 bytes: the allocation is rounded up to words, and bytes
            // past the length are never read as c~).
            for { let i := 0 } lt(i, mload(cTilde)) { i := add(i, 0x20) } {
                mstore(add(add(cTilde, 0x20), i), mload(add(add(sig, 0x20), i)))
            }
        }
        ok = true;
        uint256 zPolyBytes = 32 * p.zBits;
        for (uint256 i = 0; i < p.l; ++i) {
            if (!_unpackZ(_at(sig, p.cTildeBytes + i * zPolyBytes), z[i], p)) ok = false;
        }
        if (!_unpackHint(_at(sig, p.cTildeBytes + p.l * zPolyBytes), h, p.omega, p.k)) ok = false;
    }

    /// @notice w1Encode (Algorithm 28): the k polynomials of w1, `w1Bits` (6 or 4) bits a
    /// coefficient, 32 * k * w1Bits bytes.
    /// @dev Coefficients must be below 2^w1Bits (UseHint's outputs are below (q - 1) / (2 gamma2)).
    function encodeW1(uint256[256][] memory w1, MLDSASet.Params memory p) internal pure returns (bytes memory out) {
        uint256 bits = p.w1Bits;
        uint256 length = 32 * p.k * bits;
        assembly ("memory-safe") {
            out := mload(0x40)
            mstore(out, length)
            // 32 bytes of slack: each group's whole-word store spills past its `bits` bytes.
            mstore(0x40, add(out, add(0x40, length)))
        }
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(out, 0x20)
        }
        for (uint256 i = 0; i < p.k; ++i) {
            uint256[256] memory poly = w1[i];
            for (uint256 g = 0; g < 256; g = _next8(g)) {
                uint256 v;
                assembly ("memory-safe") {
                    let q := add(poly, shl(5, g))
                    v := or(
                        or(
                            or(mload(q), shl(bits, mload(add(q, 0x20)))),
                            or(shl(mul(2, bits), mload(add(q, 0x40))), shl(mul(3, bits), mload(add(q, 0x60))))
                        ),
                        or(
                            or(shl(mul(4, bits), mload(add(q, 0x80))), shl(mul(5, bits), mload(add(q, 0xa0)))),
                            or(shl(mul(6, bits), mload(add(q, 0xc0))), shl(mul(7, bits), mload(add(q, 0xe0))))
                        )
                    )
                }
                // The `bits` little-endian bytes of v become the word's first bytes.
                v = reverseBytes(v);
                assembly ("memory-safe") {
                    mstore(dst, v)
                }
                unchecked {
                    dst += bits;
                }
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    /// @dev Memory address of byte `offset` of `data`'s contents.
    function _at(bytes memory data, uint256 offset) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := add(add(data, 0x20), offset)
        }
    }

    /// @dev 256 10-bit coefficients from 320 bytes at `src`; reads up to 22 bytes past them
    /// (memory, harmless: within the key or the memory after it).
    function _unpack10(uint256 src, uint256[256] memory poly) private pure {
        for (uint256 g = 0; g < 256; g = _next8(g)) {
            uint256 w;
            assembly ("memory-safe") {
                w := mload(src)
            }
            w = reverseBytes(w);
            assembly ("memory-safe") {
                let p := add(poly, shl(5, g))
                mstore(p, and(w, 0x3ff))
                mstore(add(p, 0x20), and(shr(10, w), 0x3ff))
                mstore(add(p, 0x40), and(shr(20, w), 0x3ff))
                mstore(add(p, 0x60), and(shr(30, w), 0x3ff))
                mstore(add(p, 0x80), and(shr(40, w), 0x3ff))
                mstore(add(p, 0xa0), and(shr(50, w), 0x3ff))
                mstore(add(p, 0xc0), and(shr(60, w), 0x3ff))
                mstore(add(p, 0xe0), and(shr(70, w), 0x3ff))
            }
            unchecked {
                src += 10;
            }
        }
    }

    /// @dev 256 values v of `zBits` (18 or 20) bits from 32 * zBits bytes at `src`, stored as
    /// gamma1 + q - v; false when some v is outside (beta, 2 gamma1 - beta), i.e.
    /// ||z||_inf >= gamma1 - beta.
    function _unpackZ(uint256 src, uint256[256] memory poly, MLDSASet.Params memory p)
        private
        pure
        returns (bool inRange)
    {
        // One unsigned comparison per coefficient: v - (beta + 1) wraps to a huge value when
        // v <= beta, so `v - (beta + 1) <= 2 gamma1 - 2 beta - 2` is the whole two-sided check.
        uint256 bits = p.zBits;
        uint256 mask = (1 << bits) - 1;
        uint256 top = p.gamma1 + 8380417;
        uint256 low = p.beta + 1;
        uint256 spanMax = 2 * p.gamma1 - 2 * p.beta - 2;
        uint256 bad = 0;
        for (uint256 g = 0; g < 256; g = _next8(g)) {
            uint256 w;
            assembly ("memory-safe") {
                w := mload(src)
            }
            w = reverseBytes(w);
            assembly ("memory-safe") {
                // Eight coefficients written out: a loop over them would cost more than its body.
                let q := add(poly, shl(5, g))
                let v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(q, sub(top, v))
                w := shr(bits, w)
                v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(add(q, 0x20), sub(top, v))
                w := shr(bits, w)
                v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(add(q, 0x40), sub(top, v))
                w := shr(bits, w)
                v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(add(q, 0x60), sub(top, v))
                w := shr(bits, w)
                v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(add(q, 0x80), sub(top, v))
                w := shr(bits, w)
                v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(add(q, 0xa0), sub(top, v))
                w := shr(bits, w)
                v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(add(q, 0xc0), sub(top, v))
                w := shr(bits, w)
                v := and(w, mask)
                bad := or(bad, gt(sub(v, low), spanMax))
                mstore(add(q, 0xe0), sub(top, v))
            }
            unchecked {
                src += bits;
            }
        }
        return bad == 0;
    }

    /// @dev HintBitUnpack (Algorithm 21) of the omega + k bytes at `y` into bitmaps; false for
    /// a malformed hint. Every loop is bounded by omega reads.
    function _unpackHint(uint256 y, uint256[] memory h, uint256 omega, uint256 k) private pure returns (bool ok) {
        assembly ("memory-safe") {
            ok := 1
            let index := 0
            let bitmaps := add(h, 0x20)
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let limit := byte(0, mload(add(y, add(omega, i))))
                // Counts are cumulative and at most omega.
                if or(lt(limit, index), gt(limit, omega)) {
                    ok := 0
                    break
                }
                let bits := 0
                let previous := 0
                for { let first := index } lt(index, limit) { index := add(index, 1) } {
                    let position := byte(0, mload(add(y, index)))
                    // Strictly increasing within the polynomial (FIPS 204 makes the encoding
                    // unique: a repeated or unsorted index is a different, invalid signature).
                    if and(gt(index, first), iszero(gt(position, previous))) {
                        ok := 0
                    }
                    // Slither's incorrect-shift reads a constant second operand as operands
                    // swapped; here 1 is meant to be shifted left by `position` (Yul's shl takes
                    // the shift first), setting bit `position` of the bitmap.
                    // slither-disable-next-line incorrect-shift
                    bits := or(bits, shl(position, 1))
                    previous := position
                }
                mstore(add(bitmaps, shl(5, i)), bits)
            }
            // The unused index bytes must be zero.
            for {} and(ok, lt(index, omega)) { index := add(index, 1) } {
                if byte(0, mload(add(y, index))) {
                    ok := 0
                }
            }
        }
    }

    /// @dev g + 8 without the overflow check (g < 256 in every caller's loop).
    function _next8(uint256 g) private pure returns (uint256) {
        unchecked {
            return g + 8;
        }
    }

    /// @notice Reverse the 32 bytes of `w` (five swap steps), turning a big-endian `mload` into
    /// the little-endian integer FIPS 204's bit packing and byte streams mean.
    function reverseBytes(uint256 w) internal pure returns (uint256) {
        w =
            ((w >> 8) & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) |
            ((w & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        w =
            ((w >> 16) & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) |
            ((w & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
        w =
            ((w >> 32) & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) |
            ((w & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) << 32);
        w =
            ((w >> 64) & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff) |
            ((w & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff) << 64);
        return (w >> 128) | (w << 128);
    }
}
