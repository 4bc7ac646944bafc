// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Court
/// @notice Decides disputed redundant jobs by rounds of jurors drawn by stake from the juror pool.
/// A job comes here when its reveals disagree (the market opens the case) or when anyone disputes
/// its provisional outcome within the challenge window with a bond naming another digest. Each
/// round is drawn from the pool as it was when the round was asked for, seeded by the hash of a
/// block fixed at that moment and read later; jurors commit and then reveal the digest and the
/// runtime's state digest at a fuel checkpoint derived from the seed. The round's strict majority
/// decides; without one a larger round follows (3, 7, 15 seats), and a ruling may be appealed by
/// anyone naming another digest until the last round, which binds. Whatever digest the deciding
/// round names is the result, for everyone: slot holders, jurors and bonds. See docs/protocol.md.
interface ICourt {
    /// @dev `Drawing`: waiting for the seed block, then `draw`. `Voting`: jurors commit, then reveal.
    /// `Ruled`: a round's majority decided; appealable until `appealDeadline`. `Decided`: final,
    /// bonds claimable. `Void`: no round could decide; bonds refundable.
    enum Phase {
        None,
        Drawing,
        Voting,
        Ruled,
        Decided,
        Void
    }

    /// @notice A disputed job's case.
    struct Case {
        Phase phase;
        uint8 round; // 0, 1, 2: 3, 7 and 15 seats
        uint8 redraws; // draws of this round that could not fill its seats (a new seed each time)
        uint32 regions; // the job's regions: jurors are drawn within them
        uint40 poolBlock; // the pool is read as it was at the end of this block
        uint40 seedBlock; // the hash of this block seeds the draw
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint40 appealDeadline;
        uint64 checkpointFuel; // jurors reveal the runtime's state digest after this much fuel
        bytes32 ruling; // the last round's majority digest
        uint96 fee; // paid per coherent seat: the job's maxPrice, at least the court's floor
        uint96 collateral; // locked per seat: the court's seat collateral (not the job's choice)
        uint256 pot; // slashes and losing bonds received, to pay the winners
        uint256 bonds; // every bond posted, any digest
        uint256 winnersShare; // after the ruling: what the winning claims share, pro rata
    }

    /// @notice One juror's seats and vote in one round.
    struct Vote {
        uint8 seats;
        bool revealed;
        bytes32 commitment; // keccak256(abi.encode(digest, checkpoint, salt, juror))
        bytes32 digest;
        bytes32 checkpoint;
    }

    /// @notice Only the market may call this.
    error OnlyMarket(address caller);
    /// @notice The case is not in the phase this call needs.
    error WrongPhase(bytes32 jobId, Phase phase);
    /// @notice The seed block has not been mined yet.
    error SeedNotReady(bytes32 jobId, uint256 seedBlock, uint256 currentBlock);
    /// @notice A dispute must name a digest other than the outcome it disputes.
    error SameDigest(bytes32 jobId, bytes32 digest);
    /// @notice No bond joins a round once any of its votes is revealed.
    error VotesRevealed(bytes32 jobId, uint8 round);
    /// @notice A zero commitment (it would let a juror commit again and open reveals early).
    error EmptyCommitment(bytes32 jobId);
    /// @notice Bonds name results: the "unavailable" sentinel is a claim that can never be ruled.
    error NotAResult(bytes32 jobId, bytes32 digest);
    /// @notice A bond below what the round it may cause costs.
    error BondTooSmall(bytes32 jobId, uint256 amount, uint256 minimum);
    /// @notice The appeal window of the ruling has closed, or the last round was decided.
    error AppealClosed(bytes32 jobId, uint256 appealDeadline, uint256 now_);
    /// @notice The caller holds no seat in the current round.
    error NotJuror(bytes32 jobId, uint8 round, address caller);
    /// @notice Votes are committed until the commit deadline.
    error VoteCommitClosed(bytes32 jobId, uint256 commitDeadline, uint256 now_);
    /// @notice This juror already committed (or revealed) in this round.
    error VoteAlreadyCast(bytes32 jobId, address juror);
    /// @notice Reveals open once every juror committed or the commit deadline passed.
    error VoteRevealNotOpen(bytes32 jobId, uint256 commitDeadline, uint256 now_);
    /// @notice The reveal deadline passed.
    error VoteRevealClosed(bytes32 jobId, uint256 revealDeadline, uint256 now_);
    /// @notice The revealed vote does not match the commitment.
    error VoteMismatch(bytes32 jobId, address juror);
    /// @notice Too early to count the votes or to make the ruling final.
    error NotYet(bytes32 jobId, uint256 due, uint256 now_);
    /// @notice Nothing to claim for this account in this case.
    error NothingToClaim(bytes32 jobId, address account);
    /// @notice The job's audit is not waiting to be scheduled or decided (see `IJobMarket.Job.audit`).
    error NotAuditable(bytes32 jobId, uint32 audit);
    /// @notice Slots may still be taken: the audit is scheduled when locking ends.
    error LockingOpen(bytes32 jobId, uint256 lockDeadline, uint256 now_);
    /// @notice An auditor could no longer compute in time: the audit lapsed (its fee is refunded).
    error AuditClosed(bytes32 jobId, uint256 deadline, uint256 now_);
    /// @notice An owner-set parameter outside its bounds.
    error ParameterOutOfRange(uint256 value, uint256 minimum, uint256 maximum);

