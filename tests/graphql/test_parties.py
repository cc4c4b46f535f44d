"""Parties over GraphQL: viewer, organizations by row scope, identifiers by policy (R-ORG-*, R-ID-02)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.graphql.relay import from_global_id, to_global_id
from tests.conftest import HubHarness

ORGS = "{ organizations(first: 50) { edges { node { id name kind iorNumber } } } }"


def _names(body: dict[str, Any]) -> set[str]:
    return {e["node"]["name"] for e in body["data"]["organizations"]["edges"]}


async def test_viewer_names_the_caller_and_its_organization(harness: HubHarness) -> None:
    body = await harness.graphql("demo-broker-coastline",
                                 "{ viewer { clientId roles organization { id name kind } } }")
    viewer = body["data"]["viewer"]
    assert viewer["clientId"] == "demo-broker-coastline"
    assert viewer["roles"] == ["trade"]
    assert viewer["organization"]["kind"] == "BROKER"
    assert viewer["organization"]["name"] == "Coastline Customs Brokerage LLC"


async def test_r_org_01_cbp_lists_every_organization(harness: HubHarness) -> None:
    body = await harness.graphql("demo-cbp-officer", ORGS)
    # The shared harness also holds organizations other tests create (e.g. a co-surety): compare on the demo's.
    listed = {e["node"]["id"] for e in body["data"]["organizations"]["edges"]}
    assert {from_global_id(i)[1] for i in listed} >= harness.demo_orgs()


async def test_r_org_03_broker_sees_itself_and_its_poa_principal_only(harness: HubHarness) -> None:
    body = await harness.graphql("demo-broker-coastline", ORGS)
    # Its POA principals: Acme (demo parties) and the AD/CVD demo's non-resident importer; never Harbor.
    assert _names(body) == {"Coastline Customs Brokerage LLC", "Acme Home Goods Inc.",
                            "Kowloon Lighting Ltd. (non-resident importer)"}


async def test_r_org_02_ip_owner_sees_only_itself(harness: HubHarness) -> None:
    body = await harness.graphql("demo-ipowner-northwind", ORGS)
    assert _names(body) == {"Northwind Apparel Brands Inc."}


async def test_r_id_02_ssn_ior_number_only_for_cbp_and_owner(harness: HubHarness) -> None:
    harbor = harness.demo["demo-importer-harbor"]["organization_id"]
    query = "query($id: ID!) { node(id: $id) { ... on Organization { name iorNumber } } }"
    variables = {"id": to_global_id("Organization", harbor)}
    as_owner = await harness.graphql("demo-importer-harbor", query, variables)
    as_cbp = await harness.graphql("demo-cbp-analyst", query, variables)
    as_ip_owner = await harness.graphql("demo-ipowner-vertex", query, variables)
    assert as_owner["data"]["node"]["iorNumber"] == "123-45-6789"
    assert as_cbp["data"]["node"]["iorNumber"] == "123-45-6789"
    # Not visible at all to an unrelated party: null, not an error, and no hint it exists.
    assert as_ip_owner["data"]["node"] is None
    assert "errors" not in as_ip_owner


async def test_r_id_02_broker_reads_its_principals_irs_number(harness: HubHarness) -> None:
    body = await harness.graphql("demo-broker-coastline", ORGS)
    acme = [e["node"] for e in body["data"]["organizations"]["edges"] if e["node"]["kind"] == "IMPORTER"]
    assert acme[0]["iorNumber"] == "12-3456789AB"


async def test_keyset_pagination_walks_every_organization_once(harness: HubHarness) -> None:
    seen: list[str] = []
    after = None
    for _ in range(20):
        body = await harness.graphql(
            "demo-cbp-analyst",
            "query($after: String) { organizations(first: 3, after: $after) "
            "{ edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }",
            {"after": after},
        )
        page = body["data"]["organizations"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # Every organization once; the shared harness also holds ones other tests create (e.g. a co-surety).
    assert len(seen) == len(set(seen))
    assert {from_global_id(i)[1] for i in seen} >= harness.demo_orgs()


@pytest.mark.parametrize(
    ("args", "code"),
    [("first: 101", "PAGE_SIZE_TOO_LARGE"), ("first: -1", "INVALID_PAGE_SIZE"),
     ('first: 2, after: "not-a-cursor"', "INVALID_CURSOR")],
)
async def test_bad_page_arguments_get_stable_codes(harness: HubHarness, args: str, code: str) -> None:
    body = await harness.graphql("demo-cbp-analyst", f"{{ organizations({args}) {{ edges {{ cursor }} }} }}")
    assert body["errors"][0]["extensions"]["code"] == code


async def test_malformed_global_id_is_a_coded_error(harness: HubHarness) -> None:
    body = await harness.graphql("demo-cbp-analyst", '{ node(id: "%%%") { id } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
