"""Small helpers shared by the image tests: synthetic pictures, encoding, decoding, metadata checks."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from PIL import Image

from hub.errors import InvalidInput

LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_pixels": 4_000_000}
FORMATS = ["JPEG", "PNG", "WEBP"]
SECRETS = (b"SpyCam", b"secret")  # long enough never to occur by chance in image data


def noise(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    channels = len(mode)
    data = random.Random(seed).randbytes(width * height * channels)
    return Image.frombytes(mode, (width, height), data)


def gradient(width: int, height: int) -> Image.Image:
    x = Image.linear_gradient("L").resize((width, height))
    return Image.merge("RGB", (x, x.transpose(Image.Transpose.ROTATE_180), Image.new("L", (width, height), 90)))


def encode(img: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.copy()


def rgb(img: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    r, g, b = img.convert("RGB").getpixel(xy)  # type: ignore[misc]  # Pillow types pixels as a union
    return int(r), int(g), int(b)


def code_of(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    return excinfo.value.code


def spy_exif(*, rotated: bool = True) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    if rotated:
        exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    exif[0x8825] = {1: "N", 2: (40.0, 42.0, 46.0), 3: "W", 4: (74.0, 0.0, 21.0)}  # GPSInfo
    return exif


def assert_no_metadata(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data
    with Image.open(io.BytesIO(data)) as img:
        assert len(img.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp", "Author"} & set(img.info)