    /// @notice `round` of `jobId`'s case will be drawn from the pool as it was at the end of
    /// `poolBlock`, seeded by the hash of `seedBlock` (again, later, when that hash aged out unread).
    event RoundScheduled(bytes32 indexed jobId, uint8 round, uint256 poolBlock, uint256 seedBlock);
    /// @notice `account` bonded `amount` on `digest` (an appeal when it starts a new round).
    event Disputed(bytes32 indexed jobId, address indexed account, bytes32 digest, uint256 amount, uint8 round);
    /// @notice `juror` holds `seats` seats in `round`.
    event JurorDrawn(bytes32 indexed jobId, address indexed juror, uint8 round, uint8 seats);
    /// @notice A round was drawn: jurors commit by `commitDeadline` and reveal by `revealDeadline`
    /// the digest and the state digest after `checkpointFuel`.
    event RoundDrawn(
        bytes32 indexed jobId,
        uint8 round,
        uint8 seats,
        uint64 checkpointFuel,
        uint256 commitDeadline,
        uint256 revealDeadline
    );
    /// @notice `juror` committed its vote.
    event VoteCommitted(bytes32 indexed jobId, address indexed juror, uint8 round);
    /// @notice `juror` revealed its vote.
    event VoteRevealed(bytes32 indexed jobId, address indexed juror, uint8 round, bytes32 digest, bytes32 checkpoint);
    /// @notice A round's votes were counted: `majority` is false when no pair of digest and
    /// checkpoint held more than half the seats (a larger round follows, or the case is void).
    event RoundResolved(bytes32 indexed jobId, uint8 round, bool majority, bytes32 digest, uint256 appealDeadline);
    /// @notice The case is final: `digest` is the job's result.
    event CaseDecided(bytes32 indexed jobId, bytes32 digest, uint256 pot, uint256 jurorFees, uint256 winnersShare);
    /// @notice No round could be drawn or decide: the job is void, bonds go back.
    event CaseVoid(bytes32 indexed jobId, uint8 round);
    /// @notice `juror` was paid `amount` for its coherent seats.
    event JurorPaid(bytes32 indexed jobId, address indexed juror, uint256 amount);
    /// @notice `account` received `amount` for its claim (a winning bond or slot, or a refund).
    event ClaimPaid(bytes32 indexed jobId, address indexed account, uint256 amount);
    /// @notice The job's audit will be decided by the hash of `seedBlock` (again, later, when that
    /// hash aged out unread).
    event AuditScheduled(bytes32 indexed jobId, uint256 seedBlock);
    /// @notice `auditor` was drawn into the job's next slot: it commits and reveals like the others.
    event AuditorDrawn(bytes32 indexed jobId, address indexed auditor);
    /// @notice The job gets no auditor: not sampled, or (`sampled`) no eligible account was drawn.
    event AuditSkipped(bytes32 indexed jobId, bool sampled);
    /// @notice The vote window changed.
    event VoteWindowChanged(uint64 oldWindow, uint64 newWindow);
    /// @notice The least fee per seat, or the collateral a seat locks, changed.
    event SeatTermsChanged(uint256 minSeatFee, uint256 seatCollateral);

    /// @notice Market only: opens the case of a job whose reveals disagree.
    function open(bytes32 jobId) external;
    /// @notice Bonds `amount` (pulled from the caller) on `digest`. Disputes a provisional job
    /// within its challenge window (naming another digest), joins an open case's pool until its
    /// round's first vote is revealed, or appeals a ruling within its
    /// appeal window (naming another digest; a larger round is drawn).
    function dispute(bytes32 jobId, bytes32 digest, uint256 amount) external;
    /// @notice Moves a job's audit on (anyone; the market's first commit after the seed block does
    /// it too): schedules it when locking ended short of k slots, and once the seed block is mined
    /// samples it at the market's `auditBps` and draws the auditor by stake from the pool as it was
    /// before the seed was fixed, skipping slot holders and accounts that cannot back the job's
    /// collateral.
    function audit(bytes32 jobId) external;
    /// @notice Draws the round's seats once its seed block is mined (anyone).
    function draw(bytes32 jobId) external;
    /// @notice A drawn juror commits its vote.
    function commitVote(bytes32 jobId, bytes32 commitment) external;
    /// @notice A drawn juror reveals its vote.
    function revealVote(bytes32 jobId, bytes32 digest, bytes32 checkpoint, bytes32 salt) external;
    /// @notice Counts the round's votes once all revealed or the reveal deadline passed (anyone).
    function resolve(bytes32 jobId) external;
    /// @notice Makes a ruling final once its appeal window has passed (anyone).
    function finalize(bytes32 jobId) external;
    /// @notice Pays the caller's bonds of a decided (or void) case.
    function claimBond(bytes32 jobId) external;

    /// @notice The least bond that may cause round `round`: its seats' fees plus every slot's price
    /// (for the delay it imposes), at the job's maxPrice.
    function minBond(bytes32 jobId, uint8 round) external view returns (uint256);
    function caseOf(bytes32 jobId) external view returns (Case memory);
    function jurorsOf(bytes32 jobId, uint8 round) external view returns (address[] memory);
    function voteOf(bytes32 jobId, uint8 round, address juror) external view returns (Vote memory);
    /// @notice Everything bonded on `digest` (explicit bonds and the collateral of slots that revealed it).
    function claimedOn(bytes32 jobId, bytes32 digest) external view returns (uint256);
    function bondOf(bytes32 jobId, address account, bytes32 digest) external view returns (uint256);
    function voteWindow() external view returns (uint64);
    function minSeatFee() external view returns (uint256);
    function seatCollateral() external view returns (uint256);
}
