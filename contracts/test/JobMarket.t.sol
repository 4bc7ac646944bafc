// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";

contract JobMarketTest is MarketFixture {
    bytes32 internal constant TRUTH = keccak256("the right answer");
    bytes32 internal constant LIE = keccak256("a wrong answer");

    // -- deposits ------------------------------------------------------------------------------
    function test_deposit_and_withdraw_move_tokens() public {
        vm.startPrank(requester);
        market.withdraw(1 ether);
        vm.stopPrank();
        assertEq(market.balanceOf(requester), 50_000 ether - 1 ether);
        assertEq(token.balanceOf(requester), 50_001 ether);
    }

    function test_deposit_revertsOnZero() public {
        vm.prank(requester);
        vm.expectRevert(IJobMarket.ZeroAmount.selector);
        market.deposit(0);
    }

    function test_withdraw_revertsAboveBalance() public {
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.InsufficientBalance.selector, workers[0], 0, 1));
        market.withdraw(1);
    }

    function test_withdraw_revertsOnZero() public {
        vm.prank(requester);
        vm.expectRevert(IJobMarket.ZeroAmount.selector);
        market.withdraw(0);
    }

    function test_depositWithPermit_in_one_transaction() public {
        (address payer, uint256 key) = makeAddrAndKey("payer");
        token.faucet(payer, 5 ether);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                payer, address(market), 5 ether, 0, block.timestamp
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(key, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
        vm.prank(payer);
        market.depositWithPermit(5 ether, block.timestamp, v, r, s);
        assertEq(market.balanceOf(payer), 5 ether);
    }

    function _postExpecting(IJobMarket.JobRequest memory r, bytes memory err) internal {
        bytes memory sig = _sign(r, requesterKey);
        vm.expectRevert(err);
        market.postJob(r, sig);
    }

    // -- posting -------------------------------------------------------------------------------
    function test_postJob_moves_escrow_from_deposit() public {
        bytes32 jobId = _post(_request(3, 2));
        assertEq(market.escrowOf(jobId), 30 ether);
        assertEq(market.balanceOf(requester), 50_000 ether - 30 ether);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Open));
    }

    function test_postJob_anyone_may_relay() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes memory sig = _sign(r, requesterKey);
        vm.prank(workers[3]);
        bytes32 jobId = market.postJob(r, sig);
        assertEq(market.job(jobId).requester, requester);
    }

    function test_postJob_revertsWhenExpired() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes memory sig = _sign(r, requesterKey);
        vm.warp(r.expiry + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.RequestExpired.selector, r.expiry, r.expiry + 1));
        market.postJob(r, sig);
    }

    function test_postJob_revertsOnWrongSigner() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        (address mallory, uint256 key) = makeAddrAndKey("mallory");
        bytes memory sig = _sign(r, key);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.InvalidSignature.selector, requester, mallory));
        market.postJob(r, sig);
    }

    function test_postJob_revertsOnReplay() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes memory sig = _sign(r, requesterKey);
        market.postJob(r, sig);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NonceUsed.selector, requester, r.nonce));
        market.postJob(r, sig);
    }

    function test_cancelNonce_stopsARelayedRequest() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes memory sig = _sign(r, requesterKey);
        uint256 before = market.balanceOf(requester);
        vm.expectEmit(address(market));
        emit IJobMarket.NonceCancelled(requester, r.nonce);
        vm.prank(requester);
        market.cancelNonce(r.nonce);
        assertTrue(market.nonceUsed(requester, r.nonce));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NonceUsed.selector, requester, r.nonce));
        market.postJob(r, sig); // the relayer holding the signed request can no longer post it
        assertEq(market.balanceOf(requester), before);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NonceUsed.selector, requester, r.nonce));
        market.cancelNonce(r.nonce); // burnt once
    }

    /// Anyone may burn only their own nonces: a griefer cancelling another's request burns its own.
    function testFuzz_cancelNonce_burnsOnlyTheCallersNonce(address griefer, uint256 nonce) public {
        vm.assume(griefer != requester);
        vm.prank(griefer);
        market.cancelNonce(nonce);
        assertTrue(market.nonceUsed(griefer, nonce));
        assertFalse(market.nonceUsed(requester, nonce));
    }

    function test_postJob_revertsOnReusedNonceWithOtherTerms() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        _post(r);
        r.maxPrice = 12 ether;
        bytes memory sig = _sign(r, requesterKey);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NonceUsed.selector, requester, r.nonce));
        market.postJob(r, sig);
    }

    function test_postJob_revertsForSignatureFromOtherChain() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        vm.chainId(1);
        bytes memory sig = _sign(r, requesterKey); // the domain now names chain 1
        vm.chainId(31337);
        vm.expectPartialRevert(IJobMarket.InvalidSignature.selector);
        market.postJob(r, sig);
    }

    function test_postJob_revertsForSignatureForOtherContract() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes32 otherDomain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("AgoraJobMarket"), keccak256("1"), block.chainid, address(0xBEEF)
            )
        );
        (uint8 v, bytes32 rr, bytes32 s) =
            vm.sign(requesterKey, keccak256(abi.encodePacked("\x19\x01", otherDomain, market.hashRequest(r))));
        vm.expectPartialRevert(IJobMarket.InvalidSignature.selector);
        market.postJob(r, abi.encodePacked(rr, s, v));
    }

    function test_postJob_revertsOnHighS() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", market.domainSeparator(), market.hashRequest(r)));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(requesterKey, digest);
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes32 highS = bytes32(n - uint256(s));
        uint8 flipped = v == 27 ? 28 : 27;
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        market.postJob(r, abi.encodePacked(rr, highS, flipped));
    }

    function test_postJob_revertsOnInsufficientDeposit() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        (r.maxPrice, r.collateral) = (60_000 ether, 225_000 ether);
        _postExpecting(
            r, abi.encodeWithSelector(IJobMarket.InsufficientBalance.selector, requester, 50_000 ether, 60_000 ether)
        );
    }

    function test_postJob_revertsOnInvalidTerms() public {
        IJobMarket.JobRequest memory r = _request(0, 1);
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.InvalidRedundancy.selector, 0, 8));
        r = _request(9, 1);
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.InvalidRedundancy.selector, 9, 8));
        r = _request(2, 3);
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.InvalidQuorum.selector, 3, 2));
        r = _request(1, 1);
        r.minPrice = 11 ether;
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.InvertedPriceRange.selector, 11 ether, 10 ether));
        r = _request(2, 1);
        r.mode = IJobMarket.Mode.ZK;
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.InvalidZkTerms.selector, 2, bytes32(0)));
        r = _request(1, 1);
        r.lockDeadline = uint40(block.timestamp);
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.LockDeadlinePassed.selector, block.timestamp, block.timestamp));
        r = _request(1, 1);
        r.requester = address(0);
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.ZeroRequester.selector));
    }

    /// Attack: deadlines that leave no time to compute or to reveal, so honest workers are slashed
    /// for missing them (commitDeadline == revealDeadline kept reveals from ever opening).
    function test_postJob_revertsWithoutComputeOrRevealWindow() public {
        IJobMarket.JobRequest memory r = _request(2, 2);
        r.commitDeadline = r.revealDeadline;
        _postExpecting(
            r,
            abi.encodeWithSelector(
                IJobMarket.RevealWindowTooShort.selector, r.commitDeadline, r.revealDeadline, MIN_REVEAL
            )
        );
        r = _request(2, 2);
        r.commitDeadline = uint40(r.lockDeadline + MIN_COMPUTE - 1);
        _postExpecting(
            r,
            abi.encodeWithSelector(IJobMarket.ComputeWindowTooShort.selector, r.lockDeadline, r.commitDeadline, MIN_COMPUTE)
        );
        r = _request(2, 2);
        r.commitDeadline = r.lockDeadline - 1; // out of order
        _postExpecting(
            r,
            abi.encodeWithSelector(IJobMarket.ComputeWindowTooShort.selector, r.lockDeadline, r.commitDeadline, MIN_COMPUTE)
        );
        // exactly the minimum windows are accepted
        r = _request(2, 2);
        r.commitDeadline = uint40(r.lockDeadline + MIN_COMPUTE);
        r.revealDeadline = uint40(r.commitDeadline + MIN_REVEAL);
        _post(r);
    }

    function testFuzz_postJob_acceptsExactlyTheWindowsAllowed(uint32 compute, uint32 reveal) public {
        IJobMarket.JobRequest memory r = _request(2, 2);
        compute = uint32(bound(compute, 0, 2 * MIN_COMPUTE));
        reveal = uint32(bound(reveal, 0, 2 * MIN_REVEAL));
        r.commitDeadline = uint40(r.lockDeadline + compute);
        r.revealDeadline = uint40(r.commitDeadline + reveal);
        bytes memory signature = _sign(r, requesterKey);
        if (compute < MIN_COMPUTE || reveal < MIN_REVEAL) vm.expectRevert();
        market.postJob(r, signature);
    }

    function test_postJob_revertsWhenTooLong() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        r.revealDeadline = uint40(block.timestamp + MAX_DURATION + 1);
        _postExpecting(r, abi.encodeWithSelector(IJobMarket.DurationTooLong.selector, MAX_DURATION + 1, MAX_DURATION));
    }

    // -- the auction ---------------------------------------------------------------------------
    function test_lock_priceRisesAlongTheRamp() public {
        bytes32 jobId = _post(_request(3, 2));
        assertEq(market.currentAsk(jobId), 1 ether);
        vm.warp(block.timestamp + 50);
        assertEq(market.currentAsk(jobId), 5.5 ether);
        _lock(jobId, workers[0]);
        assertEq(market.slot(jobId, 0).price, 5.5 ether);
        vm.warp(block.timestamp + 1000);
        assertEq(market.currentAsk(jobId), 10 ether);
    }

    function test_lock_locksCollateral() public {
        bytes32 jobId = _post(_request(1, 1));
        _lock(jobId, workers[0]);
        (uint256 free, uint256 locked,) = stakes.stakeOf(workers[0]);
        assertEq(free, STAKE - 50 ether);
        assertEq(locked, 50 ether);
    }

    function test_lock_revertsAfterDeadline() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes32 jobId = _post(r);
        vm.warp(r.lockDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.LockClosed.selector, jobId, r.lockDeadline, r.lockDeadline + 1));
        _lock(jobId, workers[0]);
    }

    function test_lock_revertsWhenFull() public {
        bytes32 jobId = _post(_request(1, 1));
        _lock(jobId, workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobFull.selector, jobId, 1));
        _lock(jobId, workers[1]);
    }

    function test_lock_revertsOnSecondSlotForSameWorker() public {
        bytes32 jobId = _post(_request(3, 2));
        _lock(jobId, workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WorkerAlreadyLocked.selector, jobId, workers[0]));
        _lock(jobId, workers[0]);
    }

    function test_lock_revertsOutsideAllowedRegions() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        r.regions = 1 << 2; // only region 2 (workers[2])
        bytes32 jobId = _post(r);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.RegionNotAllowed.selector, jobId, workers[0], 0, r.regions));
        _lock(jobId, workers[0]);
        _lock(jobId, workers[2]);
    }

    function test_lock_revertsOnUnknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobNotOpen.selector, bytes32(0), IJobMarket.JobStatus.None));
        _lock(bytes32(0), workers[0]);
    }

    function test_lock_revertsWithoutEnoughStake() public {
        bytes32 jobId = _post(_request(1, 1));
        address poor = makeAddr("poor");
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeBelowMinimum.selector, poor, 0, MIN_STAKE));
        _lock(jobId, poor);
    }

    function test_lock_revertsWhenCollateralExceedsFreeStake() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        r.collateral = uint96(STAKE + 1);
        bytes32 jobId = _post(r);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.InsufficientFreeStake.selector, workers[0], STAKE + 1, STAKE)
        );
        _lock(jobId, workers[0]);
    }

    // -- commit and reveal ---------------------------------------------------------------------
    function _threeLocked() internal returns (bytes32 jobId, IJobMarket.JobRequest memory r) {
        r = _request(3, 2);
        jobId = _post(r);
        for (uint256 i; i < 3; ++i) {
            _lock(jobId, workers[i]);
        }
    }

    function test_commit_revertsForOthersSlot() public {
        (bytes32 jobId,) = _threeLocked();
        vm.prank(workers[1]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotSlotWorker.selector, jobId, 0, workers[1]));
        market.commit(jobId, 0, bytes32(0));
    }

    function test_commit_revertsAfterDeadline() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        vm.warp(r.commitDeadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.CommitClosed.selector, jobId, r.commitDeadline, r.commitDeadline + 1)
        );
        _commit(jobId, 0, workers[0], TRUTH);
    }

    function test_commit_revertsTwice() public {
        (bytes32 jobId,) = _threeLocked();
        _commit(jobId, 0, workers[0], TRUTH);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.AlreadyCommitted.selector, jobId, 0));
        _commit(jobId, 0, workers[0], TRUTH);
    }

    function test_commit_revertsOnZkJob() public {
        bytes32 jobId = _post(_zkRequest());
        _lock(jobId, workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WrongMode.selector, jobId, IJobMarket.Mode.ZK));
        _commit(jobId, 0, workers[0], TRUTH);
    }

    function test_reveal_revertsBeforeAllCommitted() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        _commit(jobId, 0, workers[0], TRUTH);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
    }

    function test_reveal_opensAfterCommitDeadline() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        _commit(jobId, 0, workers[0], TRUTH);
        vm.warp(r.commitDeadline + 1);
        _reveal(jobId, 0, workers[0], TRUTH);
        assertEq(market.slot(jobId, 0).sealed_, TRUTH);
    }

    function test_reveal_revertsOnMismatch() public {
        (bytes32 jobId,) = _threeLocked();
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, workers[i], TRUTH);
        }
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.CommitmentMismatch.selector, jobId, 0));
        _reveal(jobId, 0, workers[0], LIE);
    }

    function test_reveal_copyingAnotherCommitmentFails() public {
        (bytes32 jobId,) = _threeLocked();
        _commit(jobId, 0, workers[0], TRUTH);
        // worker 1 copies worker 0's commitment verbatim
        vm.prank(workers[1]);
        market.commit(jobId, 1, _commitment(TRUTH, workers[0]));
        _commit(jobId, 2, workers[2], TRUTH);
        _reveal(jobId, 0, workers[0], TRUTH);
        // the commitment binds worker 0's address: worker 1 cannot open it, even knowing the salt
        vm.prank(workers[1]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.CommitmentMismatch.selector, jobId, 1));
        market.reveal(jobId, 1, TRUTH, keccak256(abi.encode("salt", workers[0])), bytes32(0));
    }

    function test_reveal_revertsAfterDeadline() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, workers[i], TRUTH);
        }
        vm.warp(r.revealDeadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealClosed.selector, jobId, r.revealDeadline, r.revealDeadline + 1)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
    }

    function test_reveal_revertsTwice() public {
        (bytes32 jobId,) = _threeLocked();
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, workers[i], TRUTH);
        }
        _reveal(jobId, 0, workers[0], TRUTH);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.AlreadyRevealed.selector, jobId, 0));
        _reveal(jobId, 0, workers[0], TRUTH);
    }

    // -- settlement ----------------------------------------------------------------------------
    function _runJob(bytes32[3] memory answers, bool[3] memory reveals) internal returns (bytes32 jobId) {
        IJobMarket.JobRequest memory r;
        (jobId, r) = _threeLocked();
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, workers[i], answers[i]);
        }
        for (uint8 i; i < 3; ++i) {
            if (reveals[i]) _reveal(jobId, i, workers[i], answers[i]);
        }
        if (market.job(jobId).status == IJobMarket.JobStatus.Open) {
            vm.warp(r.revealDeadline + 1);
            market.settle(jobId);
        }
        if (market.job(jobId).status == IJobMarket.JobStatus.Provisional) {
            vm.warp(market.finalAfter(jobId) + 1);
            market.finalize(jobId);
        }
    }

    /// Reveals by all three (with `answers`) without settling: the last reveal settles.
    function _revealAll(bytes32[3] memory answers) internal returns (bytes32 jobId, IJobMarket.JobRequest memory r) {
        (jobId, r) = _threeLocked();
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, workers[i], answers[i]);
        }
        for (uint8 i; i < 3; ++i) {
            _reveal(jobId, i, workers[i], answers[i]);
        }
    }

    /// Nothing is final until the challenge window has passed: a quorum is provisional, nobody is
    /// paid or slashed for their digest, the escrow is held.
    function test_settle_isProvisionalUntilTheChallengeWindowPasses() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _revealAll([TRUTH, TRUTH, TRUTH]);
        IJobMarket.Job memory j = market.job(jobId);
        assertEq(uint8(j.status), uint8(IJobMarket.JobStatus.Provisional));
        assertEq(market.finalAfter(jobId), r.revealDeadline + CHALLENGE);
        assertEq(market.escrowOf(jobId), 30 ether);
        assertEq(market.balanceOf(workers[0]), 0);
        (, uint256 locked,) = stakes.stakeOf(workers[0]);
        assertEq(locked, 50 ether);
        uint256 due = r.revealDeadline + CHALLENGE;
        vm.warp(due);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.NotFinalizable.selector, jobId, IJobMarket.JobStatus.Provisional, due, due)
        );
        market.finalize(jobId);
        vm.warp(due + 1);
        vm.prank(makeAddr("anyone"));
        market.finalize(jobId);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        for (uint256 i; i < 3; ++i) {
            assertEq(market.balanceOf(workers[i]), 1 ether);
            assertEq(_totalStake(workers[i]), STAKE);
        }
        assertEq(market.balanceOf(requester), deposit - 3 ether); // three prices paid from the escrow
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.NotFinalizable.selector, jobId, IJobMarket.JobStatus.Settled, due, due + 1)
        );
        market.finalize(jobId);
    }

    function test_accept_finalizesAUnanimousResultAtOnce() public {
        (bytes32 jobId,) = _revealAll([TRUTH, TRUTH, TRUTH]);
        vm.prank(workers[0]); // a slot holder cannot waive the requester's challenge
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotRequester.selector, jobId, workers[0]));
        market.accept(jobId);
        vm.prank(requester);
        market.accept(jobId);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        for (uint256 i; i < 3; ++i) {
            assertEq(market.balanceOf(workers[i]), 1 ether);
        }
    }

    /// Attack: a requester accepting early a result that one slot disputes by its reveal.
    function test_accept_refusesWithoutUnanimity() public {
        (bytes32 jobId,) = _revealAll([TRUTH, LIE, TRUTH]); // disagreeing reveals went to the court
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.NotFinalizable.selector,
                jobId,
                IJobMarket.JobStatus.Disputed,
                market.finalAfter(jobId),
                block.timestamp
            )
        );
        market.accept(jobId);
        // fewer reveals than slots is not unanimity either
        IJobMarket.JobRequest memory r = _request(2, 1);
        bytes32 other = _post(r);
        _lock(other, workers[0]);
        _lock(other, workers[1]);
        _commit(other, 0, workers[0], TRUTH);
        _commit(other, 1, workers[1], TRUTH);
        _reveal(other, 0, workers[0], TRUTH);
        vm.warp(r.revealDeadline + 1);
        market.settle(other);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotUnanimous.selector, other, 1, 2));
        market.accept(other);
    }

    function test_settle_paysAllHonestWorkers() public {
        uint256 before = market.balanceOf(requester);
        bytes32 jobId = _runJob([TRUTH, TRUTH, TRUTH], [true, true, true]);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        for (uint256 i; i < 3; ++i) {
            assertEq(market.balanceOf(workers[i]), 1 ether);
            assertEq(_totalStake(workers[i]), STAKE);
        }
        assertEq(market.balanceOf(requester), before - 3 ether); // 30 escrowed, 3 x 1 paid, 27 back
        assertEq(market.escrowOf(jobId), 0);
    }

    function test_settle_slashesNoReveal() public {
        bytes32 jobId = _runJob([TRUTH, TRUTH, TRUTH], [true, true, false]);
        assertEq(_totalStake(workers[2]), STAKE - 50 ether);
        assertEq(_totalStake(workers[0]), STAKE);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
    }

    /// Agreeing reveals short of the quorum: nothing to decide between, nothing to finalise.
    function test_settle_withoutQuorumIsUnresolvedThenVoid() public {
        bytes32 jobId = _runJob([TRUTH, TRUTH, TRUTH], [true, false, false]);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Unresolved));
        assertEq(market.escrowOf(jobId), 30 ether);
        (, uint256 locked,) = stakes.stakeOf(workers[0]);
        assertEq(locked, 50 ether);
        uint256 due = market.job(jobId).revealDeadline + 1 + CHALLENGE; // settled a second late
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.NotExpirable.selector, jobId, IJobMarket.JobStatus.Unresolved, due, block.timestamp
            )
        );
        market.expire(jobId);
        vm.warp(due + 1);
        uint256 before = market.balanceOf(requester);
        vm.expectEmit(address(market));
        emit IJobMarket.JobVoid(jobId, 1);
        market.expire(jobId);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Void));
        // the revealer is paid its price and keeps its collateral; the rest goes back
        assertEq(market.balanceOf(requester), before + 29 ether);
        assertEq(market.balanceOf(workers[0]), 1 ether);
        assertEq(_totalStake(workers[0]), STAKE);
        assertEq(_totalStake(workers[1]), STAKE - 50 ether); // committed, never revealed
        (, locked,) = stakes.stakeOf(workers[0]);
        assertEq(locked, 0);
        assertEq(market.escrowOf(jobId), 0);
    }

    function test_settle_nobodyRevealed_refundsAtOnce() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        vm.warp(r.revealDeadline + 1);
        uint256 before = market.balanceOf(requester);
        market.settle(jobId);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
        assertEq(market.balanceOf(requester), before + 30 ether);
    }

    /// Attack: settling late to leave no time to dispute (colluders leave one slot unrevealed so
    /// the job does not settle by itself, and settle and finalize in one block): the window runs
    /// from the settlement.
    function test_attack_lateSettleStillLeavesTheWholeChallengeWindow() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, workers[i], LIE);
        }
        vm.warp(r.commitDeadline + 1);
        _reveal(jobId, 0, workers[0], LIE);
        _reveal(jobId, 1, workers[1], LIE);
        uint256 settledAt = r.revealDeadline + CHALLENGE + 1; // the window would be over
        vm.warp(settledAt);
        market.settle(jobId);
        assertEq(market.finalAfter(jobId), settledAt + CHALLENGE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.NotFinalizable.selector,
                jobId,
                IJobMarket.JobStatus.Provisional,
                settledAt + CHALLENGE,
                settledAt
            )
        );
        market.finalize(jobId);
    }

    /// Attack: an owner stretching the challenge window of jobs already under way (or without bound).
    function test_challengeWindow_isSnapshottedAndBounded() public {
        bytes32 jobId = _runJob([TRUTH, TRUTH, TRUTH], [true, false, false]); // short of its quorum
        // settled a second after its reveal deadline: the window runs from the settlement
        uint256 due = market.job(jobId).revealDeadline + 1 + CHALLENGE;
        assertEq(market.finalAfter(jobId), due);
        market.setChallengeWindow(30 days);
        assertEq(market.job(jobId).challengeWindow, CHALLENGE + 1);
        vm.warp(due + 1);
        market.expire(jobId); // closes on the window it was posted with
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Void));

        uint64 max = market.MAX_CHALLENGE_WINDOW();
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, max + 1, 10 minutes, max));
        market.setChallengeWindow(max + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 0, 10 minutes, max));
        market.setChallengeWindow(0);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 0, 1, 1 days));
        market.setMinWindows(0, 60);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 1 days + 1, 1, 1 days));
        market.setMinWindows(60, 1 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 0, 1 hours + MIN_COMPUTE + MIN_REVEAL, 365 days)
        );
        market.setMaxJobDuration(0);
        // Each within its bounds, together they would leave no job postable: refused either way round.
        market.setMaxJobDuration(2 hours);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 2 days, 2, 1 hours));
        market.setMinWindows(1 days, 1 days);
        market.setMaxJobDuration(MAX_DURATION);
        market.setMinWindows(1 days, 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 2 hours, 1 hours + 2 days, 365 days)
        );
        market.setMaxJobDuration(2 hours);
        market.setMinWindows(MIN_COMPUTE, MIN_REVEAL);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, requester));
        market.setMinWindows(60, 60);
        market.setMinWindows(120, 90);
        assertEq(market.minComputeWindow(), 120);
        assertEq(market.minRevealWindow(), 90);
    }

    /// Attack: `settle` on a job nobody locked held the requester's refund for the challenge window.
    function test_settle_refundsAJobNobodyLocked() public {
        IJobMarket.JobRequest memory r = _request(2, 1);
        bytes32 jobId = _post(r);
        vm.warp(r.revealDeadline + 1);
        market.settle(jobId);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
        assertEq(market.balanceOf(requester), 50_000 ether);
        assertEq(market.escrowOf(jobId), 0);
    }

    function test_settle_revertsTwice() public {
        bytes32 jobId = _runJob([TRUTH, TRUTH, TRUTH], [true, true, true]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobNotOpen.selector, jobId, IJobMarket.JobStatus.Settled));
        market.settle(jobId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.NotExpirable.selector, jobId, IJobMarket.JobStatus.Settled, 0 + market.job(jobId).revealDeadline + CHALLENGE, block.timestamp
            )
        );
        market.expire(jobId);
    }

    function test_settle_revertsBeforeTime() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.NotSettleable.selector, jobId, r.revealDeadline, block.timestamp)
        );
        market.settle(jobId);
    }

    function test_settle_revertsOnZkJob() public {
        bytes32 jobId = _post(_zkRequest());
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WrongMode.selector, jobId, IJobMarket.Mode.ZK));
        market.settle(jobId);
    }

    function test_k1_revealsWithoutCommitAndSettles() public {
        bytes32 jobId = _post(_request(1, 1));
        _lock(jobId, workers[0]);
        _reveal(jobId, 0, workers[0], TRUTH);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Provisional));
        vm.prank(requester);
        market.accept(jobId);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        assertEq(market.balanceOf(workers[0]), 1 ether);
    }

    // -- expiry --------------------------------------------------------------------------------
    function test_expire_refundsWhenNobodyLocked() public {
        IJobMarket.JobRequest memory r = _request(2, 1);
        bytes32 jobId = _post(r);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.NotExpirable.selector, jobId, IJobMarket.JobStatus.Open, r.lockDeadline, block.timestamp)
        );
        market.expire(jobId);
        vm.warp(r.lockDeadline + 1);
        market.expire(jobId);
        assertEq(market.balanceOf(requester), 50_000 ether);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
    }

    function test_expire_slashesLockedWorkersWhoDidNotDeliver() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _threeLocked();
        vm.warp(r.revealDeadline + 1);
        market.expire(jobId);
        for (uint256 i; i < 3; ++i) {
            assertEq(_totalStake(workers[i]), STAKE - 50 ether);
        }
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
    }

    // -- fuzz ----------------------------------------------------------------------------------
    function testFuzz_ask_staysWithinRangeAndRises(uint96 minPrice, uint96 maxPrice, uint32 ramp, uint32 t1, uint32 t2)
        public
    {
        maxPrice = uint96(bound(maxPrice, 0, 1_000 ether));
        minPrice = uint96(bound(minPrice, 0, maxPrice));
        IJobMarket.JobRequest memory r = _request(1, 1);
        (r.minPrice, r.maxPrice, r.ramp, r.collateral) = (minPrice, maxPrice, ramp, 4 * maxPrice);
        bytes32 jobId = _post(r);
        uint256 start = block.timestamp;
        (t1, t2) = t1 < t2 ? (t1, t2) : (t2, t1);
        vm.warp(start + t1);
        uint256 a1 = market.currentAsk(jobId);
        vm.warp(start + t2);
        uint256 a2 = market.currentAsk(jobId);
        assertGe(a1, minPrice);
        assertLe(a2, maxPrice);
        assertLe(a1, a2);
    }

    function testFuzz_settlement_conservesTokens(uint8 k, uint8 q, uint256 liars, uint256 silent) public {
        k = uint8(bound(k, 1, 4));
        q = uint8(bound(q, 1, k));
        _enlistJurors(3);
        IJobMarket.JobRequest memory r = _request(k, q);
        bytes32 jobId = _post(r);
        uint256 supply = token.totalSupply();
        for (uint8 i; i < k; ++i) {
            _lock(jobId, workers[i]);
        }
        for (uint8 i; i < k; ++i) {
            if (k > 1) _commit(jobId, i, workers[i], (liars >> i) & 1 == 1 ? LIE : TRUTH);
        }
        for (uint8 i; i < k; ++i) {
            if ((silent >> i) & 1 == 0) _reveal(jobId, i, workers[i], (liars >> i) & 1 == 1 ? LIE : TRUTH);
        }
        vm.warp(r.revealDeadline + 1);
        if (market.job(jobId).status == IJobMarket.JobStatus.Open) market.settle(jobId);
        if (market.job(jobId).status == IJobMarket.JobStatus.Disputed) _decideCourt(jobId, TRUTH);
        vm.warp(r.revealDeadline + CHALLENGE + 2);
        if (market.job(jobId).status == IJobMarket.JobStatus.Unresolved) market.expire(jobId);
        if (market.job(jobId).status == IJobMarket.JobStatus.Provisional) market.finalize(jobId);
        uint256 burned = supply - token.totalSupply();
        uint256 held = token.balanceOf(address(market)) + token.balanceOf(address(stakes))
            + token.balanceOf(address(court)) + token.balanceOf(requester);
        uint256 deposits = market.balanceOf(requester);
        for (uint256 i; i < 4; ++i) {
            deposits += market.balanceOf(workers[i]);
            held += token.balanceOf(workers[i]);
        }
        for (uint256 i; i < jurors.length; ++i) {
            held += token.balanceOf(jurors[i]);
        }
        assertEq(token.balanceOf(address(market)), deposits);
        assertEq(token.balanceOf(address(stakes)), stakes.totalStaked());
        // no bonds here: everything was paid out but the pro-rata rounding (a wei per payee at most)
        assertLe(token.balanceOf(address(court)), jurors.length + k);
        assertEq(burned * 10_000, (7 * STAKE - stakes.totalStaked()) * BURN_BPS);
        assertEq(held + burned, supply);
        // an honest worker never ends a job worse off: its collateral back and its price
        for (uint8 i; i < k; ++i) {
            if ((liars >> i) & 1 == 0 && (silent >> i) & 1 == 0) assertGe(_totalStake(workers[i]), STAKE);
        }
    }
}
