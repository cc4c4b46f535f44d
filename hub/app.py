"""The Starlette application: routes, middleware order and lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from hub import file_routes
from hub.auth import routes as oauth_routes
from hub.errors import HubError
from hub.events.broker import EventBroker
from hub.events.worker import run_worker
from hub.graphql.endpoint import HubGraphQL
from hub.logs import configure as configure_logging
from hub.middleware import BodyLimitMiddleware, RequestIdMiddleware
from hub.runtime import Hub, open_hub
from hub.settings import Settings

log = logging.getLogger("hub.app")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "alive"})


async def readyz(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    try:
        await hub.check_ready()
    except HubError as exc:
        log.warning("not ready", extra={"event": "readyz.failed", "code": exc.code})
        return JSONResponse({"status": "unavailable", "code": exc.code, "message": exc.message}, 503)
    return JSONResponse({"status": "ready"})


async def _hub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubError)
    return JSONResponse({"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}, exc.http_status)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc, extra={"event": "http.internal_error"})
    # Never a stack trace to the caller: the request id in the header leads to the log line.
    return JSONResponse({"errors": [{"message": "Internal server error.",
                                     "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}, 500)


@asynccontextmanager
async def _events_lifespan(app: Starlette) -> AsyncIterator[None]:
    """Subscriptions' event fan-out runs while the app serves (uvicorn runs this; app_from_env too)."""
    broker: EventBroker = app.state.broker
    await broker.start()
    try:
        yield
    finally:
        await broker.stop()


def create_app(hub: Hub) -> Starlette:
    """Build the app around an open Hub (tests, and the factory below once the Hub is open)."""
    settings = hub.settings
    broker = EventBroker(hub.engine, hub.sessions)
    graphql = HubGraphQL(hub, broker)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *oauth_routes.routes,
            *file_routes.routes,
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
                       expose_headers=["X-Request-Id"], max_age=600),
            Middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes),
        ],
        exception_handlers={HubError: _hub_error, Exception: _internal_error},
        lifespan=_events_lifespan,
    )
    app.state.hub = hub
    app.state.broker = broker
    return app


def app_from_env() -> ASGIApp:
    """uvicorn factory for each worker: settings from HUB_* variables; migrations ran before (hub serve)."""
    settings = Settings()
    configure_logging(settings.log_level)
    holder: dict[str, Starlette] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(settings, holder, receive, send)
            return
        await holder["app"](scope, receive, send)

    return app


async def _lifespan(settings: Settings, holder: dict[str, Starlette], receive: Receive, send: Send) -> None:
    hub: Hub | None = None
    worker: asyncio.Task[None] | None = None
    stop_worker = asyncio.Event()
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                hub = await open_hub(settings, apply_migrations=False)
            except HubError as exc:
                await send({"type": "lifespan.startup.failed", "message": f"{exc.code}: {exc.message}"})
                return
            holder["app"] = create_app(hub)
            # This lifespan replaces the app's own (_events_lifespan), so it starts the broker itself.
            await holder["app"].state.broker.start()
            if settings.demo:
                # The embedded demo delivers its webhooks in-process; production runs `hub worker`.
                worker = asyncio.create_task(run_worker(hub, stop_worker))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if worker is not None:
                stop_worker.set()
                await worker
            if "app" in holder:
                await holder["app"].state.broker.stop()
            if hub is not None:
                await hub.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
