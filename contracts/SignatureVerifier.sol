// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "./AccessControl.sol";
import {ISignatureVerifier} from "./interfaces/ISignatureVerifier.sol";
import {InputSanitizer} from "./libraries/InputSanitizer.sol";

/// @title SignatureVerifier
/// @notice Post-quantum (ML-DSA, FIPS 204) signature verification through an off-chain oracle.
/// A dApp registers a public key once, then opens requests that reference it; an account with
/// `ORACLE_ROLE` verifies the signature off-chain and posts the verdict, which anyone reads with
/// `statusOf`.
/// @dev Chainlink's request/fulfil commitment pattern: a request stores only the hash of its payload
/// and emits the payload; the oracle must echo the hash it recomputed from the event data, so an
/// oracle served forged logs by a dishonest RPC node cannot finalise a verdict on other bytes.
///
/// Note: the verdict is only as trustworthy as the holders of `ORACLE_ROLE`. Version 1 takes the
/// first verdict posted by any one of them; quorum, fees, deadlines and consumer callbacks come in
/// later versions, which keep this interface.
contract SignatureVerifier is ISignatureVerifier, AccessControl {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Registered keys by key id. `algorithm == 0` marks an unregistered key.
    mapping(bytes32 keyId => KeyRecord) private _keys;

    /// @dev Requests by request id (1, 2, ...).
    mapping(uint256 requestId => RequestRecord) private _requests;

    /// @dev Number of requests opened, i.e. the latest request id.
    uint256 private _requestCount;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param initialAdminDelay Seconds a default admin hand-over must wait before it can be accepted.
    /// @param initialAdmin First holder of `DEFAULT_ADMIN_ROLE`.
    constructor(uint48 initialAdminDelay, address initialAdmin) AccessControl(initialAdminDelay, initialAdmin) {}

    /*//////////////////////////////////////////////////////////////
                               BEHAVIOUR
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    function registerKey(uint8 algorithm, bytes calldata publicKey) external whenNotPaused returns (bytes32 keyId) {
        // Sizes first: the key id of a malformed key is never computed, let alone reported as taken.
        InputSanitizer.checkPublicKey(algorithm, publicKey.length);
        keyId = keccak256(abi.encodePacked(algorithm, publicKey));
        if (_keys[keyId].algorithm != 0) revert VerifierKeyAlreadyRegistered(keyId);

        // Block numbers fit in 64 bits for the lifetime of any chain; the cast only saves a slot.
        _keys[keyId] = KeyRecord({algorithm: algorithm, registrant: msg.sender, registeredAt: uint64(block.number)});
        emit KeyRegistered(keyId, algorithm, msg.sender, publicKey);
    }

    /// @inheritdoc ISignatureVerifier
    function requestVerification(
        bytes32 keyId,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature
    ) external whenNotPaused returns (uint256 requestId) {
        uint8 algorithm = _keys[keyId].algorithm;
        if (algorithm == 0) revert VerifierUnknownKey(keyId);
        InputSanitizer.checkSignature(algorithm, signature.length);
        InputSanitizer.checkMessage(message.length);
        InputSanitizer.checkContext(context.length);

        bytes32 commitment = keccak256(abi.encode(keyId, message, context, signature));
        // One increment per transaction: the counter cannot realistically reach 2**256.
        unchecked {
            requestId = ++_requestCount;
        }
        _requests[requestId] = RequestRecord({
            keyId: keyId,
            commitment: commitment,
            requester: msg.sender,
            requestedAt: uint64(block.number),
            status: Status.Pending
        });
        emit VerificationRequested(requestId, keyId, msg.sender, commitment, message, context, signature);
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev The role is checked before the pause so an outsider learns nothing about the verifier's
    /// state, and every request check comes before the single status write (checks, effects, event).
    function fulfill(uint256 requestId, bool valid, bytes32 commitment) external onlyRole(ORACLE_ROLE) whenNotPaused {
        RequestRecord storage request = _requests[requestId];
        Status status = request.status;
        if (status == Status.None) revert VerifierUnknownRequest(requestId);
        if (status != Status.Pending) revert VerifierRequestAlreadyFinal(requestId);
        bytes32 expected = request.commitment;
        if (commitment != expected) revert VerifierCommitmentMismatch(requestId, expected, commitment);

        request.status = valid ? Status.Valid : Status.Invalid;
        emit VerificationFulfilled(requestId, valid, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    function statusOf(uint256 requestId) external view returns (Status) {
        return _requests[requestId].status;
    }

    /// @inheritdoc ISignatureVerifier
    function requestOf(uint256 requestId) external view returns (RequestRecord memory) {
        return _requests[requestId];
    }

    /// @inheritdoc ISignatureVerifier
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc ISignatureVerifier
    function keyOf(bytes32 keyId) external view returns (KeyRecord memory) {
        return _keys[keyId];
    }

    /// @inheritdoc ISignatureVerifier
    function keyAlgorithm(bytes32 keyId) external view returns (uint8) {
        return _keys[keyId].algorithm;
    }

    /// @inheritdoc ISignatureVerifier
    function isKeyRegistered(bytes32 keyId) external view returns (bool) {
        return _keys[keyId].algorithm != 0;
    }

    /// @inheritdoc ISignatureVerifier
    function typeAndVersion() external pure returns (string memory) {
        return "SignatureVerifier 1.0.0";
    }

    /// @notice ERC-165: also reports `ISignatureVerifier`.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ISignatureVerifier).interfaceId || super.supportsInterface(interfaceId);
    }
}
