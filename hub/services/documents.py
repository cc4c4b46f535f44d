"""Uploaded documents (importer answers, photographic standards guides): checked by content, stored
content-addressed. The object is written before any row names it, so a crash leaves at worst an
orphan object, never a row pointing to nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hub.errors import InvalidInput
from hub.images.pipeline import sniff_format
from hub.storage import ObjectStore

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class StoredDocument:
    key: str
    digest: str
    content_type: str
    size: int
    filename: str

    def as_json(self) -> dict[str, object]:
        return {"key": self.key, "digest": self.digest, "content_type": self.content_type, "size": self.size,
                "filename": self.filename}


def document_type(data: bytes) -> str:
    """PDF or a photo (JPEG, PNG, WebP), by content: a name or a declared type proves nothing."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "application/pdf"
    try:
        return sniff_format(data).content_type
    except InvalidInput:
        raise InvalidInput("documents must be PDF, JPEG, PNG or WebP files", code="UNSUPPORTED_DOCUMENT_TYPE") from None


async def store_document(store: ObjectStore, filename: str, data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES,
                         ) -> StoredDocument:
    if not data:
        raise InvalidInput("the document is empty", code="EMPTY_DOCUMENT")
    if len(data) > max_bytes:
        raise InvalidInput(f"documents are at most {max_bytes} bytes", code="DOCUMENT_TOO_LARGE")
    content_type = document_type(data)
    digest = hashlib.sha256(data).hexdigest()
    key = f"documents/sha256/{digest[:2]}/{digest}"
    await store.put(key, data, content_type=content_type, length=len(data))
    name = "".join(c for c in filename if c.isprintable())[:200] or "document"
    return StoredDocument(key, digest, content_type, len(data), name)
