"""Webhook endpoints: registration, URL checks, delivery listings and replay of dead letters.

Who may call these is decided before, by the policy (ManageWebhooks, policies/events.cedar); these
functions only validate and write, in the caller's transaction.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.principal import Principal
from hub.db.event_tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.outbox import EVENT_TYPES
from hub.events.secrets import SecretBox, new_secret
from hub.settings import Settings

MAX_URL_LENGTH = 2000
# Every endpoint multiplies fan-out work; a cap keeps one organization from flooding the worker.
MAX_ENDPOINTS_PER_ORGANIZATION = 20
_CONTROL = re.compile(r"[\x00-\x20\x7f]")

PENDING, RETRYING, DELIVERED, DEAD, SKIPPED = "PENDING", "RETRYING", "DELIVERED", "DEAD", "SKIPPED"


def _bad_url(reason: str) -> InvalidInput:
    return InvalidInput(f"invalid webhook URL: {reason}", code="INVALID_WEBHOOK_URL")


def _private_ip(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def validate_url(url: str, *, allow_http: bool, allow_private: bool) -> str:
    """An absolute http(s) URL without credentials or fragment; https unless ``allow_http``.

    Private, loopback and link-local addresses (and ``localhost``) are refused unless ``allow_private``:
    a webhook must not be a way to make the Hub call into its own network. Names are checked again
    when they resolve, at each delivery (``destination_problem``).
    """
    if not url or len(url) > MAX_URL_LENGTH:
        raise _bad_url(f"1 to {MAX_URL_LENGTH} characters")
    if _CONTROL.search(url):
        raise _bad_url("no spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _bad_url(str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _bad_url("the scheme must be https")
    if scheme == "http" and not allow_http:
        raise _bad_url("https is required (plain http only in demo mode)")
    if "@" in parts.netloc:
        raise _bad_url("no user name or password in the URL")
    if "#" in url:
        raise _bad_url("no fragment")
    host = (parts.hostname or "").lower()
    if not host:
        raise _bad_url("a host is required")
    if port == 0:
        raise _bad_url("port 0 is not a port")
    if not allow_private and (host == "localhost" or host.endswith(".localhost") or _private_ip(host)):
        raise _bad_url("private, loopback and link-local destinations are not allowed")
    return url


async def destination_problem(url: str, *, allow_private: bool) -> str | None:
    """At delivery: why the URL's host may not be called now (it resolves to a private address), or None."""
    if allow_private:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        if _private_ip(str(info[4][0])):
            return f"{host} resolves to a non-public address"
    return None


def validate_event_types(event_types: list[str]) -> list[str]:
    if not event_types:
        raise InvalidInput("name at least one event type", code="UNKNOWN_EVENT_TYPE")
    unknown = sorted({t for t in event_types if t not in EVENT_TYPES})
    if unknown:
        raise InvalidInput(f"unknown event types {unknown}; known: {list(EVENT_TYPES)}", code="UNKNOWN_EVENT_TYPE")
    return sorted(set(event_types))


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown to the caller once; only its ciphertext is stored


async def create_endpoint(
    session: AsyncSession, box: SecretBox, principal: Principal, url: str, event_types: list[str],
    settings: Settings, now: datetime,
) -> NewEndpoint:
    """An endpoint of the caller's organization, delivering with the caller's roles (never more)."""
    clean_url = validate_url(url.strip(), allow_http=settings.webhook_http_allowed,
                             allow_private=settings.webhook_private_networks_allowed)
    types = validate_event_types(event_types)
    count = (await session.exec(select(func.count()).select_from(WebhookEndpoint).where(
        col(WebhookEndpoint.organization_id) == principal.organization_id,
        col(WebhookEndpoint.disabled_at).is_(None)))).one()
    if count >= MAX_ENDPOINTS_PER_ORGANIZATION:
        raise Conflict(f"at most {MAX_ENDPOINTS_PER_ORGANIZATION} enabled endpoints per organization",
                       code="TOO_MANY_WEBHOOK_ENDPOINTS")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organization_id=principal.organization_id, url=clean_url, event_types=types,
        roles=sorted(principal.roles), created_by=principal.client_id, secret_ciphertext=box.encrypt(secret),
        created_at=now)
    session.add(endpoint)
    await session.flush()
    return NewEndpoint(endpoint, secret)


