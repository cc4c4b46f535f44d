"""Checking an uploaded image by content and limits, and decoding it once into clean pixels.

- The type is decided by content (magic bytes, then Pillow restricted to that one format), never by
  file name or declared content type. Only JPEG, PNG and WebP: GIF/SVG/PDF/TIFF/HEIC are refused.
- The pixel count is read from the file header *before* Pillow opens the file, so a tiny file that
  declares 30000x30000 is refused before any decoder or canvas is allocated (libwebp allocates the
  whole canvas when its decoder is created). Pillow's global guard is read, never changed: the limit
  is ``min(max_pixels, Image.MAX_IMAGE_PIXELS)``, so its DecompressionBombWarning cannot fire for a
  file we accept.
- The decoded pixels are copied into a fresh image with an empty ``info`` dict, so no EXIF, GPS, XMP,
  ICC profile, comment or text chunk can reach an encoder. EXIF orientation is applied first so the
  picture stays upright. Dropping the ICC profile means colours are read as sRGB; wide-gamut photos
  may look slightly duller, which is acceptable for evidence.
- Transparency is flattened onto white. A photo has no use for it, and colour hidden under
  transparent pixels would be invisible to the officer drawing redaction regions yet readable by
  anyone who drops the alpha channel.
- Animated PNG/WebP are refused: only one frame could be redacted. A JPEG's MPO side images (depth
  maps, previews) are never decoded, so they are never stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from enum import StrEnum

from PIL import Image, ImageOps

from hub.errors import HubError, InvalidInput
from hub.images.keys import content_address

# Declaring over this many pixels per byte of file is not a big photo but a decompression bomb: real
# photos store about 1-10 pixels per byte, and even a flat PNG stays far below 1024.
BOMB_PIXELS_PER_BYTE = 1024

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # C4/C8/CC share the range but are not frames
# Only to make the refusal message helpful; anything not JPEG/PNG/WebP is refused either way.
_OTHER_TYPES = ((b"GIF8", "GIF"), (b"%PDF", "PDF"), (b"BM", "BMP"), (b"II*\0", "TIFF"), (b"MM\0*", "TIFF"))


class ImageFormat(StrEnum):
    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"

    @property
    def content_type(self) -> str:
        return f"image/{self.value.lower()}"


@dataclass(frozen=True, eq=False)
class SniffedImage:
    """An upload that passed every check, decoded once: upright pixels, no metadata attached.

    ``image`` is mode RGB and is shared: copy it before drawing on it.
    """

    format: ImageFormat
    width: int
    height: int
    lossless: bool
    upload_digest: str
    image: Image.Image = field(repr=False)

    @property
    def content_type(self) -> str:
        return self.format.content_type


def inspect_upload(data: bytes, *, max_bytes: int, max_pixels: int) -> SniffedImage:
    """Check an upload by content and limits, and decode it. Raises :class:`InvalidInput` with code
    IMAGE_TOO_LARGE, UNSUPPORTED_IMAGE_TYPE, IMAGE_TOO_MANY_PIXELS, DECOMPRESSION_BOMB or CORRUPT_IMAGE.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("image data must be bytes")
    if max_bytes <= 0 or max_pixels <= 0:
        raise ValueError("max_bytes and max_pixels must be positive")
    data = bytes(data)
    if len(data) > max_bytes:
        raise InvalidInput(
            "the image is larger than allowed", code="IMAGE_TOO_LARGE", size=len(data), max_bytes=max_bytes
        )
    fmt = sniff_format(data)
    size = _header_size(fmt, data)
    _check_pixels(size, len(data), max_pixels)
    image = _decode(fmt, data, size)
    lossless = fmt is ImageFormat.PNG or (fmt is ImageFormat.WEBP and _webp_lossless(data))
    return SniffedImage(fmt, image.width, image.height, lossless, content_address(data), image)


def sniff_format(data: bytes) -> ImageFormat:
    """The format the magic bytes announce, or UNSUPPORTED_IMAGE_TYPE. The name is never consulted."""
    if data.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if data.startswith(_PNG_MAGIC):
        return ImageFormat.PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    detected = next((name for magic, name in _OTHER_TYPES if data.startswith(magic)), None)
    if detected is None and data[4:8] == b"ftyp":
        detected = "HEIF/AVIF/MP4"
    if detected is None and data.lstrip()[:1] == b"<":
        detected = "SVG/XML/HTML"
    raise InvalidInput(
        "only JPEG, PNG and WebP images are accepted",
        code="UNSUPPORTED_IMAGE_TYPE",
        detected=detected or "unknown",
    )


def _header_size(fmt: ImageFormat, data: bytes) -> tuple[int, int]:
    parse = {ImageFormat.JPEG: _jpeg_size, ImageFormat.PNG: _png_size, ImageFormat.WEBP: _webp_size}[fmt]
    size = parse(data)
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise _corrupt("the image header is missing or invalid")
    return size


