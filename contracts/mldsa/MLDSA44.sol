// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MLDSAEncoding} from "./Encoding.sol";
import {Keccak} from "./Keccak.sol";
import {NTT} from "./NTT.sol";
import {MLDSARounding} from "./Rounding.sol";
import {MLDSASampling} from "./Sampling.sol";

/// @title MLDSA44
/// @notice ML-DSA-44 verification (FIPS 204, Algorithms 3 and 8), exact: pure ML-DSA with a context
/// string of up to 255 bytes, every check of the standard, and an answer of false (never a revert)
/// for anything malformed.
/// @dev Verification runs in two steps. `expand` turns a public key into its **expanded form**:
///
///     tr      64 bytes     H(pk, 64)
///     A^      16 x 768     ExpandA(rho), row-major (A^[i][j] at 64 + 768 (4i + j))
///     -t1^     4 x 768     -NTT(t1 * 2^d) mod q
///
/// with every coefficient (below q < 2^23) in 3 big-endian bytes: 15,424 bytes in all.
/// `verifyExpanded` then checks a signature against that form. `verify` does both, for a key seen
/// once; a key used many times is expanded once and the form kept as contract code
/// (`MLDSA44Verifier.register`), which saves ExpandA's 16 SHAKE128 streams (~6M gas), the hash of
/// the 1,312-byte key (~0.6M) and four NTTs on every later verify.
///
/// Why store -t1^ rather than t1^: Algorithm 8 computes w'_approx = NTT^-1(A^ * z^ - c^ * t1^); with
/// the sign folded into the key, each row is five identical multiply-accumulate passes, and the sum of
/// five reduced products stays below 5q < 2^26, within `NTT.inverse`'s input bound, with no
/// subtraction or reduction between them.
/// Why 3 big-endian bytes per coefficient: one `mload` brings eight coefficients, each a shift and a
/// mask away (the top one a shift alone), with no byte reversal; 4-byte words would make the form
/// 20,544 bytes, close to the 24,576-byte code limit, for no gain.
library MLDSA44 {
    /// @dev FIPS 204 sizes for ML-DSA-44.
    uint256 internal constant PUBLIC_KEY_LENGTH = 1312;
    uint256 internal constant SIGNATURE_LENGTH = 2420;
    uint256 internal constant MAX_CONTEXT_LENGTH = 255;
    /// @dev Bytes of the expanded form (see above).
    uint256 internal constant EXPANDED_KEY_LENGTH = 15424;

    uint256 private constant _Q = 8380417;
    uint256 private constant _K = 4;
    uint256 private constant _L = 4;
    uint256 private constant _TR_LENGTH = 64;
    uint256 private constant _POLY_BYTES = 768;
    /// @dev Offset of -t1^ in the expanded form: 64 + 16 * 768.
    uint256 private constant _T1_OFFSET = 12352;
    /// @dev 2^d, d = 13: t1 is scaled by it before its transform (Algorithm 8, line 9).
    uint256 private constant _D = 13;

    /// @notice The expanded form of `publicKey` (layout above); `ok` is false, and `expanded` empty,
    /// when the key is not 1,312 bytes long.
    function expand(bytes memory publicKey) internal pure returns (bool ok, bytes memory expanded) {
        uint256[256][4] memory t1;
        bytes32 rho;
        (ok, rho) = MLDSAEncoding.decodePublicKey(publicKey, t1);
        if (!ok) return (false, expanded);
        uint256 base;
        assembly ("memory-safe") {
            expanded := mload(0x40)
            mstore(expanded, EXPANDED_KEY_LENGTH)
            base := add(expanded, 0x20)
            // 32 bytes of slack: `_pack` writes whole words, the last one 8 bytes past its 24.
            mstore(0x40, add(base, add(EXPANDED_KEY_LENGTH, 0x20)))
        }
        uint256 sponge = Keccak.shake256();
        Keccak.absorb(sponge, publicKey);
        Keccak.squeezeMemory(sponge, base, _TR_LENGTH);
        // One polynomial buffer serves every entry of A^: each is packed as soon as it is drawn.
        uint256[256] memory a;
        for (uint256 i = 0; i < _K; ++i) {
            for (uint256 j = 0; j < _L; ++j) {
                MLDSASampling.rejNTTPoly(rho, i, j, a);
                _pack(a, base + _TR_LENGTH + (i * _L + j) * _POLY_BYTES);
            }
        }
        for (uint256 i = 0; i < _K; ++i) {
            uint256[256] memory t = t1[i];
            assembly ("memory-safe") {
                for { let p := t } lt(p, add(t, 0x2000)) { p := add(p, 0x20) } {
                    mstore(p, shl(_D, mload(p)))
                }
            }
            NTT.forward(t);
            assembly ("memory-safe") {
                for { let p := t } lt(p, add(t, 0x2000)) { p := add(p, 0x20) } {
                    // forward's output is lazy (below 2^28): reduce, then negate mod q.
                    mstore(p, mod(sub(_Q, mod(mload(p), _Q)), _Q))
                }
            }
            _pack(t, base + _T1_OFFSET + i * _POLY_BYTES);
        }
    }

    /// @notice ML-DSA.Verify(pk, message, signature, context) for a key seen once.
    /// @dev False for a key that is not 1,312 bytes long and everything `verifyExpanded` refuses.
    function verify(bytes memory publicKey, bytes memory signature, bytes memory message, bytes memory context)
        internal
        pure
        returns (bool)
    {
        // Cheap refusals first: the expansion is most of the cost.
        if (signature.length != SIGNATURE_LENGTH || context.length > MAX_CONTEXT_LENGTH) return false;
        (bool ok, bytes memory expanded) = expand(publicKey);
        if (!ok) return false;
        uint256 form;
        assembly ("memory-safe") {
            form := add(expanded, 0x20)
        }
        return verifyExpanded(form, signature, message, context);
    }

    /// @notice ML-DSA.Verify against a key's expanded form, which starts at memory address `form`
    /// (EXPANDED_KEY_LENGTH bytes, as `expand` writes them or as copied from a registered key's code).
    /// @dev False for a signature that is not 2,420 bytes long, is malformed (sigDecode's hint
    /// rules), has ||z||_inf >= gamma1 - beta, or does not verify; false for a context of more than
    /// 255 bytes. Memory past `form + EXPANDED_KEY_LENGTH` may be read (8 bytes) but never written.
    function verifyExpanded(uint256 form, bytes memory signature, bytes memory message, bytes memory context)
        internal
        pure
        returns (bool)
    {
        if (context.length > MAX_CONTEXT_LENGTH) return false;
        return verifyMu(form, signature, _mu(form, message, context));
    }

    /// @notice ML-DSA.Verify_internal (Algorithm 8) from the message representative mu =
    /// H(tr || M', 64): what `verifyExpanded` runs once it has mu, and what a caller holding mu
    /// itself (FIPS 204's "external mu", or HashML-DSA's M') uses.
    /// @dev False for a signature that is not 2,420 bytes long, is malformed, has
    /// ||z||_inf >= gamma1 - beta, or does not verify; `mu` must be 64 bytes.
    function verifyMu(uint256 form, bytes memory signature, bytes memory mu) internal pure returns (bool) {
        uint256[256][4] memory z;
        uint256[4] memory h;
        (bool ok, bytes32 cTilde) = MLDSAEncoding.decodeSignature(signature, z, h);
        if (!ok) return false;

        // c^ = NTT(SampleInBall(c~)), z^ = NTT(z).
        uint256[256] memory c;
        MLDSASampling.sampleInBall(cTilde, c);
        NTT.forward(c);
        for (uint256 j = 0; j < _L; ++j) {
            NTT.forward(z[j]);
        }
        uint256[256][4] memory w = _w1(form, z, c, h);

        // c~' = H(mu || w1Encode(w1), lambda / 4); valid exactly when it is c~ (Algorithm 8, 12-13).
        uint256 check = Keccak.shake256();
        Keccak.absorb(check, mu);
        Keccak.absorb(check, MLDSAEncoding.encodeW1(w));
        bytes memory expected = Keccak.squeeze(check, 32);
        bytes32 recomputed;
        assembly ("memory-safe") {
            recomputed := mload(add(expected, 0x20))
        }
        return recomputed == cTilde;
    }

    /// @notice ML-DSA.Verify using the expanded form kept as the code of `form` (after its first
    /// byte, see `MLDSA44Verifier`), or from scratch when `form` is the zero address.
    /// @dev The caller vouches that `form` holds `publicKey`'s expanded form (a register that
    /// computed it on chain); code of any other size is not used, and the key is verified from
    /// scratch instead.
    function verifyWithForm(
        address form,
        bytes memory publicKey,
        bytes memory signature,
        bytes memory message,
        bytes memory context
    ) internal view returns (bool) {
        if (form == address(0) || form.code.length != EXPANDED_KEY_LENGTH + 1) {
            return verify(publicKey, signature, message, context);
        }
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
            // 32 bytes of slack: the last coefficient word is read 8 bytes past the form.
            mstore(0x40, add(ptr, add(EXPANDED_KEY_LENGTH, 0x20)))
            extcodecopy(form, ptr, 1, EXPANDED_KEY_LENGTH)
        }
        return verifyExpanded(ptr, signature, message, context);
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    /// @dev mu = H(tr || M', 64) with M' = 0 || |ctx| || ctx || M (Algorithm 3, line 5; Algorithm 7,
    /// line 6), tr read from the expanded form.
    function _mu(uint256 form, bytes memory message, bytes memory context) private pure returns (bytes memory) {
        uint256 sponge = Keccak.shake256();
        Keccak.absorbMemory(sponge, form, _TR_LENGTH);
        Keccak.absorb(sponge, abi.encodePacked(uint8(0), uint8(context.length)));
        Keccak.absorb(sponge, context);
        Keccak.absorb(sponge, message);
        return Keccak.squeeze(sponge, 64);
    }

    /// @dev w1 = UseHint(h, NTT^-1(A^ z^ - t1^ c^)) (Algorithm 8, lines 9-10), row by row: row i is
    /// sum_j A^[i][j] z^[j] + (-t1^[i]) c^, five multiply-accumulate passes into a zeroed buffer.
    function _w1(uint256 form, uint256[256][4] memory z, uint256[256] memory c, uint256[4] memory h)
        private
        pure
        returns (uint256[256][4] memory w)
    {
        for (uint256 i = 0; i < _K; ++i) {
            uint256[256] memory row = w[i];
            uint256 entry = form + _TR_LENGTH + i * _L * _POLY_BYTES;
            for (uint256 j = 0; j < _L; ++j) {
                _multiplyAccumulate(entry + j * _POLY_BYTES, z[j], row);
            }
            _multiplyAccumulate(form + _T1_OFFSET + i * _POLY_BYTES, c, row);
            NTT.inverse(row);
            MLDSARounding.useHint(row, h[i]);
        }
    }

    /// @dev acc[n] += packed[n] * b[n] mod q for the 256 coefficients packed 3 bytes each at
    /// memory address `packed`. `b` may be lazy (any value); each product is reduced, the sum not.
    /// The eight products of a word are written out rather than looped: the loop's counter and
    /// shift arithmetic would cost about as much as the products.
    function _multiplyAccumulate(uint256 packed, uint256[256] memory b, uint256[256] memory acc) private pure {
        assembly ("memory-safe") {
            let end := add(packed, _POLY_BYTES)
            for {} lt(packed, end) { packed := add(packed, 24) } {
                let w := mload(packed)
                mstore(acc, add(mload(acc), mulmod(shr(232, w), mload(b), _Q)))
                let p := add(acc, 0x20)
                mstore(p, add(mload(p), mulmod(and(shr(208, w), 0xffffff), mload(add(b, 0x20)), _Q)))
                p := add(acc, 0x40)
                mstore(p, add(mload(p), mulmod(and(shr(184, w), 0xffffff), mload(add(b, 0x40)), _Q)))
                p := add(acc, 0x60)
                mstore(p, add(mload(p), mulmod(and(shr(160, w), 0xffffff), mload(add(b, 0x60)), _Q)))
                p := add(acc, 0x80)
                mstore(p, add(mload(p), mulmod(and(shr(136, w), 0xffffff), mload(add(b, 0x80)), _Q)))
                p := add(acc, 0xa0)
                mstore(p, add(mload(p), mulmod(and(shr(112, w), 0xffffff), mload(add(b, 0xa0)), _Q)))
                p := add(acc, 0xc0)
                mstore(p, add(mload(p), mulmod(and(shr(88, w), 0xffffff), mload(add(b, 0xc0)), _Q)))
                p := add(acc, 0xe0)
                mstore(p, add(mload(p), mulmod(and(shr(64, w), 0xffffff), mload(add(b, 0xe0)), _Q)))
                acc := add(acc, 0x100)
                b := add(b, 0x100)
            }
        }
    }

    /// @dev Write the 256 coefficients of `a` (each below 2^24) as 3 big-endian bytes each at memory
    /// address `dst` (768 bytes), eight per word; the last word's store spills 8 zero bytes past
    /// the end, which the caller's allocation covers (or the next store overwrites).
    function _pack(uint256[256] memory a, uint256 dst) private pure {
        assembly ("memory-safe") {
            let end := add(a, 0x2000)
            for {} lt(a, end) { a := add(a, 0x100) } {
                mstore(
                    dst,
                    or(
                        or(
                            or(shl(232, mload(a)), shl(208, mload(add(a, 0x20)))),
                            or(shl(184, mload(add(a, 0x40))), shl(160, mload(add(a, 0x60))))
                        ),
                        or(
                            or(shl(136, mload(add(a, 0x80))), shl(112, mload(add(a, 0xa0)))),
                            or(shl(88, mload(add(a, 0xc0))), shl(64, mload(add(a, 0xe0))))
                        )
                    )
                )
                dst := add(dst, 24)
            }
        }
    }
}
