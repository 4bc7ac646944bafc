"""Signed writes: the ``Authorization: AgoraStore …`` header of a PUT, made and checked.

The signature is EIP-712 typed data, domain ``{name: "Agora Store", version: "1"}``, primary
type ``StorePut(bytes32 node,string path,uint256 size,uint64 expires)``: the id of the node it is
for (so it cannot be replayed to another node), the request path (a content address, so the
signature binds the content), the exact body length, and when it stops being valid.
"""

from __future__ import annotations

import functools
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import coincurve
from sha3 import keccak_256  # safe-pysha3: eth-hash without its import time (docs/toolchain.md)

from .errors import StoreError, Unauthenticated

if TYPE_CHECKING:
    from eth_account.messages import SignableMessage
    from eth_typing import Hash32

SCHEME = "AgoraStore"
MAX_AHEAD = 3600
"""A signature may expire at most this many seconds after the node checks it."""
DOMAIN: dict[str, Any] = {"name": "Agora Store", "version": "1"}
TYPES: dict[str, Any] = {
    "StorePut": [
        {"name": "node", "type": "bytes32"},
        {"name": "path", "type": "string"},
        {"name": "size", "type": "uint256"},
        {"name": "expires", "type": "uint64"},
    ]
}
NODE_ID_BYTES = 32
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HEADER = re.compile(
    r"AgoraStore signer=(0x[0-9a-fA-F]{40}),expires=([0-9]{1,19}),signature=(0x[0-9a-fA-F]{130})", re.ASCII
)
_MAX_HEADER = 300


def keccak(data: bytes) -> bytes:
    return bytes(keccak_256(data).digest())


_DOMAIN_SEPARATOR = keccak(keccak(b"EIP712Domain(string name,string version)") + keccak(b"Agora Store") + keccak(b"1"))
_PUT_TYPEHASH = keccak(b"StorePut(bytes32 node,string path,uint256 size,uint64 expires)")


def message(path: str, size: int, expires: int, *, node: bytes) -> SignableMessage:
    """The EIP-712 message a writer signs for ``PUT path`` with a ``size``-byte body on the node
    whose id is ``node`` (what a wallet is given; `digest` is its hash, computed directly)."""
    from eth_account.messages import encode_typed_data  # eth-account is slow to import: here only

    return encode_typed_data(
        domain_data=DOMAIN,
        message_types=TYPES,
        message_data={"node": node, "path": path, "size": size, "expires": expires},
    )


def digest(path: str, size: int, expires: int, *, node: bytes) -> bytes:
    """The EIP-712 digest of `message` (three keccaks instead of eth_account's generic encoder:
    ~0.1 ms less per write on both sides; tests/unit/test_store_auth.py checks they agree)."""
    if len(node) != NODE_ID_BYTES:
        raise ValueError(f"a node id is {NODE_ID_BYTES} bytes, not {len(node)}")
    fields = node + keccak(path.encode()) + size.to_bytes(32, "big") + expires.to_bytes(32, "big")
    return keccak(b"\x19\x01" + _DOMAIN_SEPARATOR + keccak(_PUT_TYPEHASH + fields))


class _Signature(Protocol):
    @property
    def signature(self) -> bytes: ...


class Signer(Protocol):
    """What signs a write: `ledger.Key`, or eth-account's `LocalAccount`."""

    @property
    def address(self) -> str: ...

    def unsafe_sign_hash(self, message_hash: Hash32, /) -> _Signature: ...


def authorization(account: Signer, path: str, size: int, expires: int, *, node: bytes) -> str:
    """The ``Authorization`` header value for ``PUT path`` with a ``size``-byte body on the node
    whose id (from its ``/info``) is ``node``."""
    signed = account.unsafe_sign_hash(cast("Hash32", digest(path, size, expires, node=node)))  # our typed data's hash
    return f"{SCHEME} signer={account.address},expires={expires},signature=0x{bytes(signed.signature).hex()}"


