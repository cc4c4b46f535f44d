"""The image pipeline: redaction, thumbnails, content-addressed keys, the processed upload."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from PIL import Image

from hub.errors import InvalidInput
from hub.images import (
    MAX_REGIONS,
    ImageVariant,
    ProcessedImage,
    RedactionLabel,
    Region,
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
from hub.storage.base import validate_key
from tests.images.imaging import (
    LIMITS,
    assert_no_metadata,
    code_of,
    decode,
    encode,
    gradient,
    noise,
    rgb,
    spy_exif,
)

# --- redaction -------------------------------------------------------------------------------------

REGIONS = (
    Region(20, 30, 80, 25, RedactionLabel.SERIAL_NUMBER),
    Region(200, 150, 120, 100, RedactionLabel.UPC_BARCODE),
    Region(0, 0, 10, 10, RedactionLabel.OTHER_IDENTIFYING_MARK),  # padding is clipped at the edge
)


def expected_redaction(img: Image.Image, regions: tuple[Region, ...]) -> Image.Image:
    out = img.copy()
    for region in regions:
        out.paste((0, 0, 0), redaction_box(region, img.width, img.height))
    return out


@pytest.mark.parametrize(("fmt", "kwargs"), [("PNG", {}), ("WEBP", {"lossless": True})])
def test_lossless_redaction_blacks_out_regions_and_nothing_else(fmt: str, kwargs: dict[str, Any]) -> None:
    img = noise(400, 300)
    redacted = decode(redact(encode(img, fmt, **kwargs), REGIONS)).convert("RGB")
    black = (0, 0, 0)
    for r in REGIONS:
        for x, y in ((r.x, r.y), (r.x + r.width - 1, r.y + r.height - 1), (r.x + r.width // 2, r.y + r.height // 2)):
            assert redacted.getpixel((x, y)) == black
    left, top, _, _ = redaction_box(REGIONS[0], 400, 300)
    assert left < REGIONS[0].x and redacted.getpixel((left, top)) == black  # padded
    # Every pixel outside the padded boxes is exactly the original one.
    assert redacted.tobytes() == expected_redaction(img, REGIONS).tobytes()


def test_jpeg_redaction_is_black_inside_and_unchanged_far_outside() -> None:
    source = encode(gradient(400, 300), "JPEG", quality=95)
    clean = decode(strip_metadata(inspect_upload(source, **LIMITS)))
    redacted = decode(redact(source, REGIONS))
    big = REGIONS[1]
    for x in range(big.x + 8, big.x + big.width - 8, 7):
        for y in range(big.y + 8, big.y + big.height - 8, 7):
            assert max(rgb(redacted, (x, y))) <= 8
    # 16x16 JPEG blocks that do not touch a box decode exactly as before; allow a little slack anyway.
    for x, y in ((380, 10), (10, 280), (150, 120), (390, 290)):
        before, after = rgb(clean, (x, y)), rgb(redacted, (x, y))
        assert all(abs(a - b) <= 2 for a, b in zip(before, after, strict=True))


def test_redacted_thumbnail_comes_from_redacted_pixels() -> None:
    processed = process_upload(
        encode(Image.new("RGB", (640, 480), (255, 255, 255)), "PNG"),
        [Region(320, 240, 200, 160, RedactionLabel.LOT_CODE)],
        **LIMITS,
    )
    thumb = decode(processed.thumb_redacted.data)
    assert thumb.size == (320, 240)
    assert max(rgb(thumb, (210, 160))) < 30
    assert min(rgb(decode(processed.thumb_original.data), (210, 160))) > 225


@pytest.mark.parametrize(
    "region",
    [
        Region(390, 10, 20, 10, RedactionLabel.SERIAL_NUMBER),  # past the right edge
        Region(10, 295, 10, 10, RedactionLabel.SERIAL_NUMBER),  # past the bottom
        Region(-1, 10, 10, 10, RedactionLabel.SERIAL_NUMBER),
        Region(10, 10, 0, 10, RedactionLabel.SERIAL_NUMBER),
        Region(10, 10, 10, -5, RedactionLabel.SERIAL_NUMBER),
    ],
)
def test_invalid_regions_are_refused(region: Region) -> None:
    data = encode(noise(400, 300), "PNG")
    for call in (lambda: redact(data, [region]), lambda: process_upload(data, [region], **LIMITS)):
        with pytest.raises(InvalidInput) as excinfo:
            call()
        assert code_of(excinfo) == "INVALID_REDACTION_REGION"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"x": 1.5, "y": 0, "width": 1, "height": 1, "label": "LOT_CODE"},
        {"x": True, "y": 0, "width": 1, "height": 1, "label": "LOT_CODE"},
        {"x": 0, "y": 0, "width": 1, "height": 1, "label": "BRAND_NAME"},
    ],
)
def test_malformed_regions_cannot_be_built(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Region(**kwargs)
    assert code_of(excinfo) == "INVALID_REDACTION_REGION"


def test_region_labels_are_the_fixed_list() -> None:
    assert Region(0, 0, 1, 1, "UPC_BARCODE").label is RedactionLabel.UPC_BARCODE  # type: ignore[arg-type]
    assert {label.value for label in RedactionLabel} == {
        "SERIAL_NUMBER", "MANUFACTURE_DATE", "LOT_CODE", "BATCH_NUMBER", "UPC_BARCODE", "MANUFACTURER_NAME_ADDRESS",
        "EXPORTER_NAME_ADDRESS", "IMPORTER_NAME_ADDRESS", "OTHER_IDENTIFYING_MARK",
    }  # fmt: skip


def test_at_most_fifty_regions() -> None:
    many = [Region(i, 0, 1, 1, RedactionLabel.LOT_CODE) for i in range(MAX_REGIONS + 1)]
    assert len(validate_regions(many[:MAX_REGIONS], 100, 100)) == MAX_REGIONS
    with pytest.raises(InvalidInput) as excinfo:
        validate_regions(many, 100, 100)
    assert code_of(excinfo) == "INVALID_REDACTION_REGION"
    with pytest.raises(InvalidInput):
        validate_regions(["not a region"], 100, 100)  # type: ignore[list-item]


# --- thumbnails ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [((1000, 400), 320, (320, 128)), ((300, 900), 64, (21, 64)), ((100, 50), 320, (100, 50))],
)
def test_thumbnails_fit_the_box_keep_aspect_and_never_enlarge(
    size: tuple[int, int], max_side: int, expected: tuple[int, int]
) -> None:
    data = thumbnail(encode(noise(*size), "PNG", exif=spy_exif(rotated=False)), max_side)
    assert data[:3] == b"\xff\xd8\xff"
    assert decode(data).size == expected
    assert_no_metadata(data)


def test_transparent_uploads_are_flattened_on_white() -> None:
    half = Image.new("RGBA", (100, 100), (255, 0, 0, 0))
    half.paste((0, 0, 255, 255), (0, 0, 50, 100))
    processed = process_upload(encode(half, "PNG"), [Region(60, 10, 20, 20, RedactionLabel.LOT_CODE)], **LIMITS)
    original, redacted = decode(processed.original.data), decode(processed.redacted.data)
    assert original.mode == redacted.mode == "RGB"
    assert original.getpixel((10, 10)) == (0, 0, 255) and original.getpixel((90, 90)) == (255, 255, 255)
    assert redacted.getpixel((70, 20)) == (0, 0, 0)  # the box is opaque black, not see-through
    thumb = decode(processed.thumb_original.data)
    assert min(rgb(thumb, (90, 90))) > 245


def test_thumbnail_size_is_bounded() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        thumbnail(encode(noise(20, 20), "PNG"), 0)
    assert code_of(excinfo) == "INVALID_THUMBNAIL_SIZE"


# --- content addresses -----------------------------------------------------------------------------


def process(img: Image.Image, fmt: str = "PNG", regions: tuple[Region, ...] = REGIONS) -> ProcessedImage:
    return process_upload(encode(img, fmt), regions, **LIMITS)


def test_keys_are_content_addresses() -> None:
    first, again, other = process(noise(400, 300)), process(noise(400, 300)), process(noise(400, 300, seed=1))
    assert [o.key for o in first.objects] == [o.key for o in again.objects]  # same bytes, same keys
    assert not {o.key for o in first.objects} & {o.key for o in other.objects}
    for obj in first.objects:
        assert obj.digest == hashlib.sha256(obj.data).hexdigest() == content_address(obj.data)
        assert obj.key == f"images/{obj.variant.value}/sha256/{obj.digest[:2]}/{obj.digest}"
        assert validate_key(obj.key) == obj.key
        assert parse_object_key(obj.key) == (obj.variant, obj.digest)
    assert len({o.digest for o in first.objects}) == 4


def test_processed_image_describes_every_object() -> None:
    processed = process(noise(400, 300), "WEBP")
    assert processed.content_type == "image/webp" and (processed.width, processed.height) == (400, 300)
    assert [o.variant for o in processed.objects] == list(ImageVariant)
    assert processed.variant(ImageVariant.REDACTED) is processed.redacted
    assert processed.original.content_type == processed.redacted.content_type == "image/webp"
    assert processed.thumb_original.content_type == processed.thumb_redacted.content_type == "image/jpeg"
    assert (processed.thumb_redacted.width, processed.thumb_redacted.height) == (320, 240)
    assert processed.upload_digest == content_address(encode(noise(400, 300), "WEBP"))
    assert [v for v in ImageVariant if v.redacted] == [ImageVariant.REDACTED, ImageVariant.THUMB_REDACTED]


def test_without_regions_the_variants_share_bytes_but_not_keys() -> None:
    processed = process(noise(64, 64), regions=())
    assert processed.original.data == processed.redacted.data
    assert processed.original.key != processed.redacted.key


@pytest.mark.parametrize("digest", ["ABC", "A" * 64, "g" * 64, "a" * 63])
def test_object_key_needs_a_sha256_digest(digest: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        object_key(digest, ImageVariant.ORIGINAL)
    assert code_of(excinfo) == "INVALID_DIGEST"


@pytest.mark.parametrize(
    "key", ["images/original/sha256/ab/" + "cd" * 32, "images/secret/sha256/ab/" + "ab" * 32, "other/key", "images/"]
)
def test_parse_object_key_refuses_foreign_keys(key: str) -> None:
    with pytest.raises(InvalidInput):
        parse_object_key(key)
