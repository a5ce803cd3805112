// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerificationConsumer} from "../interfaces/IVerificationConsumer.sol";
import {ConsumerBase} from "./ConsumerBase.sol";

/// @title RevertingConsumer
/// @notice Test helper: every callback reverts with a custom error.
contract RevertingConsumer is ConsumerBase {
    /// @dev What every callback reverts with.
    error ConsumerRejected(bytes32 requestId);

    /// @inheritdoc IVerificationConsumer
    function onVerification(bytes32 requestId, bool) external pure {
        revert ConsumerRejected(requestId);
    }
}
