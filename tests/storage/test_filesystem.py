"""Filesystem adapter specifics: on-disk layout, atomic replace, sidecar recovery, settings wiring."""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from hub.errors import ConfigurationError, Conflict, HubError
from hub.settings import Settings
from hub.storage import (
    FilesystemObjectStore,
    ObjectStore,
    PresignUnsupported,
    S3ObjectStore,
    StorageUnavailable,
    build_object_store,
)

from .conftest import chunked
from .test_contract import MiB, pattern, read_all


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def test_layout_and_sha256_etag(fs_store: FilesystemObjectStore) -> None:
    data = pattern(300_000)
    info = await fs_store.put("sha256/ab/blob", chunked(data, 4096), content_type="image/webp")
    assert info.etag == hashlib.sha256(data).hexdigest()
    assert (fs_store.root / "sha256/ab/blob").read_bytes() == data
    meta = json.loads((fs_store.root / ".meta/sha256/ab/blob.json").read_text())
    assert meta["content_type"] == "image/webp" and meta["etag"] == info.etag
    assert files_under(fs_store.root) == [".meta/sha256/ab/blob.json", "sha256/ab/blob"]


async def test_presign_unsupported(fs_store: FilesystemObjectStore) -> None:
    with pytest.raises(PresignUnsupported) as caught:
        await fs_store.presign_get("a", expires=timedelta(minutes=1))
    assert isinstance(caught.value, HubError)
    assert caught.value.code == "PRESIGN_UNSUPPORTED"


async def test_failed_overwrite_keeps_old_object_and_leaves_no_temp(fs_store: FilesystemObjectStore) -> None:
    await fs_store.put("k", b"old", content_type="text/plain")

    async def broken() -> AsyncIterator[bytes]:
        yield b"new bytes that never land"
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        await fs_store.put("k", broken(), content_type="text/plain")
    assert (fs_store.root / "k").read_bytes() == b"old"
    assert files_under(fs_store.root) == [".meta/k.json", "k"]


async def test_stale_sidecar_is_ignored(fs_store: FilesystemObjectStore) -> None:
    """A crash between the data rename and the sidecar rename must not yield a wrong etag."""
    await fs_store.put("k", b"first", content_type="text/plain")
    tmp = fs_store.root / ".tmp-crash"
    tmp.write_bytes(b"second")
    os.replace(tmp, fs_store.root / "k")  # the data landed, the sidecar did not
    info = await fs_store.stat("k")
    assert info.etag == hashlib.sha256(b"second").hexdigest()
    assert info.content_type == "application/octet-stream"
    assert await read_all(await fs_store.get("k")) == b"second"


async def test_missing_sidecar_falls_back(fs_store: FilesystemObjectStore) -> None:
    (fs_store.root / "raw").write_bytes(b"placed by hand")
    info = await fs_store.stat("raw")
    assert info.etag == hashlib.sha256(b"placed by hand").hexdigest()
    assert [key async for key in fs_store.list_keys()] == ["raw"]


async def test_key_that_is_also_a_prefix_conflicts(fs_store: FilesystemObjectStore) -> None:
    await fs_store.put("a/b", b"1", content_type="text/plain")
    with pytest.raises(Conflict) as caught:
        await fs_store.put("a", b"2", content_type="text/plain")
    assert caught.value.code == "OBJECT_KEY_CONFLICT"
    await fs_store.put("c", b"3", content_type="text/plain")
    with pytest.raises(Conflict):
        await fs_store.put("c/d", b"4", content_type="text/plain")
    assert sorted([key async for key in fs_store.list_keys()]) == ["a/b", "c"]
    assert not [p for p in fs_store.root.rglob(".tmp-*")]


async def test_directory_is_not_an_object(fs_store: FilesystemObjectStore) -> None:
    await fs_store.put("dir/file", b"x", content_type="text/plain")
    assert not await fs_store.exists("dir")
    with pytest.raises(Exception) as caught:
        await fs_store.stat("dir")
    assert getattr(caught.value, "code", None) == "OBJECT_NOT_FOUND"
    await fs_store.delete("dir")  # idempotent, and must not touch the folder's contents
    assert await fs_store.exists("dir/file")


async def test_reader_keeps_its_version_across_overwrite(fs_store: FilesystemObjectStore) -> None:
    await fs_store.put("v", b"A" * 10_000, content_type="text/plain")
    stream = await fs_store.get("v", chunk_size=1000)
    first = await anext(stream)
    await fs_store.put("v", b"B" * 10_000, content_type="text/plain")
    rest = b"".join([chunk async for chunk in stream])
    assert first + rest == b"A" * 10_000


async def test_streamed_put_memory_is_bounded(fs_store: FilesystemObjectStore) -> None:
    async def generated() -> AsyncIterator[bytes]:
        for _ in range(32):
            yield os.urandom(256 * 1024)

    tracemalloc.start()
    try:
        info = await fs_store.put("big", generated(), content_type="application/octet-stream")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == 8 * MiB
    assert peak < 2 * MiB, f"peak {peak / MiB:.1f} MiB"


async def test_ping(tmp_path: Path) -> None:
    missing = FilesystemObjectStore(tmp_path / "nowhere")
    with pytest.raises(StorageUnavailable) as caught:
        await missing.ping()
    assert caught.value.http_status == 503
    await missing.ensure_bucket()
    await missing.ping()
    assert files_under(missing.root) == []  # the probe file is gone


def test_build_object_store(tmp_path: Path) -> None:
    embedded = build_object_store(Settings(data_dir=tmp_path))
    assert isinstance(embedded, FilesystemObjectStore)
    assert isinstance(embedded, ObjectStore)
    assert embedded.root == tmp_path / "objects"

    s3 = build_object_store(
        Settings(
            data_dir=tmp_path,
            s3_endpoint="http://127.0.0.1:9000",
            s3_access_key="hub",
            s3_secret_key="secret",
            s3_bucket="hub-objects",
        )
    )
    assert isinstance(s3, S3ObjectStore) and isinstance(s3, ObjectStore)
    assert s3.bucket == "hub-objects"

    with pytest.raises(ConfigurationError) as caught:
        build_object_store(Settings(data_dir=tmp_path, s3_endpoint="127.0.0.1:9000"))
    assert caught.value.code == "S3_CREDENTIALS_MISSING"
