// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AgoraToken} from "../src/AgoraToken.sol";

/// Drives the token with random transfers, approvals, transferFroms and faucet drips between a
/// fixed set of actors, keeping a ghost sum of what was minted.
contract TokenHandler is Test {
    AgoraToken public immutable token;
    address[] public actors;
    uint256 public ghostMinted;

    constructor(AgoraToken token_, uint256 initialSupply) {
        token = token_;
        ghostMinted = initialSupply;
        for (uint256 i; i < 5; ++i) {
            actors.push(makeAddr(string(abi.encodePacked("actor", vm.toString(i)))));
        }
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function faucet(uint256 actorSeed, uint256 amount) external {
        amount = bound(amount, 0, token.FAUCET_LIMIT());
        token.faucet(_actor(actorSeed), amount);
        ghostMinted += amount;
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _actor(fromSeed);
        amount = bound(amount, 0, token.balanceOf(from));
        vm.prank(from);
        token.transfer(_actor(toSeed), amount);
    }

    function approve(uint256 ownerSeed, uint256 spenderSeed, uint256 amount) external {
        vm.prank(_actor(ownerSeed));
        token.approve(_actor(spenderSeed), amount);
    }

    function transferFrom(uint256 spenderSeed, uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address spender = _actor(spenderSeed);
        address from = _actor(fromSeed);
        uint256 most = token.balanceOf(from);
        uint256 allowed = token.allowance(from, spender);
        if (allowed < most) most = allowed;
        amount = bound(amount, 0, most);
        vm.prank(spender);
        token.transferFrom(from, _actor(toSeed), amount);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }
}

contract AgoraTokenInvariantTest is Test {
    AgoraToken internal token;
    TokenHandler internal handler;

    function setUp() public {
        vm.chainId(31337);
        token = new AgoraToken(address(this), 0);
        handler = new TokenHandler(token, 0);
        targetContract(address(handler));
    }

    /// The sum of every balance equals the total supply, and that equals what was minted.
    function invariant_balanceSumEqualsTotalSupply() public view {
        uint256 sum = token.balanceOf(address(this));
        for (uint256 i; i < handler.actorCount(); ++i) {
            sum += token.balanceOf(handler.actors(i));
        }
        assertEq(sum, token.totalSupply());
        assertEq(token.totalSupply(), handler.ghostMinted());
    }
}
