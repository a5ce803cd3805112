// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title AccessControl
/// @notice Roles and the emergency stop of the signature oracle: `DEFAULT_ADMIN_ROLE` (one holder,
/// handed over in two steps with a delay) and `PAUSER_ROLE` (stops and resumes the verifier). Who
/// may vote is not a role: the verifier's oracle set, changed only after an announced delay,
/// decides it.
/// @dev Built on OpenZeppelin's `AccessControlDefaultAdminRules` and `Pausable`. Only those two are
/// imported by name, so OpenZeppelin's own `AccessControl` (their base) never enters this source
/// unit's scope and cannot clash with this contract's name.
///
/// Note: the default admin administers `PAUSER_ROLE`. Granting `DEFAULT_ADMIN_ROLE` through
/// `grantRole` reverts (`AccessControlEnforcedDefaultAdminRules`): the admin changes hands only by
/// `beginDefaultAdminTransfer` followed, once the delay has passed, by `acceptDefaultAdminTransfer`
/// from the new admin, so a mistyped address can never take over or lock the verifier.
abstract contract AccessControl is AccessControlDefaultAdminRules, Pausable {
    /*//////////////////////////////////////////////////////////////
                                 ROLES
    //////////////////////////////////////////////////////////////*/

    /// @notice Role of the accounts allowed to pause and unpause.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param initialAdminDelay Seconds a default admin hand-over must wait before it can be accepted.
    /// @param initialAdmin First holder of `DEFAULT_ADMIN_ROLE`; must not be the zero address
    /// (`AccessControlInvalidDefaultAdmin`).
    constructor(uint48 initialAdminDelay, address initialAdmin)
        AccessControlDefaultAdminRules(initialAdminDelay, initialAdmin)
    {}

    /*//////////////////////////////////////////////////////////////
                               BEHAVIOUR
    //////////////////////////////////////////////////////////////*/

    /// @notice Stops every state-changing entry point guarded by `whenNotPaused`.
    /// @dev Requirements:
    /// - the caller has `PAUSER_ROLE` (`AccessControlUnauthorizedAccount`);
    /// - the contract is not paused (`EnforcedPause`).
    ///
    /// Emits a {Paused} event.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes the entry points stopped by `pause`.
    /// @dev Requirements:
    /// - the caller has `PAUSER_ROLE` (`AccessControlUnauthorizedAccount`);
    /// - the contract is paused (`ExpectedPause`).
    ///
    /// Emits an {Unpaused} event.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }
}
