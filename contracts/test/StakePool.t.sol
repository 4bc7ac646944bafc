// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";

/// The juror pool: who counts, how much, and that a draw at a past block cannot be moved.
contract StakePoolTest is MarketFixture {
    uint32 internal constant ANYWHERE = 0;
    uint256 internal constant _LEAVES_SLOT = 9; // StakeManager._leaves (forge inspect StakeManager storageLayout)

    /// The fixture's four workers staked 1,000 AGR each in regions 0..3; let that stake mature.
    function _matureAll() internal {
        vm.warp(block.timestamp + UNBONDING);
        for (uint256 i; i < workers.length; ++i) {
            stakes.activate(workers[i]);
        }
        vm.roll(block.number + 1);
    }

    function test_stake_countsOnlyOnceAsOldAsTheUnbondingDelay() public {
        (uint256 weight, uint256 maturing, uint256 maturesAt, uint8 region) = stakes.poolWeightOf(workers[2]);
        assertEq(weight, 0);
        assertEq(maturing, STAKE);
        assertEq(maturesAt, block.timestamp + UNBONDING);
        assertEq(region, 2);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.NothingToActivate.selector, workers[2], STAKE, maturesAt)
        );
        stakes.activate(workers[2]);
        vm.warp(maturesAt);
        vm.expectEmit(address(stakes));
        emit IStakeManager.PoolWeightChanged(workers[2], 2, STAKE);
        stakes.activate(workers[2]);
        (weight, maturing,,) = stakes.poolWeightOf(workers[2]);
        assertEq(weight, STAKE);
        assertEq(maturing, 0);
        vm.roll(block.number + 1);
        assertEq(stakes.poolTotal(ANYWHERE, block.number - 1), STAKE);
        assertEq(stakes.poolTotal(uint32(1 << 2), block.number - 1), STAKE);
        assertEq(stakes.poolTotal(uint32(1 << 1), block.number - 1), 0);
    }

    /// Attack: stake bought just before a dispute to be drawn in it counts for nothing yet.
    function test_freshStake_isNotDrawn() public {
        _matureAll();
        address whale = makeAddr("whale");
        _stake(whale, 1_000_000 ether, 0);
        vm.roll(block.number + 1);
        assertEq(stakes.poolTotal(ANYWHERE, block.number - 1), 4 * STAKE);
        for (uint256 seed; seed < 50; ++seed) {
            assertTrue(stakes.drawJuror(ANYWHERE, block.number - 1, uint256(keccak256(abi.encode(seed)))) != whale);
        }
    }

    function test_draw_isProportionalToWeight() public {
        _matureAll();
        uint256 at = block.number - 1;
        // Leaves in activation order: workers 0..3, 1,000 AGR each, regions 0..3.
        assertEq(stakes.drawJuror(ANYWHERE, at, 0), workers[0]);
        assertEq(stakes.drawJuror(ANYWHERE, at, STAKE - 1), workers[0]);
        assertEq(stakes.drawJuror(ANYWHERE, at, STAKE), workers[1]);
        assertEq(stakes.drawJuror(ANYWHERE, at, 3 * STAKE), workers[3]);
        assertEq(stakes.drawJuror(ANYWHERE, at, 4 * STAKE - 1), workers[3]);
        assertEq(stakes.drawJuror(ANYWHERE, at, 4 * STAKE), workers[0]); // modulo the total
        // Only the job's regions: 1 and 3.
        uint32 regions = uint32((1 << 1) | (1 << 3));
        assertEq(stakes.drawJuror(regions, at, 0), workers[1]);
        assertEq(stakes.drawJuror(regions, at, STAKE), workers[3]);
        assertEq(stakes.drawJuror(uint32(1 << 9), at, 0), address(0)); // nobody there
    }

    function test_draw_readsOnlyEndedBlocks() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.SnapshotNotPast.selector, block.number, block.number));
        stakes.drawJuror(ANYWHERE, block.number, 1);
    }

    /// Attack: once the snapshot block is fixed, moving stake (unstaking, restaking, changing region,
    /// being slashed) cannot change who a seed draws.
    function testFuzz_draw_cannotBeMovedAfterItsSnapshot(uint256 seed, uint96 unstaked, uint96 added) public {
        _matureAll();
        uint256 snapshot = block.number - 1;
        address[4] memory before;
        for (uint256 i; i < 4; ++i) {
            before[i] = stakes.drawJuror(ANYWHERE, snapshot, uint256(keccak256(abi.encode(seed, i))));
        }
        uint256 totalBefore = stakes.poolTotal(ANYWHERE, snapshot);

        vm.prank(workers[0]);
        stakes.requestUnstake(bound(unstaked, 1, STAKE));
        _stake(workers[1], bound(added, 1, 10_000 ether), 1);
        vm.prank(workers[2]);
        stakes.declareRegion(7);
        // a slash of worker 3 through a job it misses
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes32 jobId = _post(r);
        _lock(jobId, workers[3]);
        vm.warp(block.timestamp + UNBONDING + 4 hours);
        market.expire(jobId);
        stakes.activate(workers[1]);
        stakes.activate(workers[2]);
        vm.roll(block.number + 5);

        assertEq(stakes.poolTotal(ANYWHERE, snapshot), totalBefore);
        for (uint256 i; i < 4; ++i) {
            assertEq(stakes.drawJuror(ANYWHERE, snapshot, uint256(keccak256(abi.encode(seed, i)))), before[i]);
        }
    }

    function test_unstakeAndSlash_leaveThePool() public {
        _matureAll();
        vm.prank(workers[0]);
        stakes.requestUnstake(400 ether);
        (uint256 weight,,,) = stakes.poolWeightOf(workers[0]);
        assertEq(weight, STAKE - 400 ether);

        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes32 jobId = _post(r);
        _lock(jobId, workers[1]);
        vm.warp(r.revealDeadline + 1);
        market.expire(jobId); // DeadlineMissed: 50 AGR
        (weight,,,) = stakes.poolWeightOf(workers[1]);
        assertEq(weight, STAKE - 50 ether);
        vm.roll(block.number + 1);
        assertEq(stakes.poolTotal(ANYWHERE, block.number - 1), 4 * STAKE - 450 ether);
    }

    function test_maturingStake_isTakenFirst() public {
        _matureAll();
        _stake(workers[0], 300 ether, 0); // maturing
        vm.prank(workers[0]);
        stakes.requestUnstake(500 ether); // 300 maturing, then 200 counted
        (uint256 weight, uint256 maturing,,) = stakes.poolWeightOf(workers[0]);
        assertEq(maturing, 0);
        assertEq(weight, STAKE - 200 ether);
    }

    function test_regionChange_movesTheWeightWhenItTakesEffect() public {
        _matureAll();
        vm.prank(workers[0]);
        stakes.declareRegion(6);
        vm.roll(block.number + 1);
        assertEq(stakes.poolTotal(uint32(1 << 6), block.number - 1), 0);
        vm.warp(block.timestamp + UNBONDING);
        stakes.activate(workers[0]);
        vm.roll(block.number + 1);
        assertEq(stakes.poolTotal(uint32(1 << 6), block.number - 1), STAKE);
        assertEq(stakes.poolTotal(uint32(1 << 0), block.number - 1), 0);
        assertEq(stakes.drawJuror(uint32(1 << 6), block.number - 1, 5), workers[0]);
    }

    function test_accountBelowTheMinimum_staysMaturing() public {
        address small = makeAddr("small");
        _stake(small, MIN_STAKE - 1, 0);
        vm.warp(block.timestamp + UNBONDING);
        vm.expectPartialRevert(IStakeManager.NothingToActivate.selector);
        stakes.activate(small);
        _stake(small, 1, 0); // reaches the minimum, and the whole bucket matures anew
        (uint256 weight, uint256 maturing,,) = stakes.poolWeightOf(small);
        assertEq(weight, 0);
        assertEq(maturing, MIN_STAKE);
    }

    /// Attack: the same minimum stake recycled through new addresses (stake, mature, activate,
    /// unstake, withdraw, pass the tokens on) once used up a place in the pools for good; 65,536
    /// cycles would have shut every newcomer out. A place now goes back when its holder's bonded
    /// stake reaches zero, and a draw at a past block still finds the holder of that block.
    function test_placesGoBackAndPastDrawsKeepTheirHolder() public {
        address first = makeAddr("sybil0");
        address second = makeAddr("sybil1");
        _stake(first, MIN_STAKE, 0);
        vm.warp(block.timestamp + UNBONDING);
        stakes.activate(first);
        vm.roll(block.number + 1);
        uint256 held = block.number - 1;
        assertEq(stakes.drawJuror(uint32(1 << 0), held, 0), first);
        vm.prank(first);
        stakes.requestUnstake(MIN_STAKE); // nothing bonded left: its place goes back
        vm.roll(block.number + 1);
        _stake(second, MIN_STAKE, 0);
        vm.warp(block.timestamp + UNBONDING);
        stakes.activate(second); // takes the place given back
        vm.roll(block.number + 1);
        assertEq(stakes.drawJuror(uint32(1 << 0), block.number - 1, 0), second);
        assertEq(stakes.drawJuror(uint32(1 << 0), held, 0), first); // the past is kept
        // and the cycle can go on for ever without using up places: the same one comes back
        for (uint256 i; i < 3; ++i) {
            address next = makeAddr(string(abi.encodePacked("sybil", vm.toString(i + 2))));
            address prev = i == 0 ? second : makeAddr(string(abi.encodePacked("sybil", vm.toString(i + 1))));
            vm.prank(prev);
            stakes.requestUnstake(MIN_STAKE);
            _stake(next, MIN_STAKE, 0);
            vm.warp(block.timestamp + UNBONDING);
            stakes.activate(next);
            vm.roll(block.number + 1);
        }
        assertEq(uint256(vm.load(address(stakes), bytes32(uint256(_LEAVES_SLOT)))), 1); // one place served all five
    }

    /// A draw over many accounts lands on each about in proportion to its weight.
    function test_draw_frequenciesFollowWeights() public {
        _matureAll();
        address big = makeAddr("big");
        _stake(big, 4_000 ether, 0); // as much as the four others together
        vm.warp(block.timestamp + UNBONDING);
        stakes.activate(big);
        vm.roll(block.number + 1);
        uint256 hits;
        for (uint256 i; i < 400; ++i) {
            if (stakes.drawJuror(ANYWHERE, block.number - 1, uint256(keccak256(abi.encode("seat", i)))) == big) ++hits;
        }
        // Binomial(400, 1/2): mean 200, sd 10; a fixed seed list, so the count is exact.
        assertGt(hits, 160);
        assertLt(hits, 240);
    }
}
