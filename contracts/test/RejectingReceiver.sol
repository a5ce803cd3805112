// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerificationConsumer} from "../interfaces/IVerificationConsumer.sol";
import {ConsumerBase} from "./ConsumerBase.sol";

/// @title RejectingReceiver
/// @notice Test helper: opens requests through `forward` but refuses every ether transfer, so a
/// refund or withdrawal to it fails.
contract RejectingReceiver is ConsumerBase {
    /// @dev What every transfer to this contract reverts with.
    error ReceiverRejectsEther();

    /// @inheritdoc IVerificationConsumer
    function onVerification(bytes32, bool) external pure {}

    /// @notice Refuses ether.
    receive() external payable override {
        revert ReceiverRejectsEther();
    }
}
