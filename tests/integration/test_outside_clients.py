"""Outside clients against `agora chain serve`: Foundry's cast, and malformed JSON-RPC input."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
import requests
from web3 import Web3

from ledger import Deployment, Token, Transactor, connect, deploy, dev_account

DEV_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


@pytest.fixture(scope="module")
def served_deployment(served_chain: str, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    w3 = connect(served_chain)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path_factory.mktemp("cast"), audit_bps=0)
    Token(w3, deployment, Transactor(w3, dev_account(0))).transfer(dev_account(1).address, 10**20)
    return deployment


def cast(cast_bin: str, url: str, *args: str) -> str:
    out = subprocess.run([cast_bin, *args, "--rpc-url", url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_dev_key_matches_mnemonic() -> None:
    assert dev_account(1).key.to_0x_hex() == DEV_KEY_1


def test_cast_reads_chain_id_and_block_number(cast_bin: str, served_chain: str) -> None:
    assert cast(cast_bin, served_chain, "chain-id") == "31337"
    height = int(cast(cast_bin, served_chain, "block-number"))
    assert height == connect(served_chain).eth.block_number


def test_cast_calls_the_token(cast_bin: str, served_chain: str, served_deployment: Deployment) -> None:
    token = served_deployment.address("AgoraToken")
    assert cast(cast_bin, served_chain, "call", token, "symbol()(string)") == '"AGR"'
    supply = cast(cast_bin, served_chain, "call", token, "totalSupply()(uint256)")
    assert int(supply.split()[0]) == Token(connect(served_chain), served_deployment).total_supply()


def test_cast_sends_a_transfer_with_a_dev_key(cast_bin: str, served_chain: str, served_deployment: Deployment) -> None:
    token_address = served_deployment.address("AgoraToken")
    token = Token(connect(served_chain), served_deployment)
    to = dev_account(2).address
    before = token.balance_of(to)
    out = cast(
        cast_bin,
        served_chain,
        "send",
        "--private-key",
        DEV_KEY_1,
        "--json",
        token_address,
        "transfer(address,uint256)",
        to,
        "12345",
    )
    assert json.loads(out)["status"] in ("0x1", 1)
    assert token.balance_of(to) == before + 12345


def test_cast_sees_a_revert_by_its_error(cast_bin: str, served_chain: str, served_deployment: Deployment) -> None:
    token = served_deployment.address("AgoraToken")
    out = subprocess.run(
        [
            cast_bin,
            "call",
            token,
            "transfer(address,uint256)",
            dev_account(0).address,
            "1",
            "--from",
            dev_account(9).address,
            "--rpc-url",
            served_chain,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    # ERC20InsufficientBalance(address,uint256,uint256) selector
    assert "0xe450d38c" in out.stderr or "ERC20InsufficientBalance" in out.stderr


# -- bad input never stops the server ---------------------------------------------------------


@pytest.fixture
def post(served_chain: str) -> Iterator[callable]:  # type: ignore[valid-type]
    def send(body: bytes, **headers: str) -> requests.Response:
        return requests.post(
            served_chain, data=body, headers={"content-type": "application/json", **headers}, timeout=10
        )

    yield send
    # After every bad request the server still answers a good one.
    assert Web3(Web3.HTTPProvider(served_chain)).eth.chain_id == 31337


def _error(reply: requests.Response) -> dict:  # type: ignore[type-arg]
    return reply.json()["error"]


def test_malformed_json_is_a_parse_error(post) -> None:  # type: ignore[no-untyped-def]
    assert _error(post(b'{"jsonrpc": "2.0", "method": '))["code"] == -32700


def test_non_object_is_an_invalid_request(post) -> None:  # type: ignore[no-untyped-def]
    assert _error(post(b'"hello"'))["code"] == -32600
    assert _error(post(b'{"jsonrpc": "1.0", "method": "eth_chainId", "id": 1}'))["code"] == -32600


def test_unknown_method_is_method_not_found(post) -> None:  # type: ignore[no-untyped-def]
    reply = post(json.dumps({"jsonrpc": "2.0", "id": 7, "method": "eth_mine_gold", "params": []}).encode())
    assert reply.json()["id"] == 7
    assert _error(reply)["code"] == -32601


@pytest.mark.parametrize(
    "method,params",
    [
        ("eth_getBalance", ["0x1234"]),
        ("eth_getBalance", ["0x" + "zz" * 20, "latest"]),
        ("eth_getBlockByNumber", ["not-a-block", False]),
        ("eth_getTransactionReceipt", [42]),
        ("eth_call", ["nope", "latest"]),
        ("eth_call", [{"to": "0x" + "11" * 20, "bogus": 1}, "latest"]),
        ("eth_chainId", {"not": "a list"}),
        ("eth_sendRawTransaction", ["0xdeadbeef"]),
        ("eth_getLogs", [{"topics": [1, 2, 3, 4, 5]}]),
        ("eth_blockNumber", [1, 2, 3]),
    ],
)
def test_wrong_params_are_invalid_params(post, method: str, params: object) -> None:  # type: ignore[no-untyped-def]
    reply = post(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode())
    assert _error(reply)["code"] == -32602, reply.text


def test_oversize_body_is_refused(post) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"data": "0x" + "00" * (6 * 1024 * 1024)}]}
    )
    reply = post(body.encode())
    assert reply.status_code == 413
    assert _error(reply)["code"] == -32600


def test_batch_answers_each_request_in_order(post) -> None:  # type: ignore[no-untyped-def]
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "no_such_method", "params": []},
        {"jsonrpc": "2.0", "method": "eth_chainId", "params": []},  # a notification: no answer
        {"jsonrpc": "2.0", "id": 3, "method": "net_version"},
    ]
    answers = post(json.dumps(batch).encode()).json()
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert answers[0]["result"] == "0x7a69"
    assert answers[1]["error"]["code"] == -32601
    assert answers[2]["result"] == "31337"


def test_empty_batch_is_an_invalid_request(post) -> None:  # type: ignore[no-untyped-def]
    assert _error(post(b"[]"))["code"] == -32600


def test_revert_error_carries_data_like_anvil(post, served_deployment: Deployment) -> None:  # type: ignore[no-untyped-def]
    data = "0xa9059cbb" + dev_account(0).address[2:].lower().rjust(64, "0") + "1".rjust(64, "0")
    call = {"from": dev_account(9).address, "to": served_deployment.address("AgoraToken"), "data": data}
    reply = post(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, "latest"]}).encode())
    error = _error(reply)
    assert error["code"] == 3
    assert error["data"].startswith("0xe450d38c")
    assert "execution reverted" in error["message"]


def test_send_transaction_signs_for_dev_accounts_only(post, served_chain: str) -> None:  # type: ignore[no-untyped-def]
    w3 = connect(served_chain)
    to = dev_account(8).address
    before = w3.eth.get_balance(to)
    tx = {"from": dev_account(3).address, "to": to, "value": hex(777)}
    reply = post(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [tx]}).encode())
    tx_hash = reply.json()["result"]
    assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    assert w3.eth.get_balance(to) == before + 777
    stranger = {**tx, "from": "0x" + "42" * 20}
    reply = post(
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "eth_sendTransaction", "params": [stranger]}).encode()
    )
    assert _error(reply)["code"] == -32000
    assert w3.eth.get_balance(to) == before + 777
