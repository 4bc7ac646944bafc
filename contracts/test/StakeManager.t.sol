// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IAgoraToken} from "../src/interfaces/IAgoraToken.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";

contract StakeManagerTest is MarketFixture {
    function test_stake_addsFreeStakeAndRegion() public view {
        (uint256 free, uint256 locked, uint256 unbonding) = stakes.stakeOf(workers[1]);
        assertEq(free, STAKE);
        assertEq(locked + unbonding, 0);
        (uint8 region, bool declared) = stakes.regionOf(workers[1]);
        assertEq(region, 1);
        assertTrue(declared);
        assertEq(stakes.totalStaked(), 4 * STAKE);
    }

    function test_stake_revertsOnZero() public {
        vm.expectRevert(IStakeManager.ZeroAmount.selector);
        stakes.stake(0, 0);
    }

    function test_stake_revertsOnInvalidRegion() public {
        token.faucet(address(this), 1 ether);
        token.approve(address(stakes), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.InvalidRegion.selector, 32));
        stakes.stake(1 ether, 32);
    }

    function test_regionChange_takesEffectAfterTheUnbondingDelay() public {
        vm.prank(workers[0]);
        stakes.declareRegion(5);
        (uint8 region,) = stakes.regionOf(workers[0]);
        assertEq(region, 0);
        IJobMarket.JobRequest memory r = _request(1, 1);
        r.regions = 1 << 5;
        bytes32 jobId = _post(r);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.RegionNotAllowed.selector, jobId, workers[0], 0, r.regions));
        _lock(jobId, workers[0]);
        vm.warp(block.timestamp + UNBONDING);
        (region,) = stakes.regionOf(workers[0]);
        assertEq(region, 5);
        r = _request(1, 1);
        r.regions = 1 << 5;
        _lock(_post(r), workers[0]);
    }

    function test_requestUnstake_revertsAboveFree() public {
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.InsufficientFreeStake.selector, workers[0], STAKE + 1, STAKE));
        stakes.requestUnstake(STAKE + 1);
    }

    function test_requestUnstake_revertsOnZero() public {
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.InsufficientFreeStake.selector, workers[0], 0, STAKE));
        stakes.requestUnstake(0);
    }

    function test_withdraw_afterDelayOnly() public {
        vm.startPrank(workers[0]);
        stakes.requestUnstake(100 ether);
        uint256 readyAt = block.timestamp + UNBONDING;
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.NothingToWithdraw.selector, workers[0], 100 ether, readyAt)
        );
        stakes.withdraw();
        vm.warp(readyAt);
        stakes.withdraw();
        vm.stopPrank();
        assertEq(token.balanceOf(workers[0]), 100 ether);
        assertEq(stakes.totalStaked(), 4 * STAKE - 100 ether);
    }

    function test_withdraw_revertsWithNothingUnbonding() public {
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.NothingToWithdraw.selector, workers[0], 0, 0));
        stakes.withdraw();
    }

    function test_marketOnly_functionsRevertForOthers() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.OnlyMarket.selector, address(this)));
        stakes.lockCollateral(workers[0], bytes32(0), 1);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.OnlyMarket.selector, address(this)));
        stakes.releaseCollateral(workers[0], bytes32(0), 1);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.OnlyMarket.selector, address(this)));
        stakes.slash(workers[0], bytes32(0), 1, IStakeManager.SlashReason.WrongResult, address(this));
    }

    function test_setMarket_onlyOnce() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.MarketAlreadySet.selector, address(market)));
        stakes.setMarket(address(1));
    }

    function test_parameters_onlyOwnerAndEvented() public {
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, workers[0]));
        stakes.setBurnShare(0);
        vm.expectEmit(address(stakes));
        emit IStakeManager.BurnShareChanged(BURN_BPS, 5_000);
        stakes.setBurnShare(5_000);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.ParameterOutOfRange.selector, 5_001, 0, 5_000));
        stakes.setBurnShare(5_001);
        vm.expectEmit(address(stakes));
        emit IStakeManager.UnbondingDelayChanged(UNBONDING, 2 days);
        stakes.setUnbondingDelay(2 days);
        vm.expectEmit(address(stakes));
        emit IStakeManager.MinStakeChanged(MIN_STAKE, 1 ether);
        stakes.setMinStake(1 ether);
    }

    /// Attack: an owner burning every slash (nothing left for the wronged), locking stake in for
    /// ever, or making stake worthless as a bar to entry.
    function test_parameters_areBounded() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.ParameterOutOfRange.selector, 10_000, 0, 5_000));
        stakes.setBurnShare(10_000);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.ParameterOutOfRange.selector, 0, 60, 90 days));
        stakes.setUnbondingDelay(0);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.ParameterOutOfRange.selector, 365 days, 60, 90 days));
        stakes.setUnbondingDelay(365 days);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.ParameterOutOfRange.selector, 0, 1 ether, 1_000_000 ether)
        );
        stakes.setMinStake(0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakeManager.ParameterOutOfRange.selector, 1_000_001 ether, 1 ether, 1_000_000 ether
            )
        );
        stakes.setMinStake(1_000_001 ether);
    }

    function test_constructor_revertsOnParametersOutOfBounds() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.ParameterOutOfRange.selector, 10_001, 0, 5_000));
        new StakeManager(token, address(this), 10_001, 1 days, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.ParameterOutOfRange.selector, 1, 60, 90 days));
        new StakeManager(token, address(this), 2_000, 1, 100 ether);
    }

    function test_ownership_transferIsTwoStep() public {
        stakes.transferOwnership(workers[0]);
        assertEq(stakes.owner(), address(this));
        vm.prank(workers[0]);
        stakes.acceptOwnership();
        assertEq(stakes.owner(), workers[0]);
    }

    // -- attacks -------------------------------------------------------------------------------
    function test_attack_lockedCollateralCannotBeUnstaked() public {
        bytes32 jobId = _post(_request(1, 1));
        _lock(jobId, workers[0]);
        vm.prank(workers[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.InsufficientFreeStake.selector, workers[0], STAKE, STAKE - 50 ether)
        );
        stakes.requestUnstake(STAKE);
    }

    function test_attack_unbondingStakeStaysSlashable() public {
        // A worker unstakes all it can while a job runs, then misses the deadline.
        IJobMarket.JobRequest memory r = _request(1, 1);
        r.collateral = uint96(STAKE); // everything locked
        bytes32 jobId = _post(r);
        _lock(jobId, workers[0]);
        vm.warp(r.revealDeadline + 1);
        market.expire(jobId);
        assertEq(_totalStake(workers[0]), 0);
        // And stake moved to unbonding before a slash is still taken.
        vm.prank(workers[1]);
        stakes.requestUnstake(STAKE - 100 ether);
        vm.prank(address(market));
        uint256 taken = stakes.slash(workers[1], bytes32(0), 500 ether, IStakeManager.SlashReason.LostDispute, requester);
        assertEq(taken, 500 ether);
        (uint256 free,, uint256 unbonding) = stakes.stakeOf(workers[1]);
        assertEq(free, 0);
        assertEq(unbonding, STAKE - 500 ether);
    }

    function test_slash_burnsItsShare() public {
        uint256 supply = token.totalSupply();
        vm.prank(address(market));
        stakes.slash(workers[0], bytes32(0), 100 ether, IStakeManager.SlashReason.WrongResult, requester);
        assertEq(token.totalSupply(), supply - 20 ether);
    }
}

