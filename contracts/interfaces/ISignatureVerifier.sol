// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ISignatureVerifier
/// @notice On-chain half of the post-quantum signature oracle: dApps register ML-DSA (FIPS 204)
/// public keys and open verification requests; a set of oracles verifies off-chain and votes, and a
/// request is final once `threshold` of them agree on verdicts bound to the exact bytes requested
/// (quorum mode). In optimistic mode one bonded oracle posts the verdict instead, final after a
/// challenge window unless anyone proves it wrong with the on-chain verifier, which also answers
/// `verifyNow` and `requestVerificationNow` with no oracle at all.
/// @dev Sizes are checked by `InputSanitizer`, whose errors (`SanitizerUnsupportedAlgorithm`,
/// `SanitizerInvalidPublicKeyLength`, `SanitizerInvalidSignatureLength`, `SanitizerMessageTooLong`,
/// `SanitizerContextTooLong`) are part of this interface's behaviour. Pausing reverts with
/// OpenZeppelin's `EnforcedPause()`, a missing role with `AccessControlUnauthorizedAccount`.
///
/// Storage near the floor: a request writes one slot (its status, deadline, the oracles' votes and a
/// hash of its `RequestTerms`) and its requester's request count; everything else travels in
/// calldata and in the `VerificationRequested` event. Votes and cancellations restate the terms,
/// which the verifier checks against the stored hash.
///
/// Request identifiers are `keccak256(abi.encode(block.chainid, verifier, requester, nonce))`, where
/// `nonce` counts the requester's own requests from 0: a reorg that reorders other accounts'
/// transactions cannot give a request another identifier, and an identifier means nothing on another
/// chain or verifier.
interface ISignatureVerifier {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Life cycle of a request: `None` (never opened), `Pending` (open to votes), then
    /// `Valid` or `Invalid` (final, by quorum) or `Cancelled` (by its requester after its deadline).
    /// `Expired` is what `statusOf` reports for a request still pending after its deadline; it is
    /// never stored. `Posted` (optimistic mode): a bonded oracle has posted a verdict, which becomes
    /// `Valid` or `Invalid` when its challenge window ends (`finalize`) or a challenge settles it.
    enum Status {
        None,
        Pending,
        Valid,
        Invalid,
        Cancelled,
        Expired,
        Posted
    }

    /// @notice Why a batch vote skipped an entry (`VoteSkipped`).
    enum SkipReason {
        /// No request has this identifier.
        UnknownRequest,
        /// The entry's terms do not hash to the stored ones (other bytes than the requester sent).
        TermsMismatch,
        /// The request is already final or cancelled.
        NotPending,
        /// The request's deadline has passed.
        Expired,
        /// This oracle has already voted on it.
        AlreadyVoted
    }

    /// @notice What the verifier keeps of a registered key. The key bytes live only in the
    /// `KeyRegistered` event.
    struct KeyRecord {
        /// ML-DSA parameter set: 1 = ML-DSA-44, 2 = ML-DSA-65, 3 = ML-DSA-87; 0 = not registered.
        uint8 algorithm;
        /// Account that registered the key (not necessarily its owner).
        address registrant;
        /// Block in which the key was registered.
        uint64 registeredAt;
    }

    /// @notice Everything a vote or a cancellation restates about a request; the verifier stores
    /// only a hash of it.
    struct RequestTerms {
        /// `keccak256(abi.encode(keyId, message, context, signature))`.
        bytes32 commitment;
        /// Account that opened the request; the consumer called back when `callbackGasLimit > 0`.
        address requester;
        /// Wei escrowed with the request, paid to the oracles whose votes match the final verdict.
        uint96 fee;
        /// Gas the consumer callback receives; 0 for no callback.
        uint32 callbackGasLimit;
    }

    /// @notice One oracle's verdict on one request.
    struct Vote {
        bytes32 requestId;
        bool valid;
        RequestTerms terms;
    }

    /// @notice What anyone can read of a request without its terms.
    struct RequestStatus {
        Status status;
        /// Votes for `Valid`: of the current set while the request is open, as they stood when it
        /// closed afterwards.
        uint8 validVotes;
        /// Votes for `Invalid`, counted the same way.
        uint8 invalidVotes;
        /// Timestamp after which no vote counts and the requester may cancel.
        uint40 deadline;
    }

    /// @notice Settings the admin changes at once (`setConfig`).
    struct Config {
        /// Smallest fee a request must carry, in wei (0: fees are optional).
        uint96 minFee;
        /// Seconds from a request to its deadline when the requester gives 0.
        uint32 defaultTimeout;
        /// Bounds on the timeout a requester may choose.
        uint32 minTimeout;
        uint32 maxTimeout;
        /// Largest callback gas limit a request may name.
        uint32 maxCallbackGasLimit;
    }

