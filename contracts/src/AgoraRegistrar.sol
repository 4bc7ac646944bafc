// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgoraRegistrar} from "./interfaces/IAgoraRegistrar.sol";
import {INameRegistry} from "./interfaces/INameRegistry.sol";
import {IPublicResolver} from "./interfaces/IPublicResolver.sol";

/// @title AgoraRegistrar
/// @notice Owner of `agora` in the registry; hands out its children by commit-reveal.
contract AgoraRegistrar is IAgoraRegistrar {
    uint256 private constant MAX_LABEL_LENGTH = 63;

    INameRegistry public immutable registry;
    /// @inheritdoc IAgoraRegistrar
    bytes32 public immutable baseNode;
    /// @inheritdoc IAgoraRegistrar
    uint256 public immutable minCommitmentAge;
    /// @inheritdoc IAgoraRegistrar
    uint256 public immutable maxCommitmentAge;

    /// @inheritdoc IAgoraRegistrar
    mapping(bytes32 commitment => uint256 timestamp) public commitments;

    constructor(INameRegistry registry_, bytes32 baseNode_, uint256 minAge, uint256 maxAge) {
        if (maxAge <= minAge) revert MaxCommitmentAgeTooLow();
        registry = registry_;
        baseNode = baseNode_;
        minCommitmentAge = minAge;
        maxCommitmentAge = maxAge;
    }

    /// @inheritdoc IAgoraRegistrar
    function commit(bytes32 commitment) external {
        uint256 madeAt = commitments[commitment];
        if (madeAt != 0 && madeAt + maxCommitmentAge > block.timestamp) {
            revert UnexpiredCommitmentExists(commitment);
        }
        commitments[commitment] = block.timestamp;
        emit CommitmentMade(commitment, block.timestamp);
    }

    /// @inheritdoc IAgoraRegistrar
    function register(string calldata name, address owner, bytes32 secret, address resolver, address addr)
        external
        returns (bytes32 node)
    {
        _consumeCommitment(makeCommitment(name, owner, secret, resolver, addr));
        if (!_validLabel(name)) revert InvalidName(name);
        bytes32 label = keccak256(bytes(name));
        if (registry.recordExists(_node(label))) revert NameNotAvailable(name);
        if (resolver == address(0)) {
            node = registry.setSubnodeOwner(baseNode, label, owner);
        } else {
            // Own the node for a moment so the resolver lets us write its addr record.
            node = registry.setSubnodeOwner(baseNode, label, address(this));
            registry.setResolver(node, resolver);
            if (addr != address(0)) IPublicResolver(resolver).setAddr(node, addr);
            registry.setOwner(node, owner);
        }
        emit NameRegistered(name, label, node, owner);
    }

    /// @inheritdoc IAgoraRegistrar
    function makeCommitment(string calldata name, address owner, bytes32 secret, address resolver, address addr)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(keccak256(bytes(name)), owner, secret, resolver, addr));
    }

    /// @inheritdoc IAgoraRegistrar
    function available(string calldata name) public view returns (bool) {
        if (!_validLabel(name)) return false;
        return !registry.recordExists(_node(keccak256(bytes(name))));
    }

    function _node(bytes32 label) private view returns (bytes32) {
        return keccak256(abi.encodePacked(baseNode, label));
    }

    function _consumeCommitment(bytes32 commitment) private {
        uint256 madeAt = commitments[commitment];
        if (madeAt == 0) revert CommitmentNotFound(commitment);
        if (madeAt + minCommitmentAge > block.timestamp) {
            revert CommitmentTooNew(commitment, madeAt + minCommitmentAge, block.timestamp);
        }
        if (madeAt + maxCommitmentAge <= block.timestamp) {
            revert CommitmentTooOld(commitment, madeAt + maxCommitmentAge, block.timestamp);
        }
        // effects before the registry calls
        delete commitments[commitment];
    }

    function _validLabel(string calldata name) private pure returns (bool) {
        bytes calldata b = bytes(name);
        if (b.length == 0 || b.length > MAX_LABEL_LENGTH) return false;
        for (uint256 i; i < b.length; ++i) {
            bytes1 c = b[i];
            bool ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d;
            if (!ok) return false;
        }
        return true;
    }
}
