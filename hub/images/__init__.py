"""Images for IPR detentions: upload checks, metadata stripping, redaction, thumbnails, content keys.

Pure functions on bytes (no I/O); see :mod:`hub.images.pipeline`. Demo product photos with their
redaction regions are in :mod:`hub.images.demo_photos`.
"""

from hub.images.pipeline import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    MAX_REGIONS,
    THUMB_MAX_SIDE,
    ImageFormat,
    ImageObject,
    ImageVariant,
    ProcessedImage,
    RedactionLabel,
    Region,
    SniffedImage,
    content_address,
    inspect_upload,
    object_key,
    parse_object_key,
    process_upload,
    redact,
    redaction_box,
    strip_metadata,
    thumbnail,
    validate_regions,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MAX_REGIONS",
    "THUMB_MAX_SIDE",
    "ImageFormat",
    "ImageObject",
    "ImageVariant",
    "ProcessedImage",
    "RedactionLabel",
    "Region",
    "SniffedImage",
    "content_address",
    "inspect_upload",
    "object_key",
    "parse_object_key",
    "process_upload",
    "redact",
    "redaction_box",
    "strip_metadata",
    "thumbnail",
    "validate_regions",
]
