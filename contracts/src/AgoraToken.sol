// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IAgoraToken} from "./interfaces/IAgoraToken.sol";

/// @title AgoraToken
/// @notice The marketplace's ERC-20 (AGR), with EIP-2612 permit, burning (the burned share of
/// every slash) and a development-chain faucet.
contract AgoraToken is ERC20, ERC20Burnable, ERC20Permit, IAgoraToken {
    /// @inheritdoc IAgoraToken
    uint256 public constant FAUCET_LIMIT = 1_000_000 ether;

    /// @param initialHolder Receives `initialSupply` at deployment.
    /// @param initialSupply Tokens minted at deployment.
    constructor(address initialHolder, uint256 initialSupply) ERC20("Agora", "AGR") ERC20Permit("Agora") {
        _mint(initialHolder, initialSupply);
    }

    /// @inheritdoc IAgoraToken
    function faucet(address to, uint256 amount) external {
        if (!faucetEnabled()) revert FaucetDisabled(block.chainid);
        if (amount > FAUCET_LIMIT) revert FaucetLimitExceeded(amount, FAUCET_LIMIT);
        _mint(to, amount);
        emit FaucetDripped(to, amount);
    }

    /// @inheritdoc IAgoraToken
    function faucetEnabled() public view returns (bool) {
        // Only the chain ids that development nodes use: a faucet on a public chain would be a mint.
        return block.chainid == 31337 || block.chainid == 1337;
    }

    /// @inheritdoc IAgoraToken
    function burn(uint256 amount) public override(ERC20Burnable, IAgoraToken) {
        super.burn(amount);
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }
}
