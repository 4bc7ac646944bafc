// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStakeManager} from "./IStakeManager.sol";

/// @title Job market
/// @notice Requesters escrow AGR for jobs posted from EIP-712 signed requests; workers take slots
/// in a reverse-Dutch auction with collateral; results are committed then revealed (`REDUNDANT`,
/// quorum of equal digests) or proven (`ZK`). See docs/protocol.md.
interface IJobMarket {
    enum Mode {
        REDUNDANT,
        ZK
    }

    enum JobStatus {
        None,
        Open,
        Settled,
        Unresolved,
        Expired
    }

    /// @notice What a requester signs (EIP-712, domain "AgoraJobMarket" version "1").
    struct JobRequest {
        address requester;
        bytes32 programId; // sha256 digest of the program's CID
        bytes32 inputDigest; // sha256 digest of the input's CID
        bytes32 verifierNode; // ZK: name node whose addr is the program's verifier; else zero
        uint96 minPrice; // the ask starts here at posting...
        uint96 maxPrice; // ...and rises linearly to here over `ramp` seconds
        uint32 ramp;
        uint96 collateral; // locked from each worker's free stake
        uint8 redundancy; // k: 1..8 slots
        uint8 quorum; // q: equal digests needed, 1..k
        Mode mode;
        uint64 fuelLimit; // execution budget of the program
        uint40 lockDeadline;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint32 regions; // bitmask of allowed jurisdictions; zero means anywhere
        uint256 nonce; // used once per requester
        uint40 expiry; // the request may not be posted after this
    }

    /// @notice A job as stored: one slot of packed fields and two of prices and deadlines.
    struct Job {
        address requester;
        uint40 postedAt;
        JobStatus status;
        Mode mode;
        uint8 k;
        uint8 q;
        uint8 locked;
        uint8 committedMask;
        uint8 revealedMask;
        uint96 minPrice;
        uint96 maxPrice;
        uint32 ramp;
        uint32 regions;
        uint96 collateral;
        uint40 lockDeadline;
        uint40 commitDeadline;
        uint40 revealDeadline;
    }

    /// @notice A worker's slot in a job: its lock price and then its commitment, then its digest.
    struct Slot {
        address worker;
        uint96 price;
        bytes32 sealed_; // commitment until revealed, then the result digest
    }

    error ZeroAmount();
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error RequestExpired(uint256 expiry, uint256 now_);
    error InvalidSignature(address requester, address signer);
    error NonceUsed(address requester, uint256 nonce);
    error InvalidRequest(string reason);
    error JobNotOpen(bytes32 jobId, JobStatus status);
    error LockClosed(bytes32 jobId, uint256 lockDeadline, uint256 now_);
    error JobFull(bytes32 jobId, uint8 redundancy);
    error WorkerAlreadyLocked(bytes32 jobId, address worker);
    error RegionNotAllowed(bytes32 jobId, address worker, uint8 region, uint32 allowed);
    error NotSlotWorker(bytes32 jobId, uint8 slot, address caller);
    error WrongMode(bytes32 jobId, Mode mode);
    error CommitClosed(bytes32 jobId, uint256 commitDeadline, uint256 now_);
    error AlreadyCommitted(bytes32 jobId, uint8 slot);
    error RevealNotOpen(bytes32 jobId, uint256 commitDeadline, uint256 now_);
    error RevealClosed(bytes32 jobId, uint256 revealDeadline, uint256 now_);
    error AlreadyRevealed(bytes32 jobId, uint8 slot);
    error CommitmentMismatch(bytes32 jobId, uint8 slot);
    error NotSettleable(bytes32 jobId, uint256 revealDeadline, uint256 now_);
    error NotExpirable(bytes32 jobId, JobStatus status, uint256 deadline, uint256 now_);
    error NoVerifier(bytes32 verifierNode);
    error DurationTooLong(uint256 duration, uint256 maximum);

    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event JobPosted(bytes32 indexed jobId, address indexed requester, JobRequest request, uint256 escrow);
    event JobLocked(bytes32 indexed jobId, address indexed worker, uint8 slot, uint256 price);
    event ResultCommitted(bytes32 indexed jobId, address indexed worker, uint8 slot, bytes32 commitment);
    event ResultRevealed(bytes32 indexed jobId, address indexed worker, uint8 slot, bytes32 digest, bytes32 resultCid);
    event ProofAccepted(bytes32 indexed jobId, address indexed worker, bytes32 digest, bytes32 resultCid);
    event ProofRejected(bytes32 indexed jobId, address indexed worker, bytes32 digest);
    event JobSettled(bytes32 indexed jobId, bytes32 winningDigest, uint8 agreeing);
    event JobUnresolved(bytes32 indexed jobId, uint8 largestGroup, uint8 quorum);
    event WorkerPaid(bytes32 indexed jobId, address indexed worker, uint256 amount);
    event WorkerSlashed(
        bytes32 indexed jobId, address indexed worker, uint256 amount, IStakeManager.SlashReason reason
    );
    event Refunded(bytes32 indexed jobId, address indexed requester, uint256 amount);
    event JobExpired(bytes32 indexed jobId);
    event MaxJobDurationChanged(uint64 oldDuration, uint64 newDuration);
    event EscalationWindowChanged(uint64 oldWindow, uint64 newWindow);

    function deposit(uint256 amount) external;
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
    function withdraw(uint256 amount) external;

    /// @notice Posts a job from a signed request (anyone may relay it); returns its id, the
    /// request's EIP-712 struct hash. Moves k x maxPrice from the requester's deposit to escrow.
    function postJob(JobRequest calldata request, bytes calldata signature) external returns (bytes32 jobId);
    /// @notice Takes a free slot at the current ask, locking the job's collateral.
    function lock(bytes32 jobId) external returns (uint8 slot);
    /// @notice Commits keccak256(abi.encode(digest, salt, worker)) for the caller's slot.
    function commit(bytes32 jobId, uint8 slot, bytes32 commitment) external;
    /// @notice Reveals the committed digest (k = 1 may reveal without committing); settles when
    /// every locked slot has revealed.
    function reveal(bytes32 jobId, uint8 slot, bytes32 digest, bytes32 salt, bytes32 resultCid) external;
    /// @notice `ZK` jobs: submits the result with its proof, checked by the program's verifier.
    function submitProof(JobRequest calldata request, bytes32 digest, bytes32 resultCid, bytes calldata proof)
        external;
    /// @notice Settles a `REDUNDANT` job once all revealed or the reveal deadline passed.
    function settle(bytes32 jobId) external;
    /// @notice Closes an overdue job: no worker by the lock deadline, a `ZK` job without a proof by
    /// the reveal deadline, a `REDUNDANT` job past its reveal deadline (settled as `settle` does),
    /// or an unresolved job past its escalation window.
    function expire(bytes32 jobId) external;

    function job(bytes32 jobId) external view returns (Job memory);
    function slot(bytes32 jobId, uint8 index) external view returns (Slot memory);
    function currentAsk(bytes32 jobId) external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function escrowOf(bytes32 jobId) external view returns (uint256);
    function nonceUsed(address requester, uint256 nonce) external view returns (bool);
    function hashRequest(JobRequest calldata request) external view returns (bytes32);
}
