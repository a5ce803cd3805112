// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IMLDSAVerifier} from "../interfaces/IMLDSAVerifier.sol";
import {MLDSA44} from "./MLDSA44.sol";

/// @title MLDSA44Verifier
/// @notice Exact FIPS 204 ML-DSA-44 verification on chain, with contexts, and a register of public
/// keys kept in their expanded form so that every verify after the first is cheap.
/// @dev `register(publicKey)` computes the key's expanded form (`MLDSA44`: tr, ExpandA's matrix and
/// -NTT(t1 * 2^d)) on chain and stores it as the code of a contract of its own, once per key;
/// anyone may register any key, and nobody can register a wrong form, because the contract computes
/// it. `verify` then reads the form with one EXTCODECOPY (~3 gas a word) instead of recomputing it
/// (~7M gas). A key that was never registered is still verified, from scratch.
///
/// Why contract code rather than storage: 15,424 bytes are 482 storage slots, 2,100 gas each to read
/// cold (~1M gas a verify) and 22,100 each to write; as code they cost 200 gas a byte once
/// (~3.1M) and a few thousand gas a read. The form's contract starts with a STOP byte, so calling
/// it does nothing.
contract MLDSA44Verifier is IMLDSAVerifier {
    /// @notice `publicKey`'s expanded form is now the code of `form`.
    /// @param keyHash keccak256 of the 1,312-byte public key.
    /// @param form The contract whose code (after its first byte) is the expanded form.
    event KeyExpanded(bytes32 indexed keyHash, address indexed form);

    /// @notice `register` or `expand` was given a key that is not 1,312 bytes long.
    error MLDSA44InvalidPublicKeyLength(uint256 length);
    /// @notice Deploying a form's contract failed (out of gas: it needs ~10.5M gas in all).
    error MLDSA44FormDeploymentFailed();

    /// @dev Expanded forms by keccak256(publicKey).
    mapping(bytes32 keyHash => address form) private _forms;

    /// @notice Expand `publicKey` and keep the form as contract code; returns the form's address.
    /// @dev Idempotent: a key registered already returns its form and emits nothing.
    function register(bytes calldata publicKey) external returns (address form) {
        bytes32 keyHash = keccak256(publicKey);
        form = _forms[keyHash];
        if (form != address(0)) return form;
        (bool ok, bytes memory expanded) = MLDSA44.expand(publicKey);
        if (!ok) revert MLDSA44InvalidPublicKeyLength(publicKey.length);
        form = _deploy(expanded);
        _forms[keyHash] = form;
        emit KeyExpanded(keyHash, form);
    }

    /// @notice The contract holding the expanded form of the key whose keccak256 is `keyHash`, or
    /// the zero address for a key never registered.
    function formOf(bytes32 keyHash) external view returns (address) {
        return _forms[keyHash];
    }

    /// @notice The expanded form of `publicKey` (tr ‖ A^ ‖ -t1^, see `MLDSA44`), computed now.
    function expand(bytes calldata publicKey) external pure returns (bytes memory expanded) {
        bool ok;
        (ok, expanded) = MLDSA44.expand(publicKey);
        if (!ok) revert MLDSA44InvalidPublicKeyLength(publicKey.length);
    }

    /// @inheritdoc IMLDSAVerifier
    function verify(bytes calldata publicKey, bytes calldata signature, bytes calldata message, bytes calldata context)
        external
        view
        returns (bool)
    {
        return MLDSA44.verifyWithForm(_forms[keccak256(publicKey)], publicKey, signature, message, context);
    }

    /// @dev Create a contract whose code is a STOP byte followed by `expanded`. Its creation code is
    /// 10 bytes that copy the rest of itself to memory and return it:
    /// PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE (0), CODECOPY, RETURNDATASIZE (0), RETURN.
    function _deploy(bytes memory expanded) private returns (address form) {
        uint256 size = expanded.length + 1;
        bytes memory init = abi.encodePacked(hex"61", uint16(size), hex"80600a3d393df3", hex"00", expanded);
        assembly ("memory-safe") {
            form := create(0, add(init, 0x20), mload(init))
        }
        if (form == address(0)) revert MLDSA44FormDeploymentFailed();
    }
}
