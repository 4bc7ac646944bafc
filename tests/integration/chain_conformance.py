"""One conformance suite for chain access, subclassed per backend (web3.py's *ModuleTest style).

Every backend must behave the same through `ledger`: same results, same errors by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_utils import keccak
from web3 import Web3

from ledger import (
    CHAIN_ID,
    CommitmentTooNew,
    ContractRevert,
    Deployment,
    InsufficientBalance,
    InsufficientFunds,
    NameNotAvailable,
    Names,
    Token,
    TransactionRejected,
    Transactor,
    Unauthorized,
    deploy,
    dev_account,
    mapped_errors,
    namehash,
)

TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    reply = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in reply, reply
    return reply["result"]


class ChainConformance:
    """Subclasses provide a class-scoped ``w3`` fixture."""

    @pytest.fixture(scope="class")
    @classmethod
    def w3(cls) -> Web3:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def deployment(cls, w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
        deployed, fresh = deploy(w3, Transactor(w3, dev_account(0)), tmp_path_factory.mktemp("deploy"), audit_bps=0)
        assert fresh
        return deployed

    @pytest.fixture(autouse=True)
    def isolated(self, w3: Web3, deployment: Deployment) -> Iterator[None]:
        snapshot = rpc(w3, "evm_snapshot")
        yield
        assert rpc(w3, "evm_revert", snapshot) is True

    @pytest.fixture
    def owner(self, w3: Web3) -> Transactor:
        return Transactor(w3, dev_account(0))

    @pytest.fixture
    def token(self, w3: Web3, deployment: Deployment, owner: Transactor) -> Token:
        return Token(w3, deployment, owner)

    # -- node basics ---------------------------------------------------------------------------
    def test_chain_id_is_the_dev_chain(self, w3: Web3) -> None:
        assert w3.eth.chain_id == CHAIN_ID
        assert rpc(w3, "net_version") == str(CHAIN_ID)

    def test_dev_accounts_are_funded(self, w3: Web3) -> None:
        accounts = rpc(w3, "eth_accounts")
        assert accounts[0].lower() == dev_account(0).address.lower()
        assert w3.eth.get_balance(dev_account(9).address) > 10**21

    def test_block_by_number_and_by_hash_agree(self, w3: Web3, token: Token) -> None:
        receipt = token.transfer(dev_account(1).address, 5)
        by_number = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
        by_hash = w3.eth.get_block(receipt["blockHash"])
        assert by_number["hash"] == by_hash["hash"] == receipt["blockHash"]
        assert by_number["transactions"][0]["hash"] == receipt["transactionHash"]
        assert w3.eth.get_block("latest")["number"] == w3.eth.block_number

    def test_transaction_and_receipt_fields(self, w3: Web3, token: Token) -> None:
        receipt = token.transfer(dev_account(1).address, 5)
        tx = w3.eth.get_transaction(receipt["transactionHash"])
        assert tx["from"] == dev_account(0).address
        assert tx["to"] == token.contract.address
        assert receipt["status"] == 1
        assert 21_000 < receipt["gasUsed"] < tx["gas"]
        assert receipt["effectiveGasPrice"] > 0

    def test_unknown_transaction_has_no_receipt(self, w3: Web3) -> None:
        reply = w3.provider.make_request("eth_getTransactionReceipt", ["0x" + "ab" * 32])  # type: ignore[arg-type]
        assert reply["result"] is None

    # -- state and execution -------------------------------------------------------------------
    def test_transfer_moves_tokens(self, token: Token) -> None:
        to = dev_account(3).address
        before = token.balance_of(to)
        token.transfer(to, 1234)
        assert token.balance_of(to) == before + 1234

    def test_estimated_gas_is_enough(self, w3: Web3, token: Token, owner: Transactor) -> None:
        data = token.contract.encode_abi("transfer", args=[dev_account(4).address, 1])
        gas = w3.eth.estimate_gas({"from": owner.address, "to": token.contract.address, "data": data})
        receipt = owner.send(to=token.contract.address, data=data, gas=gas)
        assert receipt["status"] == 1
        assert receipt["gasUsed"] <= gas

    def test_code_and_storage_are_readable(self, w3: Web3, deployment: Deployment) -> None:
        code = w3.eth.get_code(deployment.address("AgoraToken"))  # type: ignore[arg-type]
        assert len(code) > 1000
        # ERC-20 _totalSupply sits in slot 2 of OpenZeppelin's layout.
        supply = w3.eth.get_storage_at(deployment.address("AgoraToken"), 2)  # type: ignore[arg-type]
        assert int.from_bytes(supply, "big") == Token(w3, deployment).total_supply()

    def test_faucet_mints_on_dev_chain(self, token: Token) -> None:
        to = dev_account(5).address
        supply = token.total_supply()
        token.faucet(to, 10**18)
        assert token.total_supply() == supply + 10**18

    # -- errors by name ------------------------------------------------------------------------
    def test_revert_carries_error_name_and_arguments(self, w3: Web3, deployment: Deployment) -> None:
        poor = Token(w3, deployment, Transactor(w3, dev_account(7)))
        with pytest.raises(InsufficientBalance) as info:
            poor.transfer(dev_account(0).address, 10)
        assert info.value.name == "ERC20InsufficientBalance"
        assert info.value.args_by_name == {"sender": dev_account(7).address.lower(), "balance": 0, "needed": 10}

    def test_unauthorised_record_change_is_refused(self, w3: Web3, deployment: Deployment) -> None:
        resolver = Names(w3, deployment)._contract("PublicResolver")
        mallory = Transactor(w3, dev_account(8))
        with pytest.raises(Unauthorized) as info:
            mallory.send(to=resolver.address, data=resolver.encode_abi("setText", args=[namehash("agora"), "k", "v"]))
        assert info.value.args_by_name["node"] == namehash("agora")

    def test_stale_nonce_is_rejected(self, w3: Web3, owner: Transactor) -> None:
        owner.send(to=dev_account(1).address, value=1, gas=21_000)
        stale = dev_account(0).sign_transaction(
            {
                "to": dev_account(1).address,
                "value": 1,
                "gas": 21_000,
                "nonce": 0,
                "chainId": CHAIN_ID,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 10**9,
            }
        )
        with pytest.raises(TransactionRejected, match="(?i)nonce"):
            with mapped_errors():
                w3.eth.send_raw_transaction(stale.raw_transaction)

    @pytest.mark.parametrize("gas", [None, 21_000], ids=["estimated", "given"])
    def test_a_sender_without_ether_is_refused_by_name_with_its_balance(self, w3: Web3, gas: int | None) -> None:
        broke = Transactor(w3, dev_account(77))  # a development account nobody funded
        with pytest.raises(InsufficientFunds) as info:
            broke.send(to=dev_account(1).address, value=1, gas=gas)
        assert info.value.account == broke.address and info.value.balance == 0
        assert f"{broke.address} has 0 ETH" in str(info.value) and "agora account fund" in str(info.value)
        assert w3.eth.get_transaction_count(broke.address) == 0  # nothing was sent

    # -- logs ----------------------------------------------------------------------------------
    def test_get_logs_filters_by_address_and_topic(self, w3: Web3, token: Token) -> None:
        start = w3.eth.block_number + 1
        token.transfer(dev_account(1).address, 1)
        token.transfer(dev_account(2).address, 2)
        to_topic = "0x" + "00" * 12 + dev_account(2).address[2:].lower()
        logs = w3.eth.get_logs(
            {
                "fromBlock": start,
                "toBlock": "latest",
                "address": token.contract.address,
                "topics": [
                    TRANSFER_TOPIC.hex() if TRANSFER_TOPIC.hex().startswith("0x") else "0x" + TRANSFER_TOPIC.hex(),
                    None,
                    to_topic,
                ],
            }
        )
        assert len(logs) == 1
        assert int.from_bytes(logs[0]["data"], "big") == 2
        everything = w3.eth.get_logs({"fromBlock": start, "toBlock": "latest", "address": token.contract.address})
        assert len(everything) == 2
        assert w3.eth.get_logs({"fromBlock": start, "address": dev_account(9).address}) == []

    # -- development controls ------------------------------------------------------------------
    def test_snapshot_and_revert_restore_state(self, w3: Web3, token: Token) -> None:
        to = dev_account(6).address
        snapshot = rpc(w3, "evm_snapshot")
        height = w3.eth.block_number
        token.transfer(to, 99)
        assert rpc(w3, "evm_revert", snapshot) is True
        assert w3.eth.block_number == height
        assert token.balance_of(to) == 0

    def test_increase_time_moves_block_time(self, w3: Web3) -> None:
        before = w3.eth.get_block("latest")["timestamp"]
        rpc(w3, "evm_increaseTime", 3600)
        rpc(w3, "evm_mine")
        assert w3.eth.get_block("latest")["timestamp"] >= before + 3600

    # -- names ---------------------------------------------------------------------------------
    def test_name_registration_resolution_and_reverse(
        self, w3: Web3, deployment: Deployment, owner: Transactor
    ) -> None:
        names = Names(w3, deployment, owner)
        names.register("conformance")
        assert names.owner("conformance") == owner.address
        assert names.resolve("conformance.agora") == owner.address
        names.set_text("conformance", "store", "http://127.0.0.1:7001")
        assert names.text("conformance", "store") == "http://127.0.0.1:7001"
        names.set_reverse("conformance.agora")
        assert names.reverse(owner.address) == "conformance.agora"
        with pytest.raises(NameNotAvailable):
            Names(w3, deployment, Transactor(w3, dev_account(1))).register("conformance")

    def test_register_too_early_names_the_error(self, w3: Web3, deployment: Deployment, owner: Transactor) -> None:
        names = Names(w3, deployment, owner)
        args = ("early", owner.address, b"\x01" * 32, deployment.address("PublicResolver"), owner.address)
        commitment = names.registrar.functions.makeCommitment(*args).call()
        owner.send(to=names.registrar.address, data=names.registrar.encode_abi("commit", args=[commitment]))
        with pytest.raises(CommitmentTooNew) as info:
            owner.send(to=names.registrar.address, data=names.registrar.encode_abi("register", args=list(args)))
        assert info.value.args_by_name["commitment"] == commitment
        assert isinstance(info.value, ContractRevert)

    def test_deploy_again_is_a_no_op(
        self, w3: Web3, deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        home = tmp_path_factory.mktemp("redeploy")
        first, fresh = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
        height = w3.eth.block_number
        again, fresh_again = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
        assert fresh and not fresh_again
        assert again.contracts == first.contracts
        assert w3.eth.block_number == height

    # -- the market (EIP-712 signatures and errors must agree on every backend) -----------------
    def test_signed_job_runs_to_settlement(self, w3: Web3, deployment: Deployment) -> None:
        from ledger import JobStatus

        from .market_helpers import AGR, fund_actors, make_request, post

        actors = fund_actors(w3, deployment)
        request = make_request(w3)
        assert actors.requester.chain_hash(request) == request.struct_hash()
        job_id = post(actors, request)
        truth, salt = b"\x11" * 32, b"\x22" * 32
        slots = [m.lock(job_id)[0] for m in actors.workers]
        for market, slot in zip(actors.workers, slots, strict=True):
            market.commit(job_id, slot, truth, salt)
        for market, slot in zip(actors.workers, slots, strict=True):
            market.reveal(job_id, slot, truth, salt, b"\x33" * 32)
        assert actors.requester.job(job_id).status is JobStatus.PROVISIONAL
        assert not any(actors.requester.balance_of(m.transactor.address) for m in actors.workers)  # type: ignore[union-attr]
        actors.requester.accept(job_id)  # unanimous: the requester may make it final at once
        job = actors.requester.job(job_id)
        assert job.status is JobStatus.SETTLED
        paid = [actors.requester.balance_of(m.transactor.address) for m in actors.workers]  # type: ignore[union-attr]
        assert all(AGR <= p <= 10 * AGR for p in paid)

    def test_replayed_request_is_refused_by_name(self, w3: Web3, deployment: Deployment) -> None:
        from ledger import InvalidSignature, NonceUsed

        from .market_helpers import fund_actors, make_request, post

        actors = fund_actors(w3, deployment, workers=0)
        request = make_request(w3, k=1, q=1)
        post(actors, request)
        with pytest.raises(NonceUsed) as info:
            post(actors, request)
        assert info.value.args_by_name["nonce"] == request.nonce
        forged = make_request(w3, k=1, q=1)
        signature = forged.sign(dev_account(5), chain_id=w3.eth.chain_id, market=actors.requester.address)
        with pytest.raises(InvalidSignature):
            actors.requester.post_job(forged, signature)
