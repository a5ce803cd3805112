// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MLDSAEncoding
/// @notice ML-DSA-44 key and signature decoding and the w1 encoding (FIPS 204, Algorithms 21, 23,
/// 27 and 28), with every check FIPS 204 makes on a signature, answered as a flag, never a revert.
/// @dev Polynomials are `uint256[256] memory` (see `NTT`). Bit-packed fields are little-endian
/// (FIPS 204's BitsToBytes puts bit i in byte i / 8 at position i mod 8), and `mload` is
/// big-endian, so a group of eight coefficients of b bits (b bytes) is read with one `mload` and
/// one byte reversal of the word (`reverseBytes`), after which coefficient k is
/// `(w >> (k * b)) & (2^b - 1)`: 5 shift-and-mask steps for 8 coefficients instead of b byte
/// extractions per coefficient.
library MLDSAEncoding {
    /// @dev ML-DSA-44 parameters (FIPS 204, Table 1).
    uint256 internal constant K = 4;
    uint256 internal constant L = 4;
    uint256 internal constant GAMMA1 = 131072; // 2^17
    uint256 internal constant BETA = 78;
    uint256 internal constant OMEGA = 80;
    uint256 internal constant PUBLIC_KEY_LENGTH = 1312;
    uint256 internal constant SIGNATURE_LENGTH = 2420;
    /// @dev Bytes of c~ (lambda / 4), of one packed z polynomial (18 bits) and of one packed t1
    /// polynomial (10 bits).
    uint256 internal constant C_TILDE_LENGTH = 32;
    uint256 internal constant Z_POLY_LENGTH = 576;
    uint256 internal constant T1_POLY_LENGTH = 320;
    /// @dev Bytes of w1Encode's output: k polynomials of 6-bit coefficients.
    uint256 internal constant W1_LENGTH = 768;

    /// @dev gamma1 + q: a decoded z coefficient is stored as this minus its packed value v.
    uint256 private constant _Z_TOP = 8511489;
    /// @dev beta + 1 and 2 gamma1 - 2 beta - 2: v is in range when v - 79 <= 261986 (unsigned).
    uint256 private constant _Z_LOW = 79;
    uint256 private constant _Z_SPAN_MAX = 261986;

    /// @notice pkDecode (Algorithm 23): rho and t1 (coefficients in [0, 1023]).
    /// @dev `ok` is false, and nothing is decoded, when `pk` is not 1312 bytes long; every 10-bit
    /// value is a valid t1 coefficient, so no other check exists.
    function decodePublicKey(bytes memory pk, uint256[256][4] memory t1)
        internal
        pure
        returns (bool ok, bytes32 rho)
    {
        if (pk.length != PUBLIC_KEY_LENGTH) return (false, bytes32(0));
        assembly ("memory-safe") {
            rho := mload(add(pk, 0x20))
        }
        for (uint256 i = 0; i < K; ++i) {
            _unpack10(_at(pk, 32 + i * T1_POLY_LENGTH), t1[i]);
        }
        return (true, rho);
    }

    /// @notice sigDecode (Algorithm 27) with the checks Verify makes on its output: c~, z and the
    /// hint h, and whether the signature passes them.
    /// @dev `ok` is false when the signature is not 2420 bytes long, when its hint is malformed
    /// (HintBitUnpack returns bottom: counts out of order or above omega, indices not strictly
    /// increasing within a polynomial, non-zero padding), or when ||z||_inf >= gamma1 - beta
    /// (Algorithm 8, line 13, checked here on the packed values: z = gamma1 - v, so
    /// |z| < gamma1 - beta exactly when beta < v < 2 gamma1 - beta). z and h are only meaningful
    /// when `ok`.
    /// z is written as gamma1 + q - v: congruent to z mod q, below 2^24, and a valid input of
    /// `NTT.forward` (which reduces lazily anyway), so no conditional subtraction is needed.
    /// h[i] is a bitmap: bit j is polynomial i's hint bit for coefficient j (at most 80 bits are
    /// set, so 256 words of flags would be waste).
    function decodeSignature(bytes memory sig, uint256[256][4] memory z, uint256[4] memory h)
        internal
        pure
        returns (bool ok, bytes32 cTilde)
    {
        if (sig.length != SIGNATURE_LENGTH) return (false, bytes32(0));
        assembly ("memory-safe") {
            cTilde := mload(add(sig, 0x20))
        }
        ok = true;
        for (uint256 i = 0; i < L; ++i) {
            if (!_unpackZ(_at(sig, C_TILDE_LENGTH + i * Z_POLY_LENGTH), z[i])) ok = false;
        }
        if (!_unpackHint(_at(sig, C_TILDE_LENGTH + L * Z_POLY_LENGTH), h)) ok = false;
    }

    /// @notice w1Encode (Algorithm 28): the k polynomials of w1, 6 bits a coefficient, 768 bytes.
    /// @dev Coefficients must be below 64 (UseHint's outputs are below 44).
    function encodeW1(uint256[256][4] memory w1) internal pure returns (bytes memory out) {
        assembly ("memory-safe") {
            out := mload(0x40)
            mstore(out, W1_LENGTH)
            // 32 bytes of slack: each group's whole-word store spills 26 bytes past its 6.
            mstore(0x40, add(out, add(0x40, W1_LENGTH)))
        }
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(out, 0x20)
        }
        for (uint256 i = 0; i < K; ++i) {
            uint256[256] memory poly = w1[i];
            for (uint256 g = 0; g < 256; g = _next8(g)) {
                uint256 v;
                assembly ("memory-safe") {
                    let p := add(poly, shl(5, g))
                    v := or(
                        or(or(mload(p), shl(6, mload(add(p, 0x20)))), or(shl(12, mload(add(p, 0x40))), shl(18, mload(add(p, 0x60))))),
                        or(or(shl(24, mload(add(p, 0x80))), shl(30, mload(add(p, 0xa0)))), or(shl(36, mload(add(p, 0xc0))), shl(42, mload(add(p, 0xe0)))))
                    )
                }
                // The 6 little-endian bytes of v become the word's first 6 bytes.
                v = reverseBytes(v);
                assembly ("memory-safe") {
                    mstore(dst, v)
                }
                unchecked {
                    dst += 6;
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

    /// @dev 256 18-bit values v from 576 bytes at `src`, stored as gamma1 + q - v; false when
    /// some v is outside (beta, 2 gamma1 - beta), i.e. ||z||_inf >= gamma1 - beta.
    function _unpackZ(uint256 src, uint256[256] memory poly) private pure returns (bool inRange) {
        // One unsigned comparison per coefficient: v - (beta + 1) wraps to a huge value when
        // v <= beta, so `v - 79 <= 2 gamma1 - 2 beta - 2` is the whole two-sided check. The eight
        // coefficients of a group are unrolled: a loop would cost more than its body.
        uint256 bad = 0;
        for (uint256 g = 0; g < 256; g = _next8(g)) {
            uint256 w;
            assembly ("memory-safe") {
                w := mload(src)
            }
            w = reverseBytes(w);
            assembly ("memory-safe") {
                let p := add(poly, shl(5, g))
                let v := and(w, 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(p, sub(_Z_TOP, v))
                v := and(shr(18, w), 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(add(p, 0x20), sub(_Z_TOP, v))
                v := and(shr(36, w), 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(add(p, 0x40), sub(_Z_TOP, v))
                v := and(shr(54, w), 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(add(p, 0x60), sub(_Z_TOP, v))
                v := and(shr(72, w), 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(add(p, 0x80), sub(_Z_TOP, v))
                v := and(shr(90, w), 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(add(p, 0xa0), sub(_Z_TOP, v))
                v := and(shr(108, w), 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(add(p, 0xc0), sub(_Z_TOP, v))
                v := and(shr(126, w), 0x3ffff)
                bad := or(bad, gt(sub(v, _Z_LOW), _Z_SPAN_MAX))
                mstore(add(p, 0xe0), sub(_Z_TOP, v))
            }
            unchecked {
                src += 18;
            }
        }
        return bad == 0;
    }

    /// @dev HintBitUnpack (Algorithm 21) of the omega + k bytes at `y` into bitmaps; false for
    /// a malformed hint. Every loop is bounded by omega = 80 reads.
    function _unpackHint(uint256 y, uint256[4] memory h) private pure returns (bool ok) {
        assembly ("memory-safe") {
            ok := 1
            let index := 0
            for { let i := 0 } lt(i, K) { i := add(i, 1) } {
                let limit := byte(0, mload(add(y, add(OMEGA, i))))
                // Counts are cumulative and at most omega.
                if or(lt(limit, index), gt(limit, OMEGA)) {
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
                mstore(add(h, shl(5, i)), bits)
            }
            // The unused index bytes must be zero.
            for {} and(ok, lt(index, OMEGA)) { index := add(index, 1) } {
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
