// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NamesFixture} from "./Names.t.sol";
import {Test} from "forge-std/Test.sol";
import {NameRegistry} from "../src/NameRegistry.sol";
import {PublicResolver} from "../src/PublicResolver.sol";
import {NameHash} from "../src/libraries/NameHash.sol";

/// Random actors try to change the records of a few registered names. The handler records, in
/// ghost state, the last value each node's owner wrote; a write by anyone else must not land.
contract NamesHandler is Test {
    NameRegistry public immutable registry;
    PublicResolver public immutable resolver;
    bytes32[] public nodes;
    address[] public actors;
    mapping(bytes32 node => string) public ghostText;
    mapping(bytes32 node => address) public ghostAddr;
    uint256 public unauthorisedWrites;

    constructor(NameRegistry registry_, PublicResolver resolver_, bytes32[] memory nodes_, address[] memory actors_) {
        registry = registry_;
        resolver = resolver_;
        nodes = nodes_;
        actors = actors_;
        for (uint256 i; i < nodes_.length; ++i) {
            ghostAddr[nodes_[i]] = resolver_.addr(nodes_[i]);
        }
    }

    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }

    function setText(uint256 actorSeed, uint256 nodeSeed, string calldata value) external {
        (address actor, bytes32 node) = _pick(actorSeed, nodeSeed);
        bool allowed = registry.isAuthorised(node, actor);
        vm.prank(actor);
        try resolver.setText(node, "k", value) {
            if (!allowed) ++unauthorisedWrites;
            ghostText[node] = value;
        } catch {}
    }

    function setAddr(uint256 actorSeed, uint256 nodeSeed, address value) external {
        (address actor, bytes32 node) = _pick(actorSeed, nodeSeed);
        bool allowed = registry.isAuthorised(node, actor);
        vm.prank(actor);
        try resolver.setAddr(node, value) {
            if (!allowed) ++unauthorisedWrites;
            ghostAddr[node] = value;
        } catch {}
    }

    function transfer(uint256 actorSeed, uint256 nodeSeed, uint256 toSeed) external {
        (address actor, bytes32 node) = _pick(actorSeed, nodeSeed);
        bool allowed = registry.isAuthorised(node, actor);
        vm.prank(actor);
        try registry.setOwner(node, actors[toSeed % actors.length]) {
            if (!allowed) ++unauthorisedWrites;
        } catch {}
    }

    function approve(uint256 actorSeed, uint256 operatorSeed, bool approved) external {
        vm.prank(actors[actorSeed % actors.length]);
        registry.setApprovalForAll(actors[operatorSeed % actors.length], approved);
    }

    function _pick(uint256 actorSeed, uint256 nodeSeed) internal view returns (address, bytes32) {
        return (actors[actorSeed % actors.length], nodes[nodeSeed % nodes.length]);
    }
}

contract NamesInvariantTest is NamesFixture {
    NamesHandler internal handler;

    function setUp() public override {
        super.setUp();
        address carol = makeAddr("carol");
        bytes32[] memory nodes = new bytes32[](3);
        nodes[0] = _register("alice", alice);
        nodes[1] = _register("bob", bob);
        nodes[2] = _register("carol", carol);
        address[] memory actors = new address[](4);
        (actors[0], actors[1], actors[2], actors[3]) = (alice, bob, carol, makeAddr("mallory"));
        handler = new NamesHandler(registry, resolver, nodes, actors);
        targetContract(address(handler));
    }

    /// Only a node's owner (or its approved operator) ever changes the node or its records.
    function invariant_onlyOwnerChangesRecords() public view {
        assertEq(handler.unauthorisedWrites(), 0);
        for (uint256 i; i < handler.nodeCount(); ++i) {
            bytes32 node = handler.nodes(i);
            assertEq(resolver.text(node, "k"), handler.ghostText(node));
            assertEq(resolver.addr(node), handler.ghostAddr(node));
        }
    }

    /// The `.agora` base node stays with the registrar.
    function invariant_registrarOwnsBaseNode() public view {
        assertEq(registry.owner(NameHash.child(bytes32(0), "agora")), address(registrar));
    }
}
