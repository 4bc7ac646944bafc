// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {ICourt} from "../src/interfaces/ICourt.sol";
import {Court} from "../src/Court.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";

/// Decides an audit and reverts unless `wanted` was drawn: an audit that could be re-rolled by
/// reverting would let it pick its auditor.
contract AuditReroller {
    function tryAudit(Court court, IJobMarket market, bytes32 jobId, address wanted) external {
        court.audit(jobId);
        IJobMarket.Job memory j = market.job(jobId);
        if (j.locked > j.k && market.slot(jobId, j.locked - 1).worker == wanted) return;
        revert("not drawn");
    }
}

/// Shared helpers for audited jobs: the fixture's chain (block 2 after `_enlistJurors`) has every
/// block hash below the current block, as forge serves the last 256.
abstract contract AuditFixture is MarketFixture {
    bytes32 internal constant TRUTH = keccak256("the right answer");
    bytes32 internal constant LIE = keccak256("a wrong answer");
    uint256 internal constant PRICE = 10 ether; // maxPrice; the ask reaches it 100 s after posting
    uint256 internal constant COLLATERAL = 50 ether;
    uint256 internal constant HALF_RAMP_PRICE = 5.5 ether; // 1 + (10 - 1) × 50 / 100
    uint256 internal constant SLASH_BURN = COLLATERAL * BURN_BPS / 10_000; // 10 AGR of each 50 slashed

    function setUp() public virtual override {
        super.setUp();
        _enlistJurors(6);
    }

    function _postK(uint8 k, uint8 q) internal returns (bytes32 jobId, IJobMarket.JobRequest memory r) {
        r = _request(k, q);
        jobId = _post(r);
    }

    /// workers[0..k) take the k slots once the ask has reached maxPrice.
    function _lockAll(bytes32 jobId, uint8 k) internal {
        vm.warp(block.timestamp + 100);
        for (uint8 i; i < k; ++i) {
            _lock(jobId, workers[i]);
        }
    }

    /// The audit's seed as the court computes it, from the hash of the job's seed block.
    function _seed(bytes32 jobId) internal view returns (uint256) {
        uint32 seedBlock = market.job(jobId).audit;
        return uint256(keccak256(abi.encode(blockhash(seedBlock), jobId, "audit")));
    }

    /// Sets the seed block's hash (once it is mined) so the job is sampled, or not, at the current rate.
    function _forceSample(bytes32 jobId, bool sampled) internal {
        uint32 seedBlock = market.job(jobId).audit;
        require(block.number > seedBlock, "seed block not mined");
        uint256 bps = market.auditBps();
        for (uint256 i = 1;; ++i) {
            vm.setBlockhash(seedBlock, keccak256(abi.encode("forced seed", i)));
            if ((_seed(jobId) % 10_000 < bps) == sampled) return;
        }
    }

    /// Who the court should draw (read before the decision): the first of `AUDIT_DRAWS` stake-weighted
    /// draws from the pool as it was three blocks before the seed block that is no slot holder and
    /// can back the collateral; zero when not sampled or nobody fits.
    function _expectedAuditor(bytes32 jobId) internal view returns (address) {
        IJobMarket.Job memory j = market.job(jobId);
        uint256 seed = _seed(jobId);
        if (seed % 10_000 >= market.auditBps()) return address(0);
        uint256 draws = court.AUDIT_DRAWS();
        for (uint256 attempt; attempt < draws; ++attempt) {
            address a = stakes.drawJuror(j.regions, uint256(j.audit) - 3, uint256(keccak256(abi.encode(seed, attempt))));
            if (a == address(0)) return address(0);
            bool holder;
            for (uint8 i; i < j.locked; ++i) {
                holder = holder || market.slot(jobId, i).worker == a;
            }
            (uint256 free,,) = stakes.stakeOf(a);
            if (!holder && free >= j.collateral && _totalStake(a) >= MIN_STAKE) return a;
        }
        return address(0);
    }

    /// Mines past the seed block and decides the audit.
    function _decideAudit(bytes32 jobId) internal {
        vm.roll(uint256(market.job(jobId).audit) + 1);
        court.audit(jobId);
    }

    function _isSlotHolder(bytes32 jobId, address a, uint8 upTo) internal view returns (bool) {
        for (uint8 i; i < upTo; ++i) {
            if (market.slot(jobId, i).worker == a) return true;
        }
        return false;
    }

    function _lockedStake(address a) internal view returns (uint256 locked) {
        (, locked,) = stakes.stakeOf(a);
    }

    function _status(bytes32 jobId) internal view returns (IJobMarket.JobStatus) {
        return market.job(jobId).status;
    }

    /// Everything held by anyone the fixture created, the contracts included.
    function _held() internal view returns (uint256 held) {
        held = token.balanceOf(address(market)) + token.balanceOf(address(stakes)) + token.balanceOf(address(court))
            + token.balanceOf(requester) + token.balanceOf(address(this));
        for (uint256 i; i < workers.length; ++i) {
            held += token.balanceOf(workers[i]);
        }
        for (uint256 i; i < jurors.length; ++i) {
            held += token.balanceOf(jurors[i]);
        }
    }

    /// Every market balance of anyone the fixture created.
    function _marketBalances() internal view returns (uint256 sum) {
        sum = market.balanceOf(requester);
        for (uint256 i; i < workers.length; ++i) {
            sum += market.balanceOf(workers[i]);
        }
        for (uint256 i; i < jurors.length; ++i) {
            sum += market.balanceOf(jurors[i]);
        }
    }
}

