// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IVerificationConsumer
/// @notice Implemented by a contract that wants the verdict on its verification request pushed to it.
/// @dev SignatureVerifier 1.x does not call consumers: its verdicts are read with `statusOf`. The
/// interface is fixed now so that consumers written today keep working when the callback arrives.
///
/// Note: a consumer must treat the callback as untrusted input unless `msg.sender` is the verifier
/// it registered with, and must not rely on it being delivered: the verifier will call it with a
/// bounded amount of gas and ignore a revert, so a verdict is final even when the callback fails.
interface IVerificationConsumer {
    /// @notice Receives the final verdict on request `requestId`.
    /// @param requestId The identifier `requestVerification` returned.
    /// @param valid Whether the signature verified under the registered key, message and context.
    function onVerification(uint256 requestId, bool valid) external;
}
