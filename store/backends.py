"""Where a store node keeps its bytes: a local directory or an S3-compatible bucket.

Uploads arrive as temporary files (written and hashed as the body streams in, in `staging()`);
`put_file` moves a finished one into place atomically. Objects are read back as streams (`open`),
never whole, and the shard count and bytes (`usage`) are kept as objects come and go, not
counted again by listing.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

from .errors import StoreError

log = logging.getLogger(__name__)
_FULL = (errno.ENOSPC, errno.EDQUOT)
_NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV)


class DiskFull(StoreError):
    """Raised when the backend has no room for a write."""


def disk_full(exc: OSError) -> bool:
    """Whether ``exc`` means the disk (or the user's disk quota) is full."""
    return exc.errno in _FULL


class Reader(Protocol):
    """An object being read: a file, or an S3 object's body."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class Backend(Protocol):
    """Key-value storage of immutable objects (`shards/<hash>`, `manifests/<cid>`)."""

    name: str
    local: bool
    """Whether `exists` is a local system call (a stat), cheap enough for a node's event loop."""

    def staging(self) -> Path:
        """A local directory for uploads in progress (on the objects' file system when local)."""
        ...

    def put_file(self, key: str, path: Path) -> bool:
        """Moves the finished upload at ``path`` into place as ``key``; True when ``key`` is new."""
        ...

    def get(self, key: str) -> bytes | None: ...

    def open(self, key: str) -> tuple[int, Reader] | None:
        """The object's size and a reader of it, or None when there is no such object."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def usage(self) -> tuple[int, int]:
        """(number of shards, bytes of shards), kept up to date as shards are stored (no listing)."""
        ...


def _clear(directory: Path) -> None:
    """Removes uploads a crash left behind."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


class DirectoryBackend:
    """Objects as files; an upload is fsynced, then renamed into place (no torn objects)."""

    name = "directory"
    local = True

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "shards").mkdir(parents=True, exist_ok=True)
        (root / "manifests").mkdir(parents=True, exist_ok=True)
        _clear(root / ".staging")
        self._lock = threading.Lock()
        with os.scandir(root / "shards") as entries:  # once, at start; then kept as shards come
            sizes = [e.stat().st_size for e in entries if not e.name.startswith(".") and e.is_file()]
        self._count, self._bytes = len(sizes), sum(sizes)

    def _path(self, key: str) -> Path:
        kind, _, name = key.partition("/")
        if kind not in ("shards", "manifests") or not name or "/" in name or name.startswith(".") or "\0" in name:
            raise StoreError(f"bad key {key!r}")
        return self.root / kind / name

    def staging(self) -> Path:
        return self.root / ".staging"

    def put_file(self, key: str, path: Path) -> bool:
        target = self._path(key)
        size, old = path.stat().st_size, 0
        try:
            try:
                os.link(path, target)  # atomic "create if absent": tells a new object from a rewrite
                new = True
            except FileExistsError:
                # Rewrite anyway: the existing file may be the corrupt copy that a repair replaces.
                old = _size(target)
                os.replace(path, target)
                new = False
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                new = not target.exists()  # a file system without hard links: rename only
                old = 0 if new else _size(target)
                os.replace(path, target)
            if key.startswith("shards/"):
                with self._lock:
                    self._count += new
                    self._bytes += size - old
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            if disk_full(exc):
                log.warning("no space left in %s for %s", self.root, key)
                raise DiskFull("no space left on this node") from None
            raise
        finally:
            path.unlink(missing_ok=True)
        return new

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def open(self, key: str) -> tuple[int, Reader] | None:
        try:
            fh = open(self._path(key), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            return None
        return os.fstat(fh.fileno()).st_size, fh

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        path = self._path(key)
        size = _size(path)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        if key.startswith("shards/"):
            with self._lock:
                self._count -= 1
                self._bytes -= size

    def usage(self) -> tuple[int, int]:
        with self._lock:
            return self._count, self._bytes

    def free_bytes(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize


class S3Backend:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph, moto...); S3 writes are atomic.

    Uploads are staged in a local directory (``staging``, default a temporary one) first.
    """

    name = "s3"
    local = False

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        prefix: str = "",
        staging: Path | None = None,
        **client_args: Any,
    ) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix
        self._staging = staging or Path(tempfile.gettempdir()) / f"agora-s3-staging-{bucket}"
        _clear(self._staging)
        self._s3 = boto3.client("s3", endpoint_url=endpoint_url, **client_args)
        self._lock = threading.Lock()
        self._usage: tuple[int, int] | None = None
        try:
            self._s3.head_bucket(Bucket=bucket)
        except self._s3.exceptions.ClientError:
            self._s3.create_bucket(Bucket=bucket)

    def _key(self, key: str) -> str:
        return self.prefix + key

    def staging(self) -> Path:
        return self._staging

    def put_file(self, key: str, path: Path) -> bool:
        try:
            new, size = not self.exists(key), path.stat().st_size
            self._s3.upload_file(str(path), self.bucket, self._key(key))
        finally:
            path.unlink(missing_ok=True)
        if new and key.startswith("shards/"):
            self._count(1, size)
        return new

    def _count(self, objects: int, size: int) -> None:
        with self._lock:
            if self._usage is not None:
                self._usage = (self._usage[0] + objects, self._usage[1] + size)

    def get(self, key: str) -> bytes | None:
        try:
            obj = self._s3.get_object(Bucket=self.bucket, Key=self._key(key))
        except self._s3.exceptions.NoSuchKey:
            return None
        return bytes(obj["Body"].read())

    def open(self, key: str) -> tuple[int, Reader] | None:
        try:
            obj = self._s3.get_object(Bucket=self.bucket, Key=self._key(key))
        except self._s3.exceptions.NoSuchKey:
            return None
        return int(obj["ContentLength"]), obj["Body"]

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._s3.exceptions.ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        try:
            size = int(self._s3.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"])
        except self._s3.exceptions.ClientError:
            return
        self._s3.delete_object(Bucket=self.bucket, Key=self._key(key))
        if key.startswith("shards/"):
            self._count(-1, -size)

    def usage(self) -> tuple[int, int]:
        """Listed once (the bucket may hold shards from before this process), then kept."""
        with self._lock:
            if self._usage is not None:
                return self._usage
        count = size = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key("shards/")):
            for obj in page.get("Contents", []):
                count += 1
                size += int(obj["Size"])
        with self._lock:
            if self._usage is None:
                self._usage = (count, size)
            return self._usage


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
