"""Fixtures for the object store tests: one store per adapter, and ``store`` parametrized over both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.storage import FilesystemObjectStore, ObjectStore, S3ObjectStore
from tests.s3_server import S3TestServer, s3_server

__all__ = ["s3_server"]


def make_s3_store(server: S3TestServer, bucket: str | None = None, **options: float) -> S3ObjectStore:
    return S3ObjectStore(
        server.endpoint,
        server.access_key,
        server.secret_key,
        bucket or server.new_bucket_name(),
        secure=server.secure,
        region=server.region,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def fs_store(tmp_path: Path) -> FilesystemObjectStore:
    store = FilesystemObjectStore(tmp_path / "objects")
    await store.ensure_bucket()
    return store


@pytest.fixture
async def s3_store(s3_server: S3TestServer) -> S3ObjectStore:
    # A bucket per test keeps list_keys assertions exact without cleaning up between tests.
    store = make_s3_store(s3_server)
    await store.ensure_bucket()
    return store


@pytest.fixture(params=["filesystem", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    # Synchronous on purpose: getfixturevalue cannot run an async fixture from inside a running loop.
    name = "fs_store" if request.param == "filesystem" else "s3_store"
    result: ObjectStore = request.getfixturevalue(name)
    return result


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]
