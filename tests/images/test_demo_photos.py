"""Demo product photos: real UPC-A bar codes, and regions that cover exactly the identifying marks."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from hub.images import RedactionLabel, Region, process_upload, validate_regions
from hub.images.demo_photos import (
    DEFAULT_BRANDS,
    DemoPhoto,
    DemoProduct,
    demo_photo,
    demo_photos,
    upc_a,
    upc_a_modules,
    upc_check_digit,
)

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 50_000_000}
NAMES_AND_ADDRESSES = {
    RedactionLabel.MANUFACTURER_NAME_ADDRESS,
    RedactionLabel.EXPORTER_NAME_ADDRESS,
    RedactionLabel.IMPORTER_NAME_ADDRESS,
}
# Written out from the UPC-A specification rather than imported, so the encoder is checked against it.
LEFT_CODES = {
    "0001101": "0", "0011001": "1", "0010011": "2", "0111101": "3", "0100011": "4",
    "0110001": "5", "0101111": "6", "0111011": "7", "0110111": "8", "0001011": "9",
}  # fmt: skip
RIGHT_CODES = {code.translate(str.maketrans("01", "10")): digit for code, digit in LEFT_CODES.items()}


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB")


def read_modules(bits: str) -> str | None:
    """The 12 digits a 95-module UPC-A pattern encodes, or None."""
    if len(bits) != 95 or bits[:3] != "101" or bits[45:50] != "01010" or bits[92:] != "101":
        return None
    left = [LEFT_CODES.get(bits[3 + 7 * i : 10 + 7 * i]) for i in range(6)]
    right = [RIGHT_CODES.get(bits[50 + 7 * i : 57 + 7 * i]) for i in range(6)]
    digits = left + right
    if None in digits:
        return None
    text = "".join(d for d in digits if d is not None)
    return text if upc_check_digit(text[:11]) == int(text[11]) else None


def scan_row(row: bytes) -> tuple[str, int, int] | None:
    """Find a UPC-A on one scan line of a greyscale image, like a laser scanner would."""
    dark = [value < 100 for value in row]
    for x0 in range(1, len(dark)):
        if not dark[x0] or dark[x0 - 1]:
            continue
        width = 1
        while x0 + width < len(dark) and dark[x0 + width]:
            width += 1
        if width > 8 or x0 + 95 * width > len(dark):
            continue
        bits = "".join("1" if dark[x0 + i * width + width // 2] else "0" for i in range(95))
        if (digits := read_modules(bits)) is not None:
            return digits, x0, x0 + 95 * width
    return None


def find_barcode(img: Image.Image) -> tuple[str, tuple[int, int, int, int]] | None:
    """The UPC read from the picture and the box of scan lines it was read on."""
    grey = img.convert("L")
    hits = []
    for y in range(0, grey.height, 2):
        row = grey.crop((0, y, grey.width, y + 1)).tobytes()
        if (found := scan_row(row)) is not None:
            hits.append((y, found))
    if not hits:
        return None
    codes = {found[0] for _, found in hits}
    assert len(codes) == 1, codes
    ys = [y for y, _ in hits]
    x0, x1 = hits[0][1][1], hits[0][1][2]
    return codes.pop(), (x0, min(ys), x1, max(ys) + 1)


def inside(box: tuple[int, int, int, int], region: Region) -> bool:
    return (
        region.x <= box[0]
        and region.y <= box[1]
        and box[2] <= region.x + region.width
        and box[3] <= region.y + region.height
    )


@pytest.fixture(scope="module")
def photos() -> tuple[DemoPhoto, ...]:
    return demo_photos()


# --- UPC-A -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"), [("03600029145", 2), ("01234567890", 5), ("72527273070", 6), ("00000000000", 0)]
)
def test_upc_check_digit_known_examples(body: str, check: int) -> None:
    assert upc_check_digit(body) == check
    assert upc_a(body) == body + str(check)


@pytest.mark.parametrize("bad", ["0360002914", "036000291452", "0360002914x", "", "٠٣٦٠٠٠٢٩١٤٥"])
def test_upc_check_digit_needs_eleven_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        upc_check_digit(bad)


def test_upc_modules_follow_the_symbology() -> None:
    bits = upc_a_modules("036000291452")
    assert len(bits) == 95
    assert read_modules(bits) == "036000291452"
    assert all(bits[3 + 7 * i : 10 + 7 * i].count("1") % 2 == 1 for i in range(6))  # left digits: odd parity
    assert all(bits[50 + 7 * i : 57 + 7 * i].count("1") % 2 == 0 for i in range(6))  # right digits: even
    with pytest.raises(ValueError):
        upc_a_modules("036000291453")  # wrong check digit


# --- the photos ------------------------------------------------------------------------------------


def test_one_photo_per_product_with_its_brand(photos: tuple[DemoPhoto, ...]) -> None:
    assert [p.product for p in photos] == list(DemoProduct)
    assert len(photos) >= 3
    for photo in photos:
        assert photo.brand == DEFAULT_BRANDS[photo.product]
        img = decode(photo.data)
        assert img.size == (photo.width, photo.height) and photo.content_type == "image/png"


def test_drawn_bar_code_scans_as_the_photos_upc(photos: tuple[DemoPhoto, ...]) -> None:
    for photo in photos:
        found = find_barcode(decode(photo.data))
        assert found is not None, photo.product
        assert found[0] == photo.upc


def test_regions_lie_in_the_image_and_name_the_required_categories(photos: tuple[DemoPhoto, ...]) -> None:
    for photo in photos:
        assert validate_regions(photo.regions, photo.width, photo.height) == photo.regions
        labels = {r.label for r in photo.regions}
        assert RedactionLabel.UPC_BARCODE in labels
        assert RedactionLabel.SERIAL_NUMBER in labels or RedactionLabel.BATCH_NUMBER in labels
        assert RedactionLabel.MANUFACTURE_DATE in labels
        assert labels & NAMES_AND_ADDRESSES
        assert [label for label, _ in photo.marks] == [r.label for r in photo.regions]
        assert (RedactionLabel.UPC_BARCODE, photo.upc) in photo.marks
    assert {r.label for p in photos for r in p.regions} == set(RedactionLabel)  # every category is shown


@pytest.mark.parametrize("product", list(DemoProduct))
def test_regions_cover_exactly_the_identifying_marks(product: DemoProduct) -> None:
    with_marks = demo_photo(product, seed=7)
    without = demo_photo(product, seed=7, identifiers=False)
    assert without.regions == () and without.marks == ()
    diff = ImageChops.difference(decode(with_marks.data), decode(without.data)).convert("L")
    changed = diff.point(lambda v: 255 if v else 0)
    covered = Image.new("L", diff.size, 0)
    for region in with_marks.regions:
        covered.paste(255, (region.x, region.y, region.x + region.width, region.y + region.height))
        inner = changed.crop((region.x, region.y, region.x + region.width, region.y + region.height))
        assert inner.getbbox() is not None, f"{region.label} covers nothing that was drawn"
    uncovered = ImageChops.subtract(changed, covered)
    assert uncovered.getbbox() is None, f"identifying pixels outside every region: {uncovered.getbbox()}"


@pytest.mark.parametrize("product", list(DemoProduct))
def test_redacted_variant_blacks_out_the_bar_code_and_keeps_the_brand(product: DemoProduct) -> None:
    photo = demo_photo(product)
    found = find_barcode(decode(photo.data))
    assert found is not None
    bars = found[1]
    upc_regions = [r for r in photo.regions if r.label is RedactionLabel.UPC_BARCODE]
    assert any(inside(bars, r) for r in upc_regions)

    processed = process_upload(photo.data, photo.regions, **LIMITS)
    redacted = decode(processed.redacted.data)
    assert find_barcode(redacted) is None
    assert redacted.crop(bars).getextrema() == ((0, 0), (0, 0), (0, 0))
    # The brand is not identifying information: a different brand changes pixels outside every region,
    # and those differences survive redaction.
    other = demo_photo(product, brand="ACME")
    other_redacted = decode(process_upload(other.data, other.regions, **LIMITS).redacted.data)
    assert other.regions == photo.regions
    assert ImageChops.difference(redacted, other_redacted).getbbox() is not None


def test_photos_are_deterministic_per_seed() -> None:
    first, again = demo_photo("APPAREL_TAG", seed=3), demo_photo(DemoProduct.APPAREL_TAG, seed=3)
    assert first.data == again.data and first.regions == again.regions
    other = demo_photo("APPAREL_TAG", seed=4)
    assert other.data != first.data and other.upc != first.upc


def test_jpeg_demo_photos_go_through_the_pipeline() -> None:
    photo = demo_photo(DemoProduct.SNEAKER_BOX, image_format="jpeg", brand="Stridewell")
    assert photo.content_type == "image/jpeg" and photo.data[:3] == b"\xff\xd8\xff"
    processed = process_upload(photo.data, photo.regions, **LIMITS)
    assert processed.content_type == "image/jpeg" and (processed.width, processed.height) == (1200, 900)
    assert find_barcode(decode(photo.data)) is not None
    assert find_barcode(decode(processed.redacted.data)) is None


def test_brand_and_format_arguments_are_checked() -> None:
    assert demo_photo("HANDBAG_CARD", brand="MAISON AURELLE DE PARIS").brand == "MAISON AURELLE DE PARIS"
    for kwargs in ({"brand": ""}, {"brand": "x" * 25}, {"brand": "bad\nbrand"}, {"image_format": "GIF"}):
        with pytest.raises(ValueError):
            demo_photo("HEADPHONES_BOX", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        demo_photo("TOASTER")
