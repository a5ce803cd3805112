// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ISignatureVerifier
/// @notice On-chain half of the post-quantum signature oracle: dApps register ML-DSA (FIPS 204)
/// public keys and open verification requests; authorised oracles verify off-chain and post a
/// verdict that the verifier binds to the exact bytes of the request.
/// @dev Sizes are checked by `InputSanitizer`, whose errors (`SanitizerUnsupportedAlgorithm`,
/// `SanitizerInvalidPublicKeyLength`, `SanitizerInvalidSignatureLength`, `SanitizerMessageTooLong`,
/// `SanitizerContextTooLong`) are part of this interface's behaviour. Pausing reverts with
/// OpenZeppelin's `EnforcedPause()`, a missing role with `AccessControlUnauthorizedAccount`.
interface ISignatureVerifier {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Life cycle of a request: `None` (never opened), `Pending` (awaiting a verdict),
    /// then exactly one of `Valid` or `Invalid`, both final.
    enum Status {
        None,
        Pending,
        Valid,
        Invalid
    }

    /// @notice What the verifier keeps of a registered key. The key bytes themselves live only in
    /// the `KeyRegistered` event.
    struct KeyRecord {
        /// ML-DSA parameter set: 1 = ML-DSA-44, 2 = ML-DSA-65, 3 = ML-DSA-87; 0 = not registered.
        uint8 algorithm;
        /// Account that registered the key (not necessarily its owner).
        address registrant;
        /// Block in which the key was registered.
        uint64 registeredAt;
    }

    /// @notice What the verifier keeps of a request. The payload lives only in the
    /// `VerificationRequested` event; `commitment` binds the verdict to it.
    struct RequestRecord {
        /// Key the signature must verify under.
        bytes32 keyId;
        /// `keccak256(abi.encode(keyId, message, context, signature))`.
        bytes32 commitment;
        /// Account that opened the request.
        address requester;
        /// Block in which the request was opened.
        uint64 requestedAt;
        /// Current state of the request.
        Status status;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev `keyId` has not been registered.
    error VerifierUnknownKey(bytes32 keyId);

    /// @dev `keyId` is registered already; a key is registered once and referenced afterwards.
    error VerifierKeyAlreadyRegistered(bytes32 keyId);

    /// @dev No request `requestId` has been opened.
    error VerifierUnknownRequest(uint256 requestId);

    /// @dev Request `requestId` already has a verdict.
    error VerifierRequestAlreadyFinal(uint256 requestId);

    /// @dev The oracle's `given` commitment is not the `expected` one stored for `requestId`: the
    /// oracle evaluated other bytes than the requester sent (for example, fed by a lying RPC node).
    error VerifierCommitmentMismatch(uint256 requestId, bytes32 expected, bytes32 given);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @dev Emitted when `registrant` registers `publicKey` of `algorithm` as `keyId`.
    event KeyRegistered(bytes32 indexed keyId, uint8 indexed algorithm, address indexed registrant, bytes publicKey);

    /// @dev Emitted when `requester` opens request `requestId`. Carries everything an oracle needs to
    /// verify; `commitment` is what the oracle must echo back in `fulfill`.
    event VerificationRequested(
        uint256 indexed requestId,
        bytes32 indexed keyId,
        address indexed requester,
        bytes32 commitment,
        bytes message,
        bytes context,
        bytes signature
    );

    /// @dev Emitted when `oracle` posts the final verdict `valid` on request `requestId`.
    event VerificationFulfilled(uint256 indexed requestId, bool valid, address indexed oracle);

    /*//////////////////////////////////////////////////////////////
                               BEHAVIOUR
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers an ML-DSA public key and returns its identifier,
    /// `keccak256(abi.encodePacked(algorithm, publicKey))`.
    /// @dev Only the algorithm, the registrant and the block are stored; the key is emitted.
    ///
    /// Requirements:
    /// - the verifier is not paused;
    /// - `algorithm` is 1, 2 or 3 (`SanitizerUnsupportedAlgorithm`);
    /// - `publicKey` has the algorithm's public key length (`SanitizerInvalidPublicKeyLength`);
    /// - the key is not registered yet (`VerifierKeyAlreadyRegistered`).
    ///
    /// Emits a {KeyRegistered} event.
    function registerKey(uint8 algorithm, bytes calldata publicKey) external returns (bytes32 keyId);

    /// @notice Opens a request to verify `signature` over `message` and `context` under key `keyId`
    /// and returns its identifier; identifiers count up from 1.
    /// @dev Only the commitment `keccak256(abi.encode(keyId, message, context, signature))` is
    /// stored; the payload is emitted.
    ///
    /// Requirements:
    /// - the verifier is not paused;
    /// - `keyId` is registered (`VerifierUnknownKey`);
    /// - `signature` has the key's signature length (`SanitizerInvalidSignatureLength`);
    /// - `message` is at most 16384 bytes (`SanitizerMessageTooLong`);
    /// - `context` is at most 255 bytes (`SanitizerContextTooLong`).
    ///
    /// Emits a {VerificationRequested} event.
    function requestVerification(
        bytes32 keyId,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature
    ) external returns (uint256 requestId);

    /// @notice Posts the verdict `valid` on request `requestId`; `commitment` must be the one the
    /// oracle recomputed from the request's payload.
    ///
    /// Requirements:
    /// - the caller has `ORACLE_ROLE` (`AccessControlUnauthorizedAccount`);
    /// - the verifier is not paused;
    /// - request `requestId` exists (`VerifierUnknownRequest`);
    /// - it is still pending (`VerifierRequestAlreadyFinal`);
    /// - `commitment` equals the stored one (`VerifierCommitmentMismatch`).
    ///
    /// Emits a {VerificationFulfilled} event.
    function fulfill(uint256 requestId, bool valid, bytes32 commitment) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Status of request `requestId`; `None` for one never opened.
    function statusOf(uint256 requestId) external view returns (Status);

    /// @notice Stored record of request `requestId`; all zero (status `None`) for one never opened.
    function requestOf(uint256 requestId) external view returns (RequestRecord memory);

    /// @notice Number of requests opened so far, which is also the latest request identifier.
    function requestCount() external view returns (uint256);

    /// @notice Stored record of key `keyId`; all zero for an unregistered key.
    function keyOf(bytes32 keyId) external view returns (KeyRecord memory);

    /// @notice Algorithm of key `keyId`, or 0 when it is not registered.
    function keyAlgorithm(bytes32 keyId) external view returns (uint8);

    /// @notice Whether key `keyId` is registered.
    function isKeyRegistered(bytes32 keyId) external view returns (bool);

    /// @notice Contract type and semantic version, e.g. "SignatureVerifier 1.0.0".
    function typeAndVersion() external pure returns (string memory);
}
