// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Groth16 verifier of a job program (bn254)
/// @notice The ABI of ZoKrates' exported verifier for a job program's three public inputs (the
/// binding of the job id and the prover, the input commitment, the result commitment; docs/zk.md).
/// The proof court calls it with the inputs it builds itself (`IProofCourt.publicInputs`). A
/// verifier fit for the market answers false, and never reverts, for every invalid proof: `agora
/// program register` deploys the lean verifier (zk/solidity.py), which does; a revert, a missing
/// code or an answer other than true or false is the program's fault (docs/protocol.md).
interface IProofVerifier {
    struct G1Point {
        uint256 X;
        uint256 Y;
    }

    /// @dev X[0] is the real part, X[1] the imaginary one (ZoKrates' order).
    struct G2Point {
        uint256[2] X;
        uint256[2] Y;
    }

    struct Proof {
        G1Point a;
        G2Point b;
        G1Point c;
    }

    /// @notice Whether `proof` is valid for the public `input`s.
    function verifyTx(Proof calldata proof, uint256[3] calldata input) external view returns (bool);
}
