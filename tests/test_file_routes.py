"""Detention images end to end (issue 3, "Images" and "Audit"): multipart upload with redaction regions, the
upload checks, GET /files/{token} (bearer of the same client, a fresh policy decision at fetch, Range, ETag),
the disclosure log behind every fetch, and a crash between object and row.
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from hub.audit.cli import run_list, run_verify
from hub.audit.log import accesses, verify
from hub.db.ipr_tables import Detention, DetentionEvent, DetentionImage, PhotoGuide
from hub.db.session import transaction
from hub.graphql.relay import from_global_id
from hub.images import RedactionLabel, Region
from hub.services import detention_images
from tests.conftest import HubHarness
from tests.graphql.detention_helpers import (
    ACME,
    NORTHWIND,
    OFFICER,
    VERTEX,
    bearer,
    code,
    count_rows,
    detention,
    gid,
    gql,
    new_case_number,
    photo_regions,
    record,
    upload_photo,
)

ACCESS_LOG = "query($id: ID!) { detention(id: $id) { accessLog { clientId item ruleIds channel } } }"


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's signature)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


async def _case_with_photo(harness: HubHarness) -> tuple[str, str, DetentionImage]:
    """A new case naming Northwind's TMK 21-00412 (importer Acme) with one uploaded photo."""
    number = new_case_number("IMG")
    node = await record(harness, number)
    status, body = await upload_photo(harness, node["id"])
    assert status == 200 and "errors" not in body, body
    [image] = body["data"]["uploadDetentionImage"]["images"]
    async with harness.hub.sessions() as session:
        row = await session.get(DetentionImage, from_global_id(image["id"])[1])
    assert row is not None
    return number, node["id"], row


async def _image_url(harness: HubHarness, client_id: str, number: str) -> dict[str, Any]:
    node = await detention(harness, client_id, number)
    assert node is not None
    [image] = node["images"]
    return dict(image)


async def _object(harness: HubHarness, key: str) -> bytes:
    stream = await harness.hub.store.get(key)
    async with stream:
        return b"".join([chunk async for chunk in stream])


async def _store_keys(harness: HubHarness) -> set[str]:
    return {key async for key in harness.hub.store.list_keys("")}


async def _fetch(harness: HubHarness, url: str, client_id: str | None, **headers: str) -> Any:
    auth = await bearer(harness, client_id) if client_id else {}
    return await harness.client.get(url, headers={**auth, **headers})


async def _logged(harness: HubHarness, detention_id: str) -> list[Any]:
    async with harness.hub.sessions() as session:
        return await accesses(session, "Detention", detention_id, first=1000)


async def test_upload_with_regions_stores_every_variant_and_shows_each_viewer_its_own(harness: HubHarness) -> None:
    number, _, image = await _case_with_photo(harness)
    assert image.regions and {r["label"] for r in image.regions} >= {"UPC_BARCODE", "SERIAL_NUMBER"}
    for key in (image.original_key, image.redacted_key, image.thumb_original_key, image.thumb_redacted_key):
        assert await harness.hub.store.exists(key)
    assert image.original_digest != image.redacted_digest
    for client_id, variant in ((OFFICER, "UNREDACTED"), (ACME, "UNREDACTED"), (NORTHWIND, "REDACTED")):
        assert (await _image_url(harness, client_id, number))["variant"] == variant  # R-IPR-CBP, -08, -04


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"this is a text file, whatever its name says\n", "photo.png", {"UNSUPPORTED_IMAGE_TYPE"}),
        (_png_claiming(30000, 30000), "bomb.png", {"DECOMPRESSION_BOMB", "IMAGE_TOO_MANY_PIXELS"}),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024), "huge.png", {"UPLOAD_TOO_LARGE", "IMAGE_TOO_LARGE"}),
    ],
    ids=["text-named-png", "decompression-bomb", "oversized"],
)
async def test_rejected_upload_leaves_no_row_and_no_object(
    harness: HubHarness, data: bytes, filename: str, expected: set[str]
) -> None:
    number = new_case_number("IMG")
    node = await record(harness, number)
    before = (await count_rows(harness, DetentionImage), await count_rows(harness, DetentionEvent),
              await _store_keys(harness))
    status, body = await upload_photo(harness, node["id"], data, [], filename=filename)
    assert status == 200 and code(body) in expected, body
    after = (await count_rows(harness, DetentionImage), await count_rows(harness, DetentionEvent),
             await _store_keys(harness))
    assert after == before
    assert (await detention(harness, OFFICER, number) or {})["images"] == []


