// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {AuditFixture} from "./Audit.t.sol";

/// A worker may give a slot back without fault, shortly after locking and before committing; the
/// job's last slot moves into the gap, and the releaser may not come back. Each way of abusing it
/// (cycling a slot to hold it free, walking away from a known audit, releasing a committed or an
/// auditor's slot) is refused.
contract SlotReleaseTest is AuditFixture {

    event SlotReleased(bytes32 indexed jobId, address indexed worker, uint8 slot, uint8 movedFrom);

    function setUp() public override {
        super.setUp();
        market.setAuditRate(1_000);
    }

    function _release(bytes32 jobId, uint8 index, address w) internal {
        vm.prank(w);
        market.release(jobId, index);
    }

    function test_release_freesTheSlotAndTheCollateralWithoutFault() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lock(jobId, workers[0]);
        uint256 free = _freeStake(workers[0]);
        vm.expectEmit(address(market));
        emit SlotReleased(jobId, workers[0], 0, 0);
        _release(jobId, 0, workers[0]);
        assertEq(_freeStake(workers[0]), free + COLLATERAL);
        assertEq(_lockedStake(workers[0]), 0);
        assertEq(_totalStake(workers[0]), STAKE); // nothing slashed
        assertEq(market.job(jobId).locked, 0);
        assertEq(market.slot(jobId, 0).worker, address(0));
        assertEq(_lock(jobId, workers[1]), 0); // the slot is free for another
    }

    function test_release_movesTheLastSlotWithItsCommitment() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lock(jobId, workers[0]);
        _lock(jobId, workers[1]);
        _commit(jobId, 1, workers[1], TRUTH); // committed as slot 1
        uint96 price = market.slot(jobId, 1).price;
        vm.expectEmit(address(market));
        emit SlotReleased(jobId, workers[0], 0, 1);
        _release(jobId, 0, workers[0]);
        IJobMarket.Slot memory moved = market.slot(jobId, 0);
        assertEq(moved.worker, workers[1]);
        assertEq(moved.price, price);
        assertEq(market.job(jobId).committedMask, 1); // its commitment came along, as slot 0
        assertEq(market.slot(jobId, 1).worker, address(0));
        // the job then runs as any other: two more lock, all commit and reveal, all are paid
        assertEq(_lock(jobId, workers[2]), 1);
        assertEq(_lock(jobId, workers[3]), 2);
        _commit(jobId, 1, workers[2], TRUTH);
        _commit(jobId, 2, workers[3], TRUTH);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        _forceSample(jobId, false);
        court.audit(jobId);
        _reveal(jobId, 0, workers[1], TRUTH);
        _reveal(jobId, 1, workers[2], TRUTH);
        _reveal(jobId, 2, workers[3], TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
        vm.prank(requester);
        market.accept(jobId);
        assertGt(market.balanceOf(workers[1]), 0);
        assertEq(market.balanceOf(workers[0]), 0);
        assertEq(_totalStake(workers[0]), STAKE);
    }

    function test_release_forbidsLockingAgain() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lock(jobId, workers[0]);
        _release(jobId, 0, workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.AlreadyReleased.selector, jobId, workers[0]));
        _lock(jobId, workers[0]);
    }

    function test_release_revertsAfterItsWindow() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lock(jobId, workers[0]);
        uint256 until = block.timestamp + market.RELEASE_WINDOW();
        vm.warp(until + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotReleasable.selector, jobId, 0, until));
        _release(jobId, 0, workers[0]);
    }

    function test_release_revertsAfterTheLockDeadline() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(3, 2);
        vm.warp(r.lockDeadline - 10);
        _lock(jobId, workers[0]);
        vm.warp(r.lockDeadline + 1); // inside its window, but nobody could take the slot
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotReleasable.selector, jobId, 0, r.lockDeadline));
        _release(jobId, 0, workers[0]);
    }

    function test_release_revertsOnceCommitted() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lock(jobId, workers[0]);
        _commit(jobId, 0, workers[0], TRUTH);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotReleasable.selector, jobId, 0, 0));
        _release(jobId, 0, workers[0]);
    }

    function test_release_revertsForAnotherWorkersSlot() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lock(jobId, workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotSlotWorker.selector, jobId, 0, workers[1]));
        _release(jobId, 0, workers[1]);
    }

    /// Whoever has seen the audit's seed may not walk away from an audit it does not like.
    function test_release_revertsOnceTheAuditSeedIsMined() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lockAll(jobId, 3);
        uint32 seedBlock = market.job(jobId).audit;
        vm.roll(uint256(seedBlock) + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotReleasable.selector, jobId, 2, 0));
        _release(jobId, 2, workers[2]);
    }

    /// Before the seed block is mined nobody knows the seed: a release reopens locking, and the
    /// next full lock fixes a new seed block.
    function test_release_beforeTheSeedIsMinedResetsTheAudit() public {
        (bytes32 jobId,) = _postK(3, 2);
        _lockAll(jobId, 3);
        assertGt(market.job(jobId).audit, 2);
        _release(jobId, 2, workers[2]);
        assertEq(market.job(jobId).audit, 1); // awaiting locking again
        vm.roll(block.number + 5);
        _lock(jobId, workers[3]);
        assertEq(market.job(jobId).audit, block.number + market.AUDIT_SEED_DELAY());
    }

    function test_release_revertsForAnAuditor() public {
        market.setAuditRate(10_000);
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        _forceSample(jobId, true);
        court.audit(jobId);
        address auditor = market.slot(jobId, 2).worker;
        assertTrue(auditor != address(0));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotReleasable.selector, jobId, 2, 0));
        _release(jobId, 2, auditor);
    }

    /// Tokens are conserved and the releaser keeps its whole stake, wherever in its window it
    /// gives the slot back and whichever slot moves.
    function testFuzz_release_conservesTokensAndStake(uint8 lockers, uint8 which, uint32 after_) public {
        lockers = uint8(bound(lockers, 1, 3));
        which = uint8(bound(which, 0, lockers - 1));
        after_ = uint32(bound(after_, 0, market.RELEASE_WINDOW()));
        uint256 held = _held();
        (bytes32 jobId,) = _postK(4, 3);
        for (uint8 i; i < lockers; ++i) {
            _lock(jobId, workers[i]);
        }
        vm.warp(block.timestamp + after_);
        address[] memory before = new address[](lockers);
        for (uint8 i; i < lockers; ++i) {
            before[i] = market.slot(jobId, i).worker;
        }
        _release(jobId, which, workers[which]);
        assertEq(_held(), held);
        assertEq(_totalStake(workers[which]), STAKE);
        assertEq(_lockedStake(workers[which]), 0);
        IJobMarket.Job memory j = market.job(jobId);
        assertEq(j.locked, lockers - 1);
        for (uint8 i; i < j.locked; ++i) {
            address w = market.slot(jobId, i).worker;
            assertTrue(w != workers[which]);
            assertEq(_lockedStake(w), COLLATERAL);
        }
        if (which != lockers - 1) assertEq(market.slot(jobId, which).worker, before[lockers - 1]);
    }

    function _freeStake(address w) internal view returns (uint256 free) {
        (free,,) = stakes.stakeOf(w);
    }
}
