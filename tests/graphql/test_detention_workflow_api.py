"""The § 133.21 workflow through the GraphQL API (issue 3, "Workflow"): every step by the CBP officer, the
importer's answer as a multipart upload, the owner's acknowledgement, and what the owner sees at each stage.

Every case here is created by the test itself (unique case numbers): the demo cases stay as seeded.
Every refused step must return its code and leave the detention exactly as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, func, select

from hub.db.ipr_tables import DetentionEvent, ImporterResponse
from tests.conftest import HubHarness
from tests.graphql.detention_helpers import (
    ACME,
    ANALYST,
    COASTLINE,
    HARBOR,
    NORTHWIND,
    OFFICER,
    VERTEX,
    all_detentions,
    code,
    days_ago,
    detention,
    gql,
    iso,
    multipart,
    new_case_number,
    pdf,
    record,
    record_input,
    row_of,
    step,
    upload_photo,
)

RESPOND = """mutation($id: ID!, $statement: String!, $documents: [Upload!]) {
  respondToDetention(detentionId: $id, statement: $statement, documents: $documents) {
    importerResponseOutcome importerResponses { statement documents { filename contentType size digest } } } }"""
ACK = "mutation($id: ID!) { acknowledgeTradeSecretsNotice(detentionId: $id) { id } }"


async def snapshot(harness: HubHarness, case_number: str) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The stored row, CBP's view of it (minus the per-request image URLs), and its timeline length."""
    row = await row_of(harness, case_number)
    assert row is not None
    node = await detention(harness, OFFICER, case_number)
    assert node is not None
    for image in node["images"]:
        image.pop("url")
    async with harness.hub.sessions() as session:
        events = (await session.exec(select(func.count()).select_from(DetentionEvent)
                                     .where(col(DetentionEvent.detention_id) == row.id))).one()
    return row.model_dump(), node, int(events)


async def refused(harness: HubHarness, case_number: str, expected: str, mutation: str, node_id: str,
                  client_id: str = OFFICER, at: datetime | None = None, **variables: Any) -> None:
    """The step fails with ``expected`` and changes nothing."""
    before = await snapshot(harness, case_number)
    body = await step(harness, mutation, node_id, client_id, at, **variables)
    assert code(body) == expected, body
    assert body["data"] is None
    assert await snapshot(harness, case_number) == before


async def ok(harness: HubHarness, mutation: str, node_id: str, at: datetime | None = None,
             **variables: Any) -> dict[str, Any]:
    body = await step(harness, mutation, node_id, OFFICER, at, **variables)
    assert "errors" not in body, body
    node: dict[str, Any] = body["data"][mutation]
    return node


async def respond(harness: HubHarness, client_id: str, node_id: str, document: bytes) -> tuple[int, dict[str, Any]]:
    return await multipart(harness, client_id, RESPOND,
                           {"id": node_id, "statement": "Genuine goods; licence attached.", "documents": [None]},
                           {"variables.documents.0": ("licence.pdf", document, "application/pdf")})


async def _lapsed_case(harness: HubHarness) -> tuple[str, str]:
    """A case presented 20 days ago with its notice 19 days ago: the importer's 7 business days are over."""
    number = new_case_number("WF")
    node = await record(harness, number, presented_at=days_ago(20))
    await ok(harness, "detainGoods", node["id"], days_ago(19.9))
    await ok(harness, "sendNoticeOfDetention", node["id"], days_ago(19))
    return number, node["id"]


async def test_cbp_analyst_and_trade_cannot_take_cbp_steps(harness: HubHarness) -> None:
    number = new_case_number("WF")
    for client_id in (ANALYST, ACME, NORTHWIND):
        body = await gql(harness, client_id, "mutation($input: RecordDetentionInput!) { recordDetention(input: "
                                             "$input) { id } }", {"input": record_input(harness, number)})
        assert code(body) == "FORBIDDEN"
        assert await row_of(harness, number) is None
    node = await record(harness, number)
    for mutation in ("detainGoods", "sendNoticeOfDetention", "releaseLimitedInformation", "releaseUnredactedImages",
                     "seizeGoods", "releaseGoods"):
        await refused(harness, number, "FORBIDDEN", mutation, node["id"], ANALYST)
    await refused(harness, number, "FORBIDDEN", "recordResponseFinding", node["id"], ANALYST, finding="INSUFFICIENT")


