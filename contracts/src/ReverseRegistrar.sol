// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INameRegistry} from "./interfaces/INameRegistry.sol";
import {IPublicResolver} from "./interfaces/IPublicResolver.sol";
import {IReverseRegistrar} from "./interfaces/IReverseRegistrar.sol";
import {NameHash} from "./libraries/NameHash.sol";

/// @title ReverseRegistrar
/// @notice Address-to-name records under `addr.reverse`, as ENS's reverse registrar.
contract ReverseRegistrar is IReverseRegistrar {
    INameRegistry public immutable registry;
    /// @inheritdoc IReverseRegistrar
    address public immutable defaultResolver;

    constructor(INameRegistry registry_, address defaultResolver_) {
        registry = registry_;
        defaultResolver = defaultResolver_;
    }

    /// @inheritdoc IReverseRegistrar
    function claim(address owner) external returns (bytes32 reverseNode) {
        reverseNode = registry.setSubnodeOwner(NameHash.ADDR_REVERSE_NODE, NameHash.sha3HexAddress(msg.sender), owner);
        emit ReverseClaimed(msg.sender, reverseNode, owner);
    }

    /// @inheritdoc IReverseRegistrar
    function setName(string calldata name) external returns (bytes32 reverseNode) {
        bytes32 label = NameHash.sha3HexAddress(msg.sender);
        // Hold the node while writing the resolver records, then hand it to the caller.
        reverseNode = registry.setSubnodeOwner(NameHash.ADDR_REVERSE_NODE, label, address(this));
        registry.setResolver(reverseNode, defaultResolver);
        IPublicResolver(defaultResolver).setName(reverseNode, name);
        registry.setOwner(reverseNode, msg.sender);
        emit ReverseClaimed(msg.sender, reverseNode, msg.sender);
    }

    /// @inheritdoc IReverseRegistrar
    function node(address addr) external pure returns (bytes32) {
        return keccak256(abi.encodePacked(NameHash.ADDR_REVERSE_NODE, NameHash.sha3HexAddress(addr)));
    }
}
