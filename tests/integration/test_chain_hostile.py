"""Hostile input against the chain: nothing crashes it, freezes it or makes it answer without bound.

Each test is an attack someone on the same host could make with curl; the server (a real
`agora chain serve` with small limits) must answer it with a JSON-RPC error naming the limit,
keep its state, and keep answering everyone else meanwhile.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from eth.constants import SECPK1_N

from ledger import EmbeddedChain, dev_account
from ledger._devcontrols import _TIME_OFFSET_KEY, MAX_CLOCK_OFFSET
from ledger._embedded import InvalidTransaction
from ledger.rpc import Dispatcher, RPCLimits

from ..conftest import ROOT, free_port, start_chain_server, stop

LOOP = "0x5b600056"  # init code JUMPDEST PUSH1 0 JUMP: loops until the gas or the time runs out
TIMESTAMP = "0x4260005260206000f3"  # init code returning block.timestamp
LOG0 = "0x60006000a0"  # init code emitting one empty LOG0
PAIRING = "0x" + "00" * 19 + "08"  # bn254 pairing precompile: pure Python in py-evm, ~0.15 s a pair
G1 = (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
G2 = bytes.fromhex(
    "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
    "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
    "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
    "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
)
EVM_TIMEOUT = 2.0
LIMITS = {
    "AGORA_RPC_EVM_TIMEOUT": str(EVM_TIMEOUT),
    "AGORA_RPC_BATCH_TIMEOUT": "3",
    "AGORA_RPC_BODY_IDLE": "1",
    "AGORA_RPC_TX_TIMEOUT": "2",
    "AGORA_RPC_HEAD_TIMEOUT": "2",
    "AGORA_RPC_BODY_TIMEOUT": "4",
    "AGORA_RPC_WRITE_TIMEOUT": "2",
    "AGORA_RPC_UNSENT_MAX": str(8 * 2**20),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served chain with a 2 s EVM limit, a 3 s batch budget, a 1 s body idle time, no dev methods."""
    port = free_port()
    proc = start_chain_server(tmp_path_factory.mktemp("hostile"), port, env=LIMITS, args=["--no-dev-methods"])
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def rpc(url: str, method: str, *params: Any, rid: Any = 1, timeout: float = 30) -> dict[str, Any]:
    body = orjson.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)})
    reply = requests.post(url, data=body, headers={"content-type": "application/json"}, timeout=timeout)
    answer: dict[str, Any] = orjson.loads(reply.content)
    return answer


def post(url: str, body: bytes, timeout: float = 30) -> requests.Response:
    return requests.post(url, data=body, headers={"content-type": "application/json"}, timeout=timeout)


def still_serving(url: str) -> None:
    assert rpc(url, "eth_chainId")["result"] == "0x7a69"


# -- parsing --------------------------------------------------------------------------------------


def test_deeply_nested_body_is_a_parse_error_not_a_crash(server: str) -> None:
    reply = post(server, b"[" * 100_000 + b"]" * 100_000)
    assert reply.status_code == 200
    error = orjson.loads(reply.content)["error"]
    assert error["code"] == -32700
    assert "depth" in error["message"]
    still_serving(server)


@pytest.mark.parametrize(
    "body", [b'{"jsonrpc":"2.0","id":NaN,"method":"eth_chainId"}', b'{"jsonrpc":"2.0","id":1e999}']
)
def test_non_json_numbers_are_parse_errors(server: str, body: bytes) -> None:
    reply = post(server, body)
    assert orjson.loads(reply.content)["error"]["code"] == -32700  # a strict parser accepts the answer
    still_serving(server)


@pytest.mark.parametrize("rid", [{"a": 1}, [1], True])
def test_an_id_that_json_rpc_does_not_allow_is_an_invalid_request(server: str, rid: Any) -> None:
    answer = rpc(server, "eth_chainId", rid=rid)
    assert answer["id"] is None
    assert answer["error"]["code"] == -32600