    /// @notice Optimistic mode (`setOptimisticConfig`). Off: quorum mode, oracles vote. On: one
    /// bonded oracle of the set posts a verdict, final after `challengeWindow` seconds unless a
    /// challenge proves it wrong with the on-chain verifier.
    struct OptimisticConfig {
        /// Whether the verifier runs in optimistic mode (posts accepted, votes refused).
        bool enabled;
        /// Wei of the poster's bond each post locks until its verdict is final.
        uint96 bond;
        /// Seconds from a post to the moment its verdict can be finalised.
        uint32 challengeWindow;
    }

    /// @notice A posted verdict awaiting its challenge window (`postOf`).
    struct Post {
        /// The oracle that posted it (zero when there is no open post).
        address poster;
        /// Wei of the poster's bond locked by this post.
        uint96 bond;
        /// The posted verdict.
        bool valid;
        /// First timestamp at which `finalize` accepts it; challenges are accepted before it.
        uint40 finalizesAt;
    }

    /// @notice What a challenger supplies: the request's payload and the key it names. Checked
    /// against the request's commitment before the on-chain verifier runs.
    struct Evidence {
        /// ML-DSA parameter set of the key (with `publicKey`, it hashes to the request's key id).
        uint8 algorithm;
        bytes publicKey;
        bytes message;
        bytes context;
        bytes signature;
    }

    /// @notice An announced change of the oracle set, in force from `effectiveAt`.
    struct OracleSetChange {
        address[] oracles;
        uint8 threshold;
        uint48 effectiveAt;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @dev `keyId` has not been registered.
    error VerifierUnknownKey(bytes32 keyId);

    /// @dev No request has identifier `requestId`.
    error VerifierUnknownRequest(bytes32 requestId);

    /// @dev Request `requestId` is already final or cancelled.
    error VerifierRequestNotPending(bytes32 requestId);

    /// @dev Request `requestId` passed its deadline; no vote counts any more.
    error VerifierRequestExpired(bytes32 requestId, uint40 deadline);

    /// @dev Request `requestId` may only be cancelled after its deadline.
    error VerifierRequestNotExpired(bytes32 requestId, uint40 deadline);

    /// @dev The terms given for `requestId` do not hash to the stored ones.
    error VerifierTermsMismatch(bytes32 requestId);

    /// @dev Only the requester may cancel its request.
    error VerifierNotRequester(bytes32 requestId, address account);

    /// @dev `account` is not in the current oracle set.
    error VerifierNotOracle(address account);

    /// @dev `oracle` has already voted on `requestId`.
    error VerifierAlreadyVoted(bytes32 requestId, address oracle);

    /// @dev A request must carry at least `minimum` wei.
    error VerifierFeeTooLow(uint256 fee, uint256 minimum);

    /// @dev A fee above 2**96 - 1 wei does not fit the request's terms.
    error VerifierFeeTooHigh(uint256 fee);

    /// @dev The timeout is outside the admin's bounds.
    error VerifierTimeoutOutOfRange(uint32 timeout, uint32 minimum, uint32 maximum);

    /// @dev The callback gas limit is above the admin's cap.
    error VerifierCallbackGasTooHigh(uint32 callbackGasLimit, uint32 maximum);

    /// @dev The finalising vote did not leave enough gas to give the callback exactly its limit.
    error VerifierInsufficientGasForCallback(uint256 available, uint32 callbackGasLimit);

    /// @dev An oracle set needs 1 <= threshold <= its size, and at most `MAX_ORACLES` members.
    error VerifierInvalidThreshold(uint8 threshold, uint256 oracles);

    /// @dev An oracle set holds more members than the verifier supports at once.
    error VerifierTooManyOracles(uint256 oracles, uint256 maximum);

    /// @dev An oracle set names the zero address or an address twice.
    error VerifierInvalidOracle(address oracle);

    /// @dev Every oracle slot the verifier can ever hand out has been used.
    error VerifierOracleSlotsExhausted(uint256 maximum);

    /// @dev There is no announced oracle set change.
    error VerifierNoOracleSetChange();

    /// @dev The announced oracle set change takes effect only at `effectiveAt`.
    error VerifierOracleSetChangeNotDue(uint48 effectiveAt);

    /// @dev The timeouts must satisfy 0 < minTimeout <= defaultTimeout <= maxTimeout.
    error VerifierInvalidTimeouts(uint32 minTimeout, uint32 defaultTimeout, uint32 maxTimeout);

    /// @dev `account` has no fees to withdraw.
    error VerifierNothingToWithdraw(address account);

    /// @dev Sending `amount` wei to `to` failed.
    error VerifierTransferFailed(address to, uint256 amount);

