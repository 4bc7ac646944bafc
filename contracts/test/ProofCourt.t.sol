// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IProofCourt} from "../src/interfaces/IProofCourt.sol";
import {IProofVerifier} from "../src/interfaces/IProofVerifier.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";
import {
    GarbageVerifier,
    GasBurningVerifier,
    RejectingVerifier,
    ReturnBombVerifier,
    RevertingVerifier
} from "./helpers/HashProofVerifier.sol";

/// `ZK` jobs through the proof court, with real Groth16: the example wordcount program's lean
/// verifier and proofs from contracts/test/data/zk.json (tools/zk_fixture.py), for jobs whose
/// requests `_zkJob` (MarketFixture) fixes field by field. Each attack of issue 13 is a test here:
/// a proof for another input, tampered, against another program's verifier, replayed on another
/// job, submitted by a copier, a verifier swapped after posting, a verifier without code. Tokens
/// are conserved in each.
contract ProofCourtTest is MarketFixture {
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 internal constant PRICE = 10 ether; // ramp 100 s: the ask is maxPrice once 100 s have passed
    uint256 internal constant COLLATERAL = 50 ether;

    string internal fixture;
    address internal wordcount;
    address internal preimage;
    bytes32 internal input; // the text's commitment
    bytes32 internal otherInput;
    bytes32 internal result; // commitment(word count || salt)
    bytes internal proofA; // worker0's proof for job A
    bytes internal proofD; // worker0's wordcount proof for job D (which pins preimage's verifier)
    bytes32[] internal posted;

    function setUp() public override {
        super.setUp();
        fixture = vm.readFile("test/data/zk.json");
        wordcount = vm.parseJsonAddress(fixture, ".verifiers.wordcount.address");
        preimage = vm.parseJsonAddress(fixture, ".verifiers.preimage.address");
        vm.etch(wordcount, vm.parseJsonBytes(fixture, ".verifiers.wordcount.runtime"));
        vm.etch(preimage, vm.parseJsonBytes(fixture, ".verifiers.preimage.runtime"));
        input = vm.parseJsonBytes32(fixture, ".inputCommitment");
        otherInput = vm.parseJsonBytes32(fixture, ".otherInputCommitment");
        result = vm.parseJsonBytes32(fixture, ".resultCommitment");
        proofA = vm.parseJsonBytes(fixture, ".proofs.A");
        proofD = vm.parseJsonBytes(fixture, ".proofs.D");
        assertEq(vm.parseJsonAddress(fixture, ".prover"), workers[0]);
    }

    // -- helpers ---------------------------------------------------------------------------------

    function _jobA() internal view returns (IJobMarket.JobRequest memory) {
        return _zkJob(1000, proofCourt.pin(wordcount), input);
    }

    /// Posts `r` and has `w` lock it at the full ask.
    function _take(IJobMarket.JobRequest memory r, address w) internal returns (bytes32 jobId) {
        jobId = _post(r);
        posted.push(jobId);
        vm.warp(block.timestamp + 100);
        _lock(jobId, w);
    }

    function _expectVerdict(bytes32 jobId, address w, address verifier, IProofCourt.Verdict verdict, bytes32 digest)
        internal
    {
        vm.expectEmit(address(proofCourt));
        emit IProofCourt.ProofChecked(jobId, w, verifier, verdict, digest, bytes32("cid"));
    }

    function _assertPaid(bytes32 jobId, address w, IJobMarket.JobStatus status) internal view {
        assertEq(uint8(market.job(jobId).status), uint8(status));
        assertEq(market.balanceOf(w), PRICE);
        assertEq(_totalStake(w), STAKE);
        assertEq(market.balanceOf(requester), 50_000 ether - PRICE);
        _assertConserved();
    }

    function _assertSlashed(bytes32 jobId, address w) internal view {
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
        assertEq(market.balanceOf(w), 0);
        assertEq(_totalStake(w), STAKE - COLLATERAL);
        assertEq(market.balanceOf(requester), 50_000 ether); // refunded
        _assertConserved();
    }

    /// Every token minted is held by a party (or burned); the market holds exactly its balances and
    /// escrows, the stake manager exactly the stakes; the proof court holds nothing.
    function _assertConserved() internal view {
        uint256 held = token.balanceOf(requester) + token.balanceOf(address(market)) + token.balanceOf(address(stakes))
            + token.balanceOf(address(court)) + token.balanceOf(address(proofCourt)) + token.balanceOf(address(this));
        uint256 balances = market.balanceOf(requester);
        uint256 staked;
        for (uint256 i; i < workers.length; ++i) {
            held += token.balanceOf(workers[i]);
            balances += market.balanceOf(workers[i]);
            staked += _totalStake(workers[i]);
        }
        assertEq(held, token.totalSupply());
        uint256 escrow;
        for (uint256 i; i < posted.length; ++i) {
            escrow += market.escrowOf(posted[i]);
        }
        assertEq(token.balanceOf(address(market)), balances + escrow);
        assertEq(token.balanceOf(address(stakes)), staked);
        assertEq(token.balanceOf(address(proofCourt)), 0);
    }

    // -- the fixture -----------------------------------------------------------------------------

    function test_fixture_matchesTheRequestsAndVerifiers() public view {
        assertEq(market.hashRequest(_jobA()), vm.parseJsonBytes32(fixture, ".jobs.A"));
        assertEq(market.hashRequest(_zkJob(1001, proofCourt.pin(wordcount), input)), vm.parseJsonBytes32(fixture, ".jobs.B"));
        assertEq(market.hashRequest(_zkJob(1002, proofCourt.pin(wordcount), otherInput)), vm.parseJsonBytes32(fixture, ".jobs.C"));
        assertEq(market.hashRequest(_zkJob(1003, proofCourt.pin(preimage), input)), vm.parseJsonBytes32(fixture, ".jobs.D"));
        assertEq(proofCourt.pin(wordcount), vm.parseJsonBytes32(fixture, ".verifiers.wordcount.pin"));
        assertEq(proofCourt.pin(preimage), vm.parseJsonBytes32(fixture, ".verifiers.preimage.pin"));
    }

    // -- a valid proof ---------------------------------------------------------------------------

    function test_groth16_validProofPays() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        _expectVerdict(jobId, workers[0], wordcount, IProofCourt.Verdict.Valid, result);
        vm.expectEmit(address(market));
        emit IJobMarket.ProofAccepted(jobId, workers[0], result, bytes32("cid"));
        _submit(workers[0], r, result, proofA);
        _assertPaid(jobId, workers[0], IJobMarket.JobStatus.Settled);
        assertEq(market.slot(jobId, 0).sealed_, result);
    }

    function test_groth16_verifierAgreesWithThePublicInputsTheCourtBuilds() public view {
        uint256[3] memory inputs = proofCourt.publicInputs(vm.parseJsonBytes32(fixture, ".jobs.A"), workers[0], input, result);
        (bool ok, bytes memory answer) =
            wordcount.staticcall(abi.encodePacked(IProofVerifier.verifyTx.selector, proofA, inputs));
        assertTrue(ok);
        assertEq(abi.decode(answer, (bool)), true);
    }

    // -- the attacks: each refused, and slashed where the protocol says so ----------------------

    function test_groth16_proofForAnotherInputIsSlashed() public {
        IJobMarket.JobRequest memory r = _zkJob(1002, proofCourt.pin(wordcount), otherInput);
        bytes32 jobId = _take(r, workers[0]);
        _expectVerdict(jobId, workers[0], wordcount, IProofCourt.Verdict.Invalid, result);
        _submit(workers[0], r, result, proofA);
        _assertSlashed(jobId, workers[0]);
    }

    function test_groth16_claimingAnotherResultIsSlashed() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        _submit(workers[0], r, bytes32(uint256(result) ^ 1), proofA);
        _assertSlashed(jobId, workers[0]);
    }

    function test_groth16_tamperedProofIsSlashed() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        bytes memory bad = bytes.concat(proofA); // A negated: still a point, no longer a proof
        uint256 ay;
        assembly {
            ay := mload(add(bad, 64))
        }
        ay = Q - ay;
        assembly {
            mstore(add(bad, 64), ay)
        }
        _expectVerdict(jobId, workers[0], wordcount, IProofCourt.Verdict.Invalid, result);
        _submit(workers[0], r, result, bad);
        _assertSlashed(jobId, workers[0]);
    }

    function test_groth16_proofAgainstAnotherProgramsVerifierIsSlashed() public {
        IJobMarket.JobRequest memory r = _zkJob(1003, proofCourt.pin(preimage), input);
        bytes32 jobId = _take(r, workers[0]);
        _expectVerdict(jobId, workers[0], preimage, IProofCourt.Verdict.Invalid, result);
        _submit(workers[0], r, result, proofD); // a wordcount proof made for this very job and prover
        _assertSlashed(jobId, workers[0]);
    }

    function test_groth16_proofReplayedOnAnotherJobIsSlashed() public {
        IJobMarket.JobRequest memory a = _jobA();
        bytes32 jobA = _take(a, workers[0]);
        _submit(workers[0], a, result, proofA);
        // the same program and input, another job: the proof, public in A's calldata, is worth nothing
        IJobMarket.JobRequest memory b = _zkJob(1001, proofCourt.pin(wordcount), input);
        bytes32 jobB = _take(b, workers[0]);
        _submit(workers[0], b, result, proofA);
        assertEq(uint8(market.job(jobA).status), uint8(IJobMarket.JobStatus.Settled));
        assertEq(uint8(market.job(jobB).status), uint8(IJobMarket.JobStatus.Expired));
        assertEq(market.balanceOf(workers[0]), PRICE); // paid for A only
        assertEq(_totalStake(workers[0]), STAKE - COLLATERAL); // slashed for B
        _assertConserved();
    }

    function test_groth16_copierSubmittingAnothersProofIsSlashed() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[1]);
        // worker0 made the proof (seen off-chain, or in a failed transaction): not its slot
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotSlotWorker.selector, jobId, 0, workers[0]));
        proofCourt.submitProof(r, result, bytes32("cid"), proofA);
        // worker1 holds the slot, but the proof names worker0 as its prover
        _expectVerdict(jobId, workers[1], wordcount, IProofCourt.Verdict.Invalid, result);
        _submit(workers[1], r, result, proofA);
        _assertSlashed(jobId, workers[1]);
    }

    // -- the pinned verifier ---------------------------------------------------------------------

    function test_pin_nameRepointedAfterPostingHasNoEffect() public {
        // the name the requester looked the verifier up by now points at one that rejects everything
        resolver.setAddr(verifierNode, address(new RejectingVerifier()));
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        resolver.setAddr(verifierNode, address(new RejectingVerifier()));
        _submit(workers[0], r, result, proofA);
        _assertPaid(jobId, workers[0], IJobMarket.JobStatus.Settled);
    }

    function test_pin_codeChangedUnderThePinIsTheRequestersLoss() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        vm.etch(wordcount, address(new RejectingVerifier()).code); // not possible since EIP-6780; pinned anyway
        _expectVerdict(jobId, workers[0], wordcount, IProofCourt.Verdict.Unverifiable, result);
        vm.expectEmit(address(market));
        emit IJobMarket.JobVoid(jobId, 1);
        _submit(workers[0], r, result, proofA);
        _assertPaid(jobId, workers[0], IJobMarket.JobStatus.Void);
    }

    function test_pin_verifierWithoutCodeSlashesNobody() public {
        address nothing = address(0xdead);
        IJobMarket.JobRequest memory r = _zkJob(1000, proofCourt.pin(nothing), input);
        bytes32 jobId = _take(r, workers[0]);
        _expectVerdict(jobId, workers[0], nothing, IProofCourt.Verdict.Unverifiable, result);
        _submit(workers[0], r, result, proofA);
        _assertPaid(jobId, workers[0], IJobMarket.JobStatus.Void);
    }

    function test_pin_hostileVerifiersCostTheWorkerNothing() public {
        address[4] memory hostile = [
            address(new RevertingVerifier()),
            address(new GarbageVerifier()),
            address(new GasBurningVerifier()),
            address(new ReturnBombVerifier())
        ];
        for (uint256 i; i < hostile.length; ++i) {
            IJobMarket.JobRequest memory r = _zkJob(2000 + i, proofCourt.pin(hostile[i]), input);
            bytes32 jobId = _take(r, workers[i]);
            _expectVerdict(jobId, workers[i], hostile[i], IProofCourt.Verdict.Unverifiable, result);
            uint256 before = gasleft();
            _submit(workers[i], r, result, proofA);
            assertLt(before - gasleft(), 1_500_000, "the submission stays cheap whatever the verifier does");
            assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Void));
            assertEq(market.balanceOf(workers[i]), PRICE);
            assertEq(_totalStake(workers[i]), STAKE);
        }
        assertEq(market.balanceOf(requester), 50_000 ether - 4 * PRICE);
        _assertConserved();
    }

    function test_pin_inputCommitmentOutsideTheFieldIsTheRequestersLoss() public {
        IJobMarket.JobRequest memory r = _zkJob(1000, proofCourt.pin(wordcount), bytes32(proofCourt.FIELD_MODULUS()));
        bytes32 jobId = _take(r, workers[0]);
        _submit(workers[0], r, result, proofA);
        _assertPaid(jobId, workers[0], IJobMarket.JobStatus.Void);
    }

    function test_resultOutsideTheFieldIsSlashed() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        bytes32 wrapped = bytes32(uint256(result) + proofCourt.FIELD_MODULUS()); // the same field element
        _expectVerdict(jobId, workers[0], wordcount, IProofCourt.Verdict.Invalid, wrapped);
        _submit(workers[0], r, wrapped, proofA);
        _assertSlashed(jobId, workers[0]);
    }

    // -- refusals that change nothing ------------------------------------------------------------

    function test_malformedProofIsRefused() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IProofCourt.MalformedProof.selector, 255, 256));
        proofCourt.submitProof(r, result, bytes32("cid"), new bytes(255));
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Open));
        _submit(workers[0], r, result, proofA); // and the worker can still deliver
        _assertPaid(jobId, workers[0], IJobMarket.JobStatus.Settled);
    }

    function test_tooLittleGasIsRefusedNotJudged() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        vm.prank(workers[0]);
        vm.expectPartialRevert(IProofCourt.NotEnoughGasForVerifier.selector);
        proofCourt.submitProof{gas: 400_000}(r, result, bytes32("cid"), proofA);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Open));
        assertEq(_totalStake(workers[0]), STAKE);
    }

    function test_onlyTheProofCourtSettles() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, workers[0]));
        market.settleProof(jobId, workers[0], result, bytes32("cid"), 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, address(court)));
        vm.prank(address(court));
        market.settleProof(jobId, workers[0], result, bytes32("cid"), 1);
    }

    function test_proofCourtIsSetOnceByTheOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.CourtAlreadySet.selector, address(proofCourt)));
        market.setProofCourt(address(1));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, requester));
        market.setProofCourt(address(1));
    }

    function test_redundantJobTakesNoProof() public {
        IJobMarket.JobRequest memory r = _request(1, 1);
        bytes32 jobId = _take(r, workers[0]);
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.WrongMode.selector, jobId, IJobMarket.Mode.REDUNDANT));
        proofCourt.submitProof(r, result, bytes32("cid"), proofA);
    }

    function test_lateProofIsRefusedAndTheDeadlineSlashes() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        vm.warp(r.revealDeadline + 1);
        vm.prank(workers[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.RevealClosed.selector, jobId, r.revealDeadline, r.revealDeadline + 1)
        );
        proofCourt.submitProof(r, result, bytes32("cid"), proofA);
        market.expire(jobId);
        assertEq(_totalStake(workers[0]), STAKE - COLLATERAL);
        _assertConserved();
    }

    function test_secondSubmissionIsRefused() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        _submit(workers[0], r, result, proofA);
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobNotOpen.selector, jobId, IJobMarket.JobStatus.Settled));
        proofCourt.submitProof(r, result, bytes32("cid"), proofA);
    }

    // -- the accounting, with the stand-in verifier ----------------------------------------------

    function test_standIn_validAndInvalid() public {
        IJobMarket.JobRequest memory r = _zkRequest();
        bytes32 jobId = _take(r, workers[0]);
        _submit(workers[0], r, bytes32(uint256(7)), _proof(r, workers[0], bytes32(uint256(7))));
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        IJobMarket.JobRequest memory s = _zkRequest();
        bytes32 other = _take(s, workers[1]);
        _submit(workers[1], s, bytes32(uint256(8)), _proof(s, workers[1], bytes32(uint256(7))));
        assertEq(uint8(market.job(other).status), uint8(IJobMarket.JobStatus.Expired));
        _assertConserved();
    }

    // -- fuzz ------------------------------------------------------------------------------------

    /// Any 256 bytes of "proof": the lean verifier answers false, never reverts, so a junk proof is
    /// always slashed and never voids the job.
    function testFuzz_junkProofIsSlashedNeverVoided(uint256[8] memory words) public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _take(r, workers[0]);
        _expectVerdict(jobId, workers[0], wordcount, IProofCourt.Verdict.Invalid, result);
        _submit(workers[0], r, result, abi.encodePacked(words));
        _assertSlashed(jobId, workers[0]);
    }

    /// The binding is keccak256 of the job and the prover cut to 253 bits: a field element as it is
    /// (never reduced), and another job or another prover gives another binding.
    function testFuzz_publicInputsBindTheJobAndTheProverInOneFieldElement(
        bytes32 jobId,
        address prover,
        bytes32 otherJob,
        address otherProver,
        bytes32 inputCommitment,
        bytes32 resultCommitment
    ) public view {
        vm.assume(jobId != otherJob && prover != otherProver);
        uint256[3] memory inputs = proofCourt.publicInputs(jobId, prover, inputCommitment, resultCommitment);
        assertEq(inputs[0], uint256(keccak256(abi.encode(jobId, prover))) >> 3);
        assertLt(inputs[0], 2 ** 253);
        assertLt(inputs[0], proofCourt.FIELD_MODULUS());
        assertEq(inputs[1], uint256(inputCommitment));
        assertEq(inputs[2], uint256(resultCommitment));
        assertTrue(proofCourt.publicInputs(otherJob, prover, inputCommitment, resultCommitment)[0] != inputs[0]);
        assertTrue(proofCourt.publicInputs(jobId, otherProver, inputCommitment, resultCommitment)[0] != inputs[0]);
    }

    /// The binding of the fixture's job A and prover, as tools/zk_fixture.py computed it with
    /// ledger.proofs.job_binding: Solidity and Python agree on the one value both define.
    function test_publicInputs_bindingMatchesPython() public view {
        uint256[3] memory inputs =
            proofCourt.publicInputs(vm.parseJsonBytes32(fixture, ".jobs.A"), workers[0], input, result);
        assertEq(inputs[0], vm.parseJsonUint(fixture, ".bindings.A"));
    }

    function testFuzz_pinNamesAddressAndCode(address verifier, bytes32 codeHash, bytes32 otherHash) public view {
        vm.assume(uint256(codeHash) >> 160 != uint256(otherHash) >> 160);
        bytes32 p = proofCourt.pinOf(verifier, codeHash);
        assertEq(address(uint160(uint256(p) >> 96)), verifier);
        assertTrue(p != proofCourt.pinOf(verifier, otherHash));
    }
}
