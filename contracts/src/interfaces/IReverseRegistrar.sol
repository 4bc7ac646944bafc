// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Reverse registrar
/// @notice Owner of `addr.reverse`: lets every address claim `<hex address>.addr.reverse` and set
/// the name it wants to be known by.
interface IReverseRegistrar {
    /// @notice `addr` claimed its reverse node and gave it to `owner`.
    event ReverseClaimed(address indexed addr, bytes32 indexed node, address owner);

    /// @notice Claims the caller's reverse node for `owner`; returns the node.
    function claim(address owner) external returns (bytes32);

    /// @notice Points the caller's reverse node at the default resolver and sets its name record.
    function setName(string calldata name) external returns (bytes32);

    /// @notice The reverse node of `addr`: namehash("<lower-case hex of addr>.addr.reverse").
    function node(address addr) external pure returns (bytes32);

    /// @notice The resolver `setName` writes to.
    function defaultResolver() external view returns (address);
}
