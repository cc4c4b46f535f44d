"""IPR detentions over GraphQL: the contract of issue 3, and who sees what on the demo cases (FACTS §10.1).

Read-only: every test here uses the seeded demo cases (hub/services/demo_ipr.py) by case number. The
shared harness also holds cases other tests create, so listings are compared on the DEMO- cases only.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.db.ipr_tables import Detention
from tests.conftest import HubHarness
from tests.graphql.detention_helpers import (
    ACME,
    COASTLINE,
    DETENTION_FIELDS,
    EVERY_DEMO_CLIENT,
    HARBOR,
    NORTHWIND,
    OFFICER,
    PGAS,
    SURETY,
    VERTEX,
    all_detentions,
    count_rows,
    demo_cases,
    detention,
    gid,
    gql,
    org_gid,
    pk_of,
)

ACME_CASES = {"DEMO-2704-0001", "DEMO-2704-0003", "DEMO-2704-0005", "DEMO-2704-0007", "DEMO-2704-0009"}
HARBOR_CASES = {"DEMO-2704-0002", "DEMO-2704-0004", "DEMO-2704-0006", "DEMO-2704-0008", "DEMO-2704-0010"}
ALL_DEMO = ACME_CASES | HARBOR_CASES
# Cases naming TMK 21-00412 or TMK 18-00977 (Northwind) / TMK 19-01187 (Vertex); 0006 is under a hold.
NORTHWIND_CASES = {"DEMO-2704-0001", "DEMO-2704-0004", "DEMO-2704-0005", "DEMO-2704-0007", "DEMO-2704-0008",
                   "DEMO-2704-0009", "DEMO-2704-0010"}
VERTEX_CASES = {"DEMO-2704-0002", "DEMO-2704-0003", "DEMO-2704-0009"}
LE_HOLD = "DEMO-2704-0006"
LIMITED = ("dateOfImportation", "portCode", "description", "quantity", "countryOfOrigin")
PARTIES = ("entryNumber", "importer", "manufacturer", "exporter")
CONTRACT = ("id", "status", "track", "portCode", "presentedAt", "noticeOfDetentionSentAt", "importerResponseDueAt",
            "importerResponseOutcome", "limitedInfoReleasedAt", "unredactedReleasedAt", "seizedAt",
            "lawEnforcementHold", "dateOfImportation", "description", "quantity", "countryOfOrigin", "entryNumber",
            "importer", "manufacturer", "exporter", "recordations", "images", "disclosure")


def _items(node: dict[str, Any], which: str) -> dict[str, list[str]]:
    return {line["item"]: line["ruleIds"] for line in node["disclosure"][which]}


def _variants(node: dict[str, Any]) -> set[str]:
    return {image["variant"] for image in node["images"]}


# --- A. Contract ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("client_id", EVERY_DEMO_CLIENT)
async def test_contract_fields_query_without_error_for_every_demo_role(harness: HubHarness, client_id: str) -> None:
    listed = await all_detentions(harness, client_id, first=4)  # asserts no query-level error on any page
    for node in listed.values():
        assert set(CONTRACT) <= node.keys()
        assert node["status"] in {"PRESENTED", "DETAINED", "NOTICE_SENT", "SEIZED", "RELEASED", "DEEMED_EXCLUDED"}
        assert node["track"] in {"STANDARD", "EXPEDITED"}
        assert node["importerResponseOutcome"] in {"PENDING", "SUFFICIENT", "INSUFFICIENT", "NONE"}
        assert _variants(node) <= {"REDACTED", "UNREDACTED"}
        assert all(i["url"].startswith("https://hub.test/files/") for i in node["images"])
        assert isinstance(node["recordations"], list) and node["recordations"]
    for case_number in sorted(ALL_DEMO):
        # detention(id) on every demo case: the node or null, never an error (asserted in the helper).
        node = await detention(harness, client_id, case_number)
        assert (node is None) == (case_number not in listed)


async def test_connection_pages_walk_every_case_once_for_cbp(harness: HubHarness) -> None:
    small = await all_detentions(harness, OFFICER, first=3)
    large = await all_detentions(harness, OFFICER, first=100)
    assert small.keys() == large.keys()
    assert len(large) == await count_rows(harness, Detention)
    assert demo_cases(large) == ALL_DEMO
    presented = [n["presentedAt"] for n in large.values()]
    assert presented == sorted(presented, reverse=True)  # newest first


async def test_detention_by_unknown_id_is_null_not_an_error(harness: HubHarness) -> None:
    body = await gql(harness, OFFICER, "query($id: ID!) { detention(id: $id) { id } }",
                                 {"id": org_gid(harness, ACME)})  # an id of another type
    assert body == {"data": {"detention": None}}


async def test_cbp_sees_every_field_of_a_demo_case(harness: HubHarness) -> None:
    node = await detention(harness, OFFICER, LE_HOLD)
    assert node is not None
    assert node["lawEnforcementHold"] is True
    assert all(node[f] is not None for f in (*LIMITED, *PARTIES))
    assert _variants(node) == {"UNREDACTED"}
    assert node["disclosure"]["withheld"] == []


# --- B. Visibility on the demo cases --------------------------------------------------------------------------


@pytest.mark.parametrize(("client_id", "expected"), [(NORTHWIND, NORTHWIND_CASES), (VERTEX, VERTEX_CASES)])
async def test_r_ipr_01_r_ipr_02_owner_lists_only_cases_naming_its_active_recordation(
    harness: HubHarness, client_id: str, expected: set[str]
) -> None:
    listed = await all_detentions(harness, client_id)
    assert demo_cases(listed) == expected
    for case_number in ALL_DEMO - expected:
        assert await detention(harness, client_id, case_number) is None


async def test_r_ipr_01_vertex_never_sees_a_northwind_only_case(harness: HubHarness) -> None:
    for case_number in NORTHWIND_CASES - VERTEX_CASES:
        assert await detention(harness, VERTEX, case_number) is None


@pytest.mark.parametrize("client_id", [NORTHWIND, VERTEX, ACME, COASTLINE, SURETY, *PGAS])
async def test_r_ipr_02_le_hold_case_is_seen_by_cbp_and_its_importer_only(
    harness: HubHarness, client_id: str
) -> None:
    # DEMO-2704-0006 names Vertex's TMK 19-01187, but is under a law-enforcement hold: no owner sees it.
    assert await detention(harness, client_id, LE_HOLD) is None
    assert LE_HOLD not in await all_detentions(harness, client_id)


async def test_r_ipr_08_importer_sees_its_le_hold_case_without_the_flag(harness: HubHarness) -> None:
    node = await detention(harness, HARBOR, LE_HOLD)
    assert node is not None
    assert node["lawEnforcementHold"] is None  # ReadEnforcementFlags is CBP's only (R-IPR-CBP)
    assert _variants(node) == {"UNREDACTED"}


async def test_r_ipr_04_owner_gets_redacted_images_from_presentation(harness: HubHarness) -> None:
    # DEMO-2704-0007 and -0008: detained, no notice, nothing released; the images are there already.
    for case_number in ("DEMO-2704-0007", "DEMO-2704-0008"):
        node = await detention(harness, NORTHWIND, case_number)
        assert node is not None and node["images"]
        assert _variants(node) == {"REDACTED"}
        assert _items(node, "visible")["REDACTED_IMAGES"] == ["R-IPR-04"]


async def test_r_ipr_06_unredacted_images_to_vertex_only_on_released_case(harness: HubHarness) -> None:
    # DEMO-2704-0002: window lapsed without a response, CBP released, importer notified, TSA acknowledged.
    released = await detention(harness, VERTEX, "DEMO-2704-0002")
    assert released is not None and released["unredactedReleasedAt"] is not None
    assert _variants(released) == {"UNREDACTED"}
    assert _items(released, "visible")["UNREDACTED_IMAGES"] == ["R-IPR-06"]
    # DEMO-2704-0003: insufficient response but no CBP release event; DEMO-2704-0009: never released.
    for case_number in ("DEMO-2704-0003", "DEMO-2704-0009"):
        node = await detention(harness, VERTEX, case_number)
        assert node is not None
        assert _variants(node) == {"REDACTED"}
        assert _items(node, "withheld")["UNREDACTED_IMAGES"] == ["R-IPR-06"]


async def test_r_ipr_06_r_ipr_09_northwind_unredacted_only_after_seizure(harness: HubHarness) -> None:
    listed = await all_detentions(harness, NORTHWIND)
    variants = {n: _variants(listed[n]) for n in NORTHWIND_CASES}
    assert variants.pop("DEMO-2704-0005") == {"UNREDACTED"}  # seized (R-IPR-09)
    assert variants.pop("DEMO-2704-0010") == set()  # gray market: no image regime before seizure (R-IPR-12)
    assert set(map(frozenset, variants.values())) == {frozenset({"REDACTED"})}


async def test_r_ipr_12_gray_market_owner_gets_the_five_fields_and_no_images(harness: HubHarness) -> None:
    node = await detention(harness, NORTHWIND, "DEMO-2704-0010")
    assert node is not None and node["images"] == []
    assert all(node[f] is not None for f in LIMITED)
    withheld = _items(node, "withheld")
    assert withheld["REDACTED_IMAGES"] == ["R-IPR-12"]
    assert "R-IPR-12" in withheld["UNREDACTED_IMAGES"]
    importer = await detention(harness, HARBOR, "DEMO-2704-0010")
    assert importer is not None and _variants(importer) == {"UNREDACTED"}  # R-IPR-08 is not affected


async def test_r_ipr_09_owner_gets_party_identities_after_seizure(harness: HubHarness) -> None:
    node = await detention(harness, NORTHWIND, "DEMO-2704-0005")
    assert node is not None and node["status"] == "SEIZED"
    assert node["entryNumber"] is not None
    assert node["importer"]["name"] == "Acme Home Goods Inc."
    assert node["importer"]["address"]
    assert node["manufacturer"]["name"] == "Putian Jinxing Footwear Factory"
    assert node["exporter"]["name"] and node["exporter"]["address"]
    # § 133.21(e)(3)-(4): description and quantity as the notice of seizure sets them out.
    assert node["description"] == "counterfeit SNEAKER_BOX goods"
    assert _items(node, "visible")["PARTY_IDENTITIES"] == ["R-IPR-09"]


@pytest.mark.parametrize("client_id", [NORTHWIND, VERTEX])
async def test_r_ipr_10_no_party_identity_or_entry_number_before_seizure(harness: HubHarness, client_id: str) -> None:
    listed = await all_detentions(harness, client_id)
    for case_number in demo_cases(listed):
        node = listed[case_number]
        if node["status"] == "SEIZED":
            continue
        assert [node[f] for f in PARTIES] == [None, None, None, None], case_number
        assert _items(node, "withheld")["PARTY_IDENTITIES"] == ["R-IPR-10"]


async def test_r_ipr_03_limited_info_from_notice_or_release_only(harness: HubHarness) -> None:
    listed = await all_detentions(harness, NORTHWIND)
    # Notice sent (0001 also released by CBP; 0010 is gray market, R-IPR-12 keeps the five fields).
    for case_number in ("DEMO-2704-0001", "DEMO-2704-0004", "DEMO-2704-0009", "DEMO-2704-0010"):
        node = listed[case_number]
        assert all(node[f] is not None for f in LIMITED), case_number
        assert "R-IPR-03" in _items(node, "visible")["LIMITED_INFORMATION"]
    # Detained, neither notice nor release yet.
    for case_number in ("DEMO-2704-0007", "DEMO-2704-0008"):
        node = listed[case_number]
        assert [node[f] for f in LIMITED] == [None] * len(LIMITED), case_number
        assert _items(node, "withheld")["LIMITED_INFORMATION"] == ["R-IPR-03"]


async def test_disclosure_explains_open_window_to_owner(harness: HubHarness) -> None:
    node = await detention(harness, NORTHWIND, "DEMO-2704-0001")
    assert node is not None and node["status"] == "NOTICE_SENT"
    withheld = _items(node, "withheld")
    assert withheld["UNREDACTED_IMAGES"] == ["R-IPR-06"]
    assert withheld["PARTY_IDENTITIES"] == ["R-IPR-10"]
    assert {"LIMITED_INFORMATION", "REDACTED_IMAGES"} <= _items(node, "visible").keys()
    assert node["importerResponseDueAt"] is not None
    assert node["disclosure"]["nextDisclosureAt"] == node["importerResponseDueAt"]
    assert "R-IPR-06" in node["disclosure"]["nextDisclosure"]


async def test_disclosure_before_the_notice_points_to_the_notice_deadline(harness: HubHarness) -> None:
    # DEMO-2704-0007: detained, no notice yet; limited information is due with the notice at the latest.
    query = ("query($id: ID!) { detention(id: $id) { noticeOfDetentionDueAt "
             "disclosure { nextDisclosureAt nextDisclosure withheld { item ruleIds } } } }")
    body = await gql(harness, NORTHWIND, query, {"id": gid(await pk_of(harness, "DEMO-2704-0007"))})
    node = body["data"]["detention"]
    assert node["noticeOfDetentionDueAt"] is not None
    assert node["disclosure"]["nextDisclosureAt"] == node["noticeOfDetentionDueAt"]
    assert "R-IPR-03" in node["disclosure"]["nextDisclosure"]
    assert _items(node, "withheld")["LIMITED_INFORMATION"] == ["R-IPR-03"]


@pytest.mark.parametrize(("client_id", "expected"), [(ACME, ACME_CASES), (COASTLINE, ACME_CASES),
                                                     (HARBOR, HARBOR_CASES)])
async def test_r_ipr_08_importer_and_poa_broker_see_their_detentions_unredacted(
    harness: HubHarness, client_id: str, expected: set[str]
) -> None:
    listed = await all_detentions(harness, client_id)
    assert demo_cases(listed) == expected
    importer = org_gid(harness, HARBOR if expected is HARBOR_CASES else ACME)
    for case_number in expected:
        node = listed[case_number]
        assert node["images"] and _variants(node) == {"UNREDACTED"}, case_number
        assert node["importer"]["organization"]["id"] == importer
        assert node["manufacturer"] is not None and node["exporter"] is not None
        assert all(node[f] is not None for f in LIMITED)
        assert node["lawEnforcementHold"] is None
        assert _items(node, "visible")["UNREDACTED_IMAGES"] == ["R-IPR-08"]


async def test_r_ipr_08_broker_sees_nothing_of_an_importer_without_poa(harness: HubHarness) -> None:
    listed = await all_detentions(harness, COASTLINE)
    assert not demo_cases(listed) & HARBOR_CASES
    for case_number in HARBOR_CASES:
        assert await detention(harness, COASTLINE, case_number) is None


@pytest.mark.parametrize("client_id", [SURETY, *PGAS])
async def test_r_ipr_14_sureties_and_pgas_see_no_detention(harness: HubHarness, client_id: str) -> None:
    body = await gql(harness, client_id, f"{{ detentions(first: 100) {{ edges {{ node {{ {DETENTION_FIELDS} }} }} "
                                            "pageInfo { hasNextPage endCursor } } }")
    assert body == {"data": {"detentions": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}}
    for case_number in sorted(ALL_DEMO):
        assert await detention(harness, client_id, case_number) is None
