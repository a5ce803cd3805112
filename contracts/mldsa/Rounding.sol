// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MLDSARounding
/// @notice UseHint (FIPS 204, Algorithms 36 and 40) for gamma2 = (q - 1) / 88 (ML-DSA-44) and
/// (q - 1) / 32 (ML-DSA-65 and -87).
library MLDSARounding {
    /// @notice r[j] = UseHint(bit j of `hints`, r[j]) for every j, in place; w1 coefficients live
    /// in [0, m) with m = (q - 1) / (2 gamma2), 44 or 16.
    /// @dev Coefficients must be reduced (in [0, q)): the inverse NTT's output is.
    /// Decompose without branches: with t = r mod 2 gamma2, r0 = t when t <= gamma2 and
    /// t - 2 gamma2 otherwise, so r1 = r / (2 gamma2) + (t > gamma2). Algorithm 36's special case
    /// (r - r0 = q - 1, so r1 = 0 and r0 <= 0) is the case r1 = m, which `mod m` maps to 0;
    /// there r0 is never positive, as the algorithm's r0 - 1 is not. UseHint then adds +1 when
    /// r0 > 0 and -1 (as + m - 1) otherwise, mod m: every case is one expression,
    /// (r1 + h * (m - 1 + 2 [r0 > 0])) mod m.
    function useHint(uint256[256] memory r, uint256 hints, uint256 gamma2) internal pure {
        assembly ("memory-safe") {
            let twoGamma2 := shl(1, gamma2)
            let m := div(8380416, twoGamma2)
            let down := sub(m, 1)
            for { let j := 0 } lt(j, 256) { j := add(j, 1) } {
                let p := add(r, shl(5, j))
                let v := mload(p)
                let t := mod(v, twoGamma2)
                let up := gt(t, gamma2)
                let r1 := add(div(v, twoGamma2), up)
                let positive := and(iszero(up), iszero(iszero(t)))
                let h := and(shr(j, hints), 1)
                mstore(p, mod(add(r1, mul(h, add(down, shl(1, positive)))), m))
            }
        }
    }
}
