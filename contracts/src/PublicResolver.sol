// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INameRegistry} from "./interfaces/INameRegistry.sol";
import {IPublicResolver} from "./interfaces/IPublicResolver.sol";

/// @title PublicResolver
/// @notice A resolver anyone may point their name at; the registry decides who may write.
contract PublicResolver is IPublicResolver {
    INameRegistry public immutable registry;

    mapping(bytes32 node => address) private _addrs;
    mapping(bytes32 node => mapping(string key => string)) private _texts;
    mapping(bytes32 node => bytes) private _contenthashes;
    mapping(bytes32 node => string) private _names;

    modifier authorised(bytes32 node) {
        if (!registry.isAuthorised(node, msg.sender)) revert Unauthorized(node, msg.sender);
        _;
    }

    constructor(INameRegistry registry_) {
        registry = registry_;
    }

    /// @inheritdoc IPublicResolver
    function setAddr(bytes32 node, address a) external authorised(node) {
        _addrs[node] = a;
        emit AddrChanged(node, a);
    }

    /// @inheritdoc IPublicResolver
    function setText(bytes32 node, string calldata key, string calldata value) external authorised(node) {
        _texts[node][key] = value;
        emit TextChanged(node, key, key, value);
    }

    /// @inheritdoc IPublicResolver
    function setContenthash(bytes32 node, bytes calldata hash) external authorised(node) {
        _contenthashes[node] = hash;
        emit ContenthashChanged(node, hash);
    }

    /// @inheritdoc IPublicResolver
    function setName(bytes32 node, string calldata name_) external authorised(node) {
        _names[node] = name_;
        emit NameChanged(node, name_);
    }

    /// @inheritdoc IPublicResolver
    function addr(bytes32 node) external view returns (address) {
        return _addrs[node];
    }

    /// @inheritdoc IPublicResolver
    function text(bytes32 node, string calldata key) external view returns (string memory) {
        return _texts[node][key];
    }

    /// @inheritdoc IPublicResolver
    function contenthash(bytes32 node) external view returns (bytes memory) {
        return _contenthashes[node];
    }

    /// @inheritdoc IPublicResolver
    function name(bytes32 node) external view returns (string memory) {
        return _names[node];
    }
}