    /// @dev No on-chain verifier answered for `algorithm` (of the form for contexts when
    /// `withContext`): none is set, the address has no code, the call failed, or the answer was not
    /// one 32-byte word holding 0 or 1. Never a verdict.
    error VerifierOnchainUnavailable(uint8 algorithm, bool withContext);

    /// @dev The caller left too little gas to give the on-chain verifier exactly its limit.
    error VerifierInsufficientGasForOnchainVerify(uint256 available, uint32 gasLimit);

    /// @dev An on-chain verifier needs a non-zero gas limit of at most `MAX_ONCHAIN_VERIFY_GAS`.
    error VerifierInvalidOnchainVerifier(uint8 algorithm, address verifier, uint32 gasLimit);

    /// @dev The public key given does not hash to key id `keyId` with the key's algorithm.
    error VerifierKeyMismatch(bytes32 keyId);

    /// @dev The evidence given for `requestId` does not hash to the request's commitment.
    error VerifierEvidenceMismatch(bytes32 requestId);

    /// @dev The entry point belongs to the other mode (`optimistic` is the current mode).
    error VerifierWrongMode(bool optimistic);

    /// @dev Optimistic mode needs a non-zero bond and a non-zero challenge window.
    error VerifierInvalidOptimisticConfig(uint96 bond, uint32 challengeWindow);

    /// @dev `account` holds `available` wei of free bond where `required` is needed.
    error VerifierInsufficientBond(address account, uint256 available, uint256 required);

    /// @dev `account` posted a verdict that a challenge overturned: it may never post again.
    error VerifierPosterBarred(address account);

    /// @dev Request `requestId` has no posted verdict awaiting its window.
    error VerifierNotPosted(bytes32 requestId);

    /// @dev The posted verdict on `requestId` can be finalised only from `finalizesAt`.
    error VerifierChallengeWindowOpen(bytes32 requestId, uint40 finalizesAt);

    /// @dev The challenge window of `requestId` closed at `finalizesAt`.
    error VerifierChallengeWindowClosed(bytes32 requestId, uint40 finalizesAt);

    /// @dev A bond deposit must carry some wei.
    error VerifierZeroDeposit();

    /// @dev `statusesOf` reads at most `maximum` requests per call.
    error VerifierStatusBatchTooLarge(uint256 requests, uint256 maximum);

    /// @dev `statusesOf` was given terms for `terms` requests out of `requests` (none or all).
    error VerifierStatusBatchMismatch(uint256 requests, uint256 terms);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @dev Emitted when `registrant` registers `publicKey` of `algorithm` as `keyId`.
    event KeyRegistered(bytes32 indexed keyId, uint8 indexed algorithm, address indexed registrant, bytes publicKey);

    /// @dev Emitted when `requester` opens request `requestId`, its `nonce`-th. Carries everything an
    /// oracle needs to verify and to restate the request's terms in its vote.
    event VerificationRequested(
        bytes32 indexed requestId,
        bytes32 indexed keyId,
        address indexed requester,
        bytes32 commitment,
        uint96 fee,
        uint32 callbackGasLimit,
        uint40 deadline,
        uint256 nonce,
        bytes message,
        bytes context,
        bytes signature
    );

    /// @dev Emitted for a counted vote that does not finalise the request.
    event VoteCast(bytes32 indexed requestId, address indexed oracle, bool valid);

    /// @dev Emitted when a batch skips an entry instead of reverting.
    event VoteSkipped(bytes32 indexed requestId, address indexed oracle, SkipReason reason);

    /// @dev Emitted when `oracle`'s vote contradicts a vote already counted: a security signal.
    event VerificationDisputed(
        bytes32 indexed requestId, address indexed oracle, bool valid, uint8 validVotes, uint8 invalidVotes
    );

    /// @dev Emitted when request `requestId` becomes final: its verdict, the commitment the verdict
    /// is bound to, and the current oracles' votes at that moment.
    event VerificationFinalized(
        bytes32 indexed requestId, bool valid, bytes32 commitment, uint8 validVotes, uint8 invalidVotes
    );

    /// @dev Emitted after the consumer callback of `requestId` returned (`success`) or failed.
    event CallbackDelivered(bytes32 indexed requestId, address indexed consumer, bool success);

    /// @dev Emitted when `requester` cancels `requestId` after its deadline and gets `refund` wei back.
    event RequestCancelled(bytes32 indexed requestId, address indexed requester, uint96 refund);

    /// @dev Emitted when `oracle` withdraws `amount` wei of earned fees to `to`.
    event FeesWithdrawn(address indexed oracle, address indexed to, uint256 amount);

    /// @dev Emitted when the admin announces the oracle set and threshold in force from `effectiveAt`.
    event OracleSetChangeAnnounced(address[] oracles, uint8 threshold, uint48 effectiveAt);

    /// @dev Emitted when the admin withdraws an announced oracle set change.
    event OracleSetChangeCancelled();

