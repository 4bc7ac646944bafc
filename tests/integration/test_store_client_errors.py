"""A store client's failures are StoreErrors that show nothing of a node but a short problem
title or detail, and https nodes are spoken to over verified TLS (an attacker's review).

Real node processes and lying nodes on loopback; every attack bounded in size and time.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Manifest, NotFound, Segment, ShardRef, StoreClient, StoreError, cid_of

from .store_cluster import WRITER, LiarNode, answer_with, start_node, stop_all

SECRET = b'{"detail":"internal-only: db password is hunter2"}'


@pytest.fixture
def liar() -> Iterator[LiarNode]:
    node = LiarNode()
    yield node
    node.stop()


def refs(hashes: list[str], node: str) -> tuple[ShardRef, ...]:
    return tuple(ShardRef(h, node, "eu") for h in hashes)


# -- 6: what of a node's answer is shown --------------------------------------------------------


def test_only_a_short_problem_title_or_detail_of_an_answer_is_shown(liar: LiarNode) -> None:
    cid = cid_of(b"some manifest")
    with StoreClient([liar.url], timeout=2, deadline=4) as c:
        liar.routes[f"/manifests/{cid}"] = answer_with(403, SECRET)  # not problem+json: not shown
        with pytest.raises(NotFound) as failure:
            c.manifest(cid)
        assert "hunter2" not in str(failure.value) and "HTTP 403" in str(failure.value)
        detail = "x\\u001b[31m" + "y" * 5000  # an escape sequence, in JSON
        problem = b'{"title":"t","detail":"%s"}' % detail.encode()
        liar.routes[f"/manifests/{cid}"] = answer_with(409, problem, {"Content-Type": "application/problem+json"})
        with pytest.raises(NotFound) as failure:
            c.manifest(cid)
    shown = str(failure.value).split("HTTP 409: ", 1)[1]
    assert shown.startswith("x?[31my") and len(shown) == 300


# -- 3: every failure a StoreError -----------------------------------------------------------------


def test_a_node_asking_to_retry_after_nan_seconds_is_a_store_error(liar: LiarNode) -> None:
    """The attack found: 'Retry-After: nan' made time.sleep raise ValueError out of put."""
    liar.routes["/info"] = answer_with(200, b'{"region":"","id":"0x' + b"ab" * 32 + b'"}')
    liar.default = answer_with(503, b"", {"Retry-After": "nan"})
    with StoreClient([liar.url], k=1, m=1, timeout=2, deadline=4, signer=WRITER) as c:
        with pytest.raises(StoreError, match="HTTP 503"):
            c.put_shard(liar.url, b"x")


@pytest.mark.parametrize("bad", ["http://[::1", "http://127.0.0.1:x", "ftp://127.0.0.1:1", "http://a:b@127.0.0.1:1"])
def test_node_urls_that_cannot_be_asked_are_store_errors(liar: LiarNode, bad: str) -> None:
    with pytest.raises(StoreError, match="not a store node URL"):
        StoreClient([bad])
    manifest = Manifest(cid_of(b"x"), 1, 1, 1, 1, (Segment(1, refs(["a" * 64, "b" * 64], "http://n")),))
    body = manifest.to_bytes().replace(b"http://n", bad.encode())
    liar.routes[f"/manifests/{cid_of(body)}"] = answer_with(200, body)
    with StoreClient([liar.url], timeout=2, deadline=4) as c, pytest.raises(NotFound, match="not an http"):
        c.get(cid_of(body))  # from a configured node that lies: refused, nothing escapes


# -- 10: TLS ---------------------------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agora test node")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "node.crt", directory / "node.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_nodes_are_spoken_to_over_verified_tls(tmp_path: Path) -> None:
    """The attack found: https:// node URLs were spoken to in clear text."""
    cert, key = self_signed(tmp_path)
    tls = ["--tls-cert", str(cert), "--tls-key", str(key)]
    nodes = [start_node(tmp_path / f"tls{i}", extra=tls, scheme="https", wait=False) for i in range(2)]
    try:
        for node in nodes:
            node.wait_up()
        urls = [n.url for n in nodes]
        with StoreClient(urls, timeout=2, deadline=4) as c, pytest.raises(StoreError, match="not trusted"):
            c.get_json(urls[0], "/info", limit=65536)  # a self-signed certificate: refused by default
        with StoreClient(urls, k=1, m=1, signer=WRITER, ca_file=str(cert)) as c:
            data = os.urandom(100_000)
            cid = c.put(data)
            assert c.get(cid) == data and set(c.manifest(cid).nodes()) == set(urls)
        plain = urls[0].replace("https", "http")
        with StoreClient([plain], timeout=2, deadline=4) as c, pytest.raises(StoreError):
            c.get_json(plain, "/info", limit=65536)  # no clear text on a TLS port
    finally:
        stop_all(nodes)
    assert not any("Traceback" in n.log() for n in nodes)
