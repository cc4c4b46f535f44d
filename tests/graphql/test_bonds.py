"""Bonds over GraphQL (issue 5) on SQLite and PostgreSQL: the contract, who sees what (R-BOND-01), sufficiency
(R-BOND-02), the surety view, and CBP's insufficiency notice with its clock (R-BOND-03).

The shared harness also holds bonds other tests file, so listings are compared on the demo bonds only.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from hub.db.bond_queries import Exposure
from hub.db.bond_tables import Bond
from hub.db.session import transaction
from hub.db.tables import OrgKind
from hub.domain import bonds as domain
from hub.domain.bond_guides import guide_book
from hub.domain.identifiers import entry_check_digit
from hub.events.dispatcher import utc_now
from hub.graphql.relay import from_global_id, to_global_id
from hub.services import bond_clock
from hub.services.bond_export import export_surety_bonds
from hub.services.bond_views import requirement_of
from hub.services.demo_bonds import ACME_BOND, HARBOR_BOND, SAMPLE_BOND
from hub.services.parties import NewOrganization, create_client, create_organization
from tests.conftest import HubHarness
from tests.graphql.bond_helpers import (
    DEMO_BONDS,
    NOTICE,
    PAGE,
    SECURE,
    SUFFICIENCY,
    all_bonds,
    bond,
    bond_events,
    bond_rows,
    file_bond,
    file_input,
    iso,
    new_entry_number,
    today,
)
from tests.graphql.detention_helpers import (
    ACME,
    ANALYST,
    COASTLINE,
    EVERY_DEMO_CLIENT,
    HARBOR,
    NORTHWIND,
    OFFICER,
    PGAS,
    SURETY,
    VERTEX,
    code,
    days_ago,
    gql,
    org_gid,
)

SEES = {
    OFFICER: DEMO_BONDS, ANALYST: DEMO_BONDS, "demo-cbp-admin": DEMO_BONDS,
    ACME: {ACME_BOND}, HARBOR: {HARBOR_BOND},
    COASTLINE: {ACME_BOND},  # holds Acme's power of attorney (19 CFR 141.46)
    SURETY: DEMO_BONDS,  # Liberty Atlantic (457) wrote all three
    NORTHWIND: {SAMPLE_BOND},  # its own sample bond only
    VERTEX: set(), PGAS[0]: set(), PGAS[1]: set(),
}


# --- Contract and access -----------------------------------------------------------------------------------

@pytest.mark.parametrize("client_id", EVERY_DEMO_CLIENT)
async def test_each_role_sees_exactly_its_bonds(harness: HubHarness, client_id: str) -> None:
    listed = {n["number"] for n in await all_bonds(harness, client_id, first=2)}
    assert listed & DEMO_BONDS == SEES[client_id]
    for number in DEMO_BONDS:  # by number: the same answer, and absent looks like forbidden
        node = await bond(harness, client_id, number)
        assert (node is not None) == (number in SEES[client_id]), number
    if client_id in (VERTEX, *PGAS):
        assert listed == set()


async def test_contract_fields_and_decimal_strings(harness: HubHarness) -> None:
    node = await bond(harness, SURETY, HARBOR_BOND)
    assert node is not None
    assert from_global_id(node["id"])[0] == "Bond"
    assert (node["number"], node["type"], node["activityCode"], node["status"]) == (
        HARBOR_BOND, "CONTINUOUS", "1", "INSUFFICIENT")
    assert (node["amount"], node["requiredAmount"], node["shortfall"]) == ("100000.00", "200000.00", "100000.00")
    assert node["principal"] == {"id": org_gid(harness, HARBOR),
                                 "name": "Blue Harbor Trading (J. Rivera, sole proprietor)"}
    assert node["surety"] == {"code": "457", "name": "Liberty Atlantic Surety Company"}
    [notice] = node["insufficiencyNotices"]
    assert notice["reason"] == "AMOUNT_BELOW_REQUIRED" and notice["takesEffect"] and notice["requiredAmount"] == \
        "200000.00"
    assert node["insufficientFrom"] == notice["insufficientAt"]
    acme = await bond(harness, ACME, ACME_BOND)
    assert acme is not None
    assert (acme["status"], acme["amount"], acme["requiredAmount"], acme["shortfall"]) == (
        "ACTIVE", "100000.00", "80000.00", "0.00")
    assert acme["riders"] == ["RECONCILIATION"]


async def test_node_resolves_a_bond_under_the_same_decision(harness: HubHarness) -> None:
    gid = (await bond(harness, OFFICER, ACME_BOND) or {})["id"]
    query = "query($id: ID!) { node(id: $id) { ... on Bond { number } } }"
    assert (await gql(harness, ACME, query, {"id": gid}))["data"]["node"] == {"number": ACME_BOND}
    assert (await gql(harness, HARBOR, query, {"id": gid}))["data"]["node"] is None
    assert (await gql(harness, PGAS[0], query, {"id": gid}))["data"]["node"] is None


async def test_surety_broker_and_principal_see_exposure_filer_fields_guarded(harness: HubHarness) -> None:
    for client_id in (SURETY, ACME, COASTLINE, OFFICER):
        node = await bond(harness, client_id, ACME_BOND)
        assert node is not None
        # Two bond demo entries, and the AD/CVD demo's entry 1 (C-570-068 deposit 3,875.00) secured on it too.
        assert node["openExposure"] == "16375.00" and node["securedEntryCount"] == 3, client_id
        assert {e["adcvdBonded"] for e in node["securedEntries"]} == {True, False}
    sample = await bond(harness, NORTHWIND, SAMPLE_BOND)
    assert sample is not None and sample["purpose"] == "IPR_SAMPLE" and sample["requiredAmount"] is None


async def test_surety_never_sees_the_principals_detentions(harness: HubHarness) -> None:
    # R-BOND-01 / R-IPR-14: a surety's bonds open no door to the principal's IPR detentions or images.
    body = await gql(harness, SURETY, "{ detentions(first: 50) { edges { node { id images { url } } } } }")
    assert body["data"]["detentions"]["edges"] == []
    other = await gql(harness, OFFICER, "{ detentions(first: 1) { edges { node { id } } } }")
    det_id = other["data"]["detentions"]["edges"][0]["node"]["id"]
    body = await gql(harness, SURETY, "query($id: ID!) { detention(id: $id) { id } }", {"id": det_id})
    assert body["data"]["detention"] is None


async def test_sufficiency_query_returns_required_current_shortfall_and_inputs(harness: HubHarness) -> None:
    body = await gql(harness, HARBOR, SUFFICIENCY, {"number": HARBOR_BOND})
    s = body["data"]["bondSufficiency"]
    assert (s["requiredAmount"], s["currentAmount"], s["shortfall"], s["sufficient"]) == (
        "200000.00", "100000.00", "100000.00", False)
    assert (s["ruleId"], s["guideId"]) == ("R-BOND-02", "CBP-GUIDE-2024")
    inputs = {i["name"]: i["value"] for i in s["inputs"]}
    assert inputs["dtfLast12Months"] == "1500000.00" and inputs["dtfSource"] == "RECORDED"
    assert inputs["rawAmount"] == "150000.00" and inputs["minimum"] == "50000"
    assert (await gql(harness, ACME, SUFFICIENCY, {"number": HARBOR_BOND}))["data"]["bondSufficiency"] is None


# --- Surety view ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("order", "key"), [("NUMBER", "number"), ("PRINCIPAL", "principal"),
                                            ("AMOUNT_DESC", "amount")])
async def test_surety_view_is_sorted_and_keyset_paginated(harness: HubHarness, order: str, key: str) -> None:
    one_by_one = await all_bonds(harness, SURETY, order, first=1)
    at_once = await all_bonds(harness, SURETY, order, first=100)
    assert [n["number"] for n in one_by_one] == [n["number"] for n in at_once]
    assert DEMO_BONDS <= {n["number"] for n in at_once}
    sort = {
        "number": lambda n: n["number"],
        "principal": lambda n: (n["principal"]["name"], n["number"]),
        "amount": lambda n: (-float(n["amount"]), n["number"]),  # comparison only; amounts stay strings
    }[key]
    assert at_once == sorted(at_once, key=sort)
    for n in at_once:
        assert {"principal", "amount", "requiredAmount", "status", "openExposure"} <= n.keys()


async def test_cursor_of_one_order_is_refused_by_another(harness: HubHarness) -> None:
    body = await gql(harness, SURETY, PAGE, {"first": 1, "order": "PRINCIPAL"})
    cursor = body["data"]["bonds"]["pageInfo"]["endCursor"]
    assert code(await gql(harness, SURETY, PAGE, {"first": 1, "after": cursor, "order": "NUMBER"})) == \
        "INVALID_CURSOR"


async def test_cbp_views_one_surety(harness: HubHarness) -> None:
    assert DEMO_BONDS <= {n["number"] for n in await all_bonds(harness, OFFICER, surety="457")}
    assert code(await gql(harness, OFFICER, PAGE, {"surety": "ZZZ"})) == "UNKNOWN_SURETY"


# --- Filing, insufficiency and its clock, superseding, securing entries ------------------------------------

async def test_who_may_file_bonds(harness: HubHarness) -> None:
    for client_id in (ACME, COASTLINE, ANALYST, NORTHWIND, PGAS[0]):
        before = await bond_rows(harness)
        assert code(await file_bond(harness, client_id, file_input(harness, ACME))) == "FORBIDDEN", client_id
        # Decided before validation: no BOND_OVERLAP tells a caller who may not file about Acme's bonds.
        overlapping = file_input(harness, ACME, type="CONTINUOUS", number="BADNUMBER!")
        assert code(await file_bond(harness, client_id, overlapping)) == "FORBIDDEN", client_id
        assert await bond_rows(harness) == before
    for client_id in (SURETY, OFFICER):
        body = await file_bond(harness, client_id, file_input(harness, ACME))
        assert "errors" not in body, body
        node = body["data"]["fileBond"]
        assert (node["status"], node["requiredAmount"], node["shortfall"]) == ("ACTIVE", "30000.00", "0.00")
        assert await bond_events(harness, from_global_id(node["id"])[1]) == ["bond.filed"]


async def test_notice_is_seen_at_once_and_the_bond_turns_insufficient_after_15_days(harness: HubHarness) -> None:
    spec = file_input(harness, HARBOR, type="CONTINUOUS", activityCode="3", amount="50000.00",
                      effectiveOn=iso(today() - timedelta(days=60)))
    node = (await file_bond(harness, SURETY, spec))["data"]["fileBond"]
    bond_pk = from_global_id(node["id"])[1]
    notice = {"bondId": node["id"], "reason": "UNPAID_DEBTS", "noticedAt": iso(days_ago(14.5))}
    for client_id in (SURETY, HARBOR, ANALYST):
        assert code(await gql(harness, client_id, NOTICE, {"input": notice})) == "FORBIDDEN"
    recorded = await gql(harness, OFFICER, NOTICE, {"input": notice})
    assert "errors" not in recorded, recorded
    # R-BOND-03: principal and surety see the notice at once; the bond stays ACTIVE for 15 days.
    for client_id in (HARBOR, SURETY):
        seen = await bond(harness, client_id, spec["number"])
        assert seen is not None and seen["status"] == "ACTIVE"
        assert [n["reason"] for n in seen["insufficiencyNotices"]] == ["UNPAID_DEBTS"]
    assert "bond.insufficiency_noticed" in await bond_events(harness, bond_pk)
    # 14.5 days later the bond is insufficient, and it secures no new entry (clear code, nothing written).
    await gql(harness, OFFICER, NOTICE, {"input": dict(notice, noticedAt=iso(days_ago(16)))})
    assert (await bond(harness, HARBOR, spec["number"]) or {})["status"] == "INSUFFICIENT"
    before = await bond_rows(harness)
    entry = {"bondId": node["id"], "entryNumber": new_entry_number(), "entryDate": iso(today()),
             "enteredValue": "1000.00", "dtf": "50.00"}
    assert code(await gql(harness, HARBOR, SECURE, {"input": entry})) == "BOND_INSUFFICIENT"
    assert await bond_rows(harness) == before
    # The time event: once, however often the clock is scanned.
    assert await bond_clock.scan(harness.hub.sessions, days_ago(0)) >= 1
    assert await bond_clock.scan(harness.hub.sessions, days_ago(0)) == 0
    assert (await bond_events(harness, bond_pk)).count("bond.insufficient") == 1


async def test_superseding_bond_filed_within_15_days_stops_the_notice(harness: HubHarness) -> None:
    spec = file_input(harness, HARBOR, type="CONTINUOUS", activityCode="16", amount="50000.00",
                      effectiveOn=iso(today() - timedelta(days=90)))
    old = (await file_bond(harness, SURETY, spec))["data"]["fileBond"]
    await gql(harness, OFFICER, NOTICE, {"input": {"bondId": old["id"], "reason": "DEMAND_NOT_MET",
                                                   "noticedAt": iso(days_ago(5)), "requiredAmount": "75000.00"}})
    low = file_input(harness, HARBOR, type="CONTINUOUS", activityCode="16", amount="60000.00",
                     effectiveOn=iso(today()), supersedesNumber=spec["number"])
    assert code(await file_bond(harness, SURETY, low)) == "SUPERSEDING_AMOUNT_TOO_LOW"
    overlap = dict(low, amount="80000.00", supersedesNumber=None)
    assert code(await file_bond(harness, SURETY, overlap)) == "BOND_OVERLAP"
    new = (await file_bond(harness, SURETY, dict(low, amount="80000.00")))["data"]["fileBond"]
    assert (new["status"], new["supersedes"]) == ("ACTIVE", spec["number"])
    replaced = await bond(harness, HARBOR, spec["number"])
    assert replaced is not None
    assert (replaced["status"], replaced["terminatesOn"], replaced["supersededBy"]) == (
        "TERMINATED", iso(today()), low["number"])
    [n] = replaced["insufficiencyNotices"]
    assert not n["takesEffect"] and n["supersededAt"] is not None
    assert "bond.superseded" in await bond_events(harness, from_global_id(old["id"])[1])


async def test_entries_secured_by_principal_or_poa_broker_and_seen_by_surety(harness: HubHarness) -> None:
    stb = (await file_bond(harness, SURETY, file_input(harness, ACME)))["data"]["fileBond"]
    entry = {"bondId": stb["id"], "entryNumber": new_entry_number(), "entryDate": iso(today()),
             "enteredValue": "10000.00", "dtf": "500.00", "adcvdBonded": True, "adcvdOpen": "2500.00"}
    assert code(await gql(harness, SURETY, SECURE, {"input": entry})) == "FORBIDDEN"
    assert code(await gql(harness, HARBOR, SECURE, {"input": entry})) == "UNKNOWN_BOND"  # not its bond
    body = await gql(harness, COASTLINE, SECURE, {"input": entry})
    assert "errors" not in body, body
    seen = await bond(harness, SURETY, stb["number"])
    assert seen is not None and seen["openExposure"] == "2500.00" and seen["securedEntryCount"] == 1
    assert seen["securedEntries"][0]["adcvdBonded"] is True
    second = dict(entry, entryNumber=new_entry_number())
    assert code(await gql(harness, ACME, SECURE, {"input": second})) == "SINGLE_TRANSACTION_BOND_USED"
    sample_id = to_global_id("Bond", from_global_id((await bond(harness, OFFICER, SAMPLE_BOND) or {})["id"])[1])
    assert code(await gql(harness, OFFICER, SECURE, {"input": dict(second, bondId=sample_id)})) == "FORBIDDEN"


def test_demo_entry_numbers_carry_check_digits() -> None:
    from hub.services.demo_bonds import _entry

    number = _entry(0)
    assert number.endswith(str(entry_check_digit(number.replace("-", "")[:10])))


async def test_bond_event_selection_renders_under_the_same_guards(harness: HubHarness) -> None:
    # What hub/events/payload.py is to run for bond events: valid against the schema, empty for those who may
    # not read the bond.
    from hub.graphql.types.bonds import BOND_EVENT_SELECTION

    gid = (await bond(harness, OFFICER, HARBOR_BOND) or {})["id"]
    for client_id, visible in ((HARBOR, True), (SURETY, True), (ACME, False), (PGAS[0], False)):
        body = await gql(harness, client_id, BOND_EVENT_SELECTION, {"id": gid})
        assert "errors" not in body, body
        node = body["data"]["node"]
        assert (node is not None) == visible, client_id
        if node:
            assert node["status"] == "INSUFFICIENT" and node["insufficiencyNotices"]


@pytest.mark.parametrize("client_id", [SURETY, OFFICER, COASTLINE])
async def test_a_page_costs_a_bounded_number_of_statements(harness: HubHarness, client_id: str) -> None:
    from hub.db.session import count_statements
    from tests.graphql.detention_helpers import bearer

    statements = count_statements(harness.hub.engine)
    await bearer(harness, client_id)  # the token request is not the page's cost
    costs = []
    for first in (1, 2, 50):
        start = len(statements)
        body = await gql(harness, client_id, PAGE, {"first": first})
        assert "errors" not in body, body
        costs.append(len(statements) - start)
    # The page, notices, exposure, predecessor numbers, successors, secured entries, powers of attorney and
    # organizations (when the short-lived organization cache misses): never one per bond.
    assert max(costs) <= 8, costs


async def test_writes_nothing_check_sees_an_update_of_an_existing_bond(harness: HubHarness) -> None:
    """bond_rows compares each bond's version, termination, amount and DTF, not only row counts."""
    node = (await file_bond(harness, SURETY, file_input(harness, ACME)))["data"]["fileBond"]
    before = await bond_rows(harness)
    async with transaction(harness.hub.sessions) as session:
        row = await session.get(Bond, from_global_id(node["id"])[1])
        assert row is not None
        row.terminates_on, row.version = today() + timedelta(days=1), row.version + 1
        session.add(row)
    assert await bond_rows(harness) != before


