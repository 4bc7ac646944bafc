// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {JobBatcher} from "../src/JobBatcher.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {MarketFixture} from "./helpers/MarketFixture.sol";

/// A relayer batch attacked from inside: can a request make the others in its batch fail, or burn
/// the relayer's gas? The relayer sends `BATCH_GAS + POST_GAS * n` (ledger/market.py) as the whole
/// transaction's gas limit, intrinsic and calldata gas included.
contract JobBatcherAttackTest is MarketFixture {
    uint256 internal constant BATCH_GAS = 60_000;
    uint256 internal constant POST_GAS = 400_000;
    uint256 internal constant FULL = 20; // the API's relayer posts up to 20 at once

    JobBatcher internal batcher;
    uint256[] internal keys;

    function setUp() public override {
        super.setUp();
        batcher = new JobBatcher(market);
    }

    /// A fresh requester with a deposit, so its balance and nonce words are new storage.
    function _requester(uint256 i) internal returns (address who, uint256 key) {
        (who, key) = makeAddrAndKey(string(abi.encodePacked("requester", vm.toString(i))));
        token.faucet(who, 10_000 ether);
        vm.startPrank(who);
        token.approve(address(market), type(uint256).max);
        market.deposit(10_000 ether);
        vm.stopPrank();
    }

    /// The costliest request the API would accept: audited (a court is set), 7 slots, regions, a
    /// nonce in a word of its own, its own requester.
    function _worst(uint256 i) internal returns (IJobMarket.JobRequest memory r, bytes memory sig) {
        (address who, uint256 key) = _requester(i);
        r = _request(7, 4);
        r.requester = who;
        r.regions = type(uint32).max;
        r.collateral = 1_000 ether;
        r.nonce = uint256(keccak256(abi.encode("nonce", i)));
        sig = _sign(r, key);
    }

    function _intrinsic(bytes memory data) internal pure returns (uint256 gas) {
        gas = 21_000;
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    /// Calls the batcher with exactly what the relayer's gas limit leaves after intrinsic gas.
    function _relay(IJobMarket.JobRequest[] memory rs, bytes[] memory sigs)
        internal
        returns (bytes32[] memory ids, uint256 used)
    {
        uint256 budget = BATCH_GAS + POST_GAS * rs.length - _intrinsic(abi.encodeCall(batcher.postJobs, (rs, sigs)));
        vm.cool(address(market));
        vm.cool(address(stakes));
        vm.cool(address(batcher));
        uint256 before = gasleft();
        ids = batcher.postJobs{gas: budget}(rs, sigs);
        used = before - gasleft();
        assertLt(used, budget);
    }

    function test_aFullBatchOfTheCostliestRequestsFitsTheRelayersGas() public {
        IJobMarket.JobRequest[] memory rs = new IJobMarket.JobRequest[](FULL);
        bytes[] memory sigs = new bytes[](FULL);
        for (uint256 i; i < FULL; ++i) {
            (rs[i], sigs[i]) = _worst(i);
        }
        (bytes32[] memory ids, uint256 used) = _relay(rs, sigs);
        for (uint256 i; i < FULL; ++i) {
            assertEq(ids[i], market.hashRequest(rs[i]), "a request the relayer's gas did not cover");
        }
        emit log_named_uint("gas used by a full batch of the costliest requests", used);
        emit log_named_uint("the relayer's limit", BATCH_GAS + POST_GAS * FULL);
    }

    /// Requesters who cancel their nonce, withdraw their deposit or sign for another chain after
    /// the API acknowledged them: each is skipped (with the market's error), costs little, and the
    /// honest requests around them are posted.
    function test_refusedRequestsCostLittleAndHarmNobodyElseInTheBatch() public {
        IJobMarket.JobRequest[] memory rs = new IJobMarket.JobRequest[](FULL);
        bytes[] memory sigs = new bytes[](FULL);
        for (uint256 i; i < FULL; ++i) {
            (rs[i], sigs[i]) = _worst(i);
        }
        for (uint256 i = 1; i < FULL; i += 3) {
            vm.prank(rs[i].requester);
            market.cancelNonce(rs[i].nonce); // agora job cancel
        }
        for (uint256 i = 2; i < FULL; i += 3) {
            vm.prank(rs[i].requester);
            market.withdraw(10_000 ether); // the deposit is gone when the relayer posts
        }
        (bytes32[] memory ids, uint256 used) = _relay(rs, sigs);
        uint256 posted;
        for (uint256 i; i < FULL; ++i) {
            if (i % 3 == 0) {
                assertEq(ids[i], market.hashRequest(rs[i]));
                assertEq(uint8(market.job(ids[i]).status), uint8(IJobMarket.JobStatus.Open));
                posted++;
            } else {
                assertEq(ids[i], bytes32(0));
            }
        }
        assertEq(posted, 7);
        emit log_named_uint("gas used by the batch (7 posted, 13 refused)", used);
    }

    /// One refused post costs a bounded amount whatever is wrong with it (it runs no code of anyone's).
    function testFuzz_aRefusedPostIsCheap(uint256 nonce, bytes32 r, bytes32 s, uint8 v) public {
        IJobMarket.JobRequest[] memory rs = new IJobMarket.JobRequest[](1);
        bytes[] memory sigs = new bytes[](1);
        rs[0] = _request(7, 4);
        rs[0].nonce = nonce;
        sigs[0] = abi.encodePacked(r, s, v); // anyone's (or no one's) signature
        vm.assume(_isForged(rs[0], sigs[0]));
        (bytes32[] memory ids, uint256 used) = _relay(rs, sigs);
        assertEq(ids[0], bytes32(0));
        assertLt(used, 60_000);
    }

    function _isForged(IJobMarket.JobRequest memory r, bytes memory sig) internal view returns (bool) {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", market.domainSeparator(), market.hashRequest(r)));
        bytes32 rr;
        bytes32 ss;
        assembly {
            rr := mload(add(sig, 32))
            ss := mload(add(sig, 64))
        }
        address signer = ecrecover(digest, uint8(sig[64]), rr, ss);
        return signer != r.requester;
    }
}