/// An ERC-20 that calls back into the market while it moves tokens.
contract ReentrantToken is ERC20 {
    JobMarket public target;
    bool internal armed;

    constructor() ERC20("Evil", "EVL") {
        _mint(msg.sender, 1_000_000 ether);
    }

    function arm(JobMarket target_) external {
        (target, armed) = (target_, true);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed && from == address(target)) {
            armed = false;
            target.withdraw(value); // re-enter: withdraw again inside the first withdraw
        }
    }
}

contract ReentrancyTest is MarketFixture {
    function test_attack_reentrantTokenCannotWithdrawTwice() public {
        ReentrantToken evil = new ReentrantToken();
        JobMarket evilMarket =
            new JobMarket(IERC20(address(evil)), stakes, address(this), MAX_DURATION, CHALLENGE, MIN_COMPUTE, MIN_REVEAL);
        evil.approve(address(evilMarket), 10 ether);
        evilMarket.deposit(10 ether);
        evil.transfer(address(evil), 0);
        evil.arm(evilMarket);
        vm.expectRevert(); // ReentrancyGuardReentrantCall, bubbled up through the token
        evilMarket.withdraw(10 ether);
        assertEq(evilMarket.balanceOf(address(this)), 10 ether);
        assertEq(evil.balanceOf(address(evilMarket)), 10 ether);
    }
}
