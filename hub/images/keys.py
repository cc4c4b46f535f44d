"""Content addresses and object keys for stored image variants.

An object's key is derived from the SHA-256 of its own bytes, so the same bytes always land under the
same key (a retried upload rewrites identical objects) and a key never silently changes meaning.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from hub.errors import InvalidInput

KEY_PREFIX = "images"
_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_KEY_RE = re.compile(rf"{KEY_PREFIX}/([a-z-]+)/sha256/([0-9a-f]{{2}})/([0-9a-f]{{64}})")


class ImageVariant(StrEnum):
    """The stored objects of one photo; the value is the key segment."""

    ORIGINAL = "original"
    REDACTED = "redacted"
    THUMB_ORIGINAL = "thumb-original"
    THUMB_REDACTED = "thumb-redacted"

    @property
    def redacted(self) -> bool:
        """True for the variants § 133.21(b)(5) lets reach the mark owner (R-IPR-04)."""
        return self in (ImageVariant.REDACTED, ImageVariant.THUMB_REDACTED)


def content_address(data: bytes) -> str:
    """The SHA-256 of ``data``, lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def object_key(digest: str, variant: ImageVariant | str) -> str:
    """``images/<variant>/sha256/<first two hex>/<digest>``.

    The variant leads so a bucket policy or lifecycle rule can treat unredacted objects apart; the
    two-character fan-out keeps listings short.
    """
    if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
        raise InvalidInput("a digest is 64 lowercase hex characters", code="INVALID_DIGEST")
    try:
        kind = ImageVariant(variant)
    except ValueError:
        raise InvalidInput("unknown image variant", code="INVALID_IMAGE_VARIANT", variant=str(variant)) from None
    return f"{KEY_PREFIX}/{kind.value}/sha256/{digest[:2]}/{digest}"


def parse_object_key(key: str) -> tuple[ImageVariant, str]:
    """``(variant, digest)`` of a key made by :func:`object_key` (for the orphan sweep)."""
    match = _KEY_RE.fullmatch(key)
    if match is None or match[3][:2] != match[2] or match[1] not in ImageVariant._value2member_map_:
        raise InvalidInput("not an image object key", code="INVALID_OBJECT_KEY", key=key)
    return ImageVariant(match[1]), match[3]
