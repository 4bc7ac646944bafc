"""What one client may cost a node (an attacker's review): readers that stop reading, audits of big
shards, connections per address, odd leaves and node URLs, manifests dense in JSON values, failed
and trickled uploads, upload slots and objects per writer, signatures replayed to another node.

Real node processes on loopback; every attack bounded in size and time. Each test writes as a
writer of its own, so per-writer limits never meet across tests.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator

import psutil
import pytest
import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from store import Manifest, Segment, ShardRef, authorization, cid_of

from .store_cluster import WRITER, Node, signed_put, start_cluster, stop_all

IDLE = 1.5
MIB = 1024 * 1024
PER_CLIENT = 16


def writer(name: str) -> LocalAccount:
    account: LocalAccount = Account.from_key(hashlib.sha256(name.encode()).digest())
    return account


NAMES = ("gil-1", "gil-2", "failing", "slots", "tiny", "other", "replay", "url-0", "url-1", "url-2", "url-3")
WRITERS = {name: writer(name) for name in NAMES}
BAD_URLS = ["http://[::1", "http://ex\uff03ample", "http://127.0.0.1:x", "http://127.0.0.1:99999"]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Node]]:
    env = os.environ | {
        "AGORA_STORE_IDLE_TIMEOUT": str(IDLE),
        "AGORA_STORE_MAX_CLIENT_CONNECTIONS": str(PER_CLIENT),
        "AGORA_STORE_MAX_UPLOADS": "8",
        "AGORA_STORE_MAX_WRITER_UPLOADS": "2",
        "AGORA_STORE_MAX_FAILED_UPLOADS": "3",
        "AGORA_STORE_MAX_OBJECTS": "20",
    }
    accounts = ",".join([WRITER.address, *(a.address for a in WRITERS.values())])
    started = start_cluster(tmp_path_factory.mktemp("limits"), ["eu", "eu"], writers=accounts, env=env)
    yield started
    stop_all(started)
    for node in started:
        assert "Traceback" not in node.log(), node.log()[-3000:]


@pytest.fixture
def node(nodes: list[Node]) -> Node:
    return nodes[0]


def shard(size: int) -> tuple[str, bytes]:
    data = os.urandom(size)
    return f"/shards/{hashlib.sha256(data).hexdigest()}", data


def rss(node: Node) -> int:
    return int(psutil.Process(node.proc.pid).memory_info().rss)


def port_of(node: Node) -> int:
    return int(node.url.rsplit(":", 1)[1])


def connect(node: Node, source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port_of(node)))
    return sock


def slowest_info(node: Node, busy: threading.Event) -> float:
    slowest = 0.0
    while not busy.is_set():
        start = time.monotonic()
        assert requests.get(f"{node.url}/info", timeout=30).ok
        slowest = max(slowest, time.monotonic() - start)
        time.sleep(0.02)
    return slowest


# -- 2: readers that stop reading ------------------------------------------------------------------


def test_readers_that_stop_reading_a_64_mib_shard_or_its_audit_hold_no_memory_and_are_dropped(node: Node) -> None:
    """The attack found: 12 idle GETs of a 64 MiB shard held +768 MiB of node memory (audits +704)
    and their connections, for ever."""
    path, big = shard(64 * MIB)
    assert signed_put(node.url, path, big).status_code == 201
    segment = 64 * MIB - 80  # k=1: a 64 MiB shard
    refs = (ShardRef(path.rsplit("/", 1)[1], node.url, "eu"), ShardRef("0" * 64, node.url, "eu"))
    manifest = Manifest(cid_of(b"big"), segment, segment, 1, 1, (Segment(segment, refs),))
    assert signed_put(node.url, f"/manifests/{manifest.manifest_cid}", manifest.to_bytes()).status_code == 201
    before = rss(node)
    targets = [path] * 6 + [f"/audit/{manifest.manifest_cid}/0"] * 6
    readers = [connect(node, rcvbuf=4096) for _ in targets]
    ports = {sock.getsockname()[1] for sock in readers}
    try:
        for sock, target in zip(readers, targets, strict=True):
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        peak, start, seen = before, time.monotonic(), False
        while time.monotonic() - start < IDLE + 4:
            peak = max(peak, rss(node))
            held = {c.raddr.port for c in psutil.Process(node.proc.pid).net_connections() if c.raddr} & ports
            seen = seen or held == ports  # every one accepted (and answering) first
            if seen and not held:
                break
            time.sleep(0.1)
        assert seen and not held, f"{len(held)} connections of readers that stopped reading are still held"
        assert time.monotonic() - start > IDLE - 0.5  # dropped at the idle timeout, not before
    finally:
        for sock in readers:
            sock.close()
    assert (peak - before) / MIB < 100, f"the node grew {(peak - before) / MIB:.0f} MiB for 12 idle readers"


def test_one_client_address_holds_at_most_its_share_of_connections(node: Node) -> None:
    held = [connect(node, "127.0.0.3") for _ in range(PER_CLIENT)]
    try:
        extra = connect(node, "127.0.0.3")
        extra.settimeout(5)
        assert extra.recv(100).startswith(b"HTTP/1.1 503")
        extra.close()
        other = connect(node, "127.0.0.4")  # another address is served meanwhile
        other.sendall(b"GET /info HTTP/1.1\r\nHost: x\r\n\r\n")
        other.settimeout(5)
        reply = http.client.HTTPResponse(other)
        reply.begin()
        assert reply.status == 200
        other.close()
    finally:
        for sock in held:
            sock.close()


# -- 3: no bare 500 --------------------------------------------------------------------------------


@pytest.mark.parametrize("leaf", ["%C2%B2", "%D9%A3", "%EF%BC%91", "%E2%81%B0"], ids=["²", "٣", "１", "⁰"])
def test_a_leaf_of_other_digits_is_404(node: Node, leaf: str) -> None:
    """The attack found: '²'.isdigit() is True and int('²') raises: a 500."""
    reply = requests.get(f"{node.url}/audit/{cid_of(b'x')}/{leaf}", timeout=10)
    assert reply.status_code == 404 and reply.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_manifest_naming_a_node_url_that_cannot_be_parsed_is_400(node: Node, url: str) -> None:
    """The attack found: urlsplit raised ValueError outside the manifest's checks: a 500."""
    refs = tuple(ShardRef(hashlib.sha256(bytes([i])).hexdigest(), url, "") for i in range(2))
    manifest = Manifest(cid_of(b"x"), 1, 1, 1, 1, (Segment(1, refs),))
    account = WRITERS[f"url-{BAD_URLS.index(url)}"]  # each a writer of its own: a failed upload counts
    reply = signed_put(node.url, f"/manifests/{manifest.manifest_cid}", manifest.to_bytes(), account=account)
    assert reply.status_code == 400 and "not an http(s) node URL" in reply.json()["detail"]


