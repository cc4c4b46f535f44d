"""Demo bonds: both demo importers' continuous bonds written by the demo surety (Liberty Atlantic, code 457),
one sufficient and one insufficient, and Northwind's IPR sample bond.

Times are relative to the seeding moment, so a fresh demo always shows an insufficiency that took effect.
The bonds go through the same services as real ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.session import transaction
from hub.db.tables import DemoSeed
from hub.domain.identifiers import entry_check_digit
from hub.services import bonds
from hub.services.parties import organization_by_ref

BONDS_SEED = "bonds"
DEMO_CLIENT = "demo-seed"
SURETY_CODE = "457"
ACME_BOND = "457100001"  # sufficient: $100,000 against DTF $800,000 -> $80,000 required
HARBOR_BOND = "457100002"  # insufficient: $100,000 against DTF $1.5M -> $200,000; notice 20 days ago
# The IP owner's sample bond: the number the demo sample request on DEMO-2704-0005 names (hub/services/demo_ipr.py).
SAMPLE_BOND = "SB0000421"


def _entry(serial: int) -> str:
    base = f"CZ4{7200100 + serial:07d}"
    return f"{base[:3]}-{base[3:]}-{entry_check_digit(base)}"


async def seed_bonds(sessions: async_sessionmaker[AsyncSession], now: datetime) -> bool:
    async with sessions() as session:
        if await session.get(DemoSeed, BONDS_SEED) is not None:
            return False
    try:
        async with transaction(sessions) as session:
            await _seed(session, now)
            session.add(DemoSeed(name=BONDS_SEED, seeded_at=now, clients_json=json.dumps({})))
    except IntegrityError:
        return False  # another process seeded the same store at the same moment
    return True


async def _file(session: AsyncSession, spec: bonds.NewBond, surety_org_id: str, at: datetime) -> str:
    prepared = await bonds.prepare_bond(session, spec, at)
    return (await bonds.file_bond(session, prepared, surety_org_id, DEMO_CLIENT, at)).id


async def _seed(session: AsyncSession, now: datetime) -> None:
    surety = await bonds.surety_by_code(session, SURETY_CODE)
    acme = await organization_by_ref(session, "acme-home")
    harbor = await organization_by_ref(session, "harbor-trading")
    northwind = await organization_by_ref(session, "northwind-brands")

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    start = ago(400).date()
    acme_bond = await _file(session, bonds.NewBond(
        number=ACME_BOND, type="CONTINUOUS", activity_code="1", principal_org_id=acme.id, surety_code=SURETY_CODE,
        amount="100000.00", effective_on=start, riders=["RECONCILIATION"], dtf="800000.00"), surety.id, ago(400))
    harbor_bond = await _file(session, bonds.NewBond(
        number=HARBOR_BOND, type="CONTINUOUS", activity_code="1", principal_org_id=harbor.id,
        surety_code=SURETY_CODE, amount="100000.00", effective_on=start, dtf="1500000.00"), surety.id, ago(400))
    await _file(session, bonds.NewBond(
        number=SAMPLE_BOND, type="SINGLE_TRANSACTION", activity_code="8", purpose="IPR_SAMPLE",
        principal_org_id=northwind.id, surety_code=SURETY_CODE, amount="5000.00", effective_on=ago(4).date()),
        surety.id, ago(4))
    entries = (
        (acme_bond, 0, 90, "48250.00", "2412.50", False, "0.00"),
        (acme_bond, 1, 45, "130000.00", "6500.00", True, "12500.00"),  # AD/CVD bonded, not yet liquidated
        (harbor_bond, 2, 30, "95000.00", "4750.00", False, "0.00"),
    )
    for bond_id, serial, days, value, dtf, bonded, adcvd in entries:
        await bonds.secure_entry(session, bond_id, bonds.NewSecuredEntry(
            entry_number=_entry(serial), entry_date=ago(days).date(), entered_value=value, dtf=dtf,
            adcvd_bonded=bonded, adcvd_open=adcvd), ago(days), DEMO_CLIENT)
    # R-BOND-03: CBP's letter 20 days ago; no superseding bond within 15 days, so the bond is INSUFFICIENT now.
    await bonds.record_insufficiency(session, harbor_bond, "AMOUNT_BELOW_REQUIRED", ago(20), ago(20), DEMO_CLIENT,
                                     required_amount="200000.00", note="DTF of the previous 12 months: $1.5M")
