// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSA44Verifier} from "./MLDSA44Verifier.sol";
import {MLDSAPrecompileBase} from "./MLDSAPrecompileBase.sol";

/// @title MLDSA44Precompile
/// @notice ML-DSA-44 verification with EIP-8355's calling convention (see `MLDSAPrecompileBase`),
/// reading the expanded keys registered with an `MLDSA44Verifier`.
contract MLDSA44Precompile is MLDSAPrecompileBase {
    /// @param keys The register of expanded ML-DSA-44 keys consulted for every key verified.
    constructor(MLDSA44Verifier keys) MLDSAPrecompileBase(44, keys) {}
}
