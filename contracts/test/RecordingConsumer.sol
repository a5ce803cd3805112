// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerificationConsumer} from "../interfaces/IVerificationConsumer.sol";
import {ConsumerBase} from "./ConsumerBase.sol";

/// @title RecordingConsumer
/// @notice Test helper: records every callback, who made it and the gas it arrived with.
contract RecordingConsumer is ConsumerBase {
    /// @notice Callbacks received.
    uint256 public calls;
    /// @notice Arguments and sender of the last callback.
    bytes32 public lastRequestId;
    bool public lastValid;
    address public lastCaller;
    /// @notice `gasleft()` on entry to the last callback.
    uint256 public gasAtEntry;

    /// @inheritdoc IVerificationConsumer
    function onVerification(bytes32 requestId, bool valid) external {
        uint256 entry = gasleft();
        ++calls;
        lastRequestId = requestId;
        lastValid = valid;
        lastCaller = msg.sender;
        gasAtEntry = entry;
    }
}
