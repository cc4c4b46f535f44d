"""Demo data: the parties of every kind the mission names, and one OAuth client each.

Seeded once per store (a second start finds the seed mark and does nothing). Domain issues add
their own demo sets beside this one, each under its own seed name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.session import transaction
from hub.db.tables import DemoSeed, OAuthClient, Organization, OrgKind, Recordation
from hub.services.parties import NewOrganization, create_client, create_organization, grant_power_of_attorney

PARTIES_SEED = "parties"


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    org_slug: str
    roles: tuple[str, ...]


ORGANIZATIONS = (
    NewOrganization("cbp-hq", "U.S. Customs and Border Protection, Office of Trade (HQ)", OrgKind.CBP,
                    "1300 Pennsylvania Ave NW, Washington, DC 20229"),
    NewOrganization("cbp-port-la", "CBP Port of Los Angeles", OrgKind.CBP,
                    "301 E Ocean Blvd, Long Beach, CA 90802", port_code="2704"),
    NewOrganization("acme-home", "Acme Home Goods Inc.", OrgKind.IMPORTER,
                    "500 Commerce St, Newark, NJ 07102", ior_number="12-3456789AB"),
    # A sole proprietor importing under an SSN: the IOR number is PII (R-ID-02).
    NewOrganization("harbor-trading", "Blue Harbor Trading (J. Rivera, sole proprietor)", OrgKind.IMPORTER,
                    "88 Harbor Way, San Pedro, CA 90731", ior_number="123-45-6789"),
    NewOrganization("coastline-brokers", "Coastline Customs Brokerage LLC", OrgKind.BROKER,
                    "1 World Trade Center, Long Beach, CA 90831", filer_code="CZ4"),
    NewOrganization("northwind-brands", "Northwind Apparel Brands Inc.", OrgKind.IP_OWNER,
                    "700 Fashion Ave, New York, NY 10018"),
    NewOrganization("vertex-audio", "Vertex Audio Corporation", OrgKind.IP_OWNER,
                    "42 Sound Rd, Austin, TX 78701"),
    NewOrganization("liberty-surety", "Liberty Atlantic Surety Company", OrgKind.SURETY,
                    "10 Bond St, Hartford, CT 06103", surety_code="457"),
    NewOrganization("commerce-ita", "Department of Commerce, ITA Enforcement and Compliance", OrgKind.PGA,
                    "1401 Constitution Ave NW, Washington, DC 20230", agency_code="ECO"),
    NewOrganization("dol-ilab", "Department of Labor, Bureau of International Labor Affairs", OrgKind.PGA,
                    "200 Constitution Ave NW, Washington, DC 20210", agency_code="DOL"),
)

CLIENTS = (
    DemoClient("demo-cbp-officer", "cbp-port-la", ("officer",)),
    DemoClient("demo-cbp-analyst", "cbp-hq", ("analyst",)),
    DemoClient("demo-cbp-admin", "cbp-hq", ("hub-admin",)),
    DemoClient("demo-importer-acme", "acme-home", ("trade", "org-admin")),
    DemoClient("demo-importer-harbor", "harbor-trading", ("trade",)),
    DemoClient("demo-broker-coastline", "coastline-brokers", ("trade",)),
    DemoClient("demo-ipowner-northwind", "northwind-brands", ("trade",)),
    DemoClient("demo-ipowner-vertex", "vertex-audio", ("trade",)),
    DemoClient("demo-surety-liberty", "liberty-surety", ("trade",)),
    DemoClient("demo-pga-commerce", "commerce-ita", ("agency", "adcvd")),  # "adcvd": AD/CVD aggregates (R-AD-06)
    DemoClient("demo-pga-dol", "dol-ilab", ("agency",)),
)

# Real-looking recordations in CBP's TMK YY-NNNNN format (FACTS §2); the marks are fictitious.
RECORDATIONS = (
    ("TMK 21-00412", "northwind-brands", "NORTHWIND", "6123456", date(2021, 3, 1), date(2031, 3, 1)),
    ("TMK 18-00977", "northwind-brands", "NW TRAILHEAD", "5501234", date(2018, 6, 12), date(2028, 6, 12)),
    ("TMK 19-01187", "vertex-audio", "VERTEX", "5812345", date(2019, 9, 3), date(2029, 9, 3)),
)


async def seed_parties(sessions: async_sessionmaker[AsyncSession], now: datetime) -> bool:
    """Seed the demo parties and clients; False when they were already there."""
    async with sessions() as session:
        if await session.get(DemoSeed, PARTIES_SEED) is not None:
            return False
    try:
        async with transaction(sessions) as session:
            orgs: dict[str, Organization] = {}
            for spec in ORGANIZATIONS:
                orgs[spec.slug] = await create_organization(session, spec, now)
            await grant_power_of_attorney(session, orgs["coastline-brokers"], orgs["acme-home"], date(2024, 1, 15))
            for number, owner, mark, reg, effective, expires in RECORDATIONS:
                session.add(Recordation(number=number, owner_org_id=orgs[owner].id, mark=mark,
                                        uspto_registration=reg, effective_on=effective, expires_on=expires))
            secrets: dict[str, str | None] = {}
            for demo in CLIENTS:
                issued = await create_client(session, orgs[demo.org_slug], list(demo.roles), now,
                                             client_id=demo.client_id, name=f"demo {demo.client_id}")
                secrets[demo.client_id] = issued.secret
            # Demo credentials are kept so `hub demo clients` can print them; real clients' never are.
            session.add(DemoSeed(name=PARTIES_SEED, seeded_at=now, clients_json=json.dumps(secrets)))
    except IntegrityError:
        # Another process seeded the same store at the same moment; its seed stands.
        return False
    return True


async def demo_clients(session: AsyncSession) -> list[dict[str, Any]]:
    seed = await session.get(DemoSeed, PARTIES_SEED)
    if seed is None:
        return []
    secrets: dict[str, str] = json.loads(seed.clients_json)
    rows = (await session.exec(
        select(OAuthClient, Organization)
        .join(Organization, col(Organization.id) == col(OAuthClient.organization_id))
        .where(col(OAuthClient.client_id).in_(list(secrets)))
        .order_by(col(OAuthClient.client_id))
    )).all()
    recordations = (await session.exec(select(Recordation).order_by(col(Recordation.number)))).all()
    out = []
    for client, org in rows:
        out.append({
            "client_id": client.client_id,
            "client_secret": secrets[client.client_id],
            "organization": org.name,
            "organization_id": org.id,
            "kind": org.kind.value,
            "roles": client.roles,
            "identifiers": identifiers_of(org, [r.number for r in recordations if r.owner_org_id == org.id]),
        })
    return out


def identifiers_of(org: Organization, recordation_numbers: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in (("ior_number", org.ior_number), ("filer_code", org.filer_code),
                       ("surety_code", org.surety_code), ("agency_code", org.agency_code),
                       ("port_code", org.port_code)):
        if value:
            found[key] = value
    if recordation_numbers:
        found["recordations"] = recordation_numbers
    return found
