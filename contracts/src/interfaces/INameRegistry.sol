// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ENS-style name registry
/// @notice Maps EIP-137 namehash nodes to an owner, a resolver and a TTL.
interface INameRegistry {
    /// @notice `caller` may not change `node`: it is neither the owner nor an approved operator.
    error Unauthorized(bytes32 node, address caller);

    /// @notice The owner of a child node of `node` was set.
    event NewOwner(bytes32 indexed node, bytes32 indexed label, address owner);
    /// @notice The owner of `node` was transferred.
    event Transfer(bytes32 indexed node, address owner);
    /// @notice The resolver of `node` was set.
    event NewResolver(bytes32 indexed node, address resolver);
    /// @notice The TTL of `node` was set.
    event NewTTL(bytes32 indexed node, uint64 ttl);
    /// @notice `owner` approved or revoked `operator` for all their nodes.
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    /// @notice Sets owner, resolver and TTL of `node` at once.
    function setRecord(bytes32 node, address owner, address resolver, uint64 ttl) external;
    /// @notice Sets owner, resolver and TTL of the child `label` of `node`.
    function setSubnodeRecord(bytes32 node, bytes32 label, address owner, address resolver, uint64 ttl)
        external;
    /// @notice Transfers `node` to `owner`.
    function setOwner(bytes32 node, address owner) external;
    /// @notice Creates or transfers the child `label` of `node`; returns the child's node.
    function setSubnodeOwner(bytes32 node, bytes32 label, address owner) external returns (bytes32);
    /// @notice Sets the resolver of `node`.
    function setResolver(bytes32 node, address resolver) external;
    /// @notice Sets the TTL of `node`.
    function setTTL(bytes32 node, uint64 ttl) external;
    /// @notice Lets `operator` manage all of the caller's nodes, or stops it.
    function setApprovalForAll(address operator, bool approved) external;

    /// @notice The owner of `node` (zero when unowned).
    function owner(bytes32 node) external view returns (address);
    /// @notice The resolver of `node` (zero when none).
    function resolver(bytes32 node) external view returns (address);
    /// @notice The TTL of `node`.
    function ttl(bytes32 node) external view returns (uint64);
    /// @notice Whether `node` has ever been given an owner.
    function recordExists(bytes32 node) external view returns (bool);
    /// @notice Whether `operator` manages all of `owner`'s nodes.
    function isApprovedForAll(address owner, address operator) external view returns (bool);
    /// @notice Whether `account` may change `node` (its owner or an approved operator).
    function isAuthorised(bytes32 node, address account) external view returns (bool);
}
