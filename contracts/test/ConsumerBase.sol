// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerificationConsumer} from "../interfaces/IVerificationConsumer.sol";

/// @title ConsumerBase
/// @notice Test helper: a contract account that opens requests, cancels and votes through
/// `forward`, so the verifier sees it as requester (and consumer) or as an oracle.
/// @dev Not for deployment outside tests: anyone may make it call anything.
abstract contract ConsumerBase is IVerificationConsumer {
    /// @notice Calls `target` with `data` and `msg.value`, bubbling a revert unchanged so tests can
    /// decode the verifier's own error.
    function forward(address target, bytes calldata data) external payable returns (bytes memory result) {
        bool success;
        (success, result) = target.call{value: msg.value}(data);
        if (!success) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @notice Accepts refunds and withdrawn fees (`RejectingReceiver` refuses them).
    receive() external payable virtual {}
}
