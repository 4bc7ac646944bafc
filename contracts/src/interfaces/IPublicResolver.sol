// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Public resolver
/// @notice Records of a node: address, text records, content hash and (for reverse nodes) name.
/// Only the node's owner in the registry, or an operator it approved there, may change them.
interface IPublicResolver {
    /// @notice `caller` may not change the records of `node`.
    error Unauthorized(bytes32 node, address caller);

    /// @notice The address record of `node` was set.
    event AddrChanged(bytes32 indexed node, address a);
    /// @notice The text record `key` of `node` was set to `value`.
    event TextChanged(bytes32 indexed node, string indexed indexedKey, string key, string value);
    /// @notice The content hash of `node` was set.
    event ContenthashChanged(bytes32 indexed node, bytes hash);
    /// @notice The name record of `node` (a reverse node) was set.
    event NameChanged(bytes32 indexed node, string name);

    /// @notice Sets the address record of `node`.
    function setAddr(bytes32 node, address a) external;
    /// @notice Sets the text record `key` of `node`.
    function setText(bytes32 node, string calldata key, string calldata value) external;
    /// @notice Sets the content hash of `node` (EIP-1577 bytes: a multicodec-prefixed CID).
    function setContenthash(bytes32 node, bytes calldata hash) external;
    /// @notice Sets the name record of `node`, used for reverse resolution.
    function setName(bytes32 node, string calldata name) external;

    /// @notice The address record of `node`.
    function addr(bytes32 node) external view returns (address);
    /// @notice The text record `key` of `node`.
    function text(bytes32 node, string calldata key) external view returns (string memory);
    /// @notice The content hash of `node`.
    function contenthash(bytes32 node) external view returns (bytes memory);
    /// @notice The name record of `node`.
    function name(bytes32 node) external view returns (string memory);
}
