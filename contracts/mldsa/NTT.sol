// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title NTT
/// @notice The number-theoretic transform of ML-DSA over Z_q[X]/(X^256 + 1), q = 8380417
/// (FIPS 204, Algorithms 41, 42 and 45).
/// @dev A polynomial is a `uint256[256] memory`: one coefficient per 32-byte word.
///
/// Why one coefficient per word, not eight 32-bit coefficients per word: every butterfly reads
/// and writes two coefficients, and `mulmod` works on whole words. A packed layout saves memory
/// (1 KiB instead of 8 KiB a polynomial) but costs a shift and a mask on every read and a
/// read-modify-write on every store, ~15 gas per access and 4 accesses per butterfly, 1,024
/// butterflies per transform; the memory of a whole verify (~30 polynomials, 240 KiB) costs
/// less than that over the ~10 transforms of a verify. Packed 32-bit coefficients remain the right
/// form for data at rest (calldata, storage, a registered key's code), unpacked once on load.
///
/// Lazy reduction (the main saving): words are 256 bits wide and `mulmod` accepts any operand,
/// so additions and subtractions are left unreduced wherever the value is later fed to `mulmod`
/// or another addition that cannot overflow. This saves an `addmod` (8 gas) for a plain `add`
/// (3 gas) twice per butterfly. The bounds are stated on each function.
library NTT {
    /// @dev The ML-DSA modulus q = 2^23 - 2^13 + 1.
    uint256 internal constant Q = 8380417;
    /// @dev 256^-1 mod q (Algorithm 42, line 21).
    uint256 internal constant N_INVERSE = 8347681;
    /// @dev q * 2^40: a multiple of q above every coefficient the inverse transform handles
    /// (inputs below 2^32 at most double through 8 layers), added before a subtraction so that
    /// it cannot wrap.
    uint256 private constant _Q_SHIFTED = 8380417 << 40;
    /// @dev zetas[1] * 256^-1 mod q: the inverse transform's last layer and final factor in one.
    uint256 private constant _LAST_ZETA = 8333727;

    /// @dev zetas[k] = 1753^BitRev8(k) mod q for k = 0..255 (FIPS 204, Appendix B), 4 bytes each,
    /// big-endian: `zetas[k] = mload(table + 4k) >> 224` with table pointing past the length.
    bytes internal constant ZETAS =
        hex"0000000100495e020039756700396569004f062b0053df73004fe033004f066b"
        hex"0076b1ae00360dd50028edb000207fe4003972830070894a00088192006d3dc8"
        hex"004c72940041e0b40028a3d20066528a004a18a700794034000a52ee006b7d81"
        hex"004e9f1d001a2877002571df001649ee007611bd00492bb7002af6970022d8d5"
        hex"0036f72a0030911e0029d13f004926730050685f002010a2003887f70011b2c3"
        hex"000603a4000e2bed0010b72c004a5f35001f9d1500428cd4003177f40020e612"
        hex"00341c1d001ad873007366810049553f003952f60062564a0065ad0500439a1c"
        hex"0053aa5f0030b62200087f38003b0e6d002c83da001c496e00330e2b001c5b70"
        hex"002ee3f100137eb90057a930003ac6ef003fd54c004eb2ea00503ee1007bb175"
        hex"002648b4001ef256001d90a20045a6d4002ae59b0052589c006ef1f5003f7288"
        hex"0017510200075d59001187ba0052aca900773e9e000296d8002592ec004cff12"
        hex"00404ce8004aa582001e54e6004f16c1001a7e790003978f004e48170031b859"
        hex"005884cc001b4827005b63d0005d787a0035225e00400c7e006c09d1005bd532"
        hex"006bc4d300258ecb002e534c00097a6c003b8820006d285c002ca4f800337caa"
        hex"0014b2a0005585360028f1860055795d004af67000234a860075e8260078de66"
        hex"0005528c007adf59000f6e17005bf3da00459b7e00628b34005dbecb001a9e7b"
        hex"000006d9006257c500574b3c0069a8ef002898380064b5fe007ef8f5002a4e78"
        hex"00120a23000154a80009b7ff00435e8700437ff8005cd5b4004dc04e004728af"
        hex"007f735d000c8d0d000f66d5005a6d800061ab9800185d9600437f3100468298"
        hex"00662960004bd5790028de0600465d8d0049b0e30009b434007c0db3005a68b0"
        hex"00409ba90064d3d50021762a0065859100246e390048c39b007bc759004f5859"
        hex"00392db2002309230012eb6700454df20030c31c002854240013232e007faf80"
        hex"002dbfcb00022a0b007e832c0026587a006b337500095b76006be1cc005e061e"
        hex"0078e00d00628c37003da604004ae53c001f1d68006330bb007361b8005ea06c"
        hex"00671ac700201fc6005ba4ff0060d7720008f201006de02400080e6d0056038e"
        hex"00695688001e6d3e002603bd006a9dfa0007c017006dbfd40074d0bd0063e1e3"
        hex"00519573007ab60d002867ba002decd40058018c003f4cf5000b700900427e23"
        hex"003cbd370027333300673957001a4b5d00196926001ef2060011c14e004c76c8"
        hex"003cf42f007fb19a006af66c002e1669003352d6000347600008526000741e78"
        hex"002f6316006f0a110007c0f100776d0b000d1ff000345824000223d40068c559"
        hex"005e8885002faa320023fc65005e69420051e0ed0065adb3002ca5e60079e1fe"
        hex"007b40640035e1dd00433aac00464ade001cfe140073f1ce0010170e0074b6d7";

    /// @notice In-place forward NTT of `w` (Algorithm 41).
    /// @dev Output coefficients are congruent mod q to the transform's, not reduced: each is below
    /// (the largest input coefficient) + 8q, since every layer adds at most q to a coefficient
    /// (`a + t` and `a + q - t` with t = zeta * b mod q < q). Inputs may be any value below 2^250.
    function forward(uint256[256] memory w) internal pure {
        bytes memory zetas = ZETAS;
        assembly ("memory-safe") {
            let zt := add(zetas, 0x20)
            // Two layers per pass (len, then len / 2, for len = 128, 32, 8, 2): each iteration
            // loads four coefficients once, runs the four butterflies of both layers on the stack
            // and stores them once, halving the memory traffic and the loop overhead of a layer
            // at a time. In the group of 2 len coefficients with zeta zetas[m] at the first layer,
            // the second layer's two groups use zetas[2m] and zetas[2m + 1] (the bit-reversed
            // order makes the indices a binary tree), so one counter m serves both.
            for { let hb := 0x1000 } gt(hb, 0x20) { hb := shr(2, hb) } {
                // hb: len in bytes; qb: len / 2 in bytes.
                let qb := shr(1, hb)
                let m := div(0x1000, hb)
                for { let s := w } lt(s, add(w, 0x2000)) { s := add(s, add(hb, qb)) } {
                    let z1 := shr(224, mload(add(zt, shl(2, m))))
                    let z2 := shr(224, mload(add(zt, shl(3, m))))
                    let z3 := shr(224, mload(add(zt, add(shl(3, m), 4))))
                    m := add(m, 1)
                    // s walks the group's first quarter; the outer step then adds len + len / 2
                    // bytes, landing on the next group.
                    for { let e := add(s, qb) } lt(s, e) { s := add(s, 0x20) } {
                        let x0 := mload(s)
                        let x1 := mload(add(s, qb))
                        let x2 := mload(add(s, hb))
                        let x3 := mload(add(s, add(hb, qb)))
                        let t := mulmod(z1, x2, Q)
                        x2 := sub(add(x0, Q), t)
                        x0 := add(x0, t)
                        t := mulmod(z1, x3, Q)
                        x3 := sub(add(x1, Q), t)
                        x1 := add(x1, t)
                        t := mulmod(z2, x1, Q)
                        mstore(s, add(x0, t))
                        mstore(add(s, qb), sub(add(x0, Q), t))
                        t := mulmod(z3, x3, Q)
                        mstore(add(s, hb), add(x2, t))
                        mstore(add(s, add(hb, qb)), sub(add(x2, Q), t))
                    }
                }
            }
        }
    }

    /// @notice In-place inverse NTT of `w` (Algorithm 42), coefficients reduced below q.
    /// @dev Inputs must be below 2^32 (reduced values, or `forward`'s lazy output of reduced
    /// inputs, qualify). The sum `a + b` is left unreduced (it at most doubles per layer, so stays
    /// below 2^40 = _Q_SHIFTED / q), and the difference is taken as `b + q * 2^40 - a` inside
    /// `mulmod`; the last layer multiplies every coefficient by a constant mod q, which reduces it.
    /// Algorithm 42 multiplies `a - b` by -zetas[m]; this multiplies `b - a` by zetas[m] instead,
    /// the same product, and saves the negation.
    function inverse(uint256[256] memory w) internal pure {
        bytes memory zetas = ZETAS;
        assembly ("memory-safe") {
            let zt := add(zetas, 0x20)
            // Two layers per pass as in `forward` (len, then 2 len, for len = 1, 4, 16; then 64
            // and 128 below). In a block of 4 len coefficients whose second layer uses
            // zetas[k], the first layer's two groups use zetas[2k + 1] and zetas[2k]; k counts
            // down from 128 / len - 1.
            for { let qb := 0x20 } lt(qb, 0x800) { qb := shl(2, qb) } {
                // qb: len in bytes; hb: 2 len in bytes.
                let hb := shl(1, qb)
                let k := sub(div(0x1000, qb), 1)
                for { let s := w } lt(s, add(w, 0x2000)) { s := add(s, add(hb, qb)) } {
                    let zc := shr(224, mload(add(zt, shl(2, k))))
                    let za := shr(224, mload(add(zt, add(shl(3, k), 4))))
                    let zb := shr(224, mload(add(zt, shl(3, k))))
                    k := sub(k, 1)
                    for { let e := add(s, qb) } lt(s, e) { s := add(s, 0x20) } {
                        let x0 := mload(s)
                        let x1 := mload(add(s, qb))
                        let x2 := mload(add(s, hb))
                        let x3 := mload(add(s, add(hb, qb)))
                        let t := add(x0, x1)
                        x1 := mulmod(za, sub(add(x1, _Q_SHIFTED), x0), Q)
                        x0 := t
                        t := add(x2, x3)
                        x3 := mulmod(zb, sub(add(x3, _Q_SHIFTED), x2), Q)
                        x2 := t
                        mstore(s, add(x0, x2))
                        mstore(add(s, hb), mulmod(zc, sub(add(x2, _Q_SHIFTED), x0), Q))
                        mstore(add(s, qb), add(x1, x3))
                        mstore(add(s, add(hb, qb)), mulmod(zc, sub(add(x3, _Q_SHIFTED), x1), Q))
                    }
                }
            }
            // len = 64 (zetas[3] and zetas[2]) and len = 128 (zetas[1]) with the final factor
            // 256^-1 folded in: the sum times 256^-1, and the difference times
            // zetas[1] * 256^-1 mod q (_LAST_ZETA), which saves a separate pass over the 256
            // coefficients.
            let za := shr(224, mload(add(zt, 12)))
            let zb := shr(224, mload(add(zt, 8)))
            for { let s := w } lt(s, add(w, 0x800)) { s := add(s, 0x20) } {
                let x0 := mload(s)
                let x1 := mload(add(s, 0x800))
                let x2 := mload(add(s, 0x1000))
                let x3 := mload(add(s, 0x1800))
                let t := add(x0, x1)
                x1 := mulmod(za, sub(add(x1, _Q_SHIFTED), x0), Q)
                x0 := t
                t := add(x2, x3)
                x3 := mulmod(zb, sub(add(x3, _Q_SHIFTED), x2), Q)
                x2 := t
                mstore(s, mulmod(add(x0, x2), N_INVERSE, Q))
                mstore(add(s, 0x1000), mulmod(_LAST_ZETA, sub(add(x2, _Q_SHIFTED), x0), Q))
                mstore(add(s, 0x800), mulmod(add(x1, x3), N_INVERSE, Q))
                mstore(add(s, 0x1800), mulmod(_LAST_ZETA, sub(add(x3, _Q_SHIFTED), x1), Q))
            }
        }
    }

    /// @notice out[i] = a[i] * b[i] mod q (Algorithm 45, MultiplyNTT); `out` may be `a` or `b`.
    /// @dev Any inputs below 2^256 (lazy ones included); outputs reduced below q.
    function multiply(uint256[256] memory a, uint256[256] memory b, uint256[256] memory out) internal pure {
        assembly ("memory-safe") {
            let d := sub(b, a)
            let o := sub(out, a)
            for { let p := a } lt(p, add(a, 0x2000)) { p := add(p, 0x20) } {
                mstore(add(p, o), mulmod(mload(p), mload(add(p, d)), Q))
            }
        }
    }
}
