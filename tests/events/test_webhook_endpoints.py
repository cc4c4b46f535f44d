"""Registering webhook endpoints: URL and event-type validation, the secret (shown once, encrypted at
rest), who owns the endpoint and with which roles it delivers, listing and disabling."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from hub.auth.keys import load_or_create
from hub.db.event_tables import WebhookEndpoint
from hub.errors import InvalidInput
from hub.events.secrets import SecretBox, new_secret, secret_bytes, sign
from hub.events.webhooks import destination_problem, validate_url
from hub.graphql.relay import from_global_id, to_global_id
from tests.conftest import HubHarness
from tests.events.webhook_support import CREATE, Receiver, deliver, drain, receiver_fixture, rows_of  # noqa: F401
from tests.graphql.detention_helpers import ACME, COASTLINE, OFFICER, code, gql, record

ENDPOINTS = "query($org: ID) { webhookEndpoints(organizationId: $org) { id url eventTypes createdBy disabledAt } }"
DISABLE = "mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id disabledAt } }"

BAD_URLS = [
    "", "not a url", "/relative/path", "ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/x",
    "https://hooks.example.com/x#fragment", "https:///no-host", "https://hooks.example.com:99999/x",
    "https://hooks.example.com/a b", "https://" + "a" * 2000 + ".com/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_url(url, allow_http=True, allow_private=True)
    assert raised.value.code == "INVALID_WEBHOOK_URL"


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "https://127.0.0.1/x", "https://10.1.2.3/x",
                                 "https://localhost/x", "https://[::1]/x", "https://169.254.169.254/latest"])
def test_production_refuses_plain_http_and_private_destinations(url: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_url(url, allow_http=False, allow_private=False)
    assert raised.value.code == "INVALID_WEBHOOK_URL"


def test_production_accepts_a_public_https_url() -> None:
    url = "https://hooks.example.com:8443/cbp/events?tenant=7"
    assert validate_url(url, allow_http=False, allow_private=False) == url


async def test_a_name_resolving_to_loopback_is_refused_at_delivery() -> None:
    assert await destination_problem("https://localhost/x", allow_private=False) is not None
    assert await destination_problem("https://localhost/x", allow_private=True) is None


def test_secrets_are_standard_webhooks_secrets_and_encrypted_at_rest(tmp_path: Path) -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret_bytes(secret)) == 32
    box = SecretBox(load_or_create(tmp_path / "key.json"))
    stored = box.encrypt(secret)
    assert secret not in stored and secret[6:] not in stored
    assert box.decrypt(stored) == secret
    other = SecretBox(load_or_create(tmp_path / "other-key.json"))
    with pytest.raises(Exception, match="cannot be decrypted"):
        other.decrypt(stored)
    # Standard Webhooks' published test vector (standard-webhooks spec, "Signature scheme").
    vector = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                  b'{"test": 2432232314}')
    assert vector == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("url", ["ftp://x.example/", "https://u:p@x.example/", "https://x.example/#f", "x"])
async def test_graphql_refuses_invalid_urls_with_a_code(harness: HubHarness, url: str) -> None:
    body = await gql(harness, ACME, CREATE, {"url": url, "types": ["detention.recorded"]})
    assert code(body) == "INVALID_WEBHOOK_URL"


async def test_graphql_refuses_unknown_event_types(harness: HubHarness) -> None:
    for types in (["detention.exploded"], [], ["detention.recorded", "bond.anything"]):
        body = await gql(harness, ACME, CREATE, {"url": "https://hooks.example.com/x", "types": types})
        assert code(body) == "UNKNOWN_EVENT_TYPE"


async def test_endpoint_belongs_to_the_callers_organization_with_the_callers_roles(harness: HubHarness) -> None:
    body = await gql(harness, ACME, CREATE, {"url": "https://hooks.example.com/acme",
                                             "types": ["detention.seized", "detention.recorded"]})
    created = body["data"]["createWebhookEndpoint"]
    assert created["endpoint"]["eventTypes"] == ["detention.recorded", "detention.seized"]
    secret = created["secret"]
    pk = from_global_id(created["endpoint"]["id"])[1]
    async with harness.hub.sessions() as session:
        row = await session.get(WebhookEndpoint, pk)
    assert row is not None
    assert row.organization_id == harness.demo[ACME]["organization_id"]
    assert row.roles == sorted(harness.demo[ACME]["roles"]) and row.created_by == ACME
    assert secret not in row.secret_ciphertext
    assert SecretBox(harness.hub.keys).decrypt(row.secret_ciphertext) == secret
    assert base64.b64decode(secret[6:])  # the secret is never shown again:
    listed = (await gql(harness, ACME, ENDPOINTS))["data"]["webhookEndpoints"]
    assert created["endpoint"]["id"] in {e["id"] for e in listed}
    assert "secret" not in str(listed)

    # R-HOOK-01: the broker holding ACME's power of attorney does not manage ACME's endpoints.
    org = to_global_id("Organization", row.organization_id)
    assert code(await gql(harness, COASTLINE, ENDPOINTS, {"org": org})) == "UNKNOWN_ORGANIZATION"
    assert code(await gql(harness, COASTLINE, DISABLE, {"id": created["endpoint"]["id"]})) == \
        "UNKNOWN_WEBHOOK_ENDPOINT"
    # R-HOOK-02: a CBP hub administrator sees them.
    admin = (await gql(harness, "demo-cbp-admin", ENDPOINTS, {"org": org}))["data"]["webhookEndpoints"]
    assert created["endpoint"]["id"] in {e["id"] for e in admin}
    disabled = await gql(harness, ACME, DISABLE, {"id": created["endpoint"]["id"]})
    assert disabled["data"]["disableWebhookEndpoint"]["disabledAt"]


async def test_a_disabled_endpoint_gets_no_new_deliveries_and_pending_ones_are_skipped(
    harness: HubHarness, receiver: Receiver
) -> None:
    await drain(harness.hub)
    body = await gql(harness, OFFICER, CREATE, {"url": receiver.url(f"off-{harness.backend}"),
                                                "types": ["detention.recorded"]})
    endpoint_id = body["data"]["createWebhookEndpoint"]["endpoint"]["id"]
    pk = from_global_id(endpoint_id)[1]
    await record(harness)
    await drain(harness.hub)  # fanned out: one PENDING delivery
    assert "errors" not in await gql(harness, OFFICER, DISABLE, {"id": endpoint_id})
    await record(harness)  # after disabling: no delivery at all
    await deliver(harness.hub)
    rows = await rows_of(harness.hub, pk)
    assert [(r.status, r.last_error) for r in rows] == [("SKIPPED", "endpoint disabled")]
    assert receiver.of(f"off-{harness.backend}") == []
