// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "./IJobMarket.sol";

/// @title Proof court
/// @notice Settles `ZK` jobs. The request pins its verifier (address and code hash, `pinOf`) when it
/// is signed, so no name or owner can change the verifier after posting. The court builds the
/// proof's public inputs itself, from the job id, the caller and the two commitments, so a proof is
/// worth nothing for another job or in another worker's hands, and asks the market to settle on the
/// verdict. docs/protocol.md, "ZK jobs".
interface IProofCourt {
    /// @notice A proof's outcome: the `uint8` the market's `settleProof` takes.
    enum Verdict {
        Invalid, // the proof does not verify (or the result commitment is no field element): slashed
        Valid, // paid
        Unverifiable // the pinned verifier failed (no code, other code, a revert, an answer not 0/1): the job is voided, the worker paid
    }

    /// @notice A proof is eight 32-byte words (a, b, c), `PROOF_SIZE` bytes.
    error MalformedProof(uint256 length, uint256 expected);
    /// @notice Too little gas left to give the verifier all it may need.
    error NotEnoughGasForVerifier(uint256 available, uint256 needed);

    /// @notice `worker`'s proof for `jobId` was checked by `verifier`, claiming `digest` stored
    /// under `resultCid`; the market settled on `verdict`.
    event ProofChecked(
        bytes32 indexed jobId,
        address indexed worker,
        address verifier,
        Verdict verdict,
        bytes32 digest,
        bytes32 resultCid
    );

    /// @notice Submits the caller's result and proof for its `ZK` job (the job's one slot), by the
    /// job's reveal deadline. `digest` is the result commitment, `resultCid` where it is stored.
    function submitProof(
        IJobMarket.JobRequest calldata request,
        bytes32 digest,
        bytes32 resultCid,
        bytes calldata proof
    ) external;

    /// @notice The public inputs a proof for `jobId` by `prover` must verify on: the binding of the
    /// job and the prover, `uint256(keccak256(abi.encode(jobId, prover))) >> 3` (253 bits, below
    /// bn254's scalar field), then the input and the result commitments as they are (docs/zk.md).
    function publicInputs(bytes32 jobId, address prover, bytes32 inputCommitment, bytes32 resultCommitment)
        external
        pure
        returns (uint256[3] memory);

    /// @notice The pin of a verifier at `verifier` with code hash `codeHash`: the address in the
    /// high 20 bytes, the code hash's first 12 bytes in the low 12.
    function pinOf(address verifier, bytes32 codeHash) external pure returns (bytes32);

    /// @notice The pin of the code at `verifier` now.
    function pin(address verifier) external view returns (bytes32);

    /// @notice The market whose `ZK` jobs this court settles.
    function market() external view returns (IJobMarket);
}