    /// @dev Emitted when an oracle set and threshold take effect (at deployment, then by
    /// `applyOracleSetChange`).
    event OracleSetChanged(address[] oracles, uint8 threshold);

    /// @dev Emitted when the admin changes the fee, timeout and callback settings.
    event ConfigSet(
        uint96 minFee, uint32 defaultTimeout, uint32 minTimeout, uint32 maxTimeout, uint32 maxCallbackGasLimit
    );

    /// @dev Emitted when the admin sets `algorithm`'s on-chain verifier for empty contexts
    /// (EIP-8355) or, `withContext`, for contexts (`IMLDSAVerifier`) (zero: none) and the exact gas
    /// it is called with.
    event OnchainVerifierSet(uint8 indexed algorithm, bool withContext, address verifier, uint32 gasLimit);

    /// @dev Emitted when the admin sets the mode, the bond per post and the challenge window.
    event OptimisticConfigSet(bool enabled, uint96 bond, uint32 challengeWindow);

    /// @dev Emitted when `account` adds `amount` wei to its bond.
    event BondDeposited(address indexed account, uint256 amount);

    /// @dev Emitted when `account` takes `amount` wei of free bond out to `to`.
    event BondWithdrawn(address indexed account, address indexed to, uint256 amount);

    /// @dev Emitted when `poster` posts `valid` on `requestId`, locking `bond` wei until the verdict
    /// is final; it can be finalised from `finalizesAt`.
    event VerdictPosted(
        bytes32 indexed requestId, address indexed poster, bool valid, uint96 bond, uint40 finalizesAt
    );

    /// @dev Emitted when `challenger` runs the on-chain verifier on `requestId`. `overturned`: the
    /// posted verdict was wrong and is replaced by `valid`; the challenger earned `reward` wei of the
    /// poster's bond and `burned` wei stay locked in the verifier for ever. Otherwise the posted
    /// verdict is confirmed (and final at once), and `reward` and `burned` are 0.
    event VerdictChallenged(
        bytes32 indexed requestId,
        address indexed challenger,
        address indexed poster,
        bool overturned,
        bool valid,
        uint256 reward,
        uint256 burned
    );

