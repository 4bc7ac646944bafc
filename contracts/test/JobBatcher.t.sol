// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {JobBatcher} from "../src/JobBatcher.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";

contract JobBatcherTest is MarketFixture {
    JobBatcher internal batcher;

    function setUp() public override {
        super.setUp();
        batcher = new JobBatcher(market);
    }

    function _batch(uint256 n)
        internal
        returns (IJobMarket.JobRequest[] memory rs, bytes[] memory sigs)
    {
        rs = new IJobMarket.JobRequest[](n);
        sigs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            rs[i] = _request(1, 1);
            sigs[i] = _sign(rs[i], requesterKey);
        }
    }

    function test_postJobs_postsEachAsPostJobWould() public {
        (IJobMarket.JobRequest[] memory rs, bytes[] memory sigs) = _batch(3);
        uint256 before = market.balanceOf(requester);
        bytes32[] memory ids = batcher.postJobs(rs, sigs);
        for (uint256 i; i < 3; ++i) {
            assertEq(ids[i], market.hashRequest(rs[i]));
            assertEq(uint8(market.job(ids[i]).status), uint8(IJobMarket.JobStatus.Open));
            assertEq(market.job(ids[i]).requester, requester);
        }
        assertEq(before - market.balanceOf(requester), 3 * 10 ether); // the escrow, from the requester only
        assertEq(market.balanceOf(address(batcher)), 0);
    }

    /// A refused request (here: a replay, a forged signature, an unaffordable one) is skipped with
    /// the market's error; the others are posted; nothing else changes.
    function test_postJobs_skipsWhatTheMarketRefuses() public {
        (IJobMarket.JobRequest[] memory rs, bytes[] memory sigs) = _batch(4);
        _post(rs[1]); // already posted: NonceUsed
        (, uint256 malloryKey) = makeAddrAndKey("mallory");
        sigs[2] = _sign(rs[2], malloryKey); // not the requester's signature
        rs[3].maxPrice = 1_000_000 ether; // more than the deposit
        rs[3].minPrice = 1 ether;
        sigs[3] = _sign(rs[3], requesterKey);
        uint256 before = market.balanceOf(requester);
        vm.expectEmit(address(batcher));
        emit JobBatcher.PostRefused(1, abi.encodeWithSelector(IJobMarket.NonceUsed.selector, requester, rs[1].nonce));
        bytes32[] memory ids = batcher.postJobs(rs, sigs);
        assertEq(ids[0], market.hashRequest(rs[0]));
        assertEq(ids[1], bytes32(0));
        assertEq(ids[2], bytes32(0));
        assertEq(ids[3], bytes32(0));
        assertEq(before - market.balanceOf(requester), 10 ether); // only the one posted
        assertFalse(market.nonceUsed(requester, rs[2].nonce)); // a refused request burns nothing
        assertFalse(market.nonceUsed(requester, rs[3].nonce));
    }

    function test_postJobs_refusesMismatchedLists() public {
        (IJobMarket.JobRequest[] memory rs,) = _batch(2);
        vm.expectRevert(abi.encodeWithSelector(JobBatcher.BatchMismatch.selector, 2, 1));
        batcher.postJobs(rs, new bytes[](1));
    }

    /// Whatever a batch holds, the requester's deposit falls by exactly the escrow of the jobs
    /// posted, and the batcher never holds anything.
    function testFuzz_postJobs_conservesTheDeposit(uint8 n, uint256 forgedMask) public {
        n = uint8(bound(n, 1, 8));
        (IJobMarket.JobRequest[] memory rs, bytes[] memory sigs) = _batch(n);
        (, uint256 malloryKey) = makeAddrAndKey("mallory");
        for (uint256 i; i < n; ++i) {
            if (forgedMask & (1 << i) != 0) sigs[i] = _sign(rs[i], malloryKey);
        }
        uint256 before = market.balanceOf(requester);
        bytes32[] memory ids = batcher.postJobs(rs, sigs);
        uint256 posted;
        for (uint256 i; i < n; ++i) {
            if (ids[i] != bytes32(0)) posted++;
            assertEq(ids[i] != bytes32(0), forgedMask & (1 << i) == 0);
        }
        assertEq(before - market.balanceOf(requester), posted * 10 ether);
        assertEq(token.balanceOf(address(batcher)), 0);
    }
}