def verify(header: str | None, *, path: str, size: int, node: bytes, now: float | None = None) -> str:
    """The checksum address that signed this write to the node whose id is ``node``.

    Raises:
        Unauthenticated: when the header is missing or malformed, the signature is high-s or does
            not recover to its signer for this node, path and size, or it has expired or expires
            more than `MAX_AHEAD` seconds from now.
    """
    if not header:
        raise Unauthenticated(f"a write needs an 'Authorization: {SCHEME} signer=…,expires=…,signature=…' header")
    match = _HEADER.fullmatch(header.strip()) if len(header) <= _MAX_HEADER else None
    if match is None:
        raise Unauthenticated(f"malformed Authorization header (expected {SCHEME} signer=0x…,expires=…,signature=0x…)")
    signer, expires, signature = match.group(1), int(match.group(2)), bytes.fromhex(match.group(3)[2:])
    clock = time.time() if now is None else now
    if expires < clock:
        raise Unauthenticated(f"the signature expired at {expires}")
    if expires > clock + MAX_AHEAD:
        raise Unauthenticated(f"the signature expires more than {MAX_AHEAD}s ahead")
    s, v = int.from_bytes(signature[32:64], "big"), signature[64]
    if not 0 < s <= SECP256K1_N // 2 or v not in (27, 28):
        raise Unauthenticated("not a canonical signature (high s or bad v)")
    if not 0 < int.from_bytes(signature[:32], "big") < SECP256K1_N:
        raise Unauthenticated("not a signature (r out of range)")
    hashed = digest(path, size, expires, node=node)
    try:  # libsecp256k1, as eth-keys would pick, without its Python layers (~0.1 ms a write)
        key = coincurve.PublicKey.from_signature_and_message(signature[:64] + bytes([v - 27]), hashed, hasher=None)
    except Exception:  # noqa: BLE001 - no point recovers from this signature and hash
        raise Unauthenticated("the signature does not recover to an address") from None
    recovered = keccak(key.format(compressed=False)[1:])[-20:]
    if recovered != bytes.fromhex(signer[2:]):
        raise Unauthenticated(f"the signature is not {signer}'s for PUT {path} of {size} bytes on node 0x{node.hex()}")
    return _checksum(recovered)


@functools.lru_cache(maxsize=4096)
def _checksum(address: bytes) -> str:
    """The EIP-55 form of an address: each hex letter upper-case where the keccak of the
    lower-case hex has a nibble of 8 or more (here rather than eth_utils, whose import is ~60 ms
    of a node's first upload; tests/unit/test_store_auth.py checks the two agree)."""
    hexed = address.hex()
    nibbles = keccak(hexed.encode()).hex()
    return "0x" + "".join(c.upper() if int(n, 16) >= 8 else c for c, n in zip(hexed, nibbles, strict=False))


class ListedWriters:
    """The writers check of ``--writers 0xA,0xB``: exactly these addresses may write (any letter
    case). A set lookup, so a node answers it on its event loop (``blocking`` is false)."""

    blocking = False

    def __init__(self, addresses: list[str]) -> None:
        self.allowed = frozenset(a.lower() for a in addresses)

    def __call__(self, signer: str) -> bool:
        return signer.lower() in self.allowed


def node_identity(directory: Path) -> bytes:
    """The node's id: 32 random bytes made at its first start and kept (hex) in ``directory/node-id``.

    Raises:
        StoreError: when the file exists but does not hold an id.
    """
    path = directory / "node-id"
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        directory.mkdir(parents=True, exist_ok=True)
        staged = directory / f".node-id.{os.getpid()}"
        staged.write_text(os.urandom(NODE_ID_BYTES).hex() + "\n")
        try:
            os.link(staged, path)  # create if absent: two nodes starting on one directory agree
        except FileExistsError:
            pass
        except OSError:
            os.replace(staged, path)  # a file system without hard links
        finally:
            staged.unlink(missing_ok=True)
        text = path.read_text().strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise StoreError(f"{path} does not hold a node id (64 lower-case hex digits)")
    return bytes.fromhex(text)