    /*//////////////////////////////////////////////////////////////
                               BEHAVIOUR
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers an ML-DSA public key and returns its identifier,
    /// `keccak256(abi.encodePacked(algorithm, publicKey))`. A key registered already keeps its
    /// record, and its identifier is returned without an event (a front-runner cannot make the
    /// owner's call revert).
    ///
    /// Requirements:
    /// - the verifier is not paused;
    /// - `algorithm` is 1, 2 or 3 (`SanitizerUnsupportedAlgorithm`);
    /// - `publicKey` has the algorithm's public key length (`SanitizerInvalidPublicKeyLength`).
    ///
    /// Emits a {KeyRegistered} event for a new key.
    function registerKey(uint8 algorithm, bytes calldata publicKey) external returns (bytes32 keyId);

    /// @notice Opens a request to verify `signature` over `message` and `context` under key `keyId`
    /// and returns its identifier. `msg.value` is the fee; `timeout` seconds (0: the default) set the
    /// deadline; with `callbackGasLimit > 0`, the caller is called back on `IVerificationConsumer`.
    ///
    /// Requirements:
    /// - the verifier is not paused;
    /// - `keyId` is registered (`VerifierUnknownKey`);
    /// - the sizes fit the key's algorithm and FIPS 204 (`Sanitizer*` errors);
    /// - `minFee <= msg.value < 2**96` (`VerifierFeeTooLow`, `VerifierFeeTooHigh`);
    /// - `timeout` is 0 or within the bounds (`VerifierTimeoutOutOfRange`);
    /// - `callbackGasLimit` is at most the cap (`VerifierCallbackGasTooHigh`).
    ///
    /// Emits a {VerificationRequested} event.
    function requestVerification(
        bytes32 keyId,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature,
        uint32 callbackGasLimit,
        uint32 timeout
    ) external payable returns (bytes32 requestId);

    /// @notice `registerKey` and `requestVerification` in one call: the key travels inline.
    ///
    /// Requirements: those of both.
    ///
    /// Emits a {KeyRegistered} event for a new key and a {VerificationRequested} event.
    function requestVerificationWithKey(
        uint8 algorithm,
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature,
        uint32 callbackGasLimit,
        uint32 timeout
    ) external payable returns (bytes32 requestId, bytes32 keyId);

    /// @notice Casts the caller's vote. The request is final once `threshold` oracles of the current
    /// set agree; the finalising vote pays the fee out to them and calls the consumer back.
    ///
    /// Requirements:
    /// - the verifier is not paused;
    /// - the caller is in the current oracle set (`VerifierNotOracle`);
    /// - the request exists (`VerifierUnknownRequest`), its terms match (`VerifierTermsMismatch`),
    ///   it is pending (`VerifierRequestNotPending`) and not past its deadline
    ///   (`VerifierRequestExpired`), and the caller has not voted on it (`VerifierAlreadyVoted`);
    /// - a finalising vote with a callback leaves enough gas for it
    ///   (`VerifierInsufficientGasForCallback`).
    ///
    /// Emits {VoteCast} or {VerificationFinalized}, {VerificationDisputed} when it contradicts a vote
    /// already counted, and {CallbackDelivered} after a callback.
    function vote(Vote calldata ballot) external;

    /// @notice Casts many votes in one transaction. An entry that `vote` would refuse for its request
    /// (unknown, terms mismatch, not pending, expired, already voted) is skipped with a
    /// {VoteSkipped} event; the batch never reverts for one entry. Returns how many votes counted.
    ///
    /// Requirements: the verifier is not paused; the caller is in the current oracle set.
    function voteBatch(Vote[] calldata ballots) external returns (uint256 counted);

    /// @notice Cancels a request still pending after its deadline and refunds its fee to the
    /// requester.
    ///
    /// Requirements:
    /// - the caller is `terms.requester` (`VerifierNotRequester`) and the terms match
    ///   (`VerifierUnknownRequest`, `VerifierTermsMismatch`);
    /// - the request is pending (`VerifierRequestNotPending`) and past its deadline
    ///   (`VerifierRequestNotExpired`).
    ///
    /// Emits a {RequestCancelled} event.
    function cancel(bytes32 requestId, RequestTerms calldata terms) external;

    /// @notice Sends the caller's earned fees to `to` and returns the amount.
    ///
    /// Requirements: the caller has earned fees (`VerifierNothingToWithdraw`); the transfer succeeds
    /// (`VerifierTransferFailed`).
    ///
    /// Emits a {FeesWithdrawn} event.
    function withdraw(address payable to) external returns (uint256 amount);

    /// @notice Announces the oracle set and threshold that take effect `oracleSetDelay()` seconds from
    /// now, replacing any change announced before.
    /// @dev Open requests keep their votes: from the moment the change takes effect, a request counts
    /// only the votes of oracles in the new set against the new threshold, evaluated at each vote. A
    /// removed oracle's earlier votes stop counting and can never finalise anything, even if it is
    /// added again (it gets a new slot). Lowering the threshold does not finalise a request by
    /// itself; the next counted vote does, and a request that gets no further vote expires.
    ///
    /// Requirements:
    /// - the caller has `DEFAULT_ADMIN_ROLE` (`AccessControlUnauthorizedAccount`);
    /// - no zero or repeated address (`VerifierInvalidOracle`), at most `MAX_ORACLES` members
    ///   (`VerifierTooManyOracles`), `1 <= threshold <= members` (`VerifierInvalidThreshold`).
    ///
    /// Emits an {OracleSetChangeAnnounced} event.
    function announceOracleSetChange(address[] calldata oracles, uint8 threshold) external;

    /// @notice Withdraws the announced oracle set change.
    ///
    /// Requirements: the caller has `DEFAULT_ADMIN_ROLE`; a change is announced
    /// (`VerifierNoOracleSetChange`).
    ///
    /// Emits an {OracleSetChangeCancelled} event.
    function cancelOracleSetChange() external;

    /// @notice Puts the announced oracle set change in force; anyone may call once it is due.
    ///
    /// Requirements: a change is announced (`VerifierNoOracleSetChange`) and due
    /// (`VerifierOracleSetChangeNotDue`); enough unused oracle slots remain
    /// (`VerifierOracleSlotsExhausted`).
    ///
    /// Emits an {OracleSetChanged} event.
    function applyOracleSetChange() external;

    /// @notice Sets the minimum fee, the timeout default and bounds, and the callback gas cap; open
    /// requests keep the deadline and callback limit they were opened with.
    ///
    /// Requirements: the caller has `DEFAULT_ADMIN_ROLE`; valid timeouts (`VerifierInvalidTimeouts`).
    ///
    /// Emits a {ConfigSet} event.
    function setConfig(Config calldata config) external;

    /*//////////////////////////////////////////////////////////////
                         ON-CHAIN VERIFICATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Sets one of parameter set `algorithm`'s two on-chain verifiers, called with exactly
    /// `gasLimit` gas; the zero address removes it. Requests with the empty context go to the one
    /// answering the EIP-8355 convention (`withContext` false): a precompile (0x12 for ML-DSA-44 in
    /// the draft) or a Solidity contract answering the same in its fallback. Requests with a context
    /// go to an `IMLDSAVerifier` (`withContext` true), which EIP-8355 has no form for. Never one
    /// address for both: an EIP-8355 verifier reads any input as `pk ‖ sig ‖ msg` and would answer
    /// an ABI-encoded call with a well-formed, false "invalid". They answer `verifyNow`,
    /// `requestVerificationNow` and challenges; without the one a request needs, those revert
    /// (`VerifierOnchainUnavailable`).
    /// @dev `gasLimit` is what a challenge costs at most for the verification itself, so it enters
    /// the bond formula (see `setOptimisticConfig`); callers must leave 64/63 of it, even when the
    /// verifier needs less, so it should be close to the verifier's worst case.
    ///
    /// Note: removing or breaking a verifier while verdicts are posted leaves them unchallengeable
    /// until their windows close; replace one only with a working one. It is capped so that a challenge (the verifier,
    /// the 1/64 EIP-150 keeps back, calldata, bookkeeping and the callback) fits under EIP-7825's
    /// 16,777,216 gas per transaction.
    ///
    /// Requirements:
    /// - the caller has `DEFAULT_ADMIN_ROLE` (`AccessControlUnauthorizedAccount`);
    /// - `algorithm` is 1, 2 or 3 (`SanitizerUnsupportedAlgorithm`);
    /// - for a non-zero `verifier`, `0 < gasLimit <= MAX_ONCHAIN_VERIFY_GAS`
    ///   (`VerifierInvalidOnchainVerifier`).
    ///
    /// Emits an {OnchainVerifierSet} event.
    function setOnchainVerifier(uint8 algorithm, bool withContext, address verifier, uint32 gasLimit) external;

