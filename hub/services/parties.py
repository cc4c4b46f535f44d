"""Business actions on parties: register organizations, grant powers of attorney, make OAuth clients.

Each action validates everything before it writes, inside one transaction: nothing is half-written.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.secrets import generate_secret, hash_secret
from hub.auth.server import AUTH_METHODS, PRIVATE_KEY_JWT
from hub.db.tables import OAuthClient, Organization, OrgKind, PowerOfAttorney
from hub.domain import identifiers
from hub.errors import Conflict, InvalidInput, NotFound

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
# Roles a client may carry; policies read them (policies/*.cedar). Unknown roles are a typo, not a grant.
# "adcvd": an agency client that reads AD/CVD per-case aggregates (Commerce, policies/adcvd.cedar R-AD-06-COMMERCE).
ROLES = frozenset({"officer", "analyst", "hub-admin", "org-admin", "trade", "agency", "adcvd"})


@dataclass(frozen=True)
class NewOrganization:
    slug: str
    name: str
    kind: OrgKind
    address: str | None = None
    ior_number: str | None = None
    filer_code: str | None = None
    surety_code: str | None = None
    agency_code: str | None = None
    port_code: str | None = None


def _validated(spec: NewOrganization) -> dict[str, Any]:
    if not _SLUG.fullmatch(spec.slug):
        raise InvalidInput("slug: 2-63 lowercase letters, digits or '-'", code="INVALID_SLUG")
    if not spec.name.strip():
        raise InvalidInput("name is required", code="INVALID_NAME")
    values: dict[str, Any] = {"slug": spec.slug, "name": spec.name.strip(), "kind": spec.kind,
                              "address": spec.address}
    # Each kind carries the identifier the trade knows it by (FACTS §3, §5, §8); others carry none.
    required = {
        OrgKind.IMPORTER: "ior_number",
        OrgKind.BROKER: "filer_code",
        OrgKind.SURETY: "surety_code",
        OrgKind.PGA: "agency_code",
    }
    needed = required.get(spec.kind)
    for field in ("ior_number", "filer_code", "surety_code", "agency_code"):
        given = getattr(spec, field)
        if field == needed and not given:
            raise InvalidInput(f"{spec.kind.value} organizations need {field}", code="MISSING_IDENTIFIER")
        if given and field != needed:
            raise InvalidInput(f"{field} does not apply to {spec.kind.value}", code="IDENTIFIER_NOT_APPLICABLE")
    if spec.ior_number:
        ior = identifiers.parse_ior_number(spec.ior_number)
        values.update(ior_number=ior.value, ior_kind=ior.kind.value)
    if spec.filer_code:
        values["filer_code"] = identifiers.validate_filer_code(spec.filer_code)
    if spec.surety_code:
        values["surety_code"] = identifiers.validate_surety_code(spec.surety_code)
    if spec.agency_code:
        values["agency_code"] = identifiers.validate_agency_code(spec.agency_code)
    if spec.port_code:
        if spec.kind is not OrgKind.CBP:
            raise InvalidInput("only CBP port offices carry a port code", code="IDENTIFIER_NOT_APPLICABLE")
        values["port_code"] = identifiers.validate_port_code(spec.port_code)
    return values


async def create_organization(session: AsyncSession, spec: NewOrganization, now: datetime) -> Organization:
    org = Organization(**_validated(spec), created_at=now)
    session.add(org)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("an organization with that slug or identifier exists", code="ORGANIZATION_EXISTS") from exc
    return org


async def organization_by_ref(session: AsyncSession, ref: str) -> Organization:
    """Find an organization by id, slug or identifier (IOR number, filer, surety or agency code)."""
    cols = (Organization.id, Organization.slug, Organization.ior_number, Organization.filer_code,
            Organization.surety_code, Organization.agency_code)
    rows = (await session.exec(select(Organization).where(or_(*(col(c) == ref for c in cols))))).all()
    if len(rows) != 1:
        raise NotFound(f"no single organization matches {ref!r}", code="UNKNOWN_ORGANIZATION")
    return rows[0]


async def grant_power_of_attorney(
    session: AsyncSession, broker: Organization, importer: Organization, granted_on: date
) -> PowerOfAttorney:
    if broker.kind is not OrgKind.BROKER or importer.kind is not OrgKind.IMPORTER:
        raise InvalidInput("a power of attorney is granted by an importer to a broker", code="INVALID_POA_PARTIES")
    poa = PowerOfAttorney(broker_org_id=broker.id, importer_org_id=importer.id, granted_on=granted_on)
    session.add(poa)
    await session.flush()
    return poa


async def active_poa_pairs(session: AsyncSession, org_id: str) -> list[tuple[str, str]]:
    """(broker, importer) pairs of unrevoked powers of attorney in which ``org_id`` is a party."""
    rows = await session.exec(
        select(PowerOfAttorney.broker_org_id, PowerOfAttorney.importer_org_id).where(
            col(PowerOfAttorney.revoked_at).is_(None),
            or_(PowerOfAttorney.broker_org_id == org_id, PowerOfAttorney.importer_org_id == org_id),
        )
    )
    return [(b, i) for b, i in rows.all()]


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    secret: str | None  # shown once; only its hash is stored


async def create_client(
    session: AsyncSession,
    org: Organization,
    roles: list[str],
    now: datetime,
    *,
    name: str | None = None,
    client_id: str | None = None,
    jwks: dict[str, Any] | None = None,
) -> IssuedClient:
    unknown = sorted(set(roles) - ROLES)
    if unknown or not roles:
        raise InvalidInput(f"unknown or no roles: {unknown}; known: {sorted(ROLES)}", code="INVALID_ROLES")
    if "hub-admin" in roles and org.kind is not OrgKind.CBP:
        raise InvalidInput("hub-admin is a CBP role", code="INVALID_ROLES")
    if jwks is not None and not isinstance(jwks.get("keys"), list):
        raise InvalidInput("jwks must be a JSON Web Key Set", code="INVALID_JWKS")
    methods = [PRIVATE_KEY_JWT] if jwks is not None else list(AUTH_METHODS[:2])
    # Always generated here (256 random bits): hub.auth.secrets relies on it to hash with plain SHA-256.
    secret = None if jwks is not None else generate_secret()
    client = OAuthClient(
        client_id=client_id or f"{org.slug}-{secrets.token_hex(4)}",
        organization_id=org.id,
        name=name or f"{org.name} client",
        roles=sorted(set(roles)),
        secret_hash=hash_secret(secret) if secret else None,
        auth_methods=methods,
        jwks=jwks,
        created_at=now,
    )
    session.add(client)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("client id taken", code="CLIENT_EXISTS") from exc
    return IssuedClient(client, secret)


async def organizations_by_id(session: AsyncSession, ids: set[str]) -> dict[str, Organization]:
    if not ids:
        return {}
    rows = (await session.exec(select(Organization).where(col(Organization.id).in_(ids)))).all()
    return {o.id: o for o in rows}
