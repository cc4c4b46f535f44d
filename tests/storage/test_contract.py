"""The ObjectStore contract, run against every adapter through the parametrized ``store`` fixture."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from hub.errors import InvalidInput, NotFound
from hub.storage import ObjectNotFound, ObjectStore, RangeNotSatisfiable
from hub.storage.base import ObjectStream

from .conftest import chunked

MiB = 1024 * 1024
BAD_KEYS = [
    "",
    "/leading",
    "a/../b",
    "..",
    "a/..",
    "./a",
    "a\\b",
    "a b",
    "a//b",
    "trailing/",
    ".hidden",
    "a/.tmp-x",
    "caf\u00e9",
    "nul\x00",
    "new\nline",
    "x" * 1025,
]


def pattern(size: int, seed: bytes = b"hub") -> bytes:
    """Deterministic, incompressible-looking bytes (so a wrong offset cannot go unnoticed)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


async def read_all(stream: ObjectStream) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def test_streamed_put_round_trip_over_5_mib(store: ObjectStore) -> None:
    data = pattern(6 * MiB + 12_345)
    # An odd chunk size so part boundaries never line up with chunk boundaries.
    info = await store.put("big/object.bin", chunked(data, 100_003), content_type="image/png")
    assert (info.key, info.size, info.content_type) == ("big/object.bin", len(data), "image/png")
    assert info.etag
    stream = await store.get("big/object.bin")
    assert stream.info == await store.stat("big/object.bin")
    got = await read_all(stream)
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


async def test_put_bytes_and_stat(store: ObjectStore) -> None:
    info = await store.put("docs/a.txt", b"hello", content_type="text/plain", length=5)
    stat = await store.stat("docs/a.txt")
    assert stat == info
    assert stat.size == 5 and stat.content_type == "text/plain"
    assert stat.last_modified.tzinfo is not None
    assert await read_all(await store.get("docs/a.txt")) == b"hello"


async def test_empty_object(store: ObjectStore) -> None:
    info = await store.put("empty", chunked(b"", 1), content_type="application/octet-stream")
    assert info.size == 0
    stream = await store.get("empty")
    assert stream.length == 0
    assert await read_all(stream) == b""
    with pytest.raises(RangeNotSatisfiable):
        await store.get("empty", start=0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 0, slice(0, 1)),
        (10, 19, slice(10, 20)),
        (1000, None, slice(1000, None)),
        (None, 99, slice(0, 100)),
        (4000, 10**9, slice(4000, None)),  # past the end is clamped, as HTTP does
        (4095, 4095, slice(4095, 4096)),
    ],
)
async def test_range_reads(store: ObjectStore, start: int | None, end: int | None, expected: slice) -> None:
    data = pattern(4096)
    await store.put("r", data, content_type="application/octet-stream")
    stream = await store.get("r", start=start, end=end, chunk_size=7)
    body = await read_all(stream)
    assert body == data[expected]
    assert stream.length == len(body)
    assert (stream.first, stream.last) == (expected.start or 0, (expected.start or 0) + len(body) - 1)


async def test_bad_ranges(store: ObjectStore) -> None:
    await store.put("r", b"0123456789", content_type="text/plain")
    with pytest.raises(RangeNotSatisfiable) as past:
        await store.get("r", start=10)
    assert past.value.http_status == 416
    for start, end in [(5, 4), (-1, None)]:
        with pytest.raises(InvalidInput) as bad:
            await store.get("r", start=start, end=end)
        assert bad.value.code == "INVALID_RANGE"


async def test_chunks_respect_chunk_size(store: ObjectStore) -> None:
    await store.put("c", pattern(1000), content_type="application/octet-stream")
    sizes = [len(chunk) async for chunk in await store.get("c", chunk_size=300)]
    assert sizes == [300, 300, 300, 100]


async def test_stream_closed_early_releases_and_store_keeps_working(store: ObjectStore) -> None:
    await store.put("c", pattern(100_000), content_type="application/octet-stream")
    async with await store.get("c", chunk_size=1000) as stream:
        first = await anext(stream)
        assert len(first) == 1000
    assert [chunk async for chunk in stream] == []  # closed streams are exhausted
    await store.delete("c")
    assert not await store.exists("c")


async def test_etag_stable_for_same_content_and_changes_with_content(store: ObjectStore) -> None:
    one = await store.put("e", b"same", content_type="text/plain")
    again = await store.put("e", b"same", content_type="text/plain")
    other = await store.put("e", b"different", content_type="text/plain")
    assert one.etag == again.etag
    assert other.etag != one.etag
    assert (await store.stat("e")).etag == other.etag
    assert await read_all(await store.get("e")) == b"different"