    /// @notice Verifies `signature` over `message` and `context` under registered key `keyId` with
    /// the on-chain verifier, in this call, with no oracle. The key travels in calldata (only its
    /// hash is on chain) and must hash to `keyId`.
    /// @dev A view: it records nothing. `requestVerificationNow` is the same answer recorded as a
    /// final request, with the request's events, `statusOf` and the consumer callback.
    ///
    /// Requirements:
    /// - `keyId` is registered (`VerifierUnknownKey`) and `publicKey` hashes to it
    ///   (`VerifierKeyMismatch`);
    /// - the sizes fit the key's algorithm and FIPS 204 (`Sanitizer*` errors);
    /// - an on-chain verifier answers (`VerifierOnchainUnavailable`) with exactly its gas limit
    ///   (`VerifierInsufficientGasForOnchainVerify`).
    function verifyNow(
        bytes32 keyId,
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature
    ) external view returns (bool valid);

    /// @notice Opens a request and settles it in the same transaction with the on-chain verifier:
    /// the request gets an identifier, a {VerificationRequested} and a {VerificationFinalized}
    /// event (no votes: counts 0 and 0), its verdict in `statusOf`, and the caller's callback when
    /// `callbackGasLimit > 0`, exactly as an oracle-settled request. Carries no fee (no oracle
    /// works for it), whatever the minimum fee. Works in both modes.
    ///
    /// Requirements: those of `verifyNow`, and of `requestVerification` except the fee; a callback
    /// needs enough gas left (`VerifierInsufficientGasForCallback`).
    ///
    /// Emits {VerificationRequested}, {VerificationFinalized} and, with a callback,
    /// {CallbackDelivered}.
    function requestVerificationNow(
        bytes32 keyId,
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata context,
        bytes calldata signature,
        uint32 callbackGasLimit
    ) external returns (bytes32 requestId, bool valid);

    /*//////////////////////////////////////////////////////////////
                             OPTIMISTIC MODE
    //////////////////////////////////////////////////////////////*/

