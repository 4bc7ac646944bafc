// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AgoraToken} from "../src/AgoraToken.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {Court} from "../src/Court.sol";
import {ICourt} from "../src/interfaces/ICourt.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";
import {ProofCourt} from "../src/ProofCourt.sol";
import {RevertingVerifier} from "./helpers/HashProofVerifier.sol";

/// Drives whole jobs with honest and dishonest workers, at random times, and the court's cases
/// (disputes, draws, juror votes honest or not, counts, rulings), keeping ghost state.
contract MarketHandler is Test {
    AgoraToken internal token;
    StakeManager internal stakes;
    JobMarket internal market;
    Court internal court;
    address internal requester;
    uint256 internal requesterKey;
    address[] internal workerList;

    bytes32[] public jobIds;
    bytes32[] public cases; // jobs that went to the court, for its actions to pick from
    mapping(bytes32 jobId => mapping(uint8 slot => bytes32)) internal committedDigest;
    uint256 internal nonce;

    uint256 public ghostMinted;
    uint256 public ghostBurned;
    uint256 public closedTwice;
    uint256 public honestSlashed;
    uint256 public honestUnpaid;
    mapping(bytes32 jobId => bool) public claimed; // the handler claimed its bonds in this case

    // ZK jobs: the proof court, pins of a stand-in verifier and of one that always reverts
    ProofCourt internal proofCourt;
    bytes32[2] internal pins;
    mapping(bytes32 jobId => IJobMarket.JobRequest) internal zkRequests;

    constructor(
        AgoraToken token_,
        StakeManager stakes_,
        JobMarket market_,
        Court court_,
        address requester_,
        uint256 key,
        address[] memory workers_,
        uint256 minted
    ) {
        (token, stakes, market, court, requester, requesterKey, workerList) =
            (token_, stakes_, market_, court_, requester_, key, workers_);
        ghostMinted = minted;
    }

    /// Called once, by the test's setUp (later calls change nothing).
    function setProofCourt(ProofCourt proofCourt_, bytes32 goodPin, bytes32 revertingPin) external {
        if (address(proofCourt) != address(0)) return;
        (proofCourt, pins[0], pins[1]) = (proofCourt_, goodPin, revertingPin);
    }

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function caseCount() external view returns (uint256) {
        return cases.length;
    }

    function workers() external view returns (address[] memory) {
        return workerList;
    }

    function _truth(bytes32 jobId) internal pure returns (bytes32) {
        return keccak256(abi.encode("truth", jobId));
    }

    /// Mostly one of the three latest cases, so that cases get through their whole life.
    function _case(uint256 seed) internal view returns (bytes32) {
        uint256 n = cases.length;
        if (n == 0) return bytes32(0);
        if (seed % 4 == 0) return cases[(seed >> 2) % n];
        return cases[n - 1 - (seed >> 2) % (n < 3 ? n : 3)];
    }

    /// Mostly one of the three latest jobs, so that jobs get through their whole life.
    function _job(uint256 seed) internal view returns (bytes32) {
        uint256 n = jobIds.length;
        if (n == 0) return bytes32(0);
        if (seed % 4 == 0) return jobIds[(seed >> 2) % n];
        return jobIds[n - 1 - (seed >> 2) % (n < 3 ? n : 3)];
    }

    function post(uint8 kSeed, uint8 qSeed, uint96 price, uint32 ramp) external {
        uint8 k = uint8(bound(kSeed, 1, 3));
        IJobMarket.JobRequest memory r = _request(price);
        (r.redundancy, r.quorum, r.ramp) = (k, uint8(bound(qSeed, 1, k)), uint32(bound(ramp, 0, 600)));
        _postSigned(r);
    }

    /// A `ZK` job pinning the stand-in verifier, or (1 in 4) one that always reverts.
    function postZk(uint8 pinSeed, uint96 price) external {
        if (address(proofCourt) == address(0)) return;
        IJobMarket.JobRequest memory r = _request(price);
        r.programId = keccak256("zk program");
        r.mode = IJobMarket.Mode.ZK;
        r.verifierPin = pins[pinSeed % 4 == 0 ? 1 : 0];
        r.inputDigest = bytes32(uint256(r.inputDigest) >> 8); // a field element, as a commitment is
        (bool posted, bytes32 jobId) = _postSigned(r);
        if (posted) zkRequests[jobId] = r;
    }

    /// The handler's terms: one slot, no ramp, ten minutes a phase, posted within ten seconds.
    function _request(uint96 price) internal returns (IJobMarket.JobRequest memory r) {
        r = IJobMarket.JobRequest({
            requester: requester,
            programId: keccak256("program"),
            inputDigest: keccak256(abi.encode(nonce)),
            verifierPin: bytes32(0),
            minPrice: uint96(bound(price, 0, 5 ether)),
            maxPrice: 5 ether,
            ramp: 0,
            collateral: 20 ether,
            redundancy: 1,
            quorum: 1,
            mode: IJobMarket.Mode.REDUNDANT,
            fuelLimit: 1,
            lockDeadline: uint40(block.timestamp + 600),
            commitDeadline: uint40(block.timestamp + 1200),
            revealDeadline: uint40(block.timestamp + 1800),
            regions: 0,
            nonce: nonce++,
            expiry: uint40(block.timestamp + 10)
        });
    }

    /// Signs `r` as the requester and posts it (a post the market refuses is skipped).
    function _postSigned(IJobMarket.JobRequest memory r) internal returns (bool posted, bytes32 jobId) {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", market.domainSeparator(), market.hashRequest(r)));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(requesterKey, digest);
        try market.postJob(r, abi.encodePacked(rr, s, v)) returns (bytes32 id) {
            jobIds.push(id);
            return (true, id);
        } catch {}
    }

    /// The slot's worker submits a proof: honest (valid for the stand-in verifier) or junk. An honest
    /// prover is paid and never slashed, whether the requester pinned a fit verifier or one that
    /// always reverts (a verifier of other code is the worker's to refuse before locking:
    /// ProofCourtAttack.t.sol's test_knownLimit_*).
    function prove(uint256 jobSeed, bool honest) external {
        bytes32 jobId = _job(jobSeed);
        IJobMarket.JobRequest memory r = zkRequests[jobId];
        IJobMarket.Job memory j = market.job(jobId);
        if (r.requester == address(0) || j.locked == 0 || j.status != IJobMarket.JobStatus.Open) return;
        address w = market.slot(jobId, 0).worker;
        bytes32 result = bytes32(uint256(_truth(jobId)) >> 8);
        uint256[3] memory inputs = proofCourt.publicInputs(jobId, w, r.inputDigest, result);
        bytes32 first = honest ? keccak256(abi.encode(inputs)) : keccak256("junk");
        (uint256 stakeBefore, uint256 paidBefore, uint256 supply) = (_total(w), market.balanceOf(w), token.totalSupply());
        vm.prank(w);
        try proofCourt.submitProof(r, result, bytes32("cid"), abi.encode(first, 0, 0, 0, 0, 0, 0, 0)) {
            vm.roll(block.number + 1); // pool weights are read at ended blocks
            ghostBurned += supply - token.totalSupply(); // a junk proof's slash burns its share
            if (honest && _total(w) < stakeBefore) ++honestSlashed;
            if (honest && market.balanceOf(w) <= paidBefore) ++honestUnpaid;
        } catch {}
    }

    function lock(uint256 jobSeed, uint256 workerSeed) external {
        vm.prank(workerList[workerSeed % workerList.length]);
        try market.lock(_job(jobSeed)) {} catch {}
    }

    /// A worker locks and soon gives the slot back (within its window or just past it).
    function lockAndRelease(uint256 jobSeed, uint256 workerSeed, uint8 delay) external {
        bytes32 jobId = _job(jobSeed);
        vm.prank(workerList[workerSeed % workerList.length]);
        try market.lock(jobId) returns (uint8 index) {
            vm.warp(block.timestamp + delay % 150);
            this.release(jobSeed, index);
        } catch {}
    }

    /// A worker gives its slot back (often refused: committed, too late, the audit's seed known).
    /// It never loses stake by it, and the digest a moved slot committed moves with the slot.
    function release(uint256 jobSeed, uint8 slotSeed) external {
        bytes32 jobId = _job(jobSeed);
        uint8 index = uint8(slotSeed % 4);
        uint8 locked = market.job(jobId).locked;
        if (locked == 0) return;
        uint8 last = locked - 1;
        address w = market.slot(jobId, index).worker;
        uint256 stakeBefore = _total(w);
        vm.prank(w);
        try market.release(jobId, index) {
            committedDigest[jobId][index] = committedDigest[jobId][last];
            delete committedDigest[jobId][last];
            if (_total(w) < stakeBefore) ++honestSlashed;
        } catch {}
    }

    /// Schedules or decides a job's audit (half the audited jobs draw an auditor into slot k).
    function audit(uint256 jobSeed) external {
        bytes32 jobId = _job(jobSeed);
        _deciding(jobId, abi.encodeCall(court.audit, (jobId)), address(this));
    }

    function commit(uint256 jobSeed, uint8 slotSeed, bool honest) external {
        bytes32 jobId = _job(jobSeed);
        uint8 index = uint8(slotSeed % 4); // slot 3: a k=3 job's auditor
        address w = market.slot(jobId, index).worker;
        bytes32 digest = honest ? _truth(jobId) : keccak256(abi.encode("lie", w));
        vm.prank(w);
        try market.commit(jobId, index, keccak256(abi.encode(digest, bytes32(uint256(7)), w))) {
            committedDigest[jobId][index] = digest;
        } catch {}
    }

    function reveal(uint256 jobSeed, uint8 slotSeed) external {
        bytes32 jobId = _job(jobSeed);
        uint8 index = uint8(slotSeed % 4);
        address w = market.slot(jobId, index).worker;
        bytes32 digest = committedDigest[jobId][index];
        if (digest == bytes32(0)) digest = _truth(jobId); // k = 1 reveals without committing
        _closing(jobId, abi.encodeCall(market.reveal, (jobId, index, digest, bytes32(uint256(7)), bytes32(0))), w);
    }

    function settle(uint256 jobSeed) external {
        bytes32 jobId = _job(jobSeed);
        _closing(jobId, abi.encodeCall(market.settle, (jobId)), address(this));
    }

    function expire(uint256 jobSeed) external {
        bytes32 jobId = _job(jobSeed);
        _closing(jobId, abi.encodeCall(market.expire, (jobId)), address(this));
    }

    function finalize(uint256 jobSeed) external {
        bytes32 jobId = _job(jobSeed);
        _closing(jobId, abi.encodeCall(market.finalize, (jobId)), address(this));
    }

    function accept(uint256 jobSeed) external {
        bytes32 jobId = _job(jobSeed);
        _closing(jobId, abi.encodeCall(market.accept, (jobId)), requester);
    }

    // -- the court -------------------------------------------------------------------------------

    /// A whole job at once up to its reveals, some slots lying: the court gets cases often enough
    /// for its draws, votes, counts and rulings to be exercised in every run.
    function disagree(uint8 kSeed, uint8 liars, uint256 workerSeed) external {
        this.post(uint8(bound(kSeed, 2, 3)), 2, 5 ether, 0);
        uint256 n = jobIds.length;
        bytes32 jobId = jobIds[n - 1];
        uint8 k = market.job(jobId).k;
        for (uint8 i; i < k; ++i) {
            this.lock((n - 1) << 2, workerSeed % workerList.length + i); // seed % 4 == 0: "any job"
        }
        for (uint8 i; i < k; ++i) {
            this.commit((n - 1) << 2, i, (liars >> i) & 1 == 0);
        }
        for (uint8 i; i < k; ++i) {
            this.reveal((n - 1) << 2, i);
        }
    }

    /// A bond from the handler (an outside disputer) naming the truth or a lie.
    function dispute(uint256 jobSeed, bool truthful) external {
        bytes32 jobId = _job(jobSeed);
        ICourt.Case memory c = court.caseOf(jobId);
        uint8 round = c.phase == ICourt.Phase.Ruled ? c.round + 1 : c.round;
        if (jobId == bytes32(0) || round >= court.ROUNDS()) return;
        uint256 bond = court.minBond(jobId, round);
        token.faucet(address(this), bond);
        ghostMinted += bond;
        token.approve(address(court), bond);
        bytes32 digest = truthful ? _truth(jobId) : keccak256(abi.encode("bonded lie", jobId));
        _deciding(jobId, abi.encodeCall(court.dispute, (jobId, digest, bond)), address(this));
    }

    function draw(uint256 jobSeed) external {
        bytes32 jobId = _case(jobSeed);
        ICourt.Case memory c = court.caseOf(jobId);
        if (c.phase == ICourt.Phase.Drawing && block.number <= c.seedBlock) vm.roll(uint256(c.seedBlock) + 1);
        _deciding(jobId, abi.encodeCall(court.draw, (jobId)), address(this));
    }

    /// Every juror of the current round commits and reveals, each honestly or not, some silent.
    function vote(uint256 jobSeed, uint16 liars, uint16 silent) external {
        bytes32 jobId = _case(jobSeed);
        ICourt.Case memory c = court.caseOf(jobId);
        if (c.phase != ICourt.Phase.Voting) return;
        address[] memory drawn = court.jurorsOf(jobId, c.round);
        bytes32 checkpoint = keccak256(abi.encode("state", jobId, c.checkpointFuel));
        for (uint256 i; i < drawn.length; ++i) {
            bytes32 d = (liars >> i) & 1 == 1 ? keccak256(abi.encode("juror lie", jobId)) : _truth(jobId);
            vm.prank(drawn[i]);
            try court.commitVote(jobId, keccak256(abi.encode(d, checkpoint, bytes32(uint256(9)), drawn[i]))) {} catch {}
        }
        for (uint256 i; i < drawn.length; ++i) {
            if ((silent >> i) & 1 == 1) continue;
            bytes32 d = (liars >> i) & 1 == 1 ? keccak256(abi.encode("juror lie", jobId)) : _truth(jobId);
            vm.prank(drawn[i]);
            try court.revealVote(jobId, d, checkpoint, bytes32(uint256(9))) {} catch {}
        }
    }

    /// Counts the round, once its reveal deadline has passed if need be (time moves on).
    function resolve(uint256 jobSeed, bool wait) external {
        bytes32 jobId = _case(jobSeed);
        ICourt.Case memory c = court.caseOf(jobId);
        if (wait && c.phase == ICourt.Phase.Voting && block.timestamp <= c.revealDeadline) {
            vm.warp(uint256(c.revealDeadline) + 1);
        }
        _deciding(jobId, abi.encodeCall(court.resolve, (jobId)), address(this));
    }

    /// Makes a ruling final, once its appeal window has passed if need be.
    function rule(uint256 jobSeed, bool wait) external {
        bytes32 jobId = _case(jobSeed);
        ICourt.Case memory c = court.caseOf(jobId);
        if (wait && c.phase == ICourt.Phase.Ruled && block.timestamp <= c.appealDeadline) {
            vm.warp(uint256(c.appealDeadline) + 1);
        }
        _deciding(jobId, abi.encodeCall(court.finalize, (jobId)), address(this));
    }

    function claimBond(uint256 jobSeed) external {
        bytes32 jobId = _case(jobSeed);
        try court.claimBond(jobId) {
            claimed[jobId] = true;
        } catch {}
    }

    function truthOf(bytes32 jobId) external pure returns (bytes32) {
        return _truth(jobId);
    }

    function warp(uint16 seconds_) external {
        seconds_ = uint16(bound(seconds_, 0, 4_000)); // deadlines and vote windows pass, a few at a time
        vm.warp(block.timestamp + seconds_);
        vm.roll(block.number + 1 + seconds_ / 12);
    }

    function restake(uint256 workerSeed, uint96 amount, uint8 region) external {
        address w = workerList[workerSeed % workerList.length];
        amount = uint96(bound(amount, 1, 500 ether));
        token.faucet(w, amount);
        ghostMinted += amount;
        vm.startPrank(w);
        token.approve(address(stakes), amount);
        stakes.stake(amount, region % 32);
        vm.stopPrank();
        vm.roll(block.number + 1);
    }

    function activate(uint256 workerSeed) external {
        try stakes.activate(workerList[workerSeed % workerList.length]) {} catch {}
        vm.roll(block.number + 1);
    }

    function unstake(uint256 workerSeed, uint96 amount) external {
        address w = workerList[workerSeed % workerList.length];
        (uint256 free,,) = stakes.stakeOf(w);
        if (free == 0) return;
        vm.prank(w);
        stakes.requestUnstake(bound(amount, 1, free));
        vm.roll(block.number + 1);
    }

    function withdrawStake(uint256 workerSeed) external {
        address w = workerList[workerSeed % workerList.length];
        vm.prank(w);
        try stakes.withdraw() {} catch {}
    }

    function _deciding(bytes32 jobId, bytes memory call, address caller) internal {
        _run(jobId, address(court), call, caller);
    }

    function _closing(bytes32 jobId, bytes memory call, address caller) internal {
        _run(jobId, address(market), call, caller);
    }

    /// Runs a call that may close a job, accounting burns and checking who lost stake.
    function _run(bytes32 jobId, address target, bytes memory call, address caller) internal {
        IJobMarket.JobStatus before = market.job(jobId).status;
        uint256[] memory stakeBefore = new uint256[](workerList.length);
        uint256[] memory paidBefore = new uint256[](workerList.length);
        for (uint256 i; i < workerList.length; ++i) {
            stakeBefore[i] = _total(workerList[i]);
            paidBefore[i] = market.balanceOf(workerList[i]);
        }
        uint256 supply = token.totalSupply();
        vm.prank(caller);
        (bool ok,) = target.call(call);
        vm.roll(block.number + 1); // pool weights are read at ended blocks
        if (!ok) return;
        ghostBurned += supply - token.totalSupply();
        _check(jobId, before, stakeBefore, paidBefore);
    }

    /// After a call that succeeded: nothing closed twice, and no honest slot lost anything.
    function _check(
        bytes32 jobId,
        IJobMarket.JobStatus before,
        uint256[] memory stakeBefore,
        uint256[] memory paidBefore
    ) internal {
        IJobMarket.Job memory j = market.job(jobId);
        if (j.status == IJobMarket.JobStatus.Disputed && before != IJobMarket.JobStatus.Disputed) cases.push(jobId);
        bool wasClosed = before == IJobMarket.JobStatus.Settled || before == IJobMarket.JobStatus.Expired
            || before == IJobMarket.JobStatus.Void;
        if (wasClosed) ++closedTwice;
        if (j.status == IJobMarket.JobStatus.Void) {
            // An honest revealer of a job nothing resolved ends with its price and all its stake.
            for (uint8 i; i < j.locked; ++i) {
                IJobMarket.Slot memory s = market.slot(jobId, i);
                if (j.revealedMask & (1 << i) == 0 || s.sealed_ != _truth(jobId)) continue;
                for (uint256 x; x < workerList.length; ++x) {
                    if (workerList[x] != s.worker) continue;
                    if (_total(s.worker) < stakeBefore[x]) ++honestSlashed;
                    if (market.balanceOf(s.worker) < paidBefore[x] + s.price) ++honestUnpaid;
                }
            }
            return;
        }
        if (j.status != IJobMarket.JobStatus.Settled) return;
        // Every worker whose revealed digest is the winning one keeps all of its stake (unless an
        // attacker captured the court's rounds: a ruling other than the truth is not checked).
        bytes32 winning;
        for (uint8 i; i < j.locked; ++i) {
            if (j.revealedMask & (1 << i) != 0 && market.slot(jobId, i).sealed_ == _truth(jobId)) winning = _truth(jobId);
        }
        ICourt.Case memory c = court.caseOf(jobId);
        if (c.phase == ICourt.Phase.Decided && c.ruling != _truth(jobId)) return;
        for (uint8 i; i < j.locked; ++i) {
            IJobMarket.Slot memory s = market.slot(jobId, i);
            if (j.revealedMask & (1 << i) == 0 || s.sealed_ != winning) continue;
            for (uint256 x; x < workerList.length; ++x) {
                if (workerList[x] == s.worker && _total(s.worker) < stakeBefore[x]) ++honestSlashed;
            }
        }
    }

    function _total(address w) internal view returns (uint256) {
        (uint256 f, uint256 l, uint256 u) = stakes.stakeOf(w);
        return f + l + u;
    }
}

