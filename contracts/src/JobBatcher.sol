// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "./interfaces/IJobMarket.sol";

/// @title JobBatcher
/// @notice Posts several signed requests to the market in one transaction: a relayer's batch.
/// Stateless and open to anyone. `postJob` takes everything from the signed request (the requester
/// by signature, the escrow from its deposit) and nothing from its caller, so a request posted
/// through here is the job it would be if posted directly. Each is posted by its own call, so one
/// the market refuses is skipped, changing nothing, and reported with the market's error.
contract JobBatcher {
    IJobMarket public immutable market;

    /// @notice A batch names `requests` requests and `signatures` signatures.
    error BatchMismatch(uint256 requests, uint256 signatures);

    /// @notice The market refused request `index` of a batch; `reason` is its revert data (an
    /// error of IJobMarket's, by selector and arguments).
    event PostRefused(uint256 indexed index, bytes reason);

    constructor(IJobMarket market_) {
        market = market_;
    }

    /// @notice Posts each request with its signature; returns the job ids, zero where refused.
    function postJobs(IJobMarket.JobRequest[] calldata requests, bytes[] calldata signatures)
        external
        returns (bytes32[] memory jobIds)
    {
        if (requests.length != signatures.length) revert BatchMismatch(requests.length, signatures.length);
        jobIds = new bytes32[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            try market.postJob(requests[i], signatures[i]) returns (bytes32 jobId) {
                jobIds[i] = jobId;
            } catch (bytes memory reason) {
                emit PostRefused(i, reason);
            }
        }
    }
}
