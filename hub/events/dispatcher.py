"""Fan-out of outbox events to webhook deliveries, and their delivery (Standard Webhooks).

At-least-once: a delivery row is claimed under a lease, posted, then marked in a later transaction
(hub/events/outcomes.py, batched with other attempts that ended meanwhile).
A worker that dies between the POST and the mark leaves the lease to expire; the row is posted again
with the same ``webhook-id`` (its id), which receivers use to de-duplicate.

Several workers may run at once. Fan-out claims events with FOR UPDATE SKIP LOCKED on PostgreSQL, and
the unique (endpoint_id, event_id) constraint with ON CONFLICT DO NOTHING makes a second fan-out of the
same event a no-op on either database. Deliveries are claimed with FOR UPDATE SKIP LOCKED on
PostgreSQL; on SQLite the claiming UPDATE re-checks "due and not leased" under the database's write
lock, so of two workers only one gets each row. Every later write to a claimed row is conditional on
still holding its lease, so a worker whose lease lapsed cannot overwrite a newer outcome.

What a delivery carries is decided when it is sent (issue 4 "Policy on delivery"): the payload is
rendered for the endpoint's principal at that instant (hub.events.payload), and an endpoint whose
principal may not read the object gets nothing (SKIPPED, e.g. a surety and a detention, R-IPR-14).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from hub.db.audit_tables import DisclosureChannel
from hub.db.event_tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from hub.db.session import transaction
from hub.db.tables import OAuthClient, Organization, new_id
from hub.errors import HubError
from hub.events.outcomes import Outcome, OutcomeWriter
from hub.events.payload import endpoint_principal, render
from hub.events.secrets import SecretBox, sign
from hub.events.webhooks import DELIVERED, PENDING, RETRYING, SKIPPED, destination_problem
from hub.logs import request_id
from hub.runtime import Hub

log = logging.getLogger("hub.events")

Clock = Callable[[], datetime]
DUE = (PENDING, RETRYING)
_D = WebhookDelivery
USER_AGENT = "cbp-hub-webhooks/1"
MAX_ANSWER_BYTES = 64 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


def _is_postgres(hub: Hub) -> bool:
    return hub.engine.dialect.name == "postgresql"


async def fan_out(hub: Hub, now: datetime, limit: int = 500) -> int:
    """One batch of not-yet-fanned-out events, in commit (seq) order; returns how many were taken."""
    async with transaction(hub.sessions) as session:
        query = (select(OutboxEvent).where(col(OutboxEvent.fanned_out).is_(False))
                 .order_by(col(OutboxEvent.seq)).limit(limit))
        if _is_postgres(hub):
            query = query.with_for_update(skip_locked=True)
        events = list((await session.exec(query)).all())
        if not events:
            return 0
        endpoints = (await session.exec(select(WebhookEndpoint)
                                        .where(col(WebhookEndpoint.disabled_at).is_(None)))).all()
        # Every subscribed endpoint gets a row; whether it may see the object is decided at delivery.
        rows = [{"id": new_id(), "endpoint_id": ep.id, "event_id": ev.id, "status": PENDING, "attempts": 0,
                 "created_at": now, "next_attempt_at": now, "attempts_log": []}
                for ev in events for ep in endpoints if ev.type in ep.event_types]
        connection = await session.connection()
        if rows:
            dialect = postgresql if _is_postgres(hub) else sqlite
            await connection.execute(dialect.insert(_D).on_conflict_do_nothing(), rows)
        await connection.execute(update(OutboxEvent).where(col(OutboxEvent.seq).in_([e.seq for e in events]))
                                 .values(fanned_out=True))
    return len(events)


async def fan_out_all(hub: Hub, now: datetime) -> int:
    total = 0
    while taken := await fan_out(hub, now):
        total += taken
    return total


@dataclass
class Job:
    """A claimed delivery with everything needed to send it."""

    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    event: OutboxEvent
    org_kind: str
    client_roles: list[str] | None  # None: the registering client is gone or revoked


def _due(now: datetime, cutoff: datetime) -> list[Any]:
    return [col(_D.status).in_(DUE), col(_D.next_attempt_at) <= cutoff,
            or_(col(_D.leased_until).is_(None), col(_D.leased_until) < now)]


class Dispatcher:
    """Claims due deliveries and sends them concurrently, never waiting on one receiver to start another."""

    def __init__(self, hub: Hub, owner: str | None = None, now: Clock = utc_now,
                 transport: httpx.AsyncBaseTransport | None = None,
                 jitter: Callable[[float], float] | None = None) -> None:
        settings = hub.settings
        self.hub = hub
        self.owner = (owner or f"{socket.gethostname()}:{new_id()[:12]}")[:64]
        self.now = now
        self.box = SecretBox(hub.keys)
        self.capacity = settings.webhook_concurrency
        self.per_endpoint = settings.webhook_endpoint_concurrency
        # The lease must outlive the slowest attempt, or a second worker would post while we wait.
        self.lease = timedelta(seconds=max(settings.webhook_lease_seconds, 2 * settings.webhook_timeout_seconds + 5))
        rng = random.SystemRandom()
        self.writer = OutcomeWriter(hub, self.owner, jitter or (lambda ceiling: rng.uniform(0, ceiling)))
        self.client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, transport=transport,
            limits=httpx.Limits(max_connections=self.capacity), headers={"user-agent": USER_AGENT})
        self.inflight: dict[str, asyncio.Task[None]] = {}
        self.busy: Counter[str] = Counter()  # in-flight deliveries per endpoint
        # Set when a delivery ends while due rows are waiting for a slot: the worker claims again at once
        # (otherwise a freed slot waits for the next poll or NOTIFY, and no claim query runs in vain).
        self.finished = asyncio.Event()
        self.more = False

    async def claim(self, cutoff: datetime | None = None) -> list[Job]:
        free = self.capacity - len(self.inflight)
        if free <= 0:
            self.more = True
            return []
        now = self.now()
        cutoff = cutoff or now
        async with transaction(self.hub.sessions) as session:
            connection = await session.connection()
            query = select(_D.id, _D.endpoint_id).where(*_due(now, cutoff)).order_by(col(_D.next_attempt_at))
            query = query.limit(free * 4)
            if _is_postgres(self.hub):
                query = query.with_for_update(skip_locked=True)
            candidates = (await connection.execute(query)).all()
            chosen: list[str] = []
            per = Counter(self.busy)
            for delivery_id, endpoint_id in candidates:
                # A cap per endpoint: a slow receiver's backlog cannot take every slot from the others.
                if per[endpoint_id] < self.per_endpoint and len(chosen) < free:
                    per[endpoint_id] += 1
                    chosen.append(delivery_id)
            # Due rows were left (slots or per-endpoint caps were full): claim again when a slot frees.
            self.more = len(candidates) > len(chosen)
            if not chosen:
                return []
            claim = (update(_D).where(col(_D.id).in_(chosen), *_due(now, cutoff))
                     .values(lease_owner=self.owner, leased_until=now + self.lease).returning(col(_D.id)))
            claimed = [r[0] for r in (await connection.execute(claim)).all()]
        return await self._load(claimed)

    async def _load(self, ids: list[str]) -> list[Job]:
        if not ids:
            return []
        query = (select(_D, WebhookEndpoint, OutboxEvent, Organization)
                 .join(WebhookEndpoint, col(WebhookEndpoint.id) == _D.endpoint_id)
                 .join(OutboxEvent, col(OutboxEvent.id) == _D.event_id)
                 .join(Organization, col(Organization.id) == WebhookEndpoint.organization_id)
                 .where(col(_D.id).in_(ids)))
        async with self.hub.sessions() as session:
            rows = (await session.exec(query)).all()
            creators = {ep.created_by for _, ep, _, _ in rows}
            clients = {c.client_id: c for c in (await session.exec(
                select(OAuthClient).where(col(OAuthClient.client_id).in_(creators)))).all()}
        jobs = []
        for d, ep, ev, org in rows:
            client = clients.get(ep.created_by)
            roles = None if client is None or client.revoked_at is not None else list(client.roles)
            jobs.append(Job(d, ep, ev, org.kind.value, roles))
        return jobs

    def start(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.busy[job.endpoint.id] += 1
            task = asyncio.create_task(self._run(job), name=f"webhook-{job.delivery.id}")
            self.inflight[job.delivery.id] = task

    async def pump(self, cutoff: datetime | None = None) -> int:
        """Claim what fits in the free slots and start it; returns how many were started."""
        jobs = await self.claim(cutoff)
        self.start(jobs)
        return len(jobs)

    async def run_due(self) -> int:
        """Deliver everything due now, waiting for each attempt (``hub worker --once``, tests)."""
        cutoff = self.now()
        started = await self.pump(cutoff)
        while self.inflight:
            await asyncio.wait(list(self.inflight.values()), return_when=asyncio.FIRST_COMPLETED)
            if self.more:
                started += await self.pump(cutoff)
        return started

    async def _run(self, job: Job) -> None:
        token = request_id.set(job.delivery.id)  # log lines and audit entries name the webhook-id
        try:
            now = self.now()
            outcome = await self.attempt(job, now)
            await self.finish(job, outcome, now)
        except Exception:
            # The lease runs out and the row is tried again (the webhook-id does not change).
            log.exception("webhook delivery failed unexpectedly", extra={"event": "webhook.error"})
        finally:
            request_id.reset(token)
            self.inflight.pop(job.delivery.id, None)
            self.busy[job.endpoint.id] -= 1
            if self.more:
                self.finished.set()

    async def attempt(self, job: Job, now: datetime) -> Outcome:
        endpoint, settings = job.endpoint, self.hub.settings
        if endpoint.disabled_at is not None:
            return Outcome(SKIPPED, error="endpoint disabled")
        if job.client_roles is None:
            return Outcome(SKIPPED, error="the client that registered the endpoint is revoked")
        # Never more than the registering client could read now: its roles then, less any it lost since.
        roles = sorted(set(endpoint.roles) & set(job.client_roles))
        principal = endpoint_principal(endpoint.created_by, endpoint.organization_id, job.org_kind, roles)
        try:
            rendered = await render(self.hub, principal, job.event, now, DisclosureChannel.WEBHOOK)
        except Exception as exc:
            log.exception("webhook payload failed", extra={"event": "webhook.payload_error"})
            return Outcome(RETRYING, error=f"payload: {type(exc).__name__}")
        if rendered is None:
            return Outcome(SKIPPED, error="the endpoint's organization may not read the object at delivery time")
        problem = await destination_problem(endpoint.url, allow_private=settings.webhook_private_networks_allowed)
        if problem is not None:
            return Outcome(RETRYING, error=problem)
        try:
            secret = self.box.decrypt(endpoint.secret_ciphertext)
        except HubError as exc:  # the signing key changed: counted as failed attempts, ends as a dead letter
            return Outcome(RETRYING, error=exc.message)
        body = orjson.dumps(rendered.payload)
        timestamp = int(now.timestamp())
        headers = {"content-type": "application/json", "webhook-id": job.delivery.id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign(secret, job.delivery.id, timestamp, body)}
        try:
            # One deadline for the whole exchange: httpx's timeouts are per read, and a receiver
            # dripping its answer byte by byte must not hold the slot (or outlive the lease).
            async with asyncio.timeout(settings.webhook_timeout_seconds + 5), \
                    self.client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                code = response.status_code
                location = response.headers.get("location", "")
                # A short answer is read so the connection can be reused; a long one is cut off (the
                # connection is then closed): a receiver cannot make the Hub download much.
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read > MAX_ANSWER_BYTES:
                        break
        except (httpx.HTTPError, TimeoutError) as exc:
            return Outcome(RETRYING, error=f"{type(exc).__name__}: {exc}"[:300])
        if 200 <= code < 300:
            return Outcome(DELIVERED, code, disclosures=rendered.disclosures)
        if 300 <= code < 400:
            # Redirects are never followed: the URL was validated, where it points to was not.
            return Outcome(RETRYING, code, f"redirect not followed (Location: {location[:200]})")
        return Outcome(RETRYING, code)

    async def finish(self, job: Job, outcome: Outcome, now: datetime) -> bool:
        """Write the attempt (batched with others); False when the lease was lost to another worker."""
        return await self.writer.write(job.delivery, outcome, now)

    async def close(self, grace: float = 0.0) -> None:
        """Stop: wait up to ``grace`` seconds for in-flight attempts, cancel the rest (their leases lapse)."""
        tasks = list(self.inflight.values())
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.writer.close()
        await self.client.aclose()
