// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {ICourt} from "./interfaces/ICourt.sol";

/// @title JobSettlement
/// @notice The market's storage and its outcomes: who is paid, who is slashed, what is refunded.
abstract contract JobSettlement is IJobMarket {
    uint8 internal constant MAX_SLOTS = 8;
    /// @notice The digest a worker (or juror) reveals when the job's program or input cannot be
    /// had: never slashed, never a result; paid `minPrice / 4` only when nobody revealed a result.
    bytes32 public constant UNAVAILABLE = keccak256("agora.unavailable");
    // `Job.audit`: no audit; waiting for locking to end; decided; otherwise the seed block.
    uint32 internal constant AUDIT_NONE = 0;
    uint32 internal constant AUDIT_AWAITING = 1;
    uint32 internal constant AUDIT_DECIDED = 2;

    IStakeManager public immutable stakes;
    // One storage slot, read together when a job is posted.
    /// @notice Seconds after a job's reveal deadline during which its outcome can be challenged
    /// (each job keeps the window it was posted with).
    uint64 public challengeWindow;
    /// @notice How far ahead of posting a job's reveal deadline may lie.
    uint64 public maxJobDuration;
    /// @notice The least time a request leaves between its lock and commit deadlines (to compute).
    uint64 public minComputeWindow;
    /// @notice The least time a request leaves between its commit and reveal deadlines (to reveal).
    uint64 public minRevealWindow;
    /// @inheritdoc IJobMarket
    // Set once by JobMarket.setCourt; slither analyses this abstract base alone.
    // slither-disable-next-line uninitialized-state
    address public court;
    /// @inheritdoc IJobMarket
    uint16 public auditBps;
    /// @inheritdoc IJobMarket
    // Set once by JobMarket.setProofCourt; slither analyses this abstract base alone.
    // slither-disable-next-line uninitialized-state
    address public proofCourt;

    // Written by JobMarket (posting and locking); slither analyses this abstract base alone.
    // slither-disable-next-line uninitialized-state
    mapping(bytes32 jobId => Job) internal _jobs;
    // slither-disable-next-line uninitialized-state
    mapping(bytes32 jobId => Slot[8]) internal _slots;
    mapping(address account => uint256) internal _balances;

    constructor(IStakeManager stakes_) {
        stakes = stakes_;
    }

    /// @inheritdoc IJobMarket
    function job(bytes32 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc IJobMarket
    function slot(bytes32 jobId, uint8 index) external view returns (Slot memory) {
        return _slots[jobId][index];
    }

    /// @inheritdoc IJobMarket
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IJobMarket
    function escrowOf(bytes32 jobId) public view returns (uint256) {
        Job storage j = _jobs[jobId];
        JobStatus status = j.status;
        if (
            status != JobStatus.Open && status != JobStatus.Unresolved && status != JobStatus.Provisional
                && status != JobStatus.Disputed
        ) return 0;
        return _escrow(j);
    }

    /// @inheritdoc IJobMarket
    function auditPending(bytes32 jobId) external view returns (bool) {
        return _auditPending(_jobs[jobId]);
    }

    /// @inheritdoc IJobMarket
    function auditDeadline(bytes32 jobId) external view returns (uint256) {
        return _auditDeadline(_jobs[jobId]);
    }

    /// @dev k slots at maxPrice, and one more when the job pays for an audit.
    function _escrow(Job storage j) internal view returns (uint256) {
        return (uint256(j.k) + (j.audit == AUDIT_NONE ? 0 : 1)) * j.maxPrice;
    }

    /// @dev Reveals wait while an auditor may still be drawn: it must commit before seeing any digest.
    function _auditPending(Job storage j) internal view returns (bool) {
        uint32 state = j.audit;
        return state != AUDIT_NONE && state != AUDIT_DECIDED && block.timestamp <= _auditDeadline(j);
    }

    function _auditDeadline(Job storage j) internal view returns (uint256) {
        return uint256(j.lockDeadline) + (uint256(j.commitDeadline) - j.lockDeadline) / 2;
    }

    function _openJob(bytes32 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.status != JobStatus.Open) revert JobNotOpen(jobId, j.status);
    }

    function _mask(uint8 n) internal pure returns (uint8) {
        return uint8((uint256(1) << n) - 1);
    }

    /// @dev No more slots will be taken: all k are (or the lock deadline passed), and the audit
    /// is decided (or can no longer be drawn).
    function _lockingDone(Job storage j) private view returns (bool) {
        return (j.locked >= j.k || block.timestamp > j.lockDeadline) && !_auditPending(j);
    }

    function _allCommitted(Job storage j) internal view returns (bool) {
        return _lockingDone(j) && j.committedMask == _mask(j.locked);
    }

    function _allRevealed(Job storage j) internal view returns (bool) {
        return j.locked > 0 && _lockingDone(j) && j.revealedMask == _mask(j.locked);
    }

    /// @dev The largest group of equal revealed digests; a tie for largest counts as no winner.
    function _largestGroup(bytes32 jobId, Job storage j) internal view returns (bytes32 best, uint8 size, bool tie) {
        Slot[8] storage slots = _slots[jobId];
        for (uint8 i; i < j.locked; ++i) {
            if (j.revealedMask & (1 << i) == 0) continue;
            bytes32 digest = slots[i].sealed_;
            uint8 count = 0;
            for (uint8 x; x < j.locked; ++x) {
                if (j.revealedMask & (1 << x) != 0 && slots[x].sealed_ == digest) ++count;
            }
            if (count > size) (best, size, tie) = (digest, count, false);
            else if (count == size && digest != best) tie = true;
        }
    }

    /// @inheritdoc IJobMarket
    function finalAfter(bytes32 jobId) public view returns (uint256) {
        Job storage j = _jobs[jobId];
        return uint256(j.revealDeadline) + j.challengeWindow;
    }

    /// @dev REDUNDANT settlement: slots that did not reveal are slashed at once (a fact on chain,
    /// nothing to dispute); reveals that disagree go to the court; a quorum makes the job
    /// provisional, to take effect after the challenge window; agreeing reveals short of a quorum
    /// stay locked until the window has passed (then void).
    function _settle(bytes32 jobId, Job storage j) internal {
        // Nobody took a slot: there is nothing to resolve, and the requester's refund is not held.
        if (j.locked == 0) return _close(jobId, j);
        (bytes32 best, uint8 size, bool tie) = _largestGroup(jobId, j);
        bool quorum = size >= j.q && !tie;
        bool disagree = size < _count(j.revealedMask);
        address court_ = court;
        // checks-effects-interactions: the outcome is recorded before the stake manager is called
        if (!disagree && best == UNAVAILABLE) {
            _void(jobId, j); // every revealer says the data cannot be had: a small fee each, the rest back
        } else if (disagree && court_ != address(0)) {
            j.status = JobStatus.Disputed;
            emit JobEscalated(jobId);
        } else if (quorum) {
            j.status = JobStatus.Provisional;
            _windowFromNow(j);
            emit JobProvisional(jobId, best, size, finalAfter(jobId));
        } else if (j.revealedMask != 0) {
            j.status = JobStatus.Unresolved;
            _windowFromNow(j);
            emit JobUnresolved(jobId, size, j.q);
        } else {
            _close(jobId, j); // nobody revealed: nothing to resolve, the escrow goes back now
        }
        Slot[8] storage slots = _slots[jobId];
        for (uint8 i; i < j.locked; ++i) {
            uint8 bit = uint8(1 << i);
            if (j.revealedMask & bit != 0) continue;
            IStakeManager.SlashReason reason = j.committedMask & bit != 0
                ? IStakeManager.SlashReason.NoReveal
                : IStakeManager.SlashReason.DeadlineMissed;
            _slash(jobId, j, slots[i].worker, reason, j.requester);
        }
        if (j.status == JobStatus.Disputed) ICourt(court_).open(jobId);
    }

    /// @dev An outcome takes effect: revealers of `best` are paid, revealers of any other digest
    /// are slashed (`reason`, to `beneficiary`), the rest of the escrow goes back to the requester.
    function _finalize(
        bytes32 jobId,
        Job storage j,
        bytes32 best,
        IStakeManager.SlashReason reason,
        address beneficiary
    ) internal {
        uint8 size = 0;
        uint256 paid = 0;
        Slot[8] storage slots = _slots[jobId];
        // Effects first: every payment credited before the stake manager is called.
        for (uint8 i; i < j.locked; ++i) {
            if (j.revealedMask & (1 << i) != 0 && slots[i].sealed_ == best) {
                ++size;
                paid += slots[i].price;
                _credit(jobId, slots[i].worker, slots[i].price);
            }
        }
        j.status = JobStatus.Settled;
        emit JobSettled(jobId, best, size);
        _refund(jobId, j, _escrow(j) - paid);
        for (uint8 i; i < j.locked; ++i) {
            if (j.revealedMask & (1 << i) == 0) continue; // slashed at settlement
            Slot storage s = slots[i];
            // "Unavailable" is a claim, not a result: never slashed (and unpaid next to a result).
            if (s.sealed_ == best || s.sealed_ == UNAVAILABLE) stakes.releaseCollateral(s.worker, jobId, j.collateral);
            else _slash(jobId, j, s.worker, reason, beneficiary);
        }
    }

    /// @dev Settled after its reveal deadline, a job's challenge window runs from now: settling
    /// late cannot shorten the time anyone has to dispute it.
    function _windowFromNow(Job storage j) private {
        if (block.timestamp > j.revealDeadline) {
            j.challengeWindow = uint32(block.timestamp - j.revealDeadline + j.challengeWindow);
        }
    }

    function _count(uint8 mask) internal pure returns (uint8 n) {
        for (; mask != 0; mask &= mask - 1) ++n;
    }

    /// @dev ZK settlement: a valid proof is paid, an invalid one slashed and the escrow refunded.
    function _settleProof(bytes32 jobId, Job storage j, bytes32 digest, bytes32 resultCid, bool valid) internal {
        Slot storage s = _slots[jobId][0];
        uint256 escrow = _escrow(j);
        if (valid) {
            (s.sealed_, j.revealedMask, j.status) = (digest, 1, JobStatus.Settled);
            emit ProofAccepted(jobId, s.worker, digest, resultCid);
            emit JobSettled(jobId, digest, 1);
            _refund(jobId, j, escrow - s.price);
            _pay(jobId, s.worker, s.price, j.collateral);
        } else {
            j.status = JobStatus.Expired;
            emit ProofRejected(jobId, s.worker, digest);
            _refund(jobId, j, escrow);
            _slash(jobId, j, s.worker, IStakeManager.SlashReason.InvalidProof, j.requester);
        }
    }

    function _expire(bytes32 jobId) internal {
        Job storage j = _jobs[jobId];
        if (j.status == JobStatus.Open) {
            if (j.locked == 0 && block.timestamp > j.lockDeadline) {
                _close(jobId, j);
            } else if (block.timestamp > j.revealDeadline) {
                if (j.mode == Mode.ZK) {
                    _close(jobId, j);
                    _slash(jobId, j, _slots[jobId][0].worker, IStakeManager.SlashReason.DeadlineMissed, j.requester);
                } else {
                    _settle(jobId, j);
                }
            } else {
                uint256 due = j.locked == 0 ? j.lockDeadline : j.revealDeadline;
                revert NotExpirable(jobId, j.status, due, block.timestamp);
            }
        } else if (j.status == JobStatus.Unresolved && block.timestamp > finalAfter(jobId)) {
            _void(jobId, j);
        } else {
            revert NotExpirable(jobId, j.status, finalAfter(jobId), block.timestamp);
        }
    }

    /// @dev Reveals that nothing resolved: a job with any reveal is never refunded whole (a
    /// requester breaking unanimity gets no free result): each revealer of a result is paid its
    /// price, each "unavailable" claim `minPrice / 4` (at most its price).
    function _void(bytes32 jobId, Job storage j) internal {
        j.status = JobStatus.Void;
        uint256 paid = 0;
        uint8 revealed = 0;
        Slot[8] storage slots = _slots[jobId];
        for (uint8 i; i < j.locked; ++i) {
            if (j.revealedMask & (1 << i) == 0) continue;
            ++revealed;
            paid += _voidPay(j, slots[i]);
        }
        emit JobVoid(jobId, revealed);
        _refund(jobId, j, _escrow(j) - paid);
        for (uint8 i; i < j.locked; ++i) {
            if (j.revealedMask & (1 << i) != 0) _credit(jobId, slots[i].worker, _voidPay(j, slots[i]));
        }
        for (uint8 i; i < j.locked; ++i) {
            if (j.revealedMask & (1 << i) != 0) stakes.releaseCollateral(slots[i].worker, jobId, j.collateral);
        }
    }

    function _voidPay(Job storage j, Slot storage s) private view returns (uint256) {
        if (s.sealed_ != UNAVAILABLE) return s.price;
        uint256 fee = j.minPrice / 4;
        return fee < s.price ? fee : s.price;
    }

    function _close(bytes32 jobId, Job storage j) private {
        j.status = JobStatus.Expired;
        emit JobExpired(jobId);
        _refund(jobId, j, _escrow(j));
    }

    function _pay(bytes32 jobId, address worker, uint256 price, uint256 collateral) private {
        _credit(jobId, worker, price);
        stakes.releaseCollateral(worker, jobId, collateral);
    }

    function _credit(bytes32 jobId, address worker, uint256 price) private {
        _balances[worker] += price;
        emit WorkerPaid(jobId, worker, price);
    }

    function _slash(
        bytes32 jobId,
        Job storage j,
        address worker,
        IStakeManager.SlashReason reason,
        address beneficiary
    ) private {
        uint256 taken = stakes.slash(worker, jobId, j.collateral, reason, beneficiary);
        emit WorkerSlashed(jobId, worker, taken, reason);
    }

    function _refund(bytes32 jobId, Job storage j, uint256 amount) private {
        if (amount == 0) return;
        _balances[j.requester] += amount;
        emit Refunded(jobId, j.requester, amount);
    }
}
