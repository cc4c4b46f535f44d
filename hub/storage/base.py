"""The object store contract shared by the S3 and filesystem adapters.

Callers see one async API (:class:`ObjectStore`), one metadata record (:class:`ObjectInfo`) and a
small set of errors with stable codes. The helpers here (key validation, byte ranges, presign TTL,
length checks) are shared so both adapters refuse exactly the same inputs.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, runtime_checkable

from hub.errors import HubError, InvalidInput, NotFound

# DESIGN: image URLs live at most 5 minutes, presigned ones included.
PRESIGN_MAX_TTL = timedelta(minutes=5)
DEFAULT_CHUNK_SIZE = 64 * 1024
# S3's own limit on key length; the filesystem adapter keeps it so keys stay portable between backends.
MAX_KEY_LENGTH = 1024

# Each segment starts with a letter, digit, "_" or "-": this rules out "." and ".." and leaves names
# beginning with "." free for the filesystem adapter's temp files and sidecars.
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_PREFIX_RE = re.compile(r"[A-Za-z0-9/._-]*")
_CONTENT_TYPE_RE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")

PutData = AsyncIterable[bytes] | bytes


class ObjectNotFound(NotFound):
    code = "OBJECT_NOT_FOUND"


class StorageUnavailable(HubError):
    code = "STORAGE_UNAVAILABLE"
    http_status = 503


class RangeNotSatisfiable(InvalidInput):
    code = "RANGE_NOT_SATISFIABLE"
    http_status = 416


class PresignUnsupported(HubError):
    """The backend cannot mint URLs; the caller streams the bytes through the Hub instead."""

    code = "PRESIGN_UNSUPPORTED"
    http_status = 501


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a store knows about one object.

    ``etag`` is opaque and backend-specific (the filesystem adapter uses the SHA-256 of the content;
    S3 servers use an MD5 or a multipart digest): compare it only with etags from the same store.
    """

    key: str
    size: int
    etag: str
    content_type: str
    last_modified: datetime


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe object key, else raise ``INVALID_OBJECT_KEY``."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise InvalidInput(
            "object keys are 1-1024 characters of A-Z a-z 0-9 / . _ -, in segments that do not start with '.'",
            code="INVALID_OBJECT_KEY",
            key=key if isinstance(key, str) else repr(key),
        )
    return key


def validate_content_type(content_type: str) -> str:
    # It becomes an HTTP header (S3, and the Hub's own responses): printable ASCII only.
    if not isinstance(content_type, str) or not _CONTENT_TYPE_RE.fullmatch(content_type):
        raise InvalidInput("invalid content type", code="INVALID_CONTENT_TYPE", content_type=repr(content_type))
    return content_type


def validate_prefix(prefix: str) -> str:
    if (
        not isinstance(prefix, str)
        or len(prefix) > MAX_KEY_LENGTH
        or not _PREFIX_RE.fullmatch(prefix)
        or prefix.startswith("/")
        or ".." in prefix
    ):
        raise InvalidInput("invalid key prefix", code="INVALID_OBJECT_KEY", key=repr(prefix))
    return prefix


def check_presign_ttl(expires: timedelta) -> None:
    if expires <= timedelta(0):
        raise InvalidInput("presigned URL lifetime must be positive", code="PRESIGN_TTL_INVALID")
    if expires > PRESIGN_MAX_TTL:
        raise InvalidInput(
            "presigned URLs live at most 5 minutes",
            code="PRESIGN_TTL_TOO_LONG",
            max_seconds=int(PRESIGN_MAX_TTL.total_seconds()),
        )


