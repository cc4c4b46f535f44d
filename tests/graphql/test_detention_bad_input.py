"""Bad input to the detention API (issue 3, "Bad input"): a clear code, and nothing left behind, neither a
row (counted through harness.hub.sessions) nor an object in the store.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.db.ipr_tables import Detention, DetentionEvent, DetentionRecordation, ImporterResponse, PhotoGuide
from tests.conftest import HubHarness
from tests.graphql import detention_helpers
from tests.graphql.detention_helpers import (
    ACME,
    COASTLINE,
    NORTHWIND,
    OFFICER,
    RECORD,
    VERTEX,
    code,
    count_rows,
    days_ago,
    gql,
    iso,
    multipart,
    new_case_number,
    org_gid,
    pdf,
    record,
    record_input,
    row_of,
    step,
)

TABLES = (Detention, DetentionRecordation, DetentionEvent)
GUIDE = """mutation($number: String!, $title: String!, $file: Upload!) {
  uploadPhotoGuide(recordationNumber: $number, title: $title, file: $file) }"""
RESPOND = """mutation($id: ID!, $documents: [Upload!]) {
  respondToDetention(detentionId: $id, statement: "genuine", documents: $documents) { id } }"""


async def _counts(harness: HubHarness) -> list[int]:
    return [await count_rows(harness, table) for table in TABLES]


def _document_key(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"documents/sha256/{digest[:2]}/{digest}"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"portCode": "9999"}, "UNKNOWN_PORT_CODE"),
        ({"portCode": "27O4"}, "INVALID_PORT_CODE"),
        ({"entryNumber": "CZ4-611031-6"}, "INVALID_ENTRY_NUMBER"),
        ({"entryNumber": "CZ4-6110316-7"}, "ENTRY_CHECK_DIGIT_MISMATCH"),  # FACTS §5: the check digit is 8
        ({"recordationNumbers": ["TMK 2100412"]}, "INVALID_RECORDATION_NUMBER"),
        ({"recordationNumbers": ["TMK 21-00412", "XYZ 21-00412"]}, "INVALID_RECORDATION_NUMBER"),
        ({"recordationNumbers": ["TMK 99-99999"]}, "UNKNOWN_RECORDATION"),
        ({"recordationNumbers": []}, "NO_RECORDATION"),
        ({"dateOfImportation": (datetime.now(UTC) + timedelta(days=3)).date().isoformat()}, "TIMES_OUT_OF_ORDER"),
        ({"presentedAt": iso(datetime.now(UTC) + timedelta(hours=2))}, "EVENT_IN_FUTURE"),
        ({"countryOfOrigin": "China"}, "INVALID_COUNTRY"),
        ({"quantity": 0}, "INVALID_QUANTITY"),
        ({"caseNumber": "no"}, "INVALID_CASE_NUMBER"),
        ({"regime": "PATENT"}, "INVALID_REGIME"),
    ],
)
async def test_record_detention_bad_input_gets_its_code_and_leaves_no_row(
    harness: HubHarness, overrides: dict[str, Any], expected: str
) -> None:
    number = new_case_number("BAD")
    before = await _counts(harness)
    body = await gql(harness, OFFICER, RECORD, {"input": {**record_input(harness, number), **overrides}})
    assert code(body) == expected
    assert body["data"] is None
    assert await _counts(harness) == before
    assert await row_of(harness, number) is None


async def test_record_detention_with_a_broker_as_importer_is_refused(harness: HubHarness) -> None:
    number = new_case_number("BAD")
    before = await _counts(harness)
    body = await gql(harness, OFFICER, RECORD, {"input": record_input(harness, number,
                                                                      importerId=org_gid(harness, COASTLINE))})
    assert code(body) == "UNKNOWN_IMPORTER"
    assert await _counts(harness) == before


async def test_duplicate_case_number_is_refused_and_the_first_case_is_untouched(harness: HubHarness) -> None:
    existing = await row_of(harness, "DEMO-2704-0001")
    assert existing is not None
    before = await _counts(harness)
    body = await gql(harness, OFFICER, RECORD, {"input": record_input(harness, "demo-2704-0001")})  # normalized
    assert code(body) == "CASE_NUMBER_TAKEN"
    assert await _counts(harness) == before
    after = await row_of(harness, "DEMO-2704-0001")
    assert after is not None and after.model_dump() == existing.model_dump()


async def test_photo_guide_for_another_owners_recordation_is_refused(harness: HubHarness) -> None:
    document = pdf()
    guides = await count_rows(harness, PhotoGuide)
    status, body = await multipart(harness, VERTEX, GUIDE, {"number": "TMK 21-00412", "title": "VERTEX?",
                                                            "file": None},
                                   {"variables.file": ("guide.pdf", document, "application/pdf")})
    assert (status, code(body)) == (200, "RECORDATION_OF_ANOTHER_OWNER")
    assert await count_rows(harness, PhotoGuide) == guides
    assert not await harness.hub.store.exists(_document_key(document))


async def test_photo_guide_with_a_blank_title_leaves_no_object(harness: HubHarness) -> None:
    document = pdf()
    guides = await count_rows(harness, PhotoGuide)
    status, body = await multipart(harness, NORTHWIND, GUIDE, {"number": "TMK 21-00412", "title": "   ",
                                                               "file": None},
                                   {"variables.file": ("guide.pdf", document, "application/pdf")})
    assert (status, code(body)) == (200, "INVALID_TITLE")
    assert await count_rows(harness, PhotoGuide) == guides
    assert not await harness.hub.store.exists(_document_key(document))


async def test_refused_answer_leaves_neither_row_nor_document_object(harness: HubHarness) -> None:
    nid = (await record(harness, presented_at=days_ago(2)))["id"]
    await step(harness, "detainGoods", nid, at=days_ago(1.5))
    await step(harness, "sendNoticeOfDetention", nid, at=days_ago(1))
    first = pdf()
    status, body = await multipart(harness, ACME, RESPOND, {"id": nid, "documents": [None]},
                                   {"variables.documents.0": ("answer.pdf", first, "application/pdf")})
    assert status == 200 and "errors" not in body, body
    assert "errors" not in await step(harness, "recordResponseFinding", nid, finding="INSUFFICIENT")
    answers = await count_rows(harness, ImporterResponse)
    late = pdf()
    status, body = await multipart(harness, ACME, RESPOND, {"id": nid, "documents": [None]},
                                   {"variables.documents.0": ("late.pdf", late, "application/pdf")})
    assert (status, code(body)) == (200, "FINDING_RECORDED")
    assert await count_rows(harness, ImporterResponse) == answers
    assert await harness.hub.store.exists(_document_key(first))
    assert not await harness.hub.store.exists(_document_key(late))


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        # The resolver reads the upload, then refuses its content.
        (GUIDE, {"number": "TMK 19-01187", "title": "x", "file": None}, "UNSUPPORTED_DOCUMENT_TYPE"),
        # Refused before the resolver reads the upload: the policy says no first.
        (GUIDE, {"number": "TMK 21-00412", "title": "x", "file": None}, "RECORDATION_OF_ANOTHER_OWNER"),
        # No resolver runs at all: the document does not validate against the schema.
        ("mutation($file: Upload!) { uploadPhotoGuide(file: $file) }", {"file": None}, "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["read-then-refused", "refused-before-reading", "invalid-document"],
)
async def test_multipart_request_closes_its_upload_files(
    harness: HubHarness, query: str, variables: dict[str, Any], expected: str
) -> None:
    """Starlette spools each upload to a temporary file: the endpoint must close the request's form whatever
    the outcome (left open, each file lingers until garbage collection and raises a ResourceWarning)."""
    before = len(detention_helpers.LEAKED_UPLOAD_FILES)
    status, body = await multipart(harness, VERTEX, query, variables,
                                   {"variables.file": ("not-a-guide.txt", b"plain text", "text/plain")})
    assert (status, code(body)) == (200, expected)
    assert detention_helpers.LEAKED_UPLOAD_FILES[before:] == []
