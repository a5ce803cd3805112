// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSAVerifierBase} from "../mldsa/MLDSAVerifierBase.sol";

/// @title MLDSAConfigurableVerifier
/// @notice Test helper: `MLDSAVerifierBase` with the parameter set and rows per chunk given at
/// deployment, so that the constructor's refusals (an unknown set, a chunk of no row or of more
/// rows than the form has) can be driven; the shipped verifiers fix both.
contract MLDSAConfigurableVerifier is MLDSAVerifierBase {
    /// @param level 44, 65 or 87 (anything else is refused).
    /// @param rowsPerChunk Rows of the form one `register` call stores.
    constructor(uint256 level, uint256 rowsPerChunk) MLDSAVerifierBase(level, rowsPerChunk) {}
}
