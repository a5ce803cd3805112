// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerificationConsumer} from "../interfaces/IVerificationConsumer.sol";
import {ConsumerBase} from "./ConsumerBase.sol";

/// @title ReentrantConsumer
/// @notice Test helper: every callback calls the verifier again with the call `arm` stored (a
/// vote, a batch, a cancel, a withdrawal) and records what came of it.
contract ReentrantConsumer is ConsumerBase {
    /// @notice Whether the last callback re-entered, and how that call ended.
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryResult;

    address private _target;
    bytes private _call;

    /// @notice Sets the call the next callbacks make to `target`.
    function arm(address target, bytes calldata data) external {
        _target = target;
        _call = data;
    }

    /// @inheritdoc IVerificationConsumer
    function onVerification(bytes32, bool) external {
        (bool success, bytes memory result) = _target.call(_call);
        reentered = true;
        reentrySucceeded = success;
        reentryResult = result;
    }
}
