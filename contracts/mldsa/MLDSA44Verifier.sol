// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MLDSAVerifierBase} from "./MLDSAVerifierBase.sol";

/// @title MLDSA44Verifier
/// @notice Exact FIPS 204 ML-DSA-44 verification on chain, with contexts, and a register of keys
/// kept in their expanded form (see `MLDSAVerifierBase`); 4 rows of the form per `register` call.
contract MLDSA44Verifier is MLDSAVerifierBase(44, 4) {}
