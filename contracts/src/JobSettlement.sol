// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title JobSettlement
/// @notice The market's storage and its outcomes: who is paid, who is slashed, what is refunded.
abstract contract JobSettlement is IJobMarket {
    uint8 internal constant MAX_SLOTS = 8;

    IStakeManager public immutable stakes;
    /// @notice Seconds an unresolved job posted from now on waits for escalation after its reveal
    /// deadline (each job keeps the window it was posted with).
    uint64 public escalationWindow;

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
        if (j.status != JobStatus.Open && j.status != JobStatus.Unresolved) return 0;
        return uint256(j.k) * j.maxPrice;
    }

    function _openJob(bytes32 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.status != JobStatus.Open) revert JobNotOpen(jobId, j.status);
    }

    function _mask(uint8 n) internal pure returns (uint8) {
        return uint8((uint256(1) << n) - 1);
    }

    /// @dev No more slots will be taken: all k are, or the lock deadline passed.
    function _lockingDone(Job storage j) private view returns (bool) {
        return j.locked == j.k || block.timestamp > j.lockDeadline;
    }

    function _allCommitted(Job storage j) internal view returns (bool) {
        return _lockingDone(j) && j.committedMask == _mask(j.locked);
    }

    function _allRevealed(Job storage j) internal view returns (bool) {
        return j.locked > 0 && _lockingDone(j) && j.revealedMask == _mask(j.locked);
    }

    /// @dev The largest group of equal revealed digests; a tie for largest counts as no winner.
    function _largestGroup(bytes32 jobId, Job storage j) private view returns (bytes32 best, uint8 size, bool tie) {
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

    /// @dev REDUNDANT settlement: pay the quorum, slash dissenters and no-shows, refund the rest;
    /// without a quorum, slash only the no-shows and hold the rest for escalation.
    function _settle(bytes32 jobId, Job storage j) internal {
        // Nobody took a slot: there is nothing to resolve, and the requester's refund is not held.
        if (j.locked == 0) return _close(jobId, j);
        (bytes32 best, uint8 size, bool tie) = _largestGroup(jobId, j);
        bool quorum = size >= j.q && !tie;
        // checks-effects-interactions: the outcome is recorded before the stake manager is called
        j.status = quorum ? JobStatus.Settled : JobStatus.Unresolved;
        if (quorum) emit JobSettled(jobId, best, size);
        else emit JobUnresolved(jobId, size, j.q);
        uint256 paid = 0;
        Slot[8] storage slots = _slots[jobId];
        for (uint8 i; i < j.locked; ++i) {
            Slot storage s = slots[i];
            uint8 bit = uint8(1 << i);
            if (j.revealedMask & bit != 0) {
                if (!quorum) continue; // collateral stays locked until the job is resolved or expires
                if (s.sealed_ == best) {
                    paid += s.price;
                    _pay(jobId, s.worker, s.price, j.collateral);
                } else {
                    _slash(jobId, j, s.worker, IStakeManager.SlashReason.WrongResult);
                }
            } else {
                bool committed = j.committedMask & bit != 0;
                _slash(
                    jobId,
                    j,
                    s.worker,
                    committed ? IStakeManager.SlashReason.NoReveal : IStakeManager.SlashReason.DeadlineMissed
                );
            }
        }
        if (quorum) _refund(jobId, j, uint256(j.k) * j.maxPrice - paid);
    }

    /// @dev ZK settlement: a valid proof is paid, an invalid one slashed and the escrow refunded.
    function _settleProof(bytes32 jobId, Job storage j, bytes32 digest, bytes32 resultCid, bool valid) internal {
        Slot storage s = _slots[jobId][0];
        uint256 escrow = uint256(j.k) * j.maxPrice;
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
            _slash(jobId, j, s.worker, IStakeManager.SlashReason.InvalidProof);
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
                    _slash(jobId, j, _slots[jobId][0].worker, IStakeManager.SlashReason.DeadlineMissed);
                } else {
                    _settle(jobId, j);
                }
            } else {
                uint256 due = j.locked == 0 ? j.lockDeadline : j.revealDeadline;
                revert NotExpirable(jobId, j.status, due, block.timestamp);
            }
        } else if (j.status == JobStatus.Unresolved && block.timestamp > uint256(j.revealDeadline) + j.escalationWindow) {
            _close(jobId, j);
            for (uint8 i; i < j.locked; ++i) {
                if (j.revealedMask & (1 << i) != 0) stakes.releaseCollateral(_slots[jobId][i].worker, jobId, j.collateral);
            }
        } else {
            revert NotExpirable(jobId, j.status, uint256(j.revealDeadline) + j.escalationWindow, block.timestamp);
        }
    }

    function _close(bytes32 jobId, Job storage j) private {
        j.status = JobStatus.Expired;
        emit JobExpired(jobId);
        _refund(jobId, j, uint256(j.k) * j.maxPrice);
    }

    function _pay(bytes32 jobId, address worker, uint256 price, uint256 collateral) private {
        _balances[worker] += price;
        emit WorkerPaid(jobId, worker, price);
        stakes.releaseCollateral(worker, jobId, collateral);
    }

    function _slash(bytes32 jobId, Job storage j, address worker, IStakeManager.SlashReason reason) private {
        uint256 taken = stakes.slash(worker, jobId, j.collateral, reason, j.requester);
        emit WorkerSlashed(jobId, worker, taken, reason);
    }

    function _refund(bytes32 jobId, Job storage j, uint256 amount) private {
        if (amount == 0) return;
        _balances[j.requester] += amount;
        emit Refunded(jobId, j.requester, amount);
    }
}
