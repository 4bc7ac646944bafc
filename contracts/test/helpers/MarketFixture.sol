// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AgoraToken} from "../../src/AgoraToken.sol";
import {NameRegistry} from "../../src/NameRegistry.sol";
import {PublicResolver} from "../../src/PublicResolver.sol";
import {StakeManager} from "../../src/StakeManager.sol";
import {JobMarket} from "../../src/JobMarket.sol";
import {Court} from "../../src/Court.sol";
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {IStakeManager} from "../../src/interfaces/IStakeManager.sol";
import {INameRegistry} from "../../src/interfaces/INameRegistry.sol";
import {NameHash} from "../../src/libraries/NameHash.sol";
import {HashProofVerifier} from "./HashProofVerifier.sol";
import {ProofCourt} from "../../src/ProofCourt.sol";
import {ICourt} from "../../src/interfaces/ICourt.sol";

/// Deploys token, names, stake manager and market as `agora chain deploy` does, with funded
/// actors: one requester (with a key, to sign) and four staked workers.
abstract contract MarketFixture is Test {
    uint16 internal constant BURN_BPS = 2_000;
    uint64 internal constant UNBONDING = 1 days;
    uint256 internal constant MIN_STAKE = 100 ether;
    uint64 internal constant MAX_DURATION = 7 days;
    uint64 internal constant CHALLENGE = 1 days;
    uint64 internal constant MIN_COMPUTE = 60;
    uint64 internal constant MIN_REVEAL = 60;
    uint256 internal constant STAKE = 1_000 ether;
    uint64 internal constant VOTE_WINDOW = 1 hours;
    uint256 internal constant SEAT_FEE_FLOOR = 1 ether;
    uint256 internal constant SEAT_COLLATERAL = 50 ether;

    AgoraToken internal token;
    NameRegistry internal registry;
    PublicResolver internal resolver;
    StakeManager internal stakes;
    JobMarket internal market;
    Court internal court;
    ProofCourt internal proofCourt;
    HashProofVerifier internal verifier;
    bytes32 internal verifierPin;
    bytes32 internal verifierNode;

    address internal requester;
    uint256 internal requesterKey;
    address[] internal workers;
    address[] internal jurors;
    uint256 internal nextNonce;

    function setUp() public virtual {
        vm.chainId(31337);
        vm.warp(1_700_000_000);
        token = new AgoraToken(address(this), 0);
        registry = new NameRegistry(address(this));
        resolver = new PublicResolver(registry);
        stakes = new StakeManager(token, address(this), BURN_BPS, UNBONDING, MIN_STAKE);
        market = new JobMarket(IERC20(address(token)), stakes, address(this), MAX_DURATION, CHALLENGE, MIN_COMPUTE, MIN_REVEAL);
        stakes.setMarket(address(market));
        court = new Court(
            IERC20(address(token)), market, stakes, address(this), VOTE_WINDOW, SEAT_FEE_FLOOR, SEAT_COLLATERAL
        );
        market.setCourt(address(court));
        stakes.setCourt(address(court));
        proofCourt = new ProofCourt(market);
        market.setProofCourt(address(proofCourt));
        verifier = new HashProofVerifier();
        verifierPin = proofCourt.pin(address(verifier));
        // sum.agora: its addr record names the program's verifier (a request pins it when signed)
        bytes32 agora = registry.setSubnodeOwner(bytes32(0), keccak256("agora"), address(this));
        verifierNode = registry.setSubnodeOwner(agora, keccak256("sum"), address(this));
        registry.setResolver(verifierNode, address(resolver));
        resolver.setAddr(verifierNode, address(verifier));

        (requester, requesterKey) = makeAddrAndKey("requester");
        token.faucet(requester, 100_000 ether);
        vm.startPrank(requester);
        token.approve(address(market), type(uint256).max);
        market.deposit(50_000 ether);
        vm.stopPrank();
        for (uint256 i; i < 4; ++i) {
            address w = makeAddr(string(abi.encodePacked("worker", vm.toString(i))));
            workers.push(w);
            _stake(w, STAKE, uint8(i));
        }
    }

    function _stake(address w, uint256 amount, uint8 region) internal {
        token.faucet(w, amount);
        vm.startPrank(w);
        token.approve(address(stakes), amount);
        stakes.stake(amount, region);
        vm.stopPrank();
    }

    function _request(uint8 k, uint8 q) internal returns (IJobMarket.JobRequest memory r) {
        r = IJobMarket.JobRequest({
            requester: requester,
            programId: keccak256("program"),
            inputDigest: keccak256("input"),
            verifierPin: bytes32(0),
            minPrice: 1 ether,
            maxPrice: 10 ether,
            ramp: 100,
            collateral: 50 ether,
            redundancy: k,
            quorum: q,
            mode: IJobMarket.Mode.REDUNDANT,
            fuelLimit: 1_000_000,
            lockDeadline: uint40(block.timestamp + 1 hours),
            commitDeadline: uint40(block.timestamp + 2 hours),
            revealDeadline: uint40(block.timestamp + 3 hours),
            regions: 0,
            nonce: nextNonce++,
            expiry: uint40(block.timestamp + 1 hours)
        });
    }

    function _zkRequest() internal returns (IJobMarket.JobRequest memory r) {
        r = _request(1, 1);
        r.mode = IJobMarket.Mode.ZK;
        r.verifierPin = verifierPin;
        r.inputDigest = bytes32(uint256(keccak256("input")) >> 8); // a field element, as a commitment is
    }

    /// A `ZK` request fixed field by field (the times from setUp's clock), as tools/zk_fixture.py
    /// builds the requests whose jobs contracts/test/data/zk.json holds proofs for: keep the two alike.
    function _zkJob(uint256 nonce, bytes32 pin_, bytes32 input_) internal view returns (IJobMarket.JobRequest memory r) {
        uint40 t0 = 1_700_000_000;
        r = IJobMarket.JobRequest({
            requester: requester,
            programId: keccak256("wordcount"),
            inputDigest: input_,
            verifierPin: pin_,
            minPrice: 1 ether,
            maxPrice: 10 ether,
            ramp: 100,
            collateral: 50 ether,
            redundancy: 1,
            quorum: 1,
            mode: IJobMarket.Mode.ZK,
            fuelLimit: 1_000_000,
            lockDeadline: t0 + 1 hours,
            commitDeadline: t0 + 2 hours,
            revealDeadline: t0 + 3 hours,
            regions: 0,
            nonce: nonce,
            expiry: t0 + 1 hours
        });
    }

    function _sign(IJobMarket.JobRequest memory r, uint256 key) internal view returns (bytes memory) {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", market.domainSeparator(), market.hashRequest(r)));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(rr, s, v);
    }

    function _post(IJobMarket.JobRequest memory r) internal returns (bytes32) {
        return market.postJob(r, _sign(r, requesterKey));
    }

    function _lock(bytes32 jobId, address w) internal returns (uint8 index) {
        vm.prank(w);
        index = market.lock(jobId);
    }

    function _commitment(bytes32 digest, address w) internal pure returns (bytes32) {
        return keccak256(abi.encode(digest, keccak256(abi.encode("salt", w)), w));
    }

    function _commit(bytes32 jobId, uint8 index, address w, bytes32 digest) internal {
        vm.prank(w);
        market.commit(jobId, index, _commitment(digest, w));
    }

    function _reveal(bytes32 jobId, uint8 index, address w, bytes32 digest) internal {
        vm.prank(w);
        market.reveal(jobId, index, digest, keccak256(abi.encode("salt", w)), keccak256(abi.encode("cid", digest)));
    }

    /// The test verifier's "proof" by `w` of `digest` for the request's job (HashProofVerifier).
    function _proof(IJobMarket.JobRequest memory r, address w, bytes32 digest) internal view returns (bytes memory) {
        uint256[3] memory inputs = proofCourt.publicInputs(market.hashRequest(r), w, r.inputDigest, digest);
        return abi.encode(keccak256(abi.encode(inputs)), 0, 0, 0, 0, 0, 0, 0);
    }

    /// `w` submits `proof` of `digest` for `r`'s job to the proof court.
    function _submit(address w, IJobMarket.JobRequest memory r, bytes32 digest, bytes memory proof) internal {
        vm.prank(w);
        proofCourt.submitProof(r, digest, bytes32("cid"), proof);
    }

    function _totalStake(address w) internal view returns (uint256) {
        (uint256 f, uint256 l, uint256 u) = stakes.stakeOf(w);
        return f + l + u;
    }

    // -- the court ----------------------------------------------------------------------------

    /// Stakes `n` jurors in region 0 and lets every stake (workers' too) mature into the pool.
    function _enlistJurors(uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            address j = makeAddr(string(abi.encodePacked("juror", vm.toString(jurors.length))));
            jurors.push(j);
            _stake(j, STAKE, 0);
        }
        vm.warp(block.timestamp + UNBONDING);
        for (uint256 i; i < jurors.length; ++i) {
            (uint256 weight,,,) = stakes.poolWeightOf(jurors[i]);
            if (weight == 0) stakes.activate(jurors[i]);
        }
        for (uint256 i; i < workers.length; ++i) {
            (uint256 weight,,,) = stakes.poolWeightOf(workers[i]);
            if (weight == 0) stakes.activate(workers[i]);
        }
        vm.roll(block.number + 1);
    }

    /// The checkpoint every honest juror reveals for `jobId` in its current round.
    function _checkpoint(bytes32 jobId) internal view returns (bytes32) {
        ICourt.Case memory c = court.caseOf(jobId);
        return keccak256(abi.encode("state", jobId, c.checkpointFuel));
    }

    function _voteSalt(address juror) internal pure returns (bytes32) {
        return keccak256(abi.encode("vote salt", juror));
    }

    function _commitVote(bytes32 jobId, address juror, bytes32 digest, bytes32 checkpoint) internal {
        vm.prank(juror);
        court.commitVote(jobId, keccak256(abi.encode(digest, checkpoint, _voteSalt(juror), juror)));
    }

    function _revealVote(bytes32 jobId, address juror, bytes32 digest, bytes32 checkpoint) internal {
        vm.prank(juror);
        court.revealVote(jobId, digest, checkpoint, _voteSalt(juror));
    }

    /// Mines past the round's seed block and draws it.
    function _draw(bytes32 jobId) internal {
        ICourt.Case memory c = court.caseOf(jobId);
        vm.roll(uint256(c.seedBlock) + 1);
        court.draw(jobId);
    }

    /// Every juror of the current round votes `digest` with the honest checkpoint, then the round is counted.
    function _voteRound(bytes32 jobId, bytes32 digest) internal {
        ICourt.Case memory c = court.caseOf(jobId);
        bytes32 checkpoint = _checkpoint(jobId);
        address[] memory drawn = court.jurorsOf(jobId, c.round);
        for (uint256 i; i < drawn.length; ++i) {
            _commitVote(jobId, drawn[i], digest, checkpoint);
        }
        for (uint256 i; i < drawn.length; ++i) {
            _revealVote(jobId, drawn[i], digest, checkpoint);
        }
        court.resolve(jobId);
    }

    /// Runs the case to its end with every juror voting `digest` honestly, no appeal.
    function _decideCourt(bytes32 jobId, bytes32 digest) internal {
        for (uint256 guard; guard < 8; ++guard) {
            ICourt.Case memory c = court.caseOf(jobId);
            if (c.phase == ICourt.Phase.Drawing) {
                _draw(jobId);
            } else if (c.phase == ICourt.Phase.Voting) {
                _voteRound(jobId, digest);
            } else if (c.phase == ICourt.Phase.Ruled) {
                vm.warp(uint256(c.appealDeadline) + 1);
                court.finalize(jobId);
            } else {
                return;
            }
        }
    }
}
