// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title Agora token (AGR)
/// @notice ERC-20 with EIP-2612 permit. Jobs are priced, escrowed and staked in it.
interface IAgoraToken is IERC20, IERC20Permit {
    /// @notice The faucet was called on a chain that is not a development chain.
    /// @param chainId The chain the call was made on.
    error FaucetDisabled(uint256 chainId);

    /// @notice The faucet was asked for more than one drip may give.
    /// @param requested The amount asked for.
    /// @param limit The most one call may mint.
    error FaucetLimitExceeded(uint256 requested, uint256 limit);

    /// @notice Tokens were minted by the faucet.
    /// @param to The account funded.
    /// @param amount The amount minted.
    event FaucetDripped(address indexed to, uint256 amount);

    /// @notice Mints `amount` to `to`; only on development chains (chain id 31337 or 1337).
    function faucet(address to, uint256 amount) external;

    /// @notice The most one faucet call may mint.
    function FAUCET_LIMIT() external view returns (uint256);

    /// @notice Whether the faucet works on the current chain.
    function faucetEnabled() external view returns (bool);

    /// @notice Destroys `amount` of the caller's tokens (total supply falls by as much).
    function burn(uint256 amount) external;
}