contract JobMarketInvariantTest is MarketFixture {
    MarketHandler internal handler;

    function setUp() public override {
        super.setUp();
        _enlistJurors(3); // every stake matured into the pool: cases can be drawn and decided
        address[] memory everyone = new address[](workers.length + jurors.length);
        for (uint256 i; i < workers.length; ++i) {
            everyone[i] = workers[i];
        }
        for (uint256 i; i < jurors.length; ++i) {
            everyone[workers.length + i] = jurors[i];
        }
        workers = everyone;
        market.setAuditRate(5_000); // every redundant job pays an audit fee; half draw an auditor
        handler =
            new MarketHandler(token, stakes, market, court, requester, requesterKey, workers, token.totalSupply());
        handler.setProofCourt(proofCourt, verifierPin, proofCourt.pin(address(new RevertingVerifier())));
        targetContract(address(handler));
    }

    /// Every property below, checked after every call of one campaign (256 runs of 500 calls):
    /// one campaign instead of one per property, the same calls behind each. A failure names the
    /// property in its message.
    /// forge-config: default.invariant.depth = 500
    function invariant_marketCourtAndStakes() public view {
        _tokenConservation();
        _escrowHeldEqualsOpenObligations();
        _stakeHeldEqualsSumOfStakes();
        _poolWeightsEqualBondedStake();
        _courtHoldsOnlyWhatItOwes();
        _jobClosesAtMostOnce();
        _honestWorkerInQuorumIsNeverSlashed();
        _honestRevealerOfAVoidJobIsPaid();
    }

    function _tokenConservation() internal view {
        uint256 sum = token.balanceOf(requester) + token.balanceOf(address(market)) + token.balanceOf(address(stakes))
            + token.balanceOf(address(this)) + token.balanceOf(address(handler)) + token.balanceOf(address(court))
            + token.balanceOf(address(proofCourt));
        address[] memory ws = handler.workers();
        for (uint256 i; i < ws.length; ++i) {
            sum += token.balanceOf(ws[i]);
        }
        assertEq(sum, token.totalSupply(), "tokenConservation");
        assertEq(token.totalSupply() + handler.ghostBurned(), handler.ghostMinted(), "tokenConservation");
    }

    function _escrowHeldEqualsOpenObligations() internal view {
        uint256 owed = market.balanceOf(requester);
        address[] memory ws = handler.workers();
        for (uint256 i; i < ws.length; ++i) {
            owed += market.balanceOf(ws[i]);
        }
        for (uint256 i; i < handler.jobCount(); ++i) {
            owed += market.escrowOf(handler.jobIds(i));
        }
        assertEq(token.balanceOf(address(market)), owed, "escrowHeldEqualsOpenObligations");
    }

    function _stakeHeldEqualsSumOfStakes() internal view {
        uint256 sum;
        address[] memory ws = handler.workers();
        for (uint256 i; i < ws.length; ++i) {
            (uint256 f, uint256 l, uint256 u) = stakes.stakeOf(ws[i]);
            sum += f + l + u;
        }
        assertEq(stakes.totalStaked(), sum, "stakeHeldEqualsSumOfStakes");
        assertEq(token.balanceOf(address(stakes)), sum, "stakeHeldEqualsSumOfStakes");
    }

    /// The juror pool holds exactly the bonded stake that has matured: no stake counts twice, and
    /// none that was unstaked or slashed is left in it.
    function _poolWeightsEqualBondedStake() internal view {
        uint256 weights;
        address[] memory ws = handler.workers();
        for (uint256 i; i < ws.length; ++i) {
            (uint256 f, uint256 l,) = stakes.stakeOf(ws[i]);
            (uint256 weight, uint256 maturing,,) = stakes.poolWeightOf(ws[i]);
            assertEq(weight + maturing, f + l, "poolWeightsEqualBondedStake");
            weights += weight;
        }
        assertEq(stakes.poolTotal(0, block.number - 1), weights, "poolWeightsEqualBondedStake");
    }

    /// The court holds exactly what it still owes: the bonds of cases not decided, and what winning
    /// bonds have not claimed (plus pro-rata rounding, a wei per payee at most).
    function _courtHoldsOnlyWhatItOwes() internal view {
        uint256 owed;
        for (uint256 i; i < handler.caseCount(); ++i) {
            bytes32 jobId = handler.cases(i);
            ICourt.Case memory c = court.caseOf(jobId);
            if (c.phase == ICourt.Phase.Void) {
                if (handler.claimed(jobId)) continue;
                owed += court.bondOf(jobId, address(handler), handler.truthOf(jobId))
                    + court.bondOf(jobId, address(handler), keccak256(abi.encode("bonded lie", jobId)));
                continue;
            }
            if (c.phase != ICourt.Phase.Decided) {
                owed += c.bonds + c.pot;
                continue;
            }
            uint256 on = court.bondOf(jobId, address(handler), c.ruling);
            uint256 claimed = court.claimedOn(jobId, c.ruling);
            if (on > 0 && !handler.claimed(jobId)) owed += on + on * c.winnersShare / claimed;
        }
        uint256 held = token.balanceOf(address(court));
        assertGe(held, owed, "courtHoldsOnlyWhatItOwes");
        assertLe(held, owed + 64 * handler.caseCount(), "courtHoldsOnlyWhatItOwes");
    }

    function _jobClosesAtMostOnce() internal view {
        assertEq(handler.closedTwice(), 0, "jobClosesAtMostOnce");
    }

    function _honestWorkerInQuorumIsNeverSlashed() internal view {
        assertEq(handler.honestSlashed(), 0, "honestWorkerInQuorumIsNeverSlashed");
    }

    function _honestRevealerOfAVoidJobIsPaid() internal view {
        assertEq(handler.honestUnpaid(), 0, "honestRevealerOfAVoidJobIsPaid");
    }
}
