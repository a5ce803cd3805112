// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerificationConsumer} from "../interfaces/IVerificationConsumer.sol";
import {ConsumerBase} from "./ConsumerBase.sol";

/// @title ReturnBombConsumer
/// @notice Test helper: every callback succeeds and returns `returnSize` bytes, which a caller
/// that copied return data would pay for in memory expansion.
contract ReturnBombConsumer is ConsumerBase {
    /// @notice Bytes each callback returns.
    uint256 public immutable returnSize;

    constructor(uint256 returnSize_) {
        returnSize = returnSize_;
    }

    /// @inheritdoc IVerificationConsumer
    function onVerification(bytes32, bool) external view {
        uint256 size = returnSize;
        assembly {
            return(0, size)
        }
    }
}