async def test_co_surety_lists_the_bond_and_exports_it_as_co_surety(harness: HubHarness) -> None:
    """A bond with a co-surety (CBP Form 301): the co-surety lists it over GraphQL and exports it as CO_SURETY."""
    co_code = f"C{uuid.uuid4().hex[:2].upper()}"
    now = utc_now()
    async with transaction(harness.hub.sessions) as session:
        org = await create_organization(session, NewOrganization(
            f"co-surety-{co_code.lower()}", f"Co-Surety {co_code}", OrgKind.SURETY, surety_code=co_code), now)
        issued = await create_client(session, org, ["trade"], now, name="co-surety test")
    token = (await harness.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                       auth=(issued.client.client_id, issued.secret or ""))).json()["access_token"]
    spec = file_input(harness, ACME, coSuretyCode=co_code.lower())
    filed = await file_bond(harness, SURETY, spec)
    assert "errors" not in filed, filed
    assert filed["data"]["fileBond"]["coSurety"] == {"code": co_code, "name": f"Co-Surety {co_code}"}
    response = await harness.client.post("/graphql", headers={"Authorization": f"Bearer {token}"},
                                         json={"query": PAGE, "variables": {"first": 50}})
    listed = [e["node"] for e in response.json()["data"]["bonds"]["edges"]]
    assert [(n["number"], n["surety"]["code"], n["coSurety"]["code"]) for n in listed] == [
        (spec["number"], "457", co_code)]
    assert spec["number"] in {n["number"] for n in await all_bonds(harness, SURETY)}  # and the surety still
    out = io.StringIO()
    assert await export_surety_bonds(harness.hub.sessions, harness.hub.policy, co_code, now, out) == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["bond_number"], row["role"], row["required_amount"]) == (spec["number"], "CO_SURETY", "30000.00")


