// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerificationConsumer} from "../interfaces/IVerificationConsumer.sol";
import {ConsumerBase} from "./ConsumerBase.sol";

/// @title GasBurningConsumer
/// @notice Test helper: every callback loops until it has burnt all the gas it was given.
contract GasBurningConsumer is ConsumerBase {
    /// @dev Written in the loop so the optimizer cannot drop it.
    uint256 private _spins;

    /// @inheritdoc IVerificationConsumer
    function onVerification(bytes32, bool) external {
        while (true) {
            ++_spins;
        }
    }
}
