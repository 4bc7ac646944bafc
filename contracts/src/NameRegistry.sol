// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INameRegistry} from "./interfaces/INameRegistry.sol";

/// @title NameRegistry
/// @notice The ENS-style registry (EIP-137): the root node belongs to the deployer.
contract NameRegistry is INameRegistry {
    struct Record {
        address owner;
        address resolver;
        uint64 ttl;
    }

    mapping(bytes32 node => Record) private _records;
    mapping(address owner => mapping(address operator => bool)) private _operators;

    modifier authorised(bytes32 node) {
        if (!isAuthorised(node, msg.sender)) revert Unauthorized(node, msg.sender);
        _;
    }

    /// @param rootOwner Owner of the root node (bytes32(0)).
    constructor(address rootOwner) {
        _records[bytes32(0)].owner = rootOwner;
        emit Transfer(bytes32(0), rootOwner);
    }

    /// @inheritdoc INameRegistry
    function setRecord(bytes32 node, address owner_, address resolver_, uint64 ttl_) external {
        setOwner(node, owner_);
        _setResolverAndTTL(node, resolver_, ttl_);
    }

    /// @inheritdoc INameRegistry
    function setSubnodeRecord(bytes32 node, bytes32 label, address owner_, address resolver_, uint64 ttl_)
        external
    {
        bytes32 subnode = setSubnodeOwner(node, label, owner_);
        _setResolverAndTTL(subnode, resolver_, ttl_);
    }

    /// @inheritdoc INameRegistry
    function setOwner(bytes32 node, address owner_) public authorised(node) {
        _records[node].owner = owner_;
        emit Transfer(node, owner_);
    }

    /// @inheritdoc INameRegistry
    function setSubnodeOwner(bytes32 node, bytes32 label, address owner_)
        public
        authorised(node)
        returns (bytes32 subnode)
    {
        subnode = keccak256(abi.encodePacked(node, label));
        _records[subnode].owner = owner_;
        emit NewOwner(node, label, owner_);
    }

    /// @inheritdoc INameRegistry
    function setResolver(bytes32 node, address resolver_) public authorised(node) {
        _records[node].resolver = resolver_;
        emit NewResolver(node, resolver_);
    }

    /// @inheritdoc INameRegistry
    function setTTL(bytes32 node, uint64 ttl_) public authorised(node) {
        _records[node].ttl = ttl_;
        emit NewTTL(node, ttl_);
    }

    /// @inheritdoc INameRegistry
    function setApprovalForAll(address operator, bool approved) external {
        _operators[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /// @inheritdoc INameRegistry
    function owner(bytes32 node) external view returns (address) {
        address owner_ = _records[node].owner;
        // The registry itself never owns names: a node assigned to it reads as unowned (as in ENS).
        return owner_ == address(this) ? address(0) : owner_;
    }

    /// @inheritdoc INameRegistry
    function resolver(bytes32 node) external view returns (address) {
        return _records[node].resolver;
    }

    /// @inheritdoc INameRegistry
    function ttl(bytes32 node) external view returns (uint64) {
        return _records[node].ttl;
    }

    /// @inheritdoc INameRegistry
    function recordExists(bytes32 node) external view returns (bool) {
        return _records[node].owner != address(0);
    }

    /// @inheritdoc INameRegistry
    function isApprovedForAll(address owner_, address operator) external view returns (bool) {
        return _operators[owner_][operator];
    }

    /// @inheritdoc INameRegistry
    function isAuthorised(bytes32 node, address account) public view returns (bool) {
        address owner_ = _records[node].owner;
        return owner_ == account || _operators[owner_][account];
    }

    function _setResolverAndTTL(bytes32 node, address resolver_, uint64 ttl_) private {
        if (resolver_ != _records[node].resolver) {
            _records[node].resolver = resolver_;
            emit NewResolver(node, resolver_);
        }
        if (ttl_ != _records[node].ttl) {
            _records[node].ttl = ttl_;
            emit NewTTL(node, ttl_);
        }
    }
}
