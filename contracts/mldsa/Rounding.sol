// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MLDSARounding
/// @notice UseHint for ML-DSA-44 (FIPS 204, Algorithms 36 and 40; gamma2 = (q - 1) / 88).
library MLDSARounding {
    /// @dev 2 gamma2 = 190464, gamma2 = 95232; w1 coefficients live in [0, 44).
    uint256 private constant _TWO_GAMMA2 = 190464;
    uint256 private constant _GAMMA2 = 95232;
    uint256 private constant _M = 44;

    /// @notice r[j] = UseHint(bit j of `hints`, r[j]) for every j, in place.
    /// @dev Coefficients must be reduced (in [0, q)): the inverse NTT's output is.
    /// Decompose without branches: with t = r mod 2 gamma2, r0 = t when t <= gamma2 and
    /// t - 2 gamma2 otherwise, so r1 = r / (2 gamma2) + (t > gamma2). Algorithm 36's special case
    /// (r - r0 = q - 1, so r1 = 0 and r0 <= 0) is the case r1 = 44, which `mod 44` maps to 0;
    /// there r0 is never positive, as the algorithm's r0 - 1 is not. UseHint then adds +1 when
    /// r0 > 0 and -1 (as +43) otherwise, mod 44: every case is one expression,
    /// (r1 + h * (43 + 2 [r0 > 0])) mod 44.
    function useHint(uint256[256] memory r, uint256 hints) internal pure {
        assembly ("memory-safe") {
            for { let j := 0 } lt(j, 256) { j := add(j, 1) } {
                let p := add(r, shl(5, j))
                let v := mload(p)
                let t := mod(v, _TWO_GAMMA2)
                let up := gt(t, _GAMMA2)
                let r1 := add(div(v, _TWO_GAMMA2), up)
                let positive := and(iszero(up), iszero(iszero(t)))
                let h := and(shr(j, hints), 1)
                mstore(p, mod(add(r1, mul(h, add(43, shl(1, positive)))), _M))
            }
        }
    }
}
