"""The running Hub: every long-lived handle (database, object store, keys, policies, schema), built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.file_urls import FileUrlSigner
from hub.auth.keys import SigningKeys, load_or_create
from hub.auth.server import HubAuthorizationServer
from hub.auth.tokens import AccessTokenValidator
from hub.db import migrate
from hub.db.org_cache import OrganizationCache
from hub.db.session import create_engine, ping, sessionmaker
from hub.domain.calendar import BusinessCalendar
from hub.errors import ConfigurationError
from hub.policy.engine import PolicyEngine
from hub.services.parties import organizations_by_id
from hub.settings import Settings
from hub.storage import ObjectStore, build_object_store

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"


@dataclass
class Hub:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    store: ObjectStore
    keys: SigningKeys
    auth_server: HubAuthorizationServer
    validator: AccessTokenValidator
    policy: PolicyEngine
    calendar: BusinessCalendar
    file_urls: FileUrlSigner
    org_cache: OrganizationCache

    async def check_ready(self) -> None:
        await ping(self.engine)
        await self.store.ping()

    async def close(self) -> None:
        await self.engine.dispose()


def check_production_settings(settings: Settings) -> None:
    """Without --demo the Hub runs on PostgreSQL and MinIO only; say exactly what is missing."""
    missing = []
    if not settings.database_url:
        missing.append("HUB_DATABASE_URL (postgresql+asyncpg://user:pass@host/db)")
    elif not settings.database_url.startswith("postgresql"):
        missing.append("HUB_DATABASE_URL must be a postgresql+asyncpg:// URL outside demo mode")
    for name in ("s3_endpoint", "s3_access_key", "s3_secret_key"):
        if not getattr(settings, name):
            missing.append(f"HUB_{name.upper()}")
    if missing:
        raise ConfigurationError(
            "hub serve needs PostgreSQL and MinIO settings (or use --demo): missing " + ", ".join(missing),
            code="SETTINGS_MISSING",
        )


async def open_hub(settings: Settings, *, apply_migrations: bool = True) -> Hub:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.effective_database_url)
    try:
        return await _open(settings, engine, apply_migrations)
    except BaseException:
        # A Hub that cannot start leaves no pooled connection behind.
        await engine.dispose()
        raise


async def _open(settings: Settings, engine: AsyncEngine, apply_migrations: bool) -> Hub:
    await ping(engine)
    if apply_migrations:
        await migrate.upgrade(engine)
    store = build_object_store(settings)
    await store.ensure_bucket()
    await store.ping()
    keys = load_or_create(settings.effective_signing_key_path)
    sessions = sessionmaker(engine)
    return Hub(
        settings=settings,
        engine=engine,
        sessions=sessions,
        store=store,
        keys=keys,
        auth_server=HubAuthorizationServer(keys, settings.issuer, settings.audience, settings.token_ttl_seconds),
        validator=AccessTokenValidator(settings, keys, await _mapped_org_kinds(settings, sessions)),
        policy=PolicyEngine(settings.policies_dir or POLICIES_DIR),
        calendar=BusinessCalendar(),
        file_urls=FileUrlSigner(keys, settings.issuer),
        org_cache=OrganizationCache(ttl=settings.organization_cache_seconds),
    )


async def _mapped_org_kinds(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Kinds of the organizations external issuers map to: their tokens carry no Hub kind."""
    ids = {org_id for t in settings.trusted_issuers for org_id in t.organization_map.values()}
    if not ids:
        return {}
    async with sessions() as session:
        found = await organizations_by_id(session, ids)
    missing = ids - found.keys()
    if missing:
        raise ConfigurationError(
            f"trusted issuers map to unknown organizations: {sorted(missing)}", code="UNKNOWN_MAPPED_ORGANIZATION"
        )
    return {org_id: org.kind.value for org_id, org in found.items()}
