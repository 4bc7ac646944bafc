// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Stake manager
/// @notice Workers' stake: free, locked as job collateral, or unbonding. Only the market (and the
/// court, for jurors' seats) locks, releases and slashes. Stake that is unbonding stays slashable until it is withdrawn.
/// Bonded stake (free + locked) that is at least as old as the unbonding delay is the account's
/// weight in the juror pool of its region, from which dispute rounds are drawn as the pool was at
/// a past block (so stake moved after that block changes nothing).
interface IStakeManager {
    /// @notice Why a worker was slashed.
    enum SlashReason {
        WrongResult,
        NoReveal,
        DeadlineMissed,
        InvalidProof,
        LostDispute
    }

    /// @notice Only the market (or, for jurors, the court) may call this.
    error OnlyMarket(address caller);
    /// @notice The market (or the court) was already set.
    error MarketAlreadySet(address market);
    /// @notice An amount of zero, or one too large for the worker's free stake.
    error InsufficientFreeStake(address worker, uint256 requested, uint256 free);
    /// @notice The worker's total stake is below the minimum.
    error StakeBelowMinimum(address worker, uint256 stake, uint256 minimum);
    /// @notice Nothing is unbonding, or not yet withdrawable.
    error NothingToWithdraw(address worker, uint256 unbonding, uint256 readyAt);
    /// @notice A region index outside 0..31.
    error InvalidRegion(uint8 region);
    /// @notice An owner-set parameter outside the bounds the contract allows.
    error ParameterOutOfRange(uint256 value, uint256 minimum, uint256 maximum);
    /// @notice A zero amount.
    error ZeroAmount();
    /// @notice `activate` had nothing to do: no stake has matured (or the account holds less than
    /// the minimum), and its pool region is the one in effect.
    error NothingToActivate(address worker, uint256 maturing, uint256 maturesAt);
    /// @notice Draws read the pool at a block that has ended.
    error SnapshotNotPast(uint256 atBlock, uint256 currentBlock);

    /// @notice `worker` added `amount` to its free stake.
    event Staked(address indexed worker, uint256 amount);
    /// @notice `worker` declared `region`, effective at `effectiveAt`.
    event RegionDeclared(address indexed worker, uint8 region, uint256 effectiveAt);
    /// @notice `amount` moved from free to unbonding, withdrawable at `readyAt`.
    event UnstakeRequested(address indexed worker, uint256 amount, uint256 readyAt);
    /// @notice `worker` withdrew `amount` of unbonded stake.
    event Withdrawn(address indexed worker, uint256 amount);
    /// @notice `amount` of `worker`'s free stake was locked as collateral for `jobId`.
    event CollateralLocked(address indexed worker, bytes32 indexed jobId, uint256 amount);
    /// @notice `amount` of collateral for `jobId` returned to `worker`'s free stake.
    event CollateralReleased(address indexed worker, bytes32 indexed jobId, uint256 amount);
    /// @notice `worker` lost `amount` for `jobId`: `burned` destroyed, the rest sent to `beneficiary`.
    event Slashed(
        address indexed worker,
        bytes32 indexed jobId,
        uint256 amount,
        uint256 burned,
        SlashReason reason,
        address beneficiary
    );
    /// @notice `worker`'s weight in the juror pool of `region` is now `weight`.
    event PoolWeightChanged(address indexed worker, uint8 region, uint256 weight);
    /// @notice The market that may lock, release and slash was set.
    event MarketSet(address market);
    /// @notice The court that may lock, release and slash jurors' stake was set.
    event CourtSet(address court);
    /// @notice The share of each slash that is burned changed.
    event BurnShareChanged(uint16 oldBps, uint16 newBps);
    /// @notice The unbonding delay changed.
    event UnbondingDelayChanged(uint64 oldDelay, uint64 newDelay);
    /// @notice The minimum stake to lock a job changed.
    event MinStakeChanged(uint256 oldMinimum, uint256 newMinimum);

    /// @notice Adds `amount` (pulled from the caller) to its free stake and declares `region`.
    function stake(uint256 amount, uint8 region) external;
    /// @notice Declares a new region; it takes effect after the unbonding delay.
    function declareRegion(uint8 region) external;
    /// @notice Moves `amount` of free stake into unbonding (it stays slashable).
    function requestUnstake(uint256 amount) external;
    /// @notice Withdraws all unbonded stake once the delay has passed.
    function withdraw() external;

    /// @notice Locks `amount` of `worker`'s free stake for `jobId` (market only).
    function lockCollateral(address worker, bytes32 jobId, uint256 amount) external;
    /// @notice Returns `amount` of locked collateral for `jobId` to free stake (market only).
    function releaseCollateral(address worker, bytes32 jobId, uint256 amount) external;
    /// @notice Takes up to `amount` from `worker` (locked, then free, then unbonding), burns the
    /// burn share and sends the rest to `beneficiary` (market only). Returns what was taken.
    function slash(address worker, bytes32 jobId, uint256 amount, SlashReason reason, address beneficiary)
        external
        returns (uint256);

    /// @notice Counts `worker`'s matured stake in the juror pool and moves its weight to the region
    /// now in effect (anyone may call; staking does it too).
    function activate(address worker) external;
    /// @notice `worker`'s weight in the pool, stake still maturing and when it matures, and the
    /// region whose pool holds it.
    function poolWeightOf(address worker)
        external
        view
        returns (uint256 weight, uint256 maturing, uint256 maturesAt, uint8 region);
    /// @notice The pool's total weight within `regions` (0: every region) at the end of `atBlock`.
    function poolTotal(uint32 regions, uint256 atBlock) external view returns (uint256);
    /// @notice The account whose weight covers `seed` modulo the pool's total within `regions` as it
    /// was at the end of `atBlock` (a past block); the zero address when that pool was empty.
    function drawJuror(uint32 regions, uint256 atBlock, uint256 seed) external view returns (address);

    /// @notice free, locked and unbonding stake of `worker`.
    function stakeOf(address worker) external view returns (uint256 free, uint256 locked, uint256 unbonding);
    /// @notice When `worker`'s unbonding stake can be withdrawn.
    function unbondingReadyAt(address worker) external view returns (uint256);
    /// @notice `worker`'s region now in effect, and whether it declared one.
    function regionOf(address worker) external view returns (uint8 region, bool declared);
    /// @notice Sum of every worker's free, locked and unbonding stake.
    function totalStaked() external view returns (uint256);
    /// @notice Parameters.
    function burnBps() external view returns (uint16);
    function unbondingDelay() external view returns (uint64);
    function minStake() external view returns (uint256);
    function market() external view returns (address);
    function court() external view returns (address);
}
