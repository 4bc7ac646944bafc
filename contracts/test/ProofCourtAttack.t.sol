// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IProofCourt} from "../src/interfaces/IProofCourt.sol";
import {IProofVerifier} from "../src/interfaces/IProofVerifier.sol";
import {IAgoraRegistrar} from "../src/interfaces/IAgoraRegistrar.sol";
import {INameRegistry} from "../src/interfaces/INameRegistry.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {ProofCourt} from "../src/ProofCourt.sol";
import {NameRegistry} from "../src/NameRegistry.sol";
import {PublicResolver} from "../src/PublicResolver.sol";
import {AgoraRegistrar} from "../src/AgoraRegistrar.sol";
import {ProgramRegistrar} from "../src/ProgramRegistrar.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";
import {HashProofVerifier, GasBurningVerifier} from "./helpers/HashProofVerifier.sol";

/// A verifier whose code never changes (so its pin always holds) but whose answer depends on who
/// asks: anyone but the proof court gets the fit inner verifier's answer (so a worker's pre-lock
/// dry run, an `eth_call` straight to the verifier as ledger/proofs.py makes it, sees "valid"); the
/// proof court always gets "false" (the worker is slashed `InvalidProof`, to the requester).
contract TwoFacedVerifier {
    address internal immutable court;
    address internal immutable inner;

    constructor(address court_, address inner_) {
        (court, inner) = (court_, inner_);
    }

    fallback(bytes calldata data) external returns (bytes memory) {
        if (msg.sender == court) return abi.encode(false);
        (bool ok, bytes memory answer) = inner.staticcall(data);
        require(ok);
        return answer;
    }
}

/// A verifier whose code never changes but which reads a switch its deployer (the requester) flips
/// after the worker has locked: a pin fixes code, not state.
contract SwitchVerifier {
    address internal immutable owner;
    address internal immutable inner;
    bool public armed;

    constructor(address inner_) {
        (owner, inner) = (msg.sender, inner_);
    }

    function arm() external {
        require(msg.sender == owner);
        armed = true;
    }

    fallback(bytes calldata data) external returns (bytes memory) {
        if (armed) return abi.encode(false);
        (bool ok, bytes memory answer) = inner.staticcall(data);
        require(ok);
        return answer;
    }
}