async def test_single_transaction_bond_adds_the_adcvd_supplement(harness: HubHarness) -> None:
    """R-BOND-04 + R-BOND-05: entered value + DTF (10,500), plus 40% x 10,000 of AD/CVD subject goods."""
    spec = file_input(harness, ACME, amount="12000.00", pgaRegulated=False, adcvdRatePercent="40",
                      adcvdSubjectValue="10000.00")
    node = (await file_bond(harness, SURETY, spec))["data"]["fileBond"]
    assert (node["requiredAmount"], node["shortfall"]) == ("14500.00", "2500.00")
    s = (await gql(harness, SURETY, SUFFICIENCY, {"number": spec["number"]}))["data"]["bondSufficiency"]
    inputs = {i["name"]: i["value"] for i in s["inputs"]}
    assert (s["ruleId"], s["sufficient"], inputs["adcvdSupplement"]) == ("R-BOND-04", False, "4000.00")


def test_single_transaction_bond_without_values_claims_no_required_amount() -> None:
    """A single transaction bond stored without entered value or DTF is not shown as requiring 0.00."""
    row = Bond(number="457999999", type="SINGLE_TRANSACTION", activity_code="1", principal_org_id="p",
               principal_name="P", surety_org_id="s", filed_by_org_id="s", amount=Decimal("1.00"),
               effective_on=today(), filed_at=utc_now(), filed_by_client="t")
    requirement = requirement_of(row, Exposure(), guide_book().guide_for(today()))
    assert requirement.required is None and domain.shortfall(row.amount, requirement.required) is None
