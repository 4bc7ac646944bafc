// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Proof verifier of a program
/// @notice A program's name resolves (addr record) to its verifier. For `ZK` jobs the market asks
/// it whether `proof` shows that running the program on the input gives the result.
interface IProofVerifier {
    /// @notice Whether `proof` proves `resultDigest` for `programId` on `inputDigest`.
    function verifyProof(bytes32 programId, bytes32 inputDigest, bytes32 resultDigest, bytes calldata proof)
        external
        view
        returns (bool);
}