contract AuditTest is AuditFixture {
    function setUp() public override {
        super.setUp();
        market.setAuditRate(10_000);
    }

    // -- 1. escrow ---------------------------------------------------------------------------------

    /// With a rate set, a redundant job with k < 8 escrows one more maxPrice (the audit fee) and
    /// waits for its audit; k = 8 and ZK jobs never pay it; with the rate at zero nobody does.
    function test_escrow_auditFeeIsOneMoreMaxPrice() public {
        uint256 deposit = market.balanceOf(requester);
        IJobMarket.JobRequest memory r = _request(2, 2);
        vm.expectEmit(address(market));
        emit IJobMarket.JobPosted(market.hashRequest(r), requester, r, 3 * PRICE);
        bytes32 jobId = _post(r);
        assertEq(deposit - market.balanceOf(requester), 3 * PRICE);
        assertEq(market.escrowOf(jobId), 3 * PRICE);
        assertEq(market.job(jobId).audit, 1); // awaiting the end of locking
        assertTrue(market.auditPending(jobId));
        // half-way through the compute window: lock + (commit - lock) / 2
        assertEq(market.auditDeadline(jobId), uint256(r.lockDeadline) + 30 minutes);

        // k = 1 pays for a second slot too
        deposit = market.balanceOf(requester);
        bytes32 lone = _post(_request(1, 1));
        assertEq(deposit - market.balanceOf(requester), 2 * PRICE);
        assertEq(market.escrowOf(lone), 2 * PRICE);
        assertEq(market.job(lone).audit, 1);

        // k = 8: no ninth slot, no fee, never audited
        deposit = market.balanceOf(requester);
        bytes32 eight = _post(_request(8, 5));
        assertEq(deposit - market.balanceOf(requester), 8 * PRICE);
        assertEq(market.escrowOf(eight), 8 * PRICE);
        assertEq(market.job(eight).audit, 0);
        assertFalse(market.auditPending(eight));

        // ZK: the proof is the check, never audited
        deposit = market.balanceOf(requester);
        bytes32 zk = _post(_zkRequest());
        assertEq(deposit - market.balanceOf(requester), PRICE);
        assertEq(market.escrowOf(zk), PRICE);
        assertEq(market.job(zk).audit, 0);
        assertFalse(market.auditPending(zk));

        // rate zero: k × maxPrice and no audit
        market.setAuditRate(0);
        deposit = market.balanceOf(requester);
        bytes32 plain = _post(_request(2, 2));
        assertEq(deposit - market.balanceOf(requester), 2 * PRICE);
        assertEq(market.escrowOf(plain), 2 * PRICE);
        assertEq(market.job(plain).audit, 0);
        assertFalse(market.auditPending(plain));

        // a job without an audit is not auditable
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotAuditable.selector, plain, uint32(0)));
        court.audit(plain);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotAuditable.selector, zk, uint32(0)));
        court.audit(zk);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotAuditable.selector, eight, uint32(0)));
        court.audit(eight);
    }

    /// Without a court there is nobody to draw an auditor: no fee, whatever the rate.
    function test_escrow_noCourtNoFee() public {
        JobMarket withCourt = market;
        market = new JobMarket(
            IERC20(address(token)), stakes, address(this), MAX_DURATION, CHALLENGE, MIN_COMPUTE, MIN_REVEAL
        );
        market.setAuditRate(10_000);
        vm.startPrank(requester);
        token.approve(address(market), type(uint256).max);
        market.deposit(1_000 ether);
        vm.stopPrank();
        bytes32 jobId = _post(_request(2, 2));
        assertEq(market.balanceOf(requester), 1_000 ether - 2 * PRICE);
        assertEq(market.job(jobId).audit, 0);
        market = withCourt;
    }

    /// Insufficient deposit for the fee: refused with the whole escrow named.
    function test_escrow_depositMustCoverTheFee() public {
        uint256 balance = market.balanceOf(requester);
        vm.prank(requester);
        market.withdraw(balance - 2 * PRICE);
        IJobMarket.JobRequest memory r = _request(2, 2);
        bytes memory sig = _sign(r, requesterKey);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.InsufficientBalance.selector, requester, 2 * PRICE, 3 * PRICE)
        );
        market.postJob(r, sig);
    }

    /// Nobody locks: the job expires and the fee comes back with the rest.
    function test_escrow_unlockedJobRefundsTheFee() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(2, 2);
        vm.warp(uint256(r.lockDeadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotAuditable.selector, jobId, uint32(1)));
        court.audit(jobId);
        market.expire(jobId);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Expired));
        assertEq(market.balanceOf(requester), deposit);
    }

    // -- 2. not sampled ----------------------------------------------------------------------------

    /// The fee was escrowed, then the rate went to zero: the decision skips it; commit and reveal
    /// go on, and at finalize the whole fee comes back.
    function test_notSampled_rateZeroAfterPosting_feeRefundedWhole() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId,) = _postK(2, 2);
        vm.warp(block.timestamp + 50); // half the ramp: 5.5 AGR a slot
        _lock(jobId, workers[0]);
        _lock(jobId, workers[1]);
        uint32 seedBlock = market.job(jobId).audit;
        assertEq(seedBlock, block.number + 2);
        market.setAuditRate(0);
        vm.roll(uint256(seedBlock) + 1);
        vm.expectEmit(address(court));
        emit ICourt.AuditSkipped(jobId, false);
        court.audit(jobId);
        IJobMarket.Job memory j = market.job(jobId);
        assertEq(j.audit, 2);
        assertEq(j.locked, 2);
        assertFalse(market.auditPending(jobId));
        assertEq(market.escrowOf(jobId), 3 * PRICE); // the fee stays escrowed until the outcome

        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
        vm.warp(market.finalAfter(jobId) + 1);
        vm.expectEmit(address(market));
        emit IJobMarket.Refunded(jobId, requester, 3 * PRICE - 2 * HALF_RAMP_PRICE);
        market.finalize(jobId);
        assertEq(market.balanceOf(workers[0]), HALF_RAMP_PRICE);
        assertEq(market.balanceOf(workers[1]), HALF_RAMP_PRICE);
        assertEq(market.balanceOf(requester), deposit - 2 * HALF_RAMP_PRICE); // the 10 AGR fee back whole
        assertEq(market.escrowOf(jobId), 0);
    }

    /// At 50% the seed decides: a hash that lands above the rate skips the audit (not sampled).
    function test_notSampled_bySeed() public {
        market.setAuditRate(5_000);
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        _forceSample(jobId, false);
        assertGe(_seed(jobId) % 10_000, 5_000);
        vm.expectEmit(address(court));
        emit ICourt.AuditSkipped(jobId, false);
        court.audit(jobId);
        assertEq(market.job(jobId).locked, 2);
        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(market.balanceOf(requester), deposit - 2 * PRICE);
    }

    /// Sampled, but every eligible account moved its stake out of reach after the pool block:
    /// no auditor (`AuditSkipped(true)`), and the fee comes back.
    function test_sampledWithNobodyEligibleSkips() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        for (uint256 i = 2; i < workers.length; ++i) {
            vm.prank(workers[i]);
            stakes.requestUnstake(STAKE);
        }
        for (uint256 i; i < jurors.length; ++i) {
            vm.prank(jurors[i]);
            stakes.requestUnstake(STAKE);
        }
        assertEq(_expectedAuditor(jobId), address(0));
        vm.expectEmit(address(court));
        emit ICourt.AuditSkipped(jobId, true);
        court.audit(jobId);
        assertEq(market.job(jobId).audit, 2);
        assertEq(market.job(jobId).locked, 2);
        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(market.balanceOf(requester), deposit - 2 * PRICE);
    }

    // -- 3. sampled --------------------------------------------------------------------------------

    /// At 100% an auditor is drawn into slot k at maxPrice with the job's collateral locked; it
    /// commits and reveals the same digest; after finalize it is paid maxPrice and released, and the
    /// requester gets back exactly escrow − prices paid.
    function test_sampled_auditorAgrees_isPaidMaxPrice() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId,) = _postK(2, 2);
        vm.warp(block.timestamp + 50);
        _lock(jobId, workers[0]);
        _lock(jobId, workers[1]);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        address auditor = _expectedAuditor(jobId);
        assertTrue(auditor != address(0));
        assertTrue(auditor != workers[0] && auditor != workers[1] && auditor != requester);
        vm.expectEmit(address(court));
        emit ICourt.AuditorDrawn(jobId, auditor);
        vm.expectEmit(address(market));
        emit IJobMarket.JobLocked(jobId, auditor, 2, PRICE);
        vm.expectEmit(address(stakes));
        emit IStakeManager.CollateralLocked(auditor, jobId, COLLATERAL);
        court.audit(jobId);

        IJobMarket.Job memory j = market.job(jobId);
        assertEq(j.audit, 2);
        assertEq(j.locked, 3);
        assertFalse(market.auditPending(jobId));
        assertEq(market.slot(jobId, 2).worker, auditor);
        assertEq(market.slot(jobId, 2).price, PRICE);
        assertEq(_lockedStake(auditor), COLLATERAL);
        // the job is full: nobody else can take a slot
        vm.prank(workers[2] == auditor ? workers[3] : workers[2]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobFull.selector, jobId, 2));
        market.lock(jobId);

        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        // reveals wait for the auditor's commitment
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, j.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 2, auditor, TRUTH);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        vm.expectEmit(address(market));
        emit IJobMarket.JobProvisional(jobId, TRUTH, 3, market.finalAfter(jobId));
        _reveal(jobId, 2, auditor, TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));

        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Settled));
        assertEq(market.balanceOf(auditor), PRICE);
        assertEq(_lockedStake(auditor), 0);
        assertEq(_totalStake(auditor), STAKE);
        assertEq(market.balanceOf(workers[0]), HALF_RAMP_PRICE);
        assertEq(market.balanceOf(workers[1]), HALF_RAMP_PRICE);
        // escrow 30 − (5.5 + 5.5 + 10) = 9 back
        assertEq(market.balanceOf(requester), deposit - 2 * HALF_RAMP_PRICE - PRICE);
    }

    /// The requester's early acceptance needs every locked slot, the auditor's included.
    function test_accept_needsTheAuditorAlike() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        _decideAudit(jobId);
        address auditor = market.slot(jobId, 2).worker;
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, market.slot(jobId, i).worker, TRUTH);
        }
        for (uint8 i; i < 3; ++i) {
            _reveal(jobId, i, market.slot(jobId, i).worker, TRUTH);
        }
        vm.prank(requester);
        market.accept(jobId);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Settled));
        assertEq(market.balanceOf(auditor), PRICE);
        assertEq(market.balanceOf(requester), deposit - 3 * PRICE);
    }

    /// An auditor that commits and never reveals is slashed NoReveal (to the requester); the two
    /// agreeing slots are provisional but not unanimous: no early acceptance; the fee comes back.
    function test_silentAuditor_slashedAndNoAccept() public {
        uint256 deposit = market.balanceOf(requester);
        uint256 wallet = token.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(2, 2);
        _lockAll(jobId, 2);
        _decideAudit(jobId);
        address auditor = market.slot(jobId, 2).worker;
        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        _commit(jobId, 2, auditor, TRUTH);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        vm.warp(uint256(r.revealDeadline) + 1);
        market.settle(jobId);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
        assertEq(_totalStake(auditor), STAKE - COLLATERAL);
        assertEq(token.balanceOf(requester), wallet + COLLATERAL - SLASH_BURN);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotUnanimous.selector, jobId, 2, 3));
        market.accept(jobId);
        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(market.balanceOf(auditor), 0);
        assertEq(market.balanceOf(requester), deposit - 2 * PRICE);
    }

    // -- 4. the attack an audit exists for ---------------------------------------------------------

    /// Both slots of a k = 2 job collude on LIE: unanimous, they would be paid without an audit.
    /// The drawn auditor reveals the truth, the job goes to the court, a drawn round votes the
    /// truth: both colluders slashed LostDispute, the auditor paid its price plus the pot's rest.
    function test_attack_allColludingQuorumIsCaughtByTheAuditor() public {
        uint256 deposit = market.balanceOf(requester);
        uint256 requesterWallet = token.balanceOf(requester);
        uint256 supply = token.totalSupply();
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        _decideAudit(jobId);
        address auditor = market.slot(jobId, 2).worker;
        assertTrue(auditor != address(0) && !_isSlotHolder(jobId, auditor, 2));
        uint256 auditorWallet = token.balanceOf(auditor);

        _commit(jobId, 0, workers[0], LIE);
        _commit(jobId, 1, workers[1], LIE);
        _commit(jobId, 2, auditor, TRUTH);
        _reveal(jobId, 0, workers[0], LIE);
        _reveal(jobId, 1, workers[1], LIE);
        vm.expectEmit(address(market));
        emit IJobMarket.JobEscalated(jobId);
        _reveal(jobId, 2, auditor, TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Disputed));
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Drawing));
        assertEq(court.claimedOn(jobId, TRUTH), COLLATERAL);
        assertEq(court.claimedOn(jobId, LIE), 2 * COLLATERAL);
        assertEq(market.escrowOf(jobId), 3 * PRICE);

        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        uint256[] memory before = new uint256[](drawn.length);
        for (uint256 i; i < drawn.length; ++i) {
            assertFalse(_isSlotHolder(jobId, drawn[i], 3)); // neither colluders nor the auditor judge
            before[i] = token.balanceOf(drawn[i]);
        }
        _voteRound(jobId, TRUTH);
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Ruled));
        vm.warp(uint256(court.caseOf(jobId).appealDeadline) + 1);
        court.finalize(jobId);

        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Settled));
        // colluders: collateral lost, nothing paid
        for (uint256 i; i < 2; ++i) {
            assertEq(_totalStake(workers[i]), STAKE - COLLATERAL);
            assertEq(_lockedStake(workers[i]), 0);
            assertEq(market.balanceOf(workers[i]), 0);
            assertEq(token.balanceOf(workers[i]), 0);
        }
        // pot 2 × 40 = 80; three seats × 10 to the jurors; the auditor, the only winning claim, 50
        assertEq(market.balanceOf(auditor), PRICE);
        assertEq(token.balanceOf(auditor) - auditorWallet, 50 ether);
        assertEq(_totalStake(auditor), STAKE);
        assertEq(_lockedStake(auditor), 0);
        uint256 seats;
        for (uint256 i; i < drawn.length; ++i) {
            uint256 n = court.voteOf(jobId, 0, drawn[i]).seats;
            seats += n;
            assertEq(token.balanceOf(drawn[i]) - before[i], n * PRICE);
            assertEq(_lockedStake(drawn[i]), 0);
        }
        assertEq(seats, 3);
        // the requester pays only for the truth: escrow 30 − the auditor's 10 back
        assertEq(market.balanceOf(requester), deposit - PRICE);
        assertEq(token.balanceOf(requester), requesterWallet);
        assertEq(supply - token.totalSupply(), 2 * SLASH_BURN);
        assertEq(token.balanceOf(address(court)), 0);
        assertEq(market.escrowOf(jobId), 0);
    }

    /// Documents current behaviour: a drawn auditor that claims UNAVAILABLE (never slashed) next
    /// to a unanimous result sends the job to the court; the result is confirmed and paid in full,
    /// the auditor is neither paid nor slashed, and with nothing slashed the jurors are paid nothing.
    function test_auditorClaimingUnavailableSendsTheJobToTheCourt() public {
        uint256 deposit = market.balanceOf(requester);
        bytes32 na = market.UNAVAILABLE();
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        _decideAudit(jobId);
        address auditor = market.slot(jobId, 2).worker;
        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        _commit(jobId, 2, auditor, na);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        _reveal(jobId, 2, auditor, na);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Disputed));
        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        uint256[] memory before = new uint256[](drawn.length);
        for (uint256 i; i < drawn.length; ++i) {
            before[i] = token.balanceOf(drawn[i]);
        }
        _decideCourt(jobId, TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Settled));
        assertEq(market.balanceOf(workers[0]), PRICE);
        assertEq(market.balanceOf(workers[1]), PRICE);
        assertEq(market.balanceOf(auditor), 0);
        assertEq(_totalStake(auditor), STAKE);
        assertEq(_lockedStake(auditor), 0);
        assertEq(market.balanceOf(requester), deposit - 2 * PRICE);
        for (uint256 i; i < drawn.length; ++i) {
            assertEq(token.balanceOf(drawn[i]), before[i]); // the round worked for nothing
        }
    }

    // -- 5. reveals wait while the audit is pending -----------------------------------------------

    /// k = 2, both commit before the seed block: no reveal until the audit is decided (here, with
    /// an auditor, until it too commits).
    function test_pending_blocksRevealsOfCommittedSlots() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(2, 2);
        _lockAll(jobId, 2);
        uint32 seedBlock = market.job(jobId).audit;
        _commit(jobId, 0, workers[0], TRUTH);
        vm.roll(block.number + 1);
        _commit(jobId, 1, workers[1], TRUTH);
        assertEq(market.job(jobId).audit, seedBlock); // before the seed block: not decided
        assertTrue(market.auditPending(jobId));
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        // mined past the seed block, still undecided: still closed
        vm.roll(uint256(seedBlock) + 5);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 1, workers[1], TRUTH);
        court.audit(jobId);
        address auditor = market.slot(jobId, 2).worker;
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 1, workers[1], TRUTH);
        _commit(jobId, 2, auditor, TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        assertEq(market.slot(jobId, 1).sealed_, TRUTH);
    }

    /// A lone k = 1 slot that did not commit cannot reveal while the audit is pending; once it is
    /// decided with no auditor it reveals without committing and the job settles.
    function test_pending_loneSlotRevealsWithoutCommitOnlyOnceDecidedWithoutAuditor() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(1, 1);
        _lockAll(jobId, 1);
        uint32 seedBlock = market.job(jobId).audit;
        assertEq(seedBlock, block.number + 2);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        vm.roll(uint256(seedBlock) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        market.setAuditRate(0);
        court.audit(jobId);
        assertFalse(market.auditPending(jobId));
        _reveal(jobId, 0, workers[0], TRUTH); // no commitment needed: nobody left to copy it
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(market.balanceOf(workers[0]), PRICE);
        assertEq(market.balanceOf(requester), deposit - PRICE);
    }

    /// A lone k = 1 slot with a drawn auditor is no longer alone: it must commit, and reveals wait
    /// for both commitments.
    function test_pending_loneSlotWithAuditorMustCommit() public {
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(1, 1);
        _lockAll(jobId, 1);
        _decideAudit(jobId);
        address auditor = market.slot(jobId, 1).worker;
        assertTrue(auditor != address(0) && auditor != workers[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, auditor, TRUTH);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, auditor, TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
    }

    // -- 6. the commit hook ----------------------------------------------------------------------

    /// A commit in or before the seed block leaves the audit alone; the first commit after it
    /// decides it (drawing the auditor) in the same transaction.
    function test_commitHook_decidesOnceTheSeedIsMined() public {
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        uint32 seedBlock = market.job(jobId).audit;
        vm.roll(seedBlock); // the seed block itself: its hash is not known yet
        _commit(jobId, 0, workers[0], TRUTH);
        assertEq(market.job(jobId).audit, seedBlock);
        assertEq(market.job(jobId).locked, 2);
        vm.roll(uint256(seedBlock) + 1);
        address expected = _expectedAuditor(jobId);
        assertTrue(expected != address(0));
        vm.expectEmit(address(court));
        emit ICourt.AuditorDrawn(jobId, expected);
        vm.expectEmit(address(market));
        emit IJobMarket.JobLocked(jobId, expected, 2, PRICE);
        _commit(jobId, 1, workers[1], TRUTH);
        assertEq(market.job(jobId).audit, 2);
        assertEq(market.job(jobId).locked, 3);
        assertEq(market.slot(jobId, 2).worker, expected);
        assertEq(_lockedStake(expected), COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotAuditable.selector, jobId, uint32(2)));
        court.audit(jobId);
    }

    /// Not sampled, the hook records the decision just the same.
    function test_commitHook_skipsWhenNotSampled() public {
        market.setAuditRate(5_000);
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        _forceSample(jobId, false);
        vm.expectEmit(address(court));
        emit ICourt.AuditSkipped(jobId, false);
        _commit(jobId, 0, workers[0], TRUTH);
        assertEq(market.job(jobId).audit, 2);
        assertEq(market.job(jobId).locked, 2);
    }

    /// A commit whose hook cannot finish (too little gas for the court) still commits; the audit
    /// stays undecided for anyone to decide.
    function test_commitHook_failureDoesNotBlockTheCommit() public {
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        uint32 seedBlock = market.job(jobId).audit;
        vm.roll(uint256(seedBlock) + 1);
        bytes32 commitment = _commitment(TRUTH, workers[0]);
        // find the least gas with which the commit succeeds: the hook fails at that level
        uint256 gasUsed;
        for (uint256 gas_ = 60_000; gas_ < 400_000; gas_ += 2_000) {
            vm.prank(workers[0]);
            (bool ok,) = address(market).call{gas: gas_}(
                abi.encodeCall(IJobMarket.commit, (jobId, uint8(0), commitment))
            );
            if (ok) {
                gasUsed = gas_;
                break;
            }
        }
        assertGt(gasUsed, 0);
        assertEq(market.job(jobId).committedMask, 1);
        assertEq(market.job(jobId).audit, seedBlock); // the hook ran out of gas: undecided
        assertTrue(market.auditPending(jobId));
        court.audit(jobId);
        assertEq(market.job(jobId).audit, 2);
        assertEq(market.job(jobId).locked, 3);
    }

    // -- 7. lapse ----------------------------------------------------------------------------------

    /// Nobody decides by the audit deadline (both slots committed before the seed block, so no
    /// hook ran): the audit lapses, reveals open, the fee comes back at finalize.
    function test_lapse_afterDeadline_revealsOpenAndFeeRefunded() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(2, 2);
        _lockAll(jobId, 2);
        uint32 seedBlock = market.job(jobId).audit;
        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        uint256 deadline = market.auditDeadline(jobId);
        vm.roll(uint256(seedBlock) + 10);
        vm.warp(deadline);
        assertTrue(market.auditPending(jobId)); // the deadline itself still counts
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        vm.warp(deadline + 1);
        assertFalse(market.auditPending(jobId));
        vm.expectRevert(abi.encodeWithSelector(ICourt.AuditClosed.selector, jobId, deadline, deadline + 1));
        court.audit(jobId);
        vm.prank(address(court));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.AuditNotPending.selector, jobId, seedBlock));
        market.setAudit(jobId, 2, jurors[0]);
        assertEq(market.job(jobId).audit, seedBlock); // lapsed, never decided
        // all committed and no auditor can come: reveals open before the commit deadline
        assertLt(block.timestamp, r.commitDeadline);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
        vm.warp(market.finalAfter(jobId) + 1);
        vm.expectEmit(address(market));
        emit IJobMarket.Refunded(jobId, requester, PRICE);
        market.finalize(jobId);
        assertEq(market.balanceOf(requester), deposit - 2 * PRICE);
    }

    /// A lapsed audit with one slot that never committed: reveals open at the commit deadline,
    /// the silent slot is slashed, the fee is refunded.
    function test_lapse_revealsOpenAtCommitDeadline() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(2, 1);
        _lockAll(jobId, 2);
        _commit(jobId, 0, workers[0], TRUTH);
        vm.warp(market.auditDeadline(jobId) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        vm.warp(uint256(r.commitDeadline) + 1);
        _reveal(jobId, 0, workers[0], TRUTH);
        vm.warp(uint256(r.revealDeadline) + 1);
        market.settle(jobId);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
        assertEq(_totalStake(workers[1]), STAKE - COLLATERAL);
        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(market.balanceOf(requester), deposit - PRICE); // one slot paid; its peer's and the fee back
    }

    /// A lone k = 1 slot whose audit lapsed reveals without committing.
    function test_lapse_loneSlotRevealsWithoutCommit() public {
        (bytes32 jobId,) = _postK(1, 1);
        _lockAll(jobId, 1);
        vm.warp(market.auditDeadline(jobId) + 1);
        _reveal(jobId, 0, workers[0], TRUTH);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
    }

    /// A seed block whose hash aged out unread (>256 blocks) is replaced by a later one.
    function test_agedOutSeedIsRescheduled() public {
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        uint32 seedBlock = market.job(jobId).audit;
        vm.roll(uint256(seedBlock) + 300);
        assertEq(blockhash(seedBlock), bytes32(0));
        vm.expectEmit(address(court));
        emit ICourt.AuditScheduled(jobId, block.number + 2);
        court.audit(jobId);
        assertEq(market.job(jobId).audit, block.number + 2);
        assertEq(market.job(jobId).locked, 2);
        assertTrue(market.auditPending(jobId));
        _decideAudit(jobId);
        assertEq(market.job(jobId).audit, 2);
        assertEq(market.job(jobId).locked, 3);
    }

    // -- 8. partial locking ------------------------------------------------------------------------

    /// k = 3 with two slots locked: nothing to schedule while locking is open; after the lock
    /// deadline the first call schedules, a call after the seed block decides, and the auditor
    /// takes the third slot.
    function test_partialLocking_schedulesThenDecides() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(3, 2);
        _lockAll(jobId, 2);
        assertEq(market.job(jobId).audit, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICourt.LockingOpen.selector, jobId, r.lockDeadline, block.timestamp)
        );
        court.audit(jobId);
        vm.warp(uint256(r.lockDeadline) + 1);
        assertTrue(market.auditPending(jobId));
        uint256 seedBlock = block.number + 2;
        vm.expectEmit(address(court));
        emit ICourt.AuditScheduled(jobId, seedBlock);
        court.audit(jobId);
        assertEq(market.job(jobId).audit, seedBlock);
        vm.expectRevert(abi.encodeWithSelector(ICourt.SeedNotReady.selector, jobId, seedBlock, block.number));
        court.audit(jobId);
        vm.roll(seedBlock);
        vm.expectRevert(abi.encodeWithSelector(ICourt.SeedNotReady.selector, jobId, seedBlock, seedBlock));
        court.audit(jobId);
        vm.roll(seedBlock + 1);
        address expected = _expectedAuditor(jobId);
        assertTrue(expected != address(0));
        vm.expectEmit(address(market));
        emit IJobMarket.JobLocked(jobId, expected, 2, PRICE);
        court.audit(jobId);
        IJobMarket.Job memory j = market.job(jobId);
        assertEq(j.audit, 2);
        assertEq(j.locked, 3);
        assertEq(market.slot(jobId, 2).worker, expected);
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, market.slot(jobId, i).worker, TRUTH);
        }
        for (uint8 i; i < 3; ++i) {
            _reveal(jobId, i, market.slot(jobId, i).worker, TRUTH);
        }
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Provisional));
        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(market.balanceOf(expected), PRICE);
        // escrow 40: two slots and the auditor paid 10 each; the unfilled slot's 10 back
        assertEq(market.balanceOf(requester), deposit - 3 * PRICE);
    }

    /// Partial locking that nobody schedules lapses at the audit deadline, still awaiting.
    function test_partialLocking_unscheduledLapses() public {
        uint256 deposit = market.balanceOf(requester);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(3, 2);
        _lockAll(jobId, 2);
        _commit(jobId, 0, workers[0], TRUTH);
        _commit(jobId, 1, workers[1], TRUTH);
        vm.warp(uint256(r.lockDeadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
        vm.warp(market.auditDeadline(jobId) + 1);
        assertEq(market.job(jobId).audit, 1);
        _reveal(jobId, 0, workers[0], TRUTH);
        _reveal(jobId, 1, workers[1], TRUTH);
        vm.warp(market.finalAfter(jobId) + 1);
        market.finalize(jobId);
        assertEq(market.balanceOf(requester), deposit - 2 * PRICE);
    }

    // -- 9. the draw cannot be ground --------------------------------------------------------------

    /// A contract that decides the audit and reverts unless its chosen account was drawn changes
    /// nothing: the draw is fixed by the seed block, whichever block it is decided in.
    function test_auditCannotBeRerolledByReverting() public {
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        uint256 snapshot = vm.snapshotState();
        court.audit(jobId);
        address honest = market.slot(jobId, 2).worker;
        assertTrue(honest != address(0));
        vm.revertToState(snapshot);
        address wanted = jurors[0] == honest ? jurors[1] : jurors[0];
        AuditReroller reroller = new AuditReroller();
        for (uint256 attempt; attempt < 5; ++attempt) {
            vm.roll(block.number + 1 + attempt * 20);
            vm.expectRevert(bytes("not drawn"));
            reroller.tryAudit(court, market, jobId, wanted);
            assertEq(market.job(jobId).locked, 2);
        }
        court.audit(jobId);
        assertEq(market.slot(jobId, 2).worker, honest);
    }

    /// Stake that joins the pool after the seed was fixed is not drawn: a whale 100x everyone's
    /// weight activated after the last lock changes nothing.
    function test_stakeMovedAfterTheSeedDoesNotChangeTheAuditor() public {
        address whale = makeAddr("whale");
        _stake(whale, 100_000 ether, 0);
        vm.warp(block.timestamp + UNBONDING); // matured, not yet counted
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        vm.roll(uint256(market.job(jobId).audit) + 1);
        uint256 snapshot = vm.snapshotState();
        court.audit(jobId);
        address without = market.slot(jobId, 2).worker;
        vm.revertToState(snapshot);
        stakes.activate(whale);
        (uint256 weight,,,) = stakes.poolWeightOf(whale);
        assertEq(weight, 100_000 ether);
        court.audit(jobId);
        address with = market.slot(jobId, 2).worker;
        assertEq(with, without);
        assertTrue(with != whale);
    }

    // -- 10. owner misuse ------------------------------------------------------------------------

    function test_parameters_auditRateIsOwnersAndBounded() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 10_001, 0, 10_000));
        market.setAuditRate(10_001);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WindowOutOfRange.selector, 65_535, 0, 10_000));
        market.setAuditRate(type(uint16).max);
        address who = makeAddr("who");
        vm.prank(who);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who));
        market.setAuditRate(1);
        vm.expectEmit(address(market));
        emit IJobMarket.AuditRateChanged(10_000, 250);
        market.setAuditRate(250);
        assertEq(market.auditBps(), 250);
        // only the court schedules or decides an audit
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, address(this)));
        market.setAudit(jobId, 2, address(this));
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, workers[0]));
        market.setAudit(jobId, 2, workers[0]);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, requester));
        market.setAudit(jobId, 2, address(0));
        // once decided, the court itself cannot decide again
        _decideAudit(jobId);
        vm.prank(address(court));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.AuditNotPending.selector, jobId, uint32(2)));
        market.setAudit(jobId, 2, jurors[0]);
    }

    // -- 11. fuzz ----------------------------------------------------------------------------------

    /// For any rate, seed, lock price, redundancy and auditor behaviour: tokens are conserved
    /// (nothing minted, burned exactly the slashes' share), the market holds exactly its balances,
    /// and the requester gets back the escrow less the prices it paid.
    function testFuzz_auditConservesTokens(uint16 bps, bytes32 seedHash, uint8 wait, uint8 k, uint8 behaviour)
        public
    {
        bps = uint16(bound(bps, 1, 10_000));
        k = uint8(bound(k, 1, 3));
        behaviour = uint8(bound(behaviour, 0, 2)); // 0 agree, 1 auditor silent, 2 slots lie
        if (seedHash == bytes32(0)) seedHash = bytes32(uint256(1));
        market.setAuditRate(bps);
        uint256 supply = token.totalSupply();
        assertEq(_held(), supply);
        uint256 deposit = market.balanceOf(requester);

        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(k, k);
        assertEq(deposit - market.balanceOf(requester), (uint256(k) + 1) * PRICE);
        vm.warp(block.timestamp + bound(wait, 0, 100));
        uint256 prices;
        for (uint8 i; i < k; ++i) {
            _lock(jobId, workers[i]);
            prices += market.slot(jobId, i).price;
        }
        address auditor = _fuzzDecide(jobId, seedHash, bps);
        (uint256 paid, uint256 burned) = _fuzzRun(jobId, r, auditor, behaviour, prices);
        if (_status(jobId) == IJobMarket.JobStatus.Provisional) {
            vm.warp(market.finalAfter(jobId) + 1);
            market.finalize(jobId);
        }
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Settled));
        assertEq(market.escrowOf(jobId), 0);
        assertEq(market.balanceOf(requester), deposit - paid); // refund = escrow − prices paid
        assertEq(supply - token.totalSupply(), burned);
        _assertConserved();
    }

    /// Sets the seed block's hash and decides; returns the auditor drawn (checked against the rule).
    function _fuzzDecide(bytes32 jobId, bytes32 seedHash, uint16 bps) internal returns (address expected) {
        uint8 k = market.job(jobId).k;
        uint32 seedBlock = market.job(jobId).audit;
        vm.roll(uint256(seedBlock) + 1);
        vm.setBlockhash(seedBlock, seedHash);
        assertEq(blockhash(seedBlock), seedHash);
        bool sampled = uint256(keccak256(abi.encode(seedHash, jobId, "audit"))) % 10_000 < bps;
        expected = _expectedAuditor(jobId);
        if (!sampled) assertEq(expected, address(0));
        court.audit(jobId);
        IJobMarket.Job memory j = market.job(jobId);
        assertEq(j.audit, 2);
        assertEq(j.locked, k + (expected != address(0) ? 1 : 0));
        if (expected != address(0)) {
            assertEq(market.slot(jobId, k).worker, expected);
            assertEq(_lockedStake(expected), COLLATERAL);
        }
    }

    /// Commits and reveals as `behaviour` says; returns what the requester pays and what is burned.
    function _fuzzRun(
        bytes32 jobId,
        IJobMarket.JobRequest memory r,
        address auditor,
        uint8 behaviour,
        uint256 prices
    ) internal returns (uint256 paid, uint256 burned) {
        uint8 k = r.redundancy;
        bool audited = auditor != address(0);
        bytes32 slotAnswer = behaviour == 2 && audited ? LIE : TRUTH;
        for (uint8 i; i < k; ++i) {
            if (k > 1 || audited) _commit(jobId, i, workers[i], slotAnswer); // a lone slot need not
        }
        if (audited) _commit(jobId, k, auditor, TRUTH);
        for (uint8 i; i < k; ++i) {
            _reveal(jobId, i, workers[i], slotAnswer);
        }
        paid = prices;
        if (!audited) return (paid, 0);
        if (behaviour == 1) {
            uint256 wallet = token.balanceOf(requester);
            vm.warp(uint256(r.revealDeadline) + 1);
            market.settle(jobId); // the silent auditor is slashed NoReveal, to the requester
            assertEq(token.balanceOf(requester), wallet + COLLATERAL - SLASH_BURN);
            return (paid, SLASH_BURN);
        }
        _reveal(jobId, k, auditor, TRUTH);
        if (behaviour == 0) return (paid + PRICE, 0);
        assertEq(uint8(_status(jobId)), uint8(IJobMarket.JobStatus.Disputed));
        _decideCourt(jobId, TRUTH);
        assertEq(market.balanceOf(auditor), PRICE);
        return (PRICE, uint256(k) * SLASH_BURN);
    }

    function _assertConserved() internal view {
        assertEq(_held(), token.totalSupply());
        assertEq(token.balanceOf(address(market)), _marketBalances());
        assertEq(token.balanceOf(address(stakes)), stakes.totalStaked());
        assertLe(token.balanceOf(address(court)), 16); // rounding dust at most
        for (uint256 i; i < workers.length; ++i) {
            assertEq(_lockedStake(workers[i]), 0);
        }
        for (uint256 i; i < jurors.length; ++i) {
            assertEq(_lockedStake(jurors[i]), 0);
        }
    }
}

