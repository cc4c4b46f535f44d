"""The image pipeline for IPR detention photos: pure functions from uploaded bytes to stored variants.

Nothing here touches a file, the network or the clock. The caller writes every object of a
:class:`ProcessedImage` to the object store first and the database row last (DESIGN "Images and
documents"), so a crash leaves at worst an orphan object, never a row pointing at nothing. Checking
and decoding live in :mod:`hub.images.sniff`, keys in :mod:`hub.images.keys`; both are re-exported.

Decisions, and why:

- Every output is encoded from the fresh, upright, metadata-free pixels :func:`inspect_upload` makes,
  so no EXIF/GPS/XMP/ICC/comment survives whatever Pillow's encoders copy by default.
- Region coordinates are in the *upright* image: what a person sees, and what every variant stores.
- Output format = input format (JPEG quality 90, PNG at zlib level 4, WebP lossless if the upload was,
  else quality 90): no surprise conversions, and PNG stays pixel-exact. For a 1 MP photo PNG level 4
  took ~0.1 s; level 6 ~3x and ``optimize=True`` ~50x as long (5 s), each for files under 10%
  smaller, so ``optimize`` was dropped. JPEG and lossy WebP stay lossy, so even their "original"
  variant is a re-encoded copy. Thumbnails are always JPEG (quality 80): every browser, mail client
  and PDF library renders it.
- Transparency is flattened onto white at decode (see :mod:`hub.images.sniff`), so every variant is RGB.
- Redaction is an opaque black fill, padded, never blur or pixelation (both can be reversed or read by
  a model). The redacted thumbnail is made from the redacted pixels, never from the original.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from PIL import Image

from hub.errors import InvalidInput
from hub.images.keys import KEY_PREFIX, ImageVariant, content_address, object_key, parse_object_key
from hub.images.sniff import BOMB_PIXELS_PER_BYTE, ImageFormat, SniffedImage, inspect_upload, sniff_format

__all__ = [
    "BOMB_PIXELS_PER_BYTE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "KEY_PREFIX",
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
    "redaction_padding",
    "sniff_format",
    "strip_metadata",
    "thumbnail",
    "validate_regions",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
THUMB_MAX_SIDE = 320
MAX_REGIONS = 50


class RedactionLabel(StrEnum):
    """What a region hides: the § 133.21(b)(5) list of identifying information (FACTS §1.3)."""

    SERIAL_NUMBER = "SERIAL_NUMBER"
    MANUFACTURE_DATE = "MANUFACTURE_DATE"
    LOT_CODE = "LOT_CODE"
    BATCH_NUMBER = "BATCH_NUMBER"
    UPC_BARCODE = "UPC_BARCODE"
    MANUFACTURER_NAME_ADDRESS = "MANUFACTURER_NAME_ADDRESS"
    EXPORTER_NAME_ADDRESS = "EXPORTER_NAME_ADDRESS"
    IMPORTER_NAME_ADDRESS = "IMPORTER_NAME_ADDRESS"
    OTHER_IDENTIFYING_MARK = "OTHER_IDENTIFYING_MARK"


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle to black out, in pixels of the upright image (origin top left)."""

    x: int
    y: int
    width: int
    height: int
    label: RedactionLabel

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height"):
            if type(getattr(self, name)) is not int:  # bool and float are refused too
                raise _bad_region(f"region {name} must be an integer")
        try:
            object.__setattr__(self, "label", RedactionLabel(self.label))
        except ValueError:
            raise _bad_region("unknown redaction label", label=str(self.label)) from None


@dataclass(frozen=True, slots=True)
class ImageObject:
    """One encoded variant, ready to be written under :attr:`key`."""

    variant: ImageVariant
    data: bytes = field(repr=False)
    content_type: str
    width: int
    height: int
    digest: str

    @property
    def key(self) -> str:
        return object_key(self.digest, self.variant)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """Everything the caller stores for one photo. Write :attr:`objects` first, the row last.

    ``upload_digest`` hashes the bytes as uploaded (metadata included), for idempotent retries; it is
    never an object key. With no regions the redacted variant has the same bytes as the original.
    """

    format: ImageFormat
    width: int
    height: int
    upload_digest: str
    regions: tuple[Region, ...]
    original: ImageObject
    redacted: ImageObject
    thumb_original: ImageObject
    thumb_redacted: ImageObject

    @property
    def content_type(self) -> str:
        return self.format.content_type

    @property
    def objects(self) -> tuple[ImageObject, ...]:
        return (self.original, self.redacted, self.thumb_original, self.thumb_redacted)

    def variant(self, variant: ImageVariant) -> ImageObject:
        return next(o for o in self.objects if o.variant is ImageVariant(variant))


# --- encoding --------------------------------------------------------------------------------------


def strip_metadata(img: SniffedImage) -> bytes:
    """The upright picture re-encoded in its own format with no metadata at all."""
    return _encode(img.image, img.format, lossless=img.lossless)


