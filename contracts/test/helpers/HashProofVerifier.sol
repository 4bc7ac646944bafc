// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IProofVerifier} from "../../src/interfaces/IProofVerifier.sol";

/// A stand-in verifier for tests of the market's accounting: a "proof" is valid when its first word
/// is keccak256 of the three public inputs the proof court built. The proof court treats it exactly
/// as a Groth16 verifier (it only sees IProofVerifier); ProofCourt.t.sol tests real Groth16 ones.
contract HashProofVerifier is IProofVerifier {
    function verifyTx(Proof calldata proof, uint256[3] calldata input) external pure returns (bool) {
        return proof.a.X == uint256(keccak256(abi.encode(input)));
    }
}

/// Hostile verifiers a requester could pin: each fails in its own way, and none may cost the worker.
contract GasBurningVerifier {
    fallback() external {
        uint256 x;
        while (gasleft() > 1000) ++x;
    }
}

contract RevertingVerifier {
    fallback() external {
        revert("no");
    }
}

/// Answers 2: neither true nor false.
contract GarbageVerifier {
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(uint256(2));
    }
}

/// Answers true followed by a megabyte, hoping the caller copies it all.
contract ReturnBombVerifier {
    fallback() external {
        assembly {
            mstore(0, 1)
            return(0, 1000000)
        }
    }
}

/// Answers false, whatever the proof.
contract RejectingVerifier {
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(false);
    }
}