def _png_size(d: bytes) -> tuple[int, int] | None:
    if len(d) < 24 or d[12:16] != b"IHDR":  # IHDR must be the first chunk
        return None
    return int.from_bytes(d[16:20], "big"), int.from_bytes(d[20:24], "big")


def _webp_size(d: bytes) -> tuple[int, int] | None:
    # The same fields libwebp and Pillow read: the VP8X canvas, else the VP8/VP8L frame header.
    chunk = d[12:16]
    if chunk == b"VP8 " and len(d) >= 30 and d[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(d[26:28], "little") & 0x3FFF, int.from_bytes(d[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(d) >= 25 and d[20] == 0x2F:
        bits = int.from_bytes(d[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(d) >= 30:
        return int.from_bytes(d[24:27], "little") + 1, int.from_bytes(d[27:30], "little") + 1
    return None


def _jpeg_size(d: bytes) -> tuple[int, int] | None:
    # Walk the marker segments up to the first scan, as Pillow does. Several frame headers would be
    # malformed; take the largest so the limit holds whichever one a decoder believes.
    pos = 2
    frames: list[tuple[int, int]] = []
    while pos + 4 <= len(d):
        if d[pos] != 0xFF:
            return None
        marker = d[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan
            break
        length = int.from_bytes(d[pos + 2 : pos + 4], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if pos + 9 > len(d):
                return None
            frames.append((int.from_bytes(d[pos + 7 : pos + 9], "big"), int.from_bytes(d[pos + 5 : pos + 7], "big")))
        pos += 2 + length
    return max(frames, key=lambda s: s[0] * s[1]) if frames else None


def _webp_lossless(d: bytes) -> bool:
    pos = 12
    while pos + 8 <= len(d):
        tag, size = d[pos : pos + 4], int.from_bytes(d[pos + 4 : pos + 8], "little")
        if tag in (b"VP8 ", b"VP8L"):
            return tag == b"VP8L"
        pos += 8 + size + (size & 1)  # RIFF chunks are padded to even length
    return False


def _check_pixels(size: tuple[int, int], n_bytes: int, max_pixels: int) -> None:
    ceiling = Image.MAX_IMAGE_PIXELS
    limit = max_pixels if ceiling is None else min(max_pixels, ceiling)
    pixels = size[0] * size[1]
    if pixels <= limit:
        return
    width, height = size
    if pixels > n_bytes * BOMB_PIXELS_PER_BYTE:
        raise InvalidInput(
            "the image declares far more pixels than its size can hold",
            code="DECOMPRESSION_BOMB",
            width=width,
            height=height,
            size=n_bytes,
        )
    raise InvalidInput(
        "the image has more pixels than allowed",
        code="IMAGE_TOO_MANY_PIXELS",
        width=width,
        height=height,
        max_pixels=limit,
    )


def _decode(fmt: ImageFormat, data: bytes, declared: tuple[int, int]) -> Image.Image:
    try:
        # verify() checks structure and CRCs (PNG) without decoding pixels; it spends the image.
        with Image.open(io.BytesIO(data), formats=[fmt.value]) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt.value]) as img:
            if img.size != declared:  # our header parser and Pillow must agree, or the limit is moot
                raise _corrupt("the image header is inconsistent")
            if fmt is not ImageFormat.JPEG and getattr(img, "n_frames", 1) > 1:
                raise InvalidInput("animated images are not accepted", code="UNSUPPORTED_IMAGE_TYPE")
            img.load()  # truncated data fails here
            return _fresh(ImageOps.exif_transpose(img))
    except HubError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput(str(exc), code="DECOMPRESSION_BOMB") from exc
    except Exception as exc:
        # Decoders signal bad input with many exception types (OSError, SyntaxError, ValueError,
        # struct.error, EOFError...); to the uploader they all mean the same thing.
        raise _corrupt("the image data is truncated or corrupt") from exc


def _fresh(img: Image.Image) -> Image.Image:
    """The pixels in a new RGB image: nothing from ``info`` (EXIF, ICC, XMP, text) comes along."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit grey: scale to 8 bits; a plain convert() clips everything above 255 to white.
        img = img.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    clean = Image.new("RGB", img.size, (255, 255, 255))
    if img.has_transparency_data:
        rgba = img.convert("RGBA")
        clean.paste(rgba, (0, 0), rgba.getchannel("A"))  # blends onto white, as a viewer would show it
    else:
        clean.paste(img.convert("RGB"), (0, 0))
    return clean


def _corrupt(message: str) -> InvalidInput:
    return InvalidInput(message, code="CORRUPT_IMAGE")
