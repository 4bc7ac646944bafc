// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {NameRegistry} from "../src/NameRegistry.sol";
import {PublicResolver} from "../src/PublicResolver.sol";
import {AgoraRegistrar} from "../src/AgoraRegistrar.sol";
import {ReverseRegistrar} from "../src/ReverseRegistrar.sol";
import {INameRegistry} from "../src/interfaces/INameRegistry.sol";
import {IPublicResolver} from "../src/interfaces/IPublicResolver.sol";
import {IAgoraRegistrar} from "../src/interfaces/IAgoraRegistrar.sol";
import {NameHash} from "../src/libraries/NameHash.sol";

/// Deploys the names system the way `agora chain deploy` does.
abstract contract NamesFixture is Test {
    uint256 internal constant MIN_AGE = 60;
    uint256 internal constant MAX_AGE = 1 days;

    NameRegistry internal registry;
    PublicResolver internal resolver;
    AgoraRegistrar internal registrar;
    ReverseRegistrar internal reverse;
    bytes32 internal agoraNode;

    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        registry = new NameRegistry(address(this));
        resolver = new PublicResolver(registry);
        agoraNode = NameHash.child(bytes32(0), "agora");
        registrar = new AgoraRegistrar(registry, agoraNode, MIN_AGE, MAX_AGE);
        reverse = new ReverseRegistrar(registry, address(resolver));
        registry.setSubnodeOwner(bytes32(0), keccak256("agora"), address(registrar));
        bytes32 reverseNode = registry.setSubnodeOwner(bytes32(0), keccak256("reverse"), address(this));
        registry.setSubnodeOwner(reverseNode, keccak256("addr"), address(reverse));
    }

    function _register(string memory label, address owner) internal returns (bytes32 node) {
        bytes32 secret = keccak256(abi.encode(label, owner));
        registrar.commit(registrar.makeCommitment(label, owner, secret, address(resolver), owner));
        vm.warp(block.timestamp + MIN_AGE);
        node = registrar.register(label, owner, secret, address(resolver), owner);
    }
}

contract NameRegistryTest is NamesFixture {
    function test_namehash_matchesEip137Vectors() public pure {
        assertEq(NameHash.child(bytes32(0), "eth"), 0x93cdeb708b7545dc668eb9280176169d1c33cfd8ed6f04690a0bcc88a93fc4ae);
        assertEq(
            NameHash.child(NameHash.child(bytes32(0), "eth"), "foo"),
            0xde9b09fd7c5f901e23a3f19fecc54828e9c848539801e86591bd9801b019f84f
        );
        assertEq(NameHash.child(NameHash.child(bytes32(0), "reverse"), "addr"), NameHash.ADDR_REVERSE_NODE);
    }

    function test_setSubnodeOwner_revertsForNonOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, bytes32(0), alice));
        registry.setSubnodeOwner(bytes32(0), keccak256("x"), alice);
    }

    function test_setOwner_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, node, bob));
        registry.setOwner(node, bob);
    }

    function test_setResolver_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, node, bob));
        registry.setResolver(node, bob);
    }

    function test_setTTL_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, node, bob));
        registry.setTTL(node, 1);
    }

    function test_setRecord_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, node, bob));
        registry.setRecord(node, bob, bob, 1);
    }

    function test_setSubnodeRecord_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, node, bob));
        registry.setSubnodeRecord(node, keccak256("box"), bob, address(resolver), 1);
    }

    function test_setSubnodeRecord_setsAllThree() public {
        bytes32 node = _register("alice", alice);
        vm.prank(alice);
        registry.setSubnodeRecord(node, keccak256("box"), bob, address(resolver), 300);
        bytes32 sub = NameHash.child(node, "box");
        assertEq(registry.owner(sub), bob);
        assertEq(registry.resolver(sub), address(resolver));
        assertEq(registry.ttl(sub), 300);
    }

    function test_operator_mayManageOwnersNodes() public {
        bytes32 node = _register("alice", alice);
        vm.prank(alice);
        registry.setApprovalForAll(bob, true);
        vm.prank(bob);
        registry.setTTL(node, 42);
        assertEq(registry.ttl(node), 42);
        assertTrue(registry.isApprovedForAll(alice, bob));
    }

    function testFuzz_setOwner_onlyOwnerSucceeds(address caller, address newOwner) public {
        bytes32 node = _register("alice", alice);
        vm.prank(caller);
        if (caller != alice) {
            vm.expectRevert(abi.encodeWithSelector(INameRegistry.Unauthorized.selector, node, caller));
        }
        registry.setOwner(node, newOwner);
        assertEq(registry.owner(node), caller == alice ? newOwner : alice);
    }
}

