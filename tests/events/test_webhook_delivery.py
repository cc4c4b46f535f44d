"""Webhook delivery end to end: Standard Webhooks signatures, policy at delivery time, audit of what left.

Runs on SQLite and PostgreSQL (the session harness), against a real HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

from sqlmodel import col, select

from hub.audit.cli import run_verify
from hub.audit.log import verify
from hub.db.audit_tables import DisclosureEntry
from hub.db.event_tables import WebhookEndpoint
from hub.db.session import transaction
from hub.db.tables import OAuthClient, Organization
from hub.events.dispatcher import utc_now
from hub.graphql.relay import from_global_id
from hub.services.parties import create_client
from tests.conftest import HubHarness
from tests.events.webhook_support import (
    CREATE,
    DELIVERIES,
    Receiver,
    deliver,
    drain,
    endpoint,
    receiver_fixture,  # noqa: F401 (the "receiver" fixture)
    rows_of,
    signature_ok,
)
from tests.graphql.detention_helpers import NORTHWIND, OFFICER, SURETY, code, gql, record, step

PARTY_FIELDS = ("importer", "manufacturer", "exporter", "entryNumber")


async def test_ip_owner_webhook_has_no_party_identity_before_seizure_and_has_it_after(
    harness: HubHarness, receiver: Receiver
) -> None:
    await drain(harness.hub)
    path = f"owner-{harness.backend}"
    async with endpoint(harness, NORTHWIND, receiver, path, ["detention.recorded", "detention.seized"]) as ep:
        node = await record(harness)
        await deliver(harness.hub)
        [before] = receiver.of(path)
        assert signature_ok(ep.secret, before)
        payload = before.json
        assert payload["type"] == "detention.recorded"
        detention = payload["data"]["detention"]
        assert detention["caseNumber"] == node["caseNumber"]
        # R-IPR-10: before seizure the right holder learns nothing of the parties.
        assert {f: detention[f] for f in PARTY_FIELDS} == dict.fromkeys(PARTY_FIELDS)

        for mutation in ("detainGoods", "seizeGoods"):
            assert "errors" not in await step(harness, mutation, node["id"])
        await deliver(harness.hub)
        [_, after] = receiver.of(path)
        assert signature_ok(ep.secret, after)
        assert after.json["type"] == "detention.seized"
        seized = after.json["data"]["detention"]
        # R-IPR-09: after seizure the importer, manufacturer, exporter and entry number are disclosed.
        assert all(seized[f] for f in PARTY_FIELDS), seized
        assert seized["importer"]["name"] and seized["manufacturer"]["address"]

        rows = await rows_of(harness.hub, ep.pk)
        assert [r.status for r in rows] == ["DELIVERED", "DELIVERED"]
        assert {r.id for r in rows} == {before.headers["webhook-id"], after.headers["webhook-id"]}
        assert all(r.attempts == 1 for r in rows)

        # The restricted data that left is in the disclosure log, tied to the webhook-id.
        pk = from_global_id(node["id"])[1]
        async with harness.hub.sessions() as session:
            entries = (await session.exec(select(DisclosureEntry).where(
                col(DisclosureEntry.object_id) == pk, col(DisclosureEntry.channel) == "WEBHOOK"))).all()
            assert (await verify(session)).ok
        assert entries, "no WEBHOOK disclosure recorded"
        assert {e.client_id for e in entries} == {NORTHWIND}
        assert after.headers["webhook-id"] in {e.request_id for e in entries}
        assert any("importer" in e.item and "R-IPR-09" in e.rule_ids for e in entries), [
            (e.item, e.rule_ids) for e in entries]
        assert await run_verify(harness.hub.settings) == 0  # `hub audit verify` on the same store


async def test_signature_headers_follow_standard_webhooks(harness: HubHarness, receiver: Receiver) -> None:
    await drain(harness.hub)
    path = f"sig-{harness.backend}"
    async with endpoint(harness, OFFICER, receiver, path, ["detention.recorded"]) as ep:
        assert ep.secret.startswith("whsec_")
        await record(harness)
        await deliver(harness.hub)
        [got] = receiver.of(path)
        assert got.headers["content-type"] == "application/json"
        assert got.headers["webhook-timestamp"].isdigit()
        assert got.headers["webhook-signature"].startswith("v1,")
        assert signature_ok(ep.secret, got)
        tampered = type(got)(got.path, got.headers, got.body + b" ", got.at)
        assert not signature_ok(ep.secret, tampered)


async def test_surety_endpoint_gets_nothing_about_a_detention(harness: HubHarness, receiver: Receiver) -> None:
    await drain(harness.hub)
    path = f"surety-{harness.backend}"
    async with endpoint(harness, SURETY, receiver, path, ["detention.recorded", "detention.detained"]) as ep:
        node = await record(harness)
        assert "errors" not in await step(harness, "detainGoods", node["id"])
        await deliver(harness.hub)
        assert receiver.of(path) == []
        rows = await rows_of(harness.hub, ep.pk)
        # R-IPR-14: a surety is no party to an IPR detention; decided at delivery, not retried.
        assert [r.status for r in rows] == ["SKIPPED", "SKIPPED"]
        assert all("may not read" in (r.last_error or "") for r in rows)
        body = await gql(harness, SURETY, DELIVERIES, {"id": ep.gid})
        assert [d["status"] for d in body["data"]["webhookDeliveries"]] == ["SKIPPED", "SKIPPED"]


async def test_deliveries_are_listed_only_for_the_endpoints_organization(harness: HubHarness,
                                                                        receiver: Receiver) -> None:
    await drain(harness.hub)
    path = f"list-{harness.backend}"
    async with endpoint(harness, NORTHWIND, receiver, path, ["detention.recorded"]) as ep:
        await record(harness)
        await deliver(harness.hub)
        mine = await gql(harness, NORTHWIND, DELIVERIES, {"id": ep.gid, "first": 5})
        [delivery] = mine["data"]["webhookDeliveries"]
        assert delivery["status"] == "DELIVERED" and delivery["lastStatusCode"] == 200
        assert delivery["webhookId"] == receiver.of(path)[0].headers["webhook-id"]
        assert delivery["attemptsLog"][0]["outcome"] == "DELIVERED"
        # R-HOOK-01: another organization (even CBP without hub-admin) cannot tell the endpoint exists.
        for other in (OFFICER, "demo-ipowner-vertex", "demo-broker-coastline"):
            assert code(await gql(harness, other, DELIVERIES, {"id": ep.gid})) == "UNKNOWN_WEBHOOK_ENDPOINT"
        # R-HOOK-02: a CBP hub administrator inspects any organization's deliveries.
        admin = await gql(harness, "demo-cbp-admin", DELIVERIES, {"id": ep.gid})
        assert [d["id"] for d in admin["data"]["webhookDeliveries"]] == [delivery["id"]]


async def test_a_revoked_clients_endpoint_gets_nothing(harness: HubHarness, receiver: Receiver) -> None:
    """Deliveries are decided for the registering client at delivery time: once revoked, it reads nothing."""
    await drain(harness.hub)
    async with transaction(harness.hub.sessions) as session:
        org = await session.get(Organization, harness.demo[NORTHWIND]["organization_id"])
        assert org is not None
        issued = await create_client(session, org, ["trade"], utc_now(), name="webhook test")
    client_id, secret = issued.client.client_id, issued.secret
    token = (await harness.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                       auth=(client_id, secret or ""))).json()["access_token"]
    path = f"revoked-{harness.backend}"
    response = await harness.client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": CREATE, "variables": {"url": receiver.url(path), "types": ["detention.recorded"]}})
    endpoint_pk = from_global_id(response.json()["data"]["createWebhookEndpoint"]["endpoint"]["id"])[1]
    async with transaction(harness.hub.sessions) as session:
        client = await session.get(OAuthClient, client_id)
        assert client is not None
        client.revoked_at = utc_now()
        session.add(client)
    await record(harness)
    await deliver(harness.hub)
    assert receiver.of(path) == []
    [row] = await rows_of(harness.hub, endpoint_pk)
    assert row.status == "SKIPPED" and "revoked" in (row.last_error or "")
    async with transaction(harness.hub.sessions) as session:
        endpoint_row = await session.get(WebhookEndpoint, endpoint_pk)
        assert endpoint_row is not None
        endpoint_row.disabled_at = utc_now()  # later tests' events need not be fanned out to it
        session.add(endpoint_row)
