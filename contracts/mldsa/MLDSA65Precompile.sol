// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSA65Verifier} from "./MLDSA65Verifier.sol";
import {MLDSAPrecompileBase} from "./MLDSAPrecompileBase.sol";

/// @title MLDSA65Precompile
/// @notice ML-DSA-65 verification with EIP-8355's calling convention (see `MLDSAPrecompileBase`),
/// reading the expanded keys registered with an `MLDSA65Verifier`.
contract MLDSA65Precompile is MLDSAPrecompileBase {
    /// @param keys The register of expanded ML-DSA-65 keys consulted for every key verified.
    constructor(MLDSA65Verifier keys) MLDSAPrecompileBase(65, keys) {}
}