async def test_workflow_with_importer_answer_and_open_window(harness: HubHarness) -> None:
    number = new_case_number("WF")
    node = await record(harness, number, presented_at=days_ago(2))
    assert node["status"] == "PRESENTED"
    nid = node["id"]
    owner = await detention(harness, NORTHWIND, number)
    assert owner is not None and owner["description"] is None  # R-IPR-03: no notice, no release yet
    await refused(harness, number, "NOT_DETAINED", "sendNoticeOfDetention", nid)
    assert (await ok(harness, "detainGoods", nid, days_ago(1.5)))["status"] == "DETAINED"
    await refused(harness, number, "ALREADY_DETAINED", "detainGoods", nid)
    await refused(harness, number, "TIMES_OUT_OF_ORDER", "sendNoticeOfDetention", nid, at=days_ago(1.8))
    await refused(harness, number, "EVENT_IN_FUTURE", "sendNoticeOfDetention", nid,
                  at=datetime.now(UTC) + timedelta(hours=1))
    before = await snapshot(harness, number)
    status, body = await respond(harness, ACME, nid, pdf())  # before the notice: nothing to answer
    assert (status, code(body)) == (200, "NOT_IMPORTER_OR_NOT_NOTIFIED")
    assert await snapshot(harness, number) == before
    noticed = await ok(harness, "sendNoticeOfDetention", nid, days_ago(1))
    assert noticed["status"] == "NOTICE_SENT" and noticed["importerResponseDueAt"] is not None
    await refused(harness, number, "NOTICE_ALREADY_SENT", "sendNoticeOfDetention", nid)
    await refused(harness, number, "NO_RESPONSE", "recordResponseFinding", nid, finding="INSUFFICIENT")

    document = pdf()
    status, body = await respond(harness, ACME, nid, document)
    assert status == 200 and "errors" not in body, body
    answered = body["data"]["respondToDetention"]
    assert answered["importerResponseOutcome"] == "PENDING"
    [stored] = answered["importerResponses"][0]["documents"]
    assert (stored["filename"], stored["contentType"], stored["size"]) == ("licence.pdf", "application/pdf",
                                                                           len(document))
    assert await harness.hub.store.exists(f"documents/sha256/{stored['digest'][:2]}/{stored['digest']}")

    found = await ok(harness, "recordResponseFinding", nid, finding="INSUFFICIENT")
    assert found["importerResponseOutcome"] == "INSUFFICIENT"
    await refused(harness, number, "FINDING_RECORDED", "recordResponseFinding", nid, finding="SUFFICIENT")
    released = await ok(harness, "releaseLimitedInformation", nid)
    assert released["limitedInfoReleasedAt"] is not None
    await refused(harness, number, "ALREADY_RELEASED", "releaseLimitedInformation", nid)
    # R-IPR-05/-06: the importer's 7 business days from yesterday's notice are still running.
    await refused(harness, number, "WINDOW_STILL_OPEN", "releaseUnredactedImages", nid)

    owner = await detention(harness, NORTHWIND, number)
    assert owner is not None
    assert owner["description"] == "athletic apparel bearing NORTHWIND marks"  # R-IPR-03
    assert owner["disclosure"]["nextDisclosureAt"] == owner["importerResponseDueAt"]
    assert owner["entryNumber"] is None and owner["importer"] is None  # R-IPR-10