contract PublicResolverTest is NamesFixture {
    function test_records_setByOwner() public {
        bytes32 node = _register("alice", alice);
        vm.startPrank(alice);
        resolver.setText(node, "store", "http://127.0.0.1:7001");
        resolver.setContenthash(node, hex"e30101");
        resolver.setAddr(node, bob);
        vm.stopPrank();
        assertEq(resolver.text(node, "store"), "http://127.0.0.1:7001");
        assertEq(resolver.contenthash(node), hex"e30101");
        assertEq(resolver.addr(node), bob);
    }

    function test_setAddr_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IPublicResolver.Unauthorized.selector, node, bob));
        resolver.setAddr(node, bob);
    }

    function test_setText_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IPublicResolver.Unauthorized.selector, node, bob));
        resolver.setText(node, "k", "v");
    }

    function test_setContenthash_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IPublicResolver.Unauthorized.selector, node, bob));
        resolver.setContenthash(node, hex"01");
    }

    function test_setName_revertsForNonOwner() public {
        bytes32 node = _register("alice", alice);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IPublicResolver.Unauthorized.selector, node, bob));
        resolver.setName(node, "x");
    }

    function testFuzz_setText_roundTrips(string calldata key, string calldata value) public {
        bytes32 node = _register("alice", alice);
        vm.prank(alice);
        resolver.setText(node, key, value);
        assertEq(resolver.text(node, key), value);
    }
}

