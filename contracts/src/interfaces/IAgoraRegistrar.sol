// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Registrar for `.agora`
/// @notice First-come, first-served names under `agora`, registered by commit and reveal so that a
/// pending registration cannot be front-run: commit a hash, wait at least the minimum commitment
/// age, then register within the maximum age.
interface IAgoraRegistrar {
    /// @notice The commitment was made less than the minimum age ago.
    error CommitmentTooNew(bytes32 commitment, uint256 minimumTimestamp, uint256 currentTimestamp);
    /// @notice The commitment is older than the maximum age.
    error CommitmentTooOld(bytes32 commitment, uint256 maximumTimestamp, uint256 currentTimestamp);
    /// @notice No commitment matches the registration.
    error CommitmentNotFound(bytes32 commitment);
    /// @notice The same commitment was made before and has not expired.
    error UnexpiredCommitmentExists(bytes32 commitment);
    /// @notice The label is taken.
    error NameNotAvailable(string name);
    /// @notice The label is empty, too long, or contains a character not allowed (only a-z, 0-9, '-').
    error InvalidName(string name);
    /// @notice The minimum commitment age is not below the maximum.
    error MaxCommitmentAgeTooLow();

    /// @notice A commitment was recorded.
    event CommitmentMade(bytes32 indexed commitment, uint256 timestamp);
    /// @notice `name`.agora was registered to `owner`.
    event NameRegistered(string name, bytes32 indexed label, bytes32 indexed node, address indexed owner);

    /// @notice Records `commitment`, as computed by `makeCommitment`.
    function commit(bytes32 commitment) external;

    /// @notice Registers `name`.agora to `owner`, with `resolver` set and its addr record set to `addr`
    /// (when `resolver` is not zero). Needs a commitment of the same arguments that is old enough.
    function register(string calldata name, address owner, bytes32 secret, address resolver, address addr)
        external
        returns (bytes32 node);

    /// @notice The commitment for a registration.
    function makeCommitment(string calldata name, address owner, bytes32 secret, address resolver, address addr)
        external
        pure
        returns (bytes32);

    /// @notice Whether `name` is a valid label that nobody owns.
    function available(string calldata name) external view returns (bool);

    /// @notice When `commitment` was made (zero when never, or consumed).
    function commitments(bytes32 commitment) external view returns (uint256);

    /// @notice The namehash of `agora`.
    function baseNode() external view returns (bytes32);

    /// @notice Seconds a commitment must wait before `register`.
    function minCommitmentAge() external view returns (uint256);

    /// @notice Seconds after which a commitment expires.
    function maxCommitmentAge() external view returns (uint256);
}
