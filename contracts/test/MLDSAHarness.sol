// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSA} from "../mldsa/MLDSA.sol";
import {MLDSAEncoding} from "../mldsa/Encoding.sol";
import {Keccak} from "../mldsa/Keccak.sol";
import {MLDSARounding} from "../mldsa/Rounding.sol";
import {MLDSASampling} from "../mldsa/Sampling.sol";
import {MLDSASet} from "../mldsa/Set.sol";

/// @title MLDSAHarness
/// @notice Test helper: exposes the ML-DSA decoding, w1 encoding, SampleInBall, UseHint and FIPS
/// 204's internal and external-mu verification, and measures their gas. The single-step helpers are
/// ML-DSA-44's; the verification entry points take the set.
contract MLDSAHarness {
    uint256 private constant _GAMMA2_44 = (8380417 - 1) / 88;

    /// @notice pkDecode: whether the key decodes, rho and t1.
    function decodePublicKey(bytes memory pk) external pure returns (bool ok, bytes32 rho, uint256[256][] memory t1) {
        MLDSASet.Params memory p = MLDSASet.params(44);
        t1 = new uint256[256][](p.k);
        (ok, rho) = MLDSAEncoding.decodePublicKey(pk, p, t1);
    }

    /// @notice sigDecode with Verify's checks: ok, c~, z (mod q, reduced here) and the hint bitmaps.
    function decodeSignature(bytes memory sig)
        external
        pure
        returns (bool ok, bytes memory cTilde, uint256[256][] memory z, uint256[] memory h)
    {
        MLDSASet.Params memory p = MLDSASet.params(44);
        z = new uint256[256][](p.l);
        h = new uint256[](p.k);
        (ok, cTilde) = MLDSAEncoding.decodeSignature(sig, p, z, h);
        if (cTilde.length == 0) cTilde = new bytes(32);
        for (uint256 i = 0; i < p.l; ++i) {
            for (uint256 j = 0; j < 256; ++j) {
                z[i][j] %= 8380417;
            }
        }
    }

    /// @notice w1Encode.
    function encodeW1(uint256[256][4] memory w1) external pure returns (bytes memory) {
        uint256[256][] memory rows = new uint256[256][](4);
        for (uint256 i = 0; i < 4; ++i) {
            rows[i] = w1[i];
        }
        return MLDSAEncoding.encodeW1(rows, MLDSASet.params(44));
    }

    /// @notice SampleInBall(cTilde), coefficients mod q.
    function sampleInBall(bytes32 cTilde) external pure returns (uint256[256] memory c) {
        MLDSASampling.sampleInBall(abi.encodePacked(cTilde), 39, c);
    }

    /// @notice SampleInBall(cTilde) reading SHAKE256's output `chunk` bytes at a time.
    function sampleInBallChunked(bytes32 cTilde, uint256 chunk) external pure returns (uint256[256] memory c) {
        MLDSASampling.sampleInBall(abi.encodePacked(cTilde), 39, c, chunk);
    }

    /// @notice UseHint on every coefficient of `r` with the hint bitmap `hints`.
    function useHint(uint256[256] memory r, uint256 hints) external pure returns (uint256[256] memory) {
        MLDSARounding.useHint(r, hints, _GAMMA2_44);
        return r;
    }

    /// @notice ExpandA's entry A[row][column] (RejNTTPoly).
    function rejNTTPoly(bytes32 rho, uint256 row, uint256 column) external pure returns (uint256[256] memory a) {
        MLDSASampling.rejNTTPoly(rho, row, column, a);
    }

    /// @notice Gas of UseHint on `r` and of one ExpandA entry.
    function samplingGas(uint256[256] memory r, uint256 hints, bytes32 rho)
        external
        view
        returns (uint256 hintGas, uint256 entryGas)
    {
        uint256[256] memory a;
        hintGas = gasleft();
        MLDSARounding.useHint(r, hints, _GAMMA2_44);
        hintGas -= gasleft();
        entryGas = gasleft();
        MLDSASampling.rejNTTPoly(rho, 3, 2, a);
        entryGas -= gasleft();
    }

    /// @notice Gas of decoding `pk` and `sig`, of w1Encode and of SampleInBall on its c~.
    function gas(bytes memory pk, bytes memory sig)
        external
        view
        returns (uint256 keyGas, uint256 signatureGas, uint256 w1Gas, uint256 challengeGas)
    {
        MLDSASet.Params memory p = MLDSASet.params(44);
        uint256[256][] memory t1 = new uint256[256][](p.k);
        uint256[256][] memory z = new uint256[256][](p.l);
        uint256[] memory h = new uint256[](p.k);
        uint256[256] memory c;
        uint256[256][] memory w1 = new uint256[256][](p.k);
        keyGas = gasleft();
        MLDSAEncoding.decodePublicKey(pk, p, t1);
        keyGas -= gasleft();
        signatureGas = gasleft();
        (, bytes memory cTilde) = MLDSAEncoding.decodeSignature(sig, p, z, h);
        signatureGas -= gasleft();
        // The cost of w1Encode does not depend on the coefficients: zeros will do.
        w1Gas = gasleft();
        MLDSAEncoding.encodeW1(w1, p);
        w1Gas -= gasleft();
        challengeGas = gasleft();
        MLDSASampling.sampleInBall(cTilde, p.tau, c);
        challengeGas -= gasleft();
    }

    /// @notice ML-DSA-`level`.Verify_internal(pk, M', signature): mu = H(tr || M', 64) from the
    /// caller's M' (FIPS 204's internal interface, and HashML-DSA once the caller has built its M').
    function verifyInternal(uint256 level, bytes memory pk, bytes memory sig, bytes memory messagePrime)
        external
        pure
        returns (bool)
    {
        MLDSASet.Params memory p = MLDSASet.params(level);
        (bool ok, bytes memory expanded) = MLDSA.expandRows(pk, p, 0, p.k);
        if (!ok) return false;
        uint256 form;
        assembly ("memory-safe") {
            form := add(expanded, 0x20)
        }
        bytes memory tr = new bytes(64);
        for (uint256 i = 0; i < 64; ++i) {
            tr[i] = expanded[i];
        }
        return MLDSA.verifyMu(form, p, sig, Keccak.shake256(bytes.concat(tr, messagePrime), 64));
    }

    /// @notice Verification from a caller's 64-byte mu (FIPS 204's external-mu interface).
    function verifyExternalMu(uint256 level, bytes memory pk, bytes memory sig, bytes memory mu)
        external
        pure
        returns (bool)
    {
        MLDSASet.Params memory p = MLDSASet.params(level);
        (bool ok, bytes memory expanded) = MLDSA.expandRows(pk, p, 0, p.k);
        if (!ok || mu.length != 64) return false;
        uint256 form;
        assembly ("memory-safe") {
            form := add(expanded, 0x20)
        }
        return MLDSA.verifyMu(form, p, sig, mu);
    }

    /// @notice ML-DSA-`level`.Verify(pk, M, signature, ctx) from scratch (any set; ML-DSA-65 and
    /// -87 need more gas than a transaction may have, which an eth_call can be given).
    function verify(uint256 level, bytes memory pk, bytes memory sig, bytes memory message, bytes memory context)
        external
        pure
        returns (bool)
    {
        return MLDSA.verify(pk, MLDSASet.params(level), sig, message, context);
    }
}
