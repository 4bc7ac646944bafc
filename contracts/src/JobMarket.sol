// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ICourt} from "./interfaces/ICourt.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {JobSettlement} from "./JobSettlement.sol";

/// @title JobMarket
/// @notice Deposits, signed job requests, the reverse-Dutch auction and commit-reveal. Settlement
/// is in `JobSettlement`; `ZK` jobs' proofs are checked by the proof court (`ProofCourt`).
contract JobMarket is JobSettlement, EIP712, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant JOB_REQUEST_TYPEHASH = keccak256(
        "JobRequest(address requester,bytes32 programId,bytes32 inputDigest,bytes32 verifierPin,uint96 minPrice,"
        "uint96 maxPrice,uint32 ramp,uint96 collateral,uint8 redundancy,uint8 quorum,uint8 mode,uint64 fuelLimit,"
        "uint40 lockDeadline,uint40 commitDeadline,uint40 revealDeadline,uint32 regions,uint256 nonce,uint40 expiry)"
    );
    /// @notice Bounds on the owner's windows, so no setting can make a job unfair to either side.
    uint64 public constant MIN_JOB_DURATION = 1 hours;
    uint64 public constant MAX_JOB_DURATION = 365 days;
    uint64 public constant MIN_CHALLENGE_WINDOW = 10 minutes;
    uint64 public constant MAX_CHALLENGE_WINDOW = 30 days;
    uint64 public constant MAX_MIN_WINDOW = 1 days;
    /// @notice Seats of a court's first round, and basis points (for the collateral check).
    uint8 public constant FIRST_ROUND_SEATS = 3;
    /// @notice Blocks between the last lock and the block whose hash decides the job's audit.
    uint256 public constant AUDIT_SEED_DELAY = 2;
    uint256 private constant BPS = 10_000;
    /// @notice Seconds after its lock in which a worker may give its slot back without fault.
    uint256 public constant RELEASE_WINDOW = 2 minutes;

    IERC20 public immutable token;

    mapping(address requester => mapping(uint256 word => uint256 bits)) private _nonces;
    /// @dev Who gave a slot of a job back: they may not lock it again (no lock-release cycling).
    mapping(bytes32 jobId => mapping(address worker => bool)) private _released;

    constructor(
        IERC20 token_,
        IStakeManager stakes_,
        address owner_,
        uint64 maxJobDuration_,
        uint64 challengeWindow_,
        uint64 minComputeWindow_,
        uint64 minRevealWindow_
    ) EIP712("AgoraJobMarket", "1") Ownable(owner_) JobSettlement(stakes_) {
        token = token_;
        _setMaxJobDuration(maxJobDuration_);
        _setChallengeWindow(challengeWindow_);
        _setMinWindows(minComputeWindow_, minRevealWindow_);
    }

    // -- deposits --------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function deposit(uint256 amount) public nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _balances[msg.sender] += amount;
        emit Deposited(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IJobMarket
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external {
        // A front-run permit has already set the allowance: carry on rather than revert.
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        deposit(amount);
    }

    /// @inheritdoc IJobMarket
    function withdraw(uint256 amount) external nonReentrant {
        uint256 balance = _balances[msg.sender];
        if (amount == 0) revert ZeroAmount();
        if (amount > balance) revert InsufficientBalance(msg.sender, balance, amount);
        _balances[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // -- posting ---------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function postJob(JobRequest calldata r, bytes calldata signature) external nonReentrant returns (bytes32 jobId) {
        if (block.timestamp > r.expiry) revert RequestExpired(r.expiry, block.timestamp);
        _validate(r);
        jobId = hashRequest(r);
        // OpenZeppelin's recover refuses malleable (high-s) signatures.
        address signer = ECDSA.recover(_hashTypedDataV4(jobId), signature);
        if (signer != r.requester) revert InvalidSignature(r.requester, signer);
        _useNonce(r.requester, r.nonce);
        // With a court, a redundant job pays for a possible audit: one more slot, drawn (k < 8).
        bool audited = r.mode == Mode.REDUNDANT && court != address(0) && auditBps != 0 && r.redundancy < MAX_SLOTS;
        uint256 escrow = (uint256(r.redundancy) + (audited ? 1 : 0)) * r.maxPrice;
        uint256 balance = _balances[r.requester];
        if (balance < escrow) revert InsufficientBalance(r.requester, balance, escrow);
        _balances[r.requester] = balance - escrow;
        _jobs[jobId] = Job({
            requester: r.requester,
            postedAt: uint40(block.timestamp),
            status: JobStatus.Open,
            mode: r.mode,
            k: r.redundancy,
            q: r.quorum,
            locked: 0,
            committedMask: 0,
            revealedMask: 0,
            minPrice: r.minPrice,
            maxPrice: r.maxPrice,
            ramp: r.ramp,
            regions: r.regions,
            collateral: r.collateral,
            // Deadlines lie within maxJobDuration of now: uint32 holds them until 2106.
            lockDeadline: uint32(r.lockDeadline),
            commitDeadline: uint32(r.commitDeadline),
            revealDeadline: uint32(r.revealDeadline),
            challengeWindow: uint32(challengeWindow),
            audit: audited ? AUDIT_AWAITING : AUDIT_NONE
        });
        emit JobPosted(jobId, r.requester, r, escrow);
    }

    function _validate(JobRequest calldata r) private view {
        if (r.requester == address(0)) revert ZeroRequester();
        if (r.redundancy == 0 || r.redundancy > MAX_SLOTS) revert InvalidRedundancy(r.redundancy, MAX_SLOTS);
        if (r.quorum == 0 || r.quorum > r.redundancy) revert InvalidQuorum(r.quorum, r.redundancy);
        if (r.minPrice > r.maxPrice) revert InvertedPriceRange(r.minPrice, r.maxPrice);
        // Without a proof court a ZK job's worker could never deliver, and would be slashed at expiry.
        if (r.mode == Mode.ZK && (r.redundancy != 1 || r.verifierPin == bytes32(0) || proofCourt == address(0))) {
            revert InvalidZkTerms(r.redundancy, r.verifierPin);
        }
        if (block.timestamp >= r.lockDeadline) revert LockDeadlinePassed(r.lockDeadline, block.timestamp);
        // Without these windows a worker could be made to miss a deadline it had no time to meet.
        if (r.commitDeadline < uint256(r.lockDeadline) + minComputeWindow) {
            revert ComputeWindowTooShort(r.lockDeadline, r.commitDeadline, minComputeWindow);
        }
        if (r.revealDeadline < uint256(r.commitDeadline) + minRevealWindow) {
            revert RevealWindowTooShort(r.commitDeadline, r.revealDeadline, minRevealWindow);
        }
        if (r.mode == Mode.REDUNDANT && court != address(0)) {
            // A lost dispute's slash, after the burn, pays the first round's seats (docs/protocol.md).
            uint256 needed = _ceilDiv(uint256(FIRST_ROUND_SEATS) * r.maxPrice * BPS, BPS - stakes.burnBps());
            if (r.collateral < needed) revert CollateralTooSmall(r.collateral, needed);
        }
        if (r.revealDeadline - block.timestamp > maxJobDuration) {
            revert DurationTooLong(r.revealDeadline - block.timestamp, maxJobDuration);
        }
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return (a + b - 1) / b;
    }

    function _useNonce(address requester, uint256 nonce) private {
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _nonces[requester][nonce >> 8];
        if (bits & bit != 0) revert NonceUsed(requester, nonce);
        _nonces[requester][nonce >> 8] = bits | bit;
    }

    // -- bidding and results ---------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function lock(bytes32 jobId) external nonReentrant returns (uint8 index) {
        Job storage j = _openJob(jobId);
        if (block.timestamp > j.lockDeadline) revert LockClosed(jobId, j.lockDeadline, block.timestamp);
        index = j.locked;
        if (index >= j.k) revert JobFull(jobId, j.k);
        for (uint8 i; i < index; ++i) {
            if (_slots[jobId][i].worker == msg.sender) revert WorkerAlreadyLocked(jobId, msg.sender);
        }
        if (_released[jobId][msg.sender]) revert AlreadyReleased(jobId, msg.sender);
        if (j.regions != 0) {
            (uint8 region, bool declared) = stakes.regionOf(msg.sender);
            if (!declared || (j.regions >> region) & 1 == 0) {
                revert RegionNotAllowed(jobId, msg.sender, region, j.regions);
            }
        }
        uint256 price = _ask(j);
        // The seal holds the lock's time until the commit: what `release` is measured from. The
        // commit then rewrites a set word (5k gas) rather than filling an empty one (22k).
        Slot storage s = _slots[jobId][index];
        (s.worker, s.price, s.sealed_) = (msg.sender, uint96(price), bytes32(block.timestamp));
        j.locked = index + 1;
        // The last slot taken fixes the block whose hash decides the audit: unknown to every locker.
        if (index + 1 == j.k && j.audit == AUDIT_AWAITING) j.audit = uint32(block.number + AUDIT_SEED_DELAY);
        emit JobLocked(jobId, msg.sender, index, price);
        stakes.lockCollateral(msg.sender, jobId, j.collateral);
    }

    /// @inheritdoc IJobMarket
    function release(bytes32 jobId, uint8 index) external nonReentrant {
        Job storage j = _workerSlot(jobId, index, Mode.REDUNDANT);
        Slot storage s = _slots[jobId][index];
        uint32 audit = j.audit;
        // Never once committed, nor once the audit's seed block is mined: whoever saw the seed
        // could otherwise walk away from an audit it did not like.
        uint256 until;
        if (
            j.committedMask & (1 << index) == 0
                && (audit > AUDIT_DECIDED ? block.number <= audit : audit != AUDIT_DECIDED)
        ) {
            until = uint256(s.sealed_) + RELEASE_WINDOW;
            if (until > j.lockDeadline) until = j.lockDeadline;
        }
        if (block.timestamp > until) revert NotReleasable(jobId, index, until);
        if (audit > AUDIT_DECIDED) j.audit = AUDIT_AWAITING; // full again, a new seed block
        _released[jobId][msg.sender] = true;
        // The last slot moves into the gap (a commitment does not name its slot), so slots stay
        // 0..locked-1 and every count over them holds.
        uint8 last = j.locked - 1;
        if (index != last) {
            Slot storage l = _slots[jobId][last];
            (s.worker, s.price, s.sealed_) = (l.worker, l.price, l.sealed_);
            uint8 bit = uint8(1 << last);
            if (j.committedMask & bit != 0) j.committedMask = (j.committedMask ^ bit) | uint8(1 << index);
        }
        delete _slots[jobId][last];
        j.locked = last;
        emit SlotReleased(jobId, msg.sender, index, last);
        stakes.releaseCollateral(msg.sender, jobId, j.collateral);
    }

    /// @inheritdoc IJobMarket
    function commit(bytes32 jobId, uint8 index, bytes32 commitment) external {
        Job storage j = _workerSlot(jobId, index, Mode.REDUNDANT);
        if (block.timestamp > j.commitDeadline) revert CommitClosed(jobId, j.commitDeadline, block.timestamp);
        if (j.committedMask & (1 << index) != 0) revert AlreadyCommitted(jobId, index);
        j.committedMask |= uint8(1 << index);
        _slots[jobId][index].sealed_ = commitment;
        emit ResultCommitted(jobId, msg.sender, index, commitment);
        // The first commit after the audit's seed block decides it, sparing a transaction. A
        // failure (or too little gas) leaves it undecided, for anyone to decide by `Court.audit`.
        uint32 state = j.audit;
        if (state > AUDIT_DECIDED && block.number > state && _auditPending(j)) {
            try ICourt(court).audit(jobId) {} catch {}
        }
    }

    /// @inheritdoc IJobMarket
    function reveal(bytes32 jobId, uint8 index, bytes32 digest, bytes32 salt, bytes32 resultCid)
        external
        nonReentrant
    {
        Job storage j = _workerSlot(jobId, index, Mode.REDUNDANT);
        if (block.timestamp > j.revealDeadline) revert RevealClosed(jobId, j.revealDeadline, block.timestamp);
        if (j.revealedMask & (1 << index) != 0) revert AlreadyRevealed(jobId, index);
        bool committed = j.committedMask & (1 << index) != 0;
        // A lone slot has nobody to copy from: it may reveal without committing, once no auditor can come.
        if (committed || j.k > 1 || j.locked > 1 || _auditPending(j)) {
            if (!_allCommitted(j) && block.timestamp <= j.commitDeadline) {
                revert RevealNotOpen(jobId, j.commitDeadline, block.timestamp);
            }
            if (keccak256(abi.encode(digest, salt, msg.sender)) != _slots[jobId][index].sealed_) {
                revert CommitmentMismatch(jobId, index);
            }
        }
        j.revealedMask |= uint8(1 << index);
        _slots[jobId][index].sealed_ = digest;
        emit ResultRevealed(jobId, msg.sender, index, digest, resultCid);
        if (_allRevealed(j)) _settle(jobId, j);
    }

    /// @inheritdoc IJobMarket
    function settleProof(bytes32 jobId, address worker, bytes32 digest, bytes32 resultCid, uint8 verdict)
        external
        nonReentrant
    {
        if (msg.sender != proofCourt) revert OnlyCourt(msg.sender);
        Job storage j = _slotOf(jobId, 0, Mode.ZK, worker);
        if (block.timestamp > j.revealDeadline) revert RevealClosed(jobId, j.revealDeadline, block.timestamp);
        if (verdict > 1) {
            // The requester pinned a verifier that failed: its choice, so the worker is paid as a revealer.
            (j.revealedMask, _slots[jobId][0].sealed_) = (1, digest);
            _void(jobId, j);
        } else {
            _settleProof(jobId, j, digest, resultCid, verdict == 1);
        }
    }

    /// @inheritdoc IJobMarket
    function settle(bytes32 jobId) external nonReentrant {
        Job storage j = _openJob(jobId);
        if (j.mode != Mode.REDUNDANT) revert WrongMode(jobId, j.mode);
        if (!_allRevealed(j) && block.timestamp <= j.revealDeadline) {
            revert NotSettleable(jobId, j.revealDeadline, block.timestamp);
        }
        _settle(jobId, j);
    }

    /// @inheritdoc IJobMarket
    function finalize(bytes32 jobId) external nonReentrant {
        Job storage j = _jobs[jobId];
        uint256 due = finalAfter(jobId);
        if (j.status != JobStatus.Provisional || block.timestamp <= due) {
            revert NotFinalizable(jobId, j.status, due, block.timestamp);
        }
        (bytes32 best,,) = _largestGroup(jobId, j);
        _finalize(jobId, j, best, IStakeManager.SlashReason.WrongResult, j.requester);
    }

    /// @inheritdoc IJobMarket
    function accept(bytes32 jobId) external nonReentrant {
        Job storage j = _jobs[jobId];
        if (j.status != JobStatus.Provisional) {
            revert NotFinalizable(jobId, j.status, finalAfter(jobId), block.timestamp);
        }
        if (msg.sender != j.requester) revert NotRequester(jobId, msg.sender);
        // All k alike: no slot holder can dispute it, and the requester waives its own challenge.
        (bytes32 best, uint8 agreeing,) = _largestGroup(jobId, j);
        if (agreeing < j.k || agreeing != j.locked) revert NotUnanimous(jobId, agreeing, j.locked);
        _finalize(jobId, j, best, IStakeManager.SlashReason.WrongResult, j.requester);
    }

    // -- the court -------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function escalate(bytes32 jobId) external nonReentrant onlyCourt {
        Job storage j = _jobs[jobId];
        uint256 due = finalAfter(jobId);
        if (j.status != JobStatus.Provisional || block.timestamp > due) {
            revert NotDisputable(jobId, j.status, due, block.timestamp);
        }
        j.status = JobStatus.Disputed;
        emit JobEscalated(jobId);
    }

    /// @inheritdoc IJobMarket
    function rule(bytes32 jobId, bytes32 digest) external nonReentrant onlyCourt {
        Job storage j = _disputed(jobId);
        _finalize(jobId, j, digest, IStakeManager.SlashReason.LostDispute, msg.sender);
    }

    /// @inheritdoc IJobMarket
    function voidJob(bytes32 jobId) external nonReentrant onlyCourt {
        _void(jobId, _disputed(jobId));
    }

    /// @inheritdoc IJobMarket
    function setAudit(bytes32 jobId, uint32 seedBlock, address auditor) external nonReentrant onlyCourt {
        Job storage j = _openJob(jobId);
        if (!_auditPending(j)) revert AuditNotPending(jobId, j.audit);
        j.audit = seedBlock;
        if (auditor == address(0)) return;
        uint8 index = j.locked;
        Slot storage s = _slots[jobId][index];
        (s.worker, s.price) = (auditor, j.maxPrice);
        j.locked = index + 1;
        emit JobLocked(jobId, auditor, index, j.maxPrice);
        stakes.lockCollateral(auditor, jobId, j.collateral);
    }

    /// @notice Sets the chance (basis points, at most all) that an audited job gets a drawn auditor.
    function setAuditRate(uint16 bps) external onlyOwner {
        _checkRange(bps, 0, BPS);
        emit AuditRateChanged(auditBps, bps);
        auditBps = bps;
    }

    /// @notice Sets the court once; from then on disagreeing reveals and disputes go to it.
    function setCourt(address court_) external onlyOwner {
        if (court != address(0)) revert CourtAlreadySet(court);
        court = court_;
        emit CourtSet(court_);
    }

    /// @notice Sets the proof court once; from then on it settles `ZK` jobs.
    function setProofCourt(address proofCourt_) external onlyOwner {
        if (proofCourt != address(0)) revert CourtAlreadySet(proofCourt);
        proofCourt = proofCourt_;
        emit ProofCourtSet(proofCourt_);
    }

    modifier onlyCourt() {
        if (msg.sender != court) revert OnlyCourt(msg.sender);
        _;
    }

    function _disputed(bytes32 jobId) private view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.status != JobStatus.Disputed) revert NotDisputable(jobId, j.status, finalAfter(jobId), block.timestamp);
    }

    /// @inheritdoc IJobMarket
    function expire(bytes32 jobId) external nonReentrant {
        _expire(jobId);
    }

    // -- views and parameters --------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function currentAsk(bytes32 jobId) external view returns (uint256) {
        return _ask(_jobs[jobId]);
    }

    /// @inheritdoc IJobMarket
    function nonceUsed(address requester, uint256 nonce) external view returns (bool) {
        return _nonces[requester][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IJobMarket
    function cancelNonce(uint256 nonce) external {
        _useNonce(msg.sender, nonce);
        emit NonceCancelled(msg.sender, nonce);
    }

    /// @inheritdoc IJobMarket
    function hashRequest(JobRequest calldata r) public pure returns (bytes32) {
        // Every field is a static type, so abi.encode(r) is the EIP-712 encoding of the fields.
        return keccak256(abi.encode(JOB_REQUEST_TYPEHASH, r));
    }

    /// @notice The EIP-712 domain separator (chain id and this contract's address).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice Sets how far ahead a job's reveal deadline may lie.
    function setMaxJobDuration(uint64 duration) external onlyOwner {
        _setMaxJobDuration(duration);
    }

    /// @notice Sets the challenge window after the reveal deadline; jobs already posted keep theirs.
    function setChallengeWindow(uint64 window) external onlyOwner {
        _setChallengeWindow(window);
    }

    /// @notice Sets the least compute and reveal windows a request must leave (each 1 s .. 1 day).
    function setMinWindows(uint64 computeWindow, uint64 revealWindow) external onlyOwner {
        _setMinWindows(computeWindow, revealWindow);
    }

    function _setMaxJobDuration(uint64 duration) private {
        // Room for the least windows and an hour to lock: no pair of settings can make every job unpostable.
        _checkRange(duration, uint256(MIN_JOB_DURATION) + minComputeWindow + minRevealWindow, MAX_JOB_DURATION);
        emit MaxJobDurationChanged(maxJobDuration, duration);
        maxJobDuration = duration;
    }

    function _setChallengeWindow(uint64 window) private {
        _checkRange(window, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW);
        emit ChallengeWindowChanged(challengeWindow, window);
        challengeWindow = window;
    }

    function _setMinWindows(uint64 computeWindow, uint64 revealWindow) private {
        _checkRange(computeWindow, 1, MAX_MIN_WINDOW);
        _checkRange(revealWindow, 1, MAX_MIN_WINDOW);
        _checkRange(uint256(computeWindow) + revealWindow, 2, maxJobDuration - MIN_JOB_DURATION);
        emit MinWindowsChanged(computeWindow, revealWindow);
        (minComputeWindow, minRevealWindow) = (computeWindow, revealWindow);
    }

    function _checkRange(uint256 value, uint256 minimum, uint256 maximum) private pure {
        if (value < minimum || value > maximum) revert WindowOutOfRange(value, minimum, maximum);
    }

    function _ask(Job storage j) private view returns (uint256) {
        uint256 elapsed = block.timestamp - j.postedAt;
        if (j.ramp == 0 || elapsed >= j.ramp) return j.maxPrice;
        return j.minPrice + (uint256(j.maxPrice) - j.minPrice) * elapsed / j.ramp;
    }

    function _workerSlot(bytes32 jobId, uint8 index, Mode mode) private view returns (Job storage j) {
        return _slotOf(jobId, index, mode, msg.sender);
    }

    function _slotOf(bytes32 jobId, uint8 index, Mode mode, address worker) private view returns (Job storage j) {
        j = _openJob(jobId);
        if (j.mode != mode) revert WrongMode(jobId, j.mode);
        if (index >= j.locked || _slots[jobId][index].worker != worker) revert NotSlotWorker(jobId, index, worker);
    }
}
