// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IAgoraToken} from "./interfaces/IAgoraToken.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title StakeManager
/// @notice Holds workers' stake in AGR. Parameters belong to one owner with a two-step transfer,
/// so a governor and timelock can own them.
contract StakeManager is IStakeManager, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    struct Account {
        uint128 free;
        uint128 locked;
        uint128 unbonding;
        uint40 readyAt;
        uint8 region;
        uint8 pendingRegion;
        uint40 regionEffectiveAt; // 0: no pending change
        bool declared;
    }

    uint16 private constant BPS = 10_000;

    IAgoraToken public immutable token;
    /// @inheritdoc IStakeManager
    address public market;
    /// @inheritdoc IStakeManager
    uint16 public burnBps;
    /// @inheritdoc IStakeManager
    uint64 public unbondingDelay;
    /// @inheritdoc IStakeManager
    uint256 public minStake;
    /// @inheritdoc IStakeManager
    uint256 public totalStaked;

    mapping(address worker => Account) private _accounts;

    modifier onlyMarket() {
        if (msg.sender != market) revert OnlyMarket(msg.sender);
        _;
    }

    constructor(IAgoraToken token_, address owner_, uint16 burnBps_, uint64 unbondingDelay_, uint256 minStake_)
        Ownable(owner_)
    {
        if (burnBps_ > BPS) revert InvalidBurnShare(burnBps_);
        token = token_;
        burnBps = burnBps_;
        unbondingDelay = unbondingDelay_;
        minStake = minStake_;
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
        part = _min(amount - taken, a.unbonding);
        a.unbonding -= uint128(part);
        taken += part;
        totalStaked -= taken;
        uint256 burned = taken * burnBps / BPS;
        emit Slashed(worker, jobId, taken, burned, reason, beneficiary);
        if (burned > 0) token.burn(burned);
        if (taken > burned) IERC20(address(token)).safeTransfer(beneficiary, taken - burned);
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

    /// @notice Sets the share of each slash that is burned, in basis points.
    function setBurnShare(uint16 bps) external onlyOwner {
        if (bps > BPS) revert InvalidBurnShare(bps);
        emit BurnShareChanged(burnBps, bps);
        burnBps = bps;
    }

    /// @notice Sets the unbonding delay (also the delay before a region change takes effect).
    function setUnbondingDelay(uint64 delay) external onlyOwner {
        emit UnbondingDelayChanged(unbondingDelay, delay);
        unbondingDelay = delay;
    }

    /// @notice Sets the minimum total stake a worker needs to lock a job.
    function setMinStake(uint256 minimum) external onlyOwner {
        emit MinStakeChanged(minStake, minimum);
        minStake = minimum;
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

    function _min(uint256 x, uint256 y) private pure returns (uint256) {
        return x < y ? x : y;
    }
}
