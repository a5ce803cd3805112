// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IMLDSAVerifier
/// @notice On-chain ML-DSA (FIPS 204) verification, in two forms at two addresses.
/// @dev **The EIP-8355 convention** (what a precompile at 0x12 / 0x13 / 0x14 answers, and what the
/// project's `MLDSA44Precompile` answers in its fallback, which has no other entry): the call data
/// is `publicKey ‖ signature ‖ message` with no length fields (key and signature have the
/// parameter set's fixed lengths, the message is the trailing bytes), the context is the empty
/// string, and the answer is always exactly 32 bytes: `1` for a valid signature, `0` for anything
/// else (a malformed key or signature, an input shorter than key and signature). It never reverts
/// except by running out of gas. Return data of any other length means no verifier is there (a call
/// to an address without code succeeds with empty return data), which callers must treat as
/// "unavailable", never as a verdict.
///
/// Why a contract answering that convention has no functions at all: a Solidity dispatcher would
/// route any input whose first four bytes (the first bytes of the key's rho, which a key's owner
/// can grind) equal a function selector to that function, which would revert or answer something
/// else; with no functions, every input reaches the fallback.
///
/// **This interface** is the other form: pure ML-DSA with a FIPS 204 context string of up to 255
/// bytes (EIP-8355 fixes the empty context), for requests that carry one, on a contract of its own
/// (`MLDSA44Verifier`). Never call it on an EIP-8355 address: a precompile would read the ABI
/// encoding as `publicKey ‖ signature ‖ message` and answer `0`, a well-formed "invalid".
interface IMLDSAVerifier {
    /// @notice ML-DSA.Verify(publicKey, message, signature, context) (FIPS 204, Algorithm 3).
    /// @dev Never reverts on bad input: a wrong-length key or signature, a malformed signature or
    /// a context longer than 255 bytes answers false.
    /// @param publicKey The FIPS 204 encoded public key (pk = rho ‖ t1).
    /// @param signature The FIPS 204 encoded signature (c~ ‖ z ‖ h).
    /// @param message The message M.
    /// @param context The context string ctx (0 to 255 bytes).
    /// @return valid Whether the signature is valid.
    function verify(bytes calldata publicKey, bytes calldata signature, bytes calldata message, bytes calldata context)
        external
        view
        returns (bool valid);
}