async def test_region_outside_the_photo_is_refused(harness: HubHarness) -> None:
    node = await record(harness)
    data, _ = photo_regions(7)
    rows = await count_rows(harness, DetentionImage)
    bad = [{"x": 5000, "y": 10, "width": 50, "height": 50, "label": "UPC_BARCODE"}]
    status, body = await upload_photo(harness, node["id"], data, bad)
    assert (status, code(body)) == (200, "INVALID_REDACTION_REGION")
    assert await count_rows(harness, DetentionImage) == rows


async def test_fetch_streams_the_right_bytes_with_etag_and_range(harness: HubHarness) -> None:
    number, _, image = await _case_with_photo(harness)
    original = await _object(harness, image.original_key)
    redacted = await _object(harness, image.redacted_key)
    assert original != redacted
    url = (await _image_url(harness, OFFICER, number))["url"]
    response = await _fetch(harness, url, OFFICER)
    assert response.status_code == 200
    assert response.content == original
    assert response.headers["content-type"] == "image/png"
    etag = response.headers["etag"]
    assert etag == f'"{image.original_digest}"'
    owner = await _fetch(harness, (await _image_url(harness, NORTHWIND, number))["url"], NORTHWIND)
    assert owner.status_code == 200 and owner.content == redacted  # the REDACTED variant's bytes
    assert owner.headers["etag"] != etag

    part = await _fetch(harness, url, OFFICER, Range="bytes=0-99")
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{len(original)}"
    assert part.content == original[:100]
    cached = await _fetch(harness, url, OFFICER, **{"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    beyond = await _fetch(harness, url, OFFICER, Range=f"bytes={len(original)}-")
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(original)}"
    assert beyond.json()["errors"][0]["extensions"]["code"] == "RANGE_NOT_SATISFIABLE"


async def test_fetch_refusals_have_their_codes_and_log_nothing(harness: HubHarness) -> None:
    number, _, image = await _case_with_photo(harness)
    detention_id = image.detention_id
    url = (await _image_url(harness, OFFICER, number))["url"]
    logged = len(await _logged(harness, detention_id))
    now = datetime.now(UTC)
    urls = harness.hub.file_urls
    payload, _, signature = url.rsplit("/", 1)[1].partition(".")
    other_payload = urls.url(ACME, image.id, "UNREDACTED", now).rsplit("/", 1)[1].partition(".")[0]
    cases = [
        (url, ACME, 403, "FILE_URL_NOT_YOURS"),  # another client's bearer token
        (url, None, 401, "UNAUTHENTICATED"),  # no bearer token at all
        (f"https://hub.test/files/{payload}.{signature[:-2]}AA", OFFICER, 403, "INVALID_FILE_URL"),
        (f"https://hub.test/files/{other_payload}.{signature}", ACME, 403, "INVALID_FILE_URL"),
        (f"https://hub.test/files/{payload}", OFFICER, 403, "INVALID_FILE_URL"),
        (urls.url(OFFICER, image.id, "UNREDACTED", now - timedelta(minutes=10)), OFFICER, 403, "FILE_URL_EXPIRED"),
        # Minted directly, as if an earlier stage had allowed it: the fetch decides again (R-IPR-06 not met).
        (urls.url(NORTHWIND, image.id, "UNREDACTED", now), NORTHWIND, 403, "DISCLOSURE_NOT_ALLOWED_NOW"),
        (urls.url(NORTHWIND, image.id, "THUMB_UNREDACTED", now), NORTHWIND, 403, "DISCLOSURE_NOT_ALLOWED_NOW"),
        (urls.url(OFFICER, "no-such-image", "UNREDACTED", now), OFFICER, 404, "UNKNOWN_FILE"),
    ]
    for target, client_id, status, expected in cases:
        response = await _fetch(harness, target, client_id)
        assert (response.status_code, response.json()["errors"][0]["extensions"]["code"]) == (status, expected)
        assert image.original_digest not in response.text
    assert len(await _logged(harness, detention_id)) == logged


async def test_each_fetch_is_logged_and_listed_to_importer_and_cbp_only(harness: HubHarness) -> None:
    number, node_id, image = await _case_with_photo(harness)
    detention_id = image.detention_id
    before = await _logged(harness, detention_id)
    owner_url = (await _image_url(harness, NORTHWIND, number))["url"]
    assert (await _fetch(harness, owner_url, NORTHWIND)).status_code == 200
    assert (await _fetch(harness, owner_url, NORTHWIND, Range="bytes=0-9")).status_code == 206
    importer_url = (await _image_url(harness, ACME, number))["url"]
    assert (await _fetch(harness, importer_url, ACME)).status_code == 200
    new = (await _logged(harness, detention_id))[len(before):]
    fetches = [(e.client_id, e.item, e.channel) for e in new if e.channel == "IMAGE_FETCH"]
    assert fetches == [(NORTHWIND, f"file:REDACTED:{image.id}", "IMAGE_FETCH")] * 2 + [
        (ACME, f"file:UNREDACTED:{image.id}", "IMAGE_FETCH")]
    owner_entry = next(e for e in new if e.client_id == NORTHWIND)
    assert owner_entry.rule_ids == "R-IPR-04" and owner_entry.policy_version
    assert owner_entry.organization_id == harness.demo[NORTHWIND]["organization_id"]

    for client_id in (ACME, OFFICER):
        body = await gql(harness, client_id, ACCESS_LOG, {"id": node_id})
        entries = body["data"]["detention"]["accessLog"]
        assert {"clientId": NORTHWIND, "item": f"file:REDACTED:{image.id}", "ruleIds": ["R-IPR-04"],
                "channel": "IMAGE_FETCH"} in entries
    body = await gql(harness, NORTHWIND, ACCESS_LOG, {"id": node_id})
    assert body == {"data": {"detention": {"accessLog": []}}}  # ReadAccessLog: CBP and the importer side

    async with harness.hub.sessions() as session:
        result = await verify(session)
    assert result.ok and result.entries >= len(before) + 3, result


async def test_crash_between_objects_and_row_leaves_only_orphans_that_the_sweep_removes(
    harness: HubHarness,
) -> None:
    node = await record(harness)
    detention_id = from_global_id(node["id"])[1]
    data, regions = photo_regions(uuid.uuid4().int % 10_000_000)  # a photo no other test uploaded
    parsed = [Region(r["x"], r["y"], r["width"], r["height"], RedactionLabel(r["label"])) for r in regions]
    written: list[str] = []
    with pytest.raises(RuntimeError, match="crash"):
        async with transaction(harness.hub.sessions) as session:
            row = await session.get(Detention, detention_id)
            assert row is not None
            image = await detention_images.add_image(session, harness.hub.store, row, data, parsed,
                                                     datetime.now(UTC), OFFICER, max_bytes=20 * 1024 * 1024,
                                                     max_pixels=50_000_000)
            written = [image.original_key, image.redacted_key, image.thumb_original_key, image.thumb_redacted_key]
            raise RuntimeError("crash after the objects were written, before the commit")
    async with harness.hub.sessions() as session:
        rows = (await session.exec(select(DetentionImage)
                                   .where(col(DetentionImage.detention_id) == detention_id))).all()
    assert rows == []
    assert written and all([await harness.hub.store.exists(k) for k in written])

    async with transaction(harness.hub.sessions) as session:
        removed = await detention_images.sweep_orphans(session, harness.hub.store)
    assert removed >= len(set(written))
    assert not any([await harness.hub.store.exists(k) for k in written])
    async with harness.hub.sessions() as session:
        every = (await session.exec(select(DetentionImage))).all()
    for image_row in every:  # no row points to a missing object
        for key in (image_row.original_key, image_row.redacted_key, image_row.thumb_original_key,
                    image_row.thumb_redacted_key):
            assert await harness.hub.store.exists(key), key


async def test_hub_audit_cli_verifies_the_chain_and_lists_the_fetches(
    harness: HubHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    number, _, image = await _case_with_photo(harness)
    owner_url = (await _image_url(harness, NORTHWIND, number))["url"]
    assert (await _fetch(harness, owner_url, NORTHWIND)).status_code == 200
    capsys.readouterr()
    assert await run_verify(harness.hub.settings) == 0  # `hub audit verify`
    assert "audit chain OK" in capsys.readouterr().out
    assert await run_list(harness.hub.settings, "Detention", image.detention_id, as_json=True) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"client_id": NORTHWIND, "item": f"file:REDACTED:{image.id}", "channel": "IMAGE_FETCH",
            "rule_ids": ["R-IPR-04"]}.items() <= next(e for e in listed if e["client_id"] == NORTHWIND).items()


async def test_only_cbp_uploads_photos(harness: HubHarness) -> None:
    node = await record(harness)
    before = (await count_rows(harness, DetentionImage), await _store_keys(harness))
    for client_id in (ACME, NORTHWIND):
        status, body = await upload_photo(harness, node["id"], client_id=client_id)
        assert (status, code(body)) == (200, "FORBIDDEN")
    assert (await count_rows(harness, DetentionImage), await _store_keys(harness)) == before


GUIDES = "query($id: ID!) { detention(id: $id) { recordations { number photoGuides { title url } } } }"


async def test_photo_guides_reach_cbp_and_their_owner_only(harness: HubHarness) -> None:
    """COAC IE-2021-03: brand holders' photographic standards guides, shown to officers (R-IPR-GUIDES)."""
    async with harness.hub.sessions() as session:
        case = (await session.exec(select(Detention).where(col(Detention.case_number) == "DEMO-2704-0009"))).one()
    node_id = gid(case.id)
    guides: dict[str, dict[str, list[dict[str, str]]]] = {}
    for client_id in (OFFICER, NORTHWIND, VERTEX):  # 0009 names TMK 21-00412 (Northwind) and TMK 19-01187
        body = await gql(harness, client_id, GUIDES, {"id": node_id})
        guides[client_id] = {r["number"]: r["photoGuides"] for r in body["data"]["detention"]["recordations"]}
    assert [g["title"] for g in guides[OFFICER]["TMK 21-00412"]] == ["NORTHWIND label photo standards"]
    assert [g["title"] for g in guides[NORTHWIND]["TMK 21-00412"]] == ["NORTHWIND label photo standards"]
    assert guides[VERTEX]["TMK 21-00412"] == []
    for client_id in (OFFICER, NORTHWIND):
        response = await _fetch(harness, guides[client_id]["TMK 21-00412"][0]["url"], client_id)
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    [guide] = guides[OFFICER]["TMK 21-00412"]
    async with harness.hub.sessions() as session:
        guide_row = (await session.exec(select(PhotoGuide).where(col(PhotoGuide.title) == guide["title"]))).one()
    # A URL minted for Vertex directly, as if the field had handed it out: refused at fetch.
    minted = harness.hub.file_urls.url(VERTEX, guide_row.id, "GUIDE", datetime.now(UTC))
    response = await _fetch(harness, minted, VERTEX)
    assert (response.status_code, response.json()["errors"][0]["extensions"]["code"]) == (
        403, "DISCLOSURE_NOT_ALLOWED_NOW")
