// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IProofVerifier} from "../../src/interfaces/IProofVerifier.sol";

/// A test verifier: a "proof" is valid when it equals keccak256(programId, inputDigest, digest).
/// The market treats it exactly as a Groth16 verifier (it only sees IProofVerifier).
contract HashProofVerifier is IProofVerifier {
    function verifyProof(bytes32 programId, bytes32 inputDigest, bytes32 resultDigest, bytes calldata proof)
        external
        pure
        returns (bool)
    {
        return proof.length == 32 && bytes32(proof) == keccak256(abi.encode(programId, inputDigest, resultDigest));
    }
}

/// A verifier that burns all the gas it is given.
contract GasBurningVerifier is IProofVerifier {
    function verifyProof(bytes32, bytes32, bytes32, bytes calldata) external view returns (bool) {
        uint256 x;
        while (gasleft() > 1000) ++x;
        return x == 0;
    }
}
