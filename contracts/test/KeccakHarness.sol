// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Keccak} from "../mldsa/Keccak.sol";

/// @title KeccakHarness
/// @notice Test helper: exposes the Keccak library's sponges and measures its permutation's gas.
contract KeccakHarness {
    /// @notice SHAKE128 (`rate` 168) or SHAKE256 (136) of `data`, `outLength` bytes.
    function shake(uint256 rate, bytes calldata data, uint256 outLength) external pure returns (bytes memory) {
        return rate == Keccak.SHAKE128_RATE ? Keccak.shake128(data, outLength) : Keccak.shake256(data, outLength);
    }

    /// @notice The same hash fed in pieces of `absorbs[i]` bytes and read in pieces of `squeezes[i]`
    /// bytes (the input's remainder is absorbed last), concatenated.
    function shakeIncremental(
        uint256 rate,
        bytes calldata data,
        uint256[] calldata absorbs,
        uint256[] calldata squeezes
    ) external pure returns (bytes memory out) {
        uint256 sponge = rate == Keccak.SHAKE128_RATE ? Keccak.shake128() : Keccak.shake256();
        uint256 offset = 0;
        for (uint256 i = 0; i < absorbs.length; ++i) {
            Keccak.absorb(sponge, data[offset:offset + absorbs[i]]);
            offset += absorbs[i];
        }
        Keccak.absorb(sponge, data[offset:]);
        for (uint256 i = 0; i < squeezes.length; ++i) {
            out = bytes.concat(out, Keccak.squeeze(sponge, squeezes[i]));
        }
    }

    /// @notice Gas of one Keccak-f[1600] permutation, measured around the call.
    function permutationGas() external view returns (uint256 used) {
        uint256 sponge = Keccak.shake128();
        used = gasleft();
        Keccak.permute(sponge);
        used -= gasleft();
    }

    /// @notice Gas of SHAKE256 on `data`, `outLength` bytes out.
    function shakeGas(uint256 rate, bytes calldata data, uint256 outLength) external view returns (uint256 used) {
        bytes memory input = data;
        used = gasleft();
        if (rate == Keccak.SHAKE128_RATE) Keccak.shake128(input, outLength);
        else Keccak.shake256(input, outLength);
        used -= gasleft();
    }

    /// @notice Absorbing after squeezing reverts (KeccakAbsorbAfterSqueeze).
    function absorbAfterSqueeze() external pure {
        uint256 sponge = Keccak.shake256();
        Keccak.squeeze(sponge, 1);
        Keccak.absorb(sponge, hex"00");
    }
}