@pytest.mark.parametrize("raw", ["0x7fc0", "0x05c0", "0x", "0x01c0"])
def test_undecodable_transactions_are_invalid_params(server: str, raw: str) -> None:
    error = rpc(server, "eth_sendRawTransaction", raw)["error"]
    assert error["code"] == -32602
    assert "undecodable transaction" in error["message"]


def test_a_malleated_signature_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    """The same signature with s replaced by n - s (and the parity flipped) recovers the same
    sender: EIP-2 refuses it, and the chain takes the original afterwards, its nonce unused."""
    chain = EmbeddedChain(tmp_path)
    try:
        sender = dev_account(1)
        signed = sender.sign_transaction(
            {"to": dev_account(2).address, "value": 1, "gas": 21_000, "nonce": 0, "chainId": 31337}
            | {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9}
        )
        raw = bytes(signed.raw_transaction)
        original = chain.chain.get_transaction_builder().decode(raw)
        malleated = original.copy(s=SECPK1_N - original.s, y_parity=1 - original.y_parity)
        assert malleated.sender == original.sender  # what makes it an attack
        head = chain.head().block_number
        with pytest.raises(InvalidTransaction, match="EIP-2"):
            chain.send_raw_transaction(malleated.encode())
        assert chain.head().block_number == head
        assert chain.send_raw_transaction(raw) == original.hash
    finally:
        chain.close()


def _read_answer(sock: socket.socket, data: bytes = b"") -> str:
    """One HTTP answer, whole (after ``data``, read already): its head and body may arrive in
    separate reads."""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    return data.decode()


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_a_stalled_body_is_dropped_after_the_idle_time(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        sock.sendall(head.encode() + b'{"jsonrpc":')
        still_serving(server)  # others are answered while this body hangs
        reply = _read_answer(sock)
    assert reply.startswith("HTTP/1.1 408")
    assert "AGORA_RPC_BODY_IDLE" in reply


# -- EVM work ------------------------------------------------------------------------------------


def test_gas_above_the_cap_is_refused(server: str) -> None:
    for method in ("eth_call", "eth_estimateGas"):
        error = rpc(server, method, {"data": LOOP, "gas": hex(300_000_000)}, "latest")["error"]
        assert error["code"] == -32005
        assert "gas cap 50000000" in error["message"] and "AGORA_RPC_GAS_CAP" in error["message"]


def test_an_endless_call_is_cut_at_the_time_limit(server: str) -> None:
    error = rpc(server, "eth_call", {"data": LOOP, "gas": hex(50_000_000)}, "latest")["error"]
    assert error["code"] == -32005
    assert f"timeout = {EVM_TIMEOUT:g}s" in error["message"] and "AGORA_RPC_EVM_TIMEOUT" in error["message"]
    error = rpc(server, "eth_estimateGas", {"data": LOOP}, "latest")["error"]
    assert "AGORA_RPC_EVM_TIMEOUT" in error["message"]


def test_a_slow_precompile_is_cut_too(server: str) -> None:
    data = "0x" + ((G1 + G2) * 60).hex()  # ~9 s of pairings for 2.1M gas
    error = rpc(server, "eth_call", {"to": PAIRING, "data": data, "gas": hex(3_000_000)}, "latest")["error"]
    assert "AGORA_RPC_EVM_TIMEOUT" in error["message"]
    still_serving(server)


def test_others_are_answered_while_calls_run(server: str) -> None:
    """Reads and a transfer go through while two clients keep the EVM busy for the whole limit."""
    busy = [
        threading.Thread(target=rpc, args=(server, "eth_call", {"data": LOOP, "gas": hex(50_000_000)}, "latest"))
        for _ in range(2)
    ]
    for thread in busy:
        thread.start()
    time.sleep(0.3)  # both calls are running (each runs for the whole EVM_TIMEOUT)
    answered = 0
    for _ in range(10):
        assert rpc(server, "eth_blockNumber", timeout=EVM_TIMEOUT)["result"].startswith("0x")
        assert int(rpc(server, "eth_getBalance", dev_account(5).address, "latest")["result"], 16) > 0
        answered += 2
    assert all(thread.is_alive() for thread in busy), "the reads waited for the calls"
    for thread in busy:
        thread.join()
    assert answered == 20


def test_a_slow_transaction_is_refused_and_calls_go_on_meanwhile(server: str) -> None:
    sender = dev_account(6)
    nonce = int(rpc(server, "eth_getTransactionCount", sender.address, "latest")["result"], 16)
    fees = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": 31337, "value": 0}
    slow = sender.sign_transaction({"data": LOOP, "gas": 29_000_000, "nonce": nonce, **fees}).raw_transaction
    answers: list[dict[str, Any]] = []
    mining = threading.Thread(target=lambda: answers.append(rpc(server, "eth_sendRawTransaction", "0x" + slow.hex())))
    mining.start()
    time.sleep(0.3)
    for _ in range(5):  # calls do not wait for the writer
        assert rpc(server, "eth_call", {"data": TIMESTAMP}, "latest")["result"].startswith("0x")
    assert mining.is_alive(), "the calls waited for the transaction"
    mining.join()
    (error,) = [a["error"] for a in answers]
    assert error["code"] == -32005 and "AGORA_RPC_TX_TIMEOUT" in error["message"]
    ok = sender.sign_transaction({"to": dev_account(2).address, "gas": 21_000, "nonce": nonce, **fees})
    assert "result" in rpc(server, "eth_sendRawTransaction", "0x" + ok.raw_transaction.hex())  # nonce unused


def test_a_batch_of_slow_calls_stops_at_its_budget(server: str) -> None:
    call = {"data": LOOP, "gas": hex(50_000_000)}
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [call, "latest"]} for i in range(20)]
    started = time.monotonic()
    answers = orjson.loads(post(server, orjson.dumps(batch), timeout=120).content)
    elapsed = time.monotonic() - started
    assert [a["id"] for a in answers] == list(range(20))
    messages = [a["error"]["message"] for a in answers]
    assert "AGORA_RPC_EVM_TIMEOUT" in messages[0]
    assert all("AGORA_RPC_BATCH_TIMEOUT" in m for m in messages[2:])
    assert elapsed < 20 * EVM_TIMEOUT  # far less than running every entry to its limit
    still_serving(server)