/// Attacks found in review of the audit change, each failing before its fix.
contract AuditFindingsTest is AuditFixture {
    /// `reveal` let any lone slot (`locked == 1`) reveal without committing when no audit was
    /// pending, not only a k = 1 job's slot: with audits off a k = 2 job's first locker could
    /// reveal while locking was still open, and a second worker lock, commit the published digest
    /// and be paid for a result it never computed.
    function test_finding_loneSlotOfAMultiSlotJobMustNotRevealWhileLockingIsOpen() public {
        assertEq(market.auditBps(), 0);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(2, 2);
        vm.warp(block.timestamp + 100);
        _lock(jobId, workers[0]);
        bytes32 salt = keccak256(abi.encode("salt", workers[0]));
        vm.prank(workers[0]);
        try market.reveal(jobId, 0, TRUTH, salt, bytes32("cid")) {
            // the digest is public while slot 1 is still free: a copier takes it
            address copier = workers[1];
            _lock(jobId, copier);
            _commit(jobId, 1, copier, market.slot(jobId, 0).sealed_);
            vm.warp(uint256(r.commitDeadline) + 1);
            _reveal(jobId, 1, copier, TRUTH);
            vm.warp(market.finalAfter(jobId) + 1);
            market.finalize(jobId);
            assertEq(market.balanceOf(copier), 0, "a copier that never computed was paid its price");
        } catch (bytes memory err) {
            assertEq(
                err, abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
            );
        }
    }

    /// The same with k = 8 (never audited, whatever the rate).
    function test_finding_loneSlotOfAnEightSlotJobMustNotRevealWhileLockingIsOpen() public {
        market.setAuditRate(10_000);
        (bytes32 jobId, IJobMarket.JobRequest memory r) = _postK(8, 5);
        vm.warp(block.timestamp + 100);
        _lock(jobId, workers[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealNotOpen.selector, jobId, r.commitDeadline, block.timestamp)
        );
        _reveal(jobId, 0, workers[0], TRUTH);
    }

    /// `minBond` prices "every slot's price (for the delay it imposes)" at k slots; a job with an
    /// auditor has k + 1, so a false dispute of it pays the delayed slots less than their price.
    function test_finding_minBondCountsTheAuditorsSlot() public {
        market.setAuditRate(10_000);
        (bytes32 jobId,) = _postK(2, 2);
        _lockAll(jobId, 2);
        _decideAudit(jobId);
        assertEq(market.job(jobId).locked, 3);
        for (uint8 i; i < 3; ++i) {
            _commit(jobId, i, market.slot(jobId, i).worker, TRUTH);
        }
        for (uint8 i; i < 3; ++i) {
            _reveal(jobId, i, market.slot(jobId, i).worker, TRUTH);
        }
        assertEq(court.minBond(jobId, 0), (3 + 3) * PRICE, "three seats and three slots");
    }
}
