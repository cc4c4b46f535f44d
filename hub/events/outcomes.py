"""Writing delivery attempts: retry schedule, dead letters, and the audit entries of what was delivered.

Outcomes are written in batches by one writer per dispatcher: attempts that end while a batch commits
form the next one, so a busy worker pays one commit for many deliveries instead of one each. Each
row's update and the audit entries of its payload still commit together: a delivery is marked
DELIVERED exactly when its disclosures are logged (issue 4, item 6), and only after the receiver's 2xx.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from hub.audit.log import Disclosure, record
from hub.db.event_tables import WebhookDelivery
from hub.db.session import transaction
from hub.events.webhooks import DEAD, DELIVERED, PENDING, RETRYING, SKIPPED
from hub.runtime import Hub

log = logging.getLogger("hub.events")

_D = WebhookDelivery
BATCH = 64


@dataclass(frozen=True)
class Outcome:
    status: str  # DELIVERED | RETRYING (a failed attempt; may become DEAD) | SKIPPED
    status_code: int | None = None
    error: str | None = None
    disclosures: Sequence[Disclosure] = ()


def backoff_ceiling(failures: int, base: float, cap: float) -> float:
    """Exponential backoff: the n-th consecutive failure waits up to base * 2^(n-1), at most ``cap``.

    The wait itself is drawn uniformly below this ceiling ("full jitter"), so receivers that failed
    together do not all come back at the same instant.
    """
    return float(min(cap, base * 2 ** min(failures - 1, 40)))


def attempts_since_replay(attempts_log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attempts after the last replay: a replay starts a fresh retry window and backoff."""
    found: list[dict[str, Any]] = []
    for entry in attempts_log:
        if "replayedBy" in entry:
            found = []
        elif entry.get("outcome") != SKIPPED:
            found.append(entry)
    return found


def _retrieved(future: asyncio.Future[bool]) -> None:
    # Marks a failure as seen even when its waiter was cancelled (it is logged where it happens).
    if not future.cancelled():
        future.exception()


class OutcomeWriter:
    def __init__(self, hub: Hub, owner: str, jitter: Callable[[float], float]) -> None:
        self.hub, self.owner, self.jitter = hub, owner, jitter
        self._queue: list[tuple[WebhookDelivery, Outcome, datetime, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    def values(self, d: WebhookDelivery, outcome: Outcome, now: datetime) -> dict[str, Any]:
        """The row's new columns after this attempt."""
        settings = self.hub.settings
        entry = {"at": now.isoformat(), "outcome": outcome.status, "statusCode": outcome.status_code,
                 "error": outcome.error}
        values: dict[str, Any] = {"lease_owner": None, "leased_until": None, "last_attempt_at": now,
                                  "last_status_code": outcome.status_code,
                                  "last_error": outcome.error[:500] if outcome.error else None,
                                  "attempts_log": [*d.attempts_log, entry]}
        if outcome.status == SKIPPED:
            return {**values, "status": SKIPPED}  # decided by policy, not by the receiver: no retry
        values["attempts"] = d.attempts + 1
        if outcome.status == DELIVERED:
            return {**values, "status": DELIVERED, "delivered_at": now}
        since_replay = attempts_since_replay(d.attempts_log)
        window_start = datetime.fromisoformat(since_replay[0]["at"]) if since_replay else now
        if now - window_start >= timedelta(seconds=settings.webhook_retry_window_seconds):
            return {**values, "status": DEAD}  # parked in the dead-letter list; the organization may replay it
        ceiling = backoff_ceiling(len(since_replay) + 1, settings.webhook_retry_base_seconds,
                                  settings.webhook_retry_cap_seconds)
        return {**values, "status": RETRYING, "next_attempt_at": now + timedelta(seconds=self.jitter(ceiling))}

    async def write(self, delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> bool:
        """Queue the attempt and wait for its commit; False when the lease was lost meanwhile."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        self._queue.append((delivery, outcome, now, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await asyncio.shield(future)  # a cancelled waiter must not cancel the others' commit

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:BATCH], self._queue[BATCH:]
            try:
                results = await self._commit([(d, o, now) for d, o, now, _ in batch])
            except Exception as exc:
                log.exception("writing webhook outcomes failed", extra={"event": "webhook.write_failed"})
                # The leases lapse and the rows are tried again: at-least-once, same webhook-id.
                for *_, future in batch:
                    future.set_exception(exc)
                continue
            for (*_, future), ok in zip(batch, results, strict=True):
                future.set_result(ok)

    async def _commit(self, batch: list[tuple[WebhookDelivery, Outcome, datetime]]) -> list[bool]:
        results: list[bool] = []
        disclosures: list[Disclosure] = []
        async with transaction(self.hub.sessions) as session:
            connection = await session.connection()
            for d, outcome, now in batch:
                values = self.values(d, outcome, now)
                # Only while we still hold the lease: a worker whose lease lapsed cannot overwrite the
                # outcome of the worker that took the row over.
                statement = update(_D).where(col(_D.id) == d.id, col(_D.lease_owner) == self.owner,
                                             col(_D.status).in_((PENDING, RETRYING))).values(**values)
                ok = (await connection.execute(statement)).rowcount == 1
                results.append(ok)
                if not ok:
                    log.warning("webhook lease lost", extra={"event": "webhook.lease_lost", "delivery": d.id})
                elif outcome.status == DELIVERED:
                    disclosures += [replace(x, request_id=d.id) for x in outcome.disclosures]
                log.info("webhook attempt", extra={"event": "webhook.attempt", "delivery": d.id,
                                                   "status": values["status"], "code": outcome.status_code})
            # Last, as record() asks: it holds the audit lock until this commit.
            await record(session, disclosures)
        return results

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