def test_dev_methods_are_off_when_turned_off(server: str) -> None:
    for method, params in [("evm_increaseTime", [1]), ("evm_mine", []), ("eth_sendTransaction", [{}])]:
        error = rpc(server, method, *params)["error"]
        assert error["code"] == -32601
        assert "AGORA_RPC_DEV_METHODS" in error["message"]
    assert rpc(server, "eth_accounts")["result"] == []


# -- in process: bounded answers and dev controls ----------------------------------------------------


@pytest.fixture
def chain() -> Iterator[EmbeddedChain]:
    chain = EmbeddedChain()
    yield chain
    chain.close()


def limited(chain: EmbeddedChain, **limits: Any) -> Dispatcher:
    return Dispatcher(chain, dataclasses.replace(RPCLimits.from_settings(), **limits))


def answer(dispatcher: Dispatcher, payload: Any) -> Any:
    raw = dispatcher.handle_raw(orjson.dumps(payload))
    assert raw is not None
    return orjson.loads(raw)


def request(method: str, *params: Any, rid: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)}


def test_get_logs_is_bounded_in_blocks_and_results(chain: EmbeddedChain) -> None:
    dispatcher = limited(chain, log_block_range=5, log_results=3)
    sender = dev_account(1).address
    for _ in range(6):
        dispatcher.call("eth_sendTransaction", [{"from": sender, "data": LOG0}])
    head = chain.head().block_number
    wide = answer(dispatcher, request("eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(head)}))["error"]
    assert wide["code"] == -32005 and "AGORA_RPC_LOG_BLOCK_RANGE" in wide["message"]
    many = answer(dispatcher, request("eth_getLogs", {"fromBlock": hex(head - 4), "toBlock": hex(head)}))["error"]
    assert many["code"] == -32005 and "AGORA_RPC_LOG_RESULTS" in many["message"]
    few = answer(dispatcher, request("eth_getLogs", {"fromBlock": hex(head - 2), "toBlock": hex(head)}))
    assert len(few["result"]) == 3


def test_batch_size_and_response_size_are_bounded(chain: EmbeddedChain) -> None:
    dispatcher = limited(chain, batch_items=50, response_max=4_000)
    too_many = answer(dispatcher, [request("eth_chainId", rid=i) for i in range(51)])
    assert too_many["error"]["code"] == -32600 and "AGORA_RPC_BATCH_ITEMS" in too_many["error"]["message"]
    blocks = [request("eth_getBlockByNumber", "0x0", True, rid=i) for i in range(50)]
    raw = dispatcher.handle_raw(orjson.dumps(blocks))
    assert raw is not None
    answers = orjson.loads(raw)
    assert [a["id"] for a in answers] == list(range(50))
    assert "result" in answers[0]
    assert "AGORA_RPC_RESPONSE_MAX" in answers[-1]["error"]["message"]
    results = sum(len(orjson.dumps(a)) for a in answers if "result" in a)
    assert results <= 4_000


def test_the_chain_clock_moves_at_most_a_century(chain: EmbeddedChain) -> None:
    dispatcher = limited(chain)
    for seconds in ("0x1" + "0" * 64, hex(2**64), -5, "0xzz", 1.5, MAX_CLOCK_OFFSET + 1):
        error = answer(dispatcher, request("evm_increaseTime", seconds))["error"]
        assert error["code"] == -32602, seconds
    assert chain.now() <= time.time() + 5  # nothing of the refused offsets was kept
    assert answer(dispatcher, request("evm_increaseTime", MAX_CLOCK_OFFSET - 10))["result"] == MAX_CLOCK_OFFSET - 10
    assert "more than a century" in answer(dispatcher, request("evm_increaseTime", 11))["error"]["message"]
    sent = answer(dispatcher, request("eth_sendTransaction", {"from": dev_account(1).address, "data": LOG0}))
    assert "result" in sent  # blocks are still mined, a century ahead
    stamp = int(answer(dispatcher, request("eth_call", {"data": TIMESTAMP}, "latest"))["result"], 16)
    assert abs(stamp - (time.time() + MAX_CLOCK_OFFSET - 10)) < 60


def test_a_poisoned_clock_offset_is_dropped_on_open(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    chain._db[_TIME_OFFSET_KEY] = str(2**256).encode()
    chain._commit()
    chain.close()
    chain = EmbeddedChain(tmp_path)
    try:
        assert abs(chain.now() - time.time()) < 5
        Dispatcher(chain).call("eth_sendTransaction", [{"from": dev_account(1).address, "data": LOG0}])
        assert chain.head().block_number == 1
    finally:
        chain.close()


def test_evm_mine_refuses_options_it_would_ignore(chain: EmbeddedChain) -> None:
    dispatcher = limited(chain)
    assert answer(dispatcher, request("evm_mine", {"timestamp": 5}))["error"]["code"] == -32602
    assert chain.head().block_number == 0
    assert answer(dispatcher, request("evm_mine"))["result"] == "0x0"
    assert chain.head().block_number == 1


# -- a lying node against our client ----------------------------------------------------------------

LYING_NODE = """
import socket, sys, threading
from ledger import connect
server = socket.create_server(("127.0.0.1", 0))
def answer():
    conn, _ = server.accept()
    request = b""
    while b"\\r\\n\\r\\n" not in request:
        request += conn.recv(65536)
    head, _, rest = request.partition(b"\\r\\n\\r\\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\\r\\n")[0])
    while len(rest) < length:
        rest += conn.recv(65536)
    body = b"[" * 100_000 + b"]" * 100_000
    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
    conn.close()
threading.Thread(target=answer, daemon=True).start()
assert sys.getrecursionlimit() >= 100_000  # py-evm's import raised it
try:
    connect("http://127.0.0.1:%d" % server.getsockname()[1]).eth.block_number
except ValueError as exc:
    print("refused:", exc)
"""


def test_a_node_answering_deeply_nested_json_gets_an_error_not_a_crash() -> None:
    out = subprocess.run([sys.executable, "-c", LYING_NODE], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr  # not -11: the process survives
    assert "refused: depth limit exceeded" in out.stdout


# -- requests a wallet or a careless client sends ----------------------------------------------------


def raw_transaction(**fields: Any) -> str:
    tx = {"to": dev_account(2).address, "value": 1, "gas": 21_000, "nonce": 0, "chainId": 31337, **fields}
    if "gasPrice" not in tx:
        tx = {"maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, **tx}
    return "0x" + bytes(dev_account(1).sign_transaction(tx).raw_transaction).hex()


def with_y_parity(raw: str, parity: int) -> str:
    """The signed type-2 transaction ``raw`` with its y-parity replaced."""
    import rlp

    payload = rlp.decode(bytes.fromhex(raw[4:]))
    payload[9] = rlp.sedes.big_endian_int.serialize(parity)
    return "0x02" + rlp.encode(payload).hex()


def test_awkward_but_valid_requests_are_answered(chain: EmbeddedChain) -> None:
    dispatcher = limited(chain)
    sender, to = dev_account(1).address, dev_account(2).address
    only_max_fee = answer(
        dispatcher, request("eth_sendTransaction", {"from": sender, "to": to, "maxFeePerGas": hex(10**10)})
    )
    assert "result" in only_max_fee, only_max_fee


@pytest.mark.parametrize(
    "method,params,code",
    [
        ("eth_sendTransaction", [{"from": "0x" + "00" * 20, "gasPrice": "0x1", "maxPriorityFeePerGas": "0x1"}], -32602),
        ("eth_call", [{"gasPrice": "0x1", "maxFeePerGas": "0x2"}, "latest"], -32602),
        ("eth_call", [{"maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x2"}, "latest"], -32602),
        ("eth_call", [{"data": "0x" + "00" * 49_153}, "latest"], -32000),  # initcode over EIP-3860's limit
        ("eth_estimateGas", [{"data": "0x" + "00" * 49_153}], -32000),
        ("eth_sendRawTransaction", [with_y_parity(raw_transaction(), 2)], -32602),
        ("eth_sendRawTransaction", [raw_transaction(chainId=1)], -32602),
        ("eth_sendRawTransaction", [raw_transaction(maxFeePerGas=10**9, maxPriorityFeePerGas=10**10)], -32602),
        ("eth_sendRawTransaction", [raw_transaction(gasPrice=10**10, chainId=1)], -32602),
    ],
)
def test_invalid_requests_are_errors_not_internal_ones(
    chain: EmbeddedChain, method: str, params: list[Any], code: int
) -> None:
    error = answer(limited(chain), request(method, *params))["error"]
    assert error["code"] == code, error
    assert chain.head().block_number == 0  # nothing was mined


def test_a_reverted_transaction_has_no_receipt(chain: EmbeddedChain) -> None:
    dispatcher = limited(chain)
    snapshot = answer(dispatcher, request("evm_snapshot"))["result"]
    raw = raw_transaction()
    tx_hash = answer(dispatcher, request("eth_sendRawTransaction", raw))["result"]
    first = answer(dispatcher, request("eth_getTransactionReceipt", tx_hash))["result"]
    assert first["status"] == "0x1"
    assert answer(dispatcher, request("evm_revert", snapshot))["result"] is True
    assert answer(dispatcher, request("eth_getTransactionReceipt", tx_hash))["result"] is None
    assert answer(dispatcher, request("eth_getTransactionByHash", tx_hash))["result"] is None
    answer(dispatcher, request("evm_increaseTime", 5))  # the next block differs from the dropped one
    assert answer(dispatcher, request("eth_sendRawTransaction", raw))["result"] == tx_hash  # sent again
    again = answer(dispatcher, request("eth_getTransactionReceipt", tx_hash))["result"]
    assert again["blockNumber"] == first["blockNumber"]
    assert again["blockHash"] != first["blockHash"]


def test_log_filters_and_slow_log_queries_are_bounded(chain: EmbeddedChain) -> None:
    dispatcher = limited(chain, read_timeout=0.0)
    for _ in range(3):
        dispatcher.call("eth_sendTransaction", [{"from": dev_account(1).address, "data": LOG0}])
    many = ["0x" + i.to_bytes(20, "big").hex() for i in range(257)]
    assert answer(dispatcher, request("eth_getLogs", {"address": many}))["error"]["code"] == -32602
    topics = [["0x" + i.to_bytes(32, "big").hex() for i in range(257)]]
    assert answer(dispatcher, request("eth_getLogs", {"topics": topics}))["error"]["code"] == -32602
    slow = answer(dispatcher, request("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"}))["error"]
    assert slow["code"] == -32005 and "AGORA_RPC_READ_TIMEOUT" in slow["message"]


# -- browsers ---------------------------------------------------------------------------------------


def test_only_json_from_known_hosts_and_origins_is_served(server: str) -> None:
    body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    plain = requests.post(server, data=body, headers={"content-type": "text/plain"}, timeout=10)
    assert plain.status_code == 415  # a page's "simple" request, sent without a preflight
    rebound = requests.post(server, data=body, headers={"content-type": "application/json", "host": "evil.example"})
    assert rebound.status_code == 403 and "AGORA_RPC_HOSTS" in rebound.text
    page = {"content-type": "application/json", "origin": "https://evil.example"}
    assert requests.post(server, data=body, headers=page, timeout=10).status_code == 403
    local = {"content-type": "application/json", "origin": "http://localhost:5173"}
    reply = requests.post(server, data=body, headers=local, timeout=10)
    assert reply.json()["result"] == "0x7a69"
    assert reply.headers["access-control-allow-origin"] == "http://localhost:5173"
    preflight = requests.options(server, headers={"origin": "http://127.0.0.1:3000"}, timeout=10)
    assert preflight.status_code == 204 and "POST" in preflight.headers["access-control-allow-methods"]


# -- connections -------------------------------------------------------------------------------------


def test_a_silent_connection_is_closed_after_the_head_timeout(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: ")  # and nothing more
        started = time.monotonic()
        reply = _read_answer(sock)
        assert reply.startswith("HTTP/1.1 408")
        assert time.monotonic() - started < 10  # the fixture's AGORA_RPC_HEAD_TIMEOUT is 2 s
        assert sock.recv(65536) == b""  # closed


def test_an_endless_request_line_is_cut_at_the_head_limit(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /")
        sent = 0
        with contextlib.suppress(OSError):  # the server closes while we still send
            while sent < 64 * 2**20:
                sock.sendall(b"a" * 65536)
                sent += 65536
        reply = b""
        with contextlib.suppress(OSError):
            reply = sock.recv(65536)
    assert sent < 8 * 2**20, "the server read megabytes of request line"
    assert reply == b"" or reply.startswith(b"HTTP/1.1 431")
    still_serving(server)


def test_calls_beyond_the_queue_are_refused_at_once(tmp_path: Path) -> None:
    port = free_port()
    proc = start_chain_server(tmp_path, port, env={**LIMITS, "AGORA_RPC_QUEUE": "2"})
    url = f"http://127.0.0.1:{port}"
    try:
        answers: list[tuple[float, dict[str, Any]]] = []

        def busy_call() -> None:
            started = time.monotonic()
            answer = rpc(url, "eth_call", {"data": LOOP, "gas": hex(50_000_000)}, "latest")
            answers.append((time.monotonic() - started, answer))

        threads = [threading.Thread(target=busy_call) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refused = [(took, a) for took, a in answers if "AGORA_RPC_QUEUE" in a["error"]["message"]]
        assert len(refused) == 3, answers  # two run (each to its time limit), three are turned away
        assert all(took < EVM_TIMEOUT for took, _ in refused)
        still_serving(url)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def big_answer(server: str) -> dict[str, Any]:
    """An eth_call of a contract returning 1 MiB of zeros: a 2 MiB answer."""
    runtime = bytes.fromhex("621000005ff3")  # RETURN(0, 0x100000)
    init = bytes.fromhex("65") + runtime + bytes.fromhex("5f526006601af3")  # MSTORE it, RETURN its 6 bytes
    deployer = dev_account(7)
    nonce = int(rpc(server, "eth_getTransactionCount", deployer.address, "latest")["result"], 16)
    fees = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": 31337, "value": 0}
    signed = deployer.sign_transaction({"data": init, "gas": 200_000, "nonce": nonce, **fees})
    tx_hash = rpc(server, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())["result"]
    address = rpc(server, "eth_getTransactionReceipt", tx_hash)["result"]["contractAddress"]
    call = {"jsonrpc": "2.0", "method": "eth_call", "params": [{"to": address}, "latest"]}
    assert len(rpc(server, "eth_call", {"to": address}, "latest")["result"]) == 2 + 2 * 2**20
    return call


def test_a_trickled_body_is_cut_at_the_body_timeout(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        sock.sendall(head.encode())
        started = time.monotonic()
        sock.setblocking(False)
        reply = b""
        while not reply and time.monotonic() - started < 20:
            with contextlib.suppress(BlockingIOError):
                sock.sendall(b" ")  # one byte every 0.5 s: never idle for the 1 s idle limit
            time.sleep(0.5)
            with contextlib.suppress(BlockingIOError):
                reply = sock.recv(65536)
        sock.settimeout(30)
        whole = _read_answer(sock, reply) if reply else ""
    assert whole.startswith("HTTP/1.1 408") and "AGORA_RPC_BODY_TIMEOUT" in whole


def test_a_client_that_does_not_read_is_cut_off(server: str, big_answer: dict[str, Any]) -> None:
    host, port = server.removeprefix("http://").split(":")
    body = orjson.dumps([{**big_answer, "id": i} for i in range(3)])  # ~6 MiB of answer
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    head = f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body)
    time.sleep(6)  # the answer is computed, the client reads nothing past the write timeout (2 s)
    received = 0
    sock.settimeout(10)
    with contextlib.suppress(OSError):
        while chunk := sock.recv(1 << 20):
            received += len(chunk)
    sock.close()
    assert received < 6 * 2**20, "the server kept the unread answer until the client came back"
    still_serving(server)


def test_answers_waiting_to_be_read_are_bounded_in_all(server: str, big_answer: dict[str, Any]) -> None:
    """Five 2 MiB answers in one batch with room for 8 MiB unread: those past the room are each
    replaced by the limit's error; those before it are answered."""
    body = post(server, orjson.dumps([{**big_answer, "id": i} for i in range(5)])).content
    answers = sorted(orjson.loads(body), key=lambda a: a["id"])
    assert len(body) < 8 * 2**20
    assert [("result" in a) for a in answers] == [True, True, True, False, False]
    assert all(a["error"]["code"] == -32005 and "AGORA_RPC_UNSENT_MAX" in a["error"]["message"] for a in answers[3:])


def test_a_websocket_upgrade_is_an_ordinary_request(server: str) -> None:
    headers = {"connection": "Upgrade", "upgrade": "websocket", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="}
    reply = requests.get(server, headers={**headers, "sec-websocket-version": "13"}, timeout=10)
    assert reply.status_code == 200 and reply.json() == {"chainId": 31337}


def test_blob_transactions_are_refused(chain: EmbeddedChain) -> None:
    blob = {
        "type": 3, "to": dev_account(2).address, "value": 0, "gas": 21_000, "nonce": 0, "chainId": 31337,
        "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "maxFeePerBlobGas": 10**9,
        "blobVersionedHashes": [b"\x01" + b"\x00" * 31],
    }  # fmt: skip
    raw = "0x" + bytes(dev_account(1).sign_transaction(blob).raw_transaction).hex()
    error = answer(limited(chain), request("eth_sendRawTransaction", raw))["error"]
    assert error["code"] == -32602 and "blob transactions" in error["message"]
