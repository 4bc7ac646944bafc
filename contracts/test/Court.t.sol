// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {ICourt} from "../src/interfaces/ICourt.sol";
import {Court} from "../src/Court.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// Tries draws and reverts until one seats it: a draw that could be re-rolled would let it.
contract Reroller {
    function tryDraw(Court court, bytes32 jobId, address wanted) external {
        court.draw(jobId);
        address[] memory seated = court.jurorsOf(jobId, 0);
        for (uint256 i; i < seated.length; ++i) {
            if (seated[i] == wanted) return;
        }
        revert("not seated");
    }
}

contract CourtTest is MarketFixture {
    bytes32 internal constant TRUTH = keccak256("the right answer");
    bytes32 internal constant LIE = keccak256("a wrong answer");
    bytes32 internal constant DECOY = keccak256("a third answer");
    uint256 internal constant PRICE = 10 ether; // maxPrice with ramp 100 s, locked at the end of the ramp
    uint256 internal constant COLLATERAL = 50 ether;

    function setUp() public override {
        super.setUp();
        _enlistJurors(6);
    }

    /// Posts a k-slot job (quorum q), locks it with `holders` at maxPrice, commits and reveals `answers`.
    function _job(address[] memory holders, bytes32[] memory answers, uint8 q)
        internal
        returns (bytes32 jobId, IJobMarket.JobRequest memory r)
    {
        uint8 k = uint8(holders.length);
        r = _request(k, q);
        jobId = _post(r);
        vm.warp(block.timestamp + 100);
        for (uint8 i; i < k; ++i) {
            _lock(jobId, holders[i]);
        }
        for (uint8 i; i < k; ++i) {
            if (k > 1) _commit(jobId, i, holders[i], answers[i]);
        }
        for (uint8 i; i < k; ++i) {
            _reveal(jobId, i, holders[i], answers[i]);
        }
    }

    function _three(address a, address b, address c) internal pure returns (address[] memory l) {
        l = new address[](3);
        (l[0], l[1], l[2]) = (a, b, c);
    }

    function _answers(bytes32 a, bytes32 b, bytes32 c) internal pure returns (bytes32[] memory l) {
        l = new bytes32[](3);
        (l[0], l[1], l[2]) = (a, b, c);
    }

    function _wallets(address[] memory accounts) internal view returns (uint256[] memory w) {
        w = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            w[i] = token.balanceOf(accounts[i]);
        }
    }

    function _seats(bytes32 jobId, uint8 round, address juror) internal view returns (uint256) {
        return court.voteOf(jobId, round, juror).seats;
    }

    // -- escalation: colluders out-voting an honest worker ---------------------------------------

    /// Two colluding addresses reveal junk against one honest worker: the reveals disagree, so the
    /// job goes to the court by itself; the drawn round decides for the truth; the colluders are
    /// slashed LostDispute and the honest worker is made whole (price, collateral, and a share).
    function test_attack_buyingTheQuorumFailsAtTheCourt() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Disputed));
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Drawing));
        assertEq(court.claimedOn(jobId, TRUTH), COLLATERAL); // a slot's collateral is its bond
        assertEq(court.claimedOn(jobId, LIE), 2 * COLLATERAL);
        uint256 supply = token.totalSupply();
        uint256 deposit = market.balanceOf(requester);
        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        uint256[] memory before = _wallets(drawn);
        for (uint256 i; i < drawn.length; ++i) {
            assertTrue(drawn[i] != workers[0] && drawn[i] != workers[1] && drawn[i] != workers[2]);
        }
        _voteRound(jobId, TRUTH);
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Ruled));
        vm.warp(uint256(court.caseOf(jobId).appealDeadline) + 1);
        court.finalize(jobId);

        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        // colluders: each loses its collateral (20% burned, 80% to the court's pot)
        assertEq(_totalStake(workers[1]), STAKE - COLLATERAL);
        assertEq(_totalStake(workers[2]), STAKE - COLLATERAL);
        assertEq(market.balanceOf(workers[1]), 0);
        // the pot: 2 × 40 = 80; jurors take 3 seats × 10; the honest worker, the only winning claim, 50
        assertEq(_totalStake(workers[0]), STAKE);
        assertEq(market.balanceOf(workers[0]), PRICE);
        assertEq(token.balanceOf(workers[0]), 50 ether);
        for (uint256 i; i < drawn.length; ++i) {
            assertEq(token.balanceOf(drawn[i]) - before[i], _seats(jobId, 0, drawn[i]) * PRICE);
            (, uint256 locked,) = stakes.stakeOf(drawn[i]);
            assertEq(locked, 0);
        }
        assertEq(market.balanceOf(requester), deposit + 2 * PRICE); // the colluders' prices come back
        assertEq(supply - token.totalSupply(), 20 ether);
        assertEq(token.balanceOf(address(court)), 0);
    }

    /// Attack (a free result): the requester takes a slot, waits for the honest reveal and reveals
    /// junk. The disagreement goes to the court: the requester's slot is slashed, the worker paid.
    function test_attack_requesterBreakingUnanimityGetsNoFreeResult() public {
        _stake(requester, STAKE, 0);
        address[] memory holders = new address[](2);
        (holders[0], holders[1]) = (workers[0], requester);
        bytes32[] memory answers = new bytes32[](2);
        (answers[0], answers[1]) = (TRUTH, LIE);
        (bytes32 jobId,) = _job(holders, answers, 2);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Disputed));
        uint256 deposit = market.balanceOf(requester);
        _decideCourt(jobId, TRUTH);
        assertEq(market.balanceOf(workers[0]), PRICE);
        assertEq(_totalStake(workers[0]), STAKE);
        assertEq(_totalStake(requester), STAKE - COLLATERAL);
        // its own slot's price comes back to it, and nothing else: it lost its collateral
        assertEq(market.balanceOf(requester), deposit + PRICE);
    }

    /// A decoy dispute naming a third digest does not shield the colluders: disputes are pooled by
    /// digest and the round's majority decides for everyone; the decoy's bond is lost too.
    function test_attack_decoyDisputeDoesNotSaveTheColluders() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        address decoy = makeAddr("decoy");
        uint256 bond = court.minBond(jobId, 0);
        assertEq(bond, 6 * PRICE);
        token.faucet(decoy, bond);
        vm.startPrank(decoy);
        token.approve(address(court), bond);
        court.dispute(jobId, DECOY, bond);
        vm.stopPrank();
        assertEq(court.claimedOn(jobId, DECOY), bond);
        _decideCourt(jobId, TRUTH);
        assertEq(_totalStake(workers[1]), STAKE - COLLATERAL);
        assertEq(_totalStake(workers[2]), STAKE - COLLATERAL);
        assertEq(_totalStake(workers[0]), STAKE);
        // pot = 80 (slashes) + 60 (the decoy's bond); jurors 30; the honest worker's claim gets 110
        assertEq(token.balanceOf(workers[0]), 110 ether);
        vm.prank(decoy);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NothingToClaim.selector, jobId, decoy));
        court.claimBond(jobId);
    }

    // -- disputes of a provisional outcome ---------------------------------------------------------

    function _unanimous(bytes32 answer) internal returns (bytes32 jobId) {
        (jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(answer, answer, answer), 2);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Provisional));
    }

    function _bond(address who, bytes32 jobId, bytes32 digest) internal returns (uint256 amount) {
        ICourt.Case memory c = court.caseOf(jobId);
        amount = court.minBond(jobId, c.phase == ICourt.Phase.Ruled ? c.round + 1 : c.round);
        token.faucet(who, amount);
        vm.startPrank(who);
        token.approve(address(court), amount);
        court.dispute(jobId, digest, amount);
        vm.stopPrank();
    }

    /// A false dispute loses its bond, and no honest worker loses anything: they are paid, keep
    /// their collateral and share what the bond leaves after the jurors.
    function test_falseDisputeLosesItsBond() public {
        bytes32 jobId = _unanimous(TRUTH);
        address liar = makeAddr("liar");
        uint256 bond = _bond(liar, jobId, LIE);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Disputed));
        _decideCourt(jobId, TRUTH);
        for (uint256 i; i < 3; ++i) {
            assertEq(_totalStake(workers[i]), STAKE);
            assertEq(market.balanceOf(workers[i]), PRICE);
            assertEq(token.balanceOf(workers[i]), (bond - 3 * PRICE) / 3); // the delay, paid for
        }
        assertEq(token.balanceOf(liar), 0);
        vm.prank(liar);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NothingToClaim.selector, jobId, liar));
        court.claimBond(jobId);
    }

    /// Every slot colluding on junk: a disputer (a verifier that re-executed) names the truth;
    /// the round confirms it; all three are slashed and the disputer's bond wins the pot.
    function test_allColludingQuorumIsCaughtByADispute() public {
        bytes32 jobId = _unanimous(LIE);
        address verifierAccount = makeAddr("verifier");
        uint256 bond = _bond(verifierAccount, jobId, TRUTH);
        uint256 deposit = market.balanceOf(requester);
        _decideCourt(jobId, TRUTH);
        for (uint256 i; i < 3; ++i) {
            assertEq(_totalStake(workers[i]), STAKE - COLLATERAL);
            assertEq(market.balanceOf(workers[i]), 0);
        }
        assertEq(market.balanceOf(requester), deposit + 3 * PRICE); // nothing paid for junk
        vm.prank(verifierAccount);
        court.claimBond(jobId);
        // pot 3 × 40 = 120, jurors 30: the bond back and 90 on top
        assertEq(token.balanceOf(verifierAccount), bond + 90 ether);
        vm.prank(verifierAccount);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NothingToClaim.selector, jobId, verifierAccount));
        court.claimBond(jobId);
    }

    function test_dispute_refusals() public {
        bytes32 jobId = _unanimous(TRUTH);
        address who = makeAddr("who");
        token.faucet(who, 1_000 ether);
        vm.startPrank(who);
        token.approve(address(court), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ICourt.SameDigest.selector, jobId, TRUTH));
        court.dispute(jobId, TRUTH, 60 ether);
        vm.expectRevert(abi.encodeWithSelector(ICourt.BondTooSmall.selector, jobId, 59 ether, 60 ether));
        court.dispute(jobId, LIE, 59 ether);
        uint256 due = market.finalAfter(jobId);
        vm.warp(due + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.NotDisputable.selector, jobId, IJobMarket.JobStatus.Provisional, due, due + 1
            )
        );
        court.dispute(jobId, LIE, 60 ether);
        vm.stopPrank();
        // only the court sends a job to it, rules or voids it; only the market opens a case
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, address(this)));
        market.escalate(jobId);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, address(this)));
        market.rule(jobId, LIE);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, address(this)));
        market.voidJob(jobId);
        vm.expectRevert(abi.encodeWithSelector(ICourt.OnlyMarket.selector, address(this)));
        court.open(jobId);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.OnlyMarket.selector, address(this)));
        stakes.slash(workers[0], jobId, 1, IStakeManager.SlashReason.LostDispute, address(this));
    }

    // -- jurors ----------------------------------------------------------------------------------

    /// A juror who copies the public digest without executing cannot know the checkpoint: it is
    /// slashed while the jurors who executed are paid.
    function test_jurorCopyingADigestIsCaughtByItsCheckpoint() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        // the copier holds a single seat, so the two other seats are a majority
        address copier;
        for (uint256 i; i < drawn.length && copier == address(0); ++i) {
            if (_seats(jobId, 0, drawn[i]) == 1) copier = drawn[i];
        }
        vm.assume(copier != address(0));
        bytes32 checkpoint = _checkpoint(jobId);
        for (uint256 i; i < drawn.length; ++i) {
            _commitVote(jobId, drawn[i], TRUTH, drawn[i] == copier ? bytes32("guessed") : checkpoint);
        }
        for (uint256 i; i < drawn.length; ++i) {
            _revealVote(jobId, drawn[i], TRUTH, drawn[i] == copier ? bytes32("guessed") : checkpoint);
        }
        court.resolve(jobId);
        vm.warp(uint256(court.caseOf(jobId).appealDeadline) + 1);
        uint256 copierWallet = token.balanceOf(copier);
        court.finalize(jobId);
        assertEq(_totalStake(copier), STAKE - COLLATERAL);
        assertEq(token.balanceOf(copier), copierWallet);
        for (uint256 i; i < drawn.length; ++i) {
            if (drawn[i] != copier) assertEq(_totalStake(drawn[i]), STAKE);
        }
    }

    /// A juror who does not reveal is slashed NoReveal when its round is counted.
    function test_silentJurorIsSlashed() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        bytes32 checkpoint = _checkpoint(jobId);
        for (uint256 i; i < drawn.length; ++i) {
            _commitVote(jobId, drawn[i], TRUTH, checkpoint);
        }
        for (uint256 i = 1; i < drawn.length; ++i) {
            _revealVote(jobId, drawn[i], TRUTH, checkpoint);
        }
        ICourt.Case memory c = court.caseOf(jobId);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotYet.selector, jobId, c.revealDeadline, block.timestamp));
        court.resolve(jobId);
        vm.warp(uint256(c.revealDeadline) + 1);
        vm.expectEmit(address(stakes));
        emit IStakeManager.Slashed(
            drawn[0],
            jobId,
            _seats(jobId, 0, drawn[0]) * COLLATERAL,
            _seats(jobId, 0, drawn[0]) * COLLATERAL / 5,
            IStakeManager.SlashReason.NoReveal,
            address(court)
        );
        court.resolve(jobId);
    }

    function test_vote_refusals() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        ICourt.Case memory c = court.caseOf(jobId);
        vm.expectRevert(abi.encodeWithSelector(ICourt.SeedNotReady.selector, jobId, c.seedBlock, block.number));
        court.draw(jobId);
        vm.expectRevert(abi.encodeWithSelector(ICourt.WrongPhase.selector, jobId, ICourt.Phase.Drawing));
        court.commitVote(jobId, bytes32("x"));
        _draw(jobId);
        address juror = court.jurorsOf(jobId, 0)[0];
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotJuror.selector, jobId, 0, workers[0]));
        court.commitVote(jobId, bytes32("x"));
        bytes32 checkpoint = _checkpoint(jobId);
        _commitVote(jobId, juror, TRUTH, checkpoint);
        vm.prank(juror);
        vm.expectRevert(abi.encodeWithSelector(ICourt.VoteAlreadyCast.selector, jobId, juror));
        court.commitVote(jobId, bytes32("x"));
        c = court.caseOf(jobId);
        if (court.jurorsOf(jobId, 0).length > 1) {
            vm.expectRevert(
                abi.encodeWithSelector(ICourt.VoteRevealNotOpen.selector, jobId, c.commitDeadline, block.timestamp)
            );
            _revealVote(jobId, juror, TRUTH, checkpoint);
        }
        vm.warp(uint256(c.commitDeadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(ICourt.VoteMismatch.selector, jobId, juror));
        _revealVote(jobId, juror, LIE, checkpoint);
        _revealVote(jobId, juror, TRUTH, checkpoint);
        vm.warp(uint256(c.revealDeadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICourt.VoteRevealClosed.selector, jobId, c.revealDeadline, block.timestamp)
        );
        _revealVote(jobId, juror, TRUTH, checkpoint);
    }

    // -- rounds ----------------------------------------------------------------------------------

    /// A round without a majority is followed by a larger one (never a redraw of the same size).
    function test_roundWithoutMajorityGrows() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        // nobody reveals: no majority
        vm.warp(uint256(court.caseOf(jobId).revealDeadline) + 1);
        court.resolve(jobId);
        ICourt.Case memory c = court.caseOf(jobId);
        assertEq(c.round, 1);
        assertEq(uint8(c.phase), uint8(ICourt.Phase.Drawing));
        for (uint256 i; i < drawn.length; ++i) {
            assertEq(_totalStake(drawn[i]), STAKE - _seats(jobId, 0, drawn[i]) * COLLATERAL);
        }
        _draw(jobId);
        uint256 seats;
        address[] memory second = court.jurorsOf(jobId, 1);
        for (uint256 i; i < second.length; ++i) {
            seats += _seats(jobId, 1, second[i]);
        }
        assertEq(seats, 7);
        _decideCourt(jobId, TRUTH);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        assertEq(_totalStake(workers[0]), STAKE);
    }

    /// The losing side appeals within the window; the larger round's majority overturns the first.
    function test_appealOverturnsARuling() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        address[] memory first = court.jurorsOf(jobId, 0);
        _voteRound(jobId, LIE); // a captured first round
        assertEq(court.caseOf(jobId).ruling, LIE);
        vm.expectRevert(abi.encodeWithSelector(ICourt.SameDigest.selector, jobId, LIE));
        court.dispute(jobId, LIE, 1);
        uint256 bond = _bond(workers[0], jobId, TRUTH);
        assertEq(bond, 10 * PRICE); // 7 seats + 3 slots
        assertEq(court.caseOf(jobId).round, 1);
        _decideCourt(jobId, TRUTH);
        assertEq(_totalStake(workers[0]), STAKE);
        assertEq(_totalStake(workers[1]), STAKE - COLLATERAL);
        // the captured round's jurors revealed the losing digest: slashed LostDispute
        for (uint256 i; i < first.length; ++i) {
            if (court.voteOf(jobId, 1, first[i]).seats == 0) {
                assertEq(_totalStake(first[i]), STAKE - _seats(jobId, 0, first[i]) * COLLATERAL);
            }
        }
        uint256 wallet = token.balanceOf(workers[0]);
        vm.prank(workers[0]);
        court.claimBond(jobId);
        assertGt(token.balanceOf(workers[0]) - wallet, bond);
    }

    function test_appealClosesWithItsWindow() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        _voteRound(jobId, TRUTH);
        uint256 due = court.caseOf(jobId).appealDeadline;
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotYet.selector, jobId, due, block.timestamp));
        court.finalize(jobId);
        vm.warp(due + 1);
        vm.expectRevert(abi.encodeWithSelector(ICourt.AppealClosed.selector, jobId, due, due + 1));
        court.dispute(jobId, LIE, 1_000 ether);
        court.finalize(jobId);
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Decided));
    }

    /// Too little eligible stake to draw a round: the job is void, revealers paid, nobody slashed.
    function test_tooLittleStakeEndsVoid() public {
        // region 1 holds one matured account (workers[1]) and a newcomer: both take the job's slots,
        // which leaves nobody in the job's regions to judge it
        address newcomer = makeAddr("newcomer");
        _stake(newcomer, STAKE, 1);
        IJobMarket.JobRequest memory r = _request(2, 2);
        r.regions = uint32(1 << 1);
        bytes32 jobId = _post(r);
        vm.warp(block.timestamp + 100);
        _lock(jobId, workers[1]);
        _lock(jobId, newcomer);
        _commit(jobId, 0, workers[1], TRUTH);
        _commit(jobId, 1, newcomer, LIE);
        _reveal(jobId, 0, workers[1], TRUTH);
        _reveal(jobId, 1, newcomer, LIE);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Disputed));
        uint256 deposit = market.balanceOf(requester);
        for (uint256 i; i < court.MAX_REDRAWS(); ++i) {
            _draw(jobId); // a new seed over the pool as it is then, each time
            assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Drawing));
        }
        _draw(jobId);
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Void));
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Void));
        assertEq(_totalStake(workers[1]), STAKE);
        assertEq(_totalStake(newcomer), STAKE);
        assertEq(market.balanceOf(workers[1]), PRICE);
        assertEq(market.balanceOf(newcomer), PRICE);
        assertEq(market.balanceOf(requester), deposit); // both slots at maxPrice: the escrow paid out
    }

    // -- the draw cannot be ground -----------------------------------------------------------------

    /// A contract that draws and reverts until it is seated gets nothing: the seed is a block hash
    /// fixed when the round was asked for, so every attempt draws the same seats.
    function test_drawCannotBeRerolledByReverting() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        ICourt.Case memory c = court.caseOf(jobId);
        vm.roll(uint256(c.seedBlock) + 1);
        uint256 snapshot = vm.snapshotState();
        court.draw(jobId);
        address[] memory honest = court.jurorsOf(jobId, 0);
        vm.revertToState(snapshot);
        // an outsider that is in no round: whatever it tries, the seats do not change
        Reroller reroller = new Reroller();
        address wanted = jurors[jurors.length - 1];
        bool seated;
        for (uint256 i; i < honest.length; ++i) {
            seated = seated || honest[i] == wanted;
        }
        for (uint256 attempt; attempt < 5 && !seated; ++attempt) {
            vm.roll(block.number + 1);
            vm.expectRevert(bytes("not seated"));
            reroller.tryDraw(court, jobId, wanted);
        }
        court.draw(jobId);
        address[] memory later = court.jurorsOf(jobId, 0);
        assertEq(later.length, honest.length);
        for (uint256 i; i < later.length; ++i) {
            assertEq(later[i], honest[i]);
        }
    }

    /// Stake that matures into the pool after the dispute changes nothing in its draw.
    function test_stakeMovedAfterTheDisputeDoesNotChangeItsDraw() public {
        address whale = makeAddr("whale");
        _stake(whale, 100_000 ether, 0);
        vm.warp(block.timestamp + UNBONDING);
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        ICourt.Case memory c = court.caseOf(jobId);
        vm.roll(uint256(c.seedBlock) + 1);
        uint256 snapshot = vm.snapshotState();
        court.draw(jobId);
        address[] memory without = court.jurorsOf(jobId, 0);
        vm.revertToState(snapshot);
        stakes.activate(whale); // 100x everyone else's weight, but after the pool block
        court.draw(jobId);
        address[] memory with = court.jurorsOf(jobId, 0);
        assertEq(with.length, without.length);
        for (uint256 i; i < with.length; ++i) {
            assertEq(with[i], without[i]);
            assertTrue(with[i] != whale);
        }
    }

    /// A seed block nobody drew from within 256 blocks is replaced by a later one, never read as zero.
    function test_agedOutSeedIsRescheduled() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        ICourt.Case memory c = court.caseOf(jobId);
        vm.roll(uint256(c.seedBlock) + 300);
        vm.expectEmit(address(court));
        emit ICourt.RoundScheduled(jobId, 0, c.poolBlock, block.number + 2);
        court.draw(jobId);
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Drawing));
        _decideCourt(jobId, TRUTH);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
    }

    // -- "unavailable" ---------------------------------------------------------------------------

    /// Every slot says the data cannot be had: nobody slashed, each paid minPrice / 4 (not its
    /// price: naming nothing is no way to be paid for work), the rest refunded at once.
    function test_unavailableAloneIsPaidASmallFee() public {
        bytes32 na = market.UNAVAILABLE();
        (bytes32 jobId, IJobMarket.JobRequest memory r) =
            _job(_three(workers[0], workers[1], workers[2]), _answers(na, na, na), 2);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Void));
        uint256 fee = r.minPrice / 4;
        for (uint256 i; i < 3; ++i) {
            assertEq(market.balanceOf(workers[i]), fee);
            assertEq(_totalStake(workers[i]), STAKE);
        }
        assertEq(market.escrowOf(jobId), 0);
    }

    /// A result next to "unavailable" claims goes to the court; confirmed, it is paid in full, and
    /// the claims are neither paid nor slashed.
    function test_aResultBesideUnavailableClaimsIsConfirmedAndPaidInFull() public {
        bytes32 na = market.UNAVAILABLE();
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, na, na), 2);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Disputed));
        _decideCourt(jobId, TRUTH);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        assertEq(market.balanceOf(workers[0]), PRICE);
        for (uint256 i = 1; i < 3; ++i) {
            assertEq(market.balanceOf(workers[i]), 0);
            assertEq(_totalStake(workers[i]), STAKE);
        }
    }

    /// Jurors who cannot have the data vote "unavailable": never a ruling, never slashed; a round
    /// of such votes has no majority and a larger one follows.
    function test_unavailableVotesNeverRuleAndAreNotSlashed() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        _voteRound(jobId, market.UNAVAILABLE());
        assertEq(court.caseOf(jobId).round, 1); // no majority: the next round
        _decideCourt(jobId, TRUTH);
        for (uint256 i; i < drawn.length; ++i) {
            if (court.voteOf(jobId, 1, drawn[i]).seats == 0) assertEq(_totalStake(drawn[i]), STAKE);
        }
        bytes32 na = market.UNAVAILABLE();
        vm.expectRevert(abi.encodeWithSelector(ICourt.NotAResult.selector, jobId, na));
        court.dispute(jobId, na, 1_000 ether);
    }

    // -- found in review ---------------------------------------------------------------------------

    /// Stake moved out of reach once the seed is public (unstaked: skipped, yet counted at the pool
    /// block) can starve one draw, not the case: the round is drawn again over the pool as it is.
    function test_attack_unstakingAfterTheSeedOnlyDelaysTheDraw() public {
        address sybil = makeAddr("sybil");
        _stake(sybil, 600_000 ether, 0);
        vm.warp(block.timestamp + UNBONDING);
        stakes.activate(sybil);
        vm.roll(block.number + 1);
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        ICourt.Case memory c = court.caseOf(jobId);
        vm.roll(uint256(c.seedBlock) + 1);
        vm.prank(sybil);
        stakes.requestUnstake(600_000 ether);
        court.draw(jobId);
        c = court.caseOf(jobId);
        assertEq(uint8(c.phase), uint8(ICourt.Phase.Drawing));
        assertEq(c.redraws, 1);
        _decideCourt(jobId, TRUTH);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        assertEq(_totalStake(workers[1]), STAKE - COLLATERAL);
    }

    /// A zero-price job is no free lever on jurors: bonds are priced at the court's least seat
    /// fee, and a seat locks the court's seat collateral, not the job's choice.
    function test_attack_zeroPriceDisputeStillCostsABond() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        (r.minPrice, r.maxPrice, r.collateral) = (0, 0, 5_000 ether);
        _stake(workers[0], 10_000 ether, 0);
        bytes32 jobId = _post(r);
        _lock(jobId, workers[0]);
        _reveal(jobId, 0, workers[0], TRUTH);
        assertEq(court.minBond(jobId, 0), 4 * SEAT_FEE_FLOOR);
        vm.expectRevert(abi.encodeWithSelector(ICourt.BondTooSmall.selector, jobId, 0, 4 * SEAT_FEE_FLOOR));
        court.dispute(jobId, LIE, 0);
        _bond(makeAddr("griefer"), jobId, LIE);
        assertEq(court.caseOf(jobId).collateral, SEAT_COLLATERAL);
    }

    /// A zero commitment would count as committed and leave the seat free to commit again, opening
    /// reveals early for a juror to copy: refused.
    function test_attack_emptyCommitmentIsRefused() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        address juror = court.jurorsOf(jobId, 0)[0];
        vm.prank(juror);
        vm.expectRevert(abi.encodeWithSelector(ICourt.EmptyCommitment.selector, jobId));
        court.commitVote(jobId, bytes32(0));
    }

    /// Once votes are revealed, a bond on the majority would be a free ride on the pot: refused;
    /// while they are sealed a bond is a real bet, and joins.
    function test_attack_noBondOnceVotesAreRevealed() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        address[] memory drawn = court.jurorsOf(jobId, 0);
        bytes32 checkpoint = _checkpoint(jobId);
        for (uint256 i; i < drawn.length; ++i) {
            _commitVote(jobId, drawn[i], TRUTH, checkpoint);
        }
        _bond(makeAddr("early"), jobId, TRUTH); // votes sealed: a bet like any other
        _revealVote(jobId, drawn[0], TRUTH, checkpoint);
        address rider = makeAddr("rider");
        token.faucet(rider, 1_000 ether);
        vm.startPrank(rider);
        token.approve(address(court), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ICourt.VotesRevealed.selector, jobId, 0));
        court.dispute(jobId, TRUTH, 1_000 ether);
        vm.stopPrank();
    }

    /// Jurors who reveal the slots' majority digest with made-up checkpoints split their round; when
    /// a larger round rules that digest they are released, but not paid: nothing held them to a
    /// checkpoint.
    function test_attack_lazyJurorsOfARoundWithoutMajorityAreNotPaid() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, TRUTH), 2);
        _draw(jobId);
        address[] memory lazy = court.jurorsOf(jobId, 0);
        vm.assume(lazy.length == 3);
        for (uint256 i; i < 3; ++i) {
            _commitVote(jobId, lazy[i], TRUTH, bytes32(i + 1));
        }
        for (uint256 i; i < 3; ++i) {
            _revealVote(jobId, lazy[i], TRUTH, bytes32(i + 1));
        }
        court.resolve(jobId);
        assertEq(court.caseOf(jobId).round, 1);
        uint256[] memory before = _wallets(lazy);
        _decideCourt(jobId, TRUTH);
        for (uint256 i; i < 3; ++i) {
            if (court.voteOf(jobId, 1, lazy[i]).seats > 0) continue; // also drawn in round 1: paid there
            assertEq(token.balanceOf(lazy[i]), before[i]);
            assertEq(_totalStake(lazy[i]), STAKE);
        }
    }

    /// A ruling stands when a later round cannot be drawn, whichever earlier round made it; the
    /// appeal bond that named the losing digest is lost.
    function test_attack_anOlderRulingStandsWhenNoRoundCanBeDrawn() public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        _draw(jobId);
        _voteRound(jobId, TRUTH); // round 0 rules the truth
        uint256 bond = _bond(workers[1], jobId, LIE); // the liar appeals
        _draw(jobId);
        vm.warp(uint256(court.caseOf(jobId).revealDeadline) + 1);
        court.resolve(jobId); // round 1 silent: no majority, round 2 scheduled
        assertEq(court.caseOf(jobId).round, 2);
        // every juror unstakes: round 2 can never be filled
        for (uint256 i; i < jurors.length; ++i) {
            (uint256 free,,) = stakes.stakeOf(jurors[i]);
            vm.prank(jurors[i]);
            if (free > 0) stakes.requestUnstake(free);
        }
        (uint256 w3free,,) = stakes.stakeOf(workers[3]);
        vm.prank(workers[3]);
        stakes.requestUnstake(w3free);
        for (uint256 i; i <= court.MAX_REDRAWS(); ++i) {
            _draw(jobId);
        }
        assertEq(uint8(court.caseOf(jobId).phase), uint8(ICourt.Phase.Decided));
        assertEq(court.caseOf(jobId).ruling, TRUTH);
        assertEq(_totalStake(workers[1]), STAKE - COLLATERAL);
        vm.prank(workers[1]);
        vm.expectRevert(abi.encodeWithSelector(ICourt.NothingToClaim.selector, jobId, workers[1]));
        court.claimBond(jobId);
        assertEq(bond, court.minBond(jobId, 1));
    }

    /// Only the owner sets the court's terms, and only within bounds: nobody can make seats free to
    /// dispute, lock jurors' stake without limit, or leave no time to vote.
    function test_parameters_areOwnersAndBounded() public {
        address who = makeAddr("who");
        vm.startPrank(who);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who));
        court.setSeatTerms(1 ether, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who));
        court.setVoteWindow(1 days);
        vm.stopPrank();
        uint256 maxFee = court.MAX_MIN_SEAT_FEE();
        vm.expectRevert(abi.encodeWithSelector(ICourt.ParameterOutOfRange.selector, 0, 1, maxFee));
        court.setSeatTerms(0, 50 ether);
        uint256 maxCollateral = court.MAX_SEAT_COLLATERAL();
        vm.expectRevert(
            abi.encodeWithSelector(ICourt.ParameterOutOfRange.selector, maxCollateral + 1, 1 ether, maxCollateral)
        );
        court.setSeatTerms(1 ether, maxCollateral + 1);
        vm.expectRevert(abi.encodeWithSelector(ICourt.ParameterOutOfRange.selector, 9, 10, 7 days));
        court.setVoteWindow(9);
        // a case keeps the terms it opened with
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        court.setSeatTerms(2 ether, 80 ether);
        assertEq(court.caseOf(jobId).collateral, SEAT_COLLATERAL);
        assertEq(court.minSeatFee(), 2 ether);
        assertEq(court.seatCollateral(), 80 ether);
    }

    // -- fuzz ------------------------------------------------------------------------------------

    /// Whatever the jurors vote, tokens are conserved and the case ends (decided or void); when the
    /// truth wins, the honest slot ends with its collateral and its price.
    function testFuzz_votesConserveTokens(uint256 votes, uint256 reveals) public {
        (bytes32 jobId,) = _job(_three(workers[0], workers[1], workers[2]), _answers(TRUTH, LIE, LIE), 2);
        uint256 supply = token.totalSupply();
        for (uint256 guard; guard < 8; ++guard) {
            ICourt.Case memory c = court.caseOf(jobId);
            if (c.phase == ICourt.Phase.Drawing) {
                _draw(jobId);
            } else if (c.phase == ICourt.Phase.Voting) {
                address[] memory drawn = court.jurorsOf(jobId, c.round);
                bytes32 checkpoint = _checkpoint(jobId);
                for (uint256 i; i < drawn.length; ++i) {
                    bytes32 d = (votes >> (i + 16 * c.round)) & 1 == 1 ? LIE : TRUTH;
                    _commitVote(jobId, drawn[i], d, checkpoint);
                }
                for (uint256 i; i < drawn.length; ++i) {
                    if ((reveals >> (i + 16 * c.round)) & 1 == 1) continue;
                    bytes32 d = (votes >> (i + 16 * c.round)) & 1 == 1 ? LIE : TRUTH;
                    _revealVote(jobId, drawn[i], d, checkpoint);
                }
                vm.warp(uint256(court.caseOf(jobId).revealDeadline) + 1);
                court.resolve(jobId);
            } else if (c.phase == ICourt.Phase.Ruled) {
                vm.warp(uint256(c.appealDeadline) + 1);
                court.finalize(jobId);
            } else {
                break;
            }
        }
        ICourt.Phase end = court.caseOf(jobId).phase;
        assertTrue(end == ICourt.Phase.Decided || end == ICourt.Phase.Void);
        uint256 held = token.balanceOf(address(market)) + token.balanceOf(address(stakes))
            + token.balanceOf(address(court)) + token.balanceOf(requester);
        for (uint256 i; i < 4; ++i) {
            held += token.balanceOf(workers[i]);
        }
        for (uint256 i; i < jurors.length; ++i) {
            held += token.balanceOf(jurors[i]);
        }
        assertEq(held + supply - token.totalSupply(), supply);
        assertEq(token.balanceOf(address(stakes)), stakes.totalStaked());
        assertLe(token.balanceOf(address(court)), 16);
        if (end == ICourt.Phase.Void || court.caseOf(jobId).ruling == TRUTH) {
            assertEq(_totalStake(workers[0]), STAKE);
            assertEq(market.balanceOf(workers[0]), PRICE);
        }
    }
}
