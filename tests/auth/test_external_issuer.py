"""Access tokens from a trusted external IdP (an agency's own): accepted only as configured and mapped.

The organization map needs the Hub id of DOL-ILAB, made at seed time: the store is seeded by one Hub,
which is closed, and then re-opened with the trusted issuer configured (same data dir).
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey

from hub.app import create_app
from hub.errors import HubError
from hub.runtime import Hub, open_hub
from hub.services.demo import demo_clients, seed_parties
from hub.settings import TrustedIssuer
from tests.auth.jwt_factory import HUB_AUDIENCE, at_header, compact, new_ec_key, public_jwks
from tests.conftest import ISSUER, make_settings

IDP = "https://idp.dol.example"
QUERY = {"query": "{ viewer { clientId roles organization { name kind } } }"}
DOL_NAME = "Department of Labor, Bureau of International Labor Affairs"


@dataclass
class ExternalHub:
    hub: Hub
    client: httpx.AsyncClient
    idp_key: ECKey
    dol_org_id: str
    demo: dict[str, dict[str, Any]]


def _trusted(jwks: dict[str, Any], org_map: dict[str, str]) -> TrustedIssuer:
    return TrustedIssuer(issuer=IDP, audience=HUB_AUDIENCE, jwks=jwks, organization_claim="agency",
                         roles_claim="groups", organization_map=org_map)


@pytest.fixture(scope="module")
async def external(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ExternalHub]:
    data_dir = tmp_path_factory.mktemp("hub-external")
    seeding = await open_hub(make_settings(data_dir))
    try:
        await seed_parties(seeding.sessions, datetime.now(UTC))
        async with seeding.sessions() as session:
            demo = {c["client_id"]: c for c in await demo_clients(session)}
    finally:
        await seeding.close()
    dol_org_id = demo["demo-pga-dol"]["organization_id"]
    idp_key = new_ec_key()
    hub = await open_hub(make_settings(data_dir, trusted_issuers=[
        _trusted(public_jwks(idp_key), {"DOL-ILAB": dol_org_id})]))
    transport = httpx.ASGITransport(app=create_app(hub), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield ExternalHub(hub, client, idp_key, dol_org_id, demo)
    await hub.close()


def _idp_claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": IDP, "aud": HUB_AUDIENCE, "sub": "dol-ilab-analyst-7", "iat": now,
                              "exp": now + 300, "jti": uuid.uuid4().hex, "agency": "DOL-ILAB",
                              "groups": ["agency"]}
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def _idp_token(ext: ExternalHub, header: dict[str, Any] | None = None, key: ECKey | None = None,
               **claims: Any) -> str:
    signer = key or ext.idp_key
    return compact(header or at_header(signer.kid), _idp_claims(**claims), signer)


async def _viewer(ext: ExternalHub, token: str) -> httpx.Response:
    return await ext.client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})


def _assert_rejected(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer realm="hub", error="invalid_token"')
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    assert "Traceback" not in response.text


async def test_external_token_is_accepted_with_mapped_org_and_roles(external: ExternalHub) -> None:
    response = await _viewer(external, _idp_token(external))
    assert response.status_code == 200, response.text
    viewer = response.json()["data"]["viewer"]
    assert viewer["clientId"] == "dol-ilab-analyst-7"
    assert viewer["roles"] == ["agency"]
    assert viewer["organization"] == {"name": DOL_NAME, "kind": "PGA"}


async def test_external_roles_as_space_separated_string(external: ExternalHub) -> None:
    response = await _viewer(external, _idp_token(external, groups="agency analyst"))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["roles"] == ["agency", "analyst"]


async def test_external_token_cannot_choose_its_hub_org_or_kind(external: ExternalHub) -> None:
    # Hub claims in an external token are ignored: the org comes from the map, the kind from the Hub.
    cbp_org = external.demo["demo-cbp-admin"]["organization_id"]
    token = _idp_token(external, org=cbp_org, org_kind="CBP", roles=["hub-admin"])
    response = await _viewer(external, token)
    assert response.status_code == 200, response.text
    viewer = response.json()["data"]["viewer"]
    assert viewer["organization"] == {"name": DOL_NAME, "kind": "PGA"}
    assert viewer["roles"] == ["agency"]


async def test_hub_tokens_still_work_beside_the_external_issuer(external: ExternalHub) -> None:
    demo = external.demo["demo-broker-coastline"]
    issued = await external.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                        auth=("demo-broker-coastline", demo["client_secret"]))
    assert issued.status_code == 200, issued.text
    response = await _viewer(external, issued.json()["access_token"])
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["organization"]["kind"] == "BROKER"


async def test_unmapped_agency_is_401(external: ExternalHub) -> None:
    _assert_rejected(await _viewer(external, _idp_token(external, agency="DOL-WHD")))


async def test_missing_agency_claim_is_401(external: ExternalHub) -> None:
    _assert_rejected(await _viewer(external, _idp_token(external, agency=None)))


@pytest.mark.parametrize("issuer", ["https://idp.evil.example", "https://idp.dol.example.evil", "http://idp.dol.example"])
async def test_same_token_with_another_issuer_is_401(external: ExternalHub, issuer: str) -> None:
    _assert_rejected(await _viewer(external, _idp_token(external, iss=issuer)))


async def test_idp_cannot_mint_hub_tokens(external: ExternalHub) -> None:
    # Signed by the IdP key but claiming the Hub as issuer: the Hub's own keys do not verify it.
    token = _idp_token(external, iss=ISSUER, org=external.dol_org_id, org_kind="CBP", roles=["hub-admin"])
    _assert_rejected(await _viewer(external, token))


async def test_hub_key_cannot_mint_external_tokens(external: ExternalHub) -> None:
    _assert_rejected(await _viewer(external, _idp_token(external, key=external.hub.keys.private)))


@pytest.mark.parametrize("case", ["wrong-audience", "expired", "typ-JWT", "other-key-same-kid", "alg-none",
                                  "hs256-idp-public-key"])
async def test_bad_external_token_is_401(external: ExternalHub, case: str) -> None:
    kid = str(external.idp_key.kid)
    if case == "wrong-audience":
        token = _idp_token(external, aud="urn:dol:internal")
    elif case == "expired":
        token = _idp_token(external, iat=int(time.time()) - 3600, exp=int(time.time()) - 1800)
    elif case == "typ-JWT":
        token = _idp_token(external, {"alg": "ES256", "typ": "JWT", "kid": kid})
    elif case == "other-key-same-kid":
        token = compact(at_header(kid), _idp_claims(), new_ec_key())
    elif case == "alg-none":
        token = compact({"alg": "none", "typ": "at+jwt", "kid": kid}, _idp_claims())
    else:
        secret = external.idp_key.as_pem(private=False)
        token = compact({"alg": "HS256", "typ": "at+jwt", "kid": kid}, _idp_claims(), hmac_secret=secret)
    _assert_rejected(await _viewer(external, token))


@pytest.mark.parametrize("claims", [{"groups": 5}, {"groups": {"agency": True}}, {"exp": 10**20}],
                         ids=["groups-number", "groups-object", "exp-year-3e12"])
async def test_odd_claims_from_trusted_idp_never_crash(external: ExternalHub, claims: dict[str, Any]) -> None:
    # A trusted IdP is still outside the Hub: claims of an unexpected shape are a 401, never a 500.
    _assert_rejected(await _viewer(external, _idp_token(external, **claims)))


async def test_open_hub_refuses_a_map_to_an_unknown_organization(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_issuers=[
        _trusted(public_jwks(new_ec_key()), {"DOL-ILAB": "0" * 32})])
    with pytest.raises(HubError) as raised:
        hub = await open_hub(settings)
        await hub.close()
    assert raised.value.code == "UNKNOWN_MAPPED_ORGANIZATION"
    gc.collect()  # an engine left open by the failed start would warn here, in this test