async def test_lapsed_window_release_acknowledgement_and_seizure(harness: HubHarness) -> None:
    number, nid = await _lapsed_case(harness)
    status, body = await upload_photo(harness, nid)
    assert status == 200 and "errors" not in body, body
    owner = await detention(harness, NORTHWIND, number)
    assert owner is not None
    assert owner["importerResponseOutcome"] == "NONE"
    assert {i["variant"] for i in owner["images"]} == {"REDACTED"}  # R-IPR-04

    now = datetime.now(UTC)
    released = await ok(harness, "releaseUnredactedImages", nid, now - timedelta(minutes=10))
    assert released["unredactedReleasedAt"] is not None
    await refused(harness, number, "ALREADY_RELEASED", "releaseUnredactedImages", nid)
    owner = await detention(harness, NORTHWIND, number)
    assert owner is not None
    # R-IPR-06 also needs the owner's Trade Secrets Act acknowledgement (§ 133.21(c)(1)).
    assert {i["variant"] for i in owner["images"]} == {"REDACTED"}
    body = await gql(harness, VERTEX, ACK, {"id": nid})  # not an owner of a named recordation: cannot see it
    assert code(body) == "UNKNOWN_DETENTION"
    body = await gql(harness, NORTHWIND, ACK, {"id": nid})
    assert "errors" not in body, body
    owner = await detention(harness, NORTHWIND, number)
    assert owner is not None
    assert {i["variant"] for i in owner["images"]} == {"UNREDACTED"}
    assert [owner[f] for f in ("entryNumber", "importer", "manufacturer", "exporter")] == [None] * 4  # R-IPR-10

    # Seizure may not be dated before the last step (the release 10 minutes ago); its notice follows it.
    seized = await ok(harness, "seizeGoods", nid, now - timedelta(minutes=2),
                      noticeOfSeizureAt=iso(now - timedelta(minutes=1)), description="counterfeit NORTHWIND tees",
                      quantity=200)
    assert seized["status"] == "SEIZED" and seized["seizedAt"] is not None
    owner = await detention(harness, NORTHWIND, number)
    assert owner is not None
    # R-IPR-09, § 133.21(e): the eight comprehensive fields after seizure.
    assert owner["importer"]["name"] == "Acme Home Goods Inc." and owner["importer"]["address"]
    assert owner["manufacturer"] == {"name": "Test Mfg Co.", "address": "1 Factory Rd, Ningbo, CN"}
    assert owner["exporter"] == {"name": "Test Export Co.", "address": "2 Port Rd, Ningbo, CN"}
    assert owner["entryNumber"] == "CZ4-6110316-8"
    assert (owner["description"], owner["quantity"]) == ("counterfeit NORTHWIND tees", 200)
    assert {i["variant"] for i in owner["images"]} == {"UNREDACTED"}
    for mutation in ("releaseGoods", "seizeGoods", "detainGoods", "recordResponseFinding"):
        extra = {"finding": "INSUFFICIENT"} if mutation == "recordResponseFinding" else {}
        await refused(harness, number, "DETENTION_CLOSED", mutation, nid, **extra)


async def test_sufficient_answer_blocks_unredacted_release_and_seizure(harness: HubHarness) -> None:
    number = new_case_number("WF")
    nid = (await record(harness, number, presented_at=days_ago(2)))["id"]
    await ok(harness, "detainGoods", nid, days_ago(1.5))
    await ok(harness, "sendNoticeOfDetention", nid, days_ago(1))
    status, body = await respond(harness, ACME, nid, pdf())  # within the 7 business days
    assert status == 200 and "errors" not in body, body
    found = await ok(harness, "recordResponseFinding", nid, finding="SUFFICIENT")
    assert found["importerResponseOutcome"] == "SUFFICIENT"
    await refused(harness, number, "WINDOW_STILL_OPEN", "releaseUnredactedImages", nid)
    await refused(harness, number, "NOT_COUNTERFEIT", "seizeGoods", nid)
    assert (await ok(harness, "releaseGoods", nid))["status"] == "RELEASED"


