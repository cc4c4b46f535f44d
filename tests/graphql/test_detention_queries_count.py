"""Structural performance (issue 3, "Performance"): a page of detentions with images, parties, recordations
and disclosure costs a number of SQL statements that does not grow with the page size.

A Hub of its own (SQLite), so that the shared harness's cases do not change what a page holds: the demo
cases plus 35 more naming Northwind's TMK 18-00977 and Vertex's TMK 19-01187, half of them seized (so the
owner sees parties), each with a photo and an authentication request.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from hub.db.session import count_statements, transaction
from hub.db.tables import Organization
from hub.images import RedactionLabel, Region
from hub.services import detention_images, detention_parties, detentions
from tests.conftest import HubHarness, open_harness
from tests.graphql.detention_helpers import ACME, DETENTION_FIELDS, NORTHWIND, OFFICER, VERTEX, bearer, gql

EXTRA = 35
MAX_STATEMENTS = 15
# What the issue names: images, parties, recordations and disclosure (DETENTION_FIELDS has them all).
PAGE = (
    "query($first: Int) { detentions(first: $first) { edges { node { " + DETENTION_FIELDS
    + " recordations { number mark status owner { id name } photoGuides { title url } }"
    + " images { id variant url thumbnailUrl width height } } } pageInfo { hasNextPage endCursor } } }"
)
# Every list a detention has, as CBP's and the importer's screens would show it.
FULL_PAGE = PAGE.replace(" } } pageInfo", " regime expiresAt noticeOfDetentionDueAt timeline { type }"
                         " importerResponses { id } authenticationRequests { id dueAt determination }"
                         " sampleRequests { id kind } accessLog { item } overdue { kind } } } pageInfo")


def _small_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (200, 180, 40)).save(out, "PNG")
    return out.getvalue()


async def _add_cases(harness: HubHarness, count: int) -> None:
    """``count`` cases through the services, as CBP would record them, all in one transaction."""
    now = datetime.now(UTC)
    hub = harness.hub
    photo = _small_photo()
    regions = [Region(4, 4, 30, 12, RedactionLabel.SERIAL_NUMBER)]
    async with transaction(hub.sessions) as session:
        importer = await session.get(Organization, harness.demo[ACME]["organization_id"])
        assert importer is not None
        for i in range(count):
            presented = now - timedelta(days=2, minutes=i)
            row = await detentions.record_detention(session, detentions.NewDetention(
                case_number=f"PERF-{i:04d}", regime="COUNTERFEIT_TRADEMARK", conveyance="CARGO", port_code="2704",
                importer_org_id=importer.id, manufacturer_name=f"Maker {i}", manufacturer_address="1 Rd, CN",
                exporter_name=f"Exporter {i}", exporter_address="2 Rd, CN",
                date_of_importation=(presented - timedelta(days=1)).date(),
                description="tees", quantity=10 + i, country_of_origin="CN", presented_at=presented,
                recordation_numbers=["TMK 18-00977", "TMK 19-01187"], declared_value="9000.00"), now, "perf-test",
                hub.settings.expedited_value_threshold)
            await detention_images.add_image(session, hub.store, row, photo, regions, now, "perf-test",
                                             max_bytes=1_000_000, max_pixels=1_000_000)
            await detentions.cbp_step(session, row.id, "DETAINED", presented + timedelta(hours=1), now, "perf-test",
                                      hub.calendar)
            if i % 2 == 0:
                await detentions.cbp_step(session, row.id, "SEIZED", presented + timedelta(hours=2), now,
                                          "perf-test", hub.calendar, seizure_notice_at=presented + timedelta(hours=3))
            await detention_parties.request_authentication(session, row, "TMK 18-00977", "perf-test", now)


@pytest.fixture(scope="module")
async def own_hub(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[HubHarness]:
    async for harness in open_harness(tmp_path_factory.mktemp("hub-statements"), None, "sqlite"):
        await _add_cases(harness, EXTRA)
        yield harness


async def _statements(harness: HubHarness, statements: list[str], client_id: str, first: int,
                      query: str = PAGE) -> int:
    await bearer(harness, client_id)  # the token request is not part of the page's cost
    start = len(statements)
    body = await gql(harness, client_id, query, {"first": first})
    cost = len(statements) - start
    assert "errors" not in body, body
    page = body["data"]["detentions"]
    assert len(page["edges"]) == first and page["pageInfo"]["hasNextPage"]
    return cost


async def _costs(harness: HubHarness, client_id: str, query: str) -> tuple[int, int]:
    statements = count_statements(harness.hub.engine)  # a listener of its own: count deltas of this list
    await _statements(harness, statements, client_id, 5, query)  # warm-up: first-use work is not the page's
    return (await _statements(harness, statements, client_id, 5, query),
            await _statements(harness, statements, client_id, 35, query))


@pytest.mark.parametrize("client_id", [NORTHWIND, VERTEX])
async def test_owner_page_costs_the_same_statements_for_5_and_for_35(own_hub: HubHarness, client_id: str) -> None:
    small, large = await _costs(own_hub, client_id, PAGE)
    assert small == large, f"{client_id}: {small} statements for first: 5, {large} for first: 35"
    assert large <= MAX_STATEMENTS


@pytest.mark.parametrize("client_id", [NORTHWIND, ACME, OFFICER])
async def test_full_page_costs_the_same_statements_for_5_and_for_35(own_hub: HubHarness, client_id: str) -> None:
    small, large = await _costs(own_hub, client_id, FULL_PAGE)
    assert small == large, f"{client_id}: {small} statements for first: 5, {large} for first: 35"
    assert large <= MAX_STATEMENTS


async def test_the_owners_page_carries_what_it_claims_to_cost(own_hub: HubHarness) -> None:
    """The page measured above really holds images, parties, recordations and disclosure."""
    body = await gql(own_hub, NORTHWIND, PAGE, {"first": 40})
    perf = [e["node"] for e in body["data"]["detentions"]["edges"] if e["node"]["caseNumber"].startswith("PERF-")]
    assert len(perf) == EXTRA
    assert all(n["images"] and len(n["recordations"]) == 2 and n["disclosure"]["visible"] for n in perf)
    seized = [n for n in perf if n["status"] == "SEIZED"]
    assert len(seized) == (EXTRA + 1) // 2
    assert all(n["importer"]["name"] and n["manufacturer"]["name"] and n["entryNumber"] is None for n in seized)
