// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketFixture} from "./helpers/MarketFixture.sol";
import {console} from "forge-std/console.sol";

contract AuditTest is MarketFixture {
    function test_probe() public {
        console.log("block", block.number);
        console.log("bh0"); console.logBytes32(blockhash(0));
        vm.roll(10);
        console.logBytes32(blockhash(0));
        console.logBytes32(blockhash(5));
        console.logBytes32(blockhash(9));
        console.logBytes32(blockhash(10));
        vm.roll(1000);
        console.logBytes32(blockhash(5));
        console.logBytes32(blockhash(999));
        console.logBytes32(blockhash(744));
        console.logBytes32(blockhash(743));
        console.logBytes32(keccak256(bytes("999")));
    }
}
