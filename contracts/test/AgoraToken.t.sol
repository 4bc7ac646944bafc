// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AgoraToken} from "../src/AgoraToken.sol";
import {IAgoraToken} from "../src/interfaces/IAgoraToken.sol";

contract AgoraTokenTest is Test {
    AgoraToken internal token;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public {
        vm.chainId(31337);
        token = new AgoraToken(address(this), 1000 ether);
    }

    function test_constructor_mintsInitialSupplyToHolder() public view {
        assertEq(token.totalSupply(), 1000 ether);
        assertEq(token.balanceOf(address(this)), 1000 ether);
        assertEq(token.symbol(), "AGR");
    }

    function test_faucet_mintsOnDevChain() public {
        vm.expectEmit(true, false, false, true, address(token));
        emit IAgoraToken.FaucetDripped(alice, 5 ether);
        token.faucet(alice, 5 ether);
        assertEq(token.balanceOf(alice), 5 ether);
        assertEq(token.totalSupply(), 1005 ether);
    }

    function test_faucet_revertsOnNonDevChain() public {
        vm.chainId(1);
        vm.expectRevert(abi.encodeWithSelector(IAgoraToken.FaucetDisabled.selector, 1));
        token.faucet(alice, 1 ether);
        assertFalse(token.faucetEnabled());
    }

    function test_faucet_revertsAboveLimit() public {
        uint256 limit = token.FAUCET_LIMIT();
        vm.expectRevert(abi.encodeWithSelector(IAgoraToken.FaucetLimitExceeded.selector, limit + 1, limit));
        token.faucet(alice, limit + 1);
    }

    function test_transfer_revertsOnInsufficientBalance() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 0, 1));
        token.transfer(bob, 1);
    }

    function test_permit_setsAllowanceFromSignature() public {
        (address owner, uint256 key) = makeAddrAndKey("owner");
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = _permitDigest(owner, bob, 7 ether, token.nonces(owner), deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        token.permit(owner, bob, 7 ether, deadline, v, r, s);
        assertEq(token.allowance(owner, bob), 7 ether);
        assertEq(token.nonces(owner), 1);
    }

    function test_permit_revertsOnReplay() public {
        (address owner, uint256 key) = makeAddrAndKey("owner");
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = _permitDigest(owner, bob, 7 ether, 0, deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        token.permit(owner, bob, 7 ether, deadline, v, r, s);
        // The nonce moved on, so the same signature now recovers to another signer.
        vm.expectRevert();
        token.permit(owner, bob, 7 ether, deadline, v, r, s);
    }

    function test_permit_revertsWhenExpired() public {
        (address owner, uint256 key) = makeAddrAndKey("owner");
        uint256 deadline = block.timestamp;
        bytes32 digest = _permitDigest(owner, bob, 1, 0, deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(owner, bob, 1, deadline, v, r, s);
    }

    function testFuzz_transfer_conservesSupply(address to, uint256 amount) public {
        vm.assume(to != address(0));
        amount = bound(amount, 0, 1000 ether);
        uint256 before = token.balanceOf(to);
        token.transfer(to, amount);
        assertEq(token.totalSupply(), 1000 ether);
        if (to != address(this)) {
            assertEq(token.balanceOf(to), before + amount);
            assertEq(token.balanceOf(address(this)), 1000 ether - amount);
        }
    }

    function testFuzz_faucet_growsSupplyByAmount(address to, uint256 amount) public {
        vm.assume(to != address(0));
        amount = bound(amount, 0, token.FAUCET_LIMIT());
        token.faucet(to, amount);
        assertEq(token.totalSupply(), 1000 ether + amount);
    }

    function _permitDigest(address owner, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (bytes32)
    {
        bytes32 typehash =
            keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
        bytes32 structHash = keccak256(abi.encode(typehash, owner, spender, value, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }
}
