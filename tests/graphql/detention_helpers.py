"""Helpers shared by the detention API tests: queries, case lookup, mutations, multipart uploads, row counts."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import SQLModel, col, select
from starlette.datastructures import UploadFile

from hub.db.ipr_tables import Detention
from hub.graphql.relay import to_global_id
from hub.images.demo_photos import DemoProduct, demo_photo
from tests.conftest import HubHarness

OFFICER = "demo-cbp-officer"
ANALYST = "demo-cbp-analyst"
ACME = "demo-importer-acme"
HARBOR = "demo-importer-harbor"
COASTLINE = "demo-broker-coastline"
NORTHWIND = "demo-ipowner-northwind"
VERTEX = "demo-ipowner-vertex"
SURETY = "demo-surety-liberty"
PGAS = ("demo-pga-commerce", "demo-pga-dol")
EVERY_DEMO_CLIENT = (OFFICER, ANALYST, "demo-cbp-admin", ACME, HARBOR, COASTLINE, NORTHWIND, VERTEX, SURETY, *PGAS)

# Every contract field of issue 3 ("Contract"), plus caseNumber to tell the cases apart.
DETENTION_FIELDS = """
  id caseNumber status track portCode presentedAt noticeOfDetentionSentAt importerResponseDueAt
  importerResponseOutcome limitedInfoReleasedAt unredactedReleasedAt seizedAt lawEnforcementHold
  dateOfImportation description quantity countryOfOrigin entryNumber
  importer { organization { id } name address }
  manufacturer { name address }
  exporter { name address }
  recordations { number owner { id } }
  images { id variant url }
  disclosure { visible { item ruleIds } withheld { item ruleIds } nextDisclosureAt nextDisclosure }
