"""Where a store node keeps its bytes: a local directory or an S3-compatible bucket."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from .errors import StoreError


class DiskFull(StoreError):
    """Raised when the backend has no room for a write."""


class Backend(Protocol):
    """Key-value storage of immutable objects (`shards/<hash>`, `manifests/<cid>`)."""

    name: str

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def usage(self) -> tuple[int, int]:
        """(number of shards, bytes of shards)."""
        ...


class DirectoryBackend:
    """Objects as files; writes go to a temporary file, fsync, then rename (no torn objects)."""

    name = "directory"

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "shards").mkdir(parents=True, exist_ok=True)
        (root / "manifests").mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        kind, _, name = key.partition("/")
        if kind not in ("shards", "manifests") or not name or "/" in name or name.startswith("."):
            raise StoreError(f"bad key {key!r}")
        return self.root / kind / name

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        # Always rewrite: an existing file may be the corrupt copy that a repair replaces.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(f"no space left on {self.root}") from None
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def usage(self) -> tuple[int, int]:
        files = [p for p in (self.root / "shards").iterdir() if not p.name.startswith(".")]
        return len(files), sum(p.stat().st_size for p in files)

    def free_bytes(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize


class S3Backend:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph, moto...); S3 writes are atomic."""

    name = "s3"

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, prefix: str = "", **client_args: Any) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix
        self._s3 = boto3.client("s3", endpoint_url=endpoint_url, **client_args)
        try:
            self._s3.head_bucket(Bucket=bucket)
        except self._s3.exceptions.ClientError:
            self._s3.create_bucket(Bucket=bucket)

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            obj = self._s3.get_object(Bucket=self.bucket, Key=self._key(key))
        except self._s3.exceptions.NoSuchKey:
            return None
        return bytes(obj["Body"].read())

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._s3.exceptions.ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=self._key(key))

    def usage(self) -> tuple[int, int]:
        count = size = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key("shards/")):
            for obj in page.get("Contents", []):
                count += 1
                size += int(obj["Size"])
        return count, size
