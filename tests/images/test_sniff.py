"""Checking uploads: type by content, size and pixel limits, decompression bombs, corrupt files, metadata."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from hub.errors import InvalidInput
from hub.images import ImageFormat, RedactionLabel, Region, inspect_upload, process_upload, strip_metadata
from tests.images.imaging import (
    FORMATS,
    LIMITS,
    assert_no_metadata,
    code_of,
    decode,
    encode,
    noise,
    rgb,
    spy_exif,
)


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header declares ``width`` x ``height`` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything asks Pillow to open the upload."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow was asked to open a file that should have been refused from its header")

    monkeypatch.setattr(Image, "open", refuse)


# --- type by content -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_jpeg_png_webp_are_accepted(fmt: str) -> None:
    sniffed = inspect_upload(encode(noise(64, 48), fmt), **LIMITS)
    assert sniffed.format is ImageFormat(fmt)
    assert sniffed.content_type == f"image/{fmt.lower()}"
    assert (sniffed.width, sniffed.height) == (64, 48)
    assert sniffed.image.mode == "RGB" and sniffed.image.info == {}


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"just some text that someone named photo.png\n", "unknown"),
        (encode(noise(8, 8), "GIF"), "GIF"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "SVG/XML/HTML"),
        (b"  <svg width='10' height='10'/>", "SVG/XML/HTML"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (encode(noise(8, 8), "BMP"), "BMP"),
        (encode(noise(8, 8), "TIFF"), "TIFF"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIF/AVIF/MP4"),
        (b"", "unknown"),
    ],
    ids=["text", "gif", "svg-xml", "svg", "pdf", "bmp", "tiff", "heic", "empty"],
)
def test_other_types_are_refused_by_content(data: bytes, detected: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, **LIMITS)
    assert code_of(excinfo) == "UNSUPPORTED_IMAGE_TYPE"
    assert excinfo.value.details["detected"] == detected


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_are_refused(fmt: str) -> None:
    data = encode(noise(16, 16), fmt, save_all=True, append_images=[noise(16, 16, seed=1)])
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, **LIMITS)
    assert code_of(excinfo) == "UNSUPPORTED_IMAGE_TYPE"


# --- limits ----------------------------------------------------------------------------------------


def test_oversized_upload_is_refused_before_anything_else() -> None:
    data = encode(noise(64, 64), "PNG")
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, max_bytes=len(data) - 1, max_pixels=10**6)
    assert code_of(excinfo) == "IMAGE_TOO_LARGE"
    assert inspect_upload(data, max_bytes=len(data), max_pixels=10**6).width == 64
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(b"not even an image" * 10, max_bytes=100, max_pixels=10**6)
    assert code_of(excinfo) == "IMAGE_TOO_LARGE"


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_many_pixels(fmt: str) -> None:
    data = encode(noise(120, 100), fmt)
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, max_bytes=10**7, max_pixels=120 * 100 - 1)
    assert code_of(excinfo) == "IMAGE_TOO_MANY_PIXELS"
    assert inspect_upload(data, max_bytes=10**7, max_pixels=120 * 100).width == 120


@pytest.mark.usefixtures("no_decoding")
@pytest.mark.parametrize("max_pixels", [4_000_000, 10**12])
def test_png_declaring_huge_dimensions_is_refused_before_decoding(max_pixels: int) -> None:
    # 30000 x 30000 in a few hundred bytes; with max_pixels 10**12 Pillow's own ceiling still applies.
    data = png_claiming(30_000, 30_000)
    assert len(data) < 200
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, max_bytes=10**7, max_pixels=max_pixels)
    assert code_of(excinfo) == "DECOMPRESSION_BOMB"


@pytest.mark.usefixtures("no_decoding")
def test_webp_declaring_a_huge_canvas_is_refused_before_decoding() -> None:
    vp8x = b"\0\0\0\0" + (16_383).to_bytes(3, "little") * 2
    data = b"RIFF" + struct.pack("<I", 4 + 8 + len(vp8x)) + b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, **LIMITS)
    assert code_of(excinfo) == "DECOMPRESSION_BOMB"


def test_jpeg_with_a_forged_frame_header_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(encode(noise(16, 16), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("decoded"))
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(bytes(data), **LIMITS)
    assert code_of(excinfo) == "DECOMPRESSION_BOMB"


def test_pillow_global_guard_is_read_not_changed_and_never_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    # Warnings are errors in this suite, so a DecompressionBombWarning would fail the test.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000)
    data = encode(noise(100, 100), "PNG")
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, max_bytes=10**7, max_pixels=10**6)
    assert code_of(excinfo) == "IMAGE_TOO_MANY_PIXELS"
    assert excinfo.value.details["max_pixels"] == 5_000
    assert Image.MAX_IMAGE_PIXELS == 5_000
    assert inspect_upload(encode(noise(70, 70), "PNG"), max_bytes=10**7, max_pixels=10**6).width == 70


# --- corrupt files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_files_are_corrupt(fmt: str, keep: float) -> None:
    data = encode(noise(200, 150), fmt)
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data[: int(len(data) * keep)], **LIMITS)
    assert code_of(excinfo) == "CORRUPT_IMAGE"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"garbage" * 10,
        b"\xff\xd8\xff" + b"\x00" * 40,
        b"RIFF\x10\0\0\0WEBPVP8 junkjunkjunkjunk",
        png_claiming(0, 10),
    ],
    ids=["png-magic", "jpeg-magic", "webp-magic", "zero-width"],
)
def test_magic_bytes_without_an_image_are_corrupt(data: bytes) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(data, **LIMITS)
    assert code_of(excinfo) == "CORRUPT_IMAGE"


def test_png_with_a_bad_checksum_is_corrupt() -> None:
    data = bytearray(encode(noise(32, 32), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 20] ^= 0xFF
    with pytest.raises(InvalidInput) as excinfo:
        inspect_upload(bytes(data), **LIMITS)
    assert code_of(excinfo) == "CORRUPT_IMAGE"


# --- metadata --------------------------------------------------------------------------------------


def test_jpeg_exif_with_gps_is_stripped_and_orientation_applied() -> None:
    stored = Image.new("RGB", (40, 20), (220, 0, 0))  # red left half, blue right half as stored
    stored.paste((0, 0, 220), (20, 0, 40, 20))
    source = encode(stored, "JPEG", exif=spy_exif(), icc_profile=b"secret-icc", comment=b"secret-comment")
    with Image.open(io.BytesIO(source)) as original:  # the fixture really carries GPS
        assert original.getexif().get_ifd(0x8825)[1] == "N"
    sniffed = inspect_upload(source, **LIMITS)
    assert (sniffed.width, sniffed.height) == (20, 40)  # upright
    stripped = strip_metadata(sniffed)
    assert stripped[:3] == b"\xff\xd8\xff"
    assert_no_metadata(stripped)
    upright = decode(stripped)
    assert upright.size == (20, 40)
    # Turned 90 degrees clockwise: the stored left half is now the top half.
    assert rgb(upright, (10, 5))[0] > 180 and rgb(upright, (10, 35))[2] > 180


def test_png_text_xmp_and_exif_are_stripped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-author")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-xmp</x:xmpmeta>")
    source = encode(noise(30, 30), "PNG", pnginfo=info, exif=spy_exif(), icc_profile=b"secret-icc")
    stripped = strip_metadata(inspect_upload(source, **LIMITS))
    assert stripped.startswith(b"\x89PNG")
    assert_no_metadata(stripped)
    assert decode(stripped).size == (30, 30)  # PNG orientation is applied too: 30x30 either way


def test_webp_exif_icc_and_xmp_are_stripped() -> None:
    source = encode(noise(30, 20), "WEBP", exif=spy_exif(), icc_profile=b"secret-icc", xmp=b"<x>secret-xmp</x>")
    stripped = strip_metadata(inspect_upload(source, **LIMITS))
    assert stripped[8:12] == b"WEBP"
    assert_no_metadata(stripped)


def test_every_processed_variant_is_stripped() -> None:
    source = encode(noise(400, 200), "JPEG", exif=spy_exif(), icc_profile=b"secret-icc", comment=b"secret-comment")
    processed = process_upload(source, [Region(10, 10, 50, 20, RedactionLabel.SERIAL_NUMBER)], **LIMITS)
    for obj in processed.objects:
        assert_no_metadata(obj.data)


def test_bytes_appended_after_the_image_are_dropped() -> None:
    source = encode(noise(32, 32), "JPEG") + b"PK\x03\x04secret-zip-payload"
    stripped = strip_metadata(inspect_upload(source, **LIMITS))
    assert b"PK\x03\x04" not in stripped and b"secret" not in stripped


def test_only_the_primary_image_of_a_multi_picture_jpeg_is_kept() -> None:
    # MPO side images (depth maps, previews) could show what the primary's redaction hides.
    source = encode(noise(64, 48), "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48), (255, 0, 0))])
    with Image.open(io.BytesIO(source)) as mpo:
        assert mpo.format == "MPO" and getattr(mpo, "n_frames", 1) == 2
    stripped = strip_metadata(inspect_upload(source, **LIMITS))
    with Image.open(io.BytesIO(stripped)) as out:
        assert out.format == "JPEG" and getattr(out, "n_frames", 1) == 1
    assert b"MPF" not in stripped


def test_lossless_formats_keep_pixels_exactly() -> None:
    img = noise(50, 40)
    for fmt, kwargs in (("PNG", {}), ("WEBP", {"lossless": True})):
        stripped = strip_metadata(inspect_upload(encode(img, fmt, **kwargs), **LIMITS))
        assert decode(stripped).convert("RGB").tobytes() == img.tobytes()


@pytest.mark.parametrize(("fmt", "kwargs"), [("PNG", {}), ("WEBP", {"lossless": True, "exact": True})])
def test_colour_hidden_under_transparency_does_not_survive(fmt: str, kwargs: dict[str, Any]) -> None:
    # Fully transparent pixels whose colour channels carry a picture: visible to anyone who drops alpha.
    hidden = Image.merge("RGBA", (*noise(40, 30).split(), Image.new("L", (40, 30), 0)))
    sniffed = inspect_upload(encode(hidden, fmt, **kwargs), **LIMITS)
    assert sniffed.image.mode == "RGB"
    white = Image.new("RGB", (40, 30), (255, 255, 255)).tobytes()
    assert sniffed.image.tobytes() == white
    assert decode(strip_metadata(sniffed)).convert("RGB").tobytes() == white


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    sniffed = inspect_upload(encode(Image.new("I;16", (8, 8), 40_000), "PNG"), **LIMITS)
    assert sniffed.image.getpixel((0, 0)) == (155, 155, 155)


def test_cmyk_jpeg_becomes_rgb() -> None:
    sniffed = inspect_upload(encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"), **LIMITS)
    r, g, b = rgb(sniffed.image, (4, 4))
    assert r > 200 and g < 60 and b < 60