"""

DETENTION = f"query($id: ID!) {{ detention(id: $id) {{ {DETENTION_FIELDS} }} }}"
PAGE = ("query($first: Int, $after: String) { detentions(first: $first, after: $after) { "
        f"edges {{ node {{ {DETENTION_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}")


_TOKENS: dict[tuple[str, str], tuple[float, str]] = {}


async def bearer(harness: HubHarness, client_id: str) -> dict[str, str]:
    """A bearer header for the client, reusing a token for a few minutes (token TTL is 10 minutes)."""
    key = (str(harness.hub.settings.data_dir), client_id)
    hit = _TOKENS.get(key)
    if hit is None or time.monotonic() - hit[0] > 240:
        hit = _TOKENS[key] = (time.monotonic(), await harness.token(client_id))
    return {"Authorization": f"Bearer {hit[1]}"}


async def gql(harness: HubHarness, client_id: str, query: str, variables: dict[str, Any] | None = None,
              ) -> dict[str, Any]:
    response = await harness.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                         headers=await bearer(harness, client_id))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def code(body: dict[str, Any]) -> str:
    """The stable error code of the first error (fails loudly when there is none)."""
    assert body.get("errors"), f"expected an error, got {body}"
    return str(body["errors"][0]["extensions"]["code"])


def gid(pk: str) -> str:
    return to_global_id("Detention", pk)


def org_gid(harness: HubHarness, client_id: str) -> str:
    return to_global_id("Organization", harness.demo[client_id]["organization_id"])


def new_case_number(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12].upper()}"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def pk_of(harness: HubHarness, case_number: str) -> str:
    async with harness.hub.sessions() as session:
        row = (await session.exec(select(Detention).where(col(Detention.case_number) == case_number))).one()
    return row.id


async def row_of(harness: HubHarness, case_number: str) -> Detention | None:
    async with harness.hub.sessions() as session:
        return (await session.exec(select(Detention).where(col(Detention.case_number) == case_number))).first()


async def count_rows(harness: HubHarness, model: type[SQLModel]) -> int:
    async with harness.hub.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def detention(harness: HubHarness, client_id: str, case_number: str) -> dict[str, Any] | None:
    body = await gql(harness, client_id, DETENTION, {"id": gid(await pk_of(harness, case_number))})
    assert "errors" not in body, body
    node: dict[str, Any] | None = body["data"]["detention"]
    return node


async def all_detentions(harness: HubHarness, client_id: str, first: int = 7) -> dict[str, dict[str, Any]]:
    """Every detention the client can list, walking the pages; by case number."""
    seen: dict[str, dict[str, Any]] = {}
    after = None
    for _ in range(100):
        body = await gql(harness, client_id, PAGE, {"first": first, "after": after})
        assert "errors" not in body, body
        page = body["data"]["detentions"]
        for edge in page["edges"]:
            assert edge["node"]["caseNumber"] not in seen, "a case appeared on two pages"
            seen[edge["node"]["caseNumber"]] = edge["node"]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


def demo_cases(cases: dict[str, dict[str, Any]]) -> set[str]:
    """Only the seeded demo cases: other tests add their own cases to the shared harness."""
    return {n for n in cases if n.startswith("DEMO-")}


def record_input(harness: HubHarness, case_number: str, **overrides: Any) -> dict[str, Any]:
    presented = overrides.pop("presented_at", days_ago(0.1))
    spec = {
        "caseNumber": case_number, "regime": "COUNTERFEIT_TRADEMARK", "conveyance": "CARGO", "portCode": "2704",
        "importerId": org_gid(harness, ACME), "manufacturerName": "Test Mfg Co.",
        "manufacturerAddress": "1 Factory Rd, Ningbo, CN", "exporterName": "Test Export Co.",
        "exporterAddress": "2 Port Rd, Ningbo, CN",
        "dateOfImportation": (presented - timedelta(days=1)).date().isoformat(),
        "description": "athletic apparel bearing NORTHWIND marks", "quantity": 240, "countryOfOrigin": "CN",
        "presentedAt": iso(presented), "recordationNumbers": ["TMK 21-00412"], "entryNumber": "CZ4-6110316-8",
        "declaredValue": "18500.00",
    }
    spec.update(overrides)
    return spec


RECORD = f"mutation($input: RecordDetentionInput!) {{ recordDetention(input: $input) {{ {DETENTION_FIELDS} }} }}"


async def record(harness: HubHarness, case_number: str | None = None, **overrides: Any) -> dict[str, Any]:
    body = await gql(harness, OFFICER, RECORD, {"input": record_input(harness, case_number or new_case_number(),
                                                                          **overrides)})
    assert "errors" not in body, body
    node: dict[str, Any] = body["data"]["recordDetention"]
    return node


async def step(harness: HubHarness, mutation: str, detention_id: str, client_id: str = OFFICER,
               at: datetime | None = None, extra: str = "", **variables: Any) -> dict[str, Any]:
    """Run one ``mutation(id:, at:)`` step; returns the whole response body."""
    args = "$id: ID!, $at: DateTime" + "".join(f", ${k}: {t}" for k, t in _types(variables).items())
    call = "id: $id, at: $at" + "".join(f", {k}: ${k}" for k in variables)
    query = f"mutation({args}) {{ {mutation}({call}) {{ {DETENTION_FIELDS} {extra} }} }}"
    return await gql(harness, client_id, query, {"id": detention_id, "at": iso(at) if at else None, **variables})


def _types(variables: dict[str, Any]) -> dict[str, str]:
    known = {"finding": "Finding!", "noticeOfSeizureAt": "DateTime", "description": "String", "quantity": "Int"}
    return {k: known[k] for k in variables}


# Upload files the endpoint left open after answering (see test_multipart_request_closes_its_upload_files).
# The helper closes them itself, so that one known bug fails one test and not, via the ResourceWarning of a
# later garbage collection, whichever test happens to run then.
LEAKED_UPLOAD_FILES: list[str] = []


async def multipart(harness: HubHarness, client_id: str, query: str, variables: dict[str, Any],
                    files: dict[str, tuple[str, bytes, str]]) -> tuple[int, dict[str, Any]]:
    """A GraphQL multipart request (spec: operations + map + one form part per file path)."""
    paths = {str(i): [path] for i, path in enumerate(files)}
    parts = {str(i): spec for i, spec in enumerate(files.values())}
    app = harness.client._transport.app  # type: ignore[attr-defined]  # the Hub's ASGI app
    scopes: list[dict[str, Any]] = []

    async def capture(scope: Any, receive: Any, send: Any) -> None:
        scopes.append(scope)
        await app(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=capture), base_url=harness.client.base_url) as c:
        response = await c.post(
            "/graphql",
            data={"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(paths)},
            files=parts,
            headers=await bearer(harness, client_id),
        )
    for scope in scopes:
        context = scope.get("state", {}).get("hub_context")
        form = getattr(getattr(context, "request", None), "_form", None)
        for _, value in form.multi_items() if form is not None else []:
            if isinstance(value, UploadFile) and not value.file.closed:
                LEAKED_UPLOAD_FILES.append(str(value.filename))
                await value.close()
    return response.status_code, response.json()


def pdf() -> bytes:
    """A minimal one-page PDF, unique per call (so its content-addressed object is this test's own)."""
    return (b"%PDF-1.4\n% " + uuid.uuid4().hex.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj"
            b"<</Type/Pages/Count 1/Kids[3 0 R]>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>"
            b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


UPLOAD_IMAGE = """mutation($id: ID!, $file: Upload!, $regions: [RegionInput!]!) {
  uploadDetentionImage(detentionId: $id, file: $file, regions: $regions) { images { id variant url } } }"""


def photo_regions(seed: int) -> tuple[bytes, list[dict[str, Any]]]:
    photo = demo_photo(DemoProduct.APPAREL_TAG, seed=seed)
    regions = [{"x": r.x, "y": r.y, "width": r.width, "height": r.height, "label": r.label.value}
               for r in photo.regions]
    return photo.data, regions


async def upload_photo(harness: HubHarness, node_id: str, data: bytes | None = None,
                       regions: list[dict[str, Any]] | None = None, filename: str = "photo.png",
                       client_id: str = OFFICER) -> tuple[int, dict[str, Any]]:
    """CBP uploads a photo (a fresh demo photo with its redaction regions unless ``data`` is given)."""
    if data is None:
        data, regions = photo_regions(uuid.uuid4().int % 1_000_000)
    return await multipart(harness, client_id, UPLOAD_IMAGE, {"id": node_id, "file": None, "regions": regions or []},
                           {"variables.file": (filename, data, "image/png")})
