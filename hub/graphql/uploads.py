"""Reading a multipart upload once, bounded, and closing it: shared by every mutation that takes files."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.file_uploads import Upload

from hub.errors import InvalidInput


@dataclass(frozen=True)
class Received:
    filename: str
    content_type: str | None  # as the client declared it; content checks never trust it
    data: bytes


async def read_upload(upload: Upload, limit: int) -> Received:
    """At most ``limit`` bytes (UPLOAD_TOO_LARGE beyond): one byte more is read to tell."""
    try:
        data: bytes = await upload.read(limit + 1)  # type: ignore[attr-defined]
    finally:
        # The spooled temporary file is ours to close; left open it lingers until garbage collection.
        await upload.close()  # type: ignore[attr-defined]
    if len(data) > limit:
        raise InvalidInput(f"uploads are at most {limit} bytes", code="UPLOAD_TOO_LARGE")
    return Received(str(getattr(upload, "filename", "") or "upload"), getattr(upload, "content_type", None), data)
