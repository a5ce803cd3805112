// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IMLDSAVerifier
/// @notice An on-chain ML-DSA (FIPS 204) verifier, called the way EIP-8355's precompiles are, so that
/// a chain's precompile can replace a Solidity verifier by configuration alone.
/// @dev The EIP-8355 convention (what a precompile at 0x12 / 0x13 / 0x14 answers, and what the
/// project's Solidity verifiers answer in their fallback): the call data is
/// `publicKey ‖ signature ‖ message` with no length fields (key and signature have the parameter
/// set's fixed lengths, the message is the trailing bytes), the context is the empty string, and the
/// answer is always exactly 32 bytes: `1` for a valid signature, `0` for anything else (a malformed
/// key or signature, an input shorter than key and signature). It never reverts except by running
/// out of gas. Return data of any other length means no verifier is there (a call to an address
/// without code succeeds with empty return data), which callers must treat as "unavailable", never
/// as a verdict.
///
/// EIP-8355 fixes the context to the empty string. `verifyWithContext` is the one addition: pure
/// ML-DSA with a FIPS 204 context string of up to 255 bytes, for requests that carry one. A
/// precompile does not have it; a caller that needs it checks the return data length the same way.
interface IMLDSAVerifier {
    /// @notice ML-DSA.Verify(publicKey, message, signature, context) (FIPS 204, Algorithm 3).
    /// @dev Never reverts on bad input: a wrong-length key or signature, a malformed signature or
    /// a context longer than 255 bytes answers false.
    /// @param publicKey The FIPS 204 encoded public key (pk = rho ‖ t1).
    /// @param signature The FIPS 204 encoded signature (c~ ‖ z ‖ h).
    /// @param message The message M.
    /// @param context The context string ctx (0 to 255 bytes).
    /// @return valid Whether the signature is valid.
    function verifyWithContext(
        bytes calldata publicKey,
        bytes calldata signature,
        bytes calldata message,
        bytes calldata context
    ) external view returns (bool valid);
}