/// Attacks on the ZK settlement path (ProofCourt, JobMarket.settleProof, ProgramRegistrar).
/// test_holds_*: the attack is refused. test_knownLimit_*: what the contracts alone allow, and the
/// off-chain check that keeps an honest worker out of it.
contract ProofCourtAttackTest is MarketFixture {
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 internal constant PRICE = 10 ether;
    uint256 internal constant COLLATERAL = 50 ether;

    string internal fixture;
    address internal wordcount;
    bytes32 internal input;
    bytes32 internal result;
    bytes internal proofA;

    function setUp() public override {
        super.setUp();
        fixture = vm.readFile("test/data/zk.json");
        wordcount = vm.parseJsonAddress(fixture, ".verifiers.wordcount.address");
        vm.etch(wordcount, vm.parseJsonBytes(fixture, ".verifiers.wordcount.runtime"));
        input = vm.parseJsonBytes32(fixture, ".inputCommitment");
        result = vm.parseJsonBytes32(fixture, ".resultCommitment");
        proofA = vm.parseJsonBytes(fixture, ".proofs.A");
    }

    // -- helpers ---------------------------------------------------------------------------------

    /// Job A of the fixture (the proof in `proofA` is workers[0]'s for it).
    function _jobA() internal view returns (IJobMarket.JobRequest memory) {
        return _zkJob(1000, proofCourt.pin(wordcount), input);
    }

    function _zkPinning(address v) internal returns (IJobMarket.JobRequest memory r) {
        r = _zkRequest();
        r.collateral = uint96(COLLATERAL);
        r.verifierPin = proofCourt.pin(v);
    }

    /// ledger/proofs.py `proof_verdict`, the worker's last check before it locks (defence in depth
    /// behind its byte-for-byte check of the verifier's code, duties/running.py): code present, pin
    /// matching, then the verifier asked directly (an eth_call, not through the court) with 600k gas.
    function _workerDryRun(IJobMarket.JobRequest memory r, address w, bytes32 digest, bytes memory proof)
        internal
        returns (IProofCourt.Verdict)
    {
        address v = address(uint160(uint256(r.verifierPin) >> 96));
        if (v.code.length == 0 || proofCourt.pin(v) != r.verifierPin) return IProofCourt.Verdict.Unverifiable;
        uint256[3] memory inputs = proofCourt.publicInputs(market.hashRequest(r), w, r.inputDigest, digest);
        vm.prank(address(0)); // eth_call without a sender
        (bool ok, bytes memory answer) =
            v.staticcall{gas: 600_000}(abi.encodePacked(IProofVerifier.verifyTx.selector, proof, inputs));
        if (!ok || answer.length != 32 || uint256(bytes32(answer)) > 1) return IProofCourt.Verdict.Unverifiable;
        return uint256(bytes32(answer)) == 1 ? IProofCourt.Verdict.Valid : IProofCourt.Verdict.Invalid;
    }

    function _postAndLock(IJobMarket.JobRequest memory r, address w) internal returns (bytes32 jobId) {
        jobId = _post(r);
        vm.warp(block.timestamp + 100); // the ask is maxPrice
        _lock(jobId, w);
    }

    // == 1. A verifier that is not the program's lean verifier ====================================
    //
    // A pin fixes the verifier's code, not what that code answers: code may answer by its caller,
    // or by state its deployer sets after the lock. On chain, such a verifier can have an honest
    // prover slashed; the protocol's defence is the worker's, off-chain: it locks a ZK job only when
    // the code at the pinned address is, byte for byte, the lean verifier of the program's key as
    // the pinned solc compiles it (duties/zkjobs.py `Prover._check_verifier`; docs/protocol.md,
    // "Results, `ZK`"). These tests pin down what the contracts alone do, and that such code is
    // never the lean verifier's, which is what the worker's check refuses.

    /// A verifier answering the court otherwise than anyone else: a worker's dry run (an eth_call
    /// straight to the verifier) says valid, the court's call says invalid.
    function test_knownLimit_twoFacedVerifierSlashesAProverThatDidNotCheckItsCode() public {
        TwoFacedVerifier trap = new TwoFacedVerifier(address(proofCourt), address(verifier));
        assertTrue(address(trap).codehash != address(verifier).codehash, "not the fit verifier's code");
        IJobMarket.JobRequest memory r = _zkPinning(address(trap));
        address w = workers[0];
        bytes32 digest = bytes32(uint256(7));
        bytes memory proof = _proof(r, w, digest); // an honest proof, valid for the fit inner verifier
        assertEq(uint8(_workerDryRun(r, w, digest, proof)), uint8(IProofCourt.Verdict.Valid), "dry run");
        bytes32 jobId = _postAndLock(r, w);
        _submit(w, r, digest, proof);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
        assertEq(_totalStake(w), STAKE - 50 ether, "slashed: why a worker must check the code before locking");
    }

    /// A verifier reading a switch its deployer flips after the lock: the pin still holds.
    function test_knownLimit_switchedVerifierSlashesAProverThatDidNotCheckItsCode() public {
        vm.prank(requester);
        SwitchVerifier trap = new SwitchVerifier(address(verifier));
        assertTrue(address(trap).codehash != address(verifier).codehash, "not the fit verifier's code");
        IJobMarket.JobRequest memory r = _zkPinning(address(trap));
        address w = workers[1];
        bytes32 digest = bytes32(uint256(9));
        bytes memory proof = _proof(r, w, digest);
        assertEq(uint8(_workerDryRun(r, w, digest, proof)), uint8(IProofCourt.Verdict.Valid), "dry run");
        bytes32 jobId = _postAndLock(r, w);
        vm.prank(requester);
        trap.arm(); // e.g. front-running the worker's submitProof
        assertEq(proofCourt.pin(address(trap)), r.verifierPin, "the pin still holds");
        _submit(w, r, digest, proof);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
    }

    // == 2. A ZK job on a market without a proof court ============================================

    /// Refused at posting: its worker could never deliver and would be slashed at expiry.
    function test_holds_zkJobRefusedWithoutAProofCourt() public {
        StakeManager s2 = new StakeManager(token, address(this), BURN_BPS, UNBONDING, MIN_STAKE);
        JobMarket bare = new JobMarket(
            IERC20(address(token)), s2, address(this), MAX_DURATION, CHALLENGE, MIN_COMPUTE, MIN_REVEAL
        );
        s2.setMarket(address(bare));
        vm.startPrank(requester);
        token.approve(address(bare), type(uint256).max);
        bare.deposit(100 ether);
        vm.stopPrank();
        IJobMarket.JobRequest memory r = _zkRequest();
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", bare.domainSeparator(), bare.hashRequest(r)));
        (uint8 v, bytes32 rr, bytes32 sig) = vm.sign(requesterKey, digest);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.InvalidZkTerms.selector, 1, r.verifierPin));
        bare.postJob(r, abi.encodePacked(rr, sig, v));
        assertEq(bare.balanceOf(requester), 100 ether);
    }

    /// An EIP-7702 delegated account pinned as the verifier (its code, 0xef0100 ‖ address, runs
    /// another account's, which a re-delegation changes under the same pin): never judged by it.
    function test_holds_delegatedAccountIsNeverAVerifier() public {
        address delegated = makeAddr("delegated");
        vm.etch(delegated, abi.encodePacked(hex"ef0100", address(verifier)));
        IJobMarket.JobRequest memory r = _zkPinning(delegated);
        address w = workers[2];
        bytes32 digest = bytes32(uint256(5));
        bytes memory proof = _proof(r, w, digest);
        bytes32 jobId = _postAndLock(r, w);
        vm.expectEmit(address(proofCourt));
        emit IProofCourt.ProofChecked(jobId, w, delegated, IProofCourt.Verdict.Unverifiable, digest, bytes32("cid"));
        _submit(w, r, digest, proof);
        assertEq(_totalStake(w), STAKE, "nobody slashed");
    }

    // == Attacks refused =========================================================================

    /// The 63/64 rule: whatever gas the worker sends, a valid proof is either refused unjudged
    /// (reverts, nothing changes) or judged Valid: never Invalid or Unverifiable for want of gas.
    function test_holds_noGasLimitMisjudgesAValidProof() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _postAndLock(r, workers[0]);
        bytes memory call = abi.encodeCall(IProofCourt.submitProof, (r, result, bytes32("cid"), proofA));
        // the least gas that goes through
        uint256 lo = 300_000;
        uint256 hi = 3_000_000;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_tryGas(call, mid, jobId) != 255) hi = mid;
            else lo = mid + 1;
        }
        emit log_named_uint("least gas for submitProof", lo);
        for (uint256 g = lo - 200; g < lo + 200; ++g) {
            uint8 outcome = _tryGas(call, g, jobId);
            assertTrue(outcome == 255 || outcome == uint8(IJobMarket.JobStatus.Settled), "misjudged for want of gas");
        }
        for (uint256 g = 600_000; g < lo; g += 1_013) {
            assertEq(_tryGas(call, g, jobId), 255, "judged below the least gas");
        }
    }

    /// Runs the submission with `gas_` and undoes it: 255 when it reverted, else the job's status.
    function _tryGas(bytes memory call, uint256 gas_, bytes32 jobId) internal returns (uint8 outcome) {
        uint256 snap = vm.snapshotState();
        vm.prank(workers[0]);
        (bool ok,) = address(proofCourt).call{gas: gas_}(call);
        outcome = ok ? uint8(market.job(jobId).status) : 255;
        vm.revertToState(snap);
    }

    /// Junk a worker might craft to make the lean verifier revert or run dry (then Unverifiable:
    /// paid for junk): coordinates >= q (the precompile fails and burns 63/64 of the gas), points at
    /// infinity, the generators. Each is judged Invalid and slashed.
    function test_holds_craftedJunkOnLeanVerifierIsSlashedNeverVoided() public {
        uint256[8][5] memory junk;
        // a = (1, 2 + q): off the field, the pairing precompile fails
        junk[0] = [uint256(1), 2 + Q, 0, 0, 0, 0, 0, 0];
        // all zero: points at infinity everywhere
        junk[1] = [uint256(0), 0, 0, 0, 0, 0, 0, 0];
        // a = G1, b = G2 generator (ZoKrates order: real, imaginary), c = G1
        junk[2] = [
            uint256(1),
            2,
            10857046999023057135944570762232829481370756359578518086990519993285655852781,
            11559732032986387107991004021392285783925812861821192530917403151452391805634,
            8495653923123431417604973247489272438418190587263600148770280649306958101930,
            4082367875863433681332203403145435568316851327593401208105741076214120093531,
            1,
            2
        ];
        // c with y = 2^256 - 1: its negation reduces mod q, still no proof
        junk[3] = [uint256(1), 2, 0, 0, 0, 0, 1, type(uint256).max];
        // b's coordinates >= q
        junk[4] = [uint256(1), 2, Q, Q + 1, Q + 2, Q + 3, 1, 2];
        for (uint256 i; i < junk.length; ++i) {
            uint256 snap = vm.snapshotState();
            IJobMarket.JobRequest memory r = _jobA();
            bytes32 jobId = _postAndLock(r, workers[0]);
            vm.expectEmit(address(proofCourt));
            emit IProofCourt.ProofChecked(
                jobId, workers[0], wordcount, IProofCourt.Verdict.Invalid, result, bytes32("cid")
            );
            _submit(workers[0], r, result, abi.encodePacked(junk[i]));
            assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Expired));
            assertEq(_totalStake(workers[0]), STAKE - COLLATERAL);
            vm.revertToState(snap);
        }
    }

    /// A voided job (unverifiable verdict) cannot be settled again: not by a second proof, not by
    /// expire after the deadline, not by settle.
    function test_holds_voidedJobIsSettledOnce() public {
        GasBurningVerifier burner = new GasBurningVerifier();
        IJobMarket.JobRequest memory r = _zkPinning(address(burner));
        bytes32 jobId = _postAndLock(r, workers[0]);
        bytes memory junk = new bytes(256);
        _submit(workers[0], r, bytes32(uint256(1)), junk);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Void));
        uint256 paid = market.balanceOf(workers[0]);
        assertEq(paid, PRICE);

        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobNotOpen.selector, jobId, IJobMarket.JobStatus.Void));
        proofCourt.submitProof(r, bytes32(uint256(1)), bytes32("cid"), junk);
        vm.warp(r.revealDeadline + CHALLENGE + 1);
        vm.expectRevert();
        market.expire(jobId);
        vm.expectRevert();
        market.settle(jobId);
        assertEq(market.balanceOf(workers[0]), paid);
        assertEq(_totalStake(workers[0]), STAKE);
        assertEq(market.balanceOf(requester), 50_000 ether - PRICE);
    }

    /// Nobody but the slot's worker gets a verdict: a copier (or the requester) submitting the
    /// worker's own proof is refused and changes nothing; another ProofCourt cannot settle.
    function test_holds_onlyTheSlotWorkerThroughTheSetCourt() public {
        IJobMarket.JobRequest memory r = _jobA();
        bytes32 jobId = _postAndLock(r, workers[0]);
        address[2] memory others = [workers[1], requester];
        for (uint256 i; i < others.length; ++i) {
            vm.prank(others[i]);
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.NotSlotWorker.selector, jobId, 0, others[i]));
            proofCourt.submitProof(r, result, bytes32("cid"), proofA);
        }
        ProofCourt rogue = new ProofCourt(market);
        vm.prank(workers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.OnlyCourt.selector, address(rogue)));
        rogue.submitProof(r, result, bytes32("cid"), proofA);
        _submit(workers[0], r, result, proofA);
        assertEq(uint8(market.job(jobId).status), uint8(IJobMarket.JobStatus.Settled));
        assertEq(market.balanceOf(workers[0]), PRICE);
    }

    /// `programs.agora`, deployed in ledger/deploy.py's order: the AgoraRegistrar can never hand
    /// out `programs`, nor anyone take `programs.agora` or a program name under it but through the
    /// ProgramRegistrar's commit-reveal; the names registered there are the registrant's.
    function test_holds_programsAgoraCannotBeSquatted() public {
        address me = address(0xD0);
        NameRegistry reg = new NameRegistry(me);
        PublicResolver res = new PublicResolver(reg);
        bytes32 agora = keccak256(abi.encodePacked(bytes32(0), keccak256("agora")));
        bytes32 programsNode = keccak256(abi.encodePacked(agora, keccak256("programs")));
        AgoraRegistrar names = new AgoraRegistrar(reg, agora, 60, 1 days);
        ProgramRegistrar programs = new ProgramRegistrar(reg, programsNode, 60, 1 days);
        vm.startPrank(me);
        reg.setSubnodeOwner(bytes32(0), keccak256("agora"), me);
        reg.setSubnodeOwner(agora, keccak256("programs"), address(programs));
        reg.setSubnodeOwner(bytes32(0), keccak256("agora"), address(names));
        vm.stopPrank();

        address squatter = address(0xBAD);
        assertFalse(names.available("programs"));
        vm.startPrank(squatter);
        bytes32 c = names.makeCommitment("programs", squatter, bytes32("s"), address(0), address(0));
        names.commit(c);
        vm.warp(block.timestamp + 61);
        vm.expectRevert(abi.encodeWithSelector(IAgoraRegistrar.NameNotAvailable.selector, "programs"));
        names.register("programs", squatter, bytes32("s"), address(0), address(0));
        vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, programsNode, squatter));
        reg.setSubnodeOwner(programsNode, keccak256("wordcount"), squatter);
        vm.stopPrank();

        // an author registers wordcount.programs.agora with its verifier
        address author = address(0xA11CE);
        vm.startPrank(author);
        programs.commit(programs.makeCommitment("wordcount", author, bytes32("t"), address(res), wordcount));
        vm.warp(block.timestamp + 61);
        bytes32 node = programs.register("wordcount", author, bytes32("t"), address(res), wordcount);
        vm.stopPrank();
        assertEq(reg.owner(node), author);
        assertEq(res.addr(node), wordcount);
        assertEq(reg.owner(programsNode), address(programs));
        // and nobody else can take it again, in either registrar
        assertFalse(programs.available("wordcount"));
    }
}
