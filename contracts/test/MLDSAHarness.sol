// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSA44} from "../mldsa/MLDSA44.sol";
import {MLDSAEncoding} from "../mldsa/Encoding.sol";
import {Keccak} from "../mldsa/Keccak.sol";
import {MLDSARounding} from "../mldsa/Rounding.sol";
import {MLDSASampling} from "../mldsa/Sampling.sol";

/// @title MLDSAHarness
/// @notice Test helper: exposes the ML-DSA-44 decoding, w1 encoding, SampleInBall and FIPS 204's
/// internal and external-mu verification, and measures their gas.
contract MLDSAHarness {
    /// @notice pkDecode: whether the key decodes, rho and t1.
    function decodePublicKey(bytes memory pk) external pure returns (bool ok, bytes32 rho, uint256[256][4] memory t1) {
        (ok, rho) = MLDSAEncoding.decodePublicKey(pk, t1);
    }

    /// @notice sigDecode with Verify's checks: ok, c~, z (mod q, reduced here) and the hint bitmaps.
    function decodeSignature(bytes memory sig)
        external
        pure
        returns (bool ok, bytes32 cTilde, uint256[256][4] memory z, uint256[4] memory h)
    {
        (ok, cTilde) = MLDSAEncoding.decodeSignature(sig, z, h);
        for (uint256 i = 0; i < 4; ++i) {
            for (uint256 j = 0; j < 256; ++j) {
                z[i][j] %= 8380417;
            }
        }
    }

    /// @notice w1Encode.
    function encodeW1(uint256[256][4] memory w1) external pure returns (bytes memory) {
        return MLDSAEncoding.encodeW1(w1);
    }

    /// @notice SampleInBall(cTilde), coefficients mod q.
    function sampleInBall(bytes32 cTilde) external pure returns (uint256[256] memory c) {
        MLDSASampling.sampleInBall(cTilde, c);
    }

    /// @notice SampleInBall(cTilde) reading SHAKE256's output `chunk` bytes at a time.
    function sampleInBallChunked(bytes32 cTilde, uint256 chunk) external pure returns (uint256[256] memory c) {
        MLDSASampling.sampleInBall(cTilde, c, chunk);
    }

    /// @notice UseHint on every coefficient of `r` with the hint bitmap `hints`.
    function useHint(uint256[256] memory r, uint256 hints) external pure returns (uint256[256] memory) {
        MLDSARounding.useHint(r, hints);
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
        MLDSARounding.useHint(r, hints);
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
        uint256[256][4] memory t1;
        uint256[256][4] memory z;
        uint256[4] memory h;
        uint256[256] memory c;
        uint256[256][4] memory w1;
        keyGas = gasleft();
        MLDSAEncoding.decodePublicKey(pk, t1);
        keyGas -= gasleft();
        signatureGas = gasleft();
        (, bytes32 cTilde) = MLDSAEncoding.decodeSignature(sig, z, h);
        signatureGas -= gasleft();
        // The cost of w1Encode does not depend on the coefficients: zeros will do.
        w1Gas = gasleft();
        MLDSAEncoding.encodeW1(w1);
        w1Gas -= gasleft();
        challengeGas = gasleft();
        MLDSASampling.sampleInBall(cTilde, c);
        challengeGas -= gasleft();
    }

    /// @notice ML-DSA.Verify_internal(pk, M', signature): mu = H(tr || M', 64) from the caller's M'
    /// (FIPS 204's internal interface, and HashML-DSA once the caller has built its M').
    function verifyInternal(bytes memory pk, bytes memory sig, bytes memory messagePrime) external pure returns (bool) {
        (bool ok, bytes memory expanded) = MLDSA44.expand(pk);
        if (!ok) return false;
        uint256 form;
        assembly ("memory-safe") {
            form := add(expanded, 0x20)
        }
        bytes memory tr = new bytes(64);
        for (uint256 i = 0; i < 64; ++i) {
            tr[i] = expanded[i];
        }
        return MLDSA44.verifyMu(form, sig, Keccak.shake256(bytes.concat(tr, messagePrime), 64));
    }

    /// @notice Verification from a caller's 64-byte mu (FIPS 204's external-mu interface).
    function verifyExternalMu(bytes memory pk, bytes memory sig, bytes memory mu) external pure returns (bool) {
        (bool ok, bytes memory expanded) = MLDSA44.expand(pk);
        if (!ok || mu.length != 64) return false;
        uint256 form;
        assembly ("memory-safe") {
            form := add(expanded, 0x20)
        }
        return MLDSA44.verifyMu(form, sig, mu);
    }
}
