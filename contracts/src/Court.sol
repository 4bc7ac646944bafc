// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICourt} from "./interfaces/ICourt.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title Court
/// @notice Drawn rounds of jurors decide disputed redundant jobs (see ICourt and docs/protocol.md).
/// Every loop is bounded: at most 8 slots, 3 rounds, 15 seats a round, 6 draws a seat, 32 for an auditor.
contract Court is ICourt, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Rounds of 3, 7 and 15 seats; the last one binds.
    uint8 public constant ROUNDS = 3;
    /// @notice Blocks between asking for a round and the block whose hash seeds it.
    uint256 public constant SEED_DELAY = 2;
    /// @notice Draws tried per seat before a round is judged impossible (too little eligible stake).
    uint256 public constant DRAWS_PER_SEAT = 6;
    /// @notice The checkpoint is taken after 1 .. 2^20 units of fuel (or at the end of the run).
    uint64 public constant CHECKPOINT_SPAN = 1 << 20;
    uint64 public constant MIN_VOTE_WINDOW = 10;
    uint64 public constant MAX_VOTE_WINDOW = 7 days;
    /// @notice A round whose seats cannot be filled is drawn again, with a new seed and a new pool
    /// block, this many times before the case gives up on it.
    uint8 public constant MAX_REDRAWS = 3;
    // `IJobMarket.Job.audit`: no audit; waiting for locking to end; decided; else the seed block.
    uint32 private constant AUDIT_NONE = 0;
    uint32 private constant AUDIT_AWAITING = 1;
    uint32 private constant AUDIT_DECIDED = 2;
    uint256 private constant BPS = 10_000;
    /// @notice Draws tried for an auditor: a slot holder (or an account too small to back the job's
    /// collateral) drawn is passed over, so a party holding a share s of the pool leaves the job
    /// unaudited with chance s^32 only.
    uint256 public constant AUDIT_DRAWS = 32;
    /// @notice Bounds on the seat terms: a seat is never free to dispute, nor a lever to lock
    /// jurors' stake without limit.
    uint256 public constant MAX_MIN_SEAT_FEE = 1_000 ether;
    uint256 public constant MIN_SEAT_COLLATERAL = 1 ether;
    uint256 public constant MAX_SEAT_COLLATERAL = 100_000 ether;

    enum Standing {
        Slashed,
        Released,
        Paid
    }

    /// @dev A round's count: reveals come in once every juror committed, or after the deadline.
    struct Tally {
        uint8 committed;
        uint8 revealed;
        bool majority;
        bytes32 digest;
        bytes32 checkpoint;
    }

    IERC20 public immutable token;
    IJobMarket public immutable market;
    IStakeManager public immutable stakes;
    /// @inheritdoc ICourt
    uint64 public voteWindow;
    /// @inheritdoc ICourt
    uint256 public minSeatFee;
    /// @inheritdoc ICourt
    uint256 public seatCollateral;

    mapping(bytes32 jobId => Case) private _cases;
    mapping(bytes32 jobId => mapping(uint8 round => address[])) private _jurors;
    mapping(bytes32 jobId => mapping(uint8 round => Tally)) private _tallies;
    mapping(bytes32 jobId => mapping(uint8 round => mapping(address juror => Vote))) private _votes;
    // Everything bonded on a digest (explicit bonds and revealing slots' collateral), and bonds alone.
    mapping(bytes32 jobId => mapping(bytes32 digest => uint256)) private _claimed;
    mapping(bytes32 jobId => mapping(bytes32 digest => uint256)) private _bonded;
    mapping(bytes32 jobId => mapping(address account => mapping(bytes32 digest => uint256))) private _bonds;
    mapping(bytes32 jobId => mapping(address account => uint256)) private _bondTotals;

    constructor(
        IERC20 token_,
        IJobMarket market_,
        IStakeManager stakes_,
        address owner_,
        uint64 voteWindow_,
        uint256 minSeatFee_,
        uint256 seatCollateral_
    ) Ownable(owner_) {
        token = token_;
        market = market_;
        stakes = stakes_;
        _setVoteWindow(voteWindow_);
        _setSeatTerms(minSeatFee_, seatCollateral_);
    }

    // -- opening and bonds -----------------------------------------------------------------------

    /// @inheritdoc ICourt
    function open(bytes32 jobId) external {
        if (msg.sender != address(market)) revert OnlyMarket(msg.sender);
        _open(jobId, _cases[jobId]);
    }

    /// @inheritdoc ICourt
    function dispute(bytes32 jobId, bytes32 digest, uint256 amount) external nonReentrant {
        if (digest == _unavailable()) revert NotAResult(jobId, digest); // a claim that can never win
        Case storage c = _cases[jobId];
        Phase phase = c.phase;
        if (phase == Phase.None) {
            // A provisional outcome is unanimous: every revealed slot names it.
            if (digest == _outcome(jobId, market.job(jobId))) revert SameDigest(jobId, digest);
            market.escalate(jobId); // reverts unless provisional and within its challenge window
            _open(jobId, c);
        } else if (phase == Phase.Ruled) {
            if (block.timestamp > c.appealDeadline) revert AppealClosed(jobId, c.appealDeadline, block.timestamp);
            if (digest == c.ruling) revert SameDigest(jobId, digest);
            (c.round, c.redraws) = (c.round + 1, 0); // Ruled is never the last round: decided at once
            _schedule(jobId, c);
        } else if (phase == Phase.Voting) {
            // Once votes are revealed, a bond on the winning side would be a free ride on the pot.
            if (_tallies[jobId][c.round].revealed != 0) revert VotesRevealed(jobId, c.round);
        } else if (phase != Phase.Drawing) {
            revert WrongPhase(jobId, phase);
        }
        uint256 minimum = minBond(jobId, c.round);
        if (amount < minimum) revert BondTooSmall(jobId, amount, minimum);
        _claimed[jobId][digest] += amount;
        _bonded[jobId][digest] += amount;
        _bonds[jobId][msg.sender][digest] += amount;
        _bondTotals[jobId][msg.sender] += amount;
        c.bonds += amount;
        emit Disputed(jobId, msg.sender, digest, amount, c.round);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _open(bytes32 jobId, Case storage c) private {
        IJobMarket.Job memory j = market.job(jobId);
        (c.phase, c.regions, c.fee, c.collateral) =
            (Phase.Drawing, j.regions, uint96(_seatFee(j.maxPrice)), uint96(seatCollateral));
        // A revealing slot's locked collateral is its bond on its digest.
        for (uint8 i; i < j.locked; ++i) {
            (bool revealed, bytes32 digest) = _revealed(jobId, j, i);
            if (revealed) _claimed[jobId][digest] += j.collateral;
        }
        _schedule(jobId, c);
    }

    /// @dev The pool is read as it was before this block, so no stake moved from here on counts;
    /// the seed is the hash of a block nobody has mined yet.
    function _schedule(bytes32 jobId, Case storage c) private {
        (c.phase, c.poolBlock, c.seedBlock) = (Phase.Drawing, uint40(block.number - 1), uint40(block.number + SEED_DELAY));
        emit RoundScheduled(jobId, c.round, c.poolBlock, c.seedBlock);
    }

    // -- audits ----------------------------------------------------------------------------------

    /// @inheritdoc ICourt
    function audit(bytes32 jobId) external nonReentrant {
        IJobMarket.Job memory j = market.job(jobId);
        uint32 state = j.audit;
        if (j.status != IJobMarket.JobStatus.Open || state == AUDIT_NONE || state == AUDIT_DECIDED || j.locked == 0) {
            revert NotAuditable(jobId, state);
        }
        uint256 deadline = uint256(j.lockDeadline) + (uint256(j.commitDeadline) - j.lockDeadline) / 2;
        if (block.timestamp > deadline) revert AuditClosed(jobId, deadline, block.timestamp);
        if (state == AUDIT_AWAITING) {
            if (j.locked < j.k && block.timestamp <= j.lockDeadline) {
                revert LockingOpen(jobId, j.lockDeadline, block.timestamp);
            }
            return _scheduleAudit(jobId);
        }
        if (block.number <= state) revert SeedNotReady(jobId, state, block.number);
        bytes32 hash = blockhash(state);
        if (hash == bytes32(0)) return _scheduleAudit(jobId); // aged out unread: a later block
        uint256 seed = uint256(keccak256(abi.encode(hash, jobId, "audit")));
        address auditor;
        bool sampled = seed % BPS < market.auditBps();
        if (sampled) auditor = _drawAuditor(jobId, j, seed, state - SEED_DELAY - 1);
        if (auditor == address(0)) emit AuditSkipped(jobId, sampled);
        else emit AuditorDrawn(jobId, auditor);
        market.setAudit(jobId, AUDIT_DECIDED, auditor);
    }

    function _scheduleAudit(bytes32 jobId) private {
        uint256 seedBlock = block.number + SEED_DELAY;
        emit AuditScheduled(jobId, seedBlock);
        market.setAudit(jobId, uint32(seedBlock), address(0));
    }

    /// @dev One account by stake from the pool as it was before the seed was fixed, within the
    /// job's regions, not a slot holder, able to back the job's collateral; else none.
    function _drawAuditor(bytes32 jobId, IJobMarket.Job memory j, uint256 seed, uint256 poolBlock)
        private
        view
        returns (address)
    {
        uint256 minimum = stakes.minStake();
        address[] memory holders = _slotHolders(jobId, j);
        for (uint256 attempt; attempt < AUDIT_DRAWS; ++attempt) {
            address a = stakes.drawJuror(j.regions, poolBlock, uint256(keccak256(abi.encode(seed, attempt))));
            if (a == address(0)) break; // the pool was empty
            if (!_contains(holders, holders.length, a) && _canBack(a, 1, j.collateral, minimum)) return a;
        }
        return address(0);
    }

    /// @dev The job's slot holders (an auditor included): never drawn to judge or audit it.
    function _slotHolders(bytes32 jobId, IJobMarket.Job memory j) private view returns (address[] memory holders) {
        holders = new address[](j.locked);
        for (uint8 i; i < j.locked; ++i) {
            holders[i] = market.slot(jobId, i).worker;
        }
    }

    // -- drawing ---------------------------------------------------------------------------------

    /// @inheritdoc ICourt
    function draw(bytes32 jobId) external nonReentrant {
        Case storage c = _cases[jobId];
        if (c.phase != Phase.Drawing) revert WrongPhase(jobId, c.phase);
        if (block.number <= c.seedBlock) revert SeedNotReady(jobId, c.seedBlock, block.number);
        bytes32 hash = blockhash(c.seedBlock);
        if (hash == bytes32(0)) {
            // Nobody drew within 256 blocks: a later block seeds it, still unknown to everyone now.
            c.seedBlock = uint40(block.number + SEED_DELAY);
            emit RoundScheduled(jobId, c.round, c.poolBlock, c.seedBlock);
            return;
        }
        uint8 round = c.round;
        uint256 seed = uint256(keccak256(abi.encode(hash, jobId, round)));
        (address[] memory jurors, uint8[] memory seats, uint256 count) = _drawSeats(jobId, c, seed, seatsOf(round));
        if (count == 0) {
            // Too little eligible stake for this seed: a new seed over the pool as it is then, so
            // stake moved out of reach after a seed was seen cannot starve the round for good.
            if (c.redraws < MAX_REDRAWS) {
                ++c.redraws;
                return _schedule(jobId, c);
            }
            return _noRound(jobId, c);
        }
        address[] storage stored = _jurors[jobId][round];
        for (uint256 i; i < count; ++i) {
            (address juror, uint8 n) = (jurors[i], seats[i]);
            stored.push(juror);
            _votes[jobId][round][juror].seats = n;
            emit JurorDrawn(jobId, juror, round, n);
        }
        c.phase = Phase.Voting;
        c.checkpointFuel = uint64(uint256(keccak256(abi.encode(seed, "checkpoint"))) % CHECKPOINT_SPAN) + 1;
        c.commitDeadline = uint40(block.timestamp + voteWindow);
        c.revealDeadline = uint40(block.timestamp + 2 * uint256(voteWindow));
        emit RoundDrawn(jobId, round, seatsOf(round), c.checkpointFuel, c.commitDeadline, c.revealDeadline);
        for (uint256 i; i < count; ++i) {
            stakes.lockCollateral(jurors[i], jobId, uint256(seats[i]) * c.collateral);
        }
    }

    /// @dev Draws by stake with replacement, skipping the job's own slot holders and accounts whose
    /// free stake cannot back another seat. Returns no jurors when the seats cannot be filled.
    /// Eligibility is read, never tried: a caller cannot make a lock fail by the gas it sends.
    function _drawSeats(bytes32 jobId, Case storage c, uint256 seed, uint8 needed)
        private
        view
        returns (address[] memory jurors, uint8[] memory seats, uint256 count)
    {
        IJobMarket.Job memory j = market.job(jobId);
        address[] memory slotHolders = _slotHolders(jobId, j);
        (jurors, seats) = (new address[](needed), new uint8[](needed));
        uint256 minimum = stakes.minStake();
        uint8 filled;
        for (uint256 attempt; attempt < uint256(needed) * DRAWS_PER_SEAT && filled < needed; ++attempt) {
            address juror = stakes.drawJuror(c.regions, c.poolBlock, uint256(keccak256(abi.encode(seed, attempt))));
            if (juror == address(0)) break; // the pool was empty
            if (_contains(slotHolders, slotHolders.length, juror)) continue;
            uint256 at = _indexOf(jurors, count, juror);
            if (!_canBack(juror, (at < count ? seats[at] : 0) + 1, c.collateral, minimum)) continue;
            if (at == count) (jurors[count], count) = (juror, count + 1);
            ++seats[at];
            ++filled;
        }
        if (filled < needed) count = 0;
    }

    /// @dev The juror's free stake backs `seats` seats, and it holds the minimum stake.
    function _canBack(address juror, uint256 seats, uint256 collateral, uint256 minimum) private view returns (bool) {
        (uint256 free, uint256 locked, uint256 unbonding) = stakes.stakeOf(juror);
        return free >= seats * collateral && free + locked + unbonding >= minimum;
    }

    // -- voting ----------------------------------------------------------------------------------

    /// @inheritdoc ICourt
    function commitVote(bytes32 jobId, bytes32 commitment) external {
        Case storage c = _voting(jobId);
        if (block.timestamp > c.commitDeadline) revert VoteCommitClosed(jobId, c.commitDeadline, block.timestamp);
        if (commitment == bytes32(0)) revert EmptyCommitment(jobId);
        Vote storage v = _seat(jobId, c.round);
        if (v.commitment != bytes32(0)) revert VoteAlreadyCast(jobId, msg.sender);
        v.commitment = commitment;
        ++_tallies[jobId][c.round].committed;
        emit VoteCommitted(jobId, msg.sender, c.round);
    }

    /// @inheritdoc ICourt
    function revealVote(bytes32 jobId, bytes32 digest, bytes32 checkpoint, bytes32 salt) external {
        Case storage c = _voting(jobId);
        uint8 round = c.round;
        Tally storage t = _tallies[jobId][round];
        if (t.committed < _jurors[jobId][round].length && block.timestamp <= c.commitDeadline) {
            revert VoteRevealNotOpen(jobId, c.commitDeadline, block.timestamp);
        }
        if (block.timestamp > c.revealDeadline) revert VoteRevealClosed(jobId, c.revealDeadline, block.timestamp);
        Vote storage v = _seat(jobId, round);
        if (v.revealed) revert VoteAlreadyCast(jobId, msg.sender);
        if (keccak256(abi.encode(digest, checkpoint, salt, msg.sender)) != v.commitment) {
            revert VoteMismatch(jobId, msg.sender);
        }
        (v.revealed, v.digest, v.checkpoint) = (true, digest, checkpoint);
        ++t.revealed;
        emit VoteRevealed(jobId, msg.sender, round, digest, checkpoint);
    }

    /// @inheritdoc ICourt
    function resolve(bytes32 jobId) external nonReentrant {
        Case storage c = _voting(jobId);
        uint8 round = c.round;
        Tally storage t = _tallies[jobId][round];
        address[] storage jurors = _jurors[jobId][round];
        if (t.revealed < jurors.length && block.timestamp <= c.revealDeadline) {
            revert NotYet(jobId, c.revealDeadline, block.timestamp);
        }
        // The pair of digest and checkpoint with the most seats; a strict majority decides.
        uint256 best;
        bytes32 unavailable = _unavailable();
        for (uint256 i; i < jurors.length; ++i) {
            Vote storage v = _votes[jobId][round][jurors[i]];
            if (!v.revealed || v.digest == unavailable) continue; // a claim, never a ruling
            uint256 n;
            for (uint256 x; x < jurors.length; ++x) {
                Vote storage w = _votes[jobId][round][jurors[x]];
                if (w.revealed && w.digest == v.digest && w.checkpoint == v.checkpoint) n += w.seats;
            }
            if (n > best) (best, t.digest, t.checkpoint) = (n, v.digest, v.checkpoint);
        }
        t.majority = best * 2 > seatsOf(round);
        if (t.majority) c.ruling = t.digest;
        bool last = round + 1 == ROUNDS;
        uint256 appealBy = t.majority && !last ? block.timestamp + voteWindow : 0;
        emit RoundResolved(jobId, round, t.majority, t.digest, appealBy);
        _slashSilent(jobId, c, jurors, round);
        if (t.majority) {
            if (last) return _decide(jobId, c);
            (c.phase, c.appealDeadline) = (Phase.Ruled, uint40(appealBy));
        } else if (last) {
            _void(jobId, c);
        } else {
            (c.round, c.redraws) = (c.round + 1, 0);
            _schedule(jobId, c);
        }
    }

    /// @inheritdoc ICourt
    function finalize(bytes32 jobId) external nonReentrant {
        Case storage c = _cases[jobId];
        if (c.phase != Phase.Ruled) revert WrongPhase(jobId, c.phase);
        if (block.timestamp <= c.appealDeadline) revert NotYet(jobId, c.appealDeadline, block.timestamp);
        _decide(jobId, c);
    }

    /// @inheritdoc ICourt
    function claimBond(bytes32 jobId) external nonReentrant {
        Case storage c = _cases[jobId];
        uint256 total = _bondTotals[jobId][msg.sender];
        uint256 amount;
        if (c.phase == Phase.Void) {
            amount = total;
        } else if (c.phase == Phase.Decided) {
            uint256 on = total == 0 ? 0 : _bonds[jobId][msg.sender][c.ruling];
            amount = on == 0 ? 0 : on + on * c.winnersShare / _claimed[jobId][c.ruling];
        } else {
            revert WrongPhase(jobId, c.phase);
        }
        if (amount == 0) revert NothingToClaim(jobId, msg.sender);
        _bondTotals[jobId][msg.sender] = 0;
        emit ClaimPaid(jobId, msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // -- outcomes --------------------------------------------------------------------------------

    /// @dev A juror that did not reveal is slashed for its seats at once.
    function _slashSilent(bytes32 jobId, Case storage c, address[] storage jurors, uint8 round) private {
        for (uint256 i; i < jurors.length; ++i) {
            Vote storage v = _votes[jobId][round][jurors[i]];
            if (!v.revealed) _take(jobId, c, jurors[i], v.seats, IStakeManager.SlashReason.NoReveal);
        }
    }

    /// @dev A round could not be drawn: the latest ruling (any earlier round's majority) stands,
    /// else the job is void.
    function _noRound(bytes32 jobId, Case storage c) private {
        for (uint8 r; r < c.round; ++r) {
            if (_tallies[jobId][r].majority) return _decide(jobId, c); // c.ruling: the latest majority
        }
        _void(jobId, c);
    }

    /// @dev The ruling is final. The market pays the slots that revealed it and slashes the others
    /// to this contract; jurors who revealed it (with their round's checkpoint, where that round's
    /// majority named it) are released and paid first from the pot; the rest goes to the winning
    /// claims pro rata (slots now, bonds by `claimBond`), or to the requester when none won.
    function _decide(bytes32 jobId, Case storage c) private {
        c.phase = Phase.Decided;
        bytes32 ruling = c.ruling;
        uint256 before = token.balanceOf(address(this));
        market.rule(jobId, ruling);
        c.pot += token.balanceOf(address(this)) - before; // the losing slots' slashes
        uint256 paidSeats = _settleJurors(jobId, c, ruling); // adds the losing jurors' slashes
        uint256 pot = c.pot + c.bonds - _bonded[jobId][ruling];
        c.pot = pot;
        uint256 paid = paidSeats == 0 ? 0 : _payJurors(jobId, c, ruling, _min(paidSeats * c.fee, pot), paidSeats);
        _payWinners(jobId, c, ruling, pot, paid);
    }

    /// @dev Releases the jurors who revealed the ruling (or "unavailable"), slashes the others who
    /// revealed; returns the seats to be paid: those held to a checkpoint and true to it.
    function _settleJurors(bytes32 jobId, Case storage c, bytes32 ruling) private returns (uint256 paidSeats) {
        bytes32 unavailable = _unavailable();
        for (uint8 r; r <= c.round; ++r) {
            address[] storage jurors = _jurors[jobId][r];
            for (uint256 i; i < jurors.length; ++i) {
                Vote storage v = _votes[jobId][r][jurors[i]];
                if (!v.revealed) continue; // slashed when its round was counted
                Standing standing = _standing(jobId, r, v, ruling, unavailable);
                if (standing == Standing.Slashed) {
                    _take(jobId, c, jurors[i], v.seats, IStakeManager.SlashReason.LostDispute);
                    continue;
                }
                if (standing == Standing.Paid) paidSeats += v.seats;
                stakes.releaseCollateral(jurors[i], jobId, uint256(v.seats) * c.collateral);
            }
        }
    }

    function _payJurors(bytes32 jobId, Case storage c, bytes32 ruling, uint256 fees, uint256 coherentSeats)
        private
        returns (uint256 paid)
    {
        for (uint8 r; r <= c.round; ++r) {
            address[] storage jurors = _jurors[jobId][r];
            for (uint256 i; i < jurors.length; ++i) {
                Vote storage v = _votes[jobId][r][jurors[i]];
                if (!v.revealed || _standing(jobId, r, v, ruling, bytes32(0)) != Standing.Paid) continue;
                uint256 amount = fees * v.seats / coherentSeats;
                paid += amount;
                emit JurorPaid(jobId, jurors[i], amount);
                token.safeTransfer(jurors[i], amount);
            }
        }
    }

    /// @dev What the jurors leave goes to the winning claims pro rata: slots now, bonds when
    /// claimed; to the requester when no claim named the ruling.
    function _payWinners(bytes32 jobId, Case storage c, bytes32 ruling, uint256 pot, uint256 paid) private {
        uint256 rest = pot - paid;
        uint256 winners = _claimed[jobId][ruling];
        IJobMarket.Job memory j = market.job(jobId);
        if (winners == 0) {
            emit CaseDecided(jobId, ruling, pot, paid, 0);
            return _transfer(jobId, j.requester, rest);
        }
        c.winnersShare = rest;
        emit CaseDecided(jobId, ruling, pot, paid, rest);
        for (uint8 i; i < j.locked; ++i) {
            (bool revealed, bytes32 digest) = _revealed(jobId, j, i);
            if (revealed && digest == ruling) {
                _transfer(jobId, market.slot(jobId, i).worker, rest * j.collateral / winners);
            }
        }
    }

    /// @dev No round could decide: the market pays every revealer its price, jurors who voted go
    /// free, bonds go back (`claimBond`), and the pot (silent jurors' slashes) to the requester.
    function _void(bytes32 jobId, Case storage c) private {
        c.phase = Phase.Void;
        emit CaseVoid(jobId, c.round);
        market.voidJob(jobId);
        for (uint8 r; r <= c.round; ++r) {
            address[] storage jurors = _jurors[jobId][r];
            for (uint256 i; i < jurors.length; ++i) {
                Vote storage v = _votes[jobId][r][jurors[i]];
                if (v.revealed) stakes.releaseCollateral(jurors[i], jobId, uint256(v.seats) * c.collateral);
            }
        }
        _transfer(jobId, market.job(jobId).requester, c.pot);
    }

    function _take(bytes32 jobId, Case storage c, address juror, uint8 seats, IStakeManager.SlashReason reason)
        private
    {
        uint256 before = token.balanceOf(address(this));
        stakes.slash(juror, jobId, uint256(seats) * c.collateral, reason, address(this));
        c.pot += token.balanceOf(address(this)) - before;
    }

    function _transfer(bytes32 jobId, address to, uint256 amount) private {
        if (amount == 0) return;
        emit ClaimPaid(jobId, to, amount);
        token.safeTransfer(to, amount);
    }

    // -- views and parameters --------------------------------------------------------------------

    /// @notice Seats in round `round`: 3, 7, 15.
    function seatsOf(uint8 round) public pure returns (uint8) {
        return uint8((4 << round) - 1);
    }

    /// @inheritdoc ICourt
    function minBond(bytes32 jobId, uint8 round) public view returns (uint256) {
        IJobMarket.Job memory j = market.job(jobId);
        uint256 slots = j.locked > j.k ? j.locked : j.k; // an auditor's slot is delayed too
        return (uint256(seatsOf(round)) + slots) * _seatFee(j.maxPrice);
    }

    function _seatFee(uint256 maxPrice) private view returns (uint256) {
        return maxPrice > minSeatFee ? maxPrice : minSeatFee;
    }

    /// @inheritdoc ICourt
    function caseOf(bytes32 jobId) external view returns (Case memory) {
        return _cases[jobId];
    }

    /// @inheritdoc ICourt
    function jurorsOf(bytes32 jobId, uint8 round) external view returns (address[] memory) {
        return _jurors[jobId][round];
    }

    /// @inheritdoc ICourt
    function voteOf(bytes32 jobId, uint8 round, address juror) external view returns (Vote memory) {
        return _votes[jobId][round][juror];
    }

    /// @inheritdoc ICourt
    function claimedOn(bytes32 jobId, bytes32 digest) external view returns (uint256) {
        return _claimed[jobId][digest];
    }

    /// @inheritdoc ICourt
    function bondOf(bytes32 jobId, address account, bytes32 digest) external view returns (uint256) {
        return _bonds[jobId][account][digest];
    }

    /// @notice Sets how long jurors have to commit, to reveal, and the losing side to appeal.
    function setVoteWindow(uint64 window) external onlyOwner {
        _setVoteWindow(window);
    }

    /// @notice Sets the least fee a seat is paid (and bonds are priced at) and the collateral a
    /// seat locks; cases already open keep theirs.
    function setSeatTerms(uint256 minSeatFee_, uint256 seatCollateral_) external onlyOwner {
        _setSeatTerms(minSeatFee_, seatCollateral_);
    }

    function _setSeatTerms(uint256 minSeatFee_, uint256 seatCollateral_) private {
        if (minSeatFee_ == 0 || minSeatFee_ > MAX_MIN_SEAT_FEE) {
            revert ParameterOutOfRange(minSeatFee_, 1, MAX_MIN_SEAT_FEE);
        }
        if (seatCollateral_ < MIN_SEAT_COLLATERAL || seatCollateral_ > MAX_SEAT_COLLATERAL) {
            revert ParameterOutOfRange(seatCollateral_, MIN_SEAT_COLLATERAL, MAX_SEAT_COLLATERAL);
        }
        (minSeatFee, seatCollateral) = (minSeatFee_, seatCollateral_);
        emit SeatTermsChanged(minSeatFee_, seatCollateral_);
    }

    function _setVoteWindow(uint64 window) private {
        if (window < MIN_VOTE_WINDOW || window > MAX_VOTE_WINDOW) {
            revert ParameterOutOfRange(window, MIN_VOTE_WINDOW, MAX_VOTE_WINDOW);
        }
        emit VoteWindowChanged(voteWindow, window);
        voteWindow = window;
    }

    function _voting(bytes32 jobId) private view returns (Case storage c) {
        c = _cases[jobId];
        if (c.phase != Phase.Voting) revert WrongPhase(jobId, c.phase);
    }

    function _seat(bytes32 jobId, uint8 round) private view returns (Vote storage v) {
        v = _votes[jobId][round][msg.sender];
        if (v.seats == 0) revert NotJuror(jobId, round, msg.sender);
    }

    /// @dev A revealing juror at the ruling: another digest is slashed ("unavailable" only
    /// released); the ruling is paid where its round's majority named it and the juror's
    /// checkpoint is that majority's, slashed where the checkpoint differs, and only released
    /// where its round had no such majority (no checkpoint to hold it to: a juror who copied the
    /// digest must not be paid for it).
    function _standing(bytes32 jobId, uint8 round, Vote storage v, bytes32 ruling, bytes32 unavailable)
        private
        view
        returns (Standing)
    {
        if (v.digest != ruling) return v.digest == unavailable ? Standing.Released : Standing.Slashed;
        Tally storage t = _tallies[jobId][round];
        if (!t.majority || t.digest != ruling) return Standing.Released;
        return v.checkpoint == t.checkpoint ? Standing.Paid : Standing.Slashed;
    }

    function _revealed(bytes32 jobId, IJobMarket.Job memory j, uint8 index) private view returns (bool, bytes32) {
        if (j.revealedMask & (1 << index) == 0) return (false, bytes32(0));
        return (true, market.slot(jobId, index).sealed_);
    }

    /// @dev The digest of a provisional job: its reveals are unanimous, so the first one's.
    function _outcome(bytes32 jobId, IJobMarket.Job memory j) private view returns (bytes32) {
        for (uint8 i; i < j.locked; ++i) {
            (bool revealed, bytes32 digest) = _revealed(jobId, j, i);
            if (revealed) return digest;
        }
        return bytes32(0);
    }

    function _unavailable() private view returns (bytes32) {
        return market.UNAVAILABLE();
    }

    function _contains(address[] memory list, uint256 n, address a) private pure returns (bool) {
        return _indexOf(list, n, a) < n;
    }

    function _indexOf(address[] memory list, uint256 n, address a) private pure returns (uint256 i) {
        while (i < n && list[i] != a) ++i;
    }

    function _min(uint256 x, uint256 y) private pure returns (uint256) {
        return x < y ? x : y;
    }
}
