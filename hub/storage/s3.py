"""S3/MinIO object store on the official ``minio`` client.

The client is blocking, so every call runs in a worker thread. Uploads stream: an async iterator is
bridged to the file-like object minio reads (:class:`AsyncIteratorReader`) and minio uploads it as
a multipart object of ``part_size`` parts, holding one part in memory at a time.

Errors are translated at one place (:func:`_translate`): a missing key becomes ``ObjectNotFound``,
anything that means "the store cannot serve now" (refused connection, timeout, missing bucket, bad
credentials, 5xx) becomes ``StorageUnavailable``.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.datatypes import Object
from minio.error import MinioException, S3Error
from urllib3.exceptions import HTTPError

from hub.errors import ConfigurationError, Conflict, HubError

from .base import (
    DEFAULT_CHUNK_SIZE,
    ObjectInfo,
    ObjectNotFound,
    ObjectStream,
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
from .streaming import AsyncIteratorReader

P = ParamSpec("P")
T = TypeVar("T")

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's floor for every part but the last
_LIST_BATCH = 1000
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_GONE_CODES = {"NoSuchKey", "NoSuchObject", "NoSuchVersion"}


class S3ObjectStore:
    """Objects in one S3 bucket.

    ``endpoint`` is ``host:port`` or a URL; a URL's scheme overrides ``secure``. Timeouts are short
    on purpose: a Hub request should fail fast with 503 rather than hang on a dead store, and
    :meth:`ping` (health checks) uses a separate, even shorter budget and no retries.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = True,
        region: str = "us-east-1",
        *,
        part_size: int = MIN_PART_SIZE,
        connect_timeout: float = 2.0,
        read_timeout: float = 30.0,
        retries: int = 1,
        ping_timeout: float = 3.0,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        if not _BUCKET_RE.fullmatch(bucket):
            raise ConfigurationError(f"invalid S3 bucket name {bucket!r}", code="S3_BUCKET_INVALID")
        host, secure = _split_endpoint(endpoint, secure)
        self.bucket = bucket
        self.part_size = part_size
        self._host = host

        def client(timeout: urllib3.Timeout, retry: urllib3.Retry) -> Minio:
            pool = urllib3.PoolManager(
                timeout=timeout,
                retries=retry,
                maxsize=10,
                cert_reqs="CERT_REQUIRED",
                ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            )
            return Minio(host, access_key, secret_key, secure=secure, region=region, http_client=pool)

        statuses = (500, 502, 503, 504)
        self._client = client(
            urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            urllib3.Retry(total=retries, backoff_factor=0.2, status_forcelist=statuses),
        )
        self._ping_client = client(urllib3.Timeout(connect=ping_timeout, read=ping_timeout), urllib3.Retry(total=0))

    def __repr__(self) -> str:
        return f"S3ObjectStore({self._host!r}, bucket={self.bucket!r})"

    async def _run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (MinioException, HTTPError, OSError) as exc:
            raise _translate(exc, self.bucket) from exc

    async def put(self, key: str, data: PutData, *, content_type: str, length: int | None = None) -> ObjectInfo:
        validate_key(key)
        validate_content_type(content_type)
        reader: AsyncIteratorReader | None = None
        if isinstance(data, bytes):
            check_bytes_length(data, length)
            stream, size = cast(BinaryIO, io.BytesIO(data)), len(data)
        else:
            reader = AsyncIteratorReader(checked_chunks(data, length), asyncio.get_running_loop())
            # A known length saves minio a copy of every part; checked_chunks makes sure the source
            # really ends there (minio would silently drop any bytes past ``length``).
            stream, size = cast(BinaryIO, reader), -1 if length is None else length
        upload = asyncio.ensure_future(
            self._run(
                self._client.put_object,
                self.bucket,
                key,
                stream,
                size,
                content_type=content_type,
                part_size=self.part_size,
                # One part in flight: memory stays at ~part_size per upload, not 3x.
                num_parallel_uploads=1,
            )
        )
        try:
            await asyncio.shield(upload)
        except Exception:
            # When the caller's own iterator failed (or contradicted ``length``), that is the error to
            # report, not what minio made of it nor a failed abort of the multipart upload (servers
            # that cannot abort leave the parts to the bucket's incomplete-upload lifecycle rule).
            if reader is not None and reader.source_error is not None:
                raise reader.source_error from None
            raise
        except asyncio.CancelledError:
            if reader is not None:
                # The thread cannot be interrupted, but its next read can fail: minio then aborts the
                # multipart upload. Wait for that, so a cancelled put never completes an object.
                reader.cancel()
                await asyncio.wait([upload])
            # A bytes upload cannot be stopped; it may still land, whole, after we return.
            upload.add_done_callback(_consume_exception)
            raise
        return await self.stat(key)

    async def get(
        self,
        key: str,
        *,
        start: int | None = None,
        end: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> ObjectStream:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        info = await self.stat(key)
        first, last = resolve_range(info.size, start, end)
        if last < first:
            return ObjectStream(info, first, last, _no_chunks(), _noop)
        try:
            response = await self._run(
                self._client.get_object,
                self.bucket,
                key,
                offset=first,
                length=last - first + 1,
                # The bytes must belong to the version ``info`` describes (real S3 and MinIO check).
                request_headers={"If-Match": f'"{info.etag}"'},
            )
        except StorageUnavailable as exc:
            if exc.details.get("s3_code") == "PreconditionFailed":
                raise Conflict("object changed while it was being opened", code="OBJECT_CHANGED", key=key) from exc
            raise

        async def chunks() -> AsyncGenerator[bytes, None]:
            remaining = last - first + 1
            while remaining > 0:
                block = await self._run(response.read, min(chunk_size, remaining))
                if not block:
                    raise StorageUnavailable("object stream ended early", key=key)
                remaining -= len(block)
                yield block

        async def release() -> None:
            await asyncio.to_thread(_close_response, response)

        return ObjectStream(info, first, last, chunks(), release)

    async def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        try:
            obj = await self._run(self._client.stat_object, self.bucket, key)
        except ObjectNotFound as exc:
            exc.details["key"] = key
            raise
        return _info(key, obj)

    async def delete(self, key: str) -> None:
        validate_key(key)
        try:
            await self._run(self._client.remove_object, self.bucket, key)
        except ObjectNotFound:
            return

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    async def presign_get(self, key: str, *, expires: timedelta) -> str:
        validate_key(key)
        check_presign_ttl(expires)
        # With the region configured minio signs locally; the thread is for the rare region lookup.
        return await self._run(self._client.presigned_get_object, self.bucket, key, expires=expires)

    async def ping(self) -> None:
        if not await self._run(self._ping_client.bucket_exists, self.bucket):
            raise StorageUnavailable(f"bucket {self.bucket!r} does not exist", bucket=self.bucket)

    async def ensure_bucket(self) -> None:
        if await self._run(self._client.bucket_exists, self.bucket):
            return
        try:
            await self._run(self._client.make_bucket, self.bucket)
        except StorageUnavailable as exc:
            # Another worker created it between our two calls.
            if exc.details.get("s3_code") not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        validate_prefix(prefix)
        listing: Iterator[Object] = self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
        while batch := await self._run(_take_names, listing, _LIST_BATCH):
            for name in batch:
                yield name


def _split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    if "://" not in endpoint:
        return endpoint.rstrip("/"), secure
    parts = urlsplit(endpoint)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        raise ConfigurationError("HUB_S3_ENDPOINT must be host:port or http(s)://host:port", code="S3_ENDPOINT_INVALID")
    return parts.netloc, parts.scheme == "https"


def _translate(exc: Exception, bucket: str) -> HubError:
    if isinstance(exc, S3Error):
        if exc.code in _GONE_CODES:
            return ObjectNotFound("no such object", key=exc.object_name)
        return StorageUnavailable(f"object store refused the request: {exc.code}", s3_code=exc.code, bucket=bucket)
    return StorageUnavailable(f"object store unreachable: {type(exc).__name__}", bucket=bucket)


def _info(key: str, obj: Object) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=obj.size or 0,
        etag=(obj.etag or "").strip('"'),
        content_type=obj.content_type or "application/octet-stream",
        last_modified=obj.last_modified or datetime.now(UTC),
    )


def _take_names(listing: Iterator[Object], count: int) -> list[str]:
    names: list[str] = []
    for obj in listing:
        if obj.object_name and not obj.is_dir:
            names.append(obj.object_name)
            if len(names) >= count:
                break
    return names


def _consume_exception(task: asyncio.Future[Any]) -> None:
    # Marks the abandoned upload's outcome as seen; asyncio would otherwise log it at shutdown.
    if not task.cancelled():
        task.exception()


def _close_response(response: urllib3.BaseHTTPResponse) -> None:
    response.close()
    response.release_conn()


async def _no_chunks() -> AsyncGenerator[bytes, None]:
    return
    yield  # pragma: no cover - makes this an async generator


async def _noop() -> None:
    return None
