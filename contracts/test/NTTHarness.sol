// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {NTT} from "../mldsa/NTT.sol";

/// @title NTTHarness
/// @notice Test helper: exposes the NTT library (outputs reduced mod q) and measures its gas.
contract NTTHarness {
    /// @notice NTT(w), reduced mod q.
    function forward(uint256[256] memory w) external pure returns (uint256[256] memory) {
        NTT.forward(w);
        return _reduced(w);
    }

    /// @notice NTT^-1(w).
    function inverse(uint256[256] memory w) external pure returns (uint256[256] memory) {
        NTT.inverse(w);
        return w;
    }

    /// @notice NTT^-1(NTT(a) o NTT(b)): the product a * b in Z_q[X]/(X^256 + 1), the lazy forward
    /// output fed straight to the multiplication as the verifier will.
    function product(uint256[256] memory a, uint256[256] memory b) external pure returns (uint256[256] memory) {
        NTT.forward(a);
        NTT.forward(b);
        NTT.multiply(a, b, a);
        NTT.inverse(a);
        return a;
    }

    /// @notice Gas of one forward NTT, one inverse NTT and one pointwise multiplication of `w`.
    function gas(uint256[256] memory w) external view returns (uint256 forwardGas, uint256 inverseGas, uint256 multiplyGas) {
        uint256[256] memory v = w;
        forwardGas = gasleft();
        NTT.forward(w);
        forwardGas -= gasleft();
        multiplyGas = gasleft();
        NTT.multiply(w, v, w);
        multiplyGas -= gasleft();
        inverseGas = gasleft();
        NTT.inverse(w);
        inverseGas -= gasleft();
    }

    function _reduced(uint256[256] memory w) private pure returns (uint256[256] memory) {
        for (uint256 i = 0; i < 256; ++i) {
            w[i] %= NTT.Q;
        }
        return w;
    }
}