async def test_disclosure_promises_no_unredacted_release_after_a_not_counterfeit_finding(harness: HubHarness) -> None:
    # R-IPR-06: "If CBP recorded not_counterfeit -> never". The explanation must not point the owner to the
    # end of the window as the moment unredacted images may come.
    number = new_case_number("WF")
    nid = (await record(harness, number, presented_at=days_ago(2)))["id"]
    await ok(harness, "detainGoods", nid, days_ago(1.5))
    await ok(harness, "sendNoticeOfDetention", nid, days_ago(1))
    status, body = await respond(harness, ACME, nid, pdf())
    assert status == 200 and "errors" not in body, body
    await ok(harness, "recordResponseFinding", nid, finding="SUFFICIENT")
    owner = await detention(harness, NORTHWIND, number)
    assert owner is not None and owner["importerResponseOutcome"] == "SUFFICIENT"
    assert {i["item"] for i in owner["disclosure"]["withheld"]} >= {"UNREDACTED_IMAGES"}
    assert owner["disclosure"]["nextDisclosureAt"] is None, owner["disclosure"]
    assert "R-IPR-06" not in (owner["disclosure"]["nextDisclosure"] or "")


async def test_answer_after_the_window_does_not_hold_back_disclosure(harness: HubHarness) -> None:
    # § 133.21(b)(2)(ii): only an answer within the 7 business days shows the goods genuine in time.
    _, nid = await _lapsed_case(harness)
    status, body = await respond(harness, ACME, nid, pdf())
    assert status == 200 and "errors" not in body, body
    assert body["data"]["respondToDetention"]["importerResponseOutcome"] == "NONE"
    assert (await ok(harness, "releaseUnredactedImages", nid))["unredactedReleasedAt"] is not None


async def test_poa_broker_answers_for_its_importer_others_cannot(harness: HubHarness) -> None:
    number = new_case_number("WF")
    nid = (await record(harness, number, presented_at=days_ago(2)))["id"]
    await ok(harness, "detainGoods", nid, days_ago(1.5))
    await ok(harness, "sendNoticeOfDetention", nid, days_ago(1))
    for client_id, expected in ((HARBOR, "UNKNOWN_DETENTION"), (NORTHWIND, "NOT_IMPORTER_OR_NOT_NOTIFIED")):
        before = await snapshot(harness, number)
        status, body = await respond(harness, client_id, nid, pdf())
        assert (status, code(body)) == (200, expected)
        assert await snapshot(harness, number) == before
    status, body = await respond(harness, COASTLINE, nid, pdf())  # 19 CFR 141.46 power of attorney
    assert status == 200 and "errors" not in body, body
    assert body["data"]["respondToDetention"]["importerResponseOutcome"] == "PENDING"


async def test_answer_with_a_document_that_is_not_a_document_changes_nothing(harness: HubHarness) -> None:
    number = new_case_number("WF")
    nid = (await record(harness, number, presented_at=days_ago(2)))["id"]
    await ok(harness, "detainGoods", nid, days_ago(1.5))
    await ok(harness, "sendNoticeOfDetention", nid, days_ago(1))
    before = await snapshot(harness, number)
    async with harness.hub.sessions() as session:
        answers = (await session.exec(select(func.count()).select_from(ImporterResponse))).one()
    status, body = await respond(harness, ACME, nid, b"#!/bin/sh\necho not a pdf\n")
    assert (status, code(body)) == (200, "UNSUPPORTED_DOCUMENT_TYPE")
    assert await snapshot(harness, number) == before
    async with harness.hub.sessions() as session:
        assert (await session.exec(select(func.count()).select_from(ImporterResponse))).one() == answers


async def test_r_ipr_01_expired_recordation_gives_its_owner_nothing(harness: HubHarness) -> None:
    number = new_case_number("WF")
    node = await record(harness, number, recordationNumbers=["TMK 12-00345"])  # Vertex's, expired 2022
    assert [r["number"] for r in node["recordations"]] == ["TMK 12-00345"]
    assert await detention(harness, VERTEX, number) is None
    assert number not in await all_detentions(harness, VERTEX)
    assert code(await gql(harness, VERTEX, ACK, {"id": node["id"]})) == "UNKNOWN_DETENTION"
