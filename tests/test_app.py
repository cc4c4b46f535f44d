"""HTTP behaviour of the app: health, readiness, request ids, CORS, and malformed requests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hub.app import create_app
from hub.runtime import open_hub
from hub.services.demo import demo_clients, seed_parties
from tests.conftest import ISSUER, HubHarness, make_settings


async def _bearer(h: HubHarness) -> dict[str, str]:
    return {"Authorization": f"Bearer {await h.token('demo-cbp-analyst')}"}


async def test_healthz_and_readyz(sqlite_harness: HubHarness) -> None:
    assert (await sqlite_harness.client.get("/healthz")).json() == {"status": "alive"}
    assert (await sqlite_harness.client.get("/readyz")).json() == {"status": "ready"}


async def test_readyz_reports_an_unreachable_object_store(tmp_path: Path) -> None:
    hub = await open_hub(make_settings(tmp_path))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(hub)), base_url=ISSUER) as c:
            # The object folder disappearing and becoming a file makes the store unwritable.
            objects = hub.settings.objects_dir
            for child in objects.rglob("*"):
                if child.is_file():
                    child.unlink()
            for child in sorted(objects.rglob("*"), reverse=True):
                child.rmdir()
            objects.rmdir()
            objects.write_text("not a folder")
            response = await c.get("/readyz")
        assert response.status_code == 503
        assert response.json()["code"] == "STORAGE_UNAVAILABLE"
    finally:
        await hub.close()


async def test_every_response_carries_a_request_id(sqlite_harness: HubHarness) -> None:
    generated = await sqlite_harness.client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    kept = await sqlite_harness.client.get("/healthz", headers={"X-Request-Id": "abi-batch-42"})
    assert kept.headers["x-request-id"] == "abi-batch-42"
    injected = await sqlite_harness.client.get("/healthz", headers={"X-Request-Id": "bad\"id\n{"})
    assert injected.headers["x-request-id"] != "bad\"id\n{"


async def test_cors_allows_only_configured_origins(tmp_path: Path) -> None:
    hub = await open_hub(make_settings(tmp_path, cors_origins=["https://portal.example"]))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(hub)), base_url=ISSUER) as c:
            preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
            ok = await c.options("/graphql", headers={"Origin": "https://portal.example", **preflight})
            bad = await c.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
        assert ok.headers["access-control-allow-origin"] == "https://portal.example"
        assert "access-control-allow-origin" not in bad.headers
    finally:
        await hub.close()


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"query": ', "application/json", 400, "BAD_JSON"),
        (b"query { viewer { clientId } }", "text/plain", 400, "UNSUPPORTED_CONTENT_TYPE"),
        (b'{"variables": {}}', "application/json", 400, "NO_QUERY"),
        (b"x" * 1_000_001, "application/json", 413, "PAYLOAD_TOO_LARGE"),
    ],
)
async def test_malformed_graphql_requests_get_coded_errors(
    sqlite_harness: HubHarness, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = await sqlite_harness.client.post(
        "/graphql", content=content, headers={"Content-Type": content_type, **await _bearer(sqlite_harness)}
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == code


async def test_alias_limit_rejects_alias_floods(sqlite_harness: HubHarness) -> None:
    aliases = "{ " + " ".join(f"a{i}: viewer {{ clientId }}" for i in range(31)) + " }"
    body = (await sqlite_harness.client.post("/graphql", json={"query": aliases},
                                             headers=await _bearer(sqlite_harness))).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "alias" in body["errors"][0]["message"].lower()
    assert "data" not in body or body["data"] is None


async def test_depth_limit_rejects_deep_queries(tmp_path: Path) -> None:
    hub = await open_hub(make_settings(tmp_path, graphql_max_depth=1))
    try:
        await seed_parties(hub.sessions, datetime.now(UTC))
        async with hub.sessions() as session:
            secret = {c["client_id"]: c for c in await demo_clients(session)}["demo-cbp-analyst"]["client_secret"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(hub)), base_url=ISSUER) as c:
            token = (await c.post("/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=("demo-cbp-analyst", secret))).json()["access_token"]
            body = (await c.post("/graphql", json={"query": "{ viewer { organization { name } } }"},
                                 headers={"Authorization": f"Bearer {token}"})).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "depth" in body["errors"][0]["message"].lower()
    finally:
        await hub.close()


async def test_internal_errors_are_masked_and_coded(
    sqlite_harness: HubHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(*_args: object) -> None:
        raise RuntimeError("secret internals: /etc/passwd")

    monkeypatch.setattr("hub.graphql.resolvers.parties.organizations", boom)
    body = (await sqlite_harness.client.post("/graphql", json={"query": "{ organizations { edges { cursor } } }"},
                                             headers=await _bearer(sqlite_harness))).json()
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in str(body)


async def test_graphiql_is_served_only_in_demo_mode(sqlite_harness: HubHarness, tmp_path: Path) -> None:
    page = await sqlite_harness.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    settings = make_settings(tmp_path)
    settings.demo = False
    hub = await open_hub(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(hub)), base_url=ISSUER) as c:
            closed = await c.get("/graphql", headers={"Accept": "text/html"})
        assert closed.status_code == 401
    finally:
        await hub.close()
