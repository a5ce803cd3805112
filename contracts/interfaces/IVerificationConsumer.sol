// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IVerificationConsumer
/// @notice Implemented by a contract that wants the verdict on its verification request pushed to it:
/// it opens the request itself with a non-zero `callbackGasLimit`, and the verifier calls it back
/// when the request becomes final.
/// @dev The verifier calls with exactly the gas the request named (a finalising vote that cannot
/// provide it reverts), after the verdict is stored, ignores a revert and copies no return data; it
/// emits `CallbackDelivered` with the outcome. The verdict stays readable through `statusOf`.
///
/// Note: a consumer must check that `msg.sender` is the verifier it opened the request with, and must
/// not rely on the callback succeeding: a verdict is final even when the callback fails.
interface IVerificationConsumer {
    /// @notice Receives the final verdict on request `requestId`.
    /// @param requestId The identifier `requestVerification` returned.
    /// @param valid Whether the signature verified under the registered key, message and context.
    function onVerification(bytes32 requestId, bool valid) external;
}
