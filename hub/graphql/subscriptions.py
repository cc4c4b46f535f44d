"""The Subscription root: outbox events, each rendered for the connection's principal when it arrives.

A message carries what the subscriber could read through GraphQL at that instant (hub.events.payload):
an event about an object it may not read yields nothing, and restricted fields it may read are
recorded in the disclosure log (channel SUBSCRIPTION) before the message leaves.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.audit.log import record
from hub.auth.principal import Principal
from hub.db.audit_tables import DisclosureChannel
from hub.db.event_tables import OutboxEvent
from hub.db.session import transaction
from hub.errors import HubError, InvalidInput
from hub.events.broker import BrokerStopped, FeedOverflow
from hub.events.outbox import EVENT_TYPES
from hub.events.payload import render
from hub.graphql.guard import public_value
from hub.graphql.websocket import SocketContext, access_problem

_ENVELOPE = "the event itself: the subscriber receives it only when it may read the object now"


@strawberry.type
class EventMessage:
    id: strawberry.ID = public_value(_ENVELOPE, description="The outbox event id (a webhook body's data.eventId), "
                                                            "for de-duplication.")
    type: str = public_value(_ENVELOPE, description="The event type, e.g. detention.notice_sent.")
    timestamp: datetime = public_value(_ENVELOPE, description="When the change happened.")
    object_id: strawberry.ID = public_value(_ENVELOPE, description="Global id of the object the event is about.")
    data: JSON = public_value(
        "rendered through the object's own guarded fields for this subscriber at delivery time",
        description="The object as the subscriber may see it now (fields it may not read are null).")


def _wanted(types: list[str] | None) -> frozenset[str]:
    if not types:
        return frozenset(EVENT_TYPES)
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"unknown event types: {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
                           code="UNKNOWN_EVENT_TYPE")
    return frozenset(types)


async def _message(context: SocketContext, principal: Principal, event: OutboxEvent,
                   now: datetime) -> EventMessage | None:
    rendered = await render(context.hub, principal, event, now, DisclosureChannel.SUBSCRIPTION)
    if rendered is None:
        return None
    if rendered.disclosures:
        # Restricted data leaves only once its disclosure is in the log, as for GraphQL reads.
        async with transaction(context.hub.sessions) as session:
            await record(session, rendered.disclosures)
    data: dict[str, Any] = rendered.payload["data"]
    return EventMessage(id=strawberry.ID(event.id), type=event.type, timestamp=event.occurred_at,
                        object_id=strawberry.ID(data["objectId"]), data=JSON(data))


async def _stream(context: SocketContext, principal: Principal,
                  wanted: frozenset[str]) -> AsyncGenerator[EventMessage, None]:
    with context.broker.subscribe() as feed:
        while True:
            try:
                event = await feed.get()
            except FeedOverflow as exc:
                raise HubError(str(exc), code="SUBSCRIBER_TOO_SLOW") from exc
            except BrokerStopped:
                return
            if event.type not in wanted:
                continue
            now = datetime.now(UTC)
            # The connection's watchdog checks every 30 s; an event must not slip out in between.
            problem = await access_problem(context.hub, principal, now)
            if problem is not None:
                context.request_close(*problem)
                await context.closed.wait()
                return
            message = await _message(context, principal, event, now)
            if message is not None:
                yield message


F = TypeVar("F", bound=Callable[..., Any])


def _root_subscription(description: str) -> Callable[[F], F]:
    """Like guard.root for Query/Mutation: what it streams is decided per event by its types' guards."""
    return cast(Callable[[F], F], strawberry.subscription(description=description))


@strawberry.type
class Subscription:
    @_root_subscription("New events of the given types (all when omitted), each as the subscriber may see its "
                        "object at delivery; over graphql-transport-ws.")
    async def events(self, info: Info[Any, Any],
                     types: list[str] | None = None) -> AsyncGenerator[EventMessage, None]:
        # Not a generator itself: bad arguments are refused before the stream starts, as an `error` message.
        context = info.context
        if not isinstance(context, SocketContext) or context.principal is None:
            raise HubError("subscriptions are served over WebSocket (graphql-transport-ws) at /graphql",
                           code="SUBSCRIPTION_TRANSPORT")
        wanted = _wanted(types)
        if not context.broker.started:
            raise HubError("event delivery is not running on this server", code="EVENTS_UNAVAILABLE")
        return _stream(context, context.principal, wanted)