contract AgoraRegistrarTest is NamesFixture {
    function test_register_setsOwnerResolverAndAddr() public {
        bytes32 node = _register("alice", alice);
        assertEq(node, NameHash.child(agoraNode, "alice"));
        assertEq(registry.owner(node), alice);
        assertEq(registry.resolver(node), address(resolver));
        assertEq(resolver.addr(node), alice);
        assertFalse(registrar.available("alice"));
    }

    function test_register_withoutResolverSetsOwnerOnly() public {
        bytes32 secret = bytes32(uint256(1));
        registrar.commit(registrar.makeCommitment("plain", alice, secret, address(0), address(0)));
        vm.warp(block.timestamp + MIN_AGE);
        bytes32 node = registrar.register("plain", alice, secret, address(0), address(0));
        assertEq(registry.owner(node), alice);
        assertEq(registry.resolver(node), address(0));
    }

    function test_constructor_revertsWhenMaxAgeNotAboveMin() public {
        vm.expectRevert(IAgoraRegistrar.MaxCommitmentAgeTooLow.selector);
        new AgoraRegistrar(registry, agoraNode, 10, 10);
    }

    function test_commit_revertsWhenUnexpiredCommitmentExists() public {
        bytes32 c = registrar.makeCommitment("alice", alice, 0, address(0), address(0));
        registrar.commit(c);
        vm.expectRevert(abi.encodeWithSelector(IAgoraRegistrar.UnexpiredCommitmentExists.selector, c));
        registrar.commit(c);
    }

    function test_commit_allowedAgainAfterExpiry() public {
        bytes32 c = registrar.makeCommitment("alice", alice, 0, address(0), address(0));
        registrar.commit(c);
        vm.warp(block.timestamp + MAX_AGE);
        registrar.commit(c);
        assertEq(registrar.commitments(c), block.timestamp);
    }

    function test_register_revertsWhenCommitmentTooNew() public {
        bytes32 c = registrar.makeCommitment("alice", alice, 0, address(0), address(0));
        registrar.commit(c);
        uint256 madeAt = block.timestamp;
        vm.warp(madeAt + MIN_AGE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAgoraRegistrar.CommitmentTooNew.selector, c, madeAt + MIN_AGE, madeAt + MIN_AGE - 1)
        );
        registrar.register("alice", alice, 0, address(0), address(0));
    }

    function test_register_revertsWhenCommitmentTooOld() public {
        bytes32 c = registrar.makeCommitment("alice", alice, 0, address(0), address(0));
        registrar.commit(c);
        uint256 madeAt = block.timestamp;
        vm.warp(madeAt + MAX_AGE);
        vm.expectRevert(
            abi.encodeWithSelector(IAgoraRegistrar.CommitmentTooOld.selector, c, madeAt + MAX_AGE, madeAt + MAX_AGE)
        );
        registrar.register("alice", alice, 0, address(0), address(0));
    }

    function test_register_revertsWithoutCommitment() public {
        bytes32 c = registrar.makeCommitment("alice", alice, 0, address(0), address(0));
        vm.expectRevert(abi.encodeWithSelector(IAgoraRegistrar.CommitmentNotFound.selector, c));
        registrar.register("alice", alice, 0, address(0), address(0));
    }

    function test_register_revertsWhenNameTaken() public {
        _register("alice", alice);
        bytes32 secret = bytes32(uint256(9));
        registrar.commit(registrar.makeCommitment("alice", bob, secret, address(0), address(0)));
        vm.warp(block.timestamp + MIN_AGE);
        vm.expectRevert(abi.encodeWithSelector(IAgoraRegistrar.NameNotAvailable.selector, "alice"));
        registrar.register("alice", bob, secret, address(0), address(0));
    }

    function test_register_revertsOnInvalidName() public {
        string[3] memory bad = ["", "Upper", "dot.ted"];
        for (uint256 i; i < bad.length; ++i) {
            registrar.commit(registrar.makeCommitment(bad[i], alice, 0, address(0), address(0)));
        }
        vm.warp(block.timestamp + MIN_AGE);
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IAgoraRegistrar.InvalidName.selector, bad[i]));
            registrar.register(bad[i], alice, 0, address(0), address(0));
        }
    }

    function test_register_frontRunnerCannotUseAnotherCommitment() public {
        bytes32 secret = bytes32(uint256(5));
        bytes32 c = registrar.makeCommitment("alice", alice, secret, address(0), address(0));
        registrar.commit(c);
        vm.warp(block.timestamp + MIN_AGE);
        // Seeing alice's reveal in the mempool, bob replays it for himself: his commitment differs.
        bytes32 bobs = registrar.makeCommitment("alice", bob, secret, address(0), address(0));
        vm.expectRevert(abi.encodeWithSelector(IAgoraRegistrar.CommitmentNotFound.selector, bobs));
        registrar.register("alice", bob, secret, address(0), address(0));
    }

    function testFuzz_register_respectsCommitmentWindow(uint256 wait) public {
        wait = bound(wait, 0, 2 * MAX_AGE);
        bytes32 c = registrar.makeCommitment("alice", alice, 0, address(0), address(0));
        registrar.commit(c);
        vm.warp(block.timestamp + wait);
        if (wait < MIN_AGE || wait >= MAX_AGE) vm.expectRevert();
        registrar.register("alice", alice, 0, address(0), address(0));
        assertEq(registry.owner(NameHash.child(agoraNode, "alice")), wait >= MIN_AGE && wait < MAX_AGE ? alice : address(0));
    }
}

contract ReverseRegistrarTest is NamesFixture {
    function test_setName_recordsReverseName() public {
        _register("alice", alice);
        vm.prank(alice);
        bytes32 node = reverse.setName("alice.agora");
        assertEq(node, reverse.node(alice));
        assertEq(registry.owner(node), alice);
        assertEq(resolver.name(node), "alice.agora");
    }

    function test_claim_givesReverseNodeToOwner() public {
        vm.prank(alice);
        bytes32 node = reverse.claim(bob);
        assertEq(registry.owner(node), bob);
    }

    function test_reverseNode_cannotBeSetByOthers() public {
        vm.prank(alice);
        bytes32 node = reverse.setName("alice.agora");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IPublicResolver.Unauthorized.selector, node, bob));
        resolver.setName(node, "bob.agora");
    }
}
