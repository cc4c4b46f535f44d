"""GraphQL subscriptions over graphql-transport-ws against a real uvicorn server (issue 4, item 4).

Each subscriber gets the event as it may see the object at delivery time (the same Cedar policies as
the GraphQL fields), restricted data it receives is in the disclosure log with channel SUBSCRIPTION,
and the connection closes with 4401 when its token is bad or expires and 4403 when its client is revoked.
Events are committed through another app instance on the same Hub (harness.client), so delivery goes
through the outbox and the broker, never through the request that made the change.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from hub.db.audit_tables import DisclosureChannel, DisclosureEntry
from hub.db.tables import OAuthClient, Organization
from hub.events.outbox import EVENT_TYPES
from hub.graphql import websocket
from hub.runtime import open_hub
from hub.services.parties import create_client
from tests.conftest import HubHarness, make_settings
from tests.events.subscription_live import (
    ACME,
    NORTHWIND,
    SURETY,
    Live,
    cbp_step,
    detain_and_notify,
    live_server,
    record_case,
    seize,
    short_lived_token,
    socket,
    subscribed,
)

NOTICE = "detention.notice_sent"
DETENTION_TYPES = [t for t in EVENT_TYPES if t.startswith("detention.")]


@pytest.fixture(scope="module")
async def live(harness: HubHarness) -> AsyncIterator[Live]:
    async with live_server(harness) as server:
        yield server


async def disclosures(live: Live, client_id: str, pk: str) -> list[DisclosureEntry]:
    async with live.hub.sessions() as session:
        rows = await session.exec(select(DisclosureEntry).where(
            col(DisclosureEntry.client_id) == client_id, col(DisclosureEntry.object_id) == pk,
            col(DisclosureEntry.channel) == DisclosureChannel.SUBSCRIPTION.value))
        return list(rows.all())


async def test_importer_receives_notice_sent_for_its_detention_with_party_data(live: Live) -> None:
    token = await live.harness.token(ACME)
    async with subscribed(live, token, [NOTICE]) as sock:
        node_id, pk = await record_case(live.harness)
        await detain_and_notify(live.harness, node_id)
        event = await sock.next_event()
        # detention.recorded and detention.detained were committed first: filtered out by type.
        assert event["type"] == NOTICE and event["objectId"] == node_id
        assert event["data"]["objectId"] == node_id and event["data"]["eventId"] == event["id"]
        seen = event["data"]["detention"]
        assert seen["status"] == "NOTICE_SENT" and seen["importerResponseDueAt"] is not None
        # The importer reads its own case in full (unredacted level): parties and entry data included.
        assert seen["importer"]["name"] == "Acme Home Goods Inc."
        assert seen["manufacturer"] == {"name": "Event Mfg Co.", "address": "1 Factory Rd, Ningbo, CN"}
        assert seen["entryNumber"] == "CZ4-6110316-8"
        assert datetime.fromisoformat(event["timestamp"]) < datetime.now(UTC)
    logged = await disclosures(live, ACME, pk)
    assert logged, "a delivered message with party identities must be in the disclosure log"
    assert {"importer", "manufacturer", "entryNumber"} <= set(",".join(e.item for e in logged).split(","))


async def test_ip_owner_gets_no_party_identity_before_seizure_and_gets_it_after(live: Live) -> None:
    token = await live.harness.token(NORTHWIND)
    async with subscribed(live, token, DETENTION_TYPES) as sock:
        node_id, pk = await record_case(live.harness)
        await detain_and_notify(live.harness, node_id)
        before: list[dict[str, Any]] = []
        while not before or before[-1]["type"] != NOTICE:
            event = await sock.next_event()
            assert event["objectId"] == node_id
            before.append(event)
        assert [e["type"] for e in before] == ["detention.recorded", "detention.detained", NOTICE]
        for event in before:  # R-IPR-10: no party identity for the right holder before seizure
            seen = event["data"]["detention"]
            assert [seen[f] for f in ("importer", "manufacturer", "exporter", "entryNumber")] == [None] * 4
        assert await disclosures(live, NORTHWIND, pk) == []

        await seize(live.harness, node_id)
        event = await sock.next_event()
        assert event["type"] == "detention.seized"
        seen = event["data"]["detention"]
        # R-IPR-09, § 133.21(e): after seizure the owner learns the parties.
        assert seen["importer"]["name"] == "Acme Home Goods Inc."
        assert seen["exporter"] == {"name": "Event Export Co.", "address": "2 Port Rd, Ningbo, CN"}
    assert await disclosures(live, NORTHWIND, pk), "the seizure message disclosed the parties: logged"


async def test_surety_receives_nothing_about_a_detention(live: Live) -> None:
    # R-IPR-14: no basis in Part 133 for a surety to see an IPR detention. The importer's subscription
    # is the control: once it has the event, the broker has handed it to the surety's feed too.
    async with subscribed(live, await live.harness.token(SURETY), DETENTION_TYPES) as surety, \
            subscribed(live, await live.harness.token(ACME), [NOTICE]) as importer:
        node_id, _ = await record_case(live.harness)
        await detain_and_notify(live.harness, node_id)
        assert (await importer.next_event())["objectId"] == node_id
        await surety.silent_for(1.5)


@pytest.mark.parametrize("payload", [
    None, {}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic YTpi"},
    {"Authorization": "Bearer not-a-jwt"}, {"authorization": ["Bearer x"]},
])
async def test_missing_or_invalid_token_closes_4401(live: Live, payload: dict[str, Any] | None) -> None:
    async with socket(live) as sock:
        await sock.send({"type": "connection_init", **({} if payload is None else {"payload": payload})})
        code, reason = await sock.closed()
    assert code == 4401 and reason.startswith("Unauthorized"), (code, reason)


async def test_subscribe_before_connection_init_closes_4401(live: Live) -> None:
    async with socket(live) as sock:
        await sock.subscribe()
        assert await sock.closed() == (4401, "Unauthorized")


async def test_token_expiry_closes_the_connection(live: Live) -> None:
    token = short_lived_token(live.hub, await live.harness.token(ACME), seconds=2)
    started = time.monotonic()
    async with subscribed(live, token) as sock:
        assert await sock.closed(within=10) == (4401, "token expired")
    # Closed at expiry (exp has whole-second precision), not at connect and not at the 30 s check.
    assert 0.5 < time.monotonic() - started < 5
    await _until_no_subscribers(live)


async def test_expired_token_is_refused_at_connect(live: Live) -> None:
    # Within the validator's 30 s leeway, so it passes validation; a connection must not start on it.
    token = short_lived_token(live.hub, await live.harness.token(ACME), seconds=-5)
    async with socket(live) as sock:
        await sock.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert await sock.closed() == (4401, "token expired")


async def _fresh_client(live: Live) -> tuple[str, str]:
    """A new OAuth client of the importer Acme (the demo clients stay unrevoked for other tests)."""
    async with live.hub.sessions() as session, session.begin():
        org = await session.get(Organization, live.harness.demo[ACME]["organization_id"])
        assert org is not None
        issued = await create_client(session, org, ["trade"], datetime.now(UTC))
        client_id = issued.client.client_id
    assert issued.secret is not None
    response = await live.harness.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                              auth=(client_id, issued.secret))
    assert response.status_code == 200, response.text
    return client_id, str(response.json()["access_token"])


async def _revoke(live: Live, client_id: str) -> None:
    async with live.hub.sessions() as session, session.begin():
        client = await session.get(OAuthClient, client_id)
        assert client is not None
        client.revoked_at = datetime.now(UTC)


async def _until_no_subscribers(live: Live) -> None:
    from tests.events.subscription_live import until

    await until(lambda: live.broker.subscriber_count == 0, what="the closed connection's feed to go")


async def test_revoked_client_is_closed_4403_on_the_next_event(live: Live) -> None:
    client_id, token = await _fresh_client(live)
    async with subscribed(live, token) as sock:
        await _revoke(live, client_id)
        await record_case(live.harness)  # any event of a requested type triggers the check
        assert await sock.closed() == (4403, "client revoked")
    await _until_no_subscribers(live)


async def test_revoked_client_is_closed_4403_by_the_periodic_check(live: Live,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket, "REVOCATION_CHECK_SECONDS", 0.3)
    client_id, token = await _fresh_client(live)
    async with subscribed(live, token, [NOTICE]) as sock:
        await _revoke(live, client_id)
        assert await sock.closed(within=5) == (4403, "client revoked")  # no event needed


async def test_revoked_client_cannot_connect(live: Live) -> None:
    client_id, token = await _fresh_client(live)
    await _revoke(live, client_id)
    async with socket(live) as sock:
        await sock.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert await sock.closed() == (4403, "client revoked")


async def test_unknown_event_type_and_non_subscriptions_get_coded_errors(live: Live) -> None:
    async with socket(live) as sock:
        ack = await sock.init({"Authorization": f"Bearer {await live.harness.token(ACME)}"})
        assert ack == {"type": "connection_ack"}
        await sock.subscribe(variables={"types": [NOTICE, "detention.exploded"]}, op_id="a")
        error = await sock.recv()
        assert (error["type"], error["id"]) == ("error", "a"), error
        assert error["payload"][0]["extensions"]["code"] == "UNKNOWN_EVENT_TYPE"
        # Queries and mutations go to POST /graphql, where their disclosures are logged.
        await sock.subscribe("{ viewer { clientId } }", op_id="b")
        error = await sock.recv()
        assert (error["type"], error["id"]) == ("error", "b"), error
        assert error["payload"][0]["extensions"]["code"] == "SUBSCRIPTIONS_ONLY"
        # The connection is still usable.
        await sock.subscribe(variables={"types": [NOTICE]}, op_id="c")
        await sock.send({"type": "complete", "id": "c"})
        await sock.send({"type": "ping"})
        assert await sock.recv() == {"type": "pong"}


async def test_subscriptions_over_http_are_refused(live: Live) -> None:
    response = await live.harness.client.post(
        "/graphql", json={"query": "subscription { events { id } }"},
        headers={"Authorization": f"Bearer {await live.harness.token(ACME)}"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_TRANSPORT"


async def test_event_committed_through_one_hub_reaches_a_subscriber_of_another(
        live: Live, tmp_path_factory: pytest.TempPathFactory) -> None:
    if live.harness.backend != "postgres":
        pytest.skip("fan-out across Hub processes is PostgreSQL LISTEN/NOTIFY; SQLite runs one process")
    first = live.hub
    # A second Hub on the same database, with the same signing key (as a second worker would have).
    settings = make_settings(tmp_path_factory.mktemp("hub-second"), first.settings.database_url,
                             signing_key_path=first.settings.effective_signing_key_path)
    second_hub = await open_hub(settings, apply_migrations=False)
    try:
        async with live_server(live.harness, second_hub) as second:
            await second.broker.listening.wait()
            started = time.monotonic()
            async with subscribed(second, await live.harness.token(ACME), [NOTICE]) as sock:
                node_id, _ = await record_case(live.harness)  # committed through the first Hub's app
                await detain_and_notify(live.harness, node_id)
                event = await sock.next_event()
                assert event["objectId"] == node_id
            # Woken by NOTIFY, not found by the 30 s safety poll.
            assert time.monotonic() - started < 10
    finally:
        await second_hub.close()


async def test_release_step_reaches_the_importer(live: Live) -> None:
    token = await live.harness.token(ACME)
    async with subscribed(live, token, ["detention.released"]) as sock:
        node_id, _ = await record_case(live.harness)
        await cbp_step(live.harness, "detainGoods", node_id)
        await cbp_step(live.harness, "releaseGoods", node_id)
        event = await sock.next_event()
        assert (event["type"], event["data"]["detention"]["status"]) == ("detention.released", "RELEASED")
