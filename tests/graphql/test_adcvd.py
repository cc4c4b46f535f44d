"""AD/CVD over GraphQL (issue 6) on SQLite and PostgreSQL: the case list for everyone, each demo entry's
findings (R-AD-02 ... R-AD-05), who sees which entry and field (R-AD-06), recording with bad input.

The shared harness also holds entries other tests record, so listings are compared on the demo entries only.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from hub.db.adcvd_tables import Entry, EntryLine
from hub.domain.identifiers import entry_check_digit
from hub.services.demo_adcvd import demo_entries, entry_number
from tests.conftest import HubHarness
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
    gql,
)

ENTRY = """query($n: String!) { entry(number: $n) { id number entryType bondNumber enteredValue adcvdDeposits
  importer { name iorNumber } lines { lineNumber caseNumber companySuffix depositRate depositAmount }
  findings { ruleId code message lineNumber dueOn amount } } }"""
ENTRIES = "query($after: String) { entries(first: 50, after: $after) { edges { node { number } } " \
          "pageInfo { hasNextPage endCursor } } }"
CASE = """query($n: String!) { adcvdCase(number: $n) { id number kind countryCode country countryOfCode product
  companionNumber thirdCountryOf dataQualityNote htsScope companyRates { aceNumber ratePercent }
  aggregates { countryOfOrigin companySuffix entries enteredValue deposits } } }"""
RECORD = "mutation($input: RecordEntryInput!) { recordEntry(input: $input) { number findings { code } } }"

DEMO = {e.serial: e for e in demo_entries(date.today())}
NUMBERS = {serial: entry_number(e.filer, serial) for serial, e in DEMO.items()}
ACME_ENTRIES = {NUMBERS[s] for s in (1, 2, 3)}
HARBOR_ENTRIES = {NUMBERS[s] for s in (4, 5, 6)}
SEES = {
    OFFICER: ACME_ENTRIES | HARBOR_ENTRIES, ANALYST: ACME_ENTRIES | HARBOR_ENTRIES,
    "demo-cbp-admin": ACME_ENTRIES | HARBOR_ENTRIES,
    ACME: ACME_ENTRIES, HARBOR: HARBOR_ENTRIES,
    COASTLINE: ACME_ENTRIES,  # Acme's power of attorney, and filer CZ4 of Acme's entries
    SURETY: {NUMBERS[1]},  # writes Acme's continuous bond, which secures entry 1 only
    NORTHWIND: set(), VERTEX: set(), PGAS[0]: set(), PGAS[1]: set(),
}


async def _entry(harness: HubHarness, client_id: str, number: str) -> dict[str, Any] | None:
    body = await gql(harness, client_id, ENTRY, {"n": number})
    assert "errors" not in body, body
    node: dict[str, Any] | None = body["data"]["entry"]
    return node


async def _listed(harness: HubHarness, client_id: str) -> set[str]:
    found: set[str] = set()
    after = None
    while True:
        body = await gql(harness, client_id, ENTRIES, {"after": after})
        assert "errors" not in body, body
        page = body["data"]["entries"]
        found |= {e["node"]["number"] for e in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("serial", sorted(DEMO))
async def test_each_demo_entry_shows_the_findings_it_was_built_for(harness: HubHarness, serial: int) -> None:
    node = await _entry(harness, OFFICER, NUMBERS[serial])
    assert node is not None
    codes = {f["code"] for f in node["findings"]}
    assert set(DEMO[serial].checks) <= codes, codes
    if not DEMO[serial].checks:  # the clean entry: third-country case declared as CSMS 18-000421 says
        assert codes == set()
    for f in node["findings"]:
        assert f["ruleId"] and f["message"]


async def test_third_country_window_names_deadline_and_deposit(harness: HubHarness) -> None:
    node = await _entry(harness, OFFICER, NUMBERS[3])
    assert node is not None
    [f] = [f for f in node["findings"] if f["code"] == "THIRD_COUNTRY_CASE_MISSING"]
    # CSMS #46031819: PSC with the cash deposit, deadline extended from 2021-04-03 to 2021-05-03.
    assert (f["ruleId"], f["dueOn"], f["amount"]) == ("R-AD-02", "2021-05-03", "95580.00")  # 40,000 x 238.95%
    assert "A-451-988" in f["message"] and "2021-04-03" in f["message"]
    tender = await _entry(harness, OFFICER, NUMBERS[4])
    assert tender is not None
    [t] = [f for f in tender["findings"] if f["code"] == "VOLUNTARY_TENDER_REQUIRED"]
    assert t["dueOn"] is None and "141.105" in t["message"] and t["amount"] == "43011.00"


@pytest.mark.parametrize("client_id", EVERY_DEMO_CLIENT)
async def test_each_party_sees_exactly_its_entries(harness: HubHarness, client_id: str) -> None:
    # R-AD-06: importer and its POA broker or filer; surety for entries its bonds secure; IP owners, PGAs none.
    demo = ACME_ENTRIES | HARBOR_ENTRIES
    assert await _listed(harness, client_id) & demo == SEES[client_id]
    for number in demo:  # by number: the same answer; absent and forbidden look alike
        assert (await _entry(harness, client_id, number) is not None) == (number in SEES[client_id]), number


async def test_surety_sees_amounts_not_parties_or_findings(harness: HubHarness) -> None:
    node = await _entry(harness, SURETY, NUMBERS[1])
    assert node is not None
    # R-AD-06-SURETY: amounts and AD/CVD exposure; no importer details and no findings.
    assert (node["enteredValue"], node["adcvdDeposits"]) == ("25000.00", "3875.00")  # 15.5% CVD deposit
    assert node["importer"] is None and node["findings"] == []
    own = await _entry(harness, ACME, NUMBERS[1])
    assert own is not None and own["importer"]["name"].startswith("Acme") and own["findings"]


async def test_ssn_ior_number_is_masked_for_all_but_cbp_and_its_owner(harness: HubHarness) -> None:
    # R-ID-02: Harbor imports under an SSN.
    cbp = await _entry(harness, OFFICER, NUMBERS[5])
    own = await _entry(harness, HARBOR, NUMBERS[5])
    assert cbp is not None and own is not None
    assert cbp["importer"]["iorNumber"] == own["importer"]["iorNumber"] == "123-45-6789"


async def test_case_list_is_visible_to_every_party_with_source_flags_kept(harness: HubHarness) -> None:
    for client_id in EVERY_DEMO_CLIENT:
        body = await gql(harness, client_id, CASE, {"n": "A-451-988"})
        assert "errors" not in body, body
        case = body["data"]["adcvdCase"]
        # CSMS 18-000421: the third-country case is tied to the China solar-cells order, CBP origin Lithuania.
        assert (case["thirdCountryOf"], case["countryCode"], case["countryOfCode"]) == ("A-570-979", "451", "LT")
    fittings = (await gql(harness, OFFICER, CASE, {"n": "C-570-068"}))["data"]["adcvdCase"]
    assert fittings["companionNumber"] == "A-570-067"
    assert fittings["companyRates"][0]["aceNumber"] == "C570068001"
    # The source's errors stay flagged, never fixed silently; the malformed C-53-878 was not loaded.
    flagged = (await gql(harness, OFFICER, CASE, {"n": "C-570-027"}))["data"]["adcvdCase"]
    assert flagged is not None and flagged["dataQualityNote"]  # C-570-027: the source names Italy under code 570
    assert (await gql(harness, OFFICER, CASE, {"n": "C-53-878"}))["data"]["adcvdCase"] is None


@pytest.mark.parametrize("client_id,sees", [(OFFICER, True), (PGAS[0], True), (PGAS[1], False), (ACME, False),
                                             (SURETY, False)])
async def test_aggregates_for_cbp_and_commerce_only_without_importers(harness: HubHarness, client_id: str,
                                                                      sees: bool) -> None:
    case = (await gql(harness, client_id, CASE, {"n": "A-451-988"}))["data"]["adcvdCase"]
    if not sees:
        assert case["aggregates"] is None
        return
    # R-AD-06 Commerce clause: entries, value, deposits by country and company, no importer field exists.
    rows = {(r["countryOfOrigin"], r["companySuffix"]): r for r in case["aggregates"]}
    assert rows[("LT", None)]["entries"] >= 1


def _new_number(filer: str = "CZ4") -> str:
    base = f"{filer}{uuid.uuid4().int % 10_000_000:07d}"
    return f"{base[:3]}-{base[3:]}-{entry_check_digit(base)}"


def _input(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "entryNumber": _new_number(), "entryType": "03", "importerIor": "12-3456789AB", "filerCode": "CZ4",
        "portCode": "2704", "entryDate": "2025-02-03",
        "lines": [{"lineNumber": 1, "htsNumber": "7307.92.3010", "countryOfOrigin": "CN", "enteredValue": "1000.00",
                   "adcvdCaseNumber": "A570067"}]}
    spec.update(overrides)
    return spec


async def _counts(harness: HubHarness) -> tuple[int, int]:
    async with harness.hub.sessions() as session:
        entries = (await session.exec(select(func.count()).select_from(Entry))).one()
        lines = (await session.exec(select(func.count()).select_from(EntryLine))).one()
    return int(entries), int(lines)


async def test_broker_records_for_its_principal_only(harness: HubHarness) -> None:
    spec = _input()
    recorded = await gql(harness, COASTLINE, RECORD, {"input": spec})
    assert "errors" not in recorded, recorded
    # R-AD-03: the AD fittings case without its CVD companion.
    assert "COMPANION_CASE_MISSING" in {f["code"] for f in recorded["data"]["recordEntry"]["findings"]}
    before = await _counts(harness)
    harbor = _input(importerIor="123-45-6789")
    for client_id, spec in ((COASTLINE, harbor), (ACME, _input()), (ANALYST, _input()), (SURETY, _input())):
        assert code(await gql(harness, client_id, RECORD, {"input": spec})) == "FORBIDDEN"
    assert await _counts(harness) == before


def _line(**overrides: Any) -> list[dict[str, Any]]:
    line: dict[str, Any] = {"lineNumber": 1, "htsNumber": "7307.92.3010", "countryOfOrigin": "CN",
                            "enteredValue": "1000.00"}
    line.update(overrides)
    return [line]


BAD = [
    ("INVALID_CASE_NUMBER", {"lines": _line(adcvdCaseNumber="C-53-878")}),  # the source's own malformed number
    ("UNKNOWN_CASE", {"lines": _line(adcvdCaseNumber="A-570-999")}),
    ("RETIRED_COMPANY_SUFFIX", {"lines": _line(adcvdCaseNumber="A570067999")}),
    ("ENTRY_CHECK_DIGIT_MISMATCH", {"entryNumber": "CZ4-1234567-0" if entry_check_digit("CZ41234567") else
                                    "CZ4-1234567-1"}),
    ("INVALID_ENTRY_NUMBER", {"entryNumber": "CZ4-12345-6"}),
    ("UNKNOWN_PORT_CODE", {"portCode": "9998"}),
    ("INVALID_AMOUNT", {"lines": _line(enteredValue="ten")}),
    ("NEGATIVE_AMOUNT", {"lines": _line(enteredValue="-1.00")}),
    ("INVALID_ENTRY_TYPE", {"entryType": "99"}),
    ("INVALID_HTS_NUMBER", {"lines": _line(htsNumber="73")}),
    ("INVALID_COUNTRY", {"lines": _line(countryOfOrigin="CHN")}),
    ("FILER_CODE_MISMATCH", {"entryNumber": _new_number("ZQ8")}),
    ("LIQUIDATION_BEFORE_ENTRY", {"liquidationDate": "2025-01-01"}),
    ("BOND_PRINCIPAL_MISMATCH", {"bondNumber": "457100002"}),  # Harbor's bond on an Acme entry
    ("UNKNOWN_BOND", {"bondNumber": "999999999"}),
]


@pytest.mark.parametrize("expected,overrides", BAD, ids=[b[0] for b in BAD])
async def test_bad_input_gets_a_code_and_writes_nothing(harness: HubHarness, expected: str,
                                                        overrides: dict[str, Any]) -> None:
    before = await _counts(harness)
    body = await gql(harness, OFFICER, RECORD, {"input": _input(**overrides)})
    assert code(body) == expected, body
    assert await _counts(harness) == before


async def test_duplicate_entry_number_is_refused(harness: HubHarness) -> None:
    spec = _input()
    assert "errors" not in await gql(harness, OFFICER, RECORD, {"input": spec})
    before = await _counts(harness)
    assert code(await gql(harness, OFFICER, RECORD, {"input": spec})) == "DUPLICATE_ENTRY"
    assert await _counts(harness) == before


CASES_PAGE = """query($first: Int) { adcvdCases(first: $first) { edges { node { number companyRates { aceNumber }
  aggregates { countryOfOrigin entries deposits } } } } }"""


@pytest.mark.parametrize("client_id", [OFFICER, PGAS[0]])
async def test_a_case_page_with_aggregates_costs_a_fixed_number_of_statements(harness: HubHarness,
                                                                             client_id: str) -> None:
    from hub.db.session import count_statements
    from tests.graphql.detention_helpers import bearer

    statements = count_statements(harness.hub.engine)
    await bearer(harness, client_id)  # the token request is not the page's cost
    costs = []
    for first in (1, 5, 50):
        start = len(statements)
        body = await gql(harness, client_id, CASES_PAGE, {"first": first})
        assert "errors" not in body, body
        assert len(body["data"]["adcvdCases"]["edges"]) == first
        costs.append(len(statements) - start)
    # The page, its rates, third-country orders, one grouped aggregate query: never one per case.
    assert max(costs) <= 5, costs