    /// @notice Chooses the mode and sets the bond each post locks and the challenge window.
    /// @dev Switching is safe with requests in flight, in either direction: requests do not belong
    /// to a mode. The mode only says which verdicts are accepted now: votes in quorum mode, posts in
    /// optimistic mode. A pending request keeps waiting for whichever comes (votes it got before a
    /// switch to optimistic mode stop mattering once a verdict is posted on it); a posted verdict
    /// keeps its bond, window and challenge right after a switch back, and is finalised or
    /// overturned as if nothing had changed. Likewise a new bond or window applies to later posts.
    ///
    /// The window is in seconds, like request deadlines: it is the time a watcher has to notice a
    /// wrong verdict and get a challenge mined, a wall-clock matter, and block times differ by an
    /// order of magnitude between chains (and drift within one), so a count of blocks would give
    /// watchers a different amount of time on each. UMA's default is 2 hours.
    ///
    /// Choosing the bond: a challenge must pay for itself. It costs the challenger at most
    ///
    ///     G = gasLimit * 64 / 63 + 600,000 + maxCallbackGasLimit   (gas)
    ///
    /// where `gasLimit` is the largest on-chain verifier gas limit set (the transaction must carry
    /// 64/63 of it, EIP-150), 600,000 bounds the rest (21,000 base, calldata of an ML-DSA-87
    /// payload, hashing, storage, events, and removing the poster from a 32-oracle set; measured
    /// on ML-DSA-44 with 3 oracles: ~150,000), and the callback gets its own limit. It earns
    /// `bond * (100 - BOND_BURN_PERCENT) / 100`. At the highest gas price `p` (wei per gas) at which
    /// challenges must stay worth it:
    ///
    ///     bond >= G * p * 100 / (100 - BOND_BURN_PERCENT)   (= 2 * G * p with 50% burned)
    ///
    /// e.g. the Solidity ML-DSA-44 verifier (~10.1M gas from a raw key, ~2.5M from a registered
    /// form; limit 12,000,000) and a 500,000-gas callback cap: G ~= 13.3M, so at 100 gwei the bond
    /// must be at least 2 * 13.3M * 100 gwei = 2.66 ETH; with a precompile (EIP-8355: 6,500 gas;
    /// limit 20,000) G ~= 1.12M and 0.224 ETH suffices. The bond should also exceed what a poster
    /// could gain from one false verdict finalised: it is all a liar stands to lose per post.
    ///
    /// Requirements:
    /// - the caller has `DEFAULT_ADMIN_ROLE` (`AccessControlUnauthorizedAccount`);
    /// - when enabled, a non-zero bond and window (`VerifierInvalidOptimisticConfig`).
    ///
    /// Emits an {OptimisticConfigSet} event.
    function setOptimisticConfig(OptimisticConfig calldata config) external;

    /// @notice Adds `msg.value` to the caller's bond. Anyone may hold a bond; only members of the
    /// oracle set post.
    ///
    /// Requirements: a non-zero value (`VerifierZeroDeposit`).
    ///
    /// Emits a {BondDeposited} event.
    function depositBond() external payable;

    /// @notice Sends `amount` wei of the caller's free bond (not locked by an open post) to `to`.
    /// Works while paused and for a barred poster: the free bond is its own money.
    ///
    /// Requirements: that much free bond (`VerifierInsufficientBond`); the transfer succeeds
    /// (`VerifierTransferFailed`).
    ///
    /// Emits a {BondWithdrawn} event.
    function withdrawBond(uint256 amount, address payable to) external;

    /// @notice Posts the caller's verdict on a pending request in optimistic mode, locking one
    /// bond (the current `bond`) until the verdict is final. The verdict is bound to the request's
    /// terms exactly as a vote is. The first post wins: a request takes one posted verdict.
    ///
    /// Requirements:
    /// - the verifier is not paused;
    /// - the caller is in the current oracle set (`VerifierNotOracle`), the verifier is in
    ///   optimistic mode (`VerifierWrongMode`), the caller is not barred (`VerifierPosterBarred`)
    ///   and holds a free bond of at least `bond` (`VerifierInsufficientBond`);
    /// - the request exists (`VerifierUnknownRequest`), its terms match (`VerifierTermsMismatch`),
    ///   it is pending with no posted verdict (`VerifierRequestNotPending`) and not past its
    ///   deadline (`VerifierRequestExpired`).
    ///
    /// Emits a {VerdictPosted} event.
    function post(Vote calldata ballot) external;

    /// @notice Makes a posted verdict final once its challenge window is over: the poster's bond
    /// is freed, the fee is credited to the poster, and the consumer is called back. Anyone may
    /// call. The terms are restated because the verifier stores only their hash.
    ///
    /// Requirements:
    /// - the verifier is not paused (a pause stops the clock for practical purposes: a wrong verdict
    ///   cannot slip through while challenges might be held up);
    /// - the request has a posted verdict (`VerifierNotPosted`) with these terms
    ///   (`VerifierTermsMismatch`) and its window is over (`VerifierChallengeWindowOpen`);
    /// - a callback has enough gas left (`VerifierInsufficientGasForCallback`).
    ///
    /// Emits {VerificationFinalized} (counting the poster's verdict as one vote) and, with a
    /// callback, {CallbackDelivered}.
    function finalize(bytes32 requestId, RequestTerms calldata terms) external;

