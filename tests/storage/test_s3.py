"""S3 adapter specifics: multipart, presigned URLs and failure mapping against s3rver over real HTTP
(marked ``s3``), plus checks that need no server (timeouts, endpoint parsing, the upload bridge).

s3rver serves anonymous reads, so nothing here says anything about anonymous access; the presign
tests only show that a bad signature and an expired URL are refused.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from hub.errors import ConfigurationError, InvalidInput
from hub.storage import S3ObjectStore, StorageUnavailable
from hub.storage.streaming import AsyncIteratorReader, UploadCancelled
from tests.s3_server import S3TestServer

from .conftest import chunked, make_s3_store
from .test_contract import MiB, pattern, read_all


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.s3
async def test_streamed_upload_is_multipart(s3_store: S3ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # s3rver gives multipart objects a plain MD5 etag, so count the part uploads on the client instead.
    client = s3_store._client
    parts: list[int] = []
    upload_part = client._upload_part

    def spy(*args: Any) -> str:
        parts.append(len(args[2]))
        etag: str = upload_part(*args)
        return etag

    monkeypatch.setattr(client, "_upload_part", spy)
    data = pattern(11 * MiB)
    info = await s3_store.put("multi", chunked(data, 64 * 1024), content_type="image/jpeg", length=len(data))
    assert parts == [5 * MiB, 5 * MiB, MiB]
    assert info.size == len(data) and info.content_type == "image/jpeg"
    assert await read_all(await s3_store.get("multi", chunk_size=MiB)) == data


@pytest.mark.s3
async def test_presigned_get_serves_the_bytes(s3_store: S3ObjectStore) -> None:
    await s3_store.put("img/photo.jpg", b"\xff\xd8jpeg bytes", content_type="image/jpeg")
    url = await s3_store.presign_get("img/photo.jpg", expires=timedelta(minutes=5))
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-Expires"] == "300"
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == b"\xff\xd8jpeg bytes"
    assert response.headers["content-type"] == "image/jpeg"


@pytest.mark.s3
async def test_presigned_get_with_tampered_signature_is_refused(s3_store: S3ObjectStore) -> None:
    await s3_store.put("secret", b"redacted", content_type="text/plain")
    url = await s3_store.presign_get("secret", expires=timedelta(minutes=1))
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert flipped != signature
    other_key = url.replace("/secret?", "/secret2?")
    async with httpx.AsyncClient() as client:
        tampered = await client.get(with_query(url, **{"X-Amz-Signature": flipped}))
        longer = await client.get(with_query(url, **{"X-Amz-Expires": "3600"}))
        moved = await client.get(other_key)
    assert tampered.status_code == 403
    assert b"SignatureDoesNotMatch" in tampered.content
    assert longer.status_code == 403  # the lifetime is signed: it cannot be stretched
    assert moved.status_code == 403  # and so is the key


@pytest.mark.s3
async def test_presigned_get_expires(s3_store: S3ObjectStore) -> None:
    await s3_store.put("soon-gone", b"bytes", content_type="text/plain")
    url = await s3_store.presign_get("soon-gone", expires=timedelta(seconds=1))
    # X-Amz-Date has whole seconds, so the URL is dead at most 2 s after it was minted.
    await asyncio.sleep(2.1)
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 403
    assert b"Request has expired" in response.content


@pytest.mark.s3
async def test_presign_ttl_limits(s3_store: S3ObjectStore) -> None:
    await s3_store.presign_get("k", expires=timedelta(minutes=5))  # exactly 5 minutes is allowed
    for expires in (timedelta(minutes=5, microseconds=1), timedelta(days=7), timedelta(0)):
        with pytest.raises(InvalidInput):
            await s3_store.presign_get("k", expires=expires)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


async def test_ping_fails_fast_when_nothing_listens() -> None:
    store = S3ObjectStore(f"127.0.0.1:{_free_port()}", "k", "s", "hub", secure=False)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as caught:
        await store.ping()
    assert time.monotonic() - started < 2
    assert caught.value.http_status == 503 and caught.value.code == "STORAGE_UNAVAILABLE"
    with pytest.raises(StorageUnavailable):
        await store.stat("any")


async def test_ping_fails_fast_when_the_server_hangs(silent_server: int) -> None:
    store = S3ObjectStore(f"127.0.0.1:{silent_server}", "k", "s", "hub", secure=False, ping_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await store.ping()
    assert time.monotonic() - started < 2


@pytest.mark.s3
async def test_wrong_credentials_are_unavailable_not_missing(s3_server: S3TestServer) -> None:
    store = S3ObjectStore(s3_server.endpoint, "nobody", "wrong", s3_server.bucket, secure=False)
    with pytest.raises(StorageUnavailable) as caught:
        await store.stat("anything")  # a HEAD: no error body, so only the status is known
    assert caught.value.details["s3_code"] == "AccessDenied"
    with pytest.raises(StorageUnavailable) as caught:
        await store.put("anything", b"x", content_type="text/plain")
    assert caught.value.details["s3_code"] == "InvalidAccessKeyId"
    assert not await make_s3_store(s3_server, s3_server.bucket).exists("anything")


@pytest.mark.s3
async def test_missing_bucket(s3_server: S3TestServer) -> None:
    store = make_s3_store(s3_server)
    with pytest.raises(StorageUnavailable, match="does not exist"):
        await store.ping()
    await store.ensure_bucket()
    await store.ping()


def test_endpoint_forms() -> None:
    assert repr(S3ObjectStore("http://minio:9000", "k", "s", "hub")) == "S3ObjectStore('minio:9000', bucket='hub')"
    assert repr(S3ObjectStore("minio:9000/", "k", "s", "hub")) == "S3ObjectStore('minio:9000', bucket='hub')"
    for bad in ("ftp://minio:9000", "http://minio:9000/path", "http://"):
        with pytest.raises(ConfigurationError):
            S3ObjectStore(bad, "k", "s", "hub")
    with pytest.raises(ConfigurationError):
        S3ObjectStore("minio:9000", "k", "s", "Not_A_Bucket")
    with pytest.raises(ValueError, match="part_size"):
        S3ObjectStore("minio:9000", "k", "s", "hub", part_size=1024)


@pytest.mark.s3
@pytest.mark.parametrize("declared", [True, False], ids=["length-known", "length-unknown"])
async def test_streamed_upload_memory_is_bounded_by_part_size(s3_store: S3ObjectStore, declared: bool) -> None:
    size = 40 * MiB

    async def generated() -> AsyncIterator[bytes]:
        for _ in range(size // MiB):
            yield os.urandom(MiB)

    tracemalloc.start()
    try:
        length = size if declared else None
        await s3_store.put("big", generated(), content_type="application/octet-stream", length=length)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (await s3_store.stat("big")).size == size
    # About three parts' worth (measured 15-16 MiB: the queue, the joined part, minio's previous
    # part), whatever the object's size; far below the 40 MiB a buffering upload would need.
    limit = 4 * s3_store.part_size + 2 * MiB
    assert peak < limit, f"peak {peak / MiB:.1f} MiB"


async def test_reader_serves_exact_sizes_across_chunk_boundaries() -> None:
    data = pattern(50_000)
    reader = AsyncIteratorReader(chunked(data, 7_777).__aiter__(), asyncio.get_running_loop())

    def read_in_thread() -> list[bytes]:
        out = [reader.read(n) for n in (1, 10_000, 0, 30_000)]
        out.append(reader.read(-1))
        out.append(reader.read(10))
        return out

    parts = await asyncio.to_thread(read_in_thread)
    assert [len(p) for p in parts] == [1, 10_000, 0, 30_000, 9_999, 0]
    assert b"".join(parts) == data


async def test_reader_cancel_unblocks_a_waiting_read() -> None:
    async def never() -> AsyncIterator[bytes]:
        await asyncio.Event().wait()
        yield b""  # pragma: no cover

    reader = AsyncIteratorReader(never(), asyncio.get_running_loop())
    blocked = asyncio.ensure_future(asyncio.to_thread(reader.read, 10))
    await asyncio.sleep(0.05)
    reader.cancel()
    with pytest.raises(UploadCancelled):
        await asyncio.wait_for(blocked, timeout=5)
    with pytest.raises(UploadCancelled):
        reader.read(1)
