"""Demo forced-labor data: the real public list of WROs and Findings (hub/reference/cbp_wro_findings.csv), and
detentions under real orders from it for both demo importers covering every outcome - released, exported,
excluded (one past its 60 days: deemed abandoned), seized under a Finding, UFLPA deemed excluded, pending - with one
pending past its 3-month proof window (19 CFR 12.43(a)). Conforming and returned allegations complete it.

Times are relative to the seeding moment, so a fresh demo always shows the same stages. Everything goes through the
same services as real data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborOrder
from hub.db.session import transaction
from hub.db.tables import DemoSeed
from hub.domain.calendar import BusinessCalendar
from hub.domain.forced_labor_allegations import AllegationContent
from hub.domain.identifiers import entry_check_digit
from hub.services import forced_labor, forced_labor_allegations
from hub.services.forced_labor_orders import import_orders, reference_records
from hub.services.parties import organization_by_ref

FORCED_LABOR_SEED = "forced_labor"
DEMO_CLIENT = "demo-seed"


@dataclass(frozen=True)
class DemoDetention:
    importer: str  # organization slug
    authority: str
    order: tuple[str, str] | None  # (effective date, start of the entity) of a real order on the list
    presented_days_ago: int
    action: tuple[str, int] | None  # (action, days after presentation)
    description: str
    value: str


# One per outcome, for both demo importers (case numbers are random; these are found by their entry numbers).
DETENTIONS = (
    DemoDetention("acme-home", "WRO", ("2021-06-24", "Hoshine Silicon"), 20, None,
                  "Silicone sealant, 2,400 cartons", "48250.00"),
    DemoDetention("acme-home", "WRO", ("2025-09-24", "Giant Manufacturing"), 118, None,  # past its 3 months
                  "Bicycles and frames, 310 units", "186000.00"),
    DemoDetention("acme-home", "WRO", ("2019-09-30", "Hetian Taida"), 150, ("RELEASE", 40),
                  "Cotton knit garments, 12,000 pieces", "96400.00"),
    DemoDetention("acme-home", "FINDING", ("2021-03-29", "Top Glove"), 160, ("SEIZE", 100),
                  "Nitrile disposable gloves, 1,800 cases", "152300.00"),
    DemoDetention("harbor-trading", "WRO", ("2021-11-02", "Xinjiang Junggar"), 200, ("EXPORT", 50),
                  "Cotton yarn, 40 bales", "61000.00"),
    DemoDetention("harbor-trading", "WRO", ("2020-07-30", "Natchi Apparel"), 180, ("EXCLUDE", 95),
                  "Cotton apparel, 5,500 pieces", "38900.00"),  # notice 85 days ago: deemed abandoned
    DemoDetention("harbor-trading", "WRO", ("2023-11-09", "British American Tobacco"), 100, ("EXCLUDE", 92),
                  "Unmanufactured tobacco, 18 pallets", "74500.00"),  # notice 8 days ago: excluded
    DemoDetention("harbor-trading", "UFLPA", None, 45, None,
                  "Tomato paste in drums, 120 drums", "22800.00"),  # 30 days passed: deemed excluded
    DemoDetention("harbor-trading", "UFLPA", None, 2, None,
                  "Polysilicon wafers, 60 boxes", "310000.00"),
)


def demo_entry(serial: int) -> str:
    base = f"CZ4{7300100 + serial:07d}"
    return f"{base[:3]}-{base[3:]}-{entry_check_digit(base)}"


async def seed_forced_labor(sessions: async_sessionmaker[AsyncSession], calendar: BusinessCalendar,
                            now: datetime) -> bool:
    async with sessions() as session:
        if await session.get(DemoSeed, FORCED_LABOR_SEED) is not None:
            return False
    try:
        async with transaction(sessions) as session:
            await import_orders(session, reference_records(), now)
            await _seed(session, calendar, now)
            session.add(DemoSeed(name=FORCED_LABOR_SEED, seeded_at=now, clients_json=json.dumps({})))
    except IntegrityError:
        return False  # another process seeded the same store at the same moment
    return True


async def order_id(session: AsyncSession, effective: str, entity_start: str) -> str:
    rows = (await session.exec(select(ForcedLaborOrder).where(
        ForcedLaborOrder.effective_on == date.fromisoformat(effective)))).all()
    found = [r for r in rows if r.scope.startswith(entity_start)]
    if len(found) != 1:
        raise LookupError(f"the demo expects one order {effective} {entity_start!r} on the list")
    return found[0].id


async def _seed(session: AsyncSession, calendar: BusinessCalendar, now: datetime) -> None:
    for serial, d in enumerate(DETENTIONS):
        importer = await organization_by_ref(session, d.importer)
        presented = now - timedelta(days=d.presented_days_ago)
        spec = forced_labor.NewDetention(
            authority=d.authority, order_id=await order_id(session, *d.order) if d.order else None,
            entry_number=demo_entry(serial), importer_org_id=importer.id, port_code="2704",
            description=d.description, value=d.value, imported_on=(presented - timedelta(days=2)).date(),
            presented_at=presented)
        row = await forced_labor.prepare_detention(session, spec, calendar, presented)
        await forced_labor.record_detention(session, row, DEMO_CLIENT, presented)
        if d.action is not None:
            action, after = d.action
            at = presented + timedelta(days=after)
            await forced_labor.record_action(session, row.id, action, at, calendar, at)
    dol = await organization_by_ref(session, "dol-ilab")
    await forced_labor_allegations.submit_allegation(session, AllegationContent(
        merchandise="Hand-knotted carpets", country="Nepal",
        reasons="Recruitment-fee debt bondage of weavers reported by workers interviewed in 2026.",
        description="Wool carpets, 2.5 x 3.5 m, hand-knotted, exported through a Kathmandu consolidator.",
        sample_provided=False,
        production_facts="Looms in three villages; workers' passports held by the subcontractor; wages withheld."),
        dol.id, DEMO_CLIENT, now - timedelta(days=3))
    acme = await organization_by_ref(session, "acme-home")
    await forced_labor_allegations.submit_allegation(session, AllegationContent(
        merchandise="Shrimp", country="", reasons="Heard it on the news.", description="", sample_provided=False,
        production_facts=""), acme.id, DEMO_CLIENT, now - timedelta(days=1))
