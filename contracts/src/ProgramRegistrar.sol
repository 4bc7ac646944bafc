// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AgoraRegistrar} from "./AgoraRegistrar.sol";
import {INameRegistry} from "./interfaces/INameRegistry.sol";

/// @title ProgramRegistrar
/// @notice Owner of `programs.agora`; hands out program names (`NAME.programs.agora`) first come,
/// first served, by the same commit-reveal as `AgoraRegistrar`, so no key controls which programs
/// may be named. Deployed before `agora` goes to its registrar, so `programs` is never free there.
contract ProgramRegistrar is AgoraRegistrar {
    constructor(INameRegistry registry_, bytes32 baseNode_, uint256 minAge, uint256 maxAge)
        AgoraRegistrar(registry_, baseNode_, minAge, maxAge)
    {}
}
