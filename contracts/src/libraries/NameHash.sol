// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title NameHash
/// @notice EIP-137 helpers.
library NameHash {
    /// @dev namehash("addr.reverse")
    bytes32 internal constant ADDR_REVERSE_NODE = 0x91d1777781884d03a6757a803996e38de2a42967fb37eeaca72729271025a9e2;

    /// @notice The node of `label` under `parent`.
    function child(bytes32 parent, string memory label) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(parent, keccak256(bytes(label))));
    }

    /// @notice keccak256 of the lower-case hex of `addr`, without `0x` (the reverse label's hash).
    function sha3HexAddress(address addr) internal pure returns (bytes32 ret) {
        bytes16 digits = "0123456789abcdef";
        bytes memory hex_ = new bytes(40);
        uint160 value = uint160(addr);
        for (uint256 i = 40; i > 0; --i) {
            hex_[i - 1] = digits[value & 0xf];
            value >>= 4;
        }
        ret = keccak256(hex_);
    }
}