def _encode(image: Image.Image, fmt: ImageFormat, *, lossless: bool) -> bytes:
    out = io.BytesIO()
    if fmt is ImageFormat.JPEG:
        image.save(out, "JPEG", quality=90, optimize=True)
    elif fmt is ImageFormat.PNG:
        image.save(out, "PNG", compress_level=4)  # not optimize=True: see the module docstring
    else:
        image.save(out, "WEBP", lossless=lossless, quality=90)
    return out.getvalue()


def _thumb(image: Image.Image, max_side: int) -> Image.Image:
    if not 16 <= max_side <= 2048:
        raise InvalidInput("thumbnail size must be 16-2048 pixels", code="INVALID_THUMBNAIL_SIZE")
    small = image.copy()
    small.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # keeps aspect, never enlarges
    return small


def _encode_thumb(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def thumbnail(
    img_bytes: bytes,
    max_side: int = THUMB_MAX_SIDE,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """A JPEG no larger than ``max_side`` on either side, without metadata."""
    sniffed = inspect_upload(img_bytes, max_bytes=max_bytes, max_pixels=max_pixels)
    return _encode_thumb(_thumb(sniffed.image, max_side))


# --- redaction -------------------------------------------------------------------------------------


def validate_regions(regions: Iterable[Region], width: int, height: int) -> tuple[Region, ...]:
    """The regions, if each lies inside a ``width`` x ``height`` image; else INVALID_REDACTION_REGION."""
    checked = tuple(regions)
    if len(checked) > MAX_REGIONS:
        raise _bad_region(f"at most {MAX_REGIONS} regions", count=len(checked))
    for index, r in enumerate(checked):
        if not isinstance(r, Region):
            raise _bad_region("not a region", index=index)
        if r.width <= 0 or r.height <= 0:
            raise _bad_region("region width and height must be positive", index=index)
        if r.x < 0 or r.y < 0 or r.x + r.width > width or r.y + r.height > height:
            raise _bad_region("region lies outside the image", index=index, image_width=width, image_height=height)
    return checked


def redaction_padding(width: int, height: int) -> int:
    """Pixels added around each region, so a box drawn tight still covers anti-aliased edges."""
    return max(2, min(width, height) // 200)


def redaction_box(region: Region, width: int, height: int) -> tuple[int, int, int, int]:
    """The padded box actually filled, ``(left, top, right, bottom)`` with right/bottom exclusive."""
    pad = redaction_padding(width, height)
    return (
        max(0, region.x - pad),
        max(0, region.y - pad),
        min(width, region.x + region.width + pad),
        min(height, region.y + region.height + pad),
    )


def _redact_pixels(image: Image.Image, regions: tuple[Region, ...]) -> Image.Image:
    out = image.copy()
    for region in regions:
        out.paste((0, 0, 0), redaction_box(region, out.width, out.height))
    return out


def redact(
    img_bytes: bytes,
    regions: Iterable[Region],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """The picture with every region filled solid black, in its own format, without metadata."""
    sniffed = inspect_upload(img_bytes, max_bytes=max_bytes, max_pixels=max_pixels)
    checked = validate_regions(regions, sniffed.width, sniffed.height)
    return _encode(_redact_pixels(sniffed.image, checked), sniffed.format, lossless=sniffed.lossless)


# --- the whole upload ------------------------------------------------------------------------------


def process_upload(data: bytes, regions: Iterable[Region], *, max_bytes: int, max_pixels: int) -> ProcessedImage:
    """Check, strip, redact and thumbnail an upload, decoding it once."""
    sniffed = inspect_upload(data, max_bytes=max_bytes, max_pixels=max_pixels)
    checked = validate_regions(regions, sniffed.width, sniffed.height)
    redacted = _redact_pixels(sniffed.image, checked)

    def full(variant: ImageVariant, image: Image.Image) -> ImageObject:
        encoded = _encode(image, sniffed.format, lossless=sniffed.lossless)
        return _object(variant, encoded, sniffed.content_type, image)

    def thumb(variant: ImageVariant, image: Image.Image) -> ImageObject:
        small = _thumb(image, THUMB_MAX_SIDE)
        return _object(variant, _encode_thumb(small), ImageFormat.JPEG.content_type, small)

    return ProcessedImage(
        format=sniffed.format,
        width=sniffed.width,
        height=sniffed.height,
        upload_digest=sniffed.upload_digest,
        regions=checked,
        original=full(ImageVariant.ORIGINAL, sniffed.image),
        redacted=full(ImageVariant.REDACTED, redacted),
        thumb_original=thumb(ImageVariant.THUMB_ORIGINAL, sniffed.image),
        thumb_redacted=thumb(ImageVariant.THUMB_REDACTED, redacted),
    )


def _object(variant: ImageVariant, data: bytes, content_type: str, image: Image.Image) -> ImageObject:
    return ImageObject(variant, data, content_type, image.width, image.height, content_address(data))


def _bad_region(message: str, **details: object) -> InvalidInput:
    return InvalidInput(message, code="INVALID_REDACTION_REGION", **details)
