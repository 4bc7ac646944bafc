// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title StakePool
/// @notice Weights of up to `CAPACITY` accounts (leaves 1..CAPACITY) with their history, for
/// drawing an account at random in proportion to its weight *as it was at a past block*.
/// @dev A Fenwick tree whose every node is a checkpointed value keyed by block number: an update
/// writes at most 17 nodes, a total is one lookup, a draw descends 16 levels with one lookup
/// each. Because a draw reads the weights of a fixed past block, nothing done after that block
/// (staking, unstaking, slashing, in any order) changes who is drawn.
library StakePool {
    using Checkpoints for Checkpoints.Trace208;

    uint256 internal constant CAPACITY = 1 << 16;

    struct Pool {
        mapping(uint256 node => Checkpoints.Trace208) nodes;
    }

    /// @notice Adds `amount` to `leaf`'s weight from this block on.
    function add(Pool storage pool, uint256 leaf, uint256 amount) internal {
        uint48 key = uint48(block.number);
        for (uint256 i = leaf; i <= CAPACITY; i += i & (~i + 1)) {
            Checkpoints.Trace208 storage node = pool.nodes[i];
            // slither-disable-next-line unused-return
            node.push(key, node.latest() + uint208(amount));
        }
    }

    /// @notice Takes `amount` from `leaf`'s weight from this block on (it must hold that much).
    function sub(Pool storage pool, uint256 leaf, uint256 amount) internal {
        uint48 key = uint48(block.number);
        for (uint256 i = leaf; i <= CAPACITY; i += i & (~i + 1)) {
            Checkpoints.Trace208 storage node = pool.nodes[i];
            // slither-disable-next-line unused-return
            node.push(key, node.latest() - uint208(amount));
        }
    }

    /// @notice The sum of every weight at the end of block `at`.
    function totalAt(Pool storage pool, uint48 at) internal view returns (uint256) {
        return pool.nodes[CAPACITY].upperLookupRecent(at);
    }

    /// @notice The leaf whose share of the line 0..total covers `point` (`point` < `totalAt(at)`).
    function find(Pool storage pool, uint48 at, uint256 point) internal view returns (uint256 leaf) {
        uint256 position = 0;
        for (uint256 step = CAPACITY >> 1; step > 0; step >>= 1) {
            uint256 weight = pool.nodes[position + step].upperLookupRecent(at);
            if (weight <= point) {
                position += step;
                point -= weight;
            }
        }
        return position + 1;
    }
}
