// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Keccak
/// @notice Keccak-f[1600] and the SHAKE128 / SHAKE256 sponges (FIPS 202) with incremental absorb and
/// squeeze, for the ML-DSA verifier (FIPS 204 hashes with SHAKE256 and expands its matrix with
/// SHAKE128, drawing many blocks from one sponge).
/// @dev A sponge is a pointer to 0x840 bytes of memory allocated by `shake128()` / `shake256()`:
///
///     0x000  A: the 25 lanes, one lane per 32-byte word, lane (x, y) at 32 * (x + 5y)
///     0x320  T: a second set of 25 lanes (rounds alternate A -> T -> A, see `permute`)
///     0x640  the 24 round constants, 8 bytes each, big-endian, packed into 6 words
///     0x700  rate in bytes (168 or 136)
///     0x720  position in the current block (bytes absorbed, or bytes already squeezed)
///     0x740  1 once squeezing has started
///     0x760  the current block as bytes (rate bytes and 32 bytes of slack for whole-word writes)
///
/// Why each word holds its 64-bit lane four times over (x || x || x || x): the EVM has no
/// 64-bit rotation, and rotating the 256-bit word by r (`x << r | x >> (256 - r)`) rotates every
/// copy by r, with no mask to drop the bits shifted out (a lane alone in its word needs one `and`
/// per rotation); xor, and, not act on every copy alike, so the form survives every step. It
/// costs one multiplication per lane absorbed and a mask per lane squeezed, per block, against
/// 29 masks saved per round.
/// Why the lanes live in memory rather than on the stack: 25 lanes do not fit the 16 reachable
/// stack slots of the legacy code generator, and an `mload` / `mstore` costs 3 gas.
///
/// Note: only the two SHAKE rates are supported (both are 8 mod 32, which the block conversions
/// rely on: four lanes per word, then one lane). A sponge is single-use: absorbing after the first
/// squeeze reverts with `KeccakAbsorbAfterSqueeze`, a programming error rather than bad input.
library Keccak {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev `absorb` was called on a sponge that has already been squeezed.
    error KeccakAbsorbAfterSqueeze();

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @dev SHAKE128's rate in bytes (capacity 256 bits).
    uint256 internal constant SHAKE128_RATE = 168;
    /// @dev SHAKE256's rate in bytes (capacity 512 bits).
    uint256 internal constant SHAKE256_RATE = 136;

    uint256 private constant _LANES_T = 0x320;
    uint256 private constant _RC = 0x640;
    uint256 private constant _RC_END = 0x700;
    uint256 private constant _RATE = 0x700;
    uint256 private constant _POS = 0x720;
    uint256 private constant _SQUEEZING = 0x740;
    uint256 private constant _BUF = 0x760;
    uint256 private constant _SIZE = 0x840;
    /// @dev A 64-bit value times this is the value four times over (the lane form, see above).
    uint256 private constant _REPEAT = 0x0000000000000001000000000000000100000000000000010000000000000001;
    uint256 private constant _LANE_MASK = 0xffffffffffffffff;

    /*//////////////////////////////////////////////////////////////
                                 SPONGES
    //////////////////////////////////////////////////////////////*/

    /// @notice A fresh SHAKE128 sponge (empty input).
    function shake128() internal pure returns (uint256 sponge) {
        return _init(SHAKE128_RATE);
    }

    /// @notice A fresh SHAKE256 sponge (empty input).
    function shake256() internal pure returns (uint256 sponge) {
        return _init(SHAKE256_RATE);
    }

    /// @notice SHAKE128(data) truncated to `outLength` bytes.
    function shake128(bytes memory data, uint256 outLength) internal pure returns (bytes memory) {
        uint256 sponge = _init(SHAKE128_RATE);
        absorb(sponge, data);
        return squeeze(sponge, outLength);
    }

    /// @notice SHAKE256(data) truncated to `outLength` bytes.
    function shake256(bytes memory data, uint256 outLength) internal pure returns (bytes memory) {
        uint256 sponge = _init(SHAKE256_RATE);
        absorb(sponge, data);
        return squeeze(sponge, outLength);
    }

    /// @notice Absorb `data` into `sponge`; may be called any number of times before squeezing.
    function absorb(uint256 sponge, bytes memory data) internal pure {
        uint256 src;
        assembly ("memory-safe") {
            src := add(data, 0x20)
        }
        absorbMemory(sponge, src, data.length);
    }

    /// @notice Absorb the `length` bytes of memory starting at `src`.
    /// @dev Reverts with `KeccakAbsorbAfterSqueeze` once the sponge has been squeezed.
    function absorbMemory(uint256 sponge, uint256 src, uint256 length) internal pure {
        uint256 rate;
        uint256 pos;
        bool squeezing;
        assembly ("memory-safe") {
            rate := mload(add(sponge, _RATE))
            pos := mload(add(sponge, _POS))
            squeezing := mload(add(sponge, _SQUEEZING))
        }
        if (squeezing) revert KeccakAbsorbAfterSqueeze();
        while (length != 0) {
            uint256 n = rate - pos;
            if (length < n) n = length;
            assembly ("memory-safe") {
                // Whole words, so up to 31 bytes past the n copied may be written: they land in
                // the rest of the block (overwritten by the next absorb, or cleared by the
                // padding) or in the buffer's 32 bytes of slack, never outside the sponge.
                let dst := add(add(sponge, _BUF), pos)
                for { let k := 0 } lt(k, n) { k := add(k, 0x20) } {
                    mstore(add(dst, k), mload(add(src, k)))
                }
            }
            unchecked {
                // n <= length and pos + n <= rate by the choice of n.
                src += n;
                length -= n;
                pos += n;
            }
            if (pos == rate) {
                _xorBlock(sponge, rate);
                permute(sponge);
                pos = 0;
            }
        }
        assembly ("memory-safe") {
            mstore(add(sponge, _POS), pos)
        }
    }

    /// @notice The next `length` bytes of the sponge's output, as a new bytes array.
    function squeeze(uint256 sponge, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(out, 0x20)
        }
        squeezeMemory(sponge, dst, length);
    }

    /// @notice Write the next `length` bytes of the sponge's output to memory at `dst`.
    /// @dev The first call pads the input (SHAKE's domain bits 1111, then pad10*1). Nothing outside
    /// [dst, dst + length) is written.
    function squeezeMemory(uint256 sponge, uint256 dst, uint256 length) internal pure {
        uint256 rate;
        uint256 pos;
        bool squeezing;
        assembly ("memory-safe") {
            rate := mload(add(sponge, _RATE))
            pos := mload(add(sponge, _POS))
            squeezing := mload(add(sponge, _SQUEEZING))
        }
        if (!squeezing) {
            assembly ("memory-safe") {
                let buf := add(sponge, _BUF)
                // The block's bytes from pos on may hold leftovers of whole-word copies: clear
                // them (the writes past `rate` fall in the slack).
                for { let k := pos } lt(k, rate) { k := add(k, 0x20) } {
                    mstore(add(buf, k), 0)
                }
                // SHAKE's suffix 1111 and the first 1 of pad10*1 make 0x1f; the last 1 is 0x80 in
                // the block's last byte (the same byte when pos = rate - 1: 0x9f).
                mstore8(add(buf, pos), 0x1f)
                let last := add(buf, sub(rate, 1))
                mstore8(last, or(byte(0, mload(last)), 0x80))
                mstore(add(sponge, _SQUEEZING), 1)
            }
            _xorBlock(sponge, rate);
            permute(sponge);
            _emitBlock(sponge, rate);
            pos = 0;
        }
        while (length != 0) {
            if (pos == rate) {
                permute(sponge);
                _emitBlock(sponge, rate);
                pos = 0;
            }
            uint256 n = rate - pos;
            if (length < n) n = length;
            assembly ("memory-safe") {
                let src := add(add(sponge, _BUF), pos)
                let k := 0
                for {} lt(add(k, 0x1f), n) { k := add(k, 0x20) } {
                    mstore(add(dst, k), mload(add(src, k)))
                }
                // The last partial word is merged so that the caller's memory after
                // dst + length is left untouched.
                let rest := sub(n, k)
                if rest {
                    let keep := shr(shl(3, rest), not(0))
                    let at := add(dst, k)
                    mstore(at, or(and(mload(add(src, k)), not(keep)), and(mload(at), keep)))
                }
            }
            unchecked {
                dst += n;
                length -= n;
                pos += n;
            }
        }
        assembly ("memory-safe") {
            mstore(add(sponge, _POS), pos)
        }
    }

    /*//////////////////////////////////////////////////////////////
                              PERMUTATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Keccak-f[1600] on the sponge's lanes (24 rounds).
    /// @dev Each round reads one set of lanes and writes the other (A -> T, then T -> A), so
    /// rho-pi-chi can be computed one output row at a time from five values on the stack without
    /// an intermediate copy; 24 rounds end in A again. Theta's five column effects d0..d4 stay on
    /// the stack beside the five row values (the column parities live in an inner block that
    /// frees their slots first), and T is addressed from A's pointer, so the round counter (a
    /// pointer into the constants) and A's pointer are the only other slots: 12 in all, within
    /// the 16 the legacy code generator reaches.
    /// The code of the rounds is unrolled (generated from the rotation offsets and the pi
    /// permutation of FIPS 202, 3.2.2-3.2.3): a loop over lanes would pay for index arithmetic on
    /// every access.
    function permute(uint256 sponge) internal pure {
        assembly ("memory-safe") {
            let a := sponge
            // i walks the round constants two at a time (8 bytes each).
            for { let i := add(a, _RC) } lt(i, add(a, _RC_END)) { i := add(i, 16) } {
                {
                    let d0, d1, d2, d3, d4
                    {
                        // theta: the column parities c[x] and d[x] = c[x-1] ^ rot(c[x+1], 1)
                        let c0 := xor(xor(xor(xor(mload(a), mload(add(a, 0xa0))), mload(add(a, 0x140))), mload(add(a, 0x1e0))), mload(add(a, 0x280)))
                        let c1 := xor(xor(xor(xor(mload(add(a, 0x20)), mload(add(a, 0xc0))), mload(add(a, 0x160))), mload(add(a, 0x200))), mload(add(a, 0x2a0)))
                        let c2 := xor(xor(xor(xor(mload(add(a, 0x40)), mload(add(a, 0xe0))), mload(add(a, 0x180))), mload(add(a, 0x220))), mload(add(a, 0x2c0)))
                        let c3 := xor(xor(xor(xor(mload(add(a, 0x60)), mload(add(a, 0x100))), mload(add(a, 0x1a0))), mload(add(a, 0x240))), mload(add(a, 0x2e0)))
                        let c4 := xor(xor(xor(xor(mload(add(a, 0x80)), mload(add(a, 0x120))), mload(add(a, 0x1c0))), mload(add(a, 0x260))), mload(add(a, 0x300)))
                        d0 := xor(c4, or(shl(1, c1), shr(255, c1)))
                        d1 := xor(c0, or(shl(1, c2), shr(255, c2)))
                        d2 := xor(c1, or(shl(1, c3), shr(255, c3)))
                        d3 := xor(c2, or(shl(1, c4), shr(255, c4)))
                        d4 := xor(c3, or(shl(1, c0), shr(255, c0)))
                    }
                    // rho and pi into output row 0, then chi along the row and iota
                    {
                        let b0 := xor(mload(a), d0)
                        let b1 := xor(mload(add(a, 0xc0)), d1)
                        b1 := or(shl(44, b1), shr(212, b1))
                        let b2 := xor(mload(add(a, 0x180)), d2)
                        b2 := or(shl(43, b2), shr(213, b2))
                        let b3 := xor(mload(add(a, 0x240)), d3)
                        b3 := or(shl(21, b3), shr(235, b3))
                        let b4 := xor(mload(add(a, 0x300)), d4)
                        b4 := or(shl(14, b4), shr(242, b4))
                        mstore(add(a, 0x320), xor(xor(b0, and(not(b1), b2)), mul(shr(192, mload(i)), _REPEAT)))
                        mstore(add(a, 0x340), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x360), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x380), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x3a0), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 1, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x60)), d3)
                        b0 := or(shl(28, b0), shr(228, b0))
                        let b1 := xor(mload(add(a, 0x120)), d4)
                        b1 := or(shl(20, b1), shr(236, b1))
                        let b2 := xor(mload(add(a, 0x140)), d0)
                        b2 := or(shl(3, b2), shr(253, b2))
                        let b3 := xor(mload(add(a, 0x200)), d1)
                        b3 := or(shl(45, b3), shr(211, b3))
                        let b4 := xor(mload(add(a, 0x2c0)), d2)
                        b4 := or(shl(61, b4), shr(195, b4))
                        mstore(add(a, 0x3c0), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0x3e0), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x400), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x420), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x440), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 2, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x20)), d1)
                        b0 := or(shl(1, b0), shr(255, b0))
                        let b1 := xor(mload(add(a, 0xe0)), d2)
                        b1 := or(shl(6, b1), shr(250, b1))
                        let b2 := xor(mload(add(a, 0x1a0)), d3)
                        b2 := or(shl(25, b2), shr(231, b2))
                        let b3 := xor(mload(add(a, 0x260)), d4)
                        b3 := or(shl(8, b3), shr(248, b3))
                        let b4 := xor(mload(add(a, 0x280)), d0)
                        b4 := or(shl(18, b4), shr(238, b4))
                        mstore(add(a, 0x460), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0x480), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x4a0), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x4c0), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x4e0), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 3, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x80)), d4)
                        b0 := or(shl(27, b0), shr(229, b0))
                        let b1 := xor(mload(add(a, 0xa0)), d0)
                        b1 := or(shl(36, b1), shr(220, b1))
                        let b2 := xor(mload(add(a, 0x160)), d1)
                        b2 := or(shl(10, b2), shr(246, b2))
                        let b3 := xor(mload(add(a, 0x220)), d2)
                        b3 := or(shl(15, b3), shr(241, b3))
                        let b4 := xor(mload(add(a, 0x2e0)), d3)
                        b4 := or(shl(56, b4), shr(200, b4))
                        mstore(add(a, 0x500), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0x520), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x540), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x560), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x580), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 4, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x40)), d2)
                        b0 := or(shl(62, b0), shr(194, b0))
                        let b1 := xor(mload(add(a, 0x100)), d3)
                        b1 := or(shl(55, b1), shr(201, b1))
                        let b2 := xor(mload(add(a, 0x1c0)), d4)
                        b2 := or(shl(39, b2), shr(217, b2))
                        let b3 := xor(mload(add(a, 0x1e0)), d0)
                        b3 := or(shl(41, b3), shr(215, b3))
                        let b4 := xor(mload(add(a, 0x2a0)), d1)
                        b4 := or(shl(2, b4), shr(254, b4))
                        mstore(add(a, 0x5a0), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0x5c0), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x5e0), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x600), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x620), xor(b4, and(not(b0), b1)))
                    }
                }
                {
                    let d0, d1, d2, d3, d4
                    {
                        // theta: the column parities c[x] and d[x] = c[x-1] ^ rot(c[x+1], 1)
                        let c0 := xor(xor(xor(xor(mload(add(a, 0x320)), mload(add(a, 0x3c0))), mload(add(a, 0x460))), mload(add(a, 0x500))), mload(add(a, 0x5a0)))
                        let c1 := xor(xor(xor(xor(mload(add(a, 0x340)), mload(add(a, 0x3e0))), mload(add(a, 0x480))), mload(add(a, 0x520))), mload(add(a, 0x5c0)))
                        let c2 := xor(xor(xor(xor(mload(add(a, 0x360)), mload(add(a, 0x400))), mload(add(a, 0x4a0))), mload(add(a, 0x540))), mload(add(a, 0x5e0)))
                        let c3 := xor(xor(xor(xor(mload(add(a, 0x380)), mload(add(a, 0x420))), mload(add(a, 0x4c0))), mload(add(a, 0x560))), mload(add(a, 0x600)))
                        let c4 := xor(xor(xor(xor(mload(add(a, 0x3a0)), mload(add(a, 0x440))), mload(add(a, 0x4e0))), mload(add(a, 0x580))), mload(add(a, 0x620)))
                        d0 := xor(c4, or(shl(1, c1), shr(255, c1)))
                        d1 := xor(c0, or(shl(1, c2), shr(255, c2)))
                        d2 := xor(c1, or(shl(1, c3), shr(255, c3)))
                        d3 := xor(c2, or(shl(1, c4), shr(255, c4)))
                        d4 := xor(c3, or(shl(1, c0), shr(255, c0)))
                    }
                    // rho and pi into output row 0, then chi along the row and iota
                    {
                        let b0 := xor(mload(add(a, 0x320)), d0)
                        let b1 := xor(mload(add(a, 0x3e0)), d1)
                        b1 := or(shl(44, b1), shr(212, b1))
                        let b2 := xor(mload(add(a, 0x4a0)), d2)
                        b2 := or(shl(43, b2), shr(213, b2))
                        let b3 := xor(mload(add(a, 0x560)), d3)
                        b3 := or(shl(21, b3), shr(235, b3))
                        let b4 := xor(mload(add(a, 0x620)), d4)
                        b4 := or(shl(14, b4), shr(242, b4))
                        mstore(a, xor(xor(b0, and(not(b1), b2)), mul(shr(192, mload(add(i, 8))), _REPEAT)))
                        mstore(add(a, 0x20), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x40), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x60), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x80), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 1, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x380)), d3)
                        b0 := or(shl(28, b0), shr(228, b0))
                        let b1 := xor(mload(add(a, 0x440)), d4)
                        b1 := or(shl(20, b1), shr(236, b1))
                        let b2 := xor(mload(add(a, 0x460)), d0)
                        b2 := or(shl(3, b2), shr(253, b2))
                        let b3 := xor(mload(add(a, 0x520)), d1)
                        b3 := or(shl(45, b3), shr(211, b3))
                        let b4 := xor(mload(add(a, 0x5e0)), d2)
                        b4 := or(shl(61, b4), shr(195, b4))
                        mstore(add(a, 0xa0), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0xc0), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0xe0), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x100), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x120), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 2, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x340)), d1)
                        b0 := or(shl(1, b0), shr(255, b0))
                        let b1 := xor(mload(add(a, 0x400)), d2)
                        b1 := or(shl(6, b1), shr(250, b1))
                        let b2 := xor(mload(add(a, 0x4c0)), d3)
                        b2 := or(shl(25, b2), shr(231, b2))
                        let b3 := xor(mload(add(a, 0x580)), d4)
                        b3 := or(shl(8, b3), shr(248, b3))
                        let b4 := xor(mload(add(a, 0x5a0)), d0)
                        b4 := or(shl(18, b4), shr(238, b4))
                        mstore(add(a, 0x140), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0x160), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x180), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x1a0), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x1c0), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 3, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x3a0)), d4)
                        b0 := or(shl(27, b0), shr(229, b0))
                        let b1 := xor(mload(add(a, 0x3c0)), d0)
                        b1 := or(shl(36, b1), shr(220, b1))
                        let b2 := xor(mload(add(a, 0x480)), d1)
                        b2 := or(shl(10, b2), shr(246, b2))
                        let b3 := xor(mload(add(a, 0x540)), d2)
                        b3 := or(shl(15, b3), shr(241, b3))
                        let b4 := xor(mload(add(a, 0x600)), d3)
                        b4 := or(shl(56, b4), shr(200, b4))
                        mstore(add(a, 0x1e0), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0x200), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x220), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x240), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x260), xor(b4, and(not(b0), b1)))
                    }
                    // rho and pi into output row 4, then chi along the row
                    {
                        let b0 := xor(mload(add(a, 0x360)), d2)
                        b0 := or(shl(62, b0), shr(194, b0))
                        let b1 := xor(mload(add(a, 0x420)), d3)
                        b1 := or(shl(55, b1), shr(201, b1))
                        let b2 := xor(mload(add(a, 0x4e0)), d4)
                        b2 := or(shl(39, b2), shr(217, b2))
                        let b3 := xor(mload(add(a, 0x500)), d0)
                        b3 := or(shl(41, b3), shr(215, b3))
                        let b4 := xor(mload(add(a, 0x5c0)), d1)
                        b4 := or(shl(2, b4), shr(254, b4))
                        mstore(add(a, 0x280), xor(b0, and(not(b1), b2)))
                        mstore(add(a, 0x2a0), xor(b1, and(not(b2), b3)))
                        mstore(add(a, 0x2c0), xor(b2, and(not(b3), b4)))
                        mstore(add(a, 0x2e0), xor(b3, and(not(b4), b0)))
                        mstore(add(a, 0x300), xor(b4, and(not(b0), b1)))
                    }
                }
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    function _init(uint256 rate) private pure returns (uint256 sponge) {
        assembly ("memory-safe") {
            sponge := mload(0x40)
            mstore(0x40, add(sponge, _SIZE))
            // Zero the lanes: copying from past the end of calldata yields zeros, at 3 gas per
            // word instead of a store loop.
            calldatacopy(sponge, calldatasize(), _LANES_T)
            // FIPS 202's round constants RC[0..23], four per word, read as `mload(rc + 8i) >> 192`
            // and repeated into the lane form by `permute`.
            let rc := add(sponge, _RC)
            mstore(rc, 0x00000000000000010000000000008082800000000000808a8000000080008000)
            mstore(add(rc, 0x20), 0x000000000000808b000000008000000180000000800080818000000000008009)
            mstore(add(rc, 0x40), 0x000000000000008a00000000000000880000000080008009000000008000000a)
            mstore(add(rc, 0x60), 0x000000008000808b800000000000008b80000000000080898000000000008003)
            mstore(add(rc, 0x80), 0x80000000000080028000000000000080000000000000800a800000008000000a)
            mstore(add(rc, 0xa0), 0x8000000080008081800000000000808000000000800000018000000080008008)
            mstore(add(sponge, _RATE), rate)
            mstore(add(sponge, _POS), 0)
            mstore(add(sponge, _SQUEEZING), 0)
        }
    }

    /// @dev XOR the block buffer into the first rate / 8 lanes (in the lane form, times _REPEAT).
    /// Lanes are little-endian (FIPS 202 reads bytes into lanes least significant first) and
    /// `mload` is big-endian, so the bytes of every 8-byte group are reversed: four lanes per
    /// 32-byte word at once (`_reverseLanes`).
    function _xorBlock(uint256 sponge, uint256 rate) private pure {
        unchecked {
            uint256 buf = sponge + _BUF;
            // rate = 8 mod 32: whole words of four lanes, then one last lane.
            uint256 i = 0;
            for (; i + 8 < rate; i += 0x20) {
                uint256 w = _reverseLanes(_load(buf + i));
                assembly ("memory-safe") {
                    let lane := add(sponge, shl(2, i))
                    mstore(lane, xor(mload(lane), mul(shr(192, w), _REPEAT)))
                    lane := add(lane, 0x20)
                    mstore(lane, xor(mload(lane), mul(and(shr(128, w), _LANE_MASK), _REPEAT)))
                    lane := add(lane, 0x20)
                    mstore(lane, xor(mload(lane), mul(and(shr(64, w), _LANE_MASK), _REPEAT)))
                    lane := add(lane, 0x20)
                    mstore(lane, xor(mload(lane), mul(and(w, _LANE_MASK), _REPEAT)))
                }
            }
            uint256 last = _reverseLanes(_load(buf + i));
            assembly ("memory-safe") {
                let lane := add(sponge, shl(2, i))
                mstore(lane, xor(mload(lane), mul(shr(192, last), _REPEAT)))
            }
        }
    }

    /// @dev Write the first rate / 8 lanes to the block buffer as bytes (the squeeze output).
    function _emitBlock(uint256 sponge, uint256 rate) private pure {
        unchecked {
            uint256 buf = sponge + _BUF;
            uint256 i = 0;
            for (; i + 8 < rate; i += 0x20) {
                uint256 w;
                assembly ("memory-safe") {
                    let lane := add(sponge, shl(2, i))
                    // One copy of each lane; `shl(192, ...)` drops the other three by itself.
                    w := or(
                        or(shl(192, mload(lane)), shl(128, and(mload(add(lane, 0x20)), _LANE_MASK))),
                        or(shl(64, and(mload(add(lane, 0x40)), _LANE_MASK)), and(mload(add(lane, 0x60)), _LANE_MASK))
                    )
                }
                _store(buf + i, _reverseLanes(w));
            }
            uint256 lastLane;
            assembly ("memory-safe") {
                lastLane := shl(192, mload(add(sponge, shl(2, i))))
            }
            // The word also covers 24 bytes past the rate: the buffer's slack.
            _store(buf + i, _reverseLanes(lastLane));
        }
    }

    /// @dev Reverse the byte order inside each of the four 64-bit lanes of `w` (three swap steps:
    /// bytes, 16-bit halves, 32-bit halves), which converts between FIPS 202's little-endian lanes
    /// and the EVM's big-endian words for four lanes in 15 operations.
    function _reverseLanes(uint256 w) private pure returns (uint256) {
        w =
            ((w >> 8) & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) |
            ((w & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        w =
            ((w >> 16) & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) |
            ((w & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
        return
            ((w >> 32) & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) |
            ((w & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) << 32);
    }

    function _load(uint256 at) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(at)
        }
    }

    function _store(uint256 at, uint256 w) private pure {
        assembly ("memory-safe") {
            mstore(at, w)
        }
    }
}