async def get_endpoint(session: AsyncSession, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint", code="UNKNOWN_WEBHOOK_ENDPOINT")
    return endpoint


async def endpoints_of(session: AsyncSession, organization_id: str) -> list[WebhookEndpoint]:
    query = (select(WebhookEndpoint).where(col(WebhookEndpoint.organization_id) == organization_id)
             .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)))
    return list((await session.exec(query)).all())


async def disable_endpoint(session: AsyncSession, endpoint: WebhookEndpoint, now: datetime) -> WebhookEndpoint:
    """No new deliveries are made for it; pending ones are skipped when they come due."""
    if endpoint.disabled_at is None:
        endpoint.disabled_at = now
        session.add(endpoint)
        await session.flush()
    return endpoint


async def deliveries_of(session: AsyncSession, endpoint_id: str, first: int
                        ) -> list[tuple[WebhookDelivery, OutboxEvent]]:
    """The endpoint's deliveries, newest first, each with its event."""
    query = (select(WebhookDelivery, OutboxEvent).join(OutboxEvent, col(OutboxEvent.id) == WebhookDelivery.event_id)
             .where(col(WebhookDelivery.endpoint_id) == endpoint_id)
             .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc()).limit(first))
    return [(d, e) for d, e in (await session.exec(query)).all()]


async def dead_letters(session: AsyncSession, organization_id: str, first: int
                       ) -> list[tuple[WebhookDelivery, OutboxEvent]]:
    """Deliveries of the organization's endpoints that gave up after the retry window, newest first."""
    query = (select(WebhookDelivery, OutboxEvent)
             .join(OutboxEvent, col(OutboxEvent.id) == WebhookDelivery.event_id)
             .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
             .where(col(WebhookEndpoint.organization_id) == organization_id, col(WebhookDelivery.status) == DEAD)
             .order_by(col(WebhookDelivery.last_attempt_at).desc(), col(WebhookDelivery.id).desc()).limit(first))
    return [(d, e) for d, e in (await session.exec(query)).all()]


async def get_delivery(session: AsyncSession, delivery_id: str
                       ) -> tuple[WebhookDelivery, WebhookEndpoint, OutboxEvent]:
    found = (await session.exec(
        select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
        .join(OutboxEvent, col(OutboxEvent.id) == WebhookDelivery.event_id)
        .where(col(WebhookDelivery.id) == delivery_id))).first()
    if found is None:
        raise NotFound("no such webhook delivery", code="UNKNOWN_WEBHOOK_DELIVERY")
    return found[0], found[1], found[2]


async def replay(session: AsyncSession, delivery: WebhookDelivery, endpoint: WebhookEndpoint, client_id: str,
                 now: datetime) -> None:
    """A dead letter goes back to the queue with the same webhook-id and a fresh 24-hour retry window."""
    if endpoint.disabled_at is not None:
        raise Conflict("the endpoint is disabled", code="WEBHOOK_ENDPOINT_DISABLED")
    entry: dict[str, Any] = {"at": now.isoformat(), "replayedBy": client_id}
    # Conditional on DEAD, so two replays at once (or a replay racing a worker) change the row once.
    statement = (update(WebhookDelivery)
                 .where(col(WebhookDelivery.id) == delivery.id, col(WebhookDelivery.status) == DEAD)
                 .values(status=PENDING, next_attempt_at=now, lease_owner=None, leased_until=None,
                         attempts_log=[*delivery.attempts_log, entry]))
    connection = await session.connection()
    if (await connection.execute(statement)).rowcount != 1:
        raise Conflict("only a dead delivery can be replayed", code="DELIVERY_NOT_DEAD")
