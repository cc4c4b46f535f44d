"""Bad input to the bond API (issue 5, "Bad input"): each gets a clear code and changes nothing - no bond, no
notice, no secured entry, no event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.graphql.relay import from_global_id, to_global_id
from hub.services.demo_bonds import ACME_BOND, HARBOR_BOND
from tests.conftest import HubHarness
from tests.graphql.bond_helpers import (
    NOTICE,
    SECURE,
    bond,
    bond_rows,
    file_bond,
    file_input,
    iso,
    new_entry_number,
    today,
)
from tests.graphql.detention_helpers import ACME, OFFICER, PGAS, SURETY, code, days_ago, gql

LONG_AGO = iso(today() - timedelta(days=3000))

FILE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown surety code", {"suretyCode": "ZZZ"}, "UNKNOWN_SURETY"),
    ("malformed surety code", {"suretyCode": "45"}, "INVALID_SURETY_CODE"),
    ("the bond-waived code is no surety", {"suretyCode": "999"}, "UNKNOWN_SURETY"),
    ("bond number with a hyphen", {"number": "457-10009"}, "INVALID_BOND_NUMBER"),
    ("bond number too short", {"number": "4571000"}, "INVALID_BOND_NUMBER"),
    ("negative amount", {"amount": "-100.00"}, "NEGATIVE_AMOUNT"),
    ("zero amount", {"amount": "0.00"}, "NEGATIVE_AMOUNT"),
    ("non-numeric amount", {"amount": "fifty thousand"}, "INVALID_AMOUNT"),
    ("amount with fractions of a cent", {"amount": "50000.001"}, "INVALID_AMOUNT"),
    ("non-numeric DTF", {"dtf": "1.5M"}, "INVALID_AMOUNT"),
    ("negative entered value", {"enteredValue": "-1.00"}, "NEGATIVE_AMOUNT"),
    ("overlapping continuous bond for one principal and activity",
     {"type": "CONTINUOUS", "effectiveOn": iso(today())}, "BOND_OVERLAP"),
    ("overlap starting before the demo bond and running into it",
     {"type": "CONTINUOUS", "effectiveOn": LONG_AGO, "terminatesOn": iso(today())}, "BOND_OVERLAP"),
    ("termination before the effective date",
     {"effectiveOn": iso(today()), "terminatesOn": iso(today() - timedelta(days=1))}, "TERMINATION_BEFORE_EFFECTIVE"),
    ("termination on the effective date",
     {"effectiveOn": iso(today()), "terminatesOn": iso(today())}, "TERMINATION_BEFORE_EFFECTIVE"),
    ("unknown activity code", {"activityCode": "77"}, "INVALID_ACTIVITY_CODE"),
    ("sample activity code on a customs bond", {"activityCode": "8"}, "INVALID_ACTIVITY_CODE"),
    ("unknown bond type", {"type": "SOMETIMES"}, "INVALID_BOND_TYPE"),
    ("bond number taken", {"number": ACME_BOND}, "BOND_NUMBER_TAKEN"),
    ("co-surety is the surety", {"coSuretyCode": "457"}, "SAME_SURETY"),
    ("unknown co-surety code", {"coSuretyCode": "ZZZ"}, "UNKNOWN_CO_SURETY"),
    ("malformed co-surety code", {"coSuretyCode": "4-5"}, "INVALID_CO_SURETY_CODE"),
    ("single transaction bond without entered value", {"enteredValue": None}, "MISSING_SINGLE_TRANSACTION_VALUES"),
    ("single transaction bond without DTF", {"dtf": " "}, "MISSING_SINGLE_TRANSACTION_VALUES"),
    ("single transaction AD/CVD subject value above the entered value",
     {"adcvdRatePercent": "40", "adcvdSubjectValue": "10000.01"}, "ADCVD_SUBJECT_VALUE_EXCEEDS_ENTERED"),
    ("AD/CVD rate without subject value", {"adcvdRatePercent": "40"}, "ADCVD_INPUTS_INCOMPLETE"),
    ("AD/CVD rate not a number", {"adcvdRatePercent": "high", "adcvdSubjectValue": "10.00"}, "INVALID_RATE"),
    ("rider that is not a name", {"riders": ["no riders!"]}, "INVALID_RIDER"),
    ("zero sites", {"sites": 0}, "INVALID_SITES"),
    ("superseding an unknown bond", {"type": "CONTINUOUS", "activityCode": "16", "supersedesNumber": "000000000"},
     "UNKNOWN_BOND"),
]


@pytest.mark.parametrize(("why", "overrides", "expected"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
async def test_file_bond_bad_input(harness: HubHarness, why: str, overrides: dict[str, Any], expected: str) -> None:
    before = await bond_rows(harness)
    body = await file_bond(harness, SURETY, file_input(harness, ACME, **overrides))
    assert code(body) == expected, why
    assert body["data"] is None
    assert await bond_rows(harness) == before


async def test_principal_must_be_an_importer_or_broker(harness: HubHarness) -> None:
    before = await bond_rows(harness)
    assert code(await file_bond(harness, SURETY, file_input(harness, PGAS[0]))) == "INVALID_PRINCIPAL"
    spec = file_input(harness, ACME, principalId=to_global_id("Organization", "no-such-org"))
    assert code(await file_bond(harness, SURETY, spec)) == "UNKNOWN_PRINCIPAL"
    spec = file_input(harness, ACME, principalId=to_global_id("Bond", "x"))
    assert code(await file_bond(harness, SURETY, spec)) == "INVALID_ID"
    assert await bond_rows(harness) == before


async def test_a_continuous_bond_ending_before_the_current_one_is_no_overlap(harness: HubHarness) -> None:
    demo = await bond(harness, OFFICER, ACME_BOND)
    assert demo is not None
    spec = file_input(harness, ACME, type="CONTINUOUS", effectiveOn=LONG_AGO, terminatesOn=demo["effectiveOn"])
    body = await file_bond(harness, SURETY, spec)
    assert "errors" not in body, body
    assert body["data"]["fileBond"]["status"] == "TERMINATED"


async def test_notice_and_entry_bad_input(harness: HubHarness) -> None:
    harbor = await bond(harness, OFFICER, HARBOR_BOND)
    assert harbor is not None
    cases = [
        (NOTICE, {"bondId": harbor["id"], "reason": "BAD_KARMA"}, "INVALID_REASON"),
        (NOTICE, {"bondId": harbor["id"], "reason": "OTHER", "noticedAt": iso(days_ago(-1))}, "NOTICE_IN_FUTURE"),
        (NOTICE, {"bondId": harbor["id"], "reason": "OTHER", "requiredAmount": "-5"}, "NEGATIVE_AMOUNT"),
        (NOTICE, {"bondId": "QmFuZDp4", "reason": "OTHER"}, "INVALID_ID"),
        (SECURE, {"bondId": harbor["id"], "entryNumber": new_entry_number(), "entryDate": iso(today()),
                  "enteredValue": "10.00", "dtf": "1.00"}, "BOND_INSUFFICIENT"),
        (SECURE, {"bondId": harbor["id"], "entryNumber": "002-6110316-3", "entryDate": iso(today()),
                  "enteredValue": "10.00", "dtf": "1.00"}, "ENTRY_CHECK_DIGIT_MISMATCH"),
    ]
    for mutation, spec, expected in cases:
        before = await bond_rows(harness)
        assert code(await gql(harness, OFFICER, mutation, {"input": spec})) == expected, spec
        assert await bond_rows(harness) == before
    acme = await bond(harness, OFFICER, ACME_BOND)
    assert acme is not None
    before = await bond_rows(harness)
    stale = {"bondId": acme["id"], "entryNumber": new_entry_number(), "entryDate": iso(today() - timedelta(days=900)),
             "enteredValue": "10.00", "dtf": "1.00"}
    assert code(await gql(harness, ACME, SECURE, {"input": stale})) == "ENTRY_OUTSIDE_BOND_TERM"
    assert code(await gql(harness, ACME, SECURE, {"input": dict(stale, entryDate=iso(today()),
                                                                enteredValue="x")})) == "INVALID_AMOUNT"
    assert await bond_rows(harness) == before
    assert from_global_id(acme["id"])[0] == "Bond"