    /// @notice Challenges a posted verdict before its window closes by running the on-chain
    /// verifier on `evidence`, which must hash to the request's commitment. Returns whether the
    /// posted verdict was overturned. Anyone may call, paused or not (a pause does not stop the
    /// windows, so it must not stop challenges), but while paused a challenge that would confirm
    /// the posted verdict reverts (`EnforcedPause`), as `finalize` does.
    ///
    /// If the on-chain verdict differs, it replaces the posted one and is final at once; the
    /// challenger is credited the poster's locked bond less the burned `BOND_BURN_PERCENT` (and
    /// the request's fee, since its work settled the request; both through `withdraw`); the
    /// poster is barred from posting for ever and removed from the oracle set at once.
    ///
    /// If it agrees, the challenge fails: the challenger gets nothing and has paid the gas, and the
    /// posted verdict, now proven on chain, is final at once as if its window were over (bond
    /// freed, fee to the poster). The call does not revert: reverting would waste the proof, and
    /// nothing a failed challenge writes can be used to grief anyone, since it is the verdict
    /// every later challenge would have confirmed; no challenge can delay or block a finalisation.
    ///
    /// The burned half exists so that lying is never free: a poster caught lying could otherwise
    /// challenge itself from a second account before anyone else and take its whole bond back;
    /// with half burned, every overturned post costs its poster at least half a bond.
    ///
    /// Requirements:
    /// - the request has a posted verdict (`VerifierNotPosted`) with these terms
    ///   (`VerifierTermsMismatch`) and its window is open (`VerifierChallengeWindowClosed`);
    /// - `evidence` hashes to the commitment (`VerifierEvidenceMismatch`);
    /// - an on-chain verifier answers (`VerifierOnchainUnavailable`) with exactly its gas limit
    ///   (`VerifierInsufficientGasForOnchainVerify`);
    /// - a callback has enough gas left (`VerifierInsufficientGasForCallback`).
    ///
    /// Emits {VerdictChallenged}, {VerificationFinalized}, {OracleSetChanged} when the poster is
    /// removed, and {CallbackDelivered} after a callback.
    function challenge(bytes32 requestId, RequestTerms calldata terms, Evidence calldata evidence)
        external
        returns (bool overturned);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Status, votes of the current oracles and deadline of request `requestId`.
    function statusOf(bytes32 requestId) external view returns (RequestStatus memory);

    /// @notice Whether `terms` are those of request `requestId` (false for an unknown request).
    function isCommitted(bytes32 requestId, RequestTerms calldata terms) external view returns (bool);

    /// @notice `statusOf` of every request in `requestIds`, and `isCommitted` of each with the terms
    /// at the same index of `terms`; with no terms, statuses only (`committed` is empty).
    ///
    /// Requirements:
    /// - at most `MAX_STATUS_BATCH` requests (`VerifierStatusBatchTooLarge`);
    /// - `terms` is empty or as long as `requestIds` (`VerifierStatusBatchMismatch`).
    function statusesOf(bytes32[] calldata requestIds, RequestTerms[] calldata terms)
        external
        view
        returns (RequestStatus[] memory statuses, bool[] memory committed);

    /// @notice The identifier of `requester`'s `nonce`-th request on this verifier and chain.
    function requestIdOf(address requester, uint256 nonce) external view returns (bytes32);

    /// @notice How many requests `requester` has opened (the nonce of its next one).
    function requestCountOf(address requester) external view returns (uint256);

    /// @notice Stored record of key `keyId`; all zero for an unregistered key.
    function keyOf(bytes32 keyId) external view returns (KeyRecord memory);

    /// @notice Algorithm of key `keyId`, or 0 when it is not registered.
    function keyAlgorithm(bytes32 keyId) external view returns (uint8);

    /// @notice Whether key `keyId` is registered.
    function isKeyRegistered(bytes32 keyId) external view returns (bool);

    /// @notice The oracles in the current set.
    function oracles() external view returns (address[] memory);

    /// @notice Votes that must agree for a request to become final.
    function threshold() external view returns (uint8);

    /// @notice Whether `account` is in the current oracle set.
    function isOracle(address account) external view returns (bool);

    /// @notice The announced oracle set change (empty, `effectiveAt == 0`, when none).
    function pendingOracleSetChange() external view returns (OracleSetChange memory);

    /// @notice Seconds between announcing an oracle set change and its effect (set at deployment).
    function oracleSetDelay() external view returns (uint48);

    /// @notice The current fee, timeout and callback settings.
    function config() external view returns (Config memory);

    /// @notice Fees `oracle` has earned and not withdrawn, in wei.
    function earnedOf(address oracle) external view returns (uint256);

    /// @notice `algorithm`'s on-chain verifier for empty contexts (EIP-8355) or, `withContext`, for
    /// contexts (zero when none), and the gas it is called with.
    function onchainVerifierOf(uint8 algorithm, bool withContext)
        external
        view
        returns (address verifier, uint32 gasLimit);

    /// @notice The mode, the bond per post and the challenge window.
    function optimisticConfig() external view returns (OptimisticConfig memory);

    /// @notice `account`'s free bond in wei (not locked by open posts) and whether it is barred.
    function bondOf(address account) external view returns (uint256 available, bool barred);

    /// @notice The posted verdict awaiting finalisation on `requestId` (all zero when none).
    function postOf(bytes32 requestId) external view returns (Post memory);

    /// @notice Contract type and semantic version, e.g. "SignatureVerifier 2.1.0".
    function typeAndVersion() external pure returns (string memory);
}
