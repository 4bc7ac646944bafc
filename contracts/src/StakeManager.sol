// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IAgoraToken} from "./interfaces/IAgoraToken.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {StakePool} from "./libraries/StakePool.sol";

/// @title StakeManager
/// @notice Holds workers' stake in AGR, and the pool from which rounds of jurors are drawn by
/// stake. Parameters belong to one owner with a two-step transfer, so a governor and timelock can
/// own them.
contract StakeManager is IStakeManager, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using StakePool for StakePool.Pool;
    using Checkpoints for Checkpoints.Trace208;

    struct Account {
        uint128 free;
        uint128 locked;
        uint128 unbonding;
        uint40 readyAt;
        uint8 region;
        uint8 pendingRegion;
        uint40 regionEffectiveAt; // 0: no pending change
        bool declared;
        uint8 poolRegion; // the region whose pool holds `weight`
        // Bonded stake (free + locked) is `weight`, counted in the pool, plus `maturing`, which
        // counts once it is as old as the unbonding delay (and the account holds the minimum).
        uint128 weight;
        uint128 maturing;
        uint40 maturesAt;
        uint32 leaf; // the account's place in the pools; 0: none yet
    }

    uint16 private constant BPS = 10_000;
    /// @notice Bounds on the owner's parameters: at least half of every slash compensates the
    /// wronged; stake can always leave, within a quarter of a year; the minimum stake is real.
    uint16 public constant MAX_BURN_BPS = 5_000;
    uint64 public constant MIN_UNBONDING_DELAY = 60;
    uint64 public constant MAX_UNBONDING_DELAY = 90 days;
    uint256 public constant MIN_MIN_STAKE = 1 ether;
    uint256 public constant MAX_MIN_STAKE = 1_000_000 ether;

    IAgoraToken public immutable token;
    /// @inheritdoc IStakeManager
    address public market;
    /// @inheritdoc IStakeManager
    address public court;
    /// @inheritdoc IStakeManager
    uint16 public burnBps;
    /// @inheritdoc IStakeManager
    uint64 public unbondingDelay;
    /// @inheritdoc IStakeManager
    uint256 public minStake;
    /// @inheritdoc IStakeManager
    uint256 public totalStaked;

    mapping(address worker => Account) private _accounts;
    mapping(uint8 region => StakePool.Pool) private _pools;
    // Who holds each place in the pools, with its history: a place given back (its holder's
    // bonded stake reached zero) is taken by the next account, and a draw at a past block still
    // finds the holder of that block.
    mapping(uint256 leaf => Checkpoints.Trace208 holder) private _holders;
    uint256 private _leaves;
    uint32[] private _freeLeaves;

    modifier onlyMarket() {
        if (msg.sender != market && msg.sender != court) revert OnlyMarket(msg.sender);
        _;
    }

    constructor(IAgoraToken token_, address owner_, uint16 burnBps_, uint64 unbondingDelay_, uint256 minStake_)
        Ownable(owner_)
    {
        token = token_;
        _setBurnShare(burnBps_);
        _setUnbondingDelay(unbondingDelay_);
        _setMinStake(minStake_);
    }

    // -- workers ---------------------------------------------------------------------------------

    /// @inheritdoc IStakeManager
    function stake(uint256 amount, uint8 region) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Account storage a = _accounts[msg.sender];
        a.free += uint128(amount);
        totalStaked += amount;
        emit Staked(msg.sender, amount);
        _declare(a, region);
        _refreshPool(a, msg.sender); // what has matured counts before the new stake starts maturing
        a.maturing += uint128(amount);
        a.maturesAt = uint40(block.timestamp + unbondingDelay);
        IERC20(address(token)).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IStakeManager
    function declareRegion(uint8 region) external {
        _declare(_accounts[msg.sender], region);
    }

    /// @inheritdoc IStakeManager
    function requestUnstake(uint256 amount) external {
        Account storage a = _accounts[msg.sender];
        if (amount == 0 || amount > a.free) revert InsufficientFreeStake(msg.sender, amount, a.free);
        a.free -= uint128(amount);
        a.unbonding += uint128(amount);
        a.readyAt = uint40(block.timestamp + unbondingDelay);
        _unbond(a, msg.sender, amount);
        emit UnstakeRequested(msg.sender, amount, a.readyAt);
    }

    /// @inheritdoc IStakeManager
    function withdraw() external nonReentrant {
        Account storage a = _accounts[msg.sender];
        uint256 amount = a.unbonding;
        if (amount == 0 || block.timestamp < a.readyAt) revert NothingToWithdraw(msg.sender, amount, a.readyAt);
        a.unbonding = 0;
        totalStaked -= amount;
        emit Withdrawn(msg.sender, amount);
        IERC20(address(token)).safeTransfer(msg.sender, amount);
    }

    // -- the market ------------------------------------------------------------------------------

    /// @inheritdoc IStakeManager
    function lockCollateral(address worker, bytes32 jobId, uint256 amount) external onlyMarket {
        Account storage a = _accounts[worker];
        uint256 total = uint256(a.free) + a.locked + a.unbonding;
        if (total < minStake) revert StakeBelowMinimum(worker, total, minStake);
        if (amount > a.free) revert InsufficientFreeStake(worker, amount, a.free);
        a.free -= uint128(amount);
        a.locked += uint128(amount);
        emit CollateralLocked(worker, jobId, amount);
    }

    /// @inheritdoc IStakeManager
    function releaseCollateral(address worker, bytes32 jobId, uint256 amount) external onlyMarket {
        Account storage a = _accounts[worker];
        a.locked -= uint128(amount);
        a.free += uint128(amount);
        emit CollateralReleased(worker, jobId, amount);
    }

    /// @inheritdoc IStakeManager
    function slash(address worker, bytes32 jobId, uint256 amount, SlashReason reason, address beneficiary)
        external
        onlyMarket
        nonReentrant
        returns (uint256 taken)
    {
        Account storage a = _accounts[worker];
        // Locked collateral first, then free stake, then stake still unbonding.
        uint256 part = _min(amount, a.locked);
        a.locked -= uint128(part);
        taken = part;
        part = _min(amount - taken, a.free);
        a.free -= uint128(part);
        taken += part;
        _unbond(a, worker, taken); // locked and free stake are bonded; unbonding stake left the pool
        part = _min(amount - taken, a.unbonding);
        a.unbonding -= uint128(part);
        taken += part;
        totalStaked -= taken;
        uint256 burned = taken * burnBps / BPS;
        emit Slashed(worker, jobId, taken, burned, reason, beneficiary);
        if (burned > 0) token.burn(burned);
        if (taken > burned) IERC20(address(token)).safeTransfer(beneficiary, taken - burned);
    }

    // -- the juror pool ---------------------------------------------------------------------------

    /// @inheritdoc IStakeManager
    function activate(address worker) external {
        Account storage a = _accounts[worker];
        if (!_refreshPool(a, worker)) revert NothingToActivate(worker, a.maturing, a.maturesAt);
    }

    /// @inheritdoc IStakeManager
    function poolWeightOf(address worker)
        external
        view
        returns (uint256 weight, uint256 maturing, uint256 maturesAt, uint8 region)
    {
        Account storage a = _accounts[worker];
        return (a.weight, a.maturing, a.maturesAt, a.poolRegion);
    }

    /// @inheritdoc IStakeManager
    function poolTotal(uint32 regions, uint256 atBlock) external view returns (uint256 total) {
        uint48 at = _past(atBlock);
        for (uint8 r; r < 32; ++r) {
            if (regions == 0 || (regions >> r) & 1 != 0) total += _pools[r].totalAt(at);
        }
    }

    /// @inheritdoc IStakeManager
    function drawJuror(uint32 regions, uint256 atBlock, uint256 seed) external view returns (address) {
        uint48 at = _past(atBlock);
        uint256[32] memory totals;
        uint256 total;
        for (uint8 r; r < 32; ++r) {
            if (regions == 0 || (regions >> r) & 1 != 0) {
                totals[r] = _pools[r].totalAt(at);
                total += totals[r];
            }
        }
        if (total == 0) return address(0);
        uint256 point = seed % total;
        for (uint8 r; r < 32; ++r) {
            if (point < totals[r]) return address(uint160(_holders[_pools[r].find(at, point)].upperLookupRecent(at)));
            point -= totals[r];
        }
        return address(0); // unreachable: point < total
    }

    // -- views -----------------------------------------------------------------------------------

    /// @inheritdoc IStakeManager
    function stakeOf(address worker) external view returns (uint256, uint256, uint256) {
        Account storage a = _accounts[worker];
        return (a.free, a.locked, a.unbonding);
    }

    /// @inheritdoc IStakeManager
    function unbondingReadyAt(address worker) external view returns (uint256) {
        return _accounts[worker].readyAt;
    }

    /// @inheritdoc IStakeManager
    function regionOf(address worker) public view returns (uint8, bool) {
        Account storage a = _accounts[worker];
        if (a.regionEffectiveAt != 0 && block.timestamp >= a.regionEffectiveAt) return (a.pendingRegion, true);
        return (a.region, a.declared);
    }

    // -- parameters (owner) ----------------------------------------------------------------------

    /// @notice Sets the market once; from then on only it may lock, release and slash.
    function setMarket(address market_) external onlyOwner {
        if (market != address(0)) revert MarketAlreadySet(market);
        market = market_;
        emit MarketSet(market_);
    }

    /// @notice Sets the court once; from then on it may lock, release and slash jurors' stake.
    function setCourt(address court_) external onlyOwner {
        if (court != address(0)) revert MarketAlreadySet(court);
        court = court_;
        emit CourtSet(court_);
    }

    /// @notice Sets the share of each slash that is burned, in basis points (at most 50%).
    function setBurnShare(uint16 bps) external onlyOwner {
        _setBurnShare(bps);
    }

    /// @notice Sets the unbonding delay (also the delay before a region change takes effect, and
    /// the age stake needs to count in the juror pool): 60 s .. 90 days.
    function setUnbondingDelay(uint64 delay) external onlyOwner {
        _setUnbondingDelay(delay);
    }

    /// @notice Sets the minimum total stake a worker needs to lock a job: 1 .. 1,000,000 AGR.
    function setMinStake(uint256 minimum) external onlyOwner {
        _setMinStake(minimum);
    }

    function _setBurnShare(uint16 bps) private {
        _checkRange(bps, 0, MAX_BURN_BPS);
        emit BurnShareChanged(burnBps, bps);
        burnBps = bps;
    }

    function _setUnbondingDelay(uint64 delay) private {
        _checkRange(delay, MIN_UNBONDING_DELAY, MAX_UNBONDING_DELAY);
        emit UnbondingDelayChanged(unbondingDelay, delay);
        unbondingDelay = delay;
    }

    function _setMinStake(uint256 minimum) private {
        _checkRange(minimum, MIN_MIN_STAKE, MAX_MIN_STAKE);
        emit MinStakeChanged(minStake, minimum);
        minStake = minimum;
    }

    function _checkRange(uint256 value, uint256 minimum, uint256 maximum) private pure {
        if (value < minimum || value > maximum) revert ParameterOutOfRange(value, minimum, maximum);
    }

    function _declare(Account storage a, uint8 region) private {
        if (region > 31) revert InvalidRegion(region);
        (uint8 current, bool declared) = regionOf(msg.sender);
        if (declared && current == region && a.regionEffectiveAt == 0) return;
        if (!declared) {
            // A first declaration takes effect at once: there is no earlier promise to keep.
            (a.region, a.declared, a.regionEffectiveAt) = (region, true, 0);
            emit RegionDeclared(msg.sender, region, block.timestamp);
        } else {
            (a.region, a.pendingRegion) = (current, region);
            a.regionEffectiveAt = uint40(block.timestamp + unbondingDelay);
            emit RegionDeclared(msg.sender, region, a.regionEffectiveAt);
        }
    }

    /// @dev Moves the account's pool weight to the region now in effect, and counts its maturing
    /// stake once it is old enough (and the account holds the minimum stake and has, or can get, a
    /// place in the pools). Returns whether anything changed.
    function _refreshPool(Account storage a, address worker) private returns (bool changed) {
        (uint8 region,) = regionOf(worker);
        if (region != a.poolRegion) {
            if (a.weight > 0) {
                _pools[a.poolRegion].sub(a.leaf, a.weight);
                _pools[region].add(a.leaf, a.weight);
                changed = true;
            }
            a.poolRegion = region;
        }
        uint256 maturing = a.maturing;
        if (maturing > 0 && block.timestamp >= a.maturesAt && a.weight + maturing >= minStake) {
            if (a.leaf == 0) {
                uint32 leaf;
                if (_freeLeaves.length > 0) {
                    leaf = _freeLeaves[_freeLeaves.length - 1];
                    _freeLeaves.pop();
                } else if (_leaves < StakePool.CAPACITY) {
                    leaf = uint32(++_leaves);
                } else {
                    return changed; // every place held by bonded stake: it stays maturing
                }
                a.leaf = leaf;
                // slither-disable-next-line unused-return
                _holders[leaf].push(uint48(block.number), uint208(uint160(worker)));
            }
            _pools[region].add(a.leaf, maturing);
            a.weight += uint128(maturing);
            a.maturing = 0;
            changed = true;
        }
        if (changed) emit PoolWeightChanged(worker, region, a.weight);
    }

    /// @dev `amount` of bonded stake left (unstaked or slashed): from maturing stake first.
    function _unbond(Account storage a, address worker, uint256 amount) private {
        uint256 part = _min(amount, a.maturing);
        a.maturing -= uint128(part);
        part = amount - part;
        if (part == 0) return;
        a.weight -= uint128(part);
        _pools[a.poolRegion].sub(a.leaf, part);
        emit PoolWeightChanged(worker, a.poolRegion, a.weight);
        if (a.weight == 0 && a.maturing == 0) {
            // Nothing bonded is left: the place goes back, so places cannot be used up by
            // recycling the same minimum stake through new addresses.
            _freeLeaves.push(a.leaf);
            a.leaf = 0;
        }
    }

    function _past(uint256 atBlock) private view returns (uint48) {
        if (atBlock >= block.number) revert SnapshotNotPast(atBlock, block.number);
        return uint48(atBlock);
    }

    function _min(uint256 x, uint256 y) private pure returns (uint256) {
        return x < y ? x : y;
    }
}