def resolve_range(size: int, start: int | None, end: int | None) -> tuple[int, int]:
    """Turn an inclusive HTTP-style range into ``(first, last)`` byte offsets for an object.

    ``end`` past the object is clamped, as HTTP does. An empty object read whole gives ``(0, -1)``.
    """
    first = 0 if start is None else start
    if first < 0 or (end is not None and end < first):
        raise InvalidInput("invalid byte range", code="INVALID_RANGE", start=start, end=end)
    if start is None and end is None:
        return 0, size - 1
    if first >= size:
        raise RangeNotSatisfiable("range starts past the end of the object", size=size, start=start)
    last = size - 1 if end is None else min(end, size - 1)
    return first, last


async def checked_chunks(data: AsyncIterable[bytes], length: int | None) -> AsyncGenerator[bytes, None]:
    """Pass chunks through, raising ``LENGTH_MISMATCH`` as soon as the declared length is contradicted.

    The last chunk is only handed on once the source has confirmed it ends there, so neither adapter
    ever commits a short or long object under the final key, even when it stops reading at ``length``.
    """
    seen = 0
    source = data.__aiter__()
    async for chunk in source:
        seen += len(chunk)
        if length is not None and seen > length:
            raise _length_mismatch(length, seen)
        if length is not None and seen == length:
            async for extra in source:
                if extra:
                    raise _length_mismatch(length, seen + len(extra))
        if chunk:
            yield bytes(chunk)
    if length is not None and seen != length:
        raise _length_mismatch(length, seen)


def check_bytes_length(data: bytes, length: int | None) -> None:
    if length is not None and len(data) != length:
        raise _length_mismatch(length, len(data))


def _length_mismatch(declared: int, seen: int) -> InvalidInput:
    return InvalidInput(
        "the data does not match the declared length", code="LENGTH_MISMATCH", declared=declared, seen=seen
    )


class ObjectStream(AsyncIterator[bytes]):
    """The bytes of one object (or one range of it), read lazily.

    Returned by :meth:`ObjectStore.get` once the object is known to exist, so a caller can answer
    404/416 before it starts a response. Iterating to the end releases the underlying file or
    connection; a caller that stops early must ``await stream.aclose()`` (or use ``async with``).
    """

    def __init__(
        self,
        info: ObjectInfo,
        first: int,
        last: int,
        chunks: AsyncGenerator[bytes, None],
        release: Callable[[], Awaitable[None]],
    ) -> None:
        self.info = info
        self.first = first
        self.last = last
        self._chunks = chunks
        self._release = release
        self._closed = False

    @property
    def length(self) -> int:
        """Number of bytes this stream yields in total (the Content-Length of a range response)."""
        return self.last - self.first + 1

    def __aiter__(self) -> ObjectStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            return await self._chunks.__anext__()
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._chunks.aclose()
        finally:
            await self._release()

    async def __aenter__(self) -> ObjectStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


@runtime_checkable
class ObjectStore(Protocol):
    """Async object storage. Keys are validated with :func:`validate_key` by every method."""

    async def put(self, key: str, data: PutData, *, content_type: str, length: int | None = None) -> ObjectInfo:
        """Store ``data`` under ``key``, streaming an iterator without holding it all in memory.

        A failure (including a ``LENGTH_MISMATCH`` against ``length``) leaves no partial object.
        """
        ...

    async def get(
        self,
        key: str,
        *,
        start: int | None = None,
        end: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> ObjectStream:
        """Open ``key`` for reading bytes ``start..end`` inclusive (``end`` None: to the end).

        Raises ``ObjectNotFound`` / ``RangeNotSatisfiable`` here, before any byte is read.
        """
        ...

    async def stat(self, key: str) -> ObjectInfo: ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def presign_get(self, key: str, *, expires: timedelta) -> str:
        """A URL that GETs ``key`` without credentials until ``expires`` (at most 5 minutes) passes."""
        ...

    async def ping(self) -> None:
        """Raise ``StorageUnavailable`` unless the store can serve requests now."""
        ...

    async def ensure_bucket(self) -> None:
        """Create the bucket (or root folder) if it does not exist yet."""
        ...

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every key starting with ``prefix``, in no guaranteed order (``async for key in ...``)."""
        ...
