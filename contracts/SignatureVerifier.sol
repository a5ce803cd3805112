// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "./AccessControl.sol";
import {IMLDSAVerifier} from "./interfaces/IMLDSAVerifier.sol";
import {ISignatureVerifier} from "./interfaces/ISignatureVerifier.sol";
import {IVerificationConsumer} from "./interfaces/IVerificationConsumer.sol";
import {InputSanitizer} from "./libraries/InputSanitizer.sol";

/// @title SignatureVerifier
/// @notice Post-quantum (ML-DSA, FIPS 204) signature verification by off-chain oracles, held to
/// account by an on-chain verifier. A dApp registers a public key once, then opens requests that
/// reference it (or carry it inline), optionally paying a fee and asking to be called back. In
/// quorum mode the oracles of the current set verify off-chain and vote, and the request is final
/// once `threshold` of them agree. In optimistic mode one bonded oracle posts the verdict, final
/// after a challenge window unless anyone proves it wrong with the on-chain verifier (EIP-8355
/// convention: a precompile or a Solidity verifier), which also answers `verifyNow` directly.
/// @dev Chainlink's request/fulfil commitment pattern, taken down to one storage slot per request:
///
///     bits [0, 112)   uint112(keccak256(abi.encode(RequestTerms)))
///     bits [112, 152) deadline (timestamp)
///     bits [152, 200) slots of the oracles that voted Valid; once closed, the Valid count
///     bits [200, 248) slots of the oracles that voted Invalid; once closed, the Invalid count
///     bits [248, 256) stored status (Pending, Valid, Invalid, Cancelled)
///
/// Everything else travels in calldata and in the `VerificationRequested` event; votes and
/// cancellations restate the terms, which must hash to the stored bits.
///
/// A request with a posted verdict (optimistic mode) keeps bits [0, 152) and reuses the vote masks:
///
///     bits [152, 192) timestamp from which the verdict can be finalised
///     bit  192        the posted verdict (1: Valid)
///     bits [248, 256) stored status Posted
///
/// and a second word, `_posts`, holds the poster and the bond it locked, deleted at settlement.
///
/// Oracles occupy slots 0..47. A vote counts only while its slot is in the current set's active
/// mask, so a removed oracle's votes stop counting the moment a change takes effect. A released
/// slot cools down for the largest `maxTimeout` ever configured (plus one second) before another
/// oracle may get it: by then every request that could carry the old vote is past its deadline,
/// where no vote counts any more. An oracle added again gets a fresh slot.
///
/// A reused slot's bit in an older request is still its old holder's vote, so nothing reads the
/// masks of a request its new holder could not have voted on: the vote that finalises a request
/// and its cancellation replace the two masks with the two counts as they stand (in the same
/// write), and a request past its deadline counts only the slots taken by their holders at or
/// before its deadline (each slot's word records when its holder took it).
///
/// Each member's own storage word holds its slot, the active mask, the threshold and a copy of
/// the paused flag, rewritten for every member when the set changes and on pause and unpause, so
/// a vote reads exactly two cold words: the voter's and the request's.
///
/// Note: the 112-bit terms hash resists second preimages (an oracle cannot restate terms it did
/// not see) but gives only 56 bits of collision resistance to a requester who chooses both sides.
/// The one thing such a requester could gain, a refund or payout above what it paid, is closed by
/// keeping each requester's escrowed fees beside its request count: a cancellation or payout can
/// never move more than the requester itself escrowed and has not yet been paid or refunded.
contract SignatureVerifier is ISignatureVerifier, AccessControl {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Largest oracle set the verifier accepts.
    uint256 public constant MAX_ORACLES = 32;

    /// @notice Oracle slots (vote bits per side in a request's word).
    uint256 public constant MAX_ORACLE_SLOTS = 48;

    // Request word layout (see the contract's @dev).
    uint256 private constant _HASH_BITS = (1 << 112) - 1;
    uint256 private constant _TERMS_AND_DEADLINE_BITS = (1 << 152) - 1;
    uint256 private constant _DEADLINE_SHIFT = 112;
    uint256 private constant _VALID_SHIFT = 152;
    uint256 private constant _INVALID_SHIFT = 200;
    uint256 private constant _STATUS_SHIFT = 248;
    uint256 private constant _MASK_40 = (1 << 40) - 1;
    uint256 private constant _MASK_48 = (1 << 48) - 1;
    uint256 private constant _PENDING = 1;
    uint256 private constant _VALID = 2;
    uint256 private constant _INVALID = 3;
    uint256 private constant _CANCELLED = 4;
    uint256 private constant _POSTED = 6;
    uint256 private constant _FINALIZES_AT_SHIFT = 152;
    uint256 private constant _POSTED_VALID_SHIFT = 192;

    // Member word layout: [0, 48) active mask, [48, 56) threshold, [56, 64) slot, then three flags.
    uint256 private constant _THRESHOLD_SHIFT = 48;
    uint256 private constant _SLOT_SHIFT = 56;
    uint256 private constant _MEMBER_FLAG = 1 << 64;
    uint256 private constant _MEMBER_PAUSED_FLAG = 1 << 65;
    // A copy of the mode, so that a vote refuses optimistic mode without a cold read.
    uint256 private constant _MEMBER_OPTIMISTIC_FLAG = 1 << 66;

    // Optimistic word layout: [0, 96) bond, [96, 128) challenge window, bit 128 enabled.
    uint256 private constant _WINDOW_SHIFT = 96;
    uint256 private constant _OPTIMISTIC_FLAG = 1 << 128;

    // Bond word: the free bond, with bit 255 set once the account is barred from posting (no
    // bond reaches 2**255 wei).
    uint256 private constant _BARRED_FLAG = 1 << 255;

    // On-chain verifier word: [0, 160) address, [160, 192) gas limit.
    uint256 private constant _VERIFIER_GAS_SHIFT = 160;

    // Config word layout: the `Config` fields in declaration order, then the paused flag.
    uint256 private constant _DEFAULT_TIMEOUT_SHIFT = 96;
    uint256 private constant _MIN_TIMEOUT_SHIFT = 128;
    uint256 private constant _MAX_TIMEOUT_SHIFT = 160;
    uint256 private constant _MAX_CALLBACK_GAS_SHIFT = 192;
    uint256 private constant _CONFIG_PAUSED_FLAG = 1 << 224;

    // Requester word layout: [0, 64) request count, [64, 256) escrowed fees.
    uint256 private constant _ESCROW_SHIFT = 64;

    // Slot word layout: [0, 160) holder, [160, 208) timestamp at which the holder took the slot,
    // [208, 256) timestamp from which a free slot may be reused.
    uint256 private constant _TAKEN_SHIFT = 160;
    uint256 private constant _AVAILABLE_SHIFT = 208;

    // Skip codes of `_cast`: 0 counted, otherwise `SkipReason` + 1.
    uint256 private constant _COUNTED = 0;
    uint256 private constant _SKIP_UNKNOWN = 1;
    uint256 private constant _SKIP_MISMATCH = 2;
    uint256 private constant _SKIP_NOT_PENDING = 3;
    uint256 private constant _SKIP_EXPIRED = 4;
    uint256 private constant _SKIP_ALREADY_VOTED = 5;

    /// @dev Gas kept back before the consumer callback for the CALL itself and for the work after
    /// it (the `CallbackDelivered` event and the return), as VRF v2.5 keeps 5,000.
    uint256 private constant _GAS_FOR_CALLBACK_CHECK = 5_000;

    /// @notice Share of an overturned poster's bond that is burned (kept in the verifier for ever,
    /// owed to nobody), in percent; the challenger gets the rest. See `challenge` for why.
    uint256 public constant BOND_BURN_PERCENT = 50;

    /// @notice Largest gas limit an on-chain verifier may be given: with the 1/64 EIP-150 keeps
    /// back (15,238,096 in all), a challenge's at most 600,000 gas of its own and a 500,000-gas
    /// callback, a challenge stays under EIP-7825's 16,777,216 gas per transaction. A callback cap
    /// above ~900,000 needs a smaller limit.
    uint32 public constant MAX_ONCHAIN_VERIFY_GAS = 15_000_000;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Registered keys by key id. `algorithm == 0` marks an unregistered key.
    mapping(bytes32 keyId => KeyRecord) private _keys;

    /// @dev Request words by request id (layout in the contract's @dev); 0 for an unknown id.
    mapping(bytes32 requestId => uint256) private _requests;

    /// @dev Per requester: request count (the next nonce) and fees escrowed and not yet paid out or
    /// refunded. One word, so a request that pays a fee writes nothing more than one without.
    mapping(address requester => uint256) private _requesters;

    /// @dev Fees earned and not withdrawn, by oracle.
    mapping(address oracle => uint256) private _earnings;

    /// @dev Member words by oracle (layout above); 0 for an account outside the current set.
    mapping(address oracle => uint256) private _members;

    /// @dev Holder, time taken and reuse time of every oracle slot.
    uint256[MAX_ORACLE_SLOTS] private _slots;

    /// @dev The current set, in the order it was given.
    address[] private _oracles;

    /// @dev The current set's active mask and threshold, as in a member word (for views).
    uint256 private _oracleSet;

    /// @dev The announced change; `effectiveAt == 0` when none.
    OracleSetChange private _pendingChange;

    /// @dev The current `Config`, packed, with a copy of the paused flag (so a request reads both
    /// from one word).
    uint256 private _config;

    /// @dev Largest `maxTimeout` ever configured: how long a released oracle slot cools down.
    uint32 private _maxTimeoutEver;

    /// @dev The `OptimisticConfig`, packed (layout above); 0: quorum mode.
    uint256 private _optimistic;

    /// @dev Free bond and barred flag by account (layout above).
    mapping(address account => uint256) private _bonds;

    /// @dev Poster in bits [0, 160) and locked bond in [160, 256) of each request with a posted
    /// verdict awaiting settlement.
    mapping(bytes32 requestId => uint256) private _posts;

    /// @dev On-chain verifiers and their gas limits (layout above), by `algorithm << 1 | withContext`:
    /// the EIP-8355 form (empty contexts) and the `IMLDSAVerifier` form (contexts) of each set.
    mapping(uint256 form => uint256) private _onchainVerifiers;

    /// @dev Seconds between an announced oracle set change and its effect.
    uint48 private immutable _oracleSetDelay;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param initialAdminDelay Seconds a default admin hand-over must wait before it can be accepted.
    /// @param initialAdmin First holder of `DEFAULT_ADMIN_ROLE`.
    /// @param initialOracles The oracle set in force from deployment.
    /// @param initialThreshold Votes that must agree for a request to become final.
    /// @param oracleSetDelay_ Seconds every later oracle set change must be announced in advance.
    /// @param initialConfig Fee, timeout and callback settings.
    ///
    /// Requirements: those of `announceOracleSetChange` for the set and of `setConfig` for the
    /// settings; a non-zero admin (`AccessControlInvalidDefaultAdmin`).
    ///
    /// Emits {ConfigSet} and {OracleSetChanged}.
    constructor(
        uint48 initialAdminDelay,
        address initialAdmin,
        address[] memory initialOracles,
        uint8 initialThreshold,
        uint48 oracleSetDelay_,
        Config memory initialConfig
    ) AccessControl(initialAdminDelay, initialAdmin) {
        _oracleSetDelay = oracleSetDelay_;
        _setConfig(initialConfig);
        _checkOracleSet(initialOracles, initialThreshold);
        _installOracleSet(initialOracles, initialThreshold);
    }

    /*//////////////////////////////////////////////////////////////
                             KEYS, REQUESTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    function registerKey(uint8 algorithm, bytes calldata publicKey) external returns (bytes32 keyId) {
        _requireNotPaused(_config);
        keyId = _registerKey(algorithm, publicKey);
    }

    /// @inheritdoc ISignatureVerifier
    function requestVerification(
        bytes32 keyId,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature,
        uint32 callbackGasLimit,
        uint32 timeout
    ) external payable returns (bytes32 requestId) {
        uint256 configWord = _config;
        _requireNotPaused(configWord);
        uint8 algorithm = _keys[keyId].algorithm;
        if (algorithm == 0) revert VerifierUnknownKey(keyId);
        requestId = _open(configWord, keyId, algorithm, _writePayload(message, context, signature), callbackGasLimit, timeout);
    }

    /// @inheritdoc ISignatureVerifier
    function requestVerificationWithKey(
        uint8 algorithm,
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature,
        uint32 callbackGasLimit,
        uint32 timeout
    ) external payable returns (bytes32 requestId, bytes32 keyId) {
        _requireNotPaused(_config);
        keyId = _registerKey(algorithm, publicKey);
        // The config word is warm now: reading it again costs 100 gas and a stack slot less.
        requestId = _open(_config, keyId, algorithm, _writePayload(message, context, signature), callbackGasLimit, timeout);
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev Cancelling needs no pause check: a requester can always take back an expired fee.
    /// Checks, then the status and escrow writes and the event, then the refund (CEI). The counts
    /// kept are those `statusOf` reported for the expired request.
    function cancel(bytes32 requestId, RequestTerms calldata terms) external {
        if (terms.requester != msg.sender) revert VerifierNotRequester(requestId, msg.sender);
        uint256 record = _requests[requestId];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (record == 0) revert VerifierUnknownRequest(requestId);
        if (record & _HASH_BITS != _termsHash(terms)) revert VerifierTermsMismatch(requestId);
        if (record >> _STATUS_SHIFT != _PENDING) revert VerifierRequestNotPending(requestId);
        uint40 deadline = uint40(record >> _DEADLINE_SHIFT);
        if (block.timestamp <= deadline) revert VerifierRequestNotExpired(requestId, deadline);
        uint96 fee = terms.fee;
        if (fee != 0 && !_releaseEscrow(msg.sender, fee)) revert VerifierTermsMismatch(requestId);

        (uint256 validVotes, uint256 invalidVotes) = _expiredCounts(record, deadline);
        _requests[requestId] = _closed(record, _CANCELLED, validVotes, invalidVotes);
        emit RequestCancelled(requestId, msg.sender, fee);
        if (fee != 0) _send(msg.sender, fee);
    }

    /*//////////////////////////////////////////////////////////////
                                 VOTES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    /// @dev Membership is checked before the pause, so an outsider learns nothing about the
    /// verifier's state; every request check comes before the single write of the request word.
    function vote(Vote calldata ballot) external {
        // `_memberWord`, inlined: this is the path every single vote takes.
        uint256 member = _members[msg.sender];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (member & _MEMBER_FLAG == 0) revert VerifierNotOracle(msg.sender);
        // One test for both refusals on the path every vote takes.
        if (member & (_MEMBER_PAUSED_FLAG | _MEMBER_OPTIMISTIC_FLAG) != 0) _refuseMember(member);
        uint256 outcome = _cast(member, ballot);
        if (outcome != _COUNTED) _revertVote(outcome, ballot.requestId);
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev The member word is read again for every entry (a warm read, 100 gas): a consumer
    /// called back by one entry may apply a due oracle set change, and the next entries must be
    /// judged against the set then in force.
    function voteBatch(Vote[] calldata ballots) external returns (uint256 counted) {
        uint256 length = ballots.length;
        // The index is bounded by the calldata length and `counted` by the index: neither can
        // overflow, and unchecked saves a few dozen gas per entry.
        unchecked {
            for (uint256 i; i < length; ++i) {
                Vote calldata ballot = ballots[i];
                uint256 outcome = _cast(_memberWord(), ballot);
                if (outcome == _COUNTED) {
                    ++counted;
                } else {
                    emit VoteSkipped(ballot.requestId, msg.sender, SkipReason(outcome - 1));
                }
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  FEES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    /// @dev Works while paused: earned fees are the oracles' money. Balance zeroed before the
    /// transfer (CEI), so a re-entering recipient finds nothing left to withdraw.
    function withdraw(address payable to) external returns (uint256 amount) {
        amount = _earnings[msg.sender];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (amount == 0) revert VerifierNothingToWithdraw(msg.sender);
        _earnings[msg.sender] = 0;
        emit FeesWithdrawn(msg.sender, to, amount);
        _send(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                               ORACLE SET
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    function announceOracleSetChange(address[] calldata oracles_, uint8 threshold_)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _checkOracleSet(oracles_, threshold_);
        uint48 effectiveAt = uint48(block.timestamp) + _oracleSetDelay;
        _pendingChange = OracleSetChange({oracles: oracles_, threshold: threshold_, effectiveAt: effectiveAt});
        emit OracleSetChangeAnnounced(oracles_, threshold_, effectiveAt);
    }

    /// @inheritdoc ISignatureVerifier
    function cancelOracleSetChange() external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_pendingChange.effectiveAt == 0) revert VerifierNoOracleSetChange();
        delete _pendingChange;
        emit OracleSetChangeCancelled();
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev The announcement is deleted before the new set is installed, so the same change can
    /// never be applied twice.
    function applyOracleSetChange() external {
        uint48 effectiveAt = _pendingChange.effectiveAt;
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (effectiveAt == 0) revert VerifierNoOracleSetChange();
        if (block.timestamp < effectiveAt) revert VerifierOracleSetChangeNotDue(effectiveAt);
        address[] memory next = _pendingChange.oracles;
        uint8 threshold_ = _pendingChange.threshold;
        delete _pendingChange;
        _installOracleSet(next, threshold_);
    }

    /*//////////////////////////////////////////////////////////////
                                 CONFIG
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    function setConfig(Config calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setConfig(config_);
    }

    /*//////////////////////////////////////////////////////////////
                         ON-CHAIN VERIFICATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    function setOnchainVerifier(uint8 algorithm, bool withContext, address verifier, uint32 gasLimit)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        InputSanitizer.checkAlgorithm(algorithm);
        if (verifier != address(0) && (gasLimit == 0 || gasLimit > MAX_ONCHAIN_VERIFY_GAS)) {
            revert VerifierInvalidOnchainVerifier(algorithm, verifier, gasLimit);
        }
        _onchainVerifiers[_form(algorithm, withContext)] =
            uint256(uint160(verifier)) | (uint256(gasLimit) << _VERIFIER_GAS_SHIFT);
        emit OnchainVerifierSet(algorithm, withContext, verifier, gasLimit);
    }

    /// @inheritdoc ISignatureVerifier
    function verifyNow(
        bytes32 keyId,
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature
    ) external view returns (bool) {
        uint8 algorithm = _checkedRequest(keyId, publicKey, message.length, context.length, signature.length);
        return _verifyOnchain(algorithm, context.length != 0, _verifierInput(publicKey, signature, message, context));
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev Key and sizes are checked before the verifier runs, so a malformed request costs no
    /// verification; the request is written only once the verdict is in.
    function requestVerificationNow(
        bytes32 keyId,
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature,
        uint32 callbackGasLimit
    ) external returns (bytes32 requestId, bool valid) {
        _requireNotPaused(_config);
        // The input first: fewer values on the stack then (the legacy pipeline's 16-slot reach).
        bytes memory input = _verifierInput(publicKey, signature, message, context);
        uint8 algorithm = _checkedRequest(keyId, publicKey, message.length, context.length, signature.length);
        valid = _verifyOnchain(algorithm, context.length != 0, input);
        requestId = _openSettled(keyId, algorithm, _writePayload(message, context, signature), callbackGasLimit, valid);
    }

    /*//////////////////////////////////////////////////////////////
                             OPTIMISTIC MODE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    /// @dev Every member word carries a copy of the mode (so a vote needs no extra cold read): a
    /// change of mode rewrites them, as pausing does.
    function setOptimisticConfig(OptimisticConfig calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        bool enabled = config_.enabled;
        if (enabled && (config_.bond == 0 || config_.challengeWindow == 0)) {
            revert VerifierInvalidOptimisticConfig(config_.bond, config_.challengeWindow);
        }
        uint256 previous = _optimistic;
        _optimistic = uint256(config_.bond) | (uint256(config_.challengeWindow) << _WINDOW_SHIFT)
            | (enabled ? _OPTIMISTIC_FLAG : 0);
        if (enabled != (previous & _OPTIMISTIC_FLAG != 0)) _copyMemberFlag(_MEMBER_OPTIMISTIC_FLAG, enabled);
        emit OptimisticConfigSet(enabled, config_.bond, config_.challengeWindow);
    }

    /// @inheritdoc ISignatureVerifier
    function depositBond() external payable {
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (msg.value == 0) revert VerifierZeroDeposit();
        // All the ether in existence is far below 2**255 wei: the barred bit cannot be reached.
        unchecked {
            _bonds[msg.sender] += msg.value;
        }
        emit BondDeposited(msg.sender, msg.value);
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev Balance lowered before the transfer (CEI).
    function withdrawBond(uint256 amount, address payable to) external {
        uint256 word = _bonds[msg.sender];
        uint256 available = word & ~_BARRED_FLAG;
        if (amount > available) revert VerifierInsufficientBond(msg.sender, available, amount);
        // Checked just above: the free bond holds at least `amount`, so the flag bit is untouched.
        unchecked {
            _bonds[msg.sender] = word - amount;
        }
        emit BondWithdrawn(msg.sender, to, amount);
        _send(to, amount);
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev Checks in the order a vote makes them, then the bond; the request word (now Posted),
    /// the post word and the bond word are written before the event.
    function post(Vote calldata ballot) external {
        uint256 member = _members[msg.sender];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (member & _MEMBER_FLAG == 0) revert VerifierNotOracle(msg.sender);
        if (member & _MEMBER_PAUSED_FLAG != 0) revert EnforcedPause();
        uint256 optimistic = _optimistic;
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (optimistic & _OPTIMISTIC_FLAG == 0) revert VerifierWrongMode(false);
        bytes32 requestId = ballot.requestId;
        uint256 record = _requests[requestId];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (record == 0) revert VerifierUnknownRequest(requestId);
        if (record & _HASH_BITS != _termsHash(ballot.terms)) revert VerifierTermsMismatch(requestId);
        if (record >> _STATUS_SHIFT != _PENDING) revert VerifierRequestNotPending(requestId);
        uint40 deadline = uint40(record >> _DEADLINE_SHIFT);
        if (block.timestamp > deadline) revert VerifierRequestExpired(requestId, deadline);

        uint256 bond = uint96(optimistic);
        uint256 account = _bonds[msg.sender];
        // Barred first: the flag bit would otherwise pass for a huge bond.
        if (account & _BARRED_FLAG != 0) revert VerifierPosterBarred(msg.sender);
        if (account < bond) revert VerifierInsufficientBond(msg.sender, account, bond);
        uint256 finalizesAt = block.timestamp + uint32(optimistic >> _WINDOW_SHIFT);
        bool valid = ballot.valid;
        // `account >= bond` was checked; a timestamp plus a uint32 stays far below 2**40.
        unchecked {
            _bonds[msg.sender] = account - bond;
        }
        _requests[requestId] = (record & _TERMS_AND_DEADLINE_BITS) | (finalizesAt << _FINALIZES_AT_SHIFT)
            | ((valid ? uint256(1) : 0) << _POSTED_VALID_SHIFT) | (_POSTED << _STATUS_SHIFT);
        _posts[requestId] = uint256(uint160(msg.sender)) | (bond << 160);
        emit VerdictPosted(requestId, msg.sender, valid, uint96(bond), uint40(finalizesAt));
    }

    /// @inheritdoc ISignatureVerifier
    function finalize(bytes32 requestId, RequestTerms calldata terms) external {
        _requireNotPaused(_config);
        uint256 record = _postedRecord(requestId, terms);
        uint40 finalizesAt = uint40(record >> _FINALIZES_AT_SHIFT);
        if (block.timestamp < finalizesAt) revert VerifierChallengeWindowOpen(requestId, finalizesAt);
        _confirm(requestId, record, terms);
    }

    /// @inheritdoc ISignatureVerifier
    /// @dev The evidence is checked (key id, then commitment) before the verifier runs, so a
    /// challenge with the wrong bytes costs only the hashing. Everything the outcome changes is
    /// written before the consumer callback, which comes last.
    function challenge(bytes32 requestId, RequestTerms calldata terms, Evidence calldata evidence)
        external
        returns (bool overturned)
    {
        uint256 record = _postedRecord(requestId, terms);
        {
            uint40 finalizesAt = uint40(record >> _FINALIZES_AT_SHIFT);
            if (block.timestamp >= finalizesAt) revert VerifierChallengeWindowClosed(requestId, finalizesAt);
        }
        bool valid = _judge(requestId, terms.commitment, evidence);
        overturned = valid != ((record >> _POSTED_VALID_SHIFT) & 1 != 0);
        if (overturned) {
            _overturn(requestId, record, terms, valid);
        } else {
            // Confirming finalises the posted verdict, which `finalize` refuses while paused: the
            // same here (a pause may be about a faulty verifier). Overturning stays open.
            _requireNotPaused(_config);
            emit VerdictChallenged(requestId, msg.sender, address(uint160(_posts[requestId])), false, valid, 0, 0);
            _confirm(requestId, record, terms);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISignatureVerifier
    /// @dev The counts are those of the current members while a request is open; those of the
    /// current members who held their slots by its deadline once it is past it (nobody else can
    /// have voted on it); and, once it is final or cancelled, those that stood when it closed (a
    /// final request's are its {VerificationFinalized} event's), which never change again.
    function statusOf(bytes32 requestId) public view returns (RequestStatus memory result) {
        uint256 record = _requests[requestId];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (record == 0) return result;
        uint40 deadline = uint40(record >> _DEADLINE_SHIFT);
        Status status = Status(record >> _STATUS_SHIFT);
        uint256 validVotes;
        uint256 invalidVotes;
        // An enum compared with one of its values, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (status == Status.Posted) {
            // The posted verdict, counted as the one vote it is.
            validVotes = (record >> _POSTED_VALID_SHIFT) & 1;
            invalidVotes = 1 - validVotes;
        } else if (status != Status.Pending) {
            // Closed: the counts `_closed` stored.
            validVotes = (record >> _VALID_SHIFT) & 0xff;
            invalidVotes = (record >> _INVALID_SHIFT) & 0xff;
        } else if (block.timestamp > deadline) {
            status = Status.Expired;
            (validVotes, invalidVotes) = _expiredCounts(record, deadline);
        } else {
            (validVotes, invalidVotes) = _tally(record, _oracleSet & _MASK_48);
        }
        result = RequestStatus({
            status: status,
            validVotes: uint8(validVotes),
            invalidVotes: uint8(invalidVotes),
            deadline: deadline
        });
    }

    /// @inheritdoc ISignatureVerifier
    function isCommitted(bytes32 requestId, RequestTerms calldata terms) public view returns (bool) {
        uint256 record = _requests[requestId];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        return record != 0 && record & _HASH_BITS == _termsHash(terms);
    }

    /// @notice Most requests `statusesOf` reads in one call.
    uint256 public constant MAX_STATUS_BATCH = 256;

    /// @inheritdoc ISignatureVerifier
    /// @dev Each entry is `statusOf` and `isCommitted` themselves (public for this, not external):
    /// one definition of both answers. An oracle reads a whole batch's state in one call, which a
    /// node runs once, instead of one call per request.
    function statusesOf(bytes32[] calldata requestIds, RequestTerms[] calldata terms)
        external
        view
        returns (RequestStatus[] memory statuses, bool[] memory committed)
    {
        uint256 count = requestIds.length;
        if (count > MAX_STATUS_BATCH) revert VerifierStatusBatchTooLarge(count, MAX_STATUS_BATCH);
        if (terms.length != 0 && terms.length != count) {
            revert VerifierStatusBatchMismatch(count, terms.length);
        }
        statuses = new RequestStatus[](count);
        committed = new bool[](terms.length);
        for (uint256 i; i < count; ++i) {
            statuses[i] = statusOf(requestIds[i]);
            if (terms.length != 0) committed[i] = isCommitted(requestIds[i], terms[i]);
        }
    }

    /// @inheritdoc ISignatureVerifier
    function requestIdOf(address requester, uint256 nonce) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), requester, nonce));
    }

    /// @inheritdoc ISignatureVerifier
    function requestCountOf(address requester) external view returns (uint256) {
        return uint64(_requesters[requester]);
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
    function oracles() external view returns (address[] memory) {
        return _oracles;
    }

    /// @inheritdoc ISignatureVerifier
    function threshold() external view returns (uint8) {
        return uint8(_oracleSet >> _THRESHOLD_SHIFT);
    }

    /// @inheritdoc ISignatureVerifier
    function isOracle(address account) external view returns (bool) {
        return _members[account] & _MEMBER_FLAG != 0;
    }

    /// @inheritdoc ISignatureVerifier
    function pendingOracleSetChange() external view returns (OracleSetChange memory) {
        return _pendingChange;
    }

    /// @inheritdoc ISignatureVerifier
    function oracleSetDelay() external view returns (uint48) {
        return _oracleSetDelay;
    }

    /// @inheritdoc ISignatureVerifier
    function config() external view returns (Config memory) {
        uint256 word = _config;
        return Config({
            minFee: uint96(word),
            defaultTimeout: uint32(word >> _DEFAULT_TIMEOUT_SHIFT),
            minTimeout: uint32(word >> _MIN_TIMEOUT_SHIFT),
            maxTimeout: uint32(word >> _MAX_TIMEOUT_SHIFT),
            maxCallbackGasLimit: uint32(word >> _MAX_CALLBACK_GAS_SHIFT)
        });
    }

    /// @inheritdoc ISignatureVerifier
    function earnedOf(address oracle) external view returns (uint256) {
        return _earnings[oracle];
    }

    /// @inheritdoc ISignatureVerifier
    function onchainVerifierOf(uint8 algorithm, bool withContext)
        external
        view
        returns (address verifier, uint32 gasLimit)
    {
        uint256 word = _onchainVerifiers[_form(algorithm, withContext)];
        return (address(uint160(word)), uint32(word >> _VERIFIER_GAS_SHIFT));
    }

    /// @inheritdoc ISignatureVerifier
    function optimisticConfig() external view returns (OptimisticConfig memory) {
        uint256 word = _optimistic;
        return OptimisticConfig({
            enabled: word & _OPTIMISTIC_FLAG != 0,
            bond: uint96(word),
            challengeWindow: uint32(word >> _WINDOW_SHIFT)
        });
    }

    /// @inheritdoc ISignatureVerifier
    function bondOf(address account) external view returns (uint256 available, bool barred) {
        uint256 word = _bonds[account];
        return (word & ~_BARRED_FLAG, word & _BARRED_FLAG != 0);
    }

    /// @inheritdoc ISignatureVerifier
    function postOf(bytes32 requestId) external view returns (Post memory result) {
        uint256 word = _posts[requestId];
        if (word != 0) {
            uint256 record = _requests[requestId];
            result = Post({
                poster: address(uint160(word)),
                bond: uint96(word >> 160),
                valid: (record >> _POSTED_VALID_SHIFT) & 1 != 0,
                finalizesAt: uint40(record >> _FINALIZES_AT_SHIFT)
            });
        }
    }

    /// @inheritdoc ISignatureVerifier
    function typeAndVersion() external pure returns (string memory) {
        return "SignatureVerifier 2.1.0";
    }

    /// @notice ERC-165: also reports `ISignatureVerifier`.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ISignatureVerifier).interfaceId || super.supportsInterface(interfaceId);
    }

    /*//////////////////////////////////////////////////////////////
                                 PAUSE
    //////////////////////////////////////////////////////////////*/

    /// @dev Keeps the paused copies in the config word and in every member word in step with
    /// OpenZeppelin's flag, which requests and votes then never read (a cold slot saved each).
    function _pause() internal override {
        super._pause();
        _config |= _CONFIG_PAUSED_FLAG;
        _copyMemberFlag(_MEMBER_PAUSED_FLAG, true);
    }

    /// @dev See `_pause`.
    function _unpause() internal override {
        super._unpause();
        _config &= ~_CONFIG_PAUSED_FLAG;
        _copyMemberFlag(_MEMBER_PAUSED_FLAG, false);
    }

    /// @dev Sets or clears `flag` in every member word.
    function _copyMemberFlag(uint256 flag, bool on) private {
        address[] storage members = _oracles;
        uint256 length = members.length;
        for (uint256 i; i < length; ++i) {
            address member = members[i];
            uint256 word = _members[member];
            _members[member] = on ? word | flag : word & ~flag;
        }
    }

    function _requireNotPaused(uint256 config_) private pure {
        if (config_ & _CONFIG_PAUSED_FLAG != 0) revert EnforcedPause();
    }

    /*//////////////////////////////////////////////////////////////
                           INTERNAL: REQUESTS
    //////////////////////////////////////////////////////////////*/

    function _registerKey(uint8 algorithm, bytes calldata publicKey) private returns (bytes32 keyId) {
        // Sizes first: the key id of a malformed key is never computed.
        InputSanitizer.checkPublicKey(algorithm, publicKey.length);
        keyId = keccak256(abi.encodePacked(algorithm, publicKey));
        // A registered key keeps its first record: registering it again is a no-op, so nobody can
        // front-run the owner's call into a revert.
        if (_keys[keyId].algorithm != 0) return keyId;
        // Block numbers fit in 64 bits for the lifetime of any chain; the cast only saves a slot.
        _keys[keyId] = KeyRecord({algorithm: algorithm, registrant: msg.sender, registeredAt: uint64(block.number)});
        emit KeyRegistered(keyId, algorithm, msg.sender, publicKey);
    }

    /// @dev Checks the request's parameters and returns its deadline.
    function _checkTerms(uint256 config_, uint32 callbackGasLimit, uint32 timeout) private view returns (uint256) {
        uint256 minFee = uint96(config_);
        if (msg.value < minFee) revert VerifierFeeTooLow(msg.value, minFee);
        if (msg.value > type(uint96).max) revert VerifierFeeTooHigh(msg.value);
        if (timeout == 0) {
            timeout = uint32(config_ >> _DEFAULT_TIMEOUT_SHIFT);
        } else {
            uint32 minTimeout = uint32(config_ >> _MIN_TIMEOUT_SHIFT);
            uint32 maxTimeout = uint32(config_ >> _MAX_TIMEOUT_SHIFT);
            if (timeout < minTimeout || timeout > maxTimeout) {
                revert VerifierTimeoutOutOfRange(timeout, minTimeout, maxTimeout);
            }
        }
        uint32 maxCallbackGas = uint32(config_ >> _MAX_CALLBACK_GAS_SHIFT);
        if (callbackGasLimit > maxCallbackGas) revert VerifierCallbackGasTooHigh(callbackGasLimit, maxCallbackGas);
        // A uint40 timestamp lasts until the year 36812; adding a uint32 cannot overflow uint256.
        return block.timestamp + timeout;
    }

    /// @dev Opens a request whose message, context and signature `_writePayload` has put in memory.
    function _open(
        uint256 config_,
        bytes32 keyId,
        uint8 algorithm,
        uint256 payload,
        uint32 callbackGasLimit,
        uint32 timeout
    ) private returns (bytes32 requestId) {
        {
            (uint256 messageLength, uint256 contextLength, uint256 signatureLength) = _payloadLengths(payload);
            InputSanitizer.checkSignature(algorithm, signatureLength);
            InputSanitizer.checkMessage(messageLength);
            InputSanitizer.checkContext(contextLength);
        }
        uint256 deadline = _checkTerms(config_, callbackGasLimit, timeout);
        bytes32 commitment = _commitment(payload, keyId);

        uint256 requester = _requesters[msg.sender];
        uint256 nonce = uint64(requester);
        requestId = requestIdOf(msg.sender, nonce);
        // One more request and msg.value (< 2**96, checked) more escrow: the count cannot reach
        // 2**64 nor the escrow 2**192, so neither field overflows into the other.
        unchecked {
            _requesters[msg.sender] = requester + 1 + (msg.value << _ESCROW_SHIFT);
        }
        uint256 termsHash = uint256(
            keccak256(abi.encode(commitment, msg.sender, uint96(msg.value), callbackGasLimit))
        ) & _HASH_BITS;
        _requests[requestId] = termsHash | (deadline << _DEADLINE_SHIFT) | (_PENDING << _STATUS_SHIFT);
        _logRequested(payload, requestId, keyId, commitment, callbackGasLimit, deadline, nonce);
    }

    /// @dev Lengths of the message, context and signature `_writePayload` wrote.
    function _payloadLengths(uint256 payload)
        private
        pure
        returns (uint256 messageLength, uint256 contextLength, uint256 signatureLength)
    {
        assembly ("memory-safe") {
            let start := and(payload, 0xffffffffffffffff)
            messageLength := mload(start)
            contextLength := mload(add(start, and(shr(64, payload), 0xffffffffffffffff)))
            signatureLength := mload(add(start, and(shr(128, payload), 0xffffffffffffffff)))
        }
    }

    /// @dev Writes the ABI tails of `message`, `context` and `signature` (length word, bytes, zero
    /// padding) once, 8 words past the free memory pointer, and returns where: the start in bits
    /// [0, 64), the context's and the signature's offsets from it in [64, 128) and [128, 192), the
    /// end in [192, 256). The commitment's encoding and the event's data share these tails and differ
    /// only in the head words written in front of them, so the payload, most of a request's bytes,
    /// is copied to memory once instead of twice (and the memory expansion is paid once).
    function _writePayload(bytes calldata message, bytes calldata context, bytes calldata signature)
        private
        pure
        returns (uint256 payload)
    {
        assembly ("memory-safe") {
            let start := add(mload(0x40), 0x100)
            let end := start
            // Each field: its length word, its bytes, then a zero word that clears the padding
            // (the next field's length word overwrites whatever of it lies beyond the padding).
            mstore(end, message.length)
            calldatacopy(add(end, 0x20), message.offset, message.length)
            end := add(add(end, 0x20), message.length)
            mstore(end, 0)
            end := add(start, and(add(add(message.length, 0x20), 0x1f), not(0x1f)))
            let contextAt := sub(end, start)
            mstore(end, context.length)
            calldatacopy(add(end, 0x20), context.offset, context.length)
            let contextEnd := add(add(end, 0x20), context.length)
            mstore(contextEnd, 0)
            end := add(end, and(add(add(context.length, 0x20), 0x1f), not(0x1f)))
            let signatureAt := sub(end, start)
            mstore(end, signature.length)
            calldatacopy(add(end, 0x20), signature.offset, signature.length)
            let signatureEnd := add(add(end, 0x20), signature.length)
            mstore(signatureEnd, 0)
            end := add(end, and(add(add(signature.length, 0x20), 0x1f), not(0x1f)))
            mstore(0x40, end)
            payload := or(or(start, shl(64, contextAt)), or(shl(128, signatureAt), shl(192, end)))
        }
    }

    /// @dev keccak256(abi.encode(keyId, message, context, signature)) over the tails `_writePayload`
    /// wrote: the four head words go right in front of them.
    function _commitment(uint256 payload, bytes32 keyId) private pure returns (bytes32 commitment) {
        assembly ("memory-safe") {
            let start := and(payload, 0xffffffffffffffff)
            let head := sub(start, 0x80)
            mstore(head, keyId)
            mstore(add(head, 0x20), 0x80)
            mstore(add(head, 0x40), add(0x80, and(shr(64, payload), 0xffffffffffffffff)))
            mstore(add(head, 0x60), add(0x80, and(shr(128, payload), 0xffffffffffffffff)))
            commitment := keccak256(head, sub(shr(192, payload), head))
        }
    }

    /// @dev Emits `VerificationRequested` with the tails `_writePayload` wrote as its dynamic part:
    /// the eight head words (five values, three offsets) go right in front of them.
    function _logRequested(
        uint256 payload,
        bytes32 requestId,
        bytes32 keyId,
        bytes32 commitment,
        uint32 callbackGasLimit,
        uint256 deadline,
        uint256 nonce
    ) private {
        bytes32 topic = VerificationRequested.selector;
        assembly ("memory-safe") {
            let start := and(payload, 0xffffffffffffffff)
            let head := sub(start, 0x100)
            mstore(head, commitment)
            mstore(add(head, 0x20), callvalue())
            mstore(add(head, 0x40), callbackGasLimit)
            mstore(add(head, 0x60), deadline)
            mstore(add(head, 0x80), nonce)
            mstore(add(head, 0xa0), 0x100)
            mstore(add(head, 0xc0), add(0x100, and(shr(64, payload), 0xffffffffffffffff)))
            mstore(add(head, 0xe0), add(0x100, and(shr(128, payload), 0xffffffffffffffff)))
            log4(head, sub(shr(192, payload), head), topic, requestId, keyId, caller())
        }
    }

    /// @dev The stored 112 bits of `keccak256(abi.encode(terms))`. The struct is static, so its four
    /// words sit in calldata exactly as `abi.encode` writes them: they are hashed in place rather
    /// than decoded and re-encoded field by field. A word with dirty high bits hashes differently
    /// and is refused as a mismatch, as a decoder would refuse it.
    function _termsHash(RequestTerms calldata terms) private pure returns (uint256 hash) {
        assembly ("memory-safe") {
            let buffer := mload(0x40)
            calldatacopy(buffer, terms, 0x80)
            hash := and(keccak256(buffer, 0x80), 0xffffffffffffffffffffffffffff)
        }
    }

    /// @dev Takes `fee` (non-zero) out of `requester`'s escrow; false when it holds less (terms that hash like
    /// the real ones but name a larger fee: see the contract's Note).
    function _releaseEscrow(address requester, uint256 fee) private returns (bool) {
        uint256 word = _requesters[requester];
        if (word >> _ESCROW_SHIFT < fee) return false;
        // Checked just above: the escrow field holds at least `fee`.
        unchecked {
            _requesters[requester] = word - (fee << _ESCROW_SHIFT);
        }
        return true;
    }

    /// @dev Sends `amount` wei to `to` with all gas and without copying any return data (a
    /// recipient returning megabytes cannot make the sender pay for them).
    function _send(address to, uint256 amount) private {
        bool success;
        assembly ("memory-safe") {
            success := call(gas(), to, amount, 0, 0, 0, 0)
        }
        if (!success) revert VerifierTransferFailed(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                            INTERNAL: VOTES
    //////////////////////////////////////////////////////////////*/

    /// @dev The caller's member word; reverts for an outsider, then when paused, then in
    /// optimistic mode (where votes do not count).
    function _memberWord() private view returns (uint256 word) {
        word = _members[msg.sender];
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (word & _MEMBER_FLAG == 0) revert VerifierNotOracle(msg.sender);
        if (word & (_MEMBER_PAUSED_FLAG | _MEMBER_OPTIMISTIC_FLAG) != 0) _refuseMember(word);
    }

    /// @dev Reverts for member word `word` of a paused verifier or one in optimistic mode.
    function _refuseMember(uint256 word) private pure {
        if (word & _MEMBER_PAUSED_FLAG != 0) revert EnforcedPause();
        revert VerifierWrongMode(true);
    }

    /// @dev Counts one ballot of the oracle whose member word is `member`: `_COUNTED`, or a skip
    /// code, in which case nothing was written. Order: the request word is written (final status
    /// included) before any event, fee credit or callback.
    ///
    /// Gas: this is the path every vote takes, so the request word's storage slot is hashed once
    /// for both the read and the write (Solidity would hash the key twice), the restated terms are
    /// read as plain calldata words once they have matched the stored hash (a word with dirty bits
    /// cannot match it, so the decoder's cleanup checks have nothing left to catch), and the two
    /// common events are logged directly.
    function _cast(uint256 member, Vote calldata ballot) private returns (uint256) {
        uint256 slot;
        uint256 record;
        uint256 termsHash;
        assembly ("memory-safe") {
            mstore(0x00, calldataload(ballot))
            mstore(0x20, _requests.slot)
            slot := keccak256(0x00, 0x40)
            record := sload(slot)
            // `_termsHash`, inlined: the terms are the ballot's last four words.
            let buffer := mload(0x40)
            calldatacopy(buffer, add(ballot, 0x40), 0x80)
            termsHash := and(keccak256(buffer, 0x80), _HASH_BITS)
        }
        if (record == 0) return _SKIP_UNKNOWN;
        if (record & _HASH_BITS != termsHash) return _SKIP_MISMATCH;
        if (record >> _STATUS_SHIFT != _PENDING) return _SKIP_NOT_PENDING;
        if (block.timestamp > (record >> _DEADLINE_SHIFT) & _MASK_40) return _SKIP_EXPIRED;
        uint256 voted = record >> _VALID_SHIFT;
        // Both masks shifted down and OR-ed: the low 48 bits say who voted at all.
        if ((voted | (voted >> 48)) & (1 << ((member >> _SLOT_SHIFT) & 0xff)) != 0) return _SKIP_ALREADY_VOTED;
        return _count(member, ballot, slot, record);
    }

    /// @dev Adds a checked ballot to request word `record` at storage `slot`, writes it, logs and,
    /// when the vote finalises, settles; returns `_COUNTED`, or `_SKIP_MISMATCH` for terms whose
    /// fee the requester never escrowed (nothing written then).
    function _count(uint256 member, Vote calldata ballot, uint256 slot, uint256 record) private returns (uint256) {
        // The verdict as 0 or 1, so that the side it lands on, the counts and the new status are
        // arithmetic rather than branches.
        uint256 valid;
        bytes32 requestId;
        assembly ("memory-safe") {
            requestId := calldataload(ballot)
            valid := calldataload(add(ballot, 0x20))
            // What the ABI decoder does for a bool that is neither 0 nor 1.
            if gt(valid, 1) { revert(0, 0) }
        }
        uint256 winners;
        uint256 validVotes;
        uint256 invalidVotes;
        bool finalises;
        bool disputed;
        // Valid votes sit 48 bits below Invalid ones; counts are at most 48, status 1..3: none of
        // this can overflow.
        unchecked {
            uint256 side = _INVALID_SHIFT - valid * 48;
            record |= (1 << ((member >> _SLOT_SHIFT) & 0xff)) << side;
            (validVotes, invalidVotes) = _tally(record, member & _MASK_48);
            uint256 mine = valid * validVotes + (1 - valid) * invalidVotes;
            finalises = mine >= (member >> _THRESHOLD_SHIFT) & 0xff;
            disputed = validVotes + invalidVotes != mine;
        }
        if (finalises) {
            uint256 fee;
            assembly ("memory-safe") {
                fee := calldataload(add(ballot, 0x80))
            }
            if (fee != 0) {
                if (!_releaseEscrow(ballot.terms.requester, fee)) return _SKIP_MISMATCH;
                // The current oracles on this vote's side share the fee: read from the masks
                // before the counts replace them, and only when there is a fee to share.
                unchecked {
                    winners = (record >> (_INVALID_SHIFT - valid * 48)) & member & _MASK_48;
                }
            }
            // Pending (1) to Valid (2) or Invalid (3), with the counts in place of the masks,
            // written with the vote: final before anything below can run, the consumer callback
            // included. `_closed`, inlined: a call would cost this path a hundred gas. From bit
            // 152 up, the Valid count sits at 0, the Invalid count at 48 and the status at 96,
            // shifted into place together.
            assembly ("memory-safe") {
                record := or(
                    and(record, _TERMS_AND_DEADLINE_BITS),
                    shl(_VALID_SHIFT, or(or(validVotes, shl(48, invalidVotes)), shl(96, sub(_INVALID, valid))))
                )
            }
        }
        assembly ("memory-safe") {
            sstore(slot, record)
        }
        if (disputed) {
            emit VerificationDisputed(requestId, msg.sender, valid == 1, uint8(validVotes), uint8(invalidVotes));
        }
        if (!finalises) {
            bytes32 castTopic = VoteCast.selector;
            assembly ("memory-safe") {
                mstore(0x00, valid)
                log3(0x00, 0x20, castTopic, requestId, caller())
            }
            return _COUNTED;
        }
        bytes32 finalTopic = VerificationFinalized.selector;
        uint256 fee;
        uint256 callbackGasLimit;
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, valid)
            mstore(add(data, 0x20), calldataload(add(ballot, 0x40)))
            mstore(add(data, 0x40), validVotes)
            mstore(add(data, 0x60), invalidVotes)
            log2(data, 0x80, finalTopic, requestId)
            fee := calldataload(add(ballot, 0x80))
            callbackGasLimit := calldataload(add(ballot, 0xa0))
        }
        if (fee != 0) _payFee(fee, winners);
        if (callbackGasLimit != 0) _callBack(requestId, ballot.terms.requester, valid == 1, callbackGasLimit);
        return _COUNTED;
    }

    /// @dev Splits `fee` equally among the oracles of `winners` (slot bits); the remainder of the
    /// division goes to the finalising oracle, so no wei is ever left unaccounted for.
    function _payFee(uint256 fee, uint256 winners) private {
        uint256 count = _popcount(winners);
        uint256 share = fee / count;
        for (uint256 slot; winners != 0; ++slot) {
            if (winners & 1 != 0) _earnings[address(uint160(_slots[slot]))] += share;
            winners >>= 1;
        }
        _earnings[msg.sender] += fee % count;
    }

    /// @dev Calls the consumer back with exactly `gasLimit` gas. EIP-150 would hand it at most
    /// 63/64 of what is left, so a caller could otherwise make a callback fail by sending too little
    /// gas; instead the vote reverts unless 63/64 of what remains after `_GAS_FOR_CALLBACK_CHECK`
    /// exceeds the limit (VRF v2.5's check). No return data is copied, a revert is not bubbled, and
    /// an account without code is a failed callback, not a revert.
    function _callBack(bytes32 requestId, address consumer, bool valid, uint256 gasLimit) private {
        bytes memory data = abi.encodeCall(IVerificationConsumer.onVerification, (requestId, valid));
        bool success;
        if (consumer.code.length != 0) {
            uint256 available;
            assembly ("memory-safe") {
                let g := gas()
                // Measured right before the CALL: only a few dozen gas are spent in between, and
                // `_GAS_FOR_CALLBACK_CHECK` covers them, the CALL's own cost and the work after it.
                if gt(g, _GAS_FOR_CALLBACK_CHECK) {
                    let usable := sub(g, _GAS_FOR_CALLBACK_CHECK)
                    if gt(sub(usable, div(usable, 64)), gasLimit) {
                        success := call(gasLimit, consumer, 0, add(data, 0x20), mload(data), 0, 0)
                        g := 0
                    }
                }
                available := g
            }
            if (available != 0) revert VerifierInsufficientGasForCallback(available, uint32(gasLimit));
        }
        emit CallbackDelivered(requestId, consumer, success);
    }

    /// @dev Reverts with the error `vote` owes for skip code `outcome`.
    function _revertVote(uint256 outcome, bytes32 requestId) private view {
        if (outcome == _SKIP_UNKNOWN) revert VerifierUnknownRequest(requestId);
        if (outcome == _SKIP_MISMATCH) revert VerifierTermsMismatch(requestId);
        if (outcome == _SKIP_NOT_PENDING) revert VerifierRequestNotPending(requestId);
        if (outcome == _SKIP_EXPIRED) {
            revert VerifierRequestExpired(requestId, uint40(_requests[requestId] >> _DEADLINE_SHIFT));
        }
        revert VerifierAlreadyVoted(requestId, msg.sender);
    }

    /// @dev Votes of the `active` slots on each side of request word `record`.
    ///
    /// Gas: one SWAR popcount counts both sides at once. Shifted down, the word holds the Valid
    /// mask in bits [0, 48) and the Invalid mask in [48, 96); 48 is a multiple of 8, so no pair,
    /// nibble or byte straddles the two. After the pair, nibble and byte steps every byte holds its
    /// own count (at most 8), and one multiply by six 0x01 bytes sums bytes 0..5 into byte 5 and
    /// bytes 6..11 into byte 11 (at most 48 each: no carry crosses a byte). About 40 gas, against
    /// two calls of a one-mask popcount or a loop over 96 bits.
    function _tally(uint256 record, uint256 active) private pure returns (uint256 validVotes, uint256 invalidVotes) {
        // Every intermediate stays below 2**136: no overflow is possible.
        unchecked {
            uint256 x = (record >> _VALID_SHIFT) & (active | (active << 48));
            x -= (x >> 1) & 0x555555555555555555555555;
            x = (x & 0x333333333333333333333333) + ((x >> 2) & 0x333333333333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f0f0f0f0f;
            x *= 0x010101010101;
            validVotes = (x >> 40) & 0xff;
            invalidVotes = (x >> 88) & 0xff;
        }
    }

    /// @dev Votes of the current members on pending request word `record` past its `deadline`,
    /// counting a slot only if its holder took it at or before the deadline. A slot taken later
    /// was released and cooled down after the request's last possible vote (the contract's
    /// notes), so its bit, if set, is an earlier holder's vote, and its holder cannot have voted.
    /// Reads the slot words of the current members that are in the masks, none when nobody voted.
    function _expiredCounts(uint256 record, uint256 deadline)
        private
        view
        returns (uint256 validVotes, uint256 invalidVotes)
    {
        uint256 candidates = ((record >> _VALID_SHIFT) | (record >> _INVALID_SHIFT)) & _MASK_48;
        if (candidates != 0) {
            candidates &= _oracleSet;
            uint256 counted = 0;
            for (uint256 slot; candidates != 0; ++slot) {
                if (candidates & 1 != 0 && (_slots[slot] >> _TAKEN_SHIFT) & _MASK_48 <= deadline) {
                    counted |= 1 << slot;
                }
                candidates >>= 1;
            }
            (validVotes, invalidVotes) = _tally(record, counted);
        }
    }

    /// @dev Pending request word `record` closed with `status`: the terms hash and deadline kept,
    /// the two vote masks replaced by the two counts (at most 48 each: 8 bits are plenty).
    function _closed(uint256 record, uint256 status, uint256 validVotes, uint256 invalidVotes)
        private
        pure
        returns (uint256)
    {
        return (record & _TERMS_AND_DEADLINE_BITS) | (validVotes << _VALID_SHIFT)
            | (invalidVotes << _INVALID_SHIFT) | (status << _STATUS_SHIFT);
    }

    /// @dev Set bits of a 48-bit mask, with `_tally`'s SWAR steps.
    function _popcount(uint256 x) private pure returns (uint256) {
        // Every intermediate stays below 2**96: no overflow is possible.
        unchecked {
            x -= (x >> 1) & 0x555555555555;
            x = (x & 0x333333333333) + ((x >> 2) & 0x333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f;
            return ((x * 0x010101010101) >> 40) & 0xff;
        }
    }

    /*//////////////////////////////////////////////////////////////
                  INTERNAL: ON-CHAIN VERIFIER, OPTIMISTIC
    //////////////////////////////////////////////////////////////*/

    /// @dev The algorithm of registered key `keyId`, after checking that `publicKey` hashes to it
    /// and that the sizes fit it and FIPS 204.
    function _checkedRequest(
        bytes32 keyId,
        bytes calldata publicKey,
        uint256 messageLength,
        uint256 contextLength,
        uint256 signatureLength
    ) private view returns (uint8 algorithm) {
        algorithm = _keys[keyId].algorithm;
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (algorithm == 0) revert VerifierUnknownKey(keyId);
        if (keccak256(abi.encodePacked(algorithm, publicKey)) != keyId) revert VerifierKeyMismatch(keyId);
        InputSanitizer.checkSignature(algorithm, signatureLength);
        InputSanitizer.checkMessage(messageLength);
        InputSanitizer.checkContext(contextLength);
    }

    /// @dev Opens a request on the payload `_writePayload` wrote and closes it at once with the
    /// on-chain verdict `valid` (no votes), then calls the requester back. No fee: the minimum fee
    /// field of the config is cleared for `_open` (the caller is not payable, so the fee `_open`
    /// escrows, `msg.value`, is 0).
    function _openSettled(bytes32 keyId, uint8 algorithm, uint256 payload, uint32 callbackGasLimit, bool valid)
        private
        returns (bytes32 requestId)
    {
        requestId = _open(_config & ~uint256(type(uint96).max), keyId, algorithm, payload, callbackGasLimit, 0);
        _finish(
            requestId,
            _closed(_requests[requestId], valid ? _VALID : _INVALID, 0, 0),
            _commitment(payload, keyId),
            msg.sender,
            callbackGasLimit
        );
    }

    /// @dev Key of `_onchainVerifiers` for `algorithm`'s verifier of one form.
    function _form(uint8 algorithm, bool withContext) private pure returns (uint256) {
        return (uint256(algorithm) << 1) | (withContext ? 1 : 0);
    }

    /// @dev The call data of an on-chain verification: EIP-8355's `publicKey ‖ signature ‖
    /// message` for the empty context (what a precompile understands), `IMLDSAVerifier.verify`
    /// otherwise (EIP-8355 has no context). They go to two different addresses: an EIP-8355
    /// verifier given the ABI encoding would read it as a key, a signature and a message and answer
    /// a well-formed 0, a false "invalid".
    function _verifierInput(
        bytes calldata publicKey,
        bytes calldata signature,
        bytes calldata message,
        bytes calldata context
    ) private pure returns (bytes memory) {
        // The key and the signature have their parameter set's fixed lengths (checked before), so
        // the concatenation is unambiguous: it is EIP-8355's input format.
        if (context.length == 0) return bytes.concat(publicKey, signature, message);
        return abi.encodeCall(IMLDSAVerifier.verify, (publicKey, signature, message, context));
    }

    /// @dev Runs `algorithm`'s on-chain verifier of the form `withContext` names on `input` and
    /// returns its verdict.
    ///
    /// Gas: the verifier gets exactly its configured limit, never "whatever is left". Bounded, a
    /// verifier that loops or burns gas cannot take a whole transaction, and the cost of a
    /// challenge has a ceiling the bond can be sized against. Exact, a caller cannot starve it: with
    /// less gas a verifier may run out midway, and one that catches an inner failure could then
    /// answer 0 for a valid signature, which a challenger could use to overturn a true verdict. So
    /// the call is made only if 63/64 of what remains after `_GAS_FOR_CALLBACK_CHECK` exceeds the
    /// limit (the callback's check); otherwise it reverts.
    ///
    /// Anything but one 32-byte word holding 0 or 1 is "unavailable" and reverts, never a verdict:
    /// an address without code (no precompile on this chain) answers a STATICCALL with success and
    /// no data, and a failed call or a foreign answer says nothing about the signature.
    function _verifyOnchain(uint8 algorithm, bool withContext, bytes memory input) private view returns (bool) {
        uint256 word = _onchainVerifiers[_form(algorithm, withContext)];
        address verifier = address(uint160(word));
        uint256 gasLimit = word >> _VERIFIER_GAS_SHIFT;
        if (verifier == address(0)) revert VerifierOnchainUnavailable(algorithm, withContext);
        bool answered;
        uint256 answer;
        uint256 available;
        assembly ("memory-safe") {
            let g := gas()
            // As in `_callBack`: measured right before the STATICCALL, with `_GAS_FOR_CALLBACK_CHECK`
            // covering the few instructions in between and the call's own cost.
            if gt(g, _GAS_FOR_CALLBACK_CHECK) {
                let usable := sub(g, _GAS_FOR_CALLBACK_CHECK)
                if gt(sub(usable, div(usable, 64)), gasLimit) {
                    // Scratch space receives the one word: no return data is copied beyond it.
                    let ok := staticcall(gasLimit, verifier, add(input, 0x20), mload(input), 0x00, 0x20)
                    answer := mload(0x00)
                    answered := and(ok, and(eq(returndatasize(), 0x20), lt(answer, 2)))
                    g := 0
                }
            }
            available := g
        }
        if (available != 0) revert VerifierInsufficientGasForOnchainVerify(available, uint32(gasLimit));
        if (!answered) revert VerifierOnchainUnavailable(algorithm, withContext);
        return answer == 1;
    }

    /// @dev The request word of `requestId` with a posted verdict and terms `terms`.
    function _postedRecord(bytes32 requestId, RequestTerms calldata terms) private view returns (uint256 record) {
        record = _requests[requestId];
        if (record >> _STATUS_SHIFT != _POSTED) revert VerifierNotPosted(requestId);
        if (record & _HASH_BITS != _termsHash(terms)) revert VerifierTermsMismatch(requestId);
    }

    /// @dev The on-chain verdict on `evidence`, after checking that it is the payload committed to
    /// as `commitment`: the key hashes to a key id, and that key id with the message, context and
    /// signature hashes to the commitment (`_commitment`'s encoding).
    function _judge(bytes32 requestId, bytes32 commitment, Evidence calldata evidence) private view returns (bool) {
        uint8 algorithm = evidence.algorithm;
        bytes32 keyId = keccak256(abi.encodePacked(algorithm, evidence.publicKey));
        if (keccak256(abi.encode(keyId, evidence.message, evidence.context, evidence.signature)) != commitment) {
            revert VerifierEvidenceMismatch(requestId);
        }
        return _verifyOnchain(
            algorithm,
            evidence.context.length != 0,
            _verifierInput(evidence.publicKey, evidence.signature, evidence.message, evidence.context)
        );
    }

    /// @dev Makes the posted verdict in `record` final as posted: bond freed, fee to the poster.
    function _confirm(bytes32 requestId, uint256 record, RequestTerms calldata terms) private {
        uint256 postWord = _posts[requestId];
        address poster = address(uint160(postWord));
        uint256 valid = (record >> _POSTED_VALID_SHIFT) & 1;
        uint256 fee = terms.fee;
        if (fee != 0 && !_releaseEscrow(terms.requester, fee)) revert VerifierTermsMismatch(requestId);
        delete _posts[requestId];
        // A bond and a fee are each below 2**96: no sum of them reaches the barred bit or overflows.
        unchecked {
            _bonds[poster] += postWord >> 160;
            if (fee != 0) _earnings[poster] += fee;
        }
        _finish(
            requestId,
            _closed(record, _INVALID - valid, valid, 1 - valid),
            terms.commitment,
            terms.requester,
            terms.callbackGasLimit
        );
    }

    /// @dev Replaces the posted verdict in `record` by the on-chain one, `valid`: the poster's
    /// locked bond, less the burned share, and the fee go to the challenger; the poster is barred
    /// and leaves the oracle set. The burned share simply stays in the verifier, owed to nobody:
    /// no transfer to run, none to fail.
    function _overturn(bytes32 requestId, uint256 record, RequestTerms calldata terms, bool valid) private {
        uint256 postWord = _posts[requestId];
        address poster = address(uint160(postWord));
        uint256 bond = postWord >> 160;
        uint256 burned = (bond * BOND_BURN_PERCENT) / 100;
        uint256 fee = terms.fee;
        if (fee != 0 && !_releaseEscrow(terms.requester, fee)) revert VerifierTermsMismatch(requestId);
        delete _posts[requestId];
        // A bond and a fee are each below 2**96: the sum cannot overflow.
        unchecked {
            _earnings[msg.sender] += bond - burned + fee;
        }
        _expel(poster);
        emit VerdictChallenged(requestId, msg.sender, poster, true, valid, bond - burned, burned);
        // The poster voted the other way: one vote against the final verdict.
        _finish(
            requestId,
            _closed(record, valid ? _VALID : _INVALID, valid ? 0 : 1, valid ? 1 : 0),
            terms.commitment,
            terms.requester,
            terms.callbackGasLimit
        );
    }

    /// @dev Bars `poster` from posting and, if it is still a member, installs the current set
    /// without it at once (the threshold lowered to fit, if need be). No announcement delay: the
    /// delay protects against the admin adding or keeping oracles, and this only removes one that
    /// was proven dishonest on chain. Its slot cools down as after any removal.
    ///
    /// Note: an oracle set change announced before and naming the poster would bring it back as a
    /// voter when applied; the admin should cancel or re-announce it. The bar on posting stays.
    function _expel(address poster) private {
        _bonds[poster] |= _BARRED_FLAG;
        // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        if (_members[poster] & _MEMBER_FLAG == 0) return;
        address[] memory current = _oracles;
        uint256 length = current.length;
        address[] memory next = new address[](length - 1);
        uint256 j = 0;
        for (uint256 i; i < length; ++i) {
            if (current[i] != poster) next[j++] = current[i];
        }
        uint256 threshold_ = (_oracleSet >> _THRESHOLD_SHIFT) & 0xff;
        // An empty set keeps its threshold: nobody is left to vote or post until the admin acts.
        if (threshold_ > length - 1 && length > 1) threshold_ = length - 1;
        _installOracleSet(next, uint8(threshold_));
    }

    /// @dev Writes closed request word `record` of `requestId`, logs the verdict and calls the
    /// consumer back: the last steps of every settlement outside the quorum path.
    function _finish(
        bytes32 requestId,
        uint256 record,
        bytes32 commitment,
        address consumer,
        uint256 callbackGasLimit
    ) private {
        _requests[requestId] = record;
        // A status code compared with one of its values, not a balance or a time: strict is exact.
        // slither-disable-next-line incorrect-equality
        bool valid = record >> _STATUS_SHIFT == _VALID;
        emit VerificationFinalized(
            requestId, valid, commitment, uint8(record >> _VALID_SHIFT), uint8(record >> _INVALID_SHIFT)
        );
        if (callbackGasLimit != 0) _callBack(requestId, consumer, valid, callbackGasLimit);
    }

    /*//////////////////////////////////////////////////////////////
                       INTERNAL: ORACLE SET, CONFIG
    //////////////////////////////////////////////////////////////*/

    function _checkOracleSet(address[] memory next, uint8 threshold_) private pure {
        uint256 length = next.length;
        if (length > MAX_ORACLES) revert VerifierTooManyOracles(length, MAX_ORACLES);
        for (uint256 i; i < length; ++i) {
            address oracle = next[i];
            if (oracle == address(0)) revert VerifierInvalidOracle(oracle);
            for (uint256 j; j < i; ++j) {
                if (next[j] == oracle) revert VerifierInvalidOracle(oracle);
            }
        }
        if (threshold_ == 0 || threshold_ > length) revert VerifierInvalidThreshold(threshold_, length);
    }

    /// @dev Releases the slots of leaving members (cooling down, see the contract's @dev), keeps the
    /// slots of staying ones, gives fresh slots to new ones, then rewrites every member word.
    function _installOracleSet(address[] memory next, uint8 threshold_) private {
        address[] storage current = _oracles;
        uint256 reusableAt = block.timestamp + uint256(_maxTimeoutEver) + 1;
        for (uint256 i; i < current.length; ++i) {
            address leaving = current[i];
            if (_contains(next, leaving)) continue;
            uint256 slot = (_members[leaving] >> _SLOT_SHIFT) & 0xff;
            _slots[slot] = reusableAt << _AVAILABLE_SHIFT;
            delete _members[leaving];
        }

        uint256 length = next.length;
        uint256[] memory slotOf = new uint256[](length);
        uint256 active = 0;
        for (uint256 i; i < length; ++i) {
            uint256 word = _members[next[i]];
            uint256 slot = word & _MEMBER_FLAG != 0 ? (word >> _SLOT_SHIFT) & 0xff : _takeSlot(next[i]);
            slotOf[i] = slot;
            active |= 1 << slot;
        }
        uint256 shared = active | (uint256(threshold_) << _THRESHOLD_SHIFT) | _MEMBER_FLAG;
        if (_config & _CONFIG_PAUSED_FLAG != 0) shared |= _MEMBER_PAUSED_FLAG;
        if (_optimistic & _OPTIMISTIC_FLAG != 0) shared |= _MEMBER_OPTIMISTIC_FLAG;
        for (uint256 i; i < length; ++i) {
            _members[next[i]] = shared | (slotOf[i] << _SLOT_SHIFT);
        }
        _oracles = next;
        _oracleSet = active | (uint256(threshold_) << _THRESHOLD_SHIFT);
        emit OracleSetChanged(next, threshold_);
    }

    /// @dev The lowest slot that is free and cooled down, now held by `oracle`.
    function _takeSlot(address oracle) private returns (uint256) {
        for (uint256 slot; slot < MAX_ORACLE_SLOTS; ++slot) {
            uint256 word = _slots[slot];
            // Zero is an unset storage word or flag here, not a balance or a time: strict is exact.
            // slither-disable-next-line incorrect-equality
            if (uint160(word) == 0 && word >> _AVAILABLE_SHIFT <= block.timestamp) {
                _slots[slot] = uint160(oracle) | (block.timestamp << _TAKEN_SHIFT);
                return slot;
            }
        }
        revert VerifierOracleSlotsExhausted(MAX_ORACLE_SLOTS);
    }

    function _contains(address[] memory list, address account) private pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == account) return true;
        }
        return false;
    }

    function _setConfig(Config memory next) private {
        if (next.minTimeout == 0 || next.minTimeout > next.defaultTimeout || next.defaultTimeout > next.maxTimeout) {
            revert VerifierInvalidTimeouts(next.minTimeout, next.defaultTimeout, next.maxTimeout);
        }
        if (next.maxTimeout > _maxTimeoutEver) _maxTimeoutEver = next.maxTimeout;
        _config = uint256(next.minFee) | (uint256(next.defaultTimeout) << _DEFAULT_TIMEOUT_SHIFT)
            | (uint256(next.minTimeout) << _MIN_TIMEOUT_SHIFT) | (uint256(next.maxTimeout) << _MAX_TIMEOUT_SHIFT)
            | (uint256(next.maxCallbackGasLimit) << _MAX_CALLBACK_GAS_SHIFT) | (_config & _CONFIG_PAUSED_FLAG);
        emit ConfigSet(next.minFee, next.defaultTimeout, next.minTimeout, next.maxTimeout, next.maxCallbackGasLimit);
    }
}
