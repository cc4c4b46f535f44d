"""IPR sample requests name a real sample bond (R-IPR-07, § 113.70; issue 5): filed, purpose IPR_SAMPLE, the
requesting owner's, and ACTIVE when the request is made. Every refusal has a stable code and writes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.db.ipr_tables import DetentionEvent, SampleRequest
from hub.services.demo_bonds import ACME_BOND, SAMPLE_BOND
from tests.conftest import HubHarness
from tests.graphql.bond_helpers import file_bond, file_input, iso, new_number, today
from tests.graphql.detention_helpers import NORTHWIND, SURETY, VERTEX, code, count_rows, gid, gql, pk_of

CASE = "DEMO-2704-0005"  # seized; Northwind holds the recordation and asked for a seized sample in the demo
REQUEST = """mutation($id: ID!, $kind: String!, $bond: String!, $amount: String!) {
  requestSample(detentionId: $id, kind: $kind, bondNumber: $bond, bondAmount: $amount) {
    id sampleRequests { kind bondNumber bondAmount status } } }"""


async def _request(harness: HubHarness, bond_number: str, client_id: str = NORTHWIND) -> dict[str, Any]:
    return await gql(harness, client_id, REQUEST, {"id": gid(await pk_of(harness, CASE)), "kind": "SEIZED",
                                                   "bond": bond_number, "amount": "5000.00"})


async def _sample_bond(harness: HubHarness, owner: str, **overrides: Any) -> str:
    spec = file_input(harness, owner, type="SINGLE_TRANSACTION", activityCode="8", purpose="IPR_SAMPLE",
                      amount="5000.00", enteredValue=None, dtf=None, pgaRegulated=False, **overrides)
    body = await file_bond(harness, SURETY, spec)
    assert "errors" not in body, body
    return str(spec["number"])


async def _written(harness: HubHarness) -> tuple[int, int]:
    return await count_rows(harness, SampleRequest), await count_rows(harness, DetentionEvent)


async def test_the_demo_sample_request_names_the_demo_sample_bond(harness: HubHarness) -> None:
    body = await gql(harness, NORTHWIND, "query($id: ID!) { detention(id: $id) { sampleRequests { bondNumber } } }",
                     {"id": gid(await pk_of(harness, CASE))})
    assert SAMPLE_BOND in {s["bondNumber"] for s in body["data"]["detention"]["sampleRequests"]}


async def test_owner_requests_a_sample_under_its_active_sample_bond(harness: HubHarness) -> None:
    before = await count_rows(harness, SampleRequest)
    body = await _request(harness, f" {SAMPLE_BOND.lower()} ")
    assert "errors" not in body, body
    assert {"kind": "SEIZED", "bondNumber": SAMPLE_BOND, "bondAmount": "5000.00", "status": "REQUESTED"} in (
        body["data"]["requestSample"]["sampleRequests"])
    assert await count_rows(harness, SampleRequest) == before + 1


@pytest.mark.parametrize("case", ["unknown", "general bond", "another owner's", "not yet effective", "terminated",
                                  "wrong format"])
async def test_sample_request_names_a_real_active_sample_bond_of_the_owner(harness: HubHarness, case: str) -> None:
    if case == "unknown":
        number, expected = new_number(), "UNKNOWN_BOND"
    elif case == "general bond":
        number, expected = ACME_BOND, "NOT_A_SAMPLE_BOND"
    elif case == "another owner's":
        number, expected = await _sample_bond(harness, VERTEX), "SAMPLE_BOND_NOT_OWNERS"
    elif case == "not yet effective":
        number = await _sample_bond(harness, NORTHWIND, effectiveOn=iso(today() + timedelta(days=10)))
        expected = "BOND_NOT_ACTIVE"
    elif case == "terminated":
        number = await _sample_bond(harness, NORTHWIND, effectiveOn=iso(today() - timedelta(days=30)),
                                    terminatesOn=iso(today() - timedelta(days=1)))
        expected = "BOND_NOT_ACTIVE"
    else:
        number, expected = "SB-421", "INVALID_BOND_NUMBER"
    before = await _written(harness)
    assert code(await _request(harness, number)) == expected
    assert await _written(harness) == before
