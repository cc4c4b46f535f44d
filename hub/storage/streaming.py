"""Bridge from an async iterator to the blocking file-like ``read()`` that minio's uploader calls.

minio runs in a worker thread; each ``read`` there hops back to the event loop to pull the next
chunks of the caller's async iterator. Cancelling the upload makes the next ``read`` fail, which is
how a blocking uploader is told to stop (minio then aborts its multipart upload).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import threading
from collections.abc import AsyncIterator


class UploadCancelled(Exception):
    """Raised inside minio's read loop when the awaiting task was cancelled."""


class AsyncIteratorReader:
    """A blocking ``read(size)`` over an async iterator, for minio running in a worker thread.

    Each ``read`` hops to the event loop once and gathers up to ``size`` bytes there, then joins them
    in one copy, so minio gets whole parts instead of re-concatenating small chunks.
    """

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = chunks
        self._loop = loop
        # memoryviews, so taking part of a big chunk does not copy the rest of it each time
        self._queue: collections.deque[memoryview] = collections.deque()
        self._buffered = 0
        self._eof = False
        self._cancelled = False
        self._pending: concurrent.futures.Future[None] | None = None
        self.source_error: Exception | None = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        # Under the lock so a read cannot slip a new loop call in between the flag and the cancel.
        with self._lock:
            self._cancelled = True
            if self._pending is not None:
                self._pending.cancel()

    async def _fill(self, size: int) -> None:
        while self._buffered < size and not self._eof:
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._eof = True
            else:
                self._queue.append(memoryview(chunk))
                self._buffered += len(chunk)

    def read(self, size: int = -1) -> bytes:
        if self._cancelled:
            raise UploadCancelled("upload cancelled")
        want = size if size >= 0 else 1 << 62
        if self._buffered < want and not self._eof:
            with self._lock:
                if self._cancelled:
                    raise UploadCancelled("upload cancelled")
                pending = self._pending = asyncio.run_coroutine_threadsafe(self._fill(want), self._loop)
            try:
                pending.result()
            except concurrent.futures.CancelledError as exc:
                raise UploadCancelled("upload cancelled") from exc
            except Exception as exc:
                self.source_error = exc
                raise
        pieces: list[memoryview] = []
        need = min(want, self._buffered)
        self._buffered -= need
        while need:
            head = self._queue[0]
            if len(head) <= need:
                pieces.append(self._queue.popleft())
                need -= len(head)
            else:
                pieces.append(head[:need])
                self._queue[0] = head[need:]
                need = 0
        return b"".join(pieces)
