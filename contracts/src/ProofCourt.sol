// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IProofCourt} from "./interfaces/IProofCourt.sol";
import {IProofVerifier} from "./interfaces/IProofVerifier.sol";

/// @title ProofCourt
/// @notice Checks `ZK` jobs' Groth16 proofs with the verifier each request pinned, on public inputs
/// it builds from the job, the caller and the commitments, and has the market settle on the verdict.
/// It holds no tokens and no state; the market trusts it (`JobMarket.setProofCourt`) as it trusts
/// the court. See IProofCourt and docs/protocol.md.
contract ProofCourt is IProofCourt {
    /// @notice Gas given to the verifier: a lean verifier of three inputs uses ~202k, ZoKrates' ~222k.
    uint256 public constant PROOF_GAS = 600_000;
    /// @notice Gas the call to the verifier itself may cost beyond what it forwards.
    uint256 private constant CALL_OVERHEAD = 10_000;
    /// @notice An encoded proof: a (G1), b (G2), c (G1), as eight words.
    uint256 public constant PROOF_SIZE = 256;
    /// @notice bn254's scalar field: every public input lies below it.
    uint256 public constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @inheritdoc IProofCourt
    IJobMarket public immutable market;

    constructor(IJobMarket market_) {
        market = market_;
    }

    /// @inheritdoc IProofCourt
    function submitProof(IJobMarket.JobRequest calldata r, bytes32 digest, bytes32 resultCid, bytes calldata proof)
        external
    {
        if (proof.length != PROOF_SIZE) revert MalformedProof(proof.length, PROOF_SIZE);
        bytes32 jobId = market.hashRequest(r);
        address verifier = address(uint160(uint256(r.verifierPin) >> 96));
        Verdict verdict;
        if (uint256(digest) >= FIELD_MODULUS) {
            verdict = Verdict.Invalid; // the worker's own claim can be no public input
        } else if (
            uint256(r.inputDigest) >= FIELD_MODULUS || verifier.code.length == 0 || _delegated(verifier)
                || pin(verifier) != r.verifierPin
        ) {
            verdict = Verdict.Unverifiable; // the requester's terms can never be proven
        } else {
            uint256[3] memory inputs = publicInputs(jobId, msg.sender, r.inputDigest, digest);
            verdict = _verify(verifier, abi.encodePacked(IProofVerifier.verifyTx.selector, proof, inputs));
        }
        emit ProofChecked(jobId, msg.sender, verifier, verdict, digest, resultCid);
        market.settleProof(jobId, msg.sender, digest, resultCid, uint8(verdict));
    }

    /// @dev Reads at most one word back, so a verifier cannot make the caller pay to copy a flood.
    function _verify(address verifier, bytes memory data) private view returns (Verdict) {
        // Checked right before the call: the verifier always gets all of PROOF_GAS, so a valid
        // proof is never judged for want of gas, nor can a worker starve the verifier into failing.
        uint256 needed = PROOF_GAS * 64 / 63 + CALL_OVERHEAD;
        if (gasleft() < needed) revert NotEnoughGasForVerifier(gasleft(), needed);
        uint256 gas_ = PROOF_GAS;
        bool ok;
        uint256 size;
        uint256 answer;
        assembly ("memory-safe") {
            ok := staticcall(gas_, verifier, add(data, 32), mload(data), 0, 32)
            size := returndatasize()
            answer := mload(0)
        }
        if (!ok || size != 32 || answer > 1) return Verdict.Unverifiable;
        return answer == 1 ? Verdict.Valid : Verdict.Invalid;
    }

    /// @dev An EIP-7702 delegated account: its code (0xef0100 ‖ address) runs another account's,
    /// which a re-delegation changes under an unchanged pin prefix. Never a verifier.
    function _delegated(address verifier) private view returns (bool) {
        return verifier.code.length == 23 && bytes3(verifier.code) == 0xef0100;
    }

    /// @inheritdoc IProofCourt
    function publicInputs(bytes32 jobId, address prover, bytes32 inputCommitment, bytes32 resultCommitment)
        public
        pure
        returns (uint256[3] memory)
    {
        // The job and the prover as one input (each input costs the verifier an ECMUL and an ECADD):
        // keccak256 cut to 253 bits, below the scalar field as it is, so never reduced.
        return [uint256(keccak256(abi.encode(jobId, prover))) >> 3, uint256(inputCommitment), uint256(resultCommitment)];
    }

    /// @inheritdoc IProofCourt
    function pinOf(address verifier, bytes32 codeHash) public pure returns (bytes32) {
        return bytes32(uint256(uint160(verifier)) << 96 | uint256(codeHash) >> 160);
    }

    /// @inheritdoc IProofCourt
    function pin(address verifier) public view returns (bytes32) {
        return pinOf(verifier, verifier.codehash);
    }
}
