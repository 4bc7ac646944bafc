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

    /// @dev `Provisional`: a quorum agreed; payments, refunds and slashes wait for the challenge window.
    /// `Void`: reveals without a quorum that nothing resolved: every revealer paid its price, nobody
    /// slashed for its digest. `Disputed`: the reveals disagreed, or a provisional outcome was
    /// disputed in its window: the court's drawn rounds decide it (`rule`), or void it.
    enum JobStatus {
        None,
        Open,
        Settled,
        Unresolved,
        Expired,
        Provisional,
        Void,
        Disputed
    }

    /// @notice What a requester signs (EIP-712, domain "AgoraJobMarket" version "1").
    struct JobRequest {
        address requester;
        bytes32 programId; // sha256 digest of the program's CID
        bytes32 inputDigest; // sha256 digest of the input's CID
        bytes32 verifierPin; // ZK: the verifier's address and code hash (`ProofCourt.pinOf`); else zero
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
    /// `audit`: 0 no audit (no fee escrowed); 1 waiting for locking to end; 2 decided (an auditor
    /// drawn into the next slot, or none); any other value the block whose hash decides it.
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
        uint32 lockDeadline;
        uint32 commitDeadline;
        uint32 revealDeadline;
        uint32 challengeWindow; // the market's window when the job was posted
        uint32 audit;
    }

    /// @notice A worker's slot in a job: its lock price and then its commitment, then its digest.
    struct Slot {
        address worker;
        uint96 price;
        bytes32 sealed_; // commitment until revealed, then the result digest
    }

    /// @notice A deposit or withdrawal of zero.
    error ZeroAmount();
    /// @notice `account` has `balance` deposited and `needed` was asked of it.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice The request may not be posted after `expiry`.
    error RequestExpired(uint256 expiry, uint256 now_);
    /// @notice The signature recovers to `signer`, not to the request's `requester`.
    error InvalidSignature(address requester, address signer);
    /// @notice `requester` already used `nonce`.
    error NonceUsed(address requester, uint256 nonce);
    /// @notice The request names the zero address as its requester.
    error ZeroRequester();
    /// @notice Redundancy (k) must be 1..`maximum`.
    error InvalidRedundancy(uint8 redundancy, uint8 maximum);
    /// @notice Quorum (q) must be 1..k.
    error InvalidQuorum(uint8 quorum, uint8 redundancy);
    /// @notice The ask would start above where it ends.
    error InvertedPriceRange(uint256 minPrice, uint256 maxPrice);
    /// @notice A `ZK` job needs exactly one slot, a verifier pin, and a market with a proof court.
    error InvalidZkTerms(uint8 redundancy, bytes32 verifierPin);
    /// @notice The lock deadline must lie in the future.
    error LockDeadlinePassed(uint256 lockDeadline, uint256 now_);
    /// @notice Too little time between the lock and commit deadlines to compute (or deadlines out of order).
    error ComputeWindowTooShort(uint256 lockDeadline, uint256 commitDeadline, uint256 minimum);
    /// @notice Too little time between the commit and reveal deadlines to reveal (or deadlines out of order).
    error RevealWindowTooShort(uint256 commitDeadline, uint256 revealDeadline, uint256 minimum);
    /// @notice The reveal deadline lies further ahead than the market allows.
    error DurationTooLong(uint256 duration, uint256 maximum);
    /// @notice The job is not open (it was never posted, or is settled, unresolved or expired).
    error JobNotOpen(bytes32 jobId, JobStatus status);
    /// @notice Slots may no longer be taken.
    error LockClosed(bytes32 jobId, uint256 lockDeadline, uint256 now_);
    /// @notice Every one of the job's `redundancy` slots is taken.
    error JobFull(bytes32 jobId, uint8 redundancy);
    /// @notice `worker` already holds a slot of this job.
    error WorkerAlreadyLocked(bytes32 jobId, address worker);
    /// @notice `worker` gave a slot of this job back and may not lock it again.
    error AlreadyReleased(bytes32 jobId, address worker);
    /// @notice Slot `slot` can no longer be given back: its window closed at `until` (two minutes
    /// after its lock, at most the lock deadline), or `until` is 0: it committed, or the job's
    /// audit seed is known.
    error NotReleasable(bytes32 jobId, uint8 slot, uint256 until);
    /// @notice `worker`'s declared `region` is not among the job's `allowed` regions.
    error RegionNotAllowed(bytes32 jobId, address worker, uint8 region, uint32 allowed);
    /// @notice `caller` does not hold slot `slot`.
    error NotSlotWorker(bytes32 jobId, uint8 slot, address caller);
    /// @notice The call does not apply to a job of this verification mode.
    error WrongMode(bytes32 jobId, Mode mode);
    /// @notice Commitments were due by `commitDeadline`.
    error CommitClosed(bytes32 jobId, uint256 commitDeadline, uint256 now_);
    /// @notice The slot has already committed.
    error AlreadyCommitted(bytes32 jobId, uint8 slot);
    /// @notice Reveals open when every slot has committed or the commit deadline has passed.
    error RevealNotOpen(bytes32 jobId, uint256 commitDeadline, uint256 now_);
    /// @notice Reveals were due by `revealDeadline`.
    error RevealClosed(bytes32 jobId, uint256 revealDeadline, uint256 now_);
    /// @notice The slot has already revealed.
    error AlreadyRevealed(bytes32 jobId, uint8 slot);
    /// @notice The digest, salt and sender do not hash to the slot's commitment.
    error CommitmentMismatch(bytes32 jobId, uint8 slot);
    /// @notice Settlement waits for every reveal or for the reveal deadline.
    error NotSettleable(bytes32 jobId, uint256 revealDeadline, uint256 now_);
    /// @notice The job cannot be closed before `deadline` (or at all, in its status).
    error NotExpirable(bytes32 jobId, JobStatus status, uint256 deadline, uint256 now_);
    /// @notice An owner-set window outside the bounds the contract allows.
    error WindowOutOfRange(uint256 value, uint256 minimum, uint256 maximum);
    /// @notice A provisional settlement becomes final only after `finalAfter`.
    error NotFinalizable(bytes32 jobId, JobStatus status, uint256 finalAfter, uint256 now_);
    /// @notice Only the job's requester may accept its result early.
    error NotRequester(bytes32 jobId, address caller);
    /// @notice Early acceptance needs every one of the locked `slots` (k, and an auditor if drawn)
    /// revealed, all with the same digest.
    error NotUnanimous(bytes32 jobId, uint8 agreeing, uint8 slots);
    /// @notice Only the court may call this.
    error OnlyCourt(address caller);
    /// @notice The court was already set.
    error CourtAlreadySet(address court);
    /// @notice A redundant job's collateral after the burn must pay the first drawn round's seats
    /// (`needed` = seats × maxPrice ÷ (1 − burn)), so a lost dispute always pays its jurors.
    error CollateralTooSmall(uint256 collateral, uint256 needed);
    /// @notice The job is not in the state the court's call needs.
    error NotDisputable(bytes32 jobId, JobStatus status, uint256 finalAfter, uint256 now_);
    /// @notice The job's audit is not waiting for this step (see `Job.audit`).
    error AuditNotPending(bytes32 jobId, uint32 audit);

    /// @notice `account` deposited `amount` (pulled from it) into its market balance.
    event Deposited(address indexed account, uint256 amount);
    /// @notice The job went to the court: its reveals disagreed, or its provisional outcome was disputed.
    event JobEscalated(bytes32 indexed jobId);
    /// @notice The court that decides disputed jobs was set.
    event CourtSet(address court);
    /// @notice The proof court that settles `ZK` jobs was set.
    event ProofCourtSet(address proofCourt);
    /// @notice `account` withdrew `amount` of its market balance.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice A signed request was posted as `jobId`, moving `escrow` from the requester's balance.
    event JobPosted(bytes32 indexed jobId, address indexed requester, JobRequest request, uint256 escrow);
    /// @notice `requester` burnt `nonce`: no request it signed with it can be posted.
    event NonceCancelled(address indexed requester, uint256 nonce);
    /// @notice `worker` took slot `slot` at `price`, its collateral locked.
    event JobLocked(bytes32 indexed jobId, address indexed worker, uint8 slot, uint256 price);
    /// @notice `worker` gave slot `slot` back without fault, its collateral released; the job's last
    /// slot, `movedFrom`, is now slot `slot` (the same slot when it was the last).
    event SlotReleased(bytes32 indexed jobId, address indexed worker, uint8 slot, uint8 movedFrom);
    /// @notice `worker` committed to a result for its slot.
    event ResultCommitted(bytes32 indexed jobId, address indexed worker, uint8 slot, bytes32 commitment);
    /// @notice `worker` revealed `digest` for its slot; the output is stored under `resultCid`.
    event ResultRevealed(bytes32 indexed jobId, address indexed worker, uint8 slot, bytes32 digest, bytes32 resultCid);
    /// @notice A `ZK` job's proof verified.
    event ProofAccepted(bytes32 indexed jobId, address indexed worker, bytes32 digest, bytes32 resultCid);
    /// @notice A `ZK` job's proof did not verify.
    event ProofRejected(bytes32 indexed jobId, address indexed worker, bytes32 digest);
    /// @notice A quorum of `agreeing` slots revealed `digest`: the outcome stands unless disputed,
    /// and takes effect (payments, refunds, slashes of dissenters) after `finalAfter`.
    event JobProvisional(bytes32 indexed jobId, bytes32 digest, uint8 agreeing, uint256 finalAfter);
    /// @notice The job settled on `winningDigest`, revealed by `agreeing` slots: final.
    event JobSettled(bytes32 indexed jobId, bytes32 winningDigest, uint8 agreeing);
    /// @notice No quorum: the largest group of equal digests had `largestGroup` of `quorum` needed.
    event JobUnresolved(bytes32 indexed jobId, uint8 largestGroup, uint8 quorum);
    /// @notice `worker` was paid `amount` into its market balance, its collateral released.
    event WorkerPaid(bytes32 indexed jobId, address indexed worker, uint256 amount);
    /// @notice `worker` lost `amount` of stake for `reason`.
    event WorkerSlashed(
        bytes32 indexed jobId, address indexed worker, uint256 amount, IStakeManager.SlashReason reason
    );
    /// @notice `amount` of escrow returned to the requester's balance.
    event Refunded(bytes32 indexed jobId, address indexed requester, uint256 amount);
    /// @notice The job closed without a result (nobody locked or revealed, or no valid proof).
    event JobExpired(bytes32 indexed jobId);
    /// @notice An unresolved job closed after its challenge window: its `revealed` revealers were
    /// paid their price, nobody was slashed for a digest, the rest of the escrow went back.
    event JobVoid(bytes32 indexed jobId, uint8 revealed);
    /// @notice How far ahead a reveal deadline may lie changed.
    event MaxJobDurationChanged(uint64 oldDuration, uint64 newDuration);
    /// @notice The challenge window for jobs posted from now on changed.
    event ChallengeWindowChanged(uint64 oldWindow, uint64 newWindow);
    /// @notice The least compute window (lock to commit deadline) and reveal window (commit to
    /// reveal deadline) a request must leave changed.
    event MinWindowsChanged(uint64 computeWindow, uint64 revealWindow);
    /// @notice The chance that an audited job gets a drawn auditor changed.
    event AuditRateChanged(uint16 oldBps, uint16 newBps);

    function deposit(uint256 amount) external;
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
    function withdraw(uint256 amount) external;

    /// @notice Posts a job from a signed request (anyone may relay it); returns its id, the
    /// request's EIP-712 struct hash. Moves k x maxPrice from the requester's deposit to escrow,
    /// and one maxPrice more for an audit of a redundant job (k < 8) once a court is set:
    /// refunded unless an auditor is drawn and earns it.
    function postJob(JobRequest calldata request, bytes calldata signature) external returns (bytes32 jobId);
    /// @notice Takes a free slot at the current ask, locking the job's collateral.
    function lock(bytes32 jobId) external returns (uint8 slot);
    /// @notice Gives the caller's slot back without fault, its collateral released: before it
    /// commits, within `RELEASE_WINDOW` of its lock and by the lock deadline, and not once the
    /// audit's seed block is mined. The job's last slot moves into its place; the caller may not
    /// lock this job again.
    function release(bytes32 jobId, uint8 slot) external;
    /// @notice Commits keccak256(abi.encode(digest, salt, worker)) for the caller's slot.
    function commit(bytes32 jobId, uint8 slot, bytes32 commitment) external;
    /// @notice Reveals the committed digest (a lone slot may reveal without committing once its
    /// audit is decided without an auditor); settles when every locked slot has revealed.
    function reveal(bytes32 jobId, uint8 slot, bytes32 digest, bytes32 salt, bytes32 resultCid) external;
    /// @notice Proof court only: settles a `ZK` job on its verdict for `worker`'s proof of
    /// `digest` (`IProofCourt.Verdict`): valid pays the worker; invalid slashes it `InvalidProof` and
    /// refunds the requester; unverifiable (the pinned verifier failed) voids the job with the
    /// worker paid its price, as the requester chose the verifier. By the reveal deadline.
    function settleProof(bytes32 jobId, address worker, bytes32 digest, bytes32 resultCid, uint8 verdict) external;
    /// @notice Settles a `REDUNDANT` job once all revealed or the reveal deadline passed: a quorum
    /// makes it `Provisional` (final after the challenge window), no quorum `Unresolved`; slots that
    /// did not reveal are slashed at once.
    function settle(bytes32 jobId) external;
    /// @notice Makes a provisional settlement final once its challenge window (after the reveal
    /// deadline) has passed: pays the quorum, slashes dissenters, refunds the rest. Anyone may call.
    function finalize(bytes32 jobId) external;
    /// @notice The requester accepts a provisional result revealed alike by all k slots, making it
    /// final at once.
    function accept(bytes32 jobId) external;
    /// @notice When a job's provisional settlement (or unresolved state) may become final.
    function finalAfter(bytes32 jobId) external view returns (uint256);

    /// @notice Court only: sends a provisional job to the court (within its challenge window).
    function escalate(bytes32 jobId) external;
    /// @notice Court only: the drawn rounds decided `digest`: its revealers are paid, revealers of
    /// any other digest are slashed `LostDispute` to the court, the rest of the escrow is refunded.
    function rule(bytes32 jobId, bytes32 digest) external;
    /// @notice Court only: no round could decide: every revealer is paid its price, nobody slashed.
    function voidJob(bytes32 jobId) external;
    /// @notice Court only: schedules the job's audit on the hash of block `seedBlock` (`auditor`
    /// zero), or decides it (`seedBlock` 2): `auditor`, if any, takes the next slot at maxPrice
    /// from the audit fee, its collateral locked, and commits and reveals like any slot holder.
    function setAudit(bytes32 jobId, uint32 seedBlock, address auditor) external;
    /// @notice Whether a job's reveals wait for its audit: the fee is escrowed, the audit not yet
    /// decided, and its draw deadline (half-way through the compute window) not passed.
    function auditPending(bytes32 jobId) external view returns (bool);
    /// @notice The chance, in basis points, that a redundant job posted with an audit fee gets a
    /// drawn auditor (read when the audit is decided).
    function auditBps() external view returns (uint16);
    /// @notice Until when an audit may be drawn: half-way between the lock and commit deadlines.
    function auditDeadline(bytes32 jobId) external view returns (uint256);
    /// @notice The court that decides disputed jobs (zero: none, and disagreeing reveals go `Unresolved`).
    function court() external view returns (address);
    /// @notice The contract that checks `ZK` jobs' proofs and settles them (zero: none yet).
    function proofCourt() external view returns (address);
    /// @notice The "unavailable" sentinel digest: revealed (or voted) when the job's program or
    /// input cannot be had. Never slashed, never a result: next to a result it sends the job to the
    /// court (a confirmed result is paid in full); alone, each such claim is paid `minPrice / 4`.
    function UNAVAILABLE() external view returns (bytes32);
    /// @notice Closes an overdue job: no worker by the lock deadline, a `ZK` job without a proof by
    /// the reveal deadline, a `REDUNDANT` job past its reveal deadline (settled as `settle` does),
    /// or an unresolved job past its challenge window (`Void`: every revealer paid its price).
    function expire(bytes32 jobId) external;

    function job(bytes32 jobId) external view returns (Job memory);
    function slot(bytes32 jobId, uint8 index) external view returns (Slot memory);
    function currentAsk(bytes32 jobId) external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function escrowOf(bytes32 jobId) external view returns (uint256);
    function nonceUsed(address requester, uint256 nonce) external view returns (bool);

    /// @notice Burns one of the caller's request nonces, so that a request it signed with it (and
    /// gave to a relayer) can never be posted. Reverts `NonceUsed` when it is already used.
    function cancelNonce(uint256 nonce) external;
    function hashRequest(JobRequest calldata request) external view returns (bytes32);
}
