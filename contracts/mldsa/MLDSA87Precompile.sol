// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSA87Verifier} from "./MLDSA87Verifier.sol";
import {MLDSAPrecompileBase} from "./MLDSAPrecompileBase.sol";

/// @title MLDSA87Precompile
/// @notice ML-DSA-87 verification with EIP-8355's calling convention (see `MLDSAPrecompileBase`),
/// reading the expanded keys registered with an `MLDSA87Verifier`.
contract MLDSA87Precompile is MLDSAPrecompileBase {
    /// @param keys The register of expanded ML-DSA-87 keys consulted for every key verified.
    constructor(MLDSA87Verifier keys) MLDSAPrecompileBase(87, keys) {}
}
