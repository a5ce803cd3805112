// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MLDSAEncoding} from "./Encoding.sol";
import {Keccak} from "./Keccak.sol";
import {NTT} from "./NTT.sol";
import {MLDSARounding} from "./Rounding.sol";
import {MLDSASampling} from "./Sampling.sol";
import {MLDSASet} from "./Set.sol";

/// @title MLDSA
/// @notice ML-DSA verification (FIPS 204, Algorithms 3 and 8) for ML-DSA-44, -65 and -87, exact:
/// pure ML-DSA with a context string of up to 255 bytes, every check of the standard, and an
/// answer of false (never a revert) for anything malformed.
/// @dev Verification runs in two steps. `expandRows` turns a public key into its **expanded
/// form**, row by row:
///
///     tr        64 bytes      H(pk, 64)
///     row i     (l + 1) x 768 A^[i][0], ..., A^[i][l - 1] (ExpandA(rho)), then -NTT(t1[i] * 2^d)
///
/// with every coefficient (below q < 2^23) in 3 big-endian bytes: 64 + k (l + 1) 768 bytes in all
/// (15,424 for ML-DSA-44, 27,712 for -65, 49,216 for -87). `verifyExpanded` then checks a signature
/// against that form. `verify` does both, for a key seen once; a key used many times is expanded
/// once and the form kept as contract code (`MLDSAVerifierBase.register`), which saves ExpandA's
/// k * l SHAKE128 streams (~380,000 gas each), the hash of the key and k NTTs on every later verify.
///
/// Why store -t1^ rather than t1^: Algorithm 8 computes w'_approx = NTT^-1(A^ * z^ - c^ * t1^); with
/// the sign folded into the key, each row is l + 1 identical multiply-accumulate passes, and the sum
/// of at most eight reduced products stays below 8q < 2^26, within `NTT.inverse`'s input bound, with
/// no subtraction or reduction between them.
/// Why rows of A next to their t1 polynomial: a row of w is computed from exactly those l + 1
/// polynomials, which are then contiguous, and a form split over several contracts (one contract's
/// code holds at most 24,576 bytes) is split between rows.
/// Why 3 big-endian bytes per coefficient: one `mload` brings eight coefficients, each a shift and a
/// mask away (the top one a shift alone), with no byte reversal.
library MLDSA {
    uint256 internal constant MAX_CONTEXT_LENGTH = 255;
    /// @dev Bytes of tr, which starts the expanded form.
    uint256 internal constant TR_LENGTH = 64;
    /// @dev Bytes of one packed polynomial of the form.
    uint256 internal constant POLY_BYTES = 768;

    uint256 private constant _Q = 8380417;
    /// @dev 2^d, d = 13: t1 is scaled by it before its transform (Algorithm 8, line 9).
    uint256 private constant _D = 13;

    /// @notice Bytes of the expanded form of a key of set `p`.
    function expandedLength(MLDSASet.Params memory p) internal pure returns (uint256) {
        return TR_LENGTH + p.k * (p.l + 1) * POLY_BYTES;
    }

    /// @notice Rows [first, first + count) of `publicKey`'s expanded form (layout above), preceded
    /// by tr when `first` is 0; `ok` is false, and `part` empty, when the key is not the set's
    /// length.
    /// @dev Rows are computed independently, so a form too large for one transaction (ML-DSA-65
    /// and -87: ~11M and ~21M gas of ExpandA) is computed a few rows at a time. The caller keeps
    /// `first + count <= k`.
    function expandRows(bytes memory publicKey, MLDSASet.Params memory p, uint256 first, uint256 count)
        internal
        pure
        returns (bool ok, bytes memory part)
    {
        uint256[256][] memory t1 = new uint256[256][](p.k);
        bytes32 rho;
        (ok, rho) = MLDSAEncoding.decodePublicKey(publicKey, p, t1);
        if (!ok) return (false, part);
        uint256 rowBytes = (p.l + 1) * POLY_BYTES;
        uint256 length = count * rowBytes + (first == 0 ? TR_LENGTH : 0);
        uint256 dst;
        assembly ("memory-safe") {
            part := mload(0x40)
            mstore(part, length)
            dst := add(part, 0x20)
            // 32 bytes of slack: `_pack` writes whole words, the last one 8 bytes past its 24.
            mstore(0x40, add(dst, add(length, 0x20)))
        }
        if (first == 0) {
            uint256 sponge = Keccak.shake256();
            Keccak.absorb(sponge, publicKey);
            Keccak.squeezeMemory(sponge, dst, TR_LENGTH);
            dst += TR_LENGTH;
        }
        // One polynomial buffer serves every entry of A^: each is packed as soon as it is drawn.
        uint256[256] memory a;
        for (uint256 i = first; i < first + count; ++i) {
            for (uint256 j = 0; j < p.l; ++j) {
                MLDSASampling.rejNTTPoly(rho, i, j, a);
                _pack(a, dst);
                dst += POLY_BYTES;
            }
            uint256[256] memory t = t1[i];
            assembly ("memory-safe") {
                for { let q := t } lt(q, add(t, 0x2000)) { q := add(q, 0x20) } {
                    mstore(q, shl(_D, mload(q)))
                }
            }
            NTT.forward(t);
            assembly ("memory-safe") {
                for { let q := t } lt(q, add(t, 0x2000)) { q := add(q, 0x20) } {
                    // forward's output is lazy (below 2^28): reduce, then negate mod q.
                    mstore(q, mod(sub(_Q, mod(mload(q), _Q)), _Q))
                }
            }
            _pack(t, dst);
            dst += POLY_BYTES;
        }
    }

    /// @notice ML-DSA.Verify(pk, message, signature, context) for a key seen once.
    /// @dev False for a key or signature of the wrong length and everything `verifyExpanded`
    /// refuses. Expanding costs k * l * ~380,000 gas: ML-DSA-65 (~16M in all) and -87 (~27M) do
    /// not fit a transaction under EIP-7825's cap this way; register their keys instead.
    function verify(
        bytes memory publicKey,
        MLDSASet.Params memory p,
        bytes memory signature,
        bytes memory message,
        bytes memory context
    ) internal pure returns (bool) {
        // Cheap refusals first: the expansion is most of the cost.
        if (signature.length != p.signatureBytes || context.length > MAX_CONTEXT_LENGTH) return false;
        (bool ok, bytes memory expanded) = expandRows(publicKey, p, 0, p.k);
        if (!ok) return false;
        uint256 form;
        assembly ("memory-safe") {
            form := add(expanded, 0x20)
        }
        return verifyExpanded(form, p, signature, message, context);
    }

    /// @notice ML-DSA.Verify against a key's expanded form, which starts at memory address `form`
    /// (`expandedLength(p)` bytes, as `expandRows` writes them or as copied from a registered key's
    /// code).
    /// @dev False for a signature of the wrong length, malformed (sigDecode's hint rules), with
    /// ||z||_inf >= gamma1 - beta, or that does not verify; false for a context of more than 255
    /// bytes. Memory past the form may be read (8 bytes) but never written.
    function verifyExpanded(
        uint256 form,
        MLDSASet.Params memory p,
        bytes memory signature,
        bytes memory message,
        bytes memory context
    ) internal pure returns (bool) {
        if (context.length > MAX_CONTEXT_LENGTH) return false;
        return verifyMu(form, p, signature, _mu(form, message, context));
    }

    /// @notice ML-DSA.Verify_internal (Algorithm 8) from the message representative mu =
    /// H(tr || M', 64): what `verifyExpanded` runs once it has mu, and what a caller holding mu
    /// itself (FIPS 204's "external mu", or HashML-DSA's M') uses.
    /// @dev False for a signature of the wrong length, malformed, with ||z||_inf >= gamma1 - beta,
    /// or that does not verify; `mu` must be 64 bytes.
    function verifyMu(uint256 form, MLDSASet.Params memory p, bytes memory signature, bytes memory mu)
        internal
        pure
        returns (bool)
    {
        uint256[256][] memory z = new uint256[256][](p.l);
        uint256[] memory h = new uint256[](p.k);
        (bool ok, bytes memory cTilde) = MLDSAEncoding.decodeSignature(signature, p, z, h);
        if (!ok) return false;

        // c^ = NTT(SampleInBall(c~)), z^ = NTT(z).
        uint256[256] memory c = _challenge(cTilde, p.tau);
        for (uint256 j = 0; j < p.l; ++j) {
            NTT.forward(z[j]);
        }
        uint256[256][] memory w = _w1(form, p, z, c, h);

        // c~' = H(mu || w1Encode(w1), lambda / 4); valid exactly when it is c~ (Algorithm 8, 12-13).
        uint256 check = Keccak.shake256();
        Keccak.absorb(check, mu);
        Keccak.absorb(check, MLDSAEncoding.encodeW1(w, p));
        return keccak256(Keccak.squeeze(check, p.cTildeBytes)) == keccak256(cTilde);
    }

    /// @notice ML-DSA.Verify from the expanded form held by `chunks` (in order), or from scratch
    /// when `chunks` is empty or does not hold a whole form.
    /// @dev The caller vouches that the chunks hold `publicKey`'s form (a register that computed
    /// them on chain); chunk code is a STOP byte, then its part of the form.
    function verifyWithChunks(
        address[] memory chunks,
        MLDSASet.Params memory p,
        bytes memory publicKey,
        bytes memory signature,
        bytes memory message,
        bytes memory context
    ) internal view returns (bool) {
        uint256 length = MLDSA.expandedLength(p);
        uint256 total = 0;
        for (uint256 i = 0; i < chunks.length; ++i) {
            total += chunks[i].code.length - 1;
        }
        if (chunks.length == 0 || total != length) {
            return MLDSA.verify(publicKey, p, signature, message, context);
        }
        uint256 form;
        assembly ("memory-safe") {
            form := mload(0x40)
            // 32 bytes of slack: the last coefficient word is read 8 bytes past the form.
            mstore(0x40, add(form, add(length, 0x20)))
        }
        uint256 dst = form;
        for (uint256 i = 0; i < chunks.length; ++i) {
            address chunk = chunks[i];
            uint256 size = chunk.code.length - 1;
            assembly ("memory-safe") {
                extcodecopy(chunk, dst, 1, size)
            }
            dst += size;
        }
        return MLDSA.verifyExpanded(form, p, signature, message, context);
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    /// @dev c^ = NTT(SampleInBall(c~)) (Algorithm 8, lines 8-9), in a fresh zeroed polynomial.
    function _challenge(bytes memory cTilde, uint256 tau) private pure returns (uint256[256] memory c) {
        MLDSASampling.sampleInBall(cTilde, tau, c);
        NTT.forward(c);
    }

    /// @dev mu = H(tr || M', 64) with M' = 0 || |ctx| || ctx || M (Algorithm 3, line 5; Algorithm 7,
    /// line 6), tr read from the expanded form.
    function _mu(uint256 form, bytes memory message, bytes memory context) private pure returns (bytes memory) {
        uint256 sponge = Keccak.shake256();
        Keccak.absorbMemory(sponge, form, TR_LENGTH);
        Keccak.absorb(sponge, abi.encodePacked(uint8(0), uint8(context.length)));
        Keccak.absorb(sponge, context);
        Keccak.absorb(sponge, message);
        return Keccak.squeeze(sponge, 64);
    }

    /// @dev w1 = UseHint(h, NTT^-1(A^ z^ - t1^ c^)) (Algorithm 8, lines 9-10), row by row: row i is
    /// sum_j A^[i][j] z^[j] + (-t1^[i]) c^, l + 1 multiply-accumulate passes into a zeroed buffer.
    function _w1(
        uint256 form,
        MLDSASet.Params memory p,
        uint256[256][] memory z,
        uint256[256] memory c,
        uint256[] memory h
    ) private pure returns (uint256[256][] memory w) {
        w = new uint256[256][](p.k);
        uint256 entry = form + TR_LENGTH;
        for (uint256 i = 0; i < p.k; ++i) {
            uint256[256] memory row = w[i];
            for (uint256 j = 0; j < p.l; ++j) {
                _multiplyAccumulate(entry, z[j], row);
                entry += POLY_BYTES;
            }
            _multiplyAccumulate(entry, c, row);
            entry += POLY_BYTES;
            NTT.inverse(row);
            MLDSARounding.useHint(row, h[i], p.gamma2);
        }
    }

    /// @dev acc[n] += packed[n] * b[n] mod q for the 256 coefficients packed 3 bytes each at
    /// memory address `packed`. `b` may be lazy (any value); each product is reduced, the sum not.
    /// The eight products of a word are written out rather than looped: the loop's counter and
    /// shift arithmetic would cost about as much as the products.
    function _multiplyAccumulate(uint256 packed, uint256[256] memory b, uint256[256] memory acc) private pure {
        assembly ("memory-safe") {
            let end := add(packed, POLY_BYTES)
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