async def test_missing_key(store: ObjectStore) -> None:
    for call in (store.stat("nope"), store.get("nope")):
        with pytest.raises(ObjectNotFound) as caught:
            await call
        assert isinstance(caught.value, NotFound)
        assert caught.value.code == "OBJECT_NOT_FOUND" and caught.value.http_status == 404
    assert await store.exists("nope") is False


async def test_delete_is_idempotent(store: ObjectStore) -> None:
    await store.put("d/x", b"x", content_type="text/plain")
    assert await store.exists("d/x") is True
    await store.delete("d/x")
    await store.delete("d/x")
    await store.delete("never/existed")
    assert await store.exists("d/x") is False
    with pytest.raises(ObjectNotFound):
        await store.stat("d/x")


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
async def test_bad_keys_rejected(store: ObjectStore, key: str) -> None:
    calls = [
        store.put(key, b"x", content_type="text/plain"),
        store.get(key),
        store.stat(key),
        store.delete(key),
        store.exists(key),
        store.presign_get(key, expires=timedelta(minutes=1)),
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as caught:
            await call
        assert caught.value.code == "INVALID_OBJECT_KEY"


async def test_good_keys_accepted(store: ObjectStore) -> None:
    for key in ["a", "A-Z_0.9", "sha256/ab/cd/" + "f" * 64, "x" * 200, "v1/img.v2.jpeg"]:
        await store.put(key, b"k", content_type="text/plain")
        assert await store.exists(key)


async def test_bad_content_type_rejected(store: ObjectStore) -> None:
    for content_type in ["", "text/plain\r\nX-Evil: 1", "t\u00e9xt/plain"]:
        with pytest.raises(InvalidInput) as caught:
            await store.put("ct", b"x", content_type=content_type)
        assert caught.value.code == "INVALID_CONTENT_TYPE"


async def test_list_keys(store: ObjectStore) -> None:
    keys = ["docs/a.txt", "docs/b.txt", "docs/sub/c.txt", "docsx", "img/1.png", "top"]
    for key in keys:
        await store.put(key, key.encode(), content_type="text/plain")

    async def listed(prefix: str = "") -> list[str]:
        return sorted([key async for key in store.list_keys(prefix)])

    assert await listed() == keys
    assert await listed("docs/") == ["docs/a.txt", "docs/b.txt", "docs/sub/c.txt"]
    assert await listed("docs") == ["docs/a.txt", "docs/b.txt", "docs/sub/c.txt", "docsx"]
    assert await listed("docs/sub/c") == ["docs/sub/c.txt"]
    assert await listed("nothing/") == []
    await store.delete("img/1.png")
    assert await listed("img") == []
    with pytest.raises(InvalidInput):
        await listed("../etc")


@pytest.mark.parametrize("actual", [9, 11])
async def test_length_mismatch_leaves_nothing(store: ObjectStore, actual: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        await store.put("len", chunked(b"x" * actual, 3), content_type="text/plain", length=10)
    assert caught.value.code == "LENGTH_MISMATCH"
    with pytest.raises(InvalidInput):
        await store.put("len", b"x" * actual, content_type="text/plain", length=10)
    assert not await store.exists("len")


async def test_failing_source_leaves_previous_object_intact(store: ObjectStore) -> None:
    await store.put("keep", b"old", content_type="text/plain")

    async def broken() -> AsyncIterator[bytes]:
        yield pattern(6 * MiB)  # past the first S3 part, so a multipart upload is under way
        raise RuntimeError("upload source broke")

    with pytest.raises(RuntimeError, match="upload source broke"):
        await store.put("keep", broken(), content_type="text/plain")
    assert await read_all(await store.get("keep")) == b"old"
    assert [key async for key in store.list_keys()] == ["keep"]


async def test_cancelled_put_leaves_nothing(store: ObjectStore) -> None:
    sent = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield pattern(6 * MiB)
        sent.set()
        await asyncio.Event().wait()  # never ends: the caller gives up instead
        yield b""  # pragma: no cover

    task = asyncio.create_task(store.put("stalled", stalls(), content_type="text/plain"))
    await asyncio.wait_for(sent.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await store.exists("stalled")
    assert [key async for key in store.list_keys()] == []


async def test_presign_ttl_over_five_minutes_refused(store: ObjectStore) -> None:
    with pytest.raises(InvalidInput) as caught:
        await store.presign_get("any", expires=timedelta(minutes=5, seconds=1))
    assert caught.value.code == "PRESIGN_TTL_TOO_LONG"


async def test_ping_and_ensure_bucket(store: ObjectStore) -> None:
    await store.ensure_bucket()
    await store.ensure_bucket()
    await store.ping()
