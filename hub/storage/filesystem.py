"""Filesystem object store: the embedded default (a folder under the Hub's data dir).

Layout under ``root``: the object for key ``a/b`` is the plain file ``root/a/b``; its metadata
(content type, SHA-256 etag) is the sidecar ``root/.meta/a/b.json``. Names starting with "." are
never valid key segments, so temp files and the sidecar tree cannot collide with objects.

A put writes a temp file in the target's folder, fsyncs it and ``os.replace``s it into place, so a
crash never leaves a half-written object under the final key. The sidecar records the inode, size
and mtime of the file it describes; a sidecar that does not match its file (a crash between the two
renames) is ignored and the etag recomputed, so metadata is never wrong, only occasionally slow.

Blocking file I/O runs in worker threads (``asyncio.to_thread``), one chunk per hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from hub.errors import Conflict

from .base import (
    DEFAULT_CHUNK_SIZE,
    ObjectInfo,
    ObjectNotFound,
    ObjectStream,
    PresignUnsupported,
    PutData,
    StorageUnavailable,
    check_bytes_length,
    check_presign_ttl,
    checked_chunks,
    resolve_range,
    validate_content_type,
    validate_key,
    validate_prefix,
)

_META_DIR = ".meta"
_DEFAULT_CONTENT_TYPE = "application/octet-stream"
_LIST_BATCH = 500


@dataclass(frozen=True, slots=True)
class _Meta:
    content_type: str
    etag: str


class FilesystemObjectStore:
    """Objects as files under ``root``; etag is the hex SHA-256 of the content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FilesystemObjectStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / key

    def _meta_path(self, key: str) -> Path:
        return self.root / _META_DIR / f"{key}.json"

    async def put(self, key: str, data: PutData, *, content_type: str, length: int | None = None) -> ObjectInfo:
        validate_key(key)
        validate_content_type(content_type)
        path, meta_path = self._path(key), self._meta_path(key)
        await asyncio.to_thread(_make_parents, key, path, meta_path)
        tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
        fh: IO[bytes] = await asyncio.to_thread(open, tmp, "xb")
        hasher = hashlib.sha256()
        try:
            if isinstance(data, bytes | bytearray | memoryview):
                check_bytes_length(bytes(data), length)
                await asyncio.to_thread(_write, fh, hasher.update, bytes(data))
            else:
                async for chunk in checked_chunks(data, length):
                    await asyncio.to_thread(_write, fh, hasher.update, chunk)
        except BaseException:
            # Deliberately synchronous: this also runs on cancellation, where another await could be
            # cancelled in turn and leak the temp file.
            _discard(fh, tmp)
            raise
        meta = _Meta(content_type, hasher.hexdigest())
        commit = asyncio.ensure_future(asyncio.to_thread(_commit, fh, tmp, path, meta_path, key, meta))
        try:
            return await asyncio.shield(commit)
        except asyncio.CancelledError:
            # The commit owns the temp file now and takes milliseconds: let it finish rather than
            # pull the file out from under its thread.
            await asyncio.wait([commit])
            if not commit.cancelled():
                commit.exception()
            raise

    async def get(
        self,
        key: str,
        *,
        start: int | None = None,
        end: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> ObjectStream:
        validate_key(key)
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        # Holding the descriptor pins the inode: a concurrent put replaces the name, not these bytes.
        fh, info = await asyncio.to_thread(self._open, key)
        try:
            first, last = resolve_range(info.size, start, end)
        except BaseException:
            fh.close()
            raise

        async def chunks() -> AsyncGenerator[bytes, None]:
            await asyncio.to_thread(fh.seek, first)
            remaining = last - first + 1
            while remaining > 0:
                block = await asyncio.to_thread(fh.read, min(chunk_size, remaining))
                if not block:
                    return
                remaining -= len(block)
                yield block

        async def release() -> None:
            await asyncio.to_thread(fh.close)

        return ObjectStream(info, first, last, chunks(), release)

    async def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        fh, info = await asyncio.to_thread(self._open, key)
        await asyncio.to_thread(fh.close)
        return info

    async def delete(self, key: str) -> None:
        validate_key(key)
        await asyncio.to_thread(_unlink_all, self._path(key), self._meta_path(key))

    async def exists(self, key: str) -> bool:
        validate_key(key)
        return await asyncio.to_thread(self._path(key).is_file)

    async def presign_get(self, key: str, *, expires: timedelta) -> str:
        validate_key(key)
        check_presign_ttl(expires)
        raise PresignUnsupported("the filesystem object store cannot mint URLs; stream through the Hub")

    async def ping(self) -> None:
        try:
            await asyncio.to_thread(_probe_writable, self.root)
        except OSError as exc:
            raise StorageUnavailable(f"object folder is not writable: {exc}", root=str(self.root)) from exc

    async def ensure_bucket(self) -> None:
        await asyncio.to_thread((self.root / _META_DIR).mkdir, parents=True, exist_ok=True)

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        validate_prefix(prefix)
        walker = _walk_keys(self.root, prefix)
        try:
            while batch := await asyncio.to_thread(_take, walker, _LIST_BATCH):
                for key in batch:
                    yield key
        finally:
            # A cancelled to_thread may still be advancing the walker; then it just runs out.
            with contextlib.suppress(ValueError):
                walker.close()

    def _open(self, key: str) -> tuple[IO[bytes], ObjectInfo]:
        try:
            fh = open(self._path(key), "rb")  # closed by the caller, after streaming
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound("no such object", key=key) from exc
        try:
            st = os.fstat(fh.fileno())
            meta = _read_meta(self._meta_path(key), st) or _Meta(_DEFAULT_CONTENT_TYPE, _sha256_of(fh))
        except BaseException:
            fh.close()
            raise
        modified = datetime.fromtimestamp(st.st_mtime_ns / 1e9, tz=UTC)
        return fh, ObjectInfo(key, st.st_size, meta.etag, meta.content_type, modified)


def _fingerprint(st: os.stat_result) -> dict[str, int]:
    # rename keeps inode and mtime, so the temp file's values identify the committed object.
    return {"ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _make_parents(key: str, *dirs: Path) -> None:
    try:
        for path in dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        # S3 allows both "a" and "a/b"; a folder tree cannot hold both.
        raise Conflict("an object key is a prefix of this key", code="OBJECT_KEY_CONFLICT", key=key) from exc


def _write(fh: IO[bytes], update_hash: Callable[[bytes], object], chunk: bytes) -> None:
    update_hash(chunk)
    fh.write(chunk)


def _commit(fh: IO[bytes], tmp: Path, path: Path, meta_path: Path, key: str, meta: _Meta) -> ObjectInfo:
    meta_tmp = meta_path.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        fh.flush()
        os.fsync(fh.fileno())
        st = os.fstat(fh.fileno())
        fh.close()
        record = {"content_type": meta.content_type, "etag": meta.etag, **_fingerprint(st)}
        with open(meta_tmp, "x", encoding="utf-8") as out:
            json.dump(record, out)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.replace(tmp, path)
        except IsADirectoryError as exc:
            raise Conflict("this key is a prefix of other keys", code="OBJECT_KEY_CONFLICT", key=key) from exc
        os.replace(meta_tmp, meta_path)
    except BaseException:
        _discard(fh, tmp)
        with contextlib.suppress(FileNotFoundError):
            meta_tmp.unlink()
        raise
    _fsync_dir(path.parent)
    _fsync_dir(meta_path.parent)
    modified = datetime.fromtimestamp(st.st_mtime_ns / 1e9, tz=UTC)
    return ObjectInfo(key, st.st_size, meta.etag, meta.content_type, modified)


def _discard(fh: IO[bytes], tmp: Path) -> None:
    fh.close()
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_meta(meta_path: Path, st: os.stat_result) -> _Meta | None:
    try:
        record = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or any(record.get(k) != v for k, v in _fingerprint(st).items()):
        return None
    content_type, etag = record.get("content_type"), record.get("etag")
    if not isinstance(content_type, str) or not isinstance(etag, str):
        return None
    return _Meta(content_type, etag)


def _sha256_of(fh: IO[bytes]) -> str:
    hasher = hashlib.sha256()
    fh.seek(0)
    while block := fh.read(1024 * 1024):
        hasher.update(block)
    fh.seek(0)
    return hasher.hexdigest()


def _unlink_all(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            path.unlink()


def _probe_writable(root: Path) -> None:
    if not root.is_dir():
        raise FileNotFoundError(f"{root} does not exist")
    probe = root / f".ping-{uuid.uuid4().hex}"
    probe.write_bytes(b"")
    probe.unlink()


def _walk_keys(root: Path, prefix: str) -> Generator[str, None, None]:
    # Start at the deepest folder the prefix names, then filter by the full string prefix.
    folder = prefix.rpartition("/")[0]
    start = root / folder if folder else root
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            key = name if rel == "." else f"{rel}/{name}"
            if key.startswith(prefix):
                yield key


def _take(iterator: Iterator[str], count: int) -> list[str]:
    batch: list[str] = []
    for item in iterator:
        batch.append(item)
        if len(batch) >= count:
            break
    return batch
