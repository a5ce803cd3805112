// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IMLDSAVerifier} from "../interfaces/IMLDSAVerifier.sol";
import {MLDSA} from "./MLDSA.sol";
import {MLDSASet} from "./Set.sol";

/// @title MLDSAVerifierBase
/// @notice Exact FIPS 204 ML-DSA verification on chain for one parameter set, with contexts, and a
/// register of public keys kept in their expanded form so that every verify after the first is
/// cheap. `MLDSA44Verifier`, `MLDSA65Verifier` and `MLDSA87Verifier` are this contract for each set.
/// @dev `register(publicKey)` computes rows of the key's expanded form (`MLDSA`: tr, each row of
/// ExpandA's matrix with -NTT(t1[i] * 2^d)) on chain and stores them as the code of a contract of
/// their own (a chunk); anyone may register any key, and nobody can register a wrong form, because
/// the contract computes it. An ML-DSA-44 form (15,424 bytes, ~10.8M gas) is one call; an ML-DSA-65
/// form (27,712 bytes) takes two and an ML-DSA-87 form (49,216 bytes) three, each call adding
/// `rowsPerChunk` rows: neither the computation nor one contract's code (24,576 bytes at most) fits
/// in one. `verify` then reads the form with one EXTCODECOPY a chunk (~3 gas a word) instead of
/// recomputing it. A key not (yet fully) registered is verified from scratch, which for ML-DSA-65
/// and -87 needs more gas than a transaction may have (EIP-7825), though an `eth_call` with a
/// higher cap answers.
///
/// Why contract code rather than storage: a 15,424-byte form is 482 storage slots, 2,100 gas each to
/// read cold (~1M gas a verify) and 22,100 each to write; as code it costs 200 gas a byte once and
/// a few thousand gas a read. A chunk's contract starts with a STOP byte, so calling it does
/// nothing.
abstract contract MLDSAVerifierBase is IMLDSAVerifier {
    /// @notice `publicKey`'s expanded form is complete; `form` is its first chunk.
    /// @param keyHash keccak256 of the public key.
    event KeyExpanded(bytes32 indexed keyHash, address indexed form);

    /// @notice Rows of `publicKey`'s expanded form were stored in `chunk`; `rows` are stored in all.
    event FormRowsStored(bytes32 indexed keyHash, address chunk, uint256 rows);

    /// @notice `register` or `expand` was given a key of the wrong length for this set.
    error MLDSAInvalidPublicKeyLength(uint256 length);
    /// @notice Deploying a chunk's contract failed (out of gas).
    error MLDSAFormDeploymentFailed();
    /// @notice A chunk must hold between one row and all k rows of a form.
    error MLDSAInvalidRowsPerChunk(uint256 rowsPerChunk);

    /// @dev A key's form: its chunks in order and the rows they hold.
    struct Form {
        address[] chunks;
        uint256 rows;
    }

    uint256 private immutable _LEVEL;
    uint256 private immutable _ROWS_PER_CHUNK;

    /// @dev Expanded forms by keccak256(publicKey).
    mapping(bytes32 keyHash => Form form) private _forms;

    /// @param level 44, 65 or 87.
    /// @param rowsPerChunk Rows of the form one `register` call computes and stores.
    constructor(uint256 level, uint256 rowsPerChunk) {
        MLDSASet.Params memory p = MLDSASet.params(level); // reverts for an unknown set
        if (rowsPerChunk == 0 || rowsPerChunk > p.k) revert MLDSAInvalidRowsPerChunk(rowsPerChunk);
        _LEVEL = p.level;
        _ROWS_PER_CHUNK = rowsPerChunk;
    }

    /// @notice Compute and store the next rows of `publicKey`'s expanded form; returns its first
    /// chunk once the form is complete (the zero address while rows remain: call again).
    /// @dev Idempotent once complete: returns the form and emits nothing.
    function register(bytes calldata publicKey) external returns (address form) {
        MLDSASet.Params memory p = MLDSASet.params(_LEVEL);
        if (publicKey.length != p.publicKeyBytes) revert MLDSAInvalidPublicKeyLength(publicKey.length);
        bytes32 keyHash = keccak256(publicKey);
        Form storage stored = _forms[keyHash];
        uint256 done = stored.rows;
        if (done < p.k) {
            uint256 count = p.k - done < _ROWS_PER_CHUNK ? p.k - done : _ROWS_PER_CHUNK;
            (bool ok, bytes memory part) = MLDSA.expandRows(publicKey, p, done, count);
            if (!ok) revert MLDSAInvalidPublicKeyLength(publicKey.length);
            address chunk = _deploy(part);
            stored.chunks.push(chunk);
            stored.rows = done + count;
            emit FormRowsStored(keyHash, chunk, done + count);
            if (done + count < p.k) return address(0);
            emit KeyExpanded(keyHash, stored.chunks[0]);
        }
        return stored.chunks[0];
    }

    /// @notice The first chunk of the complete expanded form of the key whose keccak256 is
    /// `keyHash`, or the zero address for a key not (fully) registered.
    function formOf(bytes32 keyHash) external view returns (address) {
        Form storage stored = _forms[keyHash];
        return stored.rows == MLDSASet.params(_LEVEL).k ? stored.chunks[0] : address(0);
    }

    /// @notice Every chunk of the key's expanded form so far, and the rows they hold.
    function formsOf(bytes32 keyHash) external view returns (address[] memory chunks, uint256 rows) {
        Form storage stored = _forms[keyHash];
        return (stored.chunks, stored.rows);
    }

    /// @notice The parameter set: 44, 65 or 87.
    function level() external view returns (uint256) {
        return _LEVEL;
    }

    /// @notice The expanded form of `publicKey` (tr, then each row of A^ with its -t1^, see
    /// `MLDSA`), computed now.
    function expand(bytes calldata publicKey) external view returns (bytes memory expanded) {
        MLDSASet.Params memory p = MLDSASet.params(_LEVEL);
        bool ok;
        (ok, expanded) = MLDSA.expandRows(publicKey, p, 0, p.k);
        if (!ok) revert MLDSAInvalidPublicKeyLength(publicKey.length);
    }

    /// @inheritdoc IMLDSAVerifier
    function verify(bytes calldata publicKey, bytes calldata signature, bytes calldata message, bytes calldata context)
        external
        view
        returns (bool)
    {
        MLDSASet.Params memory p = MLDSASet.params(_LEVEL);
        Form storage stored = _forms[keccak256(publicKey)];
        address[] memory chunks = stored.rows == p.k ? stored.chunks : new address[](0);
        return MLDSA.verifyWithChunks(chunks, p, publicKey, signature, message, context);
    }

    /// @dev Create a contract whose code is a STOP byte followed by `part`. Its creation code is
    /// 10 bytes that copy the rest of itself to memory and return it:
    /// PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE (0), CODECOPY, RETURNDATASIZE (0), RETURN.
    function _deploy(bytes memory part) private returns (address chunk) {
        uint256 size = part.length + 1;
        bytes memory init = abi.encodePacked(hex"61", uint16(size), hex"80600a3d393df3", hex"00", part);
        assembly ("memory-safe") {
            chunk := create(0, add(init, 0x20), mload(init))
        }
        if (chunk == address(0)) revert MLDSAFormDeploymentFailed();
    }
}