def test_a_content_length_of_other_digits_is_400(node: Node) -> None:
    sock = connect(node)
    sock.sendall(b"PUT /shards/" + b"a" * 64 + b" HTTP/1.1\r\nHost: x\r\nContent-Length: \xb2\r\n\r\n")
    sock.settimeout(5)
    reply = http.client.HTTPResponse(sock)
    reply.begin()
    assert reply.status == 400
    sock.close()


# -- 4: a manifest dense in JSON values ------------------------------------------------------------


def test_manifests_dense_in_json_values_are_refused_at_once_and_the_node_answers_others(node: Node) -> None:
    """The attack found: 16 MiB of ``[[],[],…]`` took 3.5 s of orjson holding the GIL per upload;
    /info answered in 14 s and the node reached 1.47 GiB."""
    bodies = [b"[" + b"[]," * (16 * MIB // 3 - 3) + b"[]" + b" " * i + b"]" for i in range(4)]
    assert all(len(b) <= 16 * MIB for b in bodies)
    before, results = rss(node), []
    done, peak = threading.Event(), [before]

    def upload(body: bytes, account: LocalAccount) -> None:
        reply = signed_put(node.url, f"/manifests/{cid_of(body)}", body, account=account)
        results.append((reply.status_code, reply.json()["detail"]))

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss(node))
            time.sleep(0.05)

    names = ["gil-1", "gil-2", "gil-1", "gil-2"]  # two uploads at once each: the per-writer limit
    uploads = [threading.Thread(target=upload, args=(b, WRITERS[n])) for b, n in zip(bodies, names, strict=True)]
    watcher = threading.Thread(target=watch)
    for thread in [watcher, *uploads]:
        thread.start()
    finished = threading.Event()

    def join() -> None:
        for thread in uploads:
            thread.join()
        finished.set()

    threading.Thread(target=join).start()
    slowest = slowest_info(node, finished)
    done.set()
    watcher.join()
    assert [status for status, _ in results] == [400] * 4
    assert all("JSON values; a manifest has at most one per 16 bytes" in detail for _, detail in results)
    assert slowest < 1.0, f"/info took {slowest:.2f}s while the uploads were checked"
    assert (peak[0] - before) / MIB < 300, f"the node grew {(peak[0] - before) / MIB:.0f} MiB"


def test_a_writer_whose_uploads_keep_failing_is_refused_for_a_while(node: Node) -> None:
    """Failed uploads cost the node reading and checking them, and cost the writer nothing: after
    three in a minute (this node's setting) a writer's uploads are refused before being read."""
    failing = WRITERS["failing"]
    for _ in range(3):
        path, data = shard(1000)
        wrong = data[:-1] + bytes([data[-1] ^ 1])  # not the bytes the name hashes
        assert signed_put(node.url, path, wrong, account=failing).status_code == 400
    reply = signed_put(node.url, *shard(1000), account=failing)
    assert reply.status_code == 429 and 1 <= int(reply.headers["retry-after"]) <= 60
    assert "3 failed uploads" in reply.json()["detail"]
    assert signed_put(node.url, *shard(1000), account=WRITERS["other"]).status_code == 201


# -- 11: upload slots -----------------------------------------------------------------------------


def trickle(node: Node, account: LocalAccount, outcome: list[tuple[int, str, float]]) -> None:
    """A signed PUT of 1 MB that sends one byte every 0.3 s, until the node answers."""
    path, size = f"/shards/{os.urandom(32).hex()}", 1_000_000
    sock = connect(node)
    auth = authorization(account, path, size, int(time.time()) + 600, node=node.id)
    start = time.monotonic()
    sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\nAuthorization: {auth}\r\n\r\n".encode())
    sock.settimeout(0.3)
    try:
        while time.monotonic() - start < 10:
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break
            except TimeoutError:
                sock.sendall(b"x")
        sock.settimeout(5)
        reply = http.client.HTTPResponse(sock)
        reply.begin()
        outcome.append((reply.status, reply.read().decode(), time.monotonic() - start))
    finally:
        sock.close()


def test_one_writer_cannot_hold_every_upload_slot_and_trickled_uploads_are_cut(node: Node) -> None:
    """The attack found: one writer held all 16 upload slots with PUTs trickling a byte every 5 s."""
    outcome: list[tuple[int, str, float]] = []
    trickles = [threading.Thread(target=trickle, args=(node, WRITERS["slots"], outcome)) for _ in range(2)]
    for thread in trickles:
        thread.start()
    time.sleep(0.4)
    third = signed_put(node.url, *shard(1000), account=WRITERS["slots"])
    assert third.status_code == 503 and "of one writer" in third.json()["detail"]
    assert signed_put(node.url, *shard(1000), account=WRITERS["other"]).status_code == 201
    for thread in trickles:
        thread.join(15)
    assert [status for status, _, _ in outcome] == [408, 408]
    assert all("slower than 65536 bytes a second" in body and seconds < 3 for _, body, seconds in outcome), outcome


# -- 8: objects, not bytes -------------------------------------------------------------------------


def test_objects_per_writer_are_capped_and_info_counts_each_at_once(node: Node) -> None:
    """The attack found: 3,000 four-byte shards (3,000 inodes) cost their writer 12 KB of quota."""
    tiny = WRITERS["tiny"]
    shards = requests.get(f"{node.url}/info", timeout=10).json()["shards"]
    for i in range(20):
        assert signed_put(node.url, *shard(4), account=tiny).status_code == 201, i
        shards += 1
        assert requests.get(f"{node.url}/info", timeout=10).json()["shards"] == shards  # kept, not listed
    reply = signed_put(node.url, *shard(4), account=tiny)
    assert reply.status_code == 507 and "20 objects here, the most this node keeps per writer" in reply.json()["detail"]


# -- 9: a signature names its node -----------------------------------------------------------------


def test_a_write_signed_for_one_node_is_refused_by_another(nodes: list[Node]) -> None:
    """The attack found: a header signed for one node was accepted by another, charging the signer there."""
    first, second = nodes
    ids = [requests.get(f"{n.url}/info", timeout=10).json()["id"] for n in nodes]
    assert ids[0] != ids[1] and all(len(i) == 66 and i.startswith("0x") for i in ids)
    path, data = shard(1000)
    header = {"Authorization": authorization(WRITERS["replay"], path, len(data), int(time.time()) + 600, node=first.id)}
    assert requests.put(first.url + path, data=data, headers=header, timeout=10).status_code == 201
    replayed = requests.put(second.url + path, data=data, headers=header, timeout=10)
    assert replayed.status_code == 401 and f"on node {ids[1]}" in replayed.json()["detail"]
    assert requests.head(second.url + path, timeout=10).status_code == 404


def test_a_client_that_shuts_its_side_after_its_request_is_answered(node: Node) -> None:
    """uvicorn closed the connection on the client's EOF before a route that awaited anything had
    answered (half of these audits, every /info once /info read its counts in a thread)."""
    for path in [f"/audit/{cid_of(b'x')}/0", "/info"] * 10:
        sock = connect(node)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(5)
        reply = http.client.HTTPResponse(sock, method="GET")
        reply.begin()
        assert reply.status in (200, 404) and reply.read()
        sock.close()
