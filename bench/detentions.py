"""IPR detentions: what the policy layer costs on a page of 100, and how images stream.

    python -m bench.detentions [--rows 100] [--rounds 15] [--image-mb 50]

1. A page of 100 detentions with images, parties, recordations and disclosure, queried by an IP owner
   through the whole ASGI app in-process, twice per round: as shipped, and with the policy checks
   bypassed (field guards and decisions patched to "allow", no audit). Prints the median of each and
   their ratio (goal: <= 1.30), plus the SQL statements per request.
2. A 50 MB image object fetched through a running Hub (`hub serve --demo`, one uvicorn worker) with a
   principal-bound URL, beside a direct read of the same object from the store in the same run: prints
   both throughputs and the worker's RSS growth during the fetch (goal: < 10 MB).
Everything is on 127.0.0.1 and bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import select

from bench.http import free_port, rss_kib, start, stop, wait_ready, worker_pid
from hub.app import create_app
from hub.db.ipr_tables import DetentionImage
from hub.db.session import count_statements, transaction
from hub.graphql import guard
from hub.graphql.context import HubContext
from hub.images.demo_photos import DemoProduct, demo_photo
from hub.policy.engine import Decision
from hub.runtime import Hub, open_hub
from hub.services import detention_images, detentions
from hub.services.demo import demo_clients, seed_parties
from hub.services.parties import organization_by_ref
from hub.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OWNER = "demo-ipowner-northwind"
IMPORTER = "demo-importer-acme"
PAGE = """query Page($first: Int!) { detentions(first: $first) { edges { node {
  id caseNumber status track portCode presentedAt noticeOfDetentionSentAt importerResponseDueAt
  importerResponseOutcome description quantity countryOfOrigin entryNumber
  importer { name address } manufacturer { name address } exporter { name address }
  recordations { number owner { id } } images { id variant url }
  disclosure { visible { item } withheld { item ruleIds } nextDisclosureAt } } } } }"""


async def _fill(hub: Hub, rows: int, now: datetime) -> None:
    """``rows`` detentions naming one NORTHWIND recordation, half seized (parties visible, audited)."""
    photo = demo_photo(DemoProduct.APPAREL_TAG, seed=7)
    async with transaction(hub.sessions) as session:
        importer = await organization_by_ref(session, "acme-home")
        for i in range(rows):
            presented = now - timedelta(days=20, minutes=i)
            row = await detentions.record_detention(session, detentions.NewDetention(
                case_number=f"BENCH-{i:05d}", regime="COUNTERFEIT_TRADEMARK", conveyance="CARGO", port_code="2704",
                importer_org_id=importer.id, manufacturer_name="Maker Co.", manufacturer_address="1 Road, CN",
                exporter_name="Exporter Co.", exporter_address="2 Road, CN", date_of_importation=presented.date(),
                description="apparel", quantity=10 + i, country_of_origin="CN", presented_at=presented,
                recordation_numbers=["TMK 21-00412"]), now, "bench", hub.settings.expedited_value_threshold)
            await detention_images.add_image(session, hub.store, row, photo.data, photo.regions, now, "bench",
                                             max_bytes=20 << 20, max_pixels=50_000_000)
            steps = [("DETAINED", 19.9), ("NOTICE_SENT", 19)] + ([("SEIZED", 5)] if i % 2 else [])
            for step, days in steps:
                await detentions.cbp_step(session, row.id, step, now - timedelta(days=days), now, "bench",
                                          hub.calendar, seizure_notice_at=now - timedelta(days=4.9)
                                          if step == "SEIZED" else None)


class _Bypass:
    """Patches the policy layer to allow everything, without Cedar and without audit."""

    def __enter__(self) -> None:
        self.saved = (guard.Guard._allowed, HubContext.decide, HubContext.allowed)
        allow = Decision(True, ("BYPASS",), "bypass")
        guard.Guard._allowed = lambda self, source, info: True  # type: ignore[method-assign]
        HubContext.decide = lambda self, action, subject: allow  # type: ignore[method-assign]
        HubContext.allowed = lambda self, action, subject: True  # type: ignore[method-assign]

    def __exit__(self, *exc: object) -> None:
        guard.Guard._allowed, HubContext.decide, HubContext.allowed = self.saved  # type: ignore[method-assign]


async def policy_overhead(rows: int, rounds: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="hub-bench-det-"))
    hub = await open_hub(Settings(data_dir=data, demo=True, issuer="https://hub.bench"))
    now = datetime.now(UTC)
    await seed_parties(hub.sessions, now)
    print(f"filling {rows} detentions with images ...", flush=True)
    await _fill(hub, rows, now)
    async with hub.sessions() as session:
        secret = {c["client_id"]: c for c in await demo_clients(session)}[OWNER]["client_secret"]
    statements = count_statements(hub.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(hub)), base_url="https://hub.bench") as c:
        token = (await c.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(OWNER, secret))).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {"query": PAGE, "variables": {"first": rows}}

        async def once() -> float:
            start = time.perf_counter()
            response = await c.post("/graphql", json=body, headers=headers)
            elapsed = time.perf_counter() - start
            payload = response.json()
            assert response.status_code == 200 and "errors" not in payload, payload
            assert len(payload["data"]["detentions"]["edges"]) == rows
            return elapsed

        await once()
        with _Bypass():
            await once()
        before = len(statements)
        await once()
        per_request = len(statements) - before
        policy, bypass = [], []
        for _ in range(rounds):
            policy.append(await once())
            with _Bypass():
                bypass.append(await once())
    await hub.close()
    p, b = statistics.median(policy), statistics.median(bypass)
    print(f"page of {rows} detentions as an IP owner ({rounds} rounds, medians):")
    print(f"  with policy     {p * 1000:8.1f} ms   ({per_request} SQL statements per request)")
    print(f"  policy bypassed {b * 1000:8.1f} ms")
    print(f"  ratio policy/bypassed = {p / b:.2f} (goal <= 1.30)")


async def _prepare_image(data: Path, megabytes: int) -> tuple[str, str, int, float]:
    """A demo store with one detention whose unredacted image is a ``megabytes`` object."""
    hub = await open_hub(Settings(data_dir=data, demo=True))
    try:
        now = datetime.now(UTC)
        await seed_parties(hub.sessions, now)
        await _fill(hub, 1, now)
        blob = os.urandom(1 << 20) * megabytes  # the endpoint streams bytes; their content does not matter
        key = "images/original/sha256/be/" + "be" * 32
        await hub.store.put(key, blob, content_type="image/png", length=len(blob))
        async with transaction(hub.sessions) as session:
            image = (await session.exec(select(DetentionImage))).one()
            image.original_key, image.original_digest, image.original_size = key, "be" * 32, len(blob)
            session.add(image)
            image_id = image.id
        async with hub.sessions() as session:
            secret = {c["client_id"]: c for c in await demo_clients(session)}[IMPORTER]["client_secret"]
        start = time.perf_counter()
        async with await hub.store.get(key) as stream:
            size = sum([len(chunk) async for chunk in stream])
        return image_id, secret, size, time.perf_counter() - start
    finally:
        await hub.close()


async def _fetch(data: Path, port: int, pid: int, image_id: str, secret: str) -> tuple[int, float, int, int]:
    base = f"http://127.0.0.1:{port}"
    signer = await open_hub(Settings(data_dir=data, demo=True, issuer=base), apply_migrations=False)
    url = signer.file_urls.url(IMPORTER, image_id, "UNREDACTED", datetime.now(UTC))
    await signer.close()
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        token = (await c.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(IMPORTER, secret))).json()["access_token"]
        before = peak = rss_kib(pid)
        fetched = 0
        start = time.perf_counter()
        async with c.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status_code == 200, response.status_code
            async for chunk in response.aiter_raw():
                fetched += len(chunk)
                peak = max(peak, rss_kib(pid))
        return fetched, time.perf_counter() - start, before, peak


def image_streaming(megabytes: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="hub-bench-img-"))
    image_id, secret, size, direct_s = asyncio.run(_prepare_image(data, megabytes))
    port = free_port()
    log = data / "server.log"
    server = start([sys.executable, "-m", "hub.cli", "serve", "--demo", "--data-dir", str(data), "--port", str(port)],
                   log)
    try:
        wait_ready(server, port, log)
        fetched, hub_s, before, peak = asyncio.run(_fetch(data, port, worker_pid(server.pid), image_id, secret))
    finally:
        stop(server)
    assert fetched == size
    mb = size / 1e6
    print(f"{mb:.0f} MB image: via the Hub {mb / hub_s:8.1f} MB/s, direct from the store {mb / direct_s:8.1f} MB/s"
          f" (Hub/direct = {direct_s / hub_s:.2f})")
    print(f"  worker RSS during the fetch: +{(peak - before) / 1024:.1f} MB (goal < 10 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--image-mb", type=int, default=50)
    args = parser.parse_args()
    print(f"bench.detentions on {os.cpu_count()} cores; client and server share them")
    asyncio.run(policy_overhead(args.rows, args.rounds))
    image_streaming(args.image_mb)


if __name__ == "__main__":
    main()
